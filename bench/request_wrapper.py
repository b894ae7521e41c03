"""What the request wrapper (trace/api/access.py) costs a request: id, metrics, log line.

Run from the project root::

    .venv/bin/python bench/request_wrapper.py

The wrapper is called around an ASGI app that answers at once, with the scope of a phone's
page request, in four variants: the inner app alone; the wrapper with the metrics and the
request log off (the request id and its header); with the metrics on (multi-process mode,
files in a temporary directory, as ``serve`` runs them); and with the JSON request log too
(written to ``/dev/null`` with the same single ``write`` as to standard output). Rounds are
interleaved; the table gives the median CPU microseconds per call of this process. A
markdown table goes to stdout.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
# The standard library has a module named `trace`: our root must come first.
if str(ROOT) not in sys.path[:1]:
    sys.path.insert(0, str(ROOT))

from trace.api.access import observe_requests  # noqa: E402
from trace.config import Settings  # noqa: E402
from trace.observe.metrics import use_directory  # noqa: E402

HEADERS = [
    (b"host", b"trace.example.vn"),
    (b"user-agent", b"Mozilla/5.0 (Linux; Android 14; SM-A155F) Chrome/126.0.0.0 Mobile"),
    (b"accept", b"text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"),
    (b"accept-language", b"vi-VN,vi;q=0.9,en-US;q=0.8,en;q=0.7"),
    (b"accept-encoding", b"gzip"),
]


async def _inner(scope: Any, receive: Any, send: Any) -> None:
    scope["path_template"] = "/01/{gtin}/10/{lot}"
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b""})


async def _send(message: Any) -> None:
    return None


async def _receive() -> dict[str, Any]:
    return {"type": "http.request", "body": b"", "more_body": False}


def _scope() -> dict[str, Any]:
    return {
        "type": "http",
        "method": "GET",
        "path": "/01/08936047000128/10/BD-2026-09",
        "headers": HEADERS,
        "client": ("203.0.113.54", 40000),
        "state": {},
    }


async def measure(count: int, rounds: int) -> list[str]:
    base = Settings(
        database_url="sqlite://",
        data_dir=Path(tempfile.gettempdir()),
        public_url="https://trace.example.vn",
        master_key_b64=None,
        max_body_bytes=1,
    )
    variants: dict[str, Any] = {
        "the inner app alone": _inner,
        "the wrapper, TRACE_METRICS=0, TRACE_ACCESS_LOG=0": observe_requests(
            _inner, dataclasses.replace(base, metrics=False, access_log=False)
        ),
        "the wrapper, metrics on, TRACE_ACCESS_LOG=0": observe_requests(
            _inner, dataclasses.replace(base, access_log=False)
        ),
        "the wrapper, metrics on, the JSON request log": observe_requests(_inner, base),
    }
    cpu: dict[str, list[float]] = {name: [] for name in variants}
    null, saved = os.open(os.devnull, os.O_WRONLY), os.dup(1)
    try:
        for i in range(rounds):
            names = list(variants)
            names = names[i % len(names) :] + names[: i % len(names)]
            for name in names:
                app = variants[name]
                sys.stdout.flush()
                os.dup2(null, 1)
                try:
                    started = time.process_time()
                    for _ in range(count):
                        await app(_scope(), _receive, _send)
                    cpu[name].append((time.process_time() - started) / count * 1e6)
                finally:
                    os.dup2(saved, 1)
    finally:
        os.close(null)
        os.close(saved)
    first = statistics.median(cpu["the inner app alone"])
    lines = ["| what runs per request | CPU µs (median) | over the inner app |", "|---|---:|---:|"]
    for name, values in cpu.items():
        value = statistics.median(values)
        lines.append(f"| {name} | {value:.2f} | {value - first:+.2f} |")
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--count", type=int, default=50_000, help="calls per round")
    parser.add_argument("--rounds", type=int, default=8, help="interleaved rounds")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-wrapper-") as directory:
        use_directory(Path(directory))
        lines = asyncio.run(measure(args.count, args.rounds))
    print(f"count={args.count} rounds={args.rounds} nproc={os.cpu_count()}\n")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
