"""The log's tiles (issue 18): what serving a tile costs, against /healthz in the same run.

Run from the project root (see bench/README.md)::

    .venv/bin/python bench/tiles.py --records 1024 --seconds 3 --runs 5 [--postgres-url]

A throwaway deployment (SQLite file, or a new PostgreSQL database with ``--postgres-url``):
``python -m trace demo``, then batches registered over HTTP until the log holds
``--records`` records, and ``python -m trace serve`` (one worker) as the server under test.
One client, one keep-alive connection, requests one after another for ``--seconds`` per
path, the paths interleaved over ``--runs`` rounds; the median rate and the server's CPU
per request are reported, each as a ratio to ``GET /healthz`` (one small read of the
database) measured in the same rounds. Every answer's status and length are checked.

The paths: a full hash tile and a full entry bundle (each read from the database once, then
served from the worker's memory), a partial tile of 255 hashes (a database read every time:
what a full tile costs the first time), and an inclusion proof from the JSON API (what a
client that does not read tiles asks for per record). Markdown on stdout, progress on stderr.
"""

from __future__ import annotations

import argparse
import http.client
import json
import random
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from harness import ROOT, Meter, Server, add_postgres_option, demo_environment, log


@dataclass
class Target:
    """One address measured, and what its answers must be."""

    name: str
    target: object  # a path, or a function giving the next path
    length: int | None  # the body's length, when it is fixed
    rates: list[float] = field(default_factory=list)
    cpu_ms: list[float] = field(default_factory=list)

    def next_path(self) -> str:
        return self.target() if callable(self.target) else str(self.target)


def grow(env: dict[str, str], base: str, records: int) -> None:
    """Register batches over HTTP until the log holds ``records`` records."""
    made = subprocess.run(
        [sys.executable, "-m", "trace", "agency", "add", "--name", "HTX Bench", "--kind",
         "producer", "--json"],
        cwd=ROOT, env=env, capture_output=True, text=True, check=True,
    )  # fmt: skip
    token = json.loads(made.stdout)["token"]
    with urllib.request.urlopen(base + "/healthz") as answer:
        have = json.load(answer)["log_size"]

    def register(n: int) -> None:
        body = {
            "occurred_at": "2026-09-01T07:00:00+07:00",
            "body": {"product": "Bưởi", "lot": f"TB-{n:06d}", "origin": {"province": "01"}},
        }
        request = urllib.request.Request(
            base + "/api/v1/batches",
            data=json.dumps(body).encode(),
            headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"},
        )
        with urllib.request.urlopen(request, timeout=60) as answer:
            assert answer.status == 201

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(register, range(records - have)))


def measure(
    connection: http.client.HTTPConnection, path: Target, seconds: float, group: int
) -> None:
    """One run of ``path``: its rate and the server's CPU per request."""
    done = 0
    with Meter(server_group=group) as meter:
        start = time.perf_counter()
        while time.perf_counter() - start < seconds:
            connection.request("GET", path.next_path())
            answer = connection.getresponse()
            body = answer.read()
            if answer.status != 200 or (path.length is not None and len(body) != path.length):
                raise RuntimeError(f"{path.name}: {answer.status}, {len(body)} bytes")
            done += 1
        elapsed = time.perf_counter() - start
    path.rates.append(done / elapsed)
    path.cpu_ms.append(meter.server / done * 1000)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--records", type=int, default=1024)
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--runs", type=int, default=5)
    add_postgres_option(parser)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        work = Path(scratch)
        env, _, drop = demo_environment(
            work, "http://127.0.0.1", args.postgres_url, f"bench_tiles_{int(time.time())}"
        )
        try:
            if args.postgres_url:  # the embedded database is migrated by the commands
                subprocess.run(
                    [sys.executable, "-m", "trace", "migrate"],
                    cwd=ROOT,
                    env=env,
                    check=True,
                    capture_output=True,
                )
            log("demo")
            subprocess.run(
                [sys.executable, "-m", "trace", "demo"], cwd=ROOT, env=env, check=True,
                capture_output=True,
            )  # fmt: skip
            server = Server(env, work / "server.log")
            try:
                log(f"growing the log to {args.records} records")
                grow(env, server.base, args.records)
                size = args.records
                full = size // 256
                assert full >= 2, "--records: at least 512, for two full tiles"
                paths = [
                    Target("GET /healthz (reference)", "/healthz", None),
                    Target("full hash tile (from memory)", "/tile/0/001", 256 * 32),
                    Target("full entry bundle (from memory)", "/tile/entries/001", 256 * 34),
                    Target("partial tile of 255 (a database read)", "/tile/0/000.p/255", 255 * 32),
                    Target(
                        "inclusion proof, JSON API",
                        lambda: (
                            f"/api/v1/log/proof/inclusion?position="
                            f"{random.randrange(size)}&size={size}"
                        ),
                        None,
                    ),
                ]
                connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
                for round_ in range(args.runs):
                    log(f"round {round_ + 1} of {args.runs}")
                    for path in paths if round_ % 2 == 0 else reversed(paths):
                        measure(connection, path, args.seconds, server.proc.pid)
            finally:
                server.stop()
        finally:
            drop()
    backend = "PostgreSQL" if args.postgres_url else "SQLite"
    reference = paths[0]
    print(f"{backend}, log of {args.records} records, 1 worker, 1 client, keep-alive; "
          f"{args.runs} interleaved runs of {args.seconds} s\n")  # fmt: skip
    print("| path | requests/s (median) | runs (min–max) | × /healthz | server CPU ms/request |")
    print("|---|---:|---|---:|---:|")
    for path in paths:
        rate = statistics.median(path.rates)
        print(
            f"| {path.name} | {rate:,.0f} | {min(path.rates):,.0f}–{max(path.rates):,.0f} | "
            f"{rate / statistics.median(reference.rates):.2f} | "
            f"{statistics.median(path.cpu_ms):.2f} |"
        )


if __name__ == "__main__":
    main()
