"""Backup, restore and copy-to on a ledger of many records, against the audit of the same ledger.

Run from the project root (see bench/README.md)::

    .venv/bin/python bench/backup.py --records 20000 --runs 3

In a temporary directory, the store appends ``--records`` records (default 20,000) to 200
batches of two producers through ``append_unsigned`` in rounds gathered at once, with a
checkpoint at the end, into an SQLite file. Then, ``--runs`` times interleaved, each into
fresh targets:

- ``audit (reference)``: `verify`'s audit of the SQLite ledger: every chain, signature,
  tree node and checkpoint;
- ``backup, SQLite``: `backup` (online backup API, manifest, scrypt at the full cost);
- ``restore, SQLite``: `restore` of that backup into a new file (checks, copy, migrate,
  then the proof, which includes an audit);
- ``copy-to PostgreSQL``: `copy-to` into a new database on ``--postgres-url`` (migrate,
  copy, projections rebuilt, proof with an audit);
- ``backup, PostgreSQL``: `backup` of that copy (pg_dump from an exported snapshot);
- ``restore, PostgreSQL``: `restore` of it into another new database.

Each row: median and range of the wall time, records per second, and the median over the
audit's median of the same run. A markdown report goes to stdout; progress to stderr.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import os
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path[:1]:
    sys.path.insert(0, str(ROOT))

from harness import (  # noqa: E402
    DEFAULT_POSTGRES,
    add_postgres_option,
    demo_environment,
    log,
    scratch_database,
)

from trace.backup.copy import copy_ledger  # noqa: E402
from trace.backup.make import make_backup  # noqa: E402
from trace.backup.restore import restore_backup  # noqa: E402
from trace.config import Settings, load_settings  # noqa: E402
from trace.domain.agency import AgencyKind  # noqa: E402
from trace.store.agencies import Actor, create_agency  # noqa: E402
from trace.store.append import append_unsigned, new_batch_id  # noqa: E402
from trace.store.audit import audit  # noqa: E402
from trace.store.checkpoints import sign_checkpoint  # noqa: E402
from trace.store.ledger import open_ledger  # noqa: E402
from trace.store.migrate import migrate  # noqa: E402

PASSPHRASE = "ba con cá vàng bơi dưới ao sen"
OCCURRED_AT = "2026-09-01T07:00:00+07:00"
BATCHES = 200
ROUND = 200
STEPS = (
    "audit (reference)",
    "backup, SQLite",
    "restore, SQLite",
    "copy-to PostgreSQL",
    "backup, PostgreSQL",
    "restore, PostgreSQL",
)


async def load(settings: Settings, records: int) -> None:
    """Append ``records`` records over :data:`BATCHES` batches, then sign a checkpoint."""
    ledger = open_ledger(settings)
    try:
        actors = []
        for name in ("HTX Lúa Sóc Trăng", "HTX Bưởi Diễn"):
            agency, key_id, _ = await create_agency(
                ledger, name=name, kind=AgencyKind.PRODUCER, province="01"
            )
            actors.append(Actor(agency.id, AgencyKind.PRODUCER, None, custodial_key=key_id))
        batches = [new_batch_id() for _ in range(BATCHES)]
        for n, batch in enumerate(batches):
            body = {"product": "Gạo ST25", "lot": f"L-{n}", "origin": {"province": "01"}}
            await append_unsigned(
                ledger,
                actors[n % 2],
                batch=batch,
                kind="registered",
                occurred_at=OCCURRED_AT,
                body=body,
            )
        for start in range(BATCHES, records, ROUND):
            await asyncio.gather(
                *(
                    append_unsigned(
                        ledger,
                        actors[(n % BATCHES) % 2],
                        batch=batches[n % BATCHES],
                        kind="harvested",
                        occurred_at=OCCURRED_AT,
                        body={"quantity": {"value": str(n % 900 + 1), "unit": "KGM"}},
                    )
                    for n in range(start, min(start + ROUND, records))
                )
            )
            if start // ROUND % 20 == 0:
                log(f"   {start:,} / {records:,} appended")
        await sign_checkpoint(ledger, settings.log_origin)
    finally:
        await ledger.close()


async def _audit(settings: Settings) -> None:
    ledger = open_ledger(settings)
    try:
        report = await audit(ledger)
        assert report.intact, report.faults[:3]
    finally:
        await ledger.close()


def one_run(
    settings: Settings, workdir: Path, server: str, run: int, times: dict[str, list[float]]
) -> None:
    """Each step once, in order, each into new targets; its wall time into ``times``."""
    here = workdir / f"run-{run}"
    drops: list[Callable[[], None]] = []

    def timed(step: str, work: Callable[[], object]) -> None:
        began = time.perf_counter()
        work()
        times[step].append(time.perf_counter() - began)
        log(f"   run {run}: {step} {times[step][-1]:.2f} s")

    try:
        timed(STEPS[0], lambda: asyncio.run(_audit(settings)))
        timed(STEPS[1], lambda: make_backup(settings, here / "backup-sqlite", PASSPHRASE))
        restored = dataclasses.replace(
            settings,
            database_url=f"sqlite:///{here / 'restored' / 'trace.sqlite3'}",
            data_dir=here / "restored",
            master_key_b64=None,
        )
        timed(STEPS[2], lambda: restore_backup(restored, here / "backup-sqlite", PASSPHRASE))
        copy_url, drop = scratch_database(server, f"bench_backup_{os.getpid()}_{run}_copy")
        drops.append(drop)
        timed(STEPS[3], lambda: copy_ledger(settings, copy_url))
        copied = dataclasses.replace(settings, database_url=copy_url)
        timed(STEPS[4], lambda: make_backup(copied, here / "backup-pg", PASSPHRASE))
        back_url, drop = scratch_database(server, f"bench_backup_{os.getpid()}_{run}_back")
        drops.append(drop)
        back = dataclasses.replace(
            settings, database_url=back_url, data_dir=here / "back", master_key_b64=None
        )
        timed(STEPS[5], lambda: restore_backup(back, here / "backup-pg", PASSPHRASE))
    finally:
        for drop in drops:
            drop()
        shutil.rmtree(here, ignore_errors=True)


def table(times: dict[str, list[float]], records: int) -> str:
    reference = statistics.median(times[STEPS[0]])
    lines = [
        "| step | median s | range s | records/s | × audit |",
        "|---|---:|---:|---:|---:|",
    ]
    for step in STEPS:
        median = statistics.median(times[step])
        lines.append(
            f"| {step} | {median:.2f} | {min(times[step]):.2f}–{max(times[step]):.2f} "
            f"| {records / median:,.0f} | {median / reference:.2f} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--records", type=int, default=20_000, help="records in the ledger")
    parser.add_argument("--runs", type=int, default=3, help="runs, interleaved (median, range)")
    add_postgres_option(parser)
    args = parser.parse_args(argv)
    server = args.postgres_url or os.environ.get("TRACE_BENCH_POSTGRES_URL", DEFAULT_POSTGRES)

    started = time.perf_counter()
    workdir = Path(tempfile.mkdtemp(prefix="bench-backup-"))
    log(f"== setting up in {workdir}")
    env, _, drop = demo_environment(workdir, "https://trace.example.vn", None, "unused")
    times: dict[str, list[float]] = {step: [] for step in STEPS}
    try:
        settings = load_settings(env)
        migrate(settings.database_url)
        asyncio.run(load(settings, args.records))
        for run in range(args.runs):
            one_run(settings, workdir, server, run, times)
    finally:
        drop()
        shutil.rmtree(workdir, ignore_errors=True)
    log(f"== done in {time.perf_counter() - started:.0f} s")
    print(f"nproc={os.cpu_count()} records={args.records:,} runs={args.runs}\n")
    print(table(times, args.records))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
