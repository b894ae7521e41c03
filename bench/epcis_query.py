"""Part 2 of bench/epcis.py: ``MATCH_anyEPCClass`` over a million records, in-process.

The records are loaded the fastest honest way: the store's own append transaction
(``append_group``: every statement parsed, checked against the ledger's rules, chained,
its leaf added to the Merkle tree) in large groups, in this process, each statement
signed with the producer's custodial key; then the "epcis" projection catches up as the
service's would. The database keeps what it needs to be queried again (``--keep``,
``--skip-load``) in a small meta table.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import multiprocessing
import os
import random
import secrets
import statistics
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg  # type: ignore[import-untyped]
from epcis_events import gtin, observations, registration
from harness import admin_sql, log, pg_dsn
from sqlalchemy import func, select, text

from trace.config import Settings, load_settings
from trace.domain.agency import AgencyKind
from trace.domain.errors import DomainError
from trace.epcis.index import EpcisIndex
from trace.epcis.query import _select, find_events, parse_query, query_document
from trace.epcis.subjects import BatchRef
from trace.store.agencies import Actor, create_agency, private_key
from trace.store.append import custody_signed, new_batch_id, to_pending
from trace.store.database import read_transaction, write_transaction
from trace.store.group import append_group
from trace.store.ledger import Ledger, open_ledger
from trace.store.migrate import migrate
from trace.store.projections import catch_up
from trace.store.tables import epcis_events

PUBLIC_URL = "https://truyxuat.example.vn"
META = "bench_epcis_meta"
REGISTERED_AT = "2026-02-20T07:00:00+07:00"
SHAPES = (
    "EQ_eventID, one event (reference)",
    "MATCH_anyEPCClass, one lot",
    "MATCH_anyEPCClass, a GTIN's pattern (every lot)",
)


@dataclass
class Shape:
    rates: list[float] = field(default_factory=list)
    latencies_ms: list[float] = field(default_factory=list)
    events: list[int] = field(default_factory=list)


@dataclass
class QueryResult:
    records: int
    lots: int
    products: int
    loaders: int = 0
    load_seconds: float | None = None
    index_seconds: float | None = None
    shapes: dict[str, Shape] = field(default_factory=lambda: {s: Shape() for s in SHAPES})
    plans: dict[str, str] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    def table(self) -> list[str]:
        lines = [
            f"### Queries over {self.records:,} records ({self.lots:,} lots of"
            f" {self.products:,} GTINs)",
            "",
        ]
        if self.load_seconds is not None and self.index_seconds is not None:
            lines += [
                f"Appended in {self.load_seconds:,.0f} s by `append_group` from {self.loaders}"
                f" processes ({self.records / self.load_seconds:,.0f} records/s); the epcis"
                f" projection, following in another, done {self.index_seconds:,.0f} s after the"
                " start.",
                "",
            ]
        reference = statistics.median(self.shapes[SHAPES[0]].rates)
        lines += [
            "| query (first page, 30 events) | queries/s, median (range) | p50 ms | p99 ms |"
            " events a page | over the reference |",
            "|---|---:|---:|---:|---:|---:|",
        ]
        for name, shape in self.shapes.items():
            rate = statistics.median(shape.rates)
            ordered = sorted(shape.latencies_ms)
            p50, p99 = (
                ordered[len(ordered) // 2],
                ordered[min(len(ordered) - 1, len(ordered) * 99 // 100)],
            )
            lines.append(
                f"| {name} | {rate:,.0f} ({min(shape.rates):,.0f}–{max(shape.rates):,.0f}) |"
                f" {p50:.1f} | {p99:.1f} | {statistics.median(shape.events):.0f} |"
                f" {rate / reference:.2f} |"
            )
        for name, plan in self.plans.items():
            lines += ["", f"`EXPLAIN (ANALYZE, BUFFERS)` of {name}:", "", "```", plan, "```"]
        lines += [f"**Problem:** {p}" for p in self.problems]
        return lines


# --------------------------------------------------------------------------- database


@dataclass
class QueryDatabase:
    name: str
    url: str
    settings: Settings
    meta: dict[str, Any]


def _settings(url: str, master_key: str, workdir: Path) -> Settings:
    env = dict(os.environ)
    env.pop("TRACE_LOG_ORIGIN", None)
    (workdir / "data").mkdir(exist_ok=True)
    env.update(
        TRACE_DATABASE_URL=url,
        TRACE_MASTER_KEY=master_key,
        TRACE_DATA_DIR=str(workdir / "data"),
        TRACE_PUBLIC_URL=PUBLIC_URL,
    )
    return load_settings(env)


async def _meta(url: str, values: Mapping[str, Any] | None = None) -> dict[str, Any]:
    conn = await asyncpg.connect(url)
    try:
        if values is not None:
            await conn.execute(
                f"CREATE TABLE IF NOT EXISTS {META} (name TEXT PRIMARY KEY, value TEXT)"
            )
            for name, value in values.items():
                await conn.execute(
                    f"INSERT INTO {META} VALUES ($1, $2) ON CONFLICT (name) DO UPDATE"
                    " SET value = excluded.value",
                    name,
                    json.dumps(value),
                )
        rows = await conn.fetch(f"SELECT name, value FROM {META}")
    finally:
        await conn.close()
    return {row["name"]: json.loads(row["value"]) for row in rows}


def _lots(meta: Mapping[str, Any]) -> list[BatchRef]:
    return [
        BatchRef(batch_id, gtin(n % meta["products"]).zfill(14), f"L{n:06d}", "")
        for n, batch_id in enumerate(meta["lots"])
    ]


# --------------------------------------------------------------------------- loading


@dataclass(frozen=True)
class Loader:
    """What each loading process needs: the database, the producer, its lots, its share."""

    url: str
    master_key: str
    workdir: str
    agency: str
    key: str
    lots: list[str]
    records: int
    group: int
    processes: int
    share: int  # this process appends the groups numbered share, share + processes, ...


async def _append_share(loader: Loader) -> None:
    """Append this process's groups of observations through ``append_group``."""
    settings = _settings(loader.url, loader.master_key, Path(loader.workdir))
    ledger = open_ledger(settings)
    actor = Actor(loader.agency, AgencyKind.PRODUCER, None, custodial_key=loader.key)
    refs = [BatchRef(lot, None, "", "") for lot in loader.lots]
    try:
        async with read_transaction(ledger.engine) as conn:
            secret = await private_key(ledger, conn, loader.key)
        firsts = range(len(refs), loader.records, loader.group)
        for first in firsts[loader.share :: loader.processes]:
            count = min(loader.group, loader.records - first)
            pending = [
                to_pending(
                    actor,
                    custody_signed(
                        loader.agency,
                        loader.key,
                        secret,
                        batch=o.batch.id,
                        kind=o.kind.value,
                        occurred_at=o.occurred_at,
                        body=o.body,
                    ),
                )
                for o in observations(refs, count, first)
            ]
            async with write_transaction(ledger.engine) as conn:
                outcomes = await append_group(conn, pending, tree=ledger.maintain_tree)
            refused = [o for o in outcomes if isinstance(o, DomainError)]
            if refused:
                raise RuntimeError(f"the load was refused: {refused[0]!r}")
    finally:
        await ledger.close()


def append_share(loader: Loader) -> None:
    """A loading process."""
    asyncio.run(_append_share(loader))


async def _register(settings: Settings, args: argparse.Namespace) -> tuple[str, str, list[str]]:
    """The producer and its lots, registered through ``append_group``."""
    ledger = open_ledger(settings)
    try:
        agency, key, _token = await create_agency(
            ledger, name="HTX Nông nghiệp Mỹ Tú", kind=AgencyKind.PRODUCER, province="92"
        )
        actor = Actor(agency.id, AgencyKind.PRODUCER, None, custodial_key=key)
        async with read_transaction(ledger.engine) as conn:
            secret = await private_key(ledger, conn, key)
        lots = [new_batch_id() for _ in range(args.batches)]
        for first in range(0, len(lots), args.group):
            pending = [
                to_pending(
                    actor,
                    custody_signed(
                        agency.id,
                        key,
                        secret,
                        batch=lot,
                        kind="registered",
                        occurred_at=REGISTERED_AT,
                        body=registration(n % args.products, f"L{n:06d}"),
                    ),
                )
                for n, lot in enumerate(lots[first : first + args.group], start=first)
            ]
            async with write_transaction(ledger.engine) as conn:
                outcomes = await append_group(conn, pending, tree=ledger.maintain_tree)
            if any(isinstance(o, DomainError) for o in outcomes):
                raise RuntimeError(f"a registration was refused: {outcomes}")
        return agency.id, key, lots
    finally:
        await ledger.close()


async def _log_size(url: str) -> tuple[int, int]:
    conn = await asyncpg.connect(url)
    try:
        size = await conn.fetchval("SELECT size FROM log_head")
        indexed = await conn.fetchval(
            "SELECT coalesce(max(position), -1) + 1 FROM projection_positions WHERE name = 'epcis'"
        )
    finally:
        await conn.close()
    return int(size), int(indexed)


def _load(
    settings: Settings, args: argparse.Namespace, url: str, master: str, result: QueryResult
) -> None:
    """Register the lots, then append from ``--loaders`` processes while another indexes."""
    began = time.perf_counter()
    agency, key, lots = asyncio.run(_register(settings, args))
    asyncio.run(_meta(url, {"lots": lots, "products": args.products, "records": args.records}))
    spawn = multiprocessing.get_context("spawn")
    workdir = str(settings.data_dir.parent)
    loaders = [
        spawn.Process(
            target=append_share,
            args=(
                Loader(
                    url,
                    master,
                    workdir,
                    agency,
                    key,
                    lots,
                    args.records,
                    args.group,
                    args.loaders,
                    n,
                ),
            ),
        )
        for n in range(args.loaders)
    ]
    follower = spawn.Process(target=follow, args=(url, master, workdir, args.records))
    for process in [*loaders, follower]:
        process.start()
    try:
        while any(p.is_alive() for p in loaders):
            time.sleep(10)
            size, _ = asyncio.run(_log_size(url))
            log(f"-- appended {size:,} records, {size / (time.perf_counter() - began):,.0f}/s")
        result.load_seconds = time.perf_counter() - began
        if any(p.exitcode for p in loaders):
            raise RuntimeError("a loading process failed")
        follower.join()
        if follower.exitcode:
            raise RuntimeError("the indexing process failed")
        result.index_seconds = time.perf_counter() - began
    finally:
        for process in [*loaders, follower]:
            if process.is_alive():
                process.terminate()  # a process this bench started
                process.join()


async def _follow(settings: Settings, records: int) -> None:
    """Catch the "epcis" projection up with the log until it holds ``records`` records."""
    ledger = open_ledger(settings)
    index = EpcisIndex(PUBLIC_URL)
    try:
        reached = 0
        while reached < records:
            reached = await catch_up(ledger, index)
            if reached < records:
                await asyncio.sleep(1.0)
    finally:
        await ledger.close()


def follow(url: str, master_key: str, workdir: str, records: int) -> None:
    """The indexing process: follows the load as the service's projection would."""
    asyncio.run(_follow(_settings(url, master_key, Path(workdir)), records))


def _database(args: argparse.Namespace, workdir: Path, result: QueryResult) -> QueryDatabase:
    """The kept database of ``--skip-load``, or a new one loaded."""
    if args.skip_load:
        url = pg_dsn(args.postgres_url, args.skip_load)
        if not args.no_migrate:
            migrate(url)  # a migration newer than the load (an index) applies to the kept rows
        meta = asyncio.run(_meta(url))
        return QueryDatabase(args.skip_load, url, _settings(url, meta["master_key"], workdir), meta)
    name = f"bench_epcis_query_{os.getpid()}"
    asyncio.run(admin_sql(args.postgres_url, f'DROP DATABASE IF EXISTS "{name}"'))
    asyncio.run(admin_sql(args.postgres_url, f'CREATE DATABASE "{name}"'))
    url = pg_dsn(args.postgres_url, name)
    master_key = base64.b64encode(secrets.token_bytes(32)).decode()
    try:
        migrate(url)
        asyncio.run(_meta(url, {"master_key": master_key}))
        settings = _settings(url, master_key, workdir)
        _load(settings, args, url, master_key, result)
        asyncio.run(_vacuum(url))
        return QueryDatabase(name, url, settings, asyncio.run(_meta(url)))
    except BaseException:
        _drop(args, name)
        raise


async def _vacuum(url: str) -> None:
    conn = await asyncpg.connect(url)
    try:
        await conn.execute("VACUUM ANALYZE")
    finally:
        await conn.close()


def _drop(args: argparse.Namespace, name: str) -> None:
    asyncio.run(admin_sql(args.postgres_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


# --------------------------------------------------------------------------- queries


def _pattern(ref: BatchRef) -> str:
    """The EPC pattern of every lot of ``ref``'s GTIN (TDS 2.1: company prefix of 7 digits)."""
    assert ref.gtin is not None
    digits = ref.gtin.zfill(14)
    return f"urn:epc:idpat:sgtin:{digits[1:8]}.{digits[0]}{digits[8:13]}.*"


async def _event_ids(ledger: Ledger, count: int) -> list[str]:
    async with read_transaction(ledger.engine) as conn:
        rows = await conn.execute(
            select(epcis_events.c.event_id).order_by(func.random()).limit(count)
        )
        return [row[0] for row in rows]


def _params(shape: str, lots: Sequence[BatchRef], event_ids: Sequence[str]) -> dict[str, list[str]]:
    if shape == SHAPES[0]:
        return {"EQ_eventID": [random.choice(event_ids)]}
    lot = random.choice(lots)
    if shape == SHAPES[1]:
        return {"MATCH_anyEPCClass": [lot.epc_class(PUBLIC_URL)]}
    return {"MATCH_anyEPCClass": [_pattern(lot)]}


async def _answer(ledger: Ledger, index: EpcisIndex, params: Mapping[str, Sequence[str]]) -> int:
    """What ``GET /epcis/events`` does with ``params`` after its audit entry; the page's size."""
    query = parse_query(params)
    await catch_up(ledger, index)
    async with read_transaction(ledger.engine) as conn:
        events, _after = await find_events(conn, query)
    query_document(events)
    return len(events)


async def _measure(db: QueryDatabase, args: argparse.Namespace, result: QueryResult) -> None:
    ledger = open_ledger(db.settings)
    index = EpcisIndex(PUBLIC_URL)
    lots = _lots(db.meta)
    try:
        began = time.perf_counter()
        indexed = await catch_up(ledger, index)  # a kept load may be ahead of its index
        log(
            f"-- the epcis projection holds {indexed:,} records"
            f" ({time.perf_counter() - began:.0f} s to catch up)"
        )
        result.records = indexed
        event_ids = await _event_ids(ledger, 1000)
        for run in range(args.runs):
            for shape in SHAPES:
                seen = result.shapes[shape]
                count = 0
                began = time.perf_counter()
                while time.perf_counter() - began < args.seconds:
                    params = _params(shape, lots, event_ids)
                    started = time.perf_counter()
                    size = await _answer(ledger, index, params)
                    seen.latencies_ms.append((time.perf_counter() - started) * 1000)
                    seen.events.append(size)
                    count += 1
                    if size == 0:
                        result.problems.append(f"{shape} found nothing for {params}")
                rate = count / (time.perf_counter() - began)
                seen.rates.append(rate)
                log(f"-- run {run + 1}, {shape}: {rate:,.0f} queries/s")
        for shape in SHAPES[1:]:
            result.plans[shape] = await _explain(ledger, _params(shape, lots, event_ids))
    finally:
        await ledger.close()


async def _explain(ledger: Ledger, params: Mapping[str, Sequence[str]]) -> str:
    sql = _select(parse_query(params)).compile(
        dialect=ledger.engine.dialect, compile_kwargs={"literal_binds": True}
    )
    async with read_transaction(ledger.engine) as conn:
        rows = await conn.execute(text(f"EXPLAIN (ANALYZE, BUFFERS) {sql}"))
        return "\n".join(row[0] for row in rows)


def run_queries(args: argparse.Namespace, workdir: Path) -> QueryResult:
    """Part 2: load (or reuse) the database, query it, drop it unless kept."""
    result = QueryResult(args.records, args.batches, args.products, args.loaders)
    db = _database(args, workdir, result)
    result.products = db.meta["products"]
    result.lots = len(db.meta["lots"])
    try:
        asyncio.run(_measure(db, args, result))
    finally:
        if args.keep or args.skip_load:
            log(f"-- kept database {db.name} (--skip-load {db.name})")
        else:
            _drop(args, db.name)
    return result
