"""Inspectors' queries (issue 6): search, a 10-generation trace and a recall's reach.

Run from the project root (see bench/README.md)::

    .venv/bin/python bench/queries.py --runs 5

On a throwaway PostgreSQL database (``bench_queries_<pid>``, dropped at the end unless
``--keep``; ``--skip-load NAME`` reuses a kept one):

1. **Load.** Two years of a supply chain planned by bench/supply.py (at least
   ``--batches`` batches and ``--records`` records: farm batches, short chains, deep
   trees of splits and merges, recalls), loaded by bench/ledger_load.py as real records:
   agencies made by the store, statements signed with their custodial keys in
   ``--signers`` processes, every record checked against the ledger's rules as the
   append checks it, chained, its tree built by the append's code, all COPYed; then a
   sample of batches verified with ``trace.store.audit.verify_batch``.
2. **Projections.** ``catch_up`` of "search" and "genealogy" from the first record,
   timed; then VACUUM ANALYZE.
3. **Queries**, one at a time, through the functions the API runs (in this process)
   and through HTTP (``python -m trace serve --workers 2``), interleaved run by run:
   a primary-key look-up of a batch (the reference: ``find_batch``, ``GET
   /api/v1/batches/{id}``); eighteen shapes of search (``GET /api/v1/batches``); a
   downstream trace of 10 generations from the roots of the deep trees (``GET
   /api/v1/batches/{id}/trace``); a recall's reach (``GET /api/v1/recalls/{id}/reach``);
   over HTTP only, the officers' console's search and history in words (``GET
   /api/v1/console/search``, ``GET /api/v1/console/batches/{id}/history``, by the session
   cookie the console signs in for) against the API's answers to the same requests by
   token (``GET /api/v1/batches``, ``GET /api/v1/batches/{id}/records``).
   Every inspector query writes its audit entry first, as ``provide_inspector`` does
   (in process the entry's share is timed apart). ``--explain missed`` (the default)
   runs the slowest statement of each shape that missed its target again under
   ``EXPLAIN (ANALYZE, BUFFERS)``; ``--explain all`` every shape's.

A markdown report goes to stdout, progress to stderr.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import http.client
import json
import os
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import unicodedata
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parents[1]
# The standard library has a module named `trace`: our root must come first.
if str(ROOT) not in sys.path[:1]:
    sys.path.insert(0, str(ROOT))

import asyncpg  # type: ignore[import-untyped]  # noqa: E402
import msgspec  # noqa: E402
from harness import (  # noqa: E402
    DEFAULT_POSTGRES,
    Meter,
    Server,
    admin_sql,
    log,
    percentile,
    pg_dsn,
)
from ledger_load import Wanted, load_ledger  # noqa: E402
from sqlalchemy import event, select  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402
from supply import SECOND, VIETNAM  # noqa: E402

from trace.api.genealogy import TraceOut  # noqa: E402
from trace.api.recalls import ReachOut, recall_out  # noqa: E402
from trace.api.schemas import BatchOut  # noqa: E402
from trace.api.search import PROJECTION, search_batches  # noqa: E402
from trace.config import Settings, load_settings  # noqa: E402
from trace.domain.agency import AgencyKind  # noqa: E402
from trace.domain.kinds import EventKind, Scheme  # noqa: E402
from trace.genealogy.holders import load_holders  # noqa: E402
from trace.genealogy.projection import GENEALOGY  # noqa: E402
from trace.genealogy.reach import reach  # noqa: E402
from trace.genealogy.recalls import find_recall  # noqa: E402
from trace.genealogy.walk import Direction, walk  # noqa: E402
from trace.search.query import Disposition, SortOrder  # noqa: E402
from trace.store.agencies import Actor, authenticate, create_token  # noqa: E402
from trace.store.audit_trail import record_query  # noqa: E402
from trace.store.batches import find_batch  # noqa: E402
from trace.store.database import read_transaction  # noqa: E402
from trace.store.ledger import Ledger, open_ledger  # noqa: E402
from trace.store.migrate import migrate  # noqa: E402
from trace.store.projections import catch_up  # noqa: E402
from trace.store.tables import agencies  # noqa: E402

META = "bench_queries_meta"
SEARCH_P95_MS = 50.0
TRACE_P50_MS = 100.0
DEPTH = 10
PAGE = 50
DEEP_PAGE = 21  # the page a cursor is followed to (after 1,000 batches)
PUBLIC_URL = "https://truyxuat.example.vn"
# The officers' console (issue 16) against the API it stands beside, the same requests by
# the same official: the console's group (its cookie) -> the API's group (the token).
CONSOLE_PAIRS = {"console search": "search, the console's", "console history": "history (API)"}
CONSOLE_GROUPS = frozenset(CONSOLE_PAIRS) | frozenset(CONSOLE_PAIRS.values())
CONSOLE_P95_RATIO = 1.5
HISTORIES = 30  # batches whose history is asked for


# --------------------------------------------------------------------------- database


@dataclass
class Bench:
    """The bench database, what opens it, and what the load left in its meta table."""

    database: str
    url: str  # as TRACE_DATABASE_URL
    master_key: str  # base64, as TRACE_MASTER_KEY
    workdir: Path
    fresh: bool
    meta: dict[str, Any] = field(default_factory=dict)

    def env(self) -> dict[str, str]:
        env = dict(os.environ)
        env.pop("TRACE_LOG_ORIGIN", None)
        env["TRACE_DATABASE_URL"] = self.url
        env["TRACE_MASTER_KEY"] = self.master_key
        env["TRACE_DATA_DIR"] = str(self.workdir / "data")
        env["TRACE_PUBLIC_URL"] = PUBLIC_URL
        return env

    @property
    def settings(self) -> Settings:
        return load_settings(self.env())


async def _sql(url: str, *statements: str) -> None:
    conn = await asyncpg.connect(url)
    try:
        for statement in statements:
            await conn.execute(statement)
    finally:
        await conn.close()


async def save_meta(bench: Bench, **values: Any) -> None:
    bench.meta.update(values)
    conn = await asyncpg.connect(bench.url)
    try:
        for name, value in values.items():
            await conn.execute(
                f"INSERT INTO {META} VALUES ($1, $2)"
                " ON CONFLICT (name) DO UPDATE SET value = excluded.value",
                name,
                json.dumps(value),
            )
    finally:
        await conn.close()


def create_database(args: argparse.Namespace, workdir: Path) -> Bench:
    """A new, migrated database with a fresh master key (kept in its meta table)."""
    database = f"bench_queries_{os.getpid()}"
    asyncio.run(admin_sql(args.postgres_url, f'DROP DATABASE IF EXISTS "{database}"'))
    asyncio.run(admin_sql(args.postgres_url, f'CREATE DATABASE "{database}"'))
    url = pg_dsn(args.postgres_url, database)
    key = base64.b64encode(secrets.token_bytes(32)).decode()
    bench = Bench(database, url, key, workdir, True)
    try:
        migrate(url)  # blocking, outside any event loop
        asyncio.run(_sql(url, f"CREATE TABLE {META} (name TEXT PRIMARY KEY, value TEXT)"))
        asyncio.run(save_meta(bench, master_key=key))
    except BaseException:
        drop_database(args, bench)
        raise
    return bench


def open_database(args: argparse.Namespace, workdir: Path) -> Bench:
    """A database an earlier run kept (``--skip-load``)."""
    url = pg_dsn(args.postgres_url, args.skip_load)

    async def read() -> dict[str, Any]:
        conn = await asyncpg.connect(url)
        try:
            rows = await conn.fetch(f"SELECT name, value FROM {META}")
        finally:
            await conn.close()
        return {row["name"]: json.loads(row["value"]) for row in rows}

    try:
        meta = asyncio.run(read())
    except asyncpg.PostgresError as exc:
        raise SystemExit(
            f"{args.skip_load} is not a database made by bench/queries.py: {exc}"
        ) from None
    if "loaded" not in meta:
        raise SystemExit(f"{args.skip_load} was not loaded to the end; load a new one")
    bench = Bench(args.skip_load, url, meta["master_key"], workdir, False, meta)
    migrate(bench.settings.database_url)  # kept by older code: the schema this code reads
    return bench


def drop_database(args: argparse.Namespace, bench: Bench) -> None:
    sql = f'DROP DATABASE IF EXISTS "{bench.database}" WITH (FORCE)'
    asyncio.run(admin_sql(args.postgres_url, sql))


# --------------------------------------------------------------------------- load


async def load(bench: Bench, args: argparse.Namespace) -> None:
    """The ledger loaded (bench/ledger_load.py), what the queries need noted in the meta table."""
    wanted = Wanted(
        args.batches,
        args.records,
        args.trees,
        args.large_trees,
        args.recalled_trees,
        args.seed,
        args.signers,
        args.audit_sample,
    )
    loaded = await load_ledger(bench.url, bench.settings, wanted)
    await save_meta(
        bench,
        roots=loaded.roots,
        large_roots=loaded.large_roots,
        end_us=loaded.end_us,
        load=loaded.report,
    )


async def catch_up_projections(bench: Bench) -> None:
    """The search and genealogy projections from the first record, timed; then ANALYZE,
    as autovacuum would after so many new rows."""
    ledger = open_ledger(bench.settings)
    timings = {}
    try:
        for projection in (PROJECTION, GENEALOGY):
            t0 = time.perf_counter()
            size = await catch_up(ledger, projection)
            seconds = timings[projection.name] = round(time.perf_counter() - t0, 1)
            log(f"   {projection.name}: {size:,} records in {seconds} s ({size / seconds:,.0f}/s)")
    finally:
        await ledger.close()
    await _sql(bench.url, "VACUUM ANALYZE")
    await save_meta(bench, catch_up=timings, loaded=True)


# --------------------------------------------------------------------------- the queries


@dataclass
class Query:
    """One request: its HTTP path and parameters, and how this process answers it."""

    path: str
    params: dict[str, str]
    answer: Callable[[Ledger], Awaitable[int]]  # how many batches the answer holds


@dataclass
class Shape:
    """A kind of query, in several variants (asked in turn)."""

    name: str
    group: str  # reference, search, trace, reach, or one of CONSOLE_PAIRS' groups
    queries: list[Query]

    @property
    def audited(self) -> bool:
        """Inspectors' queries write an audit entry; the reference is public."""
        return self.group != "reference"

    @property
    def http_only(self) -> bool:
        """The console's pair of shapes: asked over HTTP only, the console's with its cookie."""
        return self.group in CONSOLE_GROUPS

    @property
    def by_cookie(self) -> bool:
        return self.group in CONSOLE_PAIRS


@dataclass(frozen=True, slots=True)
class Sample:
    ms: float
    audit_ms: float  # the audit entry's share (in process only)
    items: int


@dataclass
class Series:
    """The samples of one shape on one path, run by run, and the CPU they took."""

    shape: Shape
    path: str
    runs: list[list[Sample]] = field(default_factory=list)
    cpu_app: list[float] = field(default_factory=list)  # ms per query, by run
    cpu_db: list[float] = field(default_factory=list)

    def ms(self) -> list[float]:
        return [s.ms for run in self.runs for s in run]


async def answer_batch(ledger: Ledger, ref: str) -> int:
    """``GET /api/v1/batches/{ref}``: the primary-key look-up (BatchController.read)."""
    async with read_transaction(ledger.engine) as conn:
        batch = await find_batch(conn, ref)
    msgspec.json.encode(BatchOut.of(batch))
    return 1


_TYPED: dict[str, Callable[[str], Any]] = {
    "kind": EventKind,
    "disposition": Disposition,
    "certification": Scheme,
    "sort": SortOrder,
    "ocop_stars": int,
    "limit": int,
}
_SEARCH_PARAMETERS = [
    "producer",
    "q",
    "gtin",
    "lot",
    "province",
    "occurred_from",
    "occurred_to",
    "recorded_from",
    "recorded_to",
    "kind",
    "disposition",
    "ocop_stars",
    "certification",
    "cursor",
]


def search_arguments(params: dict[str, str]) -> dict[str, Any]:
    """``search_batches``'s arguments for the query string ``params``, as Litestar makes them."""
    found: dict[str, Any] = dict.fromkeys(_SEARCH_PARAMETERS)
    found |= {"sort": SortOrder.RECORDED_DESC, "limit": PAGE}
    for name, value in params.items():
        found[name] = _TYPED.get(name, str)(value)
    return found


async def answer_search(ledger: Ledger, params: dict[str, str]) -> int:
    """``GET /api/v1/batches?...`` (BatchController.search): catch up, search, encode."""
    page = await search_batches(ledger, **search_arguments(params))
    msgspec.json.encode(page)
    return len(page.batches)


async def answer_trace(ledger: Ledger, ref: str) -> int:
    """``GET /api/v1/batches/{ref}/trace?direction=downstream&depth=10`` as JSON, as
    GenealogyController.trace answers it."""
    await catch_up(ledger, GENEALOGY)
    async with read_transaction(ledger.engine) as conn:
        root = await find_batch(conn, ref)
        found = await walk(conn, root, Direction.DOWNSTREAM, depth=DEPTH)
        holders = await load_holders(
            conn, (i for b in found.batches.values() for i in (b.holder_id, b.in_transit_to))
        )
    msgspec.json.encode(TraceOut.of(found, holders))
    return len(found.depths)


async def answer_reach(ledger: Ledger, ref: str) -> int:
    """``GET /api/v1/recalls/{ref}/reach``, as RecallController.reach answers it."""
    await catch_up(ledger, GENEALOGY)
    async with read_transaction(ledger.engine) as conn:
        recall = await find_recall(conn, ref)
        found = await reach(conn, recall, public_url=PUBLIC_URL)
        signers = await load_holders(conn, (s.agency for s in found.progress.steps))
    out = await recall_out(ledger, recall, PUBLIC_URL)
    msgspec.json.encode(ReachOut.of(found, out, signers))
    return len(found.batches)


def _search(params: dict[str, str]) -> Query:
    async def answer(ledger: Ledger) -> int:
        return await answer_search(ledger, params)

    return Query("/api/v1/batches", params, answer)


def _by_ref(
    path: str, params: dict[str, str], function: Callable[[Ledger, str], Awaitable[int]], ref: str
) -> Query:
    async def answer(ledger: Ledger) -> int:
        return await function(ledger, ref)

    return Query(path, params, answer)


async def follow(ledger: Ledger, params: dict[str, str], page: int) -> dict[str, str]:
    """``params`` with the cursor that leads to page ``page`` (or to the last page, if the
    answer has fewer), found by following the cursors of the pages before it."""
    found = dict(params)
    for _ in range(page - 1):
        answer = await search_batches(ledger, **search_arguments(found))
        if answer.next_cursor is None:
            break
        found["cursor"] = answer.next_cursor
    return found


async def workload(bench: Bench, ledger: Ledger) -> list[Shape]:
    """The queries, with values taken from the loaded data."""
    conn = await asyncpg.connect(bench.url)
    try:
        ids = [r[0] for r in await conn.fetch("SELECT id FROM batches ORDER BY md5(id) LIMIT 60")]
        lots = [
            r[0] for r in await conn.fetch("SELECT lot FROM batches ORDER BY md5(lot) LIMIT 12")
        ]
        gtins = await conn.fetch(
            "SELECT gtin FROM batches WHERE gtin IS NOT NULL GROUP BY gtin"
            " ORDER BY count(*) DESC, gtin LIMIT 4"
        )
        producers = await conn.fetch(
            "SELECT producer_id FROM batches GROUP BY producer_id"
            " ORDER BY count(*) DESC, producer_id LIMIT 4"
        )
        recalls = await conn.fetch("SELECT position, batch_id FROM records WHERE kind = 'recalled'")
    finally:
        await conn.close()
    end = datetime.fromtimestamp(bench.meta["end_us"] // SECOND, VIETNAM)

    def day(days_back: int) -> str:
        return (end - timedelta(days=days_back)).date().isoformat()

    nfd = [unicodedata.normalize("NFD", text) for text in ("Chè Shan tuyết", "cà phê Arabica")]
    searches: list[tuple[str, list[dict[str, str]]]] = [
        (
            "q without diacritics",
            [{"q": q} for q in ("buoi dien", "gao st25", "nuoc mam phu quoc")],
        ),
        ("q with diacritics, NFC and NFD", [{"q": q} for q in ("Bưởi Diễn", "gạo ST25", *nfd)]),
        ("q, one common word", [{"q": q} for q in ("gạo", "cà", "bưởi", "chè")]),
        (
            "q and province",
            [
                {"q": "cà phê", "province": "66"},
                {"q": "chè", "province": "15"},
                {"q": "bưởi", "province": "01"},
            ],
        ),
        ("province", [{"province": p} for p in ("01", "66", "92", "15", "86")]),
        ("gtin", [{"gtin": r[0]} for r in gtins]),
        ("lot", [{"lot": lot} for lot in lots]),
        ("producer", [{"producer": r[0]} for r in producers]),
        ("kind", [{"kind": k} for k in ("transformed", "recalled", "certified", "inspected")]),
        ("disposition", [{"disposition": d} for d in ("non_conformant", "recalled", "conformant")]),
        ("ocop_stars", [{"ocop_stars": s} for s in ("4", "5", "3")]),
        (
            "certification",
            [{"certification": c} for c in ("vietgap", "organic", "globalgap", "ocop")],
        ),
        (
            "occurred in a month",
            [{"occurred_from": day(b), "occurred_to": day(b - 29)} for b in (60, 240, 420, 600)],
        ),
        (
            "recorded in a week, province",
            [
                {"recorded_from": day(b), "recorded_to": day(b - 6), "province": p}
                for b, p in ((90, "92"), (300, "66"), (500, "01"))
            ],
        ),
        (
            "sorted by product, first page",
            [
                {"sort": "product"},
                {"sort": "-product", "province": "92"},
                {"sort": "product", "certification": "vietgap"},
            ],
        ),
        (
            "sorted by recorded, first page",
            [{"sort": "recorded"}, {"sort": "-recorded"}, {"sort": "occurred", "province": "66"}],
        ),
        (
            "combined filters",
            [
                {"q": "gạo st25", "certification": "vietgap", "sort": "product"},
                {"province": "66", "kind": "inspected", "disposition": "conformant"},
                {"q": "chè", "ocop_stars": "4"},
            ],
        ),
    ]
    deep = [
        {"sort": "product"},
        {"sort": "-recorded", "certification": "vietgap"},
        {"q": "gạo", "sort": "product"},
    ]
    searches.append(
        (f"page {DEEP_PAGE} by cursor", [await follow(ledger, p, DEEP_PAGE) for p in deep])
    )
    trace = {"direction": "downstream", "depth": str(DEPTH)}
    recall_of = {r["batch_id"]: str(r["position"]) for r in recalls}
    roots, large = bench.meta["roots"], bench.meta["large_roots"]
    farm_recalls = [p for b, p in recall_of.items() if b not in roots and b not in large]

    def traces(batch_ids: list[str]) -> list[Query]:
        return [_by_ref(f"/api/v1/batches/{b}/trace", trace, answer_trace, b) for b in batch_ids]

    def reaches(refs: list[str]) -> list[Query]:
        return [_by_ref(f"/api/v1/recalls/{r}/reach", {}, answer_reach, r) for r in refs]

    shapes = [
        Shape(
            "reference: batch by id",
            "reference",
            [_by_ref(f"/api/v1/batches/{i}", {}, answer_batch, i) for i in ids],
        ),
        *(Shape(name, "search", [_search(p) for p in variants]) for name, variants in searches),
        Shape("trace ↓10, standard tree roots", "trace", traces(roots)),
        Shape("trace ↓10, large tree roots", "trace", traces(large)),
        Shape(
            "recall reach, standard tree root",
            "reach",
            reaches([recall_of[b] for b in roots if b in recall_of]),
        ),
        Shape(
            "recall reach, large tree root",
            "reach",
            reaches([recall_of[b] for b in large if b in recall_of]),
        ),
        Shape("recall reach, farm batch", "reach", reaches(farm_recalls)),
    ]
    chosen = ("q without diacritics", "q and province", "province", "certification")
    console_searches = [p for name, variants in searches if name in chosen for p in variants]
    histories = ids[:HISTORIES]
    shapes += [
        Shape(
            "console: search in words (cookie)",
            "console search",
            [_http_only("/api/v1/console/search", p) for p in console_searches],
        ),
        Shape(
            "API: the same searches (token)",
            CONSOLE_PAIRS["console search"],
            [_http_only("/api/v1/batches", p) for p in console_searches],
        ),
        Shape(
            "console: a batch's history in words (cookie)",
            "console history",
            [_http_only(f"/api/v1/console/batches/{b}/history", {}) for b in histories],
        ),
        Shape(
            "API: the same batches' records (token)",
            CONSOLE_PAIRS["console history"],
            [_http_only(f"/api/v1/batches/{b}/records", {}) for b in histories],
        ),
    ]
    return [shape for shape in shapes if shape.queries]


def _http_only(path: str, params: dict[str, str]) -> Query:
    async def answer(_ledger: Ledger) -> int:
        raise RuntimeError(f"{path} is asked over HTTP only")

    return Query(path, params, answer)


# --------------------------------------------------------------------------- measuring


class Client:
    """One keep-alive HTTP/1.1 connection with the inspector's token."""

    def __init__(self, port: int, token: str) -> None:
        self.port = port
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        self.headers = {"Accept": "application/json", "Authorization": f"Bearer {token}"}

    def reopen(self) -> None:
        """A new connection: the server closes one left idle (while the others run)."""
        self.conn.close()
        self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        self.conn.connect()

    def get(self, path: str) -> bytes:
        try:
            self.conn.request("GET", path, headers=self.headers)
            answer = self.conn.getresponse()
        except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
            # The server closed the connection while it sat idle: once more, on a new one.
            self.reopen()
            self.conn.request("GET", path, headers=self.headers)
            answer = self.conn.getresponse()
        payload = answer.read()
        if answer.status != 200:
            raise RuntimeError(f"GET {path}: HTTP {answer.status} {payload[:300]!r}")
        return payload

    def close(self) -> None:
        self.conn.close()


class CookieClient(Client):
    """The console's connection: signed in with the official's token, then by its cookie."""

    def __init__(self, port: int, token: str) -> None:
        super().__init__(port, token)
        body = json.dumps({"token": token, "device": "bench/queries.py"})
        self.conn.request(
            "POST",
            "/api/v1/console/session",
            body=body,
            headers={"Content-Type": "application/json"},
        )
        answer = self.conn.getresponse()
        answer.read()
        cookie = answer.getheader("Set-Cookie") or ""
        if answer.status != 201 or not cookie:
            raise RuntimeError(f"console sign-in: HTTP {answer.status}, cookie {cookie!r}")
        self.headers = {"Accept": "application/json", "Cookie": cookie.split(";", 1)[0]}


def _items(group: str, payload: bytes) -> int:
    found = json.loads(payload)
    if group == "reference":
        return 1
    if group == "reach":
        return int(found["counts"]["batches"])
    if "history" in group:
        return len(found["records"])
    return len(found["batches"])


async def in_process(ledger: Ledger, token: str, shape: Shape, query: Query) -> Sample:
    """Answer ``query`` as the API does: the token checked and the audit entry written first."""
    began = time.perf_counter()
    audit_ms = 0.0
    if shape.audited:
        actor: Actor = await authenticate(ledger, token)
        await record_query(
            ledger, actor, method="GET", path=query.path, query=urlencode(query.params)
        )
        audit_ms = (time.perf_counter() - began) * 1000
    items = await query.answer(ledger)
    return Sample((time.perf_counter() - began) * 1000, audit_ms, items)


def over_http(client: Client, shape: Shape, query: Query) -> Sample:
    target = query.path + (f"?{urlencode(query.params)}" if query.params else "")
    began = time.perf_counter()
    payload = client.get(target)
    ms = (time.perf_counter() - began) * 1000
    return Sample(ms, 0.0, _items(shape.group, payload))


async def inspector_token(ledger: Ledger) -> str:
    """A new token for an official of an authority (every scope of its kind, ``inspect`` too)."""
    async with read_transaction(ledger.engine) as conn:
        authority = (
            await conn.execute(
                select(agencies.c.id)
                .where(agencies.c.kind == AgencyKind.AUTHORITY.value)
                .order_by(agencies.c.name)
                .limit(1)
            )
        ).scalar_one()
    return await create_token(ledger, authority, "Thanh tra viên Nguyễn Thị Hoa")


# What the report proposes for the shapes that miss the search target, tried on the bench
# database only (``--what-if``), in runs interleaved with the others: planner statistics
# that know a certificate's stars go with its scheme, and an index for a province's
# batches by product (made before each what-if run and dropped after it); on the what-if
# connections, plans made for each query's own values (a prepared statement's generic
# plan cannot use those statistics) and no parallel workers (on two cores, starting them
# costs more than they save).
WHAT_IF = (
    "CREATE STATISTICS bench_what_if_facts (dependencies, mcv)"
    " ON kind, scheme, stars FROM batch_search_facts",
    "CREATE INDEX bench_what_if_province ON batch_search (province, product_key, position)",
    "ANALYZE batch_search_facts",
    "ANALYZE batch_search",
)
UNDO_WHAT_IF = (
    "DROP STATISTICS IF EXISTS bench_what_if_facts",
    "DROP INDEX IF EXISTS bench_what_if_province",
    "ANALYZE batch_search_facts",
    "ANALYZE batch_search",
)
WHAT_IF_SETTINGS = (
    "SET plan_cache_mode = force_custom_plan",
    "SET max_parallel_workers_per_gather = 0",
)
WHAT_IF_PATH = "in process, what if"


def what_if_ledger(bench: Bench) -> Ledger:
    """A ledger whose every new connection gets WHAT_IF_SETTINGS."""
    ledger = open_ledger(bench.settings)

    def configure(connection: Any, _record: Any) -> None:
        for statement in WHAT_IF_SETTINGS:
            connection.run_async(lambda pg, sql=statement: pg.execute(sql))

    event.listen(ledger.engine.sync_engine, "connect", configure)
    return ledger


@dataclass
class Session:
    """What the runs share: the database, the ledger, the inspector's token, the server."""

    bench: Bench
    ledger: Ledger
    token: str
    server: Server | None
    client: Client | None
    series: dict[tuple[str, str], Series] = field(default_factory=dict)
    console: Client | None = None

    async def ask(self, path: str, shape: Shape, query: Query) -> Sample:
        if path == "HTTP":
            client = self.console if shape.by_cookie else self.client
            assert client is not None
            return over_http(client, shape, query)
        return await in_process(self.ledger, self.token, shape, query)

    async def round(self, path: str, shapes: list[Shape], run: int, repeat: int) -> None:
        """``repeat`` queries of every shape on ``path``, starting with a different shape
        each run; the CPU they took (this process's or the server's, and PostgreSQL's)."""
        turn = run % len(shapes)
        group = self.server.proc.pid if path == "HTTP" and self.server is not None else None
        if path == "HTTP" and self.client is not None:
            self.client.reopen()
        if path == "HTTP" and self.console is not None:
            self.console.reopen()
        for shape in shapes[turn:] + shapes[:turn]:
            if shape.http_only and path != "HTTP":
                continue
            found = self.series.setdefault((shape.name, path), Series(shape, path))
            samples = []
            with Meter(self.bench.database, group) as meter:
                for i in range(repeat):
                    query = shape.queries[(run * repeat + i) % len(shape.queries)]
                    samples.append(await self.ask(path, shape, query))
            found.runs.append(samples)
            found.cpu_app.append((meter.server if group else meter.own) / repeat * 1000)
            found.cpu_db.append(meter.db / repeat * 1000)


async def measure(
    bench: Bench, args: argparse.Namespace, server: Server | None
) -> tuple[list[Shape], dict[tuple[str, str], Series]]:
    """Every shape, ``--repeat`` queries a run, in process, over HTTP and (``--what-if``) in
    process with WHAT_IF's changes, ``--runs`` times."""
    await _sql(bench.url, *UNDO_WHAT_IF)  # what an interrupted run may have left
    ledger = open_ledger(bench.settings)
    changed = what_if_ledger(bench) if args.what_if else None
    try:
        token = await inspector_token(ledger)
        shapes = await workload(bench, ledger)
        client = Client(server.port, token) if server is not None else None
        console = CookieClient(server.port, token) if server is not None else None
        session = Session(bench, ledger, token, server, client, console=console)
        other = Session(bench, changed, token, None, None, session.series) if changed else None
        paths = ["in process"] + (["HTTP"] if client is not None else [])
        bench.meta["machine"] = await machine(bench)
        log(f"-- warm-up: every query once on each path ({sum(len(s.queries) for s in shapes)})")
        for shape in shapes:
            for query in shape.queries:
                for path in paths:
                    if path == "HTTP" or not shape.http_only:
                        await session.ask(path, shape, query)
        if other is not None:
            log("-- what if: " + "; ".join(WHAT_IF + WHAT_IF_SETTINGS))
        for run in range(args.runs):
            for path in paths:
                await session.round(path, shapes, run, args.repeat)
                log(f"   run {run + 1}/{args.runs} {path}: {_summary(session.series, path, run)}")
            if other is not None:
                await _what_if_round(other, shapes, run, args.repeat)
                summary = _summary(session.series, WHAT_IF_PATH, run)
                log(f"   run {run + 1}/{args.runs} {WHAT_IF_PATH}: {summary}")
        if client is not None:
            client.close()
        if console is not None:
            console.close()
        bench.meta["machine"]["load_after"] = f"{os.getloadavg()[0]:.1f}"
        if args.explain:
            bench.meta["plans"] = await explain(ledger, shapes, session.series, args.explain)
    finally:
        await ledger.close()
        if changed is not None:
            await changed.close()
    return shapes, session.series


async def _what_if_round(session: Session, shapes: list[Shape], run: int, repeat: int) -> None:
    """One what-if run: WHAT_IF made, every query once to warm the plans up, then timed."""
    await _sql(session.bench.url, *WHAT_IF)
    try:
        for shape in shapes:
            for query in shape.queries if not shape.http_only else []:
                await session.ask(WHAT_IF_PATH, shape, query)
        await session.round(WHAT_IF_PATH, shapes, run, repeat)
    finally:
        await _sql(session.bench.url, *UNDO_WHAT_IF)


async def machine(bench: Bench) -> dict[str, str]:
    """The settings that decide the figures, and how busy the machine was to begin with."""
    conn = await asyncpg.connect(bench.url)
    try:
        found = {
            name: str(await conn.fetchval(f"SHOW {name}"))
            for name in ("server_version", "shared_buffers", "work_mem", "jit")
        }
        found["parallel_workers"] = str(await conn.fetchval("SHOW max_parallel_workers_per_gather"))
    finally:
        await conn.close()
    return {**found, "load_before": f"{os.getloadavg()[0]:.1f}"}


def _summary(series: dict[tuple[str, str], Series], path: str, run: int) -> str:
    search = [
        s.ms
        for x in series.values()
        if x.path == path and x.shape.group == "search"
        for s in x.runs[run]
    ]
    trace = [
        s.ms
        for x in series.values()
        if x.path == path and x.shape.name.startswith("trace ↓10, standard")
        for s in x.runs[run]
    ]
    return (
        f"search p50 {_f(_median(search))} p95 {_f(percentile(search, 0.95))} ms;"
        f" trace p50 {_f(_median(trace))} ms"
    )


# --------------------------------------------------------------------------- plans


class Capture:
    """The statements the engine sends while it is on, each with how long it took."""

    def __init__(self, ledger: Ledger) -> None:
        self.engine = ledger.engine.sync_engine
        self.found: list[tuple[float, str, Any]] = []
        event.listen(self.engine, "before_cursor_execute", self.before)
        event.listen(self.engine, "after_cursor_execute", self.after)

    def before(self, conn: Any, _cursor: Any, _sql: str, _params: Any, *_rest: Any) -> None:
        conn.info["bench_began"] = time.perf_counter()

    def after(self, conn: Any, _cursor: Any, sql: str, params: Any, *_rest: Any) -> None:
        self.found.append((time.perf_counter() - conn.info.pop("bench_began"), sql, params))

    def close(self) -> None:
        event.remove(self.engine, "before_cursor_execute", self.before)
        event.remove(self.engine, "after_cursor_execute", self.after)


async def explain(
    ledger: Ledger, shapes: list[Shape], series: dict[tuple[str, str], Series], which: str
) -> list[dict[str, Any]]:
    """``EXPLAIN (ANALYZE, BUFFERS)`` of the slowest statement of each shape that missed its
    target in process (``which`` = "missed") or of every inspectors' shape ("all")."""
    plans = []
    for shape in shapes:
        found = series.get((shape.name, "in process"))
        if found is None or shape.group == "reference":
            continue
        if which == "missed" and _met(shape, found.ms()) is not False:
            continue
        capture = Capture(ledger)
        try:
            for query in shape.queries:
                await query.answer(ledger)
        finally:
            capture.close()
        seconds, sql, params = max(capture.found, key=lambda item: item[0])
        async with ledger.engine.connect() as conn:
            lines = await conn.exec_driver_sql(f"EXPLAIN (ANALYZE, BUFFERS) {sql}", params)
            plan = "\n".join(str(row[0]) for row in lines)
        plans.append(
            {
                "shape": shape.name,
                "ms": seconds * 1000,
                "sql": sql,
                "params": str(params),
                "plan": plan,
            }
        )
        log(f"   explained {shape.name}: slowest statement {seconds * 1000:.1f} ms")
    return plans


def _met(shape: Shape, values: list[float]) -> bool | None:
    """Whether the shape meets its target (None: it has none)."""
    if shape.group == "search":
        return (percentile(values, 0.95) or 0) < SEARCH_P95_MS
    if shape.name.startswith("trace ↓10, standard"):
        return statistics.median(values) < TRACE_P50_MS
    return None


# --------------------------------------------------------------------------- the report


def _f(value: float | None, digits: int = 1) -> str:
    return "–" if value is None else f"{value:,.{digits}f}"


def _median(values: list[float]) -> float | None:
    return statistics.median(values) if values else None


def _yes(met: bool | None) -> str:
    return "–" if met is None else ("yes" if met else "**no**")


def latency_table(
    shapes: list[Shape], series: dict[tuple[str, str], Series], path: str
) -> list[str]:
    reference = series.get((shapes[0].name, path))
    ref_p50 = _median(reference.ms()) if reference else None
    http = path == "HTTP"
    out = [
        "| query | variants | batches in answer (median) | p50 ms | p95 ms | runs' p50 (min–max) |"
        + ("" if http else " audit entry p50 ms | p50 without it |")
        + f" p50 ÷ reference | CPU ms/query: {'server' if http else 'this process'} / PostgreSQL |"
        + " target met |",
        "|---|---:|---:|---:|---:|---|" + ("" if http else "---:|---:|") + "---:|---|---|",
    ]
    pooled: list[float] = []
    pooled_audit: list[float] = []
    pooled_bare: list[float] = []
    for shape in shapes:
        found = series.get((shape.name, path))
        if found is None:
            continue
        values = found.ms()
        samples = [s for run in found.runs for s in run]
        if shape.group == "search":
            pooled += values
            pooled_audit += [s.audit_ms for s in samples]
            pooled_bare += [s.ms - s.audit_ms for s in samples]
        p50 = _median(values)
        run_p50 = [_median([s.ms for s in run]) or 0.0 for run in found.runs]
        ratio = p50 / ref_p50 if p50 and ref_p50 else None
        extra = ""
        if not http:
            audit = _median([s.audit_ms for s in samples]) if shape.audited else None
            extra = f" {_f(audit)} | {_f(_median([s.ms - s.audit_ms for s in samples]))} |"
        out.append(
            f"| {shape.name} | {len(shape.queries)} |"
            f" {_f(_median([float(s.items) for s in samples]), 0)} | {_f(p50)} |"
            f" {_f(percentile(values, 0.95))} | {_f(min(run_p50))}–{_f(max(run_p50))} |{extra}"
            f" {_f(ratio)} | {_f(_median(found.cpu_app))} / {_f(_median(found.cpu_db))} |"
            f" {_yes(_met(shape, values))} |"
        )
    if pooled:
        p50 = _median(pooled)
        extra = "" if http else f" {_f(_median(pooled_audit))} | {_f(_median(pooled_bare))} |"
        met = (percentile(pooled, 0.95) or 0) < SEARCH_P95_MS
        out.append(
            f"| **every search above** | | | **{_f(p50)}** | **{_f(percentile(pooled, 0.95))}** |"
            f" |{extra} {_f(p50 / ref_p50 if p50 and ref_p50 else None)} | | {_yes(met)} |"
        )
    return out


def targets_table(
    shapes: list[Shape], series: dict[tuple[str, str], Series], paths: list[str]
) -> list[str]:
    out = [
        "| target | " + " | ".join(paths) + " | met |",
        "|---|" + "---:|" * len(paths) + "---|",
    ]
    search = {
        p: [v for k, x in series.items() if k[1] == p and x.shape.group == "search" for v in x.ms()]
        for p in paths
    }
    p95 = {p: percentile(search[p], 0.95) for p in paths}
    met = all((p95[p] or 0) < SEARCH_P95_MS for p in paths)
    out.append(
        f"| search p95 < {SEARCH_P95_MS:g} ms (every shape, pooled) | "
        + " | ".join(f"{_f(p95[p])} ms" for p in paths)
        + f" | {_yes(met)} |"
    )
    shapes_met = {
        p: sum(1 for s in shapes if s.group == "search" and _met(s, series[(s.name, p)].ms()))
        for p in paths
    }
    count = sum(1 for s in shapes if s.group == "search")
    out.append(
        f"| search p95 < {SEARCH_P95_MS:g} ms, shape by shape | "
        + " | ".join(f"{shapes_met[p]} of {count}" for p in paths)
        + f" | {_yes(all(v == count for v in shapes_met.values()))} |"
    )
    trace = next((s for s in shapes if s.name.startswith("trace ↓10, standard")), None)
    if trace is not None:
        p50 = {p: _median(series[(trace.name, p)].ms()) for p in paths}
        met = all((p50[p] or 0) < TRACE_P50_MS for p in paths)
        out.append(
            f"| 10-generation downstream trace, median < {TRACE_P50_MS:g} ms | "
            + " | ".join(f"{_f(p50[p])} ms" for p in paths)
            + f" | {_yes(met)} |"
        )
    return out


def console_table(shapes: list[Shape], series: dict[tuple[str, str], Series]) -> list[str]:
    """The console's pages against the API's answers to the same requests, over HTTP."""
    by_group = {s.group: s for s in shapes}
    out = [
        "",
        f"The officers' console against the API, over HTTP, the same requests (target: the"
        f" console's p95 at most {CONSOLE_P95_RATIO:g} times the API's):",
        "",
        "| console | p50 / p95 ms | API | p50 / p95 ms | p95 ratio | met |",
        "|---|---|---|---|---:|---|",
    ]
    for console_group, api_group in CONSOLE_PAIRS.items():
        console, api = by_group.get(console_group), by_group.get(api_group)
        if console is None or api is None or (console.name, "HTTP") not in series:
            continue
        mine, theirs = series[(console.name, "HTTP")].ms(), series[(api.name, "HTTP")].ms()
        ratio = (percentile(mine, 0.95) or 0) / (percentile(theirs, 0.95) or 1)
        out.append(
            f"| {console.name} | {_f(_median(mine))} / {_f(percentile(mine, 0.95))} |"
            f" {api.name} | {_f(_median(theirs))} / {_f(percentile(theirs, 0.95))} |"
            f" {ratio:.2f} | {_yes(ratio <= CONSOLE_P95_RATIO)} |"
        )
    return out


def render(
    bench: Bench,
    args: argparse.Namespace,
    shapes: list[Shape],
    series: dict[tuple[str, str], Series],
) -> str:
    meta = bench.meta
    loaded = meta["load"]
    shape = loaded["shape"]
    order = ["in process", "HTTP", WHAT_IF_PATH]
    paths = sorted({k[1] for k in series}, key=order.index)
    machine = meta.get("machine", {})
    kinds = shape["agencies"]
    out = [
        f"nproc={os.cpu_count()} runs={args.runs} repeat={args.repeat} database={bench.database}"
        + "".join(f" {name}={value}" for name, value in machine.items()),
        "",
        f"Loaded: {loaded['records']:,} records, {loaded['batches']:,} batches,"
        f" {loaded['agencies']} agencies ({kinds['producer']} producers, {shape['households']}"
        f" of them households; {kinds['processor']} processors; {kinds['distributor']}"
        f" distributors; {kinds['authority']} authorities; {kinds['certifier']} certifiers);"
        f" planned in {loaded['plan_s']} s, signed ({loaded['signers']} processes), checked,"
        f" chained and COPYed in {loaded['sign_chain_copy_s']} s, {loaded['total_s']} s in all;"
        f" VACUUM ANALYZE {loaded['vacuum_s']} s; database {loaded['size_mb']:,} MB."
        f" Verified with verify_batch: {loaded['checked']['batches']} batches"
        f" ({loaded['checked']['records']:,} records).",
        "",
        "Records by kind: "
        + ", ".join(f"{k} {v:,}" for k, v in sorted(shape["kinds"].items(), key=lambda kv: -kv[1]))
        + f". Batches with a GTIN: {shape['with_gtin']:,}; provinces of origin:"
        f" {shape['provinces']}; recalls: {shape['recalled']}.",
        "",
    ]
    catch = meta.get("catch_up", {})
    if catch:
        out.append(
            "Projections from the first record: "
            + "; ".join(
                f"{name} {seconds} s ({loaded['records'] / seconds:,.0f} records/s)"
                for name, seconds in catch.items()
            )
            + "."
        )
        out.append("")
    for path in paths:
        out += [f"Latencies, {path} (one query at a time; p50/p95 over every run's samples):", ""]
        out += latency_table(shapes, series, path)
        out.append("")
    out += ["Targets:", ""]
    out += targets_table(shapes, series, paths)
    out += console_table(shapes, series)
    if "verify_all" in meta:
        out += ["", f"`python -m trace verify`: {meta['verify_all']}"]
    for plan in meta.get("plans", []):
        out += [
            "",
            f"<details><summary>{plan['shape']}: slowest statement, {plan['ms']:.1f} ms</summary>",
            "",
            "```sql",
            plan["sql"],
            f"-- {plan['params']}",
            "```",
            "",
            "```",
            plan["plan"],
            "```",
            "</details>",
        ]
    return "\n".join(out)


# --------------------------------------------------------------------------- main


def verify_all(bench: Bench) -> str:
    """``python -m trace verify`` on the whole ledger: its outcome and wall time."""
    t0 = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "trace", "verify"],
        cwd=ROOT,
        env=bench.env(),
        capture_output=True,
        text=True,
        check=False,
    )
    seconds = time.perf_counter() - t0
    last = (done.stdout.strip().splitlines() or done.stderr.strip().splitlines() or [""])[-1]
    return f"exit {done.returncode} in {seconds:.0f} s: {last}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--batches", type=int, default=100_000, help="at least (default 100,000)")
    parser.add_argument(
        "--records", type=int, default=1_000_000, help="at least (default 1,000,000)"
    )
    parser.add_argument("--trees", type=int, default=30, help="standard deep trees (default 30)")
    parser.add_argument("--large-trees", type=int, default=3, help="large deep trees (default 3)")
    parser.add_argument(
        "--recalled-trees", type=int, default=5, help="standard trees whose root is recalled"
    )
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--signers", type=int, default=2, help="signing processes (default 2)")
    parser.add_argument(
        "--audit-sample", type=int, default=300, help="batches verified after the load"
    )
    parser.add_argument("--runs", type=int, default=5, help="interleaved runs (default 5)")
    parser.add_argument("--repeat", type=int, default=20, help="queries per shape and run")
    parser.add_argument("--no-http", dest="http", action="store_false", help="in process only")
    parser.add_argument("--workers", type=int, default=2, help="server workers (default 2)")
    parser.add_argument(
        "--explain",
        choices=["missed", "all", "none"],
        default="missed",
        help="EXPLAIN ANALYZE the slowest statement of shapes that missed a target (default)",
    )
    parser.add_argument(
        "--what-if",
        action="store_true",
        help="also in process with the changes the report proposes (WHAT_IF), interleaved",
    )
    parser.add_argument("--verify-all", action="store_true", help="then `python -m trace verify`")
    parser.add_argument(
        "--skip-load",
        metavar="DATABASE",
        help="reuse a database that an earlier run kept (--keep) instead of loading one",
    )
    parser.add_argument("--keep", action="store_true", help="keep the database for --skip-load")
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get("TRACE_BENCH_POSTGRES_URL", DEFAULT_POSTGRES),
        help="a PostgreSQL server where the bench may CREATE DATABASE",
    )
    args = parser.parse_args(argv)
    args.explain = None if args.explain == "none" else args.explain
    if make_url(args.postgres_url).get_backend_name() not in ("postgresql", "postgres"):
        parser.error("--postgres-url must name a PostgreSQL server")

    started = time.perf_counter()
    workdir = Path(tempfile.mkdtemp(prefix="bench-queries-"))
    (workdir / "data").mkdir()
    if args.skip_load:
        bench = open_database(args, workdir)
        log(f"== reusing {bench.database}")
    else:
        bench = create_database(args, workdir)
        wanted = f"at least {args.batches:,} batches and {args.records:,} records"
        log(f"== {bench.database}: loading {wanted}")
    server = None
    try:
        if bench.fresh:
            asyncio.run(load(bench, args))
            log("== catching up the projections")
            asyncio.run(catch_up_projections(bench))
        if args.http:
            log(f"== python -m trace serve --workers {args.workers}")
            server = Server(bench.env(), workdir / "server.log", workers=args.workers)
        shapes, series = asyncio.run(measure(bench, args, server))
        if server is not None:
            server.stop()
            server = None
        if args.verify_all:
            log("== python -m trace verify")
            bench.meta["verify_all"] = verify_all(bench)
    finally:
        if server is not None:
            server.stop()
        if bench.fresh and not args.keep:
            drop_database(args, bench)
        elif bench.fresh:
            log(f"== kept {bench.database}: --skip-load {bench.database} reuses it")
        shutil.rmtree(workdir, ignore_errors=True)
    log(f"== done in {time.perf_counter() - started:.0f} s")
    print(render(bench, args, shapes, series))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
