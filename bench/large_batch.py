"""A large batch against a small one: every reader of a batch's whole history, timed.

Run from the project root (see bench/README.md)::

    .venv/bin/python bench/large_batch.py --postgres-url --runs 5

In a throwaway database (a database ``bench_large_<pid>`` on ``--postgres-url``, or a
SQLite file in a temporary directory without it) the store appends, through
``append_unsigned`` in rounds gathered at once (so group commit writes each round in a
few transactions), a batch of ``--records`` records (default 20,000), each followed in
the log by ``--between`` records of other batches (default 3), and a batch of
``--small`` records (default 20) spread over the same stretch of the log; then one
checkpoint is signed, so that no request signs one.

Then, for each batch, in this process, into the ASGI application (no HTTP server; the
requests a phone's browser sends, gzip accepted), ``--runs`` times interleaved:

- ``page, first render``: the HTML page with the worker's page cache emptied first (the
  first scan after the log moved: look-up, records read, every signature and the chain
  checked, ancestry, template, gzip);
- ``page, warm``: the same request again, from the page cache;
- ``JSON proofs, first render``: ``?format=json`` with the cache emptied (the facts and,
  for every record, its statement, signature and inclusion proof against one checkpoint:
  what the page's script checks on the phone);
- ``history with proofs``: ``GET /api/v1/batches/{id}/records?limit=500`` page after page
  to the end, each record with its proof bundle;
- ``one bundle``: ``GET /api/v1/log/records/{position}/bundle`` of a record in the middle.

The table gives the median and range of the wall time of each, the bytes answered and the
SQL statements run (the median run's), and the large batch's time over the small one's.
A markdown report goes to stdout; progress to stderr.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, select

ROOT = Path(__file__).resolve().parents[1]
# The standard library has a module named `trace`: our root must come first.
if str(ROOT) not in sys.path[:1]:
    sys.path.insert(0, str(ROOT))

from harness import add_postgres_option, demo_environment, log  # noqa: E402
from page import PHONE, Counted, _call  # noqa: E402

from trace.api.app import create_app  # noqa: E402
from trace.config import Settings, load_settings  # noqa: E402
from trace.domain.agency import AgencyKind  # noqa: E402
from trace.store.agencies import Actor, create_agency  # noqa: E402
from trace.store.append import append_unsigned, new_batch_id  # noqa: E402
from trace.store.batches import Batch, find_batch  # noqa: E402
from trace.store.checkpoints import sign_checkpoint  # noqa: E402
from trace.store.database import read_transaction  # noqa: E402
from trace.store.ledger import Ledger, open_ledger  # noqa: E402
from trace.store.migrate import migrate  # noqa: E402
from trace.store.records import batch_records  # noqa: E402
from trace.store.tables import log_head  # noqa: E402

PUBLIC_URL = "https://trace.example.vn"
OCCURRED_AT = "2026-03-02T07:30:00+07:00"
NEIGHBOURS = 16
ROUND = 256  # appends gathered at once
HISTORY_PAGE = 500
KINDS = [
    "page, first render",
    "page, warm",
    "JSON proofs, first render",
    "history with proofs",
    "one bundle",
]


@dataclass
class Timing:
    """The runs of one request kind against one batch."""

    seconds: list[float] = field(default_factory=list)
    sizes: list[int] = field(default_factory=list)
    statements: list[int] = field(default_factory=list)

    def median(self) -> float:
        return statistics.median(self.seconds)

    def middle(self) -> int:
        """The index of the run with the median time."""
        order = sorted(range(len(self.seconds)), key=self.seconds.__getitem__)
        return order[len(order) // 2]


# --------------------------------------------------------------------------- loading


def _registration(lot: str) -> dict[str, Any]:
    return {"product": "Gạo ST25", "lot": lot, "origin": {"province": "92"}}


async def _agency(ledger: Ledger, name: str) -> Actor:
    agency, key_id, _token = await create_agency(
        ledger, name=name, kind=AgencyKind.PRODUCER, province="92"
    )
    return Actor(agency.id, AgencyKind.PRODUCER, None, custodial_key=key_id)


async def load(settings: Settings, args: argparse.Namespace) -> tuple[str, str]:
    """Append the large batch among the others, and the small one; their ids."""
    ledger = open_ledger(settings)
    try:
        mill, farms = await _agency(ledger, "Nhà máy xay"), await _agency(ledger, "HTX Lúa")
        large, small = new_batch_id(), new_batch_id()
        neighbours = [new_batch_id() for _ in range(NEIGHBOURS)]
        for actor, batch in [(mill, large), (mill, small), *((farms, n) for n in neighbours)]:
            await append_unsigned(
                ledger,
                actor,
                batch=batch,
                kind="registered",
                occurred_at=OCCURRED_AT,
                body=_registration(f"L-{batch[:8]}"),
            )
        steps: list[tuple[Actor, str]] = []
        spread = max(1, args.records // args.small)
        for n in range(1, args.records):
            steps.append((mill, large))
            steps += [(farms, neighbours[(n + k) % NEIGHBOURS]) for k in range(args.between)]
            if n % spread == 0 and n // spread < args.small:
                steps.append((mill, small))

        def harvest(actor: Actor, batch: str, n: int) -> Awaitable[Any]:
            body = {"quantity": {"value": str(n % 1000 + 1), "unit": "KGM"}, "area": f"R-{n}"}
            return append_unsigned(
                ledger, actor, batch=batch, kind="harvested", occurred_at=OCCURRED_AT, body=body
            )

        began = time.perf_counter()
        for start in range(0, len(steps), ROUND):
            rounds = steps[start : start + ROUND]
            await asyncio.gather(*(harvest(a, b, start + i) for i, (a, b) in enumerate(rounds)))
            if start // ROUND % 40 == 0:
                log(f"   {start + len(rounds):,} / {len(steps):,} appended")
        log(f"-- {len(steps):,} appends in {time.perf_counter() - began:.0f} s")
        await sign_checkpoint(ledger, settings.log_origin)
    finally:
        await ledger.close()
    return large, small


# --------------------------------------------------------------------------- measuring


async def measure(
    settings: Settings, batch_ids: list[str], runs: int
) -> tuple[dict[tuple[str, str], Timing], dict[str, Batch], int]:
    """Every request kind against each batch, ``runs`` times; and the log's size."""
    ledger = open_ledger(settings)
    app: Any = create_app(settings, ledger=ledger)
    counted = Counted()
    counted.watch(ledger.engine)
    timings: dict[tuple[str, str], Timing] = {}
    batches: dict[str, Batch] = {}
    middles: dict[str, int] = {}
    try:
        async with read_transaction(ledger.engine) as conn:
            log_size = int((await conn.execute(select(log_head.c.size))).scalar_one())
            for batch_id in batch_ids:
                batch = batches[batch_id] = await find_batch(conn, batch_id)
                chain = await batch_records(conn, batch_id)
                middles[batch_id] = chain[len(chain) // 2].position
        json_headers = {**PHONE, "Accept": "application/json"}

        async def get(path: str, headers: dict[str, str] = PHONE) -> int:
            status, size = await _call(app, path, headers)
            if status != 200:
                raise RuntimeError(f"{path} answered {status}")
            return size

        def steps(batch: Batch) -> dict[str, Callable[[], Awaitable[int]]]:
            path = batch.public_path

            async def first_render() -> int:
                app.state.pages = None  # the worker's page cache, as after the log moved
                return await get(path)

            async def warm() -> int:
                return await get(path)

            async def proofs() -> int:
                app.state.pages = None
                return await get(f"{path}?format=json", json_headers)

            async def history() -> int:
                total = 0
                for after in range(0, batch.version, HISTORY_PAGE):
                    total += await get(
                        f"/api/v1/batches/{batch.id}/records?after={after}&limit={HISTORY_PAGE}",
                        json_headers,
                    )
                return total

            async def bundle() -> int:
                return await get(f"/api/v1/log/records/{middles[batch.id]}/bundle", json_headers)

            return dict(zip(KINDS, (first_render, warm, proofs, history, bundle), strict=True))

        # Every path once before timing (the sqlite page reads' engine is made by the first).
        for batch in batches.values():
            for step in steps(batch).values():
                await step()
        # On SQLite the pages read through an engine of their own; on PostgreSQL through ours.
        engine = getattr(ledger.page_reads, "_engine", None)
        if isinstance(engine, Engine):
            counted.watch_sync(engine)
        for run in range(runs):
            log(f"-- run {run + 1}/{runs}")
            for batch in batches.values():
                for kind, step in steps(batch).items():
                    statements = counted.statements
                    began = time.perf_counter()
                    answered = await step()
                    elapsed = time.perf_counter() - began
                    timing = timings.setdefault((batch.id, kind), Timing())
                    timing.seconds.append(elapsed)
                    timing.sizes.append(answered)
                    timing.statements.append(counted.statements - statements)
                    log(f"   {batch.version:>6,} records  {kind:<26} {elapsed * 1000:9,.1f} ms")
    finally:
        await ledger.close()
    return timings, batches, log_size


# --------------------------------------------------------------------------- report


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:,.1f}" if seconds < 10 else f"{seconds * 1000:,.0f}"


def table(timings: dict[tuple[str, str], Timing], small: Batch, large: Batch) -> str:
    lines = [
        f"| request | {small.version:,}-record batch: ms (median) | bytes | SQL statements"
        f" | {large.version:,}-record batch: ms (median) | runs (min–max) ms | bytes"
        " | SQL statements | ratio |",
        "|---|---:|---:|---:|---:|---|---:|---:|---:|",
    ]
    for kind in KINDS:
        few, many = timings[(small.id, kind)], timings[(large.id, kind)]
        a, b = few.middle(), many.middle()
        lines.append(
            f"| {kind} | {_ms(few.median())} | {few.sizes[a]:,} | {few.statements[a]:,}"
            f" | {_ms(many.median())} | {_ms(min(many.seconds))}–{_ms(max(many.seconds))}"
            f" | {many.sizes[b]:,} | {many.statements[b]:,}"
            f" | {many.median() / few.median():,.0f} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--records", type=int, default=20_000, help="the large batch's records")
    parser.add_argument("--small", type=int, default=20, help="the small batch's records")
    parser.add_argument(
        "--between", type=int, default=3, help="other batches' records after each large one's"
    )
    parser.add_argument("--runs", type=int, default=5, help="runs, interleaved (median, range)")
    add_postgres_option(parser)
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    args = parser.parse_args(argv)

    started = time.perf_counter()
    workdir = Path(tempfile.mkdtemp(prefix="bench-large-"))
    log(f"== setting up in {workdir}")
    env, database, drop = demo_environment(
        workdir, PUBLIC_URL, args.postgres_url, f"bench_large_{os.getpid()}"
    )
    env["TRACE_PAGE_RATE"] = "0"
    try:
        settings = load_settings(env)
        migrate(settings.database_url)
        large_id, small_id = asyncio.run(load(settings, args))
        timings, batches, size = asyncio.run(measure(settings, [large_id, small_id], args.runs))
    finally:
        drop()
        if args.keep:
            log(f"== kept {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    log(f"== done in {time.perf_counter() - started:.0f} s")
    large, small = batches[large_id], batches[small_id]
    print(
        f"nproc={os.cpu_count()} backend={'PostgreSQL' if database else 'SQLite'}"
        f" runs={args.runs} records={large.version:,} small={small.version:,}"
        f" between={args.between} log_size={size:,}\n"
    )
    print(table(timings, small, large))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
