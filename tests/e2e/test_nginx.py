"""The deployment guide's nginx in front of the service as its systemd unit runs it.

Debian's ``nginx`` runs ``deploy/nginx/trace.conf`` itself, with only its ports, paths and
certificate replaced (a self-signed one made here), on loopback and unprivileged; the service
runs as ``deploy/trace.service`` starts it (its ``ExecStartPre`` and ``ExecStart``, the
settings of ``deploy/trace.env``), on an embedded database holding the demo, and, where the
machine can make a mount namespace, with every file system read-only but its data folder, as
the unit's ``ProtectSystem=strict`` and ``StateDirectory=`` leave it. Everything is then asked
of nginx over HTTPS, as a phone would: a demo page over HTTP/2, compressed once; a photo kept
by nginx; each client address limited on its own; a registration; a body over the limit,
answered with the service's own problem.

Two clients on one machine: Linux answers on all of 127.0.0.0/8, so a client that binds
127.0.0.2 or 127.0.0.3 before it connects is, to nginx, another visitor.
"""

from __future__ import annotations

import contextlib
import datetime
import gzip
import ipaddress
import json
import os
import pwd
import re
import shlex
import shutil
import signal
import ssl
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from tests.browser.harness import ROOT, missing_tool
from tests.webhook_receiver import free_port

NGINX_CONF = ROOT / "deploy" / "nginx" / "trace.conf"
UNIT = ROOT / "deploy" / "trace.service"
ENVIRONMENT_FILE = ROOT / "deploy" / "trace.env"
# Where the guide installs the code, its interpreter, and the port it serves on.
INSTALLED = "/opt/trace"
PYTHON = f"{INSTALLED}/.venv/bin/python"
SERVICE_PORT = "8000"
SHOPPER, NEIGHBOUR = "127.0.0.2", "127.0.0.3"
NO_SUCH_PAGE = "/b/ZZZZZZZZZZZZZZ"  # names no batch: a 404 page, counted by the limit


def replaced(text: str, replacements: dict[str, str]) -> str:
    """``text`` with each key replaced; a key the file no longer holds fails the test."""
    for old, new in replacements.items():
        assert old in text, f"the guide's file no longer holds {old!r}"
        text = text.replace(old, new)
    return text


def self_signed(directory: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 and its key, as PEM files."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "cert.pem", directory / "key.pem"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


def unit_command(key: str, port: int) -> list[str]:
    """The unit's ``ExecStart`` or ``ExecStartPre``, with this interpreter and ``port``."""
    found = re.search(rf"^{key}=(.+)$", UNIT.read_text("utf-8"), re.MULTILINE)
    assert found, f"deploy/trace.service has no {key}"
    words = shlex.split(found.group(1))
    assert words[0] == PYTHON, words
    words = [sys.executable, *words[1:]]
    if "--port" in words:
        words[words.index("--port") + 1] = str(port)
    return words


def unit_environment(data_dir: Path, public_url: str) -> dict[str, str]:
    """The settings of ``deploy/trace.env``, with this test's data folder and address."""
    settings = {}
    for line in ENVIRONMENT_FILE.read_text("utf-8").splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            name, _, value = line.partition("=")
            settings[name.strip()] = value.strip()
    assert {"TRACE_DATA_DIR", "TRACE_PUBLIC_URL", "TRACE_TRUSTED_PROXIES"} <= settings.keys()
    settings |= {"TRACE_DATA_DIR": str(data_dir), "TRACE_PUBLIC_URL": public_url}
    base = {key: value for key, value in os.environ.items() if not key.startswith("TRACE_")}
    return {**base, **settings, "PYTHONUNBUFFERED": "1"}


def nginx_configuration(
    work: Path, service_port: int, https_port: int, http_port: int, cert: Path, key: Path
) -> Path:
    """The guide's server blocks, inside an nginx.conf that keeps everything in ``work``."""
    site = replaced(
        NGINX_CONF.read_text("utf-8"),
        {
            f"server 127.0.0.1:{SERVICE_PORT};": f"server 127.0.0.1:{service_port};",
            "    listen [::]:80;\n": "",
            "    listen [::]:443 ssl http2;\n": "",
            "listen 80;": f"listen 127.0.0.1:{http_port};",
            "listen 443 ssl http2;": f"listen 127.0.0.1:{https_port} ssl http2;",
            "/etc/letsencrypt/live/truyxuat.example.vn/fullchain.pem": str(cert),
            "/etc/letsencrypt/live/truyxuat.example.vn/privkey.pem": str(key),
            "/var/cache/nginx/trace": str(work / "cache"),
            "/var/log/nginx/trace.access.log": str(work / "access.log"),
            "/var/log/nginx/trace.error.log": str(work / "error.log"),
            "/var/www/html": str(work / "acme"),
        },
    )
    (work / "trace.conf").write_text(site, "utf-8")
    temporary = " ".join(
        f"{kind}_temp_path {work / kind};"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    main = work / "nginx.conf"
    main.write_text(
        # As root its workers would become nobody, who cannot enter this test's folders.
        f"user {pwd.getpwuid(os.getuid()).pw_name};\n"
        "worker_processes 1;\n"
        "daemon off;\n"
        f"pid {work / 'nginx.pid'};\n"
        f"error_log {work / 'error.log'} warn;\n"
        "events { worker_connections 256; }\n"
        f"http {{ {temporary} include {work / 'trace.conf'}; }}\n",
        "utf-8",
    )
    return main


# The unit's ProtectSystem=strict with StateDirectory=: in a mount namespace of its own, every
# file system read-only but the data folder (and /dev, /proc, /sys, as systemd leaves them).
# A remount keeps a mount's nosuid, nodev, noexec and atime flags, which a user namespace may
# not drop.
_READ_ONLY_BUT_DATA = """
set -eu
mount --bind "$TRACE_DATA_DIR" "$TRACE_DATA_DIR"
awk '{print $2, $4}' /proc/self/mounts | sort -u | while read -r target options; do
  case "$target" in /proc|/proc/*|/sys|/sys/*|/dev|/dev/*|"$TRACE_DATA_DIR") continue ;; esac
  kept=$(echo "$options" | tr , '\\n' | grep -xE 'no(suid|dev|exec)|[a-z]*atime' | tr '\\n' ,) || :
  mount -o "remount,bind,ro${kept:+,${kept%,}}" "$target"
done
exec "$@"
"""


def read_only_but_data(environment: dict[str, str], outside: Path) -> list[str] | None:
    """The words that run a command as the unit's hardening lets the service see the disk,
    or None where this machine cannot make a mount namespace (as root, or a user namespace).

    It is proven first: inside, the data folder takes a file and ``outside`` does not.
    """
    unshare = shutil.which("unshare")
    if unshare is None:
        return None
    as_root = [] if os.geteuid() == 0 else ["--map-root-user"]
    prefix = [unshare, *as_root, "--mount", "--propagation", "private", "sh", "-c"]
    prefix += [_READ_ONLY_BUT_DATA, "read-only-but-data"]
    data = Path(environment["TRACE_DATA_DIR"])
    data.mkdir(mode=0o700, exist_ok=True)
    probe = f'touch "{data}/.probe" && ! touch "{outside}" 2>/dev/null'
    done = subprocess.run([*prefix, "sh", "-c", probe], env=environment, capture_output=True)
    if done.returncode != 0 or outside.exists():
        return None
    (data / ".probe").unlink()
    return prefix


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=30)


def _wait_for(url: str, process: subprocess.Popen[bytes], **client: object) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and process.poll() is None:
        try:
            httpx.get(url, timeout=2, **client)  # type: ignore[arg-type]
            return
        except httpx.TransportError:
            time.sleep(0.1)
    raise AssertionError(f"nothing answered at {url}")


@dataclass(frozen=True)
class Deployment:
    """nginx in front of the service: nginx's address, its certificate, what both wrote."""

    url: str
    certificate: Path
    service_output: Path
    nginx_log: Path
    demo_pages: list[str]
    producer_token: str
    # Whether the service ran with the file system read-only but its data folder.
    confined: bool
    data_dir: Path

    def nginx_line(self, request_id: str) -> str:
        """nginx's access log line of the request ``request_id`` (written as it ends)."""
        deadline = time.monotonic() + 10
        while True:
            for line in self.nginx_log.read_text("utf-8").splitlines():
                if f" id={request_id} " in line:
                    return line
            assert time.monotonic() < deadline, f"nginx did not log request {request_id}"
            time.sleep(0.1)

    def service_lines(self) -> list[dict[str, object]]:
        """The service's JSON log lines so far."""
        text = self.service_output.read_text("utf-8")
        return [json.loads(line) for line in text.splitlines() if line.startswith("{")]

    def client(self, address: str = "127.0.0.1") -> httpx.Client:
        """A client that trusts the test's certificate and connects from ``address``."""
        context = ssl.create_default_context(cafile=str(self.certificate))
        transport = httpx.HTTPTransport(verify=context, local_address=address)
        return httpx.Client(base_url=self.url, transport=transport, timeout=10)


@pytest.fixture(scope="module")
def deployment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    nginx = shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin:/sbin")
    if nginx is None:
        missing_tool("nginx is not installed (Debian package nginx; scripts/setup-system)")
    work = tmp_path_factory.mktemp("nginx")
    for folder in ("cache", "acme"):
        (work / folder).mkdir()
    service_port, https_port, http_port = free_port(), free_port(), free_port()
    url = f"https://127.0.0.1:{https_port}"
    cert, key = self_signed(work)
    environment = unit_environment(work / "data", url)

    confinement = read_only_but_data(environment, work / "outside")

    def as_the_unit(words: list[str]) -> list[str]:
        return [*(confinement or []), *words]

    def run(*words: str) -> str:
        done = subprocess.run(
            as_the_unit(list(words)),
            cwd=ROOT,
            env=environment,
            capture_output=True,
            text=True,
            check=False,
        )
        assert done.returncode == 0, done.stdout + done.stderr
        return done.stdout

    run(*unit_command("ExecStartPre", service_port))
    output = work / "service.out"
    configuration = nginx_configuration(work, service_port, https_port, http_port, cert, key)
    with contextlib.ExitStack() as running, output.open("wb") as out:
        service = subprocess.Popen(
            as_the_unit(unit_command("ExecStart", service_port)),
            cwd=ROOT,
            env=environment,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        running.callback(_stop, service)
        proxy = subprocess.Popen(
            [nginx, "-p", str(work), "-e", str(work / "error.log"), "-c", str(configuration)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        running.callback(_stop, proxy)
        # The demo's pages (a QR code's address: /b/… or a GS1 Digital Link) and the token it
        # makes for the producer console; written while the service starts.
        demo = run(sys.executable, "-m", "trace", "demo")
        pages = re.findall(rf"^\s+({re.escape(url)}/(?:b|01)/\S+)$", demo, re.MULTILINE)
        tokens = re.findall(r"^\s+(trc_\S+)$", demo, re.MULTILINE)
        assert pages and tokens, demo
        _wait_for(f"http://127.0.0.1:{service_port}/healthz", service)
        _wait_for(f"{url}/healthz", proxy, verify=ssl.create_default_context(cafile=str(cert)))
        yield Deployment(
            url,
            cert,
            output,
            work / "access.log",
            pages,
            tokens[0],
            confinement is not None,
            Path(environment["TRACE_DATA_DIR"]),
        )
    errors = (work / "error.log").read_text("utf-8", "replace")
    assert "[emerg]" not in errors and "[crit]" not in errors, errors


def test_a_demo_page_comes_over_https_and_http2_compressed_once(deployment: Deployment) -> None:
    page = deployment.demo_pages[0]
    with deployment.client() as client:
        with client.stream("GET", page, headers={"Accept-Encoding": "gzip"}) as answer:
            sent = b"".join(answer.iter_raw())
        plain = client.get(page, headers={"Accept-Encoding": "identity"})
    assert answer.status_code == 200
    # The service compressed it; nginx did not compress it again (unzipped once, it is HTML).
    assert answer.headers["content-encoding"] == "gzip"
    assert gzip.decompress(sent).startswith(b"<!doctype html>")
    assert "content-encoding" not in plain.headers and plain.text.startswith("<!doctype html>")
    assert answer.headers["strict-transport-security"] == "max-age=63072000"
    # HTTP/2, as a phone's browser asks for it (ALPN), where curl can.
    if shutil.which("curl") is None:
        missing_tool("curl is not installed (Debian package curl; scripts/setup-system)")
    version = subprocess.run(
        [
            "curl",
            "-s",
            "-o",
            "/dev/null",
            "-w",
            "%{http_version} %{http_code}",
            "--http2",
            "--cacert",
            str(deployment.certificate),
            page,
        ],
        capture_output=True,
        text=True,
        check=True,
        timeout=30,
    ).stdout
    assert version == "2 200"


def test_a_page_asked_again_is_a_304_from_the_service_through_nginx(
    deployment: Deployment,
) -> None:
    with deployment.client() as client:
        first = client.get(deployment.demo_pages[0])
        again = client.get(
            deployment.demo_pages[0], headers={"If-None-Match": first.headers["etag"]}
        )
    assert again.status_code == 304 and "x-cache-status" not in again.headers


def test_a_photo_is_immutable_and_kept_by_nginx(deployment: Deployment) -> None:
    with deployment.client() as client:
        photos = {
            found
            for page in deployment.demo_pages
            for found in re.findall(r"/photos/[0-9a-f]{64}[^\"' ]*", client.get(page).text)
        }
        assert photos, "no demo page shows a photo"
        photo = sorted(photos)[0]
        first, second = client.get(photo), client.get(photo)
    assert first.status_code == second.status_code == 200
    assert first.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert first.content == second.content
    assert first.headers["x-cache-status"] in ("MISS", "HIT")
    assert second.headers["x-cache-status"] == "HIT"


def test_each_client_address_behind_nginx_is_limited_on_its_own(deployment: Deployment) -> None:
    with deployment.client(SHOPPER) as shopper:
        statuses = [shopper.get(NO_SUCH_PAGE).status_code for _ in range(45)]
        # A made-up address on the left does not buy a fresh limit: nginx appends the real one.
        spoofed = shopper.get(NO_SUCH_PAGE, headers={"X-Forwarded-For": "198.51.100.7"})
    with deployment.client(NEIGHBOUR) as neighbour:
        other = neighbour.get(NO_SUCH_PAGE)
    assert statuses[0] == 404 and 429 in statuses
    assert spoofed.status_code == 429
    assert other.status_code == 404
    # Both logs name the shopper, nginx's by its peer and the service's by X-Forwarded-For,
    # under the one request id nginx made.
    request_id = spoofed.headers["x-request-id"]
    assert deployment.nginx_line(request_id).startswith(f"{SHOPPER} [")
    logged = deployment.service_lines()
    clients = {line.get("client") for line in logged if line.get("path") == NO_SUCH_PAGE}
    assert {SHOPPER, NEIGHBOUR} <= clients and "127.0.0.1" not in clients
    assert any(
        line.get("request_id") == request_id and line.get("client") == SHOPPER for line in logged
    )


def test_a_registration_goes_through_and_bodies_are_limited_as_the_service_limits_them(
    deployment: Deployment,
) -> None:
    registration = {
        "occurred_at": "2025-11-18T06:00:00+07:00",
        "body": {
            "product": "Bưởi Đoan Hùng",
            "lot": "BDH-NGINX-1",
            "origin": {"province": "25", "commune": "07969"},
            "quantity": {"value": "1200.5", "unit": "KGM"},
        },
    }
    signed_in = {"Authorization": f"Bearer {deployment.producer_token}"}
    with deployment.client() as client:
        answer = client.post("/api/v1/batches", json=registration, headers=signed_in)
        assert answer.status_code == 201, answer.text
        page = client.get(answer.json()["batch"]["public_path"])
        # A photo may be 2 MiB: 2.5 MiB is refused with the photo's limit, 1.5 MiB passes nginx
        # and the service judges it.
        photo_too_large = client.post(
            "/api/v1/photos",
            content=b"\xff\xd8" + b"\0" * (2560 * 1024),
            headers={**signed_in, "Content-Type": "image/jpeg"},
        )
        photo = client.post(
            "/api/v1/photos",
            content=b"\xff\xd8" + b"\0" * (1536 * 1024),
            headers={**signed_in, "Content-Type": "image/jpeg"},
        )
    # Over the service's 256 KiB: nginx refuses it before the service reads a byte.
    with deployment.client(NEIGHBOUR) as neighbour:
        too_large = neighbour.post(
            "/api/v1/batches",
            content=b"x" * (300 * 1024),
            headers={**signed_in, "Content-Type": "application/json"},
        )
    assert page.status_code == 200 and "Bưởi Đoan Hùng" in page.text
    assert too_large.status_code == 413 and too_large.json()["code"] == "too_large"
    assert "262144" in too_large.json()["detail"]
    # The service heard of it as of any request: under nginx's id, from the client nginx saw.
    request_id = too_large.headers["x-request-id"]
    assert deployment.nginx_line(request_id)
    assert any(
        line.get("request_id") == request_id and line.get("client") == NEIGHBOUR
        for line in deployment.service_lines()
    )
    assert photo_too_large.status_code == 413 and "2097152" in photo_too_large.json()["detail"]
    assert photo.status_code == 422 and photo.json()["code"], photo.text


def test_the_unit_is_read_by_systemd_without_a_complaint(tmp_path: Path) -> None:
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        missing_tool("systemd-analyze is not installed (Debian package systemd)")
    unit = tmp_path / "trace.service"
    text = replaced(UNIT.read_text("utf-8"), {PYTHON: sys.executable})
    unit.write_text(text.replace(INSTALLED, str(ROOT)), "utf-8")
    checked = subprocess.run(
        [analyze, "verify", str(unit)], capture_output=True, text=True, check=False
    )
    assert checked.returncode == 0 and not (checked.stdout + checked.stderr).strip(), (
        checked.stdout + checked.stderr
    )


def test_the_service_needs_to_write_nothing_but_its_data_folder(deployment: Deployment) -> None:
    # Every other test of this file ran against the service confined so, when it could be.
    if not deployment.confined:
        missing_tool(
            "no mount namespace here (unshare --mount, as root or in a user namespace): the "
            "service could not be run with its file system read-only but its data folder"
        )
    # What it wrote is there: the database, the master key, the workers' metrics.
    written = {path.name for path in deployment.data_dir.iterdir()}
    assert {"trace.sqlite3", "master.key", "metrics"} <= written
    assert list((deployment.data_dir / "metrics").glob("*.db"))
    with deployment.client() as client:
        assert client.get("/readyz").status_code == 200


@pytest.mark.parametrize("guide", ["deploy.md", "deploy.vi.md"])
def test_the_guide_shows_the_files_this_test_runs_as_they_are(guide: str) -> None:
    text = (ROOT / "docs" / guide).read_text("utf-8")
    for language, path in (("nginx", NGINX_CONF), ("ini", UNIT), ("sh", ENVIRONMENT_FILE)):
        assert f"```{language}\n{path.read_text('utf-8')}```\n" in text, path.name
