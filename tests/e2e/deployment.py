"""The deployment guide's files, run on one machine by a test: nginx in front of the service.

``deploy/nginx/trace.conf`` is run by Debian's ``nginx`` with only its ports, paths and
certificate replaced (a self-signed one made here), on loopback and unprivileged. The service
runs as ``deploy/trace.service`` starts it: its ``ExecStartPre`` and ``ExecStart`` with the
settings of ``deploy/trace.env``, on an embedded database holding the demo, and, where the
machine can make a mount namespace, with every file system read-only but its data folder, as
the unit's ``ProtectSystem=strict`` and ``StateDirectory=`` leave it.
"""

from __future__ import annotations

import contextlib
import datetime
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
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from tests.browser.harness import ROOT
from tests.webhook_receiver import free_port

NGINX_CONF = ROOT / "deploy" / "nginx" / "trace.conf"
UNIT = ROOT / "deploy" / "trace.service"
ENVIRONMENT_FILE = ROOT / "deploy" / "trace.env"
# Where the guide installs the code, its interpreter, and the port it serves on.
INSTALLED = "/opt/trace"
PYTHON = f"{INSTALLED}/.venv/bin/python"
SERVICE_PORT = "8000"


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


@contextlib.contextmanager
def deployed(work: Path, nginx: str) -> Iterator[Deployment]:
    """The service as the unit runs it, with the demo, behind ``nginx`` running the guide's
    configuration, all in the empty folder ``work``, until the block ends."""
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
