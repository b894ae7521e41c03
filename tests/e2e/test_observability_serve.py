"""The real service with two workers: /metrics sums both, and each request gets one log line.

``python -m trace serve --workers 2`` on the embedded database. Twenty requests on fresh
connections are spread by the kernel over both workers (the chance that all go to one is
2^-19); the metrics must count exactly twenty, from files both workers wrote, and standard
output must hold one JSON line for each, with the id its answer carried.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
from prometheus_client.parser import text_string_to_metric_families

from tests.conftest import ROOT
from tests.webhook_receiver import free_port

REQUESTS = 20


def _readyz_count(url: str) -> float:
    answer = httpx.get(f"{url}/metrics", timeout=5)
    assert answer.status_code == 200, answer.text
    for family in text_string_to_metric_families(answer.text):
        for sample in family.samples:
            if (
                sample.name == "trace_http_request_duration_seconds_count"
                and sample.labels.get("route") == "/readyz"
            ):
                return sample.value
    return 0.0


def test_two_workers_are_counted_together_and_log_a_line_per_request(tmp_path: Path) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    metrics_dir = tmp_path / "data" / "metrics"
    metrics_dir.mkdir(parents=True)
    stale = metrics_dir / "counter_999999.db"
    stale.write_bytes(b"a previous run's counts")
    env = {key: value for key, value in os.environ.items() if not key.startswith("TRACE_")}
    env |= {
        "TRACE_DATA_DIR": str(tmp_path / "data"),
        "TRACE_MASTER_KEY": base64.b64encode(secrets.token_bytes(32)).decode(),
        "TRACE_PUBLIC_URL": url,
    }
    out = tmp_path / "stdout"
    with out.open("wb") as stdout:
        process = subprocess.Popen(
            [sys.executable, "-m", "trace", "serve", "--port", str(port), "--workers", "2"],
            cwd=ROOT,
            env=env,
            stdout=stdout,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        else:
            raise AssertionError("the service did not start")
        assert not stale.exists()
        ids = {
            httpx.get(f"{url}/readyz", timeout=5).headers["x-request-id"] for _ in range(REQUESTS)
        }
        assert len(ids) == REQUESTS
        # Each worker writes what it counted within a second.
        deadline = time.monotonic() + 15
        while _readyz_count(url) < REQUESTS and time.monotonic() < deadline:
            time.sleep(0.3)
        assert _readyz_count(url) == REQUESTS
        assert len(list(metrics_dir.glob("histogram_*.db"))) == 2
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=30)
    lines = [
        json.loads(line) for line in out.read_text("utf-8").splitlines() if line.startswith("{")
    ]
    logged = [line for line in lines if line.get("route") == "/readyz"]
    assert {line["request_id"] for line in logged} == ids
    assert all(line["status"] == 200 and line["method"] == "GET" for line in logged)
