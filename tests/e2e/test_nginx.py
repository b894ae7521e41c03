"""The deployment guide's nginx in front of the service as its systemd unit runs it.

Everything is asked of nginx over HTTPS, as a phone would (``tests/e2e/deployment.py`` says
how the two are started from the guide's files): a demo page over HTTP/2, compressed once; a
photo kept by nginx; each client address limited on its own; a registration; a body over the
limit, answered with the service's own problem. And the unit is read by systemd.

Two clients on one machine: Linux answers on all of 127.0.0.0/8, so a client that binds
127.0.0.2 or 127.0.0.3 before it connects is, to nginx, another visitor.
"""

from __future__ import annotations

import gzip
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.browser.harness import ROOT, missing_tool
from tests.e2e.deployment import (
    ENVIRONMENT_FILE,
    INSTALLED,
    NGINX_CONF,
    PYTHON,
    UNIT,
    Deployment,
    deployed,
    replaced,
)

SHOPPER, NEIGHBOUR = "127.0.0.2", "127.0.0.3"
NO_SUCH_PAGE = "/b/ZZZZZZZZZZZZZZ"  # names no batch: a 404 page, counted by the limit


@pytest.fixture(scope="module")
def deployment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    nginx = shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin:/sbin")
    if nginx is None:
        missing_tool("nginx is not installed (Debian package nginx; scripts/setup-system)")
    with deployed(tmp_path_factory.mktemp("nginx"), nginx) as running:
        yield running


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
