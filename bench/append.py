"""Appends per second: through HTTP and through the store, on SQLite and PostgreSQL.

Run from the project root (see bench/README.md)::

    .venv/bin/python bench/append.py --backend both --clients 1,16,64 --seconds 3 --runs 3

Each backend gets a throwaway database (PostgreSQL: ``bench_append_<pid>``, dropped at the
end; SQLite: a file in a temporary directory), migrated, with a fresh master key. Two
producer agencies are made: one with a custodial key (the server signs) and one with an
external key (the bench signs, as a device would). Every writer gets its own batch; the
"1 batch" rows put every writer on one batch.

Paths measured, each with 1, 16 and 64 concurrent clients:

- ``raw``: the reference, a plain INSERT-and-commit loop (one row per transaction, a
  300-byte blob and three integers) on the same database with as many connections;
- ``store server-signed``: ``append_unsigned`` from N asyncio tasks in this process;
- ``store client-signed``: ``append`` of statements signed before the timed section;
- ``http server-signed``: ``POST /api/v1/batches/{id}/events`` to ``python -m trace serve
  --workers 2`` (the server signs with the custodial key);
- ``http client-signed``: ``POST /api/v1/records`` with statements signed before the
  timed section, each sent once.

Opt-in diagnostics on PostgreSQL (``--paths "sql per-append,sql sequence,sql group-commit"``)
send the append transaction's own statements straight through asyncpg, without SQLAlchemy,
signing, rules or HTTP: what the schema and its locks allow by themselves.

HTTP load comes from ``wrk`` (one thread, N connections) when it is installed, otherwise
from an asyncio httpx client in this process (which competes with the server for CPU).
Runs are interleaved (run 1 of every configuration, then run 2, ...) and the median is
reported. Besides the rate, each row gives the CPU time spent per append by the code under
test (this process, or the server's processes for HTTP), by PostgreSQL's processes for the
bench database, and by the load generator: on a shared, noisy machine these vary less than
the rates do. A markdown table goes to stdout; progress goes to stderr.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
# The standard library has a module named `trace`: our root must come first.
if str(ROOT) not in sys.path[:1]:
    sys.path.insert(0, str(ROOT))

import aiosqlite  # noqa: E402
import asyncpg  # type: ignore[import-untyped]  # noqa: E402
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey  # noqa: E402
from harness import (  # noqa: E402
    DEFAULT_POSTGRES,
    EVENT_BODY,
    EVENT_KIND,
    OCCURRED_AT,
    Meter,
    Run,
    Server,
    log,
    percentile,
    scratch_database,
    timed_tasks,
)
from sqlalchemy import func, select  # noqa: E402

from trace.config import Settings, load_settings  # noqa: E402
from trace.domain.agency import AgencyKind  # noqa: E402
from trace.domain.statement import (  # noqa: E402
    Statement,
    encode_statement,
    new_nonce,
    sign_statement,
)
from trace.store.agencies import Actor, authenticate, create_agency  # noqa: E402
from trace.store.append import (  # noqa: E402
    SignedStatement,
    append,
    append_unsigned,
    new_batch_id,
)
from trace.store.audit import verify_batch  # noqa: E402
from trace.store.custody import public_bytes  # noqa: E402
from trace.store.ledger import Ledger, open_ledger  # noqa: E402
from trace.store.migrate import migrate  # noqa: E402
from trace.store.tables import records  # noqa: E402

RAW_PAYLOAD_BYTES = 300
SERVER_WORKERS = 2
ORDER = [
    "raw",
    "store server-signed",
    "store client-signed",
    "http server-signed",
    "http client-signed",
]
# Opt-in diagnostics (PostgreSQL only): the append's own SQL sent straight through asyncpg,
# with no SQLAlchemy, signing, rules or HTTP, to show what the schema and locks allow.
SQL_PATHS = ["sql per-append", "sql sequence", "sql group-commit"]
ALL_PATHS = ORDER + SQL_PATHS


# --------------------------------------------------------------------------- results


ConfigKey = tuple[str, str, int, bool]


@dataclass
class Config:
    backend: str
    path: str
    clients: int
    one_batch: bool = False
    runs: list[Run] = field(default_factory=list)

    def median(self) -> float:
        return statistics.median(r.rate for r in self.runs) if self.runs else 0.0


# The PostgreSQL database under test: its backends (and the server's shared processes,
# such as the WAL writer) are counted; other databases' backends on a shared server are not.
PG_DATABASE: list[str] = []


def _database() -> str | None:
    return PG_DATABASE[0] if PG_DATABASE else None


# --------------------------------------------------------------------------- setup


@dataclass
class Producer:
    actor: Actor
    key_id: str
    token: str
    batches: list[str]
    shared: str
    secret: Ed25519PrivateKey | None = None  # external key: the bench signs


@dataclass
class Backend:
    name: str
    url: str  # as TRACE_DATABASE_URL
    env: dict[str, str]
    workdir: Path
    drop: Callable[[], None]
    raw_dsn: str  # asyncpg DSN or SQLite path


def make_backend(name: str, args: argparse.Namespace, workdir: Path) -> Backend:
    env = dict(os.environ)
    env["TRACE_MASTER_KEY"] = base64.b64encode(secrets.token_bytes(32)).decode()
    env["TRACE_DATA_DIR"] = str(workdir / f"data-{name}")
    env.pop("TRACE_PUBLIC_URL", None)
    if name == "sqlite":
        path = workdir / "bench.sqlite3"
        url = f"sqlite:///{path}"
        env["TRACE_DATABASE_URL"] = url
        migrate(url)
        return Backend(name, url, env, workdir, lambda: None, str(path))
    database = f"bench_append_{os.getpid()}"
    PG_DATABASE[:] = [database]
    url, drop = scratch_database(args.postgres_url, database)
    env["TRACE_DATABASE_URL"] = url

    try:
        migrate(url)
    except BaseException:
        drop()
        raise
    return Backend(name, url, env, workdir, drop, url)


def _statement(producer: Producer, batch: str, kind: str, body: dict[str, Any]) -> Statement:
    return Statement(
        v=1,
        batch=batch,
        kind=kind,
        occurred_at=OCCURRED_AT,
        agency=producer.actor.agency_id,
        key=producer.key_id,
        body=body,
        nonce=new_nonce(),
    )


def presign(producer: Producer, batch: str) -> SignedStatement:
    """A client-signed single event, as a device would send it."""
    assert producer.secret is not None
    data = encode_statement(_statement(producer, batch, EVENT_KIND, EVENT_BODY))
    return SignedStatement(data, sign_statement(producer.secret, data), producer.key_id)


async def make_producers(ledger: Ledger, count: int) -> tuple[Producer, Producer]:
    """A custodial producer and an external-key producer, each with ``count`` + 1 batches."""
    out = []
    for external in (False, True):
        secret = Ed25519PrivateKey.generate() if external else None
        _agency, key_id, token = await create_agency(
            ledger,
            name=f"HTX Bench {'external' if external else 'custodial'}",
            kind=AgencyKind.PRODUCER,
            province="94",
            external_public_key=public_bytes(secret) if secret else None,
        )
        actor = await authenticate(ledger, token)
        producer = Producer(actor, key_id, token, [], "", secret)
        ids = []
        for i in range(count + 1):
            body = {"product": "Gạo ST25", "lot": f"B{i:04d}", "origin": {"province": "94"}}
            batch = new_batch_id()
            if external:
                assert secret is not None
                data = encode_statement(_statement(producer, batch, "registered", body))
                await append(
                    ledger, actor, SignedStatement(data, sign_statement(secret, data), key_id)
                )
            else:
                await append_unsigned(
                    ledger,
                    actor,
                    batch=batch,
                    kind="registered",
                    occurred_at=OCCURRED_AT,
                    body=body,
                )
            ids.append(batch)
        producer.batches, producer.shared = ids[:count], ids[count]
        out.append(producer)
    return out[0], out[1]


# --------------------------------------------------------------------------- drivers


# -- raw reference --------------------------------------------------------------

RAW_TABLE = "bench_raw"


async def raw_prepare(backend: Backend) -> None:
    if backend.name == "sqlite":
        async with aiosqlite.connect(backend.raw_dsn) as db:
            await db.execute(
                f"CREATE TABLE IF NOT EXISTS {RAW_TABLE} (id INTEGER PRIMARY KEY,"
                " a BIGINT NOT NULL, b BIGINT NOT NULL, c INTEGER NOT NULL, payload BLOB NOT NULL)"
            )
            await db.commit()
        return
    conn = await asyncpg.connect(backend.raw_dsn)
    try:
        await conn.execute(
            f"CREATE TABLE IF NOT EXISTS {RAW_TABLE} (id BIGSERIAL PRIMARY KEY, a BIGINT NOT NULL,"
            " b BIGINT NOT NULL, c INTEGER NOT NULL, payload BYTEA NOT NULL)"
        )
    finally:
        await conn.close()


async def raw_run(backend: Backend, clients: int, seconds: float) -> Run:
    """One row per transaction: BEGIN; INSERT; COMMIT, on ``clients`` connections."""
    payload = secrets.token_bytes(RAW_PAYLOAD_BYTES)
    sql_pg = f"INSERT INTO {RAW_TABLE} (a, b, c, payload) VALUES ($1, $2, $3, $4)"
    sql_lite = f"INSERT INTO {RAW_TABLE} (a, b, c, payload) VALUES (?, ?, ?, ?)"
    if backend.name == "sqlite":
        conns: list[Any] = []
        for _ in range(clients):
            # The ledger's own settings (trace/store/database.py): WAL, synchronous=FULL.
            db = await aiosqlite.connect(backend.raw_dsn, timeout=30, isolation_level=None)
            for pragma in ("journal_mode=WAL", "synchronous=FULL", "busy_timeout=30000"):
                await db.execute(f"PRAGMA {pragma}")
            conns.append(db)

        async def step(i: int) -> None:
            db = conns[i]
            await db.execute("BEGIN IMMEDIATE")
            await db.execute(sql_lite, (i, time.time_ns(), clients, payload))
            await db.execute("COMMIT")

        try:
            return await timed_tasks(clients, seconds, step, database=_database())
        finally:
            for db in conns:
                await db.close()

    conns = [await asyncpg.connect(backend.raw_dsn) for _ in range(clients)]

    async def step_pg(i: int) -> None:
        conn = conns[i]
        async with conn.transaction():
            await conn.execute(sql_pg, i, time.time_ns(), clients, payload)

    try:
        return await timed_tasks(clients, seconds, step_pg, database=_database())
    finally:
        for conn in conns:
            await conn.close()


# -- the append's SQL alone (opt-in diagnostics) ---------------------------------

_SQL_KEY = "SELECT * FROM agency_keys WHERE key_id = $1"
_SQL_LOCK = "SELECT id, version, head_hash FROM batches WHERE id = $1 FOR UPDATE"
_SQL_LOCK_MANY = (
    "SELECT id, version, head_hash FROM batches WHERE id = ANY($1::varchar[]) ORDER BY id"
    " FOR UPDATE"
)
_SQL_HEAD = "UPDATE log_head SET size = size + $1 WHERE id = 1 RETURNING size"
_SQL_INSERT = (
    "INSERT INTO records (position, batch_id, seq, recorded_at_us, prev, record_hash,"
    " statement_hash, statement, signature, key_id, agency_id, kind)"
    " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)"
)
_SQL_BATCH = "UPDATE batches SET version = $1, head_hash = $2, updated_at_us = $3 WHERE id = $4"
# Positions drawn from a sequence (no commit order) start far above the log's.
_SQL_SEQUENCE = "SELECT nextval('bench_position') + 1000000000000"


async def _sql_prepare(dsn: str) -> None:
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute("CREATE SEQUENCE IF NOT EXISTS bench_position")
    finally:
        await conn.close()


async def _register_batches(settings: Settings, producer: Producer, count: int) -> list[str]:
    """Batches of their own for the SQL rows, whose records are not signed."""
    ledger = open_ledger(settings)
    ids = []
    try:
        for i in range(count):
            batch = new_batch_id()
            body = {"product": "Gạo ST25", "lot": f"S{i:04d}", "origin": {"province": "94"}}
            await append_unsigned(
                ledger,
                producer.actor,
                batch=batch,
                kind="registered",
                occurred_at=OCCURRED_AT,
                body=body,
            )
            ids.append(batch)
    finally:
        await ledger.close()
    return ids


async def sql_run(
    dsn: str, producer: Producer, batches: list[str], mode: str, clients: int, seconds: float
) -> Run:
    """The append transaction's statements, in its order, through asyncpg (random hashes).

    ``sql per-append``: one transaction per append, log head locked to commit (as the store);
    ``sql sequence``: the same, but the position comes from a sequence, without the lock;
    ``sql group-commit``: clients queue appends and one writer appends all pending ones in
    one transaction, taking the log head once per group (positions still in commit order).
    """
    statement, signature = secrets.token_bytes(400), secrets.token_bytes(64)
    key, agency = producer.key_id, producer.actor.agency_id
    conns = [
        await asyncpg.connect(dsn) for _ in range(1 if mode == "sql group-commit" else clients)
    ]

    def rows_for(position: int, items: list[tuple[str, int, bytes]], now: int) -> list[Any]:
        out = []
        for offset, (batch, seq, prev) in enumerate(items):
            rhash = secrets.token_bytes(32)
            out.append(
                (
                    position + offset,
                    batch,
                    seq,
                    now,
                    prev,
                    rhash,
                    rhash,
                    statement,
                    signature,
                    key,
                    agency,
                    EVENT_KIND,
                )
            )
        return out

    async def one(i: int) -> None:
        conn, batch = conns[i], batches[i]
        async with conn.transaction():
            await conn.fetchrow(_SQL_KEY, key)
            row = await conn.fetchrow(_SQL_LOCK, batch)
            if mode == "sql sequence":
                position = await conn.fetchval(_SQL_SEQUENCE)
            else:
                position = await conn.fetchval(_SQL_HEAD, 1) - 1
            now = time.time_ns() // 1000
            (record,) = rows_for(position, [(batch, row["version"] + 1, row["head_hash"])], now)
            await conn.execute(_SQL_INSERT, *record)
            await conn.execute(_SQL_BATCH, record[2], record[5], now, batch)

    if mode != "sql group-commit":
        try:
            return await timed_tasks(clients, seconds, one, database=_database())
        finally:
            for conn in conns:
                await conn.close()

    queue: asyncio.Queue[tuple[str, asyncio.Future[None]] | None] = asyncio.Queue()

    async def writer() -> None:
        conn = conns[0]
        while (first := await queue.get()) is not None:
            items = [first]
            while not queue.empty() and len(items) < 256:
                nxt = queue.get_nowait()
                if nxt is None:
                    queue.put_nowait(None)
                    break
                items.append(nxt)
            try:
                async with conn.transaction():
                    await conn.fetchrow(_SQL_KEY, key)
                    ids = sorted({batch for batch, _ in items})
                    state = {
                        r["id"]: (r["version"], r["head_hash"])
                        for r in await conn.fetch(_SQL_LOCK_MANY, ids)
                    }
                    position = await conn.fetchval(_SQL_HEAD, len(items)) - len(items)
                    now, records_ = time.time_ns() // 1000, []
                    for batch, _ in items:  # a batch twice in a group chains to itself
                        version, prev = state[batch]
                        (record,) = rows_for(position, [(batch, version + 1, prev)], now)
                        records_.append(record)
                        state[batch] = (version + 1, record[5])
                        position += 1
                    await conn.executemany(_SQL_INSERT, records_)
                    await conn.executemany(
                        _SQL_BATCH, [(v, h, now, b) for b, (v, h) in state.items()]
                    )
            except Exception as exc:  # every waiter of the group learns of it
                for _, fut in items:
                    fut.set_exception(exc)
                continue
            for _, fut in items:
                fut.set_result(None)

    async def submit(i: int) -> None:
        fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        queue.put_nowait((batches[i], fut))
        await fut

    task = asyncio.create_task(writer())
    try:
        return await timed_tasks(clients, seconds, submit, database=_database())
    finally:
        queue.put_nowait(None)
        await task
        await conns[0].close()


# -- store ----------------------------------------------------------------------


async def store_server_signed(
    ledger: Ledger, producer: Producer, clients: int, seconds: float, one_batch: bool
) -> Run:
    targets = [producer.shared if one_batch else producer.batches[i] for i in range(clients)]

    async def step(i: int) -> None:
        await append_unsigned(
            ledger,
            producer.actor,
            batch=targets[i],
            kind=EVENT_KIND,
            occurred_at=OCCURRED_AT,
            body=EVENT_BODY,
        )

    return await timed_tasks(clients, seconds, step, database=_database())


async def store_client_signed(
    ledger: Ledger, producer: Producer, clients: int, seconds: float, expected_rate: float
) -> Run:
    per_client = int(seconds * max(expected_rate, 200) * 2 / clients) + 20
    stock = [
        [presign(producer, producer.batches[i]) for _ in range(per_client)] for i in range(clients)
    ]
    short = {"signed_in_loop": 0}

    async def step(i: int) -> None:
        if stock[i]:
            signed = stock[i].pop()
        else:  # ran out: sign inside the timed section (flagged in the table)
            short["signed_in_loop"] += 1
            signed = presign(producer, producer.batches[i])
        await append(ledger, producer.actor, signed)

    run = await timed_tasks(clients, seconds, step, database=_database())
    if short["signed_in_loop"]:
        run.note = f"{short['signed_in_loop']} signed in the timed loop"
    return run


# -- HTTP -----------------------------------------------------------------------


WRK_SCRIPT = r"""
-- Generated by bench/append.py. args: mode token file
local mode, token, file = nil, nil, nil
local items, i, wrapped = {}, 0, 0

init = function(args)
  mode, token, file = args[1], args[2], args[3]
  for line in io.lines(file) do items[#items + 1] = line end
  wrk.headers["Content-Type"] = "application/json"
  wrk.headers["Authorization"] = "Bearer " .. token
end

request = function()
  i = i + 1
  if mode == "events" then
    -- items are batch ids, taken round-robin: one batch per connection in flight
    local batch = items[((i - 1) % #items) + 1]
    return wrk.format("POST", "/api/v1/batches/" .. batch .. "/events", nil, EVENT)
  end
  -- items are pre-signed /records bodies, each sent once
  if i > #items then
    wrapped = wrapped + 1
    return wrk.format("GET", "/healthz")
  end
  return wrk.format("POST", "/api/v1/records", nil, items[i])
end

local threads = {}
setup = function(thread) threads[#threads + 1] = thread end

done = function(summary, latency, requests)
  local w = 0
  for _, t in ipairs(threads) do w = w + (t:get("wrapped") or 0) end
  local e = summary.errors
  io.write(string.format(
    "BENCH {\"requests\": %d, \"duration_us\": %d, \"connect\": %d, \"read\": %d," ..
    " \"write\": %d, \"status\": %d, \"timeout\": %d, \"p50_us\": %d, \"p99_us\": %d," ..
    " \"wrapped\": %d}\n",
    summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(99), w))
end
"""


def wrk_run(
    server: Server,
    token: str,
    mode: str,
    items: list[str],
    clients: int,
    seconds: float,
    workdir: Path,
) -> Run:
    script = workdir / "append.lua"
    event = json.dumps({"kind": EVENT_KIND, "occurred_at": OCCURRED_AT, "body": EVENT_BODY})
    script.write_text("EVENT = [==[" + event + "]==]\n" + WRK_SCRIPT)
    data = workdir / f"wrk-{mode}.txt"
    data.write_text("\n".join(items) + "\n")
    with Meter(_database(), server.proc.pid) as meter:
        done = subprocess.run(
            [
                "wrk",
                "-t1",
                f"-c{clients}",
                f"-d{max(1, round(seconds))}s",
                "--timeout",
                "30s",
                "-s",
                str(script),
                server.base,
                "--",
                mode,
                token,
                str(data),
            ],
            capture_output=True,
            text=True,
            check=False,
        )
    line = next((x for x in done.stdout.splitlines() if x.startswith("BENCH ")), None)
    if line is None:
        raise RuntimeError(f"wrk failed: {done.stdout}\n{done.stderr}")
    out = json.loads(line[6:])
    elapsed = out["duration_us"] / 1e6
    wrapped = out["wrapped"]
    errors = out["status"] + out["connect"] + out["read"] + out["write"] + out["timeout"]
    ok = out["requests"] - errors - wrapped
    run = Run(ok, errors, elapsed, busy=meter.busy)
    run.cpu_app, run.cpu_db, run.cpu_client = meter.server, meter.db, meter.children
    run.latencies_ms = [out["p50_us"] / 1000, out["p99_us"] / 1000]  # p50, p99 only
    if wrapped:
        run.note = f"ran out of pre-signed statements ({wrapped} GETs not counted)"
    return run


async def httpx_run(
    server: Server, token: str, mode: str, items: list[str], clients: int, seconds: float
) -> Run:
    import httpx

    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    event = json.dumps({"kind": EVENT_KIND, "occurred_at": OCCURRED_AT, "body": EVENT_BODY})
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    stock = list(reversed(items)) if mode == "records" else []
    async with httpx.AsyncClient(
        base_url=server.base, headers=headers, limits=limits, timeout=30
    ) as client:

        async def step(i: int) -> None:
            if mode == "events":
                path, body = f"/api/v1/batches/{items[i % len(items)]}/events", event
            else:
                if not stock:
                    raise RuntimeError("ran out of pre-signed statements")
                path, body = "/api/v1/records", stock.pop()
            answer = await client.post(path, content=body)
            if answer.status_code != 201:
                raise RuntimeError(f"HTTP {answer.status_code}: {answer.text[:120]}")

        return await timed_tasks(
            clients, seconds, step, database=_database(), server_group=server.proc.pid
        )


def records_bodies(producer: Producer, batches: list[str], count: int) -> list[str]:
    out = []
    for j in range(count):
        signed = presign(producer, batches[j % len(batches)])
        out.append(
            json.dumps(
                {
                    "statement": base64.b64encode(signed.statement).decode(),
                    "signature": base64.b64encode(signed.signature).decode(),
                    "key_id": signed.key_id,
                }
            )
        )
    return out


# --------------------------------------------------------------------------- the run


class Session:
    """One backend's part of the run: its database, its producers, its results."""

    def __init__(
        self, name: str, args: argparse.Namespace, results: dict[ConfigKey, Config]
    ) -> None:
        self.name, self.args, self.results = name, args, results
        self.workdir = Path(tempfile.mkdtemp(prefix=f"bench-append-{name}-"))
        self.paths = set(args.paths)
        self.appended = 0  # successes counted, to check against the database
        self.in_flight = 0  # requests wrk may have left in flight when it stopped

    def config(self, path: str, clients: int, one_batch: bool = False) -> Config:
        key = (self.name, path, clients, one_batch)
        if key not in self.results:
            self.results[key] = Config(self.name, path, clients, one_batch)
        return self.results[key]

    def record(self, cfg: Config, run: Run) -> None:
        cfg.runs.append(run)
        if cfg.path != "raw":
            self.appended += run.ok
        extra = f" errors={run.errors}" if run.errors else ""
        extra += f" ({run.note})" if run.note else ""
        log(
            f"   {cfg.path:<20} {'1 batch ' if cfg.one_batch else ''}c={cfg.clients:<3}"
            f" {run.rate:8.1f}/s{extra}"
        )

    def run(self) -> None:
        log(f"== {self.name}: preparing a throwaway database in {self.workdir}")
        self.backend = make_backend(self.name, self.args, self.workdir)
        self.settings = load_settings(self.backend.env)
        try:
            self.custodial, self.external = asyncio.run(_setup(self.settings, self.top))
            before = asyncio.run(_count_records(self.settings))
            if "raw" in self.paths:
                self.raw_block()
            if self.paths & {"store server-signed", "store client-signed"}:
                asyncio.run(self.store_block())
            if self.paths & {"http server-signed", "http client-signed"}:
                self.http_block()
            if self.paths & set(SQL_PATHS) and self.name == "postgres":
                self.sql_block()
            after = asyncio.run(_count_records(self.settings))
            check = asyncio.run(_verify(self.settings, self.custodial.shared))
            log(
                f"== {self.name}: {after - before} records appended, {self.appended} successes"
                f" counted; chain check of the shared batch: {check}"
            )
            missing = after - before - self.appended
            if not 0 <= missing <= self.in_flight:
                log(f"!! {self.name}: the database and the counts disagree by {missing}")
        finally:
            self.backend.drop()
            if not self.args.keep:
                shutil.rmtree(self.workdir, ignore_errors=True)

    @property
    def top(self) -> int:
        return int(max(self.args.clients))

    def one_batch(self, clients: int) -> bool:
        return bool(self.args.one_batch) and clients > 1

    def raw_block(self) -> None:
        asyncio.run(raw_prepare(self.backend))
        for run in range(self.args.runs):
            log(f"-- {self.name} raw, run {run + 1}/{self.args.runs}")
            for clients in self.args.clients:
                result = asyncio.run(raw_run(self.backend, clients, self.args.seconds))
                self.record(self.config("raw", clients), result)

    async def store_block(self) -> None:
        seconds = self.args.seconds
        ledger = open_ledger(self.settings)
        try:
            # Warm-up: the pool's connections and the custodial key cache.
            warm = await store_server_signed(ledger, self.custodial, min(16, self.top), 1, False)
            self.appended += warm.ok
            for run in range(self.args.runs):
                log(f"-- {self.name} store, run {run + 1}/{self.args.runs}")
                for clients in self.args.clients:
                    rate = 0.0
                    if "store server-signed" in self.paths:
                        result = await store_server_signed(
                            ledger, self.custodial, clients, seconds, False
                        )
                        self.record(self.config("store server-signed", clients), result)
                        rate = result.rate
                        if self.one_batch(clients):
                            result = await store_server_signed(
                                ledger, self.custodial, clients, seconds, True
                            )
                            self.record(self.config("store server-signed", clients, True), result)
                    if "store client-signed" in self.paths:
                        result = await store_client_signed(
                            ledger, self.external, clients, seconds, rate or 2000.0
                        )
                        self.record(self.config("store client-signed", clients), result)
        finally:
            await ledger.close()

    def http_block(self) -> None:
        args, seconds = self.args, self.args.seconds
        have_wrk = shutil.which("wrk") is not None
        if args.http_client == "wrk" and not have_wrk:
            raise SystemExit("wrk is not installed (apt-get install wrk)")
        use_wrk = args.http_client == "wrk" or (args.http_client == "auto" and have_wrk)
        if not use_wrk and args.http_client == "auto":
            log(
                "!! wrk is not installed (apt-get install wrk): falling back to the Python"
                " httpx client, which takes CPU from the server on the same machine"
            )
        log(
            f"-- {self.name} http: `python -m trace serve --workers {args.workers}`,"
            f" load from {'wrk' if use_wrk else 'httpx'}"
        )
        server = Server(
            self.backend.env,
            self.workdir / f"server-{self.name}.log",
            args.workers,
        )

        def drive(token: str, mode: str, items: list[str], clients: int, secs: float) -> Run:
            if use_wrk:
                self.in_flight += clients
                return wrk_run(server, token, mode, items, clients, secs, self.workdir)
            return asyncio.run(httpx_run(server, token, mode, items, clients, secs))

        custodial, external = self.custodial, self.external
        try:
            warm = drive(custodial.token, "events", custodial.batches[:16], min(16, self.top), 1)
            self.appended += warm.ok
            for run in range(args.runs):
                log(f"-- {self.name} http, run {run + 1}/{args.runs}")
                for clients in args.clients:
                    rate = 0.0
                    if "http server-signed" in self.paths:
                        batches = custodial.batches[:clients]
                        result = drive(custodial.token, "events", batches, clients, seconds)
                        self.record(self.config("http server-signed", clients), result)
                        rate = result.rate
                        if self.one_batch(clients):
                            shared = [custodial.shared]
                            result = drive(custodial.token, "events", shared, clients, seconds)
                            self.record(self.config("http server-signed", clients, True), result)
                    if "http client-signed" in self.paths:
                        need = int(seconds * max(rate or 1500.0, 300) * 2) + 50
                        bodies = records_bodies(external, external.batches[:clients], need)
                        result = drive(external.token, "records", bodies, clients, seconds)
                        self.record(self.config("http client-signed", clients), result)
        finally:
            server.stop()

    def sql_block(self) -> None:
        """The append's SQL without the Python around it (diagnostic; PostgreSQL only)."""
        batches = asyncio.run(_register_batches(self.settings, self.custodial, self.top))
        self.appended += len(batches)
        asyncio.run(_sql_prepare(self.backend.raw_dsn))
        for run in range(self.args.runs):
            log(f"-- {self.name} ledger SQL through asyncpg, run {run + 1}/{self.args.runs}")
            for clients in self.args.clients:
                for path in SQL_PATHS:
                    if path in self.paths:
                        result = asyncio.run(
                            sql_run(
                                self.backend.raw_dsn,
                                self.custodial,
                                batches,
                                path,
                                clients,
                                self.args.seconds,
                            )
                        )
                        self.record(self.config(path, clients), result)


async def _setup(settings: Settings, count: int) -> tuple[Producer, Producer]:
    ledger = open_ledger(settings)
    try:
        return await make_producers(ledger, count)
    finally:
        await ledger.close()


async def _count_records(settings: Settings) -> int:
    ledger = open_ledger(settings)
    try:
        async with ledger.engine.connect() as conn:
            return int((await conn.execute(select(func.count()).select_from(records))).scalar_one())
    finally:
        await ledger.close()


async def _verify(settings: Settings, batch: str) -> str:
    ledger = open_ledger(settings)
    try:
        _batch, count, faults = await verify_batch(ledger, batch)
        return f"{count} records, {len(faults)} faults"
    finally:
        await ledger.close()


def _median_of(values: list[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return statistics.median(present) if present else None


def _ms(value: float | None) -> str:
    return "–" if value is None else f"{value:.2f}"


def render(results: dict[ConfigKey, Config]) -> str:
    """The markdown table: medians of the runs, CPU per append split by process."""
    lines = [
        "| backend | path | batches | clients | appends/s (median) | runs (min–max) | vs raw |"
        " p50 / p99 ms | CPU ms/append: app | db | client | machine busy | errors |",
        "|---|---|---:|---:|---:|---|---:|---|---:|---:|---:|---:|---:|",
    ]
    ordered = sorted(
        results.values(),
        key=lambda c: (c.backend, ALL_PATHS.index(c.path), c.one_batch, c.clients),
    )
    for cfg in ordered:
        if not cfg.runs:
            continue
        med = cfg.median()
        raw = results.get((cfg.backend, "raw", cfg.clients, False))
        vs = f"{med / raw.median():.2f}" if raw and raw.runs and raw.median() else "–"
        rates = [r.rate for r in cfg.runs]
        mid = sorted(cfg.runs, key=lambda r: r.rate)[len(cfg.runs) // 2]
        p50: float | None
        p99: float | None
        if cfg.path.startswith("http") and len(mid.latencies_ms) == 2:
            p50, p99 = mid.latencies_ms
        else:
            p50, p99 = percentile(mid.latencies_ms, 0.5), percentile(mid.latencies_ms, 0.99)
        lat = f"{p50:.1f} / {p99:.1f}" if p50 is not None and p99 is not None else "–"
        app = _median_of([r.per_op_ms(r.cpu_app) for r in cfg.runs])
        db = _median_of([r.per_op_ms(r.cpu_db) for r in cfg.runs])
        client = _median_of([r.per_op_ms(r.cpu_client) for r in cfg.runs])
        if cfg.backend == "sqlite":
            db = None  # SQLite runs inside the app's process
        busy = _median_of([r.busy for r in cfg.runs])
        busy_text = "–" if busy is None else f"{busy * 100:.0f}%"
        errors = sum(r.errors for r in cfg.runs)
        batches = "1" if cfg.one_batch or cfg.clients == 1 else str(cfg.clients)
        if cfg.path == "raw":
            batches = "–"
        lines.append(
            f"| {cfg.backend} | {cfg.path} | {batches} | {cfg.clients} | {med:,.0f} |"
            f" {min(rates):,.0f}–{max(rates):,.0f} | {vs} | {lat} | {_ms(app)} | {_ms(db)} |"
            f" {_ms(client)} | {busy_text} | {errors} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backend", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument(
        "--clients", default="1,16,64", help="comma-separated concurrency levels (default 1,16,64)"
    )
    parser.add_argument("--seconds", type=float, default=3.0, help="per run (default 3)")
    parser.add_argument("--runs", type=int, default=3, help="runs per configuration (median)")
    parser.add_argument(
        "--paths",
        default=",".join(ORDER),
        help=f"comma-separated subset of: {', '.join(ALL_PATHS)} (the sql ones are opt-in)",
    )
    parser.add_argument(
        "--no-one-batch",
        dest="one_batch",
        action="store_false",
        help="skip the every-writer-on-one-batch rows",
    )
    parser.add_argument("--http-client", choices=["auto", "wrk", "httpx"], default="auto")
    parser.add_argument(
        "--workers",
        type=int,
        default=SERVER_WORKERS,
        help="Granian workers for the HTTP rows (default 2)",
    )
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get("TRACE_BENCH_POSTGRES_URL", DEFAULT_POSTGRES),
        help="a PostgreSQL server where the bench may CREATE DATABASE",
    )
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    args = parser.parse_args(argv)
    args.clients = [int(c) for c in args.clients.split(",") if c.strip()]
    args.paths = [p.strip() for p in args.paths.split(",") if p.strip()]
    unknown = set(args.paths) - set(ALL_PATHS)
    if unknown:
        parser.error(f"unknown paths: {', '.join(sorted(unknown))}")

    backends = ["sqlite", "postgres"] if args.backend == "both" else [args.backend]
    results: dict[ConfigKey, Config] = {}
    started = time.perf_counter()
    for name in backends:
        Session(name, args, results).run()
    log(f"== done in {time.perf_counter() - started:.0f} s")
    print(
        f"nproc={os.cpu_count()} seconds={args.seconds:g} runs={args.runs}"
        f" http_workers={args.workers}\n"
    )
    print(render(results))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
