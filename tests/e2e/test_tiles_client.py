"""An independent tile client proves every record of the log from its tiles alone.

The client is Go's own implementation of tiled transparency logs, the one the Go checksum
database uses: ``golang.org/x/mod/sumdb/note`` opens the checkpoint with the log's key, and
``golang.org/x/mod/sumdb/tlog`` reads the hash tiles, checks each against the checkpoint's
root, and proves each entry's RFC 6962 leaf in the tree (``tests/tiles_client/main.go``).
It is built from Debian's ``golang-go`` and ``golang-golang-x-mod-dev``, offline, and run
against the service holding the demo (and enough records more to fill a tile), then against
a plain file server publishing what ``python -m trace tiles`` wrote. Without Go the test
skips, naming the packages; under ``TRACE_REQUIRE_TOOLS=1`` (CI) it fails instead.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.test_witness import DEMO_RECORDS, START_SECONDS, Site
from trace.domain.record import record_hash

ROOT = Path(__file__).resolve().parents[2]
CLIENT = ROOT / "tests" / "tiles_client" / "main.go"
REQUIRE_TOOLS = os.environ.get("TRACE_REQUIRE_TOOLS") == "1"
# Where Debian's golang-*-dev packages put Go sources, for builds without the network.
DEBIAN_GOPATH = Path("/usr/share/gocode")
TLOG = DEBIAN_GOPATH / "src" / "golang.org" / "x" / "mod" / "sumdb" / "tlog"
# A full tile of leaves and a partial one after it, so that the client reads both kinds and
# a tile of level 1.
RECORDS = 256 + 34


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def tiles_client(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The Go client, built offline against Debian's Go sources."""
    go = shutil.which("go")
    if go is None or not TLOG.is_dir():
        message = (
            "Go and golang.org/x/mod are not installed (Debian packages golang-go and "
            "golang-golang-x-mod-dev; bash scripts/setup-system installs them)"
        )
        if REQUIRE_TOOLS:
            pytest.fail(message + " (TRACE_REQUIRE_TOOLS=1)")
        pytest.skip(message)
    where = tmp_path_factory.mktemp("go")
    env = {
        **os.environ,
        "GO111MODULE": "off",  # GOPATH mode: the imports are found in Debian's tree
        "GOPATH": str(DEBIAN_GOPATH),
        "GOCACHE": str(where / "cache"),
        "GOFLAGS": "",
        "GOPROXY": "off",
    }
    binary = where / "tiles_client"
    built = subprocess.run(
        [go, "build", "-o", str(binary), str(CLIENT)],
        cwd=where,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert built.returncode == 0, built.stderr
    return binary


@contextmanager
def serving(site: Site, output: Path) -> Iterator[None]:
    """The service on the site's port until the block ends, its output to a file (a pipe
    nobody reads would fill with access-log lines and stop the service)."""
    with output.open("w") as sink:
        server = subprocess.Popen(
            [sys.executable, "-m", "trace", "serve", "--port", str(site.port)],
            cwd=ROOT,
            env=site.env,
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
        try:
            deadline = time.monotonic() + START_SECONDS
            while True:
                try:
                    site.get("/healthz")
                    break
                except OSError:
                    assert server.poll() is None, output.read_text()[-2000:]
                    assert time.monotonic() < deadline, "the service never answered"
                    time.sleep(0.2)
            yield
        finally:
            server.terminate()
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait(timeout=30)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """The demo's log served live, with records added until a tile of leaves is full."""
    where = tmp_path_factory.mktemp("tiles")
    site = Site(where / "var", _free_port())
    site.ok("demo")
    with serving(site, where / "service.log"):
        token = site.producer_token()
        with ThreadPoolExecutor(8) as pool:
            lots = [f"T-{n:03d}" for n in range(RECORDS - DEMO_RECORDS)]
            list(pool.map(partial(site.register_batch, token), lots))
        site.ok("checkpoint")
        yield site


def run_client(binary: Path, base_url: str, key: str) -> dict[str, Any]:
    done = subprocess.run(
        [str(binary), base_url, key], capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr
    report: dict[str, Any] = json.loads(done.stdout)
    return report


def leaves_from_api(site: Site, size: int) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = json.loads(site.get(f"/api/v1/log/records?start=0&end={size}"))
    return found


def test_go_proves_every_record_from_the_live_tiles_and_the_signed_checkpoint(
    tiles_client: Path, site: Site
) -> None:
    key = site.get("/api/v1/log/key").splitlines()[0]
    report = run_client(tiles_client, site.url, key)
    assert report["origin"] == key.split("+")[0]
    assert report["size"] == RECORDS
    # It read a full tile, the partial one after it, and level 1 above them.
    assert {"tile/0/000", "tile/0/001.p/34", "tile/1/000.p/1"} <= set(report["tiles"])
    # Every entry it proved is the hash of a record the API serves, statement and signature
    # hashed in: the demo's records first.
    leaves = leaves_from_api(site, RECORDS)
    assert [leaf["position"] for leaf in leaves] == list(range(RECORDS))
    assert report["entries"] == [leaf["record_hash"] for leaf in leaves]
    for leaf in leaves:
        recomputed = record_hash(
            prev=bytes.fromhex(leaf["prev"]),
            statement_hash=hashlib.sha256(_b64(leaf["statement"])).digest(),
            signature=_b64(leaf["signature"]),
            seq=leaf["seq"],
            position=leaf["position"],
            recorded_at_us=leaf["recorded_at_us"],
        )
        assert recomputed.hex() == leaf["record_hash"]
    with urllib.request.urlopen(f"{site.url}/tile/0/000", timeout=10) as full:
        assert full.headers["Cache-Control"] == "public, max-age=31536000, immutable"


def test_go_proves_the_same_records_from_the_tiles_written_for_a_plain_file_server(
    tiles_client: Path, site: Site, tmp_path: Path
) -> None:
    folder = tmp_path / "published"
    site.ok("tiles", "--out", str(folder))
    handler = partial(_QuietFiles, directory=str(folder))
    with ThreadingHTTPServer(("127.0.0.1", 0), handler) as files:
        thread = threading.Thread(target=files.serve_forever, daemon=True)
        thread.start()
        try:
            key = site.get("/api/v1/log/key").splitlines()[0]
            static = run_client(tiles_client, f"http://127.0.0.1:{files.server_port}", key)
        finally:
            files.shutdown()
    live = run_client(tiles_client, site.url, key)
    assert static["size"] == live["size"] == RECORDS
    assert static["root"] == live["root"]
    assert static["entries"] == live["entries"]


class _QuietFiles(SimpleHTTPRequestHandler):
    """Python's file server, without a line on standard error per request."""

    def log_message(self, format: str, *args: Any) -> None:
        pass


def _b64(text: str) -> bytes:
    return base64.b64decode(text, validate=True)
