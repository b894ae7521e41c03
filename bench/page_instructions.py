"""The public page's warm requests in instructions, not seconds: the same on a busy machine.

Run from the project root (see bench/README.md); Debian's valgrind is needed::

    .venv/bin/python bench/page_instructions.py [--against DIR]

The demo is loaded into a throwaway SQLite file; then the ASGI application (no HTTP server,
its background tasks paused) answers requests straight from this process, run under
``valgrind --tool=callgrind``, which counts the instructions executed. Each kind of request
(static ``/robots.txt``, the pomelo page warm 200 with gzip, warm 304) is counted in a run
of ``--few`` and a run of ``--many`` requests; the difference divided by the difference in
requests is the cost of one request, start-up and warm-up cancelled out. The count is the
same however busy the machine is (wall-clock rates are not: the machine is shared), so two
versions of the code can be compared on a noisy machine: ``--against DIR`` counts another
checkout of the project (a ``git worktree`` at an older commit, say) in the same way, with
its own ``bench/page.py`` and its own demo.

A markdown table goes to stdout, progress to stderr. About 2 minutes a count on an idle core;
two counts run at once.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import os
import re
import secrets
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
KINDS = {"static": "static `/robots.txt`", "w200": "warm 200 (gzip)", "w304": "warm 304"}
HASH_SEED = "0"  # the same dictionary layouts in every run, so the counts repeat


def _log(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def _environment(workdir: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["TRACE_MASTER_KEY"] = (workdir / "key").read_text()
    env["TRACE_DATA_DIR"] = str(workdir / "data")
    env["TRACE_PUBLIC_URL"] = "https://trace.example.vn"
    env["TRACE_DATABASE_URL"] = f"sqlite:///{workdir / 'data' / 'trace.sqlite3'}"
    env["TRACE_PAGE_RATE"] = "0"
    # The checkpointer and the webhook delivery would run for as long as valgrind takes.
    env["TRACE_CHECKPOINT_SECONDS"] = "1000000"
    env["TRACE_WEBHOOK_POLL_SECONDS"] = "1000000"
    return env


def _import_checkout(root: Path) -> Any:
    """The checkout's ``bench/page.py`` (and with it, its ``trace``) as a module."""
    sys.path[:0] = [str(root), str(root / "bench")]
    import page

    return page


def prepare(root: Path, workdir: Path) -> None:
    """Migrate a SQLite file under ``workdir`` and load the demo, as ``root``'s code does."""
    (workdir / "data").mkdir(parents=True)
    (workdir / "key").write_text(base64.b64encode(secrets.token_bytes(32)).decode())
    page = _import_checkout(root)
    from trace.config import load_settings
    from trace.store.migrate import migrate

    settings = load_settings(_environment(workdir))
    migrate(settings.database_url)
    asyncio.run(page._demo(settings))


def answer(root: Path, workdir: Path, kind: str, count: int) -> None:
    """Start the app, warm it up, then answer ``count`` requests of ``kind``."""
    page = _import_checkout(root)
    from trace.api.app import create_app
    from trace.config import load_settings

    settings = load_settings(_environment(workdir))

    async def run() -> None:
        app: Any = create_app(settings)
        async with app.lifespan():
            etag: dict[str, str] = {}

            async def send(message: dict[str, Any]) -> None:
                if message["type"] == "http.response.start":
                    etag.update(
                        (k.decode().lower(), v.decode())
                        for k, v in message["headers"]
                        if k.lower() == b"etag"
                    )

            async def receive() -> dict[str, Any]:
                return {"type": "http.request", "body": b"", "more_body": False}

            await app(page._scope(page.POMELO, page.PHONE), receive, send)
            for _ in range(20):
                await page._call(app, page.STATIC, page.PHONE)
                await page._call(app, page.POMELO, page.PHONE)
            path = page.STATIC if kind == "static" else page.POMELO
            headers = dict(page.PHONE)
            if kind == "w304":
                headers["If-None-Match"] = etag["etag"]
            for _ in range(count):
                status, _size = await page._call(app, path, headers)
                assert status == (304 if kind == "w304" else 200), status

    asyncio.run(run())


def count(root: Path, workdir: Path, kind: str, requests: int) -> int:
    """Instructions of a whole run of ``answer`` under callgrind."""
    command = [
        "valgrind",
        "--tool=callgrind",
        "--callgrind-out-file=/dev/null",
        sys.executable,
        __file__,
        "--answer",
        str(root),
        str(workdir),
        kind,
        str(requests),
    ]
    env = {**os.environ, "PYTHONHASHSEED": HASH_SEED, "PYTHONPATH": str(root)}
    done = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
    found = re.search(r"Collected\s*:\s*(\d+)", done.stderr)
    if done.returncode != 0 or found is None:
        raise RuntimeError(f"callgrind run failed ({done.returncode}):\n{done.stderr[-2000:]}")
    return int(found.group(1))


def per_request(root: Path, workdir: Path, few: int, many: int) -> dict[str, float]:
    """Instructions per request of each kind, for the checkout at ``root``."""
    jobs = {(kind, n): (kind, n) for kind in KINDS for n in (few, many)}
    with ThreadPoolExecutor(max_workers=2) as pool:
        counted = dict(
            zip(jobs, pool.map(lambda job: count(root, workdir, *job), jobs.values()), strict=True)
        )
    for (kind, n), value in sorted(counted.items()):
        _log(f"   {root.name or root}: {kind} × {n}: {value:,} instructions")
    return {kind: (counted[(kind, many)] - counted[(kind, few)]) / (many - few) for kind in KINDS}


def main() -> int:
    if len(sys.argv) > 1 and sys.argv[1] == "--answer":
        answer(Path(sys.argv[2]), Path(sys.argv[3]), sys.argv[4], int(sys.argv[5]))
        return 0
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--against", type=Path, help="another checkout to count the same way")
    parser.add_argument("--few", type=int, default=100, help="requests of the short run")
    parser.add_argument("--many", type=int, default=1100, help="requests of the long run")
    args = parser.parse_args()
    roots = [ROOT] + ([args.against.resolve()] if args.against else [])
    results: dict[Path, dict[str, float]] = {}
    with tempfile.TemporaryDirectory(prefix="bench-instructions-") as tmp:
        for number, root in enumerate(roots):
            workdir = Path(tmp) / str(number)
            _log(f"-- {root}: loading the demo")
            subprocess.run(
                [sys.executable, __file__, "--prepare", str(root), str(workdir)],
                env={**os.environ, "PYTHONPATH": str(root)},
                check=True,
            )
            _log(f"-- {root}: counting under callgrind")
            results[root] = per_request(root, workdir, args.few, args.many)
    head = "| request | " + " | ".join(
        f"{'this checkout' if r == ROOT else r.name}: instructions | vs static" for r in roots
    )
    lines = [head + " |", "|---" + "|---:|---:" * len(roots) + "|"]
    for kind, name in KINDS.items():
        cells = []
        for root in roots:
            value = results[root][kind]
            cells.append(f"{value:,.0f} | {value / results[root]['static']:.2f}")
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--prepare":
        prepare(Path(sys.argv[2]), Path(sys.argv[3]))
        raise SystemExit(0)
    raise SystemExit(main())
