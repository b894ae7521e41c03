"""Public page: requests per second and latency of the provenance page, driven by wrk.

Run from the project root (see bench/README.md)::

    .venv/bin/python bench/page.py --runs 3

The data is the demo (loaded in-process as ``python -m trace demo`` loads it, then one
checkpoint signed so that the pages' ETag stays put) in a throwaway database: a SQLite file
in a temporary directory (the embedded default), or a database ``bench_page_<pid>`` created
on ``--postgres-url`` (without a value: ``TRACE_BENCH_POSTGRES_URL`` or the local server)
and dropped at the end. The server is the real one, ``python -m trace serve --workers 2``,
with ``TRACE_PAGE_RATE=0``: the load generator is one client, and the per-client limit of
120 requests a minute would answer almost everything with 429.

The load generator is ``wrk`` (``apt-get install -y wrk``): one thread, N keep-alive
connections, about 10 s per measurement, latency percentiles from its own histogram (a Lua
``done`` hook). Every request carries the headers of a phone's browser (Accept,
Accept-Language, Accept-Encoding: gzip, User-Agent). What is measured, with 64 and 16
connections:

- ``static``: ``GET /robots.txt``, a constant string from the same application: the
  reference (routing, the framework, the HTTP server, no database);
- ``warm 304``: the demo pomelo's page (``/01/08936047000128/10/BD-2026-09``) with
  ``If-None-Match`` set to its current ETag, as a phone scanning the label again;
- ``warm 200``: the same page without ``If-None-Match``, as another phone's first scan: the
  body comes gzipped from the worker's cache of rendered pages;
- ``warm 200 identity``: the same without ``Accept-Encoding`` (no compression; diagnostic);
- ``cold``: the same page from a second server on the same database (started for each cold
  measurement and stopped after it) with
  ``TRACE_PAGE_CACHE=0``, which keeps neither rendered pages nor batch look-ups: every
  request looks the batch up, reads and verifies its records and their ancestry, renders
  the template and gzips it. What it still holds is the log state (trace/store/page_reads.py),
  which on SQLite it checks on every request with ``PRAGMA data_version``.

``--compare TRACE_METRICS`` (or any setting that ``0`` turns off, e.g. ``TRACE_ACCESS_LOG``)
runs a second server beside the first with that setting at ``0`` and measures each warm
kind on both, one right after the other in every run (which goes first alternates from run
to run), so that the machine's drift falls on both alike; a table gives, per kind, the
rate with the setting on over the rate with it off, paired by run, and the CPU per request
of each.

Runs are interleaved (run 1 of everything, then run 2, ...); the table gives the median
and range of the rates, p50/p99 of the median run, bytes per response (which shows 304s
from 200s), CPU milliseconds per request spent by the server's processes, by wrk, by
PostgreSQL, and how busy the whole machine was. Then the targets, and the pomelo page's
size with and without gzip. ``--profile`` adds, in this process against the same
database, the page's stages timed one by one and a cProfile of the ASGI application
(no HTTP server) grouped by where the time goes.

``--replica`` (a throwaway primary with a streaming replica serving the reads) or
``--read-url URL`` (a replica of ``--postgres-url`` you run), and ``--appends RATE`` (events
appended on the primary meanwhile): see bench/page_replica.py.

A markdown report goes to stdout; progress goes to stderr.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import gzip
import json
import os
import pstats
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
# The standard library has a module named `trace`: our root must come first.
if str(ROOT) not in sys.path[:1]:
    sys.path.insert(0, str(ROOT))

import page_phone  # noqa: E402
import page_replica  # noqa: E402
from harness import Meter, Server, add_postgres_option, demo_environment, log  # noqa: E402

from trace.config import Settings, load_settings  # noqa: E402
from trace.demo import load_demo  # noqa: E402
from trace.domain.agency import AgencyKind  # noqa: E402
from trace.store.agencies import create_agency  # noqa: E402
from trace.store.batches import all_batches  # noqa: E402
from trace.store.checkpoints import sign_checkpoint  # noqa: E402
from trace.store.database import read_transaction  # noqa: E402
from trace.store.ledger import open_ledger  # noqa: E402
from trace.store.migrate import migrate  # noqa: E402

DEMO_HOST = "https://trace.example.vn"
POMELO_GTIN = "08936047000128"
POMELO_LOT = "BD-2026-09"
POMELO = f"/01/{POMELO_GTIN}/10/{POMELO_LOT}"
STATIC = "/robots.txt"
# What a phone's browser sends when it opens the link of a QR code.
PHONE = {
    "User-Agent": (
        "Mozilla/5.0 (Linux; Android 14; SM-A155F) AppleWebKit/537.36 (KHTML, like Gecko)"
        " Chrome/126.0.0.0 Mobile Safari/537.36"
    ),
    "Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
    "Accept-Language": "vi-VN,vi;q=0.9,en-US;q=0.8,en;q=0.7",
    "Accept-Encoding": "gzip",
}
KINDS = ["static", "warm 304", "warm 200", "warm 200 identity", "cold"]
# What --compare measures on both servers (the cold server is another one again).
COMPARED = ["static", "warm 304", "warm 200", "warm 200 identity"]
SERVER_WORKERS = 2
# Targets, at TARGET_CONNECTIONS.
TARGET_CONNECTIONS = 64
TARGET_WARM_RATE = 5000.0
TARGET_WARM_P99_MS = 50.0
TARGET_COLD_RATE = 500.0
TARGET_WARM_SHARE = 0.40  # of the static reference


# --------------------------------------------------------------------------- results


@dataclass
class Sample:
    """One wrk measurement."""

    ok: int
    errors: int
    seconds: float
    p50_ms: float
    p99_ms: float
    max_ms: float
    bytes_per_response: float
    cpu_server: float | None = None
    cpu_client: float | None = None
    cpu_db: float | None = None
    busy: float | None = None
    note: str = ""

    @property
    def rate(self) -> float:
        return self.ok / self.seconds if self.seconds > 0 else 0.0

    def per_request_ms(self, cpu: float | None) -> float | None:
        return None if cpu is None or not self.ok else cpu / self.ok * 1000


@dataclass
class Row:
    kind: str
    connections: int
    samples: list[Sample] = field(default_factory=list)

    def median(self) -> float:
        return statistics.median(s.rate for s in self.samples) if self.samples else 0.0

    def middle(self) -> Sample:
        """The run with the median rate (its latencies are the ones reported)."""
        return sorted(self.samples, key=lambda s: s.rate)[len(self.samples) // 2]


# --------------------------------------------------------------------------- wrk

WRK_DONE = r"""
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "BENCH {\"requests\": %d, \"duration_us\": %d, \"bytes\": %d, \"connect\": %d," ..
    " \"read\": %d, \"write\": %d, \"status\": %d, \"timeout\": %d, \"p50_us\": %d," ..
    " \"p99_us\": %d, \"max_us\": %d}\n",
    summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write, e.status,
    e.timeout, latency:percentile(50), latency:percentile(99), latency.max))
end
"""


def have_wrk() -> bool:
    return shutil.which("wrk") is not None


def wrk_run(
    base: str,
    path: str,
    headers: dict[str, str],
    connections: int,
    seconds: float,
    workdir: Path,
    *,
    threads: int = 1,
    server_group: int | None = None,
    database: str | None = None,
) -> Sample:
    """One wrk measurement of ``base + path``."""
    script = workdir / "done.lua"
    script.write_text("-- Generated by bench/page.py\n" + WRK_DONE)
    command = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{max(1, round(seconds))}s"]
    command += ["--timeout", "10s", "-s", str(script)]
    for name, value in headers.items():
        command += ["-H", f"{name}: {value}"]
    command.append(base + path)
    with Meter(database, server_group) as meter:
        done = subprocess.run(command, capture_output=True, text=True, check=False)
    line = next((x for x in done.stdout.splitlines() if x.startswith("BENCH ")), None)
    if line is None:
        raise RuntimeError(f"wrk failed: {done.stdout}\n{done.stderr}")
    out = json.loads(line[6:])
    errors = out["status"] + out["connect"] + out["read"] + out["write"] + out["timeout"]
    ok = out["requests"] - out["status"]
    sample = Sample(
        ok=ok,
        errors=errors,
        seconds=out["duration_us"] / 1e6,
        p50_ms=out["p50_us"] / 1000,
        p99_ms=out["p99_us"] / 1000,
        max_ms=out["max_us"] / 1000,
        bytes_per_response=out["bytes"] / out["requests"] if out["requests"] else 0.0,
        cpu_server=meter.server,
        cpu_client=meter.children,
        cpu_db=meter.db if database else None,
        busy=meter.busy,
    )
    return sample


# --------------------------------------------------------------------------- plain HTTP


def fetch(
    base: str, path: str, headers: dict[str, str] | None = None
) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(base + path, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:
            return answer.status, {k.lower(): v for k, v in answer.headers.items()}, answer.read()
    except urllib.error.HTTPError as answer:
        return answer.code, {k.lower(): v for k, v in answer.headers.items()}, answer.read()


def current_etag(base: str) -> str:
    status, headers, _ = fetch(base, POMELO, PHONE)
    if status != 200 or "etag" not in headers:
        raise RuntimeError(f"the pomelo page answered {status} without an ETag")
    return headers["etag"]


def settle(base: str, settings: Settings) -> str:
    """Wait until the pomelo's ETag stays the same over two checkpoint intervals."""
    pause = 2 * settings.checkpoint_seconds + 0.5
    etag = current_etag(base)
    for _ in range(10):
        time.sleep(pause)
        again = current_etag(base)
        if again == etag:
            return etag
        etag = again
    raise RuntimeError("the pomelo page's ETag keeps changing: is something appending?")


def check_server(base: str, cold_base: str) -> dict[str, Any]:
    """What each kind of request answers, before any timing; sizes of the pomelo page."""
    facts: dict[str, Any] = {}
    status, headers, body = fetch(base, STATIC, PHONE)
    assert status == 200 and body.startswith(b"User-agent"), (status, body[:80])
    etag = current_etag(base)
    status, headers, body = fetch(base, POMELO, {**PHONE, "If-None-Match": etag})
    assert status == 304 and not body, (status, len(body))
    status, headers, body = fetch(base, POMELO, PHONE)
    assert status == 200 and headers.get("content-encoding") == "gzip", (status, headers)
    plain = gzip.decompress(body)
    facts["gzip"], facts["html"] = len(body), len(plain)
    assert "Bưởi".encode() in plain, "not the pomelo's page"
    identity = {k: v for k, v in PHONE.items() if k != "Accept-Encoding"}
    status, headers, body = fetch(base, POMELO, identity)
    assert status == 200 and "content-encoding" not in headers, (status, headers)
    assert len(body) == facts["html"], (len(body), facts["html"])
    status, headers, body = fetch(base, f"{POMELO}?lang=en", PHONE)
    facts["gzip en"], facts["html en"] = len(body), len(gzip.decompress(body))
    # The server without a page cache answers the same page (rendered again each time).
    status, headers, body = fetch(cold_base, POMELO, PHONE)
    assert status == 200 and gzip.decompress(body) == plain, (status, len(body))
    facts["cold gzip"] = len(body)
    return facts


# --------------------------------------------------------------------------- setup


@dataclass
class Bench:
    env: dict[str, str]
    settings: Settings
    workdir: Path
    database: str | None  # the PostgreSQL database, None for SQLite
    drop: Callable[[], None]
    code: str = ""  # the pomelo's short code
    token: str = ""  # a producer's token, for --appends


# Each server's connection budget on PostgreSQL, unless TRACE_DATABASE_CONNECTIONS is set.
SHARED_BUDGET = 40


def make_bench(args: argparse.Namespace, workdir: Path) -> Bench:
    """A migrated throwaway database with the demo and a checkpoint; its environment."""
    env, database, drop = demo_environment(
        workdir, DEMO_HOST, args.postgres_url, f"bench_page_{os.getpid()}"
    )
    env["TRACE_PAGE_RATE"] = "0"  # one load generator is one client: no per-client limit
    if database and "TRACE_DATABASE_CONNECTIONS" not in os.environ:
        # Two servers run at once against one PostgreSQL (the warm one and a cold one, or the
        # --compare pair): each gets its part of the connections, as two services sharing a
        # server would be configured (docs/operations.md, "The connection budget"); each
        # server's pools keep what a burst opened, and two default budgets of 80 exceed
        # PostgreSQL's default max_connections of 100.
        env["TRACE_DATABASE_CONNECTIONS"] = str(SHARED_BUDGET)
    for name in ("TRACE_LOG_ORIGIN", "TRACE_CHECKPOINT_SECONDS", "TRACE_WORKERS"):
        env.pop(name, None)
    settings = load_settings(env)
    try:
        migrate(settings.database_url)
        code, token = asyncio.run(_demo(settings))
        if args.read_url and database:
            log("-- waiting for the replica to replay the demo")
            page_replica.wait_replayed(args.postgres_url, args.read_url, database)
            env[page_replica.READ_SETTING] = page_replica.pg_dsn(args.read_url, database)
    except BaseException:
        drop()
        raise
    return Bench(env, load_settings(env), workdir, database, drop, code, token)


async def _demo(settings: Settings) -> tuple[str, str]:
    """Load the demo, sign a checkpoint over it; the pomelo's short code, a producer's token."""
    await load_demo(settings)
    ledger = open_ledger(settings)
    try:
        await sign_checkpoint(ledger, settings.log_origin)
        async with read_transaction(ledger.engine) as conn:
            batches = await all_batches(conn)
        _agency, _key, token = await create_agency(
            ledger, name="HTX Lúa Bench", kind=AgencyKind.PRODUCER
        )
    finally:
        await ledger.close()
    code = next(b.code for b in batches if b.gtin and int(b.gtin) == int(POMELO_GTIN))
    return code, token


# --------------------------------------------------------------------------- the run


def measure(
    bench: Bench, args: argparse.Namespace
) -> tuple[dict[tuple[str, int], Row], dict[str, Any]]:
    rows: dict[tuple[str, int], Row] = {}
    log(f"-- starting `python -m trace serve --workers {args.workers}`")
    server = Server(bench.env, bench.workdir / "server.log", args.workers)
    cold_env = {**bench.env, "TRACE_PAGE_CACHE": "0"}
    other: Server | None = None
    if args.compare:
        # Replicas are turned off by naming none.
        off = "" if args.compare == page_replica.READ_SETTING else "0"
        log(f"-- starting a second server with {args.compare}={off!r}")
        try:
            other = Server(
                {**bench.env, args.compare: off}, bench.workdir / "other.log", args.workers
            )
        except BaseException:
            server.stop()
            raise

    def cold_server() -> Server:
        # Started for each cold measurement and stopped after it, so that the two servers'
        # connection pools never hold PostgreSQL's connections (100 by default) at once.
        return Server(cold_env, bench.workdir / "cold.log", args.workers)

    try:
        log("-- waiting for the page's ETag to settle (the checkpointer's first rounds)")
        settle(server.base, bench.settings)
        cold = cold_server()
        try:
            facts = check_server(server.base, cold.base)
        finally:
            cold.stop()
        log(f"-- pomelo page: {facts['html']:,} bytes of HTML, {facts['gzip']:,} gzipped")
        appender = None
        if args.appends:
            appender = page_replica.Appender(server.base, bench.token, args.appends)
            facts["appender"] = appender
        identity = {k: v for k, v in PHONE.items() if k != "Accept-Encoding"}

        def one(kind: str, connections: int, seconds: float, on: Server | None = None) -> Sample:
            # Each server runs in a session (process group) of its own: its CPU is measured.
            target, headers, path = on or server, PHONE, POMELO
            if kind == "static":
                path = STATIC
            elif kind == "warm 304":
                headers = {**PHONE, "If-None-Match": current_etag(target.base)}
            elif kind == "warm 200 identity":
                headers = identity
            elif kind == "cold":
                target = cold_server()
            if appender is not None:
                appender.start()
            try:
                sample = wrk_run(
                    target.base,
                    path,
                    headers,
                    connections,
                    seconds,
                    bench.workdir,
                    threads=args.threads,
                    server_group=target.proc.pid,
                    database=bench.database,
                )
            finally:
                if appender is not None:
                    appender.stop()
                if target is not server and target is not other:
                    target.stop()
            if kind == "warm 304" and sample.bytes_per_response > 1500:
                sample.note = "responses too large for 304s: the ETag changed during the run"
            return sample

        log("-- warm-up: 2 s of each kind at 16 connections (not counted)")
        for kind in args.kinds:
            one(kind, 16, 2)
        if other is not None:
            settle(other.base, bench.settings)
            for kind in args.kinds:
                if kind in COMPARED:
                    one(kind, 16, 2, other)
        for run in range(args.runs):
            log(f"-- run {run + 1}/{args.runs}")
            for connections in args.connections:
                for kind in args.kinds:
                    pair: list[tuple[str, Server | None]] = [(kind, None)]
                    if other is not None and kind in COMPARED:
                        pair.append((f"{kind}{OFF.format(args.compare)}", other))
                        if run % 2:
                            pair.reverse()
                    for name, target in pair:
                        sample = one(kind, connections, args.seconds, target)
                        row = rows.setdefault((name, connections), Row(name, connections))
                        row.samples.append(sample)
                        _said(name, connections, sample)
        facts["server log"] = [
            *_tail(bench.workdir / "server.log"),
            *_tail(bench.workdir / "cold.log"),
            *_tail(bench.workdir / "other.log"),
        ]
    finally:
        server.stop()
        if other is not None:
            other.stop()
    return rows, facts


# A compared kind measured on the second server: "warm 200 (TRACE_METRICS=0)".
OFF = " ({}=0)"


def _said(kind: str, connections: int, sample: Sample) -> None:
    extra = f" errors={sample.errors}" if sample.errors else ""
    extra += f" ({sample.note})" if sample.note else ""
    log(
        f"   {kind:<18} c={connections:<3} {sample.rate:9,.0f}/s"
        f"  p50 {sample.p50_ms:6.1f} ms  p99 {sample.p99_ms:6.1f} ms"
        f"  {sample.bytes_per_response:7,.0f} B/resp{extra}"
    )


def _tail(path: Path, lines: int = 5) -> list[str]:
    try:
        text = path.read_text(errors="replace").splitlines()
    except OSError:
        return []
    return [x for x in text if "Error" in x or "Traceback" in x][-lines:]


# --------------------------------------------------------------------------- profile


def _scope(path: str, headers: dict[str, str]) -> dict[str, Any]:
    raw, _, query = path.partition("?")
    return {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": raw,
        "raw_path": raw.encode(),
        "query_string": query.encode(),
        "root_path": "",
        "headers": [(b"host", b"127.0.0.1")]
        + [(k.lower().encode(), v.encode()) for k, v in headers.items()],
        "client": ("127.0.0.1", 40000),
        "server": ("127.0.0.1", 8000),
        "state": {},
    }


async def _call(app: Any, path: str, headers: dict[str, str]) -> tuple[int, int]:
    """One request straight into the ASGI application; its status and body size."""
    sent: dict[str, Any] = {"status": 0, "size": 0}

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            sent["status"] = message["status"]
        elif message["type"] == "http.response.body":
            sent["size"] += len(message.get("body", b""))

    await app(_scope(path, headers), receive, send)
    return sent["status"], sent["size"]


WAIT = "waiting in epoll: database round trips, hand-offs to a driver's thread (wall, not CPU)"
_BUCKETS = [
    # built-ins are matched by their name, the rest by their file
    ("select.epoll", WAIT),
    ("_queue.SimpleQueue", WAIT),
    ("of '_socket.socket'", WAIT),
    ("greenlet", "SQLAlchemy (with its greenlet bridge to asyncio)"),
    ("sqlalchemy", "SQLAlchemy (with its greenlet bridge to asyncio)"),
    ("aiosqlite", "database driver (aiosqlite, sqlite3, asyncpg)"),
    ("sqlite3", "database driver (aiosqlite, sqlite3, asyncpg)"),
    ("asyncpg", "database driver (aiosqlite, sqlite3, asyncpg)"),
    ("litestar", "Litestar (routing, request, response, compression)"),
    ("jinja2", "Jinja2 and the page template"),
    ("templates/", "Jinja2 and the page template"),
    ("cryptography", "Ed25519 signature checks (cryptography)"),
    ("trace/public", "trace.public and trace.api.pages (view, render, ETag)"),
    ("trace/api", "trace.public and trace.api.pages (view, render, ETag)"),
    ("trace/domain", "trace.domain (chain check, decoding statements)"),
    ("trace/", "trace, other"),
    ("zlib", "gzip (zlib)"),
    ("gzip", "gzip (zlib)"),
    ("msgspec", "msgspec"),
    ("asyncio", "asyncio event loop"),
    ("selectors", "asyncio event loop"),
    ("_contextvars.Context", "asyncio event loop"),
    ("bench/page.py", "this bench's ASGI caller"),
]


def _bucket(filename: str, name: str) -> str:
    path = filename.replace("\\", "/")
    if path == "~":  # a built-in: by its name
        path = name
    for needle, bucket in _BUCKETS:
        if needle in path:
            return bucket
    return "other (standard library, built-ins)"


def grouped(profile: cProfile.Profile, count: int) -> list[tuple[str, float, float]]:
    """Own time by where the code lives: (bucket, share, microseconds per request)."""
    stats: Any = pstats.Stats(profile)
    totals: dict[str, float] = {}
    for (filename, _line, name), (_cc, _nc, tottime, _ct, _callers) in stats.stats.items():
        key = _bucket(filename, name)
        totals[key] = totals.get(key, 0.0) + tottime
    whole = sum(totals.values()) or 1.0
    return [
        (key, value / whole, value / count * 1e6)
        for key, value in sorted(totals.items(), key=lambda kv: -kv[1])
    ]


@dataclass
class Counted:
    """SQL statements and transactions seen by an engine (SQLAlchemy events)."""

    statements: int = 0
    transactions: int = 0

    def watch(self, engine: Any) -> None:
        from sqlalchemy import event

        def on_statement(*_args: Any) -> None:
            self.statements += 1

        def on_begin(*_args: Any) -> None:
            self.transactions += 1

        event.listen(engine.sync_engine, "before_cursor_execute", on_statement)
        event.listen(engine.sync_engine, "begin", on_begin)
        self._on = (on_statement, on_begin)

    def watch_sync(self, engine: Any) -> None:
        """Also count a synchronous engine's (the SQLite page reads' own connections).

        An async engine (PostgreSQL's page reads use the ledger's) takes no listener of
        its own: SQLAlchemy refuses events on it, and ``watch`` counts its statements.
        """
        from sqlalchemy import Engine, event

        if not isinstance(engine, Engine):
            return
        on_statement, on_begin = self._on
        event.listen(engine, "before_cursor_execute", on_statement)
        event.listen(engine, "begin", on_begin)


async def _timed(
    step: Callable[[], Awaitable[Any]], count: int, counted: Counted
) -> tuple[float, float, float, float]:
    """Per call of ``step``, ``count`` calls one after another: wall and CPU microseconds
    (CPU of this process, all its threads), SQL statements, transactions."""
    statements, transactions = counted.statements, counted.transactions
    wall, cpu = time.perf_counter(), time.process_time()
    for _ in range(count):
        await step()
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    return (
        wall / count * 1e6,
        cpu / count * 1e6,
        (counted.statements - statements) / count,
        (counted.transactions - transactions) / count,
    )


async def observability(
    on: Callable[[], Awaitable[Any]],
    off: Callable[[], Awaitable[Any]],
    logged: Callable[[], Awaitable[Any]],
    count: int,
    counted: Counted,
) -> list[str]:
    """CPU per warm 200 with metrics on, off, and with the request log too, interleaved."""
    rounds = 9  # each app takes each place in the order three times
    cpu: dict[str, list[float]] = {"off": [], "on": [], "logged": []}
    null = os.open(os.devnull, os.O_WRONLY)
    saved = os.dup(1)
    try:
        for i in range(rounds):
            order = [("off", off), ("on", on), ("logged", logged)]
            for name, step in order[i % 3 :] + order[: i % 3]:
                if name == "logged":
                    sys.stdout.flush()
                    os.dup2(null, 1)  # the log lines go nowhere: their making is measured
                try:
                    cpu[name].append((await _timed(step, count, counted))[1])
                finally:
                    os.dup2(saved, 1)
    finally:
        os.close(null)
        os.close(saved)
    off_us = statistics.median(cpu["off"])
    lines = [
        "",
        f"Observability's cost on a warm 200 in this process ({rounds} interleaved rounds of"
        f" {count:,} requests; CPU µs per request, median, and over metrics off):",
        "",
        "| ASGI app | CPU µs/request | over off |",
        "|---|---:|---:|",
    ]
    for name, title in (
        ("off", "TRACE_METRICS=0, TRACE_ACCESS_LOG=0"),
        ("on", "metrics on (multi-process files), TRACE_ACCESS_LOG=0"),
        ("logged", "metrics on, JSON request log (to /dev/null)"),
    ):
        value = statistics.median(cpu[name])
        lines.append(
            f"| {title} | {value:,.1f} | {value - off_us:+,.1f} µs"
            f" ({(value / off_us - 1) * 100:+.1f} %) |"
        )
    return lines


async def profile(bench: Bench, count: int) -> list[str]:
    """The page's stages timed one by one, then the ASGI app under cProfile, in-process."""
    from dataclasses import replace

    from trace.api import resolver
    from trace.api.app import create_app
    from trace.domain.identifiers import parse_digital_link_path
    from trace.domain.places import vietnam_today
    from trace.observe.metrics import use_directory
    from trace.public.render import render_page
    from trace.public.view import build_view
    from trace.store.page_reads import page_reads

    out: list[str] = []
    # Metrics written as `serve` writes them (multi-process files); the request log off, as
    # this process's standard output is the report (observability() measures it apart).
    use_directory(bench.workdir / "metrics-profile")
    settings = replace(bench.settings, access_log=False)
    app: Any = create_app(settings)
    cold_app: Any = create_app(replace(settings, page_cache=False))
    bare_app: Any = create_app(replace(settings, metrics=False))
    logged_app: Any = create_app(replace(settings, access_log=True))
    identity = {k: v for k, v in PHONE.items() if k != "Accept-Encoding"}
    link = parse_digital_link_path(POMELO)
    async with app.lifespan(), cold_app.lifespan(), bare_app.lifespan(), logged_app.lifespan():
        ledger = app.state.ledger
        counted = Counted()
        counted.watch(ledger.engine)
        reads = page_reads(ledger.engine)
        counted.watch_sync(getattr(reads, "_engine", None))
        today = vietnam_today()
        async with reads.transaction() as conn:
            found = await resolver._by_digital_link(conn, link)
            assert not isinstance(found, str), found
            batch = found[0]
            view = await build_view(conn, batch, today=today)
        html = render_page(view, "vi", path=POMELO, checkpoint=None).encode()

        async def log_state() -> None:
            await reads.state()

        async def lookup() -> None:
            async with reads.transaction() as conn:
                await resolver._by_digital_link(conn, link)

        async def view_() -> None:
            async with reads.transaction() as conn:
                await build_view(conn, batch, today=today)

        async def render() -> None:
            render_page(view, "vi", path=POMELO, checkpoint=None)

        async def gzip6() -> None:
            gzip.compress(html, compresslevel=6)

        def http(target: Any, path: str, headers: dict[str, str]) -> Callable[[], Awaitable[None]]:
            async def call() -> None:
                status, _ = await _call(target, path, headers)
                assert status in (200, 304), (path, status)

            return call

        captured: dict[str, str] = {}

        async def send(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                captured.update((k.decode().lower(), v.decode()) for k, v in message["headers"])

        async def receive() -> dict[str, Any]:
            return {"type": "http.request", "body": b"", "more_body": False}

        await app(_scope(POMELO, PHONE), receive, send)
        warm304 = {**PHONE, "If-None-Match": captured["etag"]}
        few = max(50, count // 10)
        steps: list[tuple[str, Callable[[], Awaitable[Any]], int]] = [
            ("log state, nothing changed (`PRAGMA data_version` / notified)", log_state, count),
            ("batch look-up by Digital Link (a read transaction, one SELECT)", lookup, count),
            ("`build_view` (records read, chain and signatures checked, ancestry)", view_, few),
            ("`render_page` (Jinja2)", render, few),
            (f"gzip of the page ({len(html):,} bytes), level 6", gzip6, few),
            ("ASGI app: static `/robots.txt`", http(app, STATIC, PHONE), count),
            ("ASGI app: warm 304", http(app, POMELO, warm304), count),
            ("ASGI app: warm 200 (gzip)", http(app, POMELO, PHONE), count),
            ("ASGI app: warm 200 identity", http(app, POMELO, identity), count),
            ("ASGI app, no page cache: cold (a render, gzip)", http(cold_app, POMELO, PHONE), few),
        ]
        for _name, step, n in steps:  # every path once before the timing
            await _timed(step, min(n, 20), counted)
        out += [
            "",
            "In this process, one request after another against the same database (no HTTP"
            " server, no concurrency); CPU is this process's, all threads:",
            "",
            "| stage | wall µs | CPU µs | SQL statements | transactions |",
            "|---|---:|---:|---:|---:|",
        ]
        for name, step, n in steps:
            runs = [await _timed(step, n, counted) for _ in range(3)]
            wall = statistics.median(r[0] for r in runs)
            cpu = statistics.median(r[1] for r in runs)
            statements, transactions = runs[-1][2], runs[-1][3]
            out.append(
                f"| {name} | {wall:,.0f} | {cpu:,.0f} | {statements:.1f} | {transactions:.1f} |"
            )
        await reads.close()
        out += await observability(
            http(app, POMELO, PHONE),
            http(bare_app, POMELO, PHONE),
            http(logged_app, POMELO, PHONE),
            count,
            counted,
        )
        profiled: list[tuple[str, Callable[[], Awaitable[Any]], int]] = [
            ("warm 304", steps[6][1], count),
            ("warm 200 (gzip)", steps[7][1], count),
            ("cold", steps[9][1], few),
        ]
        for title, step, n in profiled:
            prof = cProfile.Profile()
            prof.enable()
            for _ in range(n):
                await step()
            prof.disable()
            out += [
                "",
                f"cProfile of {n:,} `{title}` requests into the ASGI app, own time grouped:",
                "",
                "| where | share | µs per request (profiled) |",
                "|---|---:|---:|",
            ]
            for key, share, micros in grouped(prof, n):
                if share >= 0.01:
                    out.append(f"| {key} | {share * 100:.0f} % | {micros:,.0f} |")
    return out


# --------------------------------------------------------------------------- report


def _fmt(value: float | None, digits: int = 2) -> str:
    return "–" if value is None else f"{value:,.{digits}f}"


def _median_of(values: list[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return statistics.median(present) if present else None


def _paired_share(row: Row, static: Row | None) -> list[float]:
    if static is None:
        return []
    return [s.rate / r.rate for s, r in zip(row.samples, static.samples, strict=False) if r.rate]


def table(rows: dict[tuple[str, int], Row], postgres: bool) -> str:
    columns = [
        ("request", "---"),
        ("connections", "---:"),
        ("requests/s (median)", "---:"),
        ("runs (min–max)", "---"),
        ("vs static", "---:"),
        ("p50 / p99 ms", "---"),
        ("bytes/response", "---:"),
        ("CPU ms/request: server", "---:"),
        ("wrk", "---:"),
        *([("db", "---:")] if postgres else []),
        ("machine busy", "---:"),
        ("errors", "---:"),
    ]
    lines = [
        "| " + " | ".join(name for name, _ in columns) + " |",
        "|" + "|".join(align for _, align in columns) + "|",
    ]
    ordered = sorted(rows.values(), key=lambda r: (-r.connections, *_kind_of(r.kind)))
    for row in ordered:
        rates = [s.rate for s in row.samples]
        mid = row.middle()
        base, off = _kind_of(row.kind)
        static = rows.get(("static" + off, row.connections))
        shares = _paired_share(row, static)
        busy = _median_of([s.busy for s in row.samples])
        notes = "; ".join(sorted({s.note for s in row.samples if s.note}))
        cells = [
            row.kind,
            str(row.connections),
            f"{row.median():,.0f}",
            f"{min(rates):,.0f}–{max(rates):,.0f}",
            "1.00" if base == "static" else _fmt(_median_of(list(shares))),
            f"{mid.p50_ms:.1f} / {mid.p99_ms:.1f}",
            f"{mid.bytes_per_response:,.0f}",
            _fmt(_median_of([s.per_request_ms(s.cpu_server) for s in row.samples])),
            _fmt(_median_of([s.per_request_ms(s.cpu_client) for s in row.samples])),
            *(
                [_fmt(_median_of([s.per_request_ms(s.cpu_db) for s in row.samples]))]
                if postgres
                else []
            ),
            "–" if busy is None else f"{busy * 100:.0f}%",
            str(sum(s.errors for s in row.samples)) + (f" ({notes})" if notes else ""),
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _kind_of(name: str) -> tuple[int, str]:
    """A row's kind as its place in KINDS and the suffix of the second server, if any."""
    base, paren, rest = name.partition(" (")
    return KINDS.index(base), paren + rest


def comparison(rows: dict[tuple[str, int], Row], setting: str) -> str:
    """Each compared kind with ``setting`` on over off: the rate's ratio, paired by run."""
    lines = [
        "| request | connections | requests/s on / off (medians) | on ÷ off, paired by run"
        " (median; min–max) | CPU ms/request on / off (server) |",
        "|---|---:|---|---|---|",
    ]
    for (kind, connections), on in sorted(rows.items(), key=lambda kv: (-kv[0][1], kv[0][0])):
        off = rows.get((f"{kind}{OFF.format(setting)}", connections))
        if off is None:
            continue
        ratios = [a.rate / b.rate for a, b in zip(on.samples, off.samples, strict=False) if b.rate]
        cpu_on = _median_of([x.per_request_ms(x.cpu_server) for x in on.samples])
        cpu_off = _median_of([x.per_request_ms(x.cpu_server) for x in off.samples])
        lines.append(
            f"| {kind} | {connections} | {on.median():,.0f} / {off.median():,.0f} |"
            f" {statistics.median(ratios):.3f}; {min(ratios):.3f}–{max(ratios):.3f} |"
            f" {_fmt(cpu_on, 3)} / {_fmt(cpu_off, 3)} |"
        )
    return "\n".join(lines)


def targets(rows: dict[tuple[str, int], Row]) -> tuple[str, bool]:
    """The targets at TARGET_CONNECTIONS connections: a table and whether all are met."""
    c = TARGET_CONNECTIONS
    lines = ["| target | measured (median) | met |", "|---|---|---|"]
    every = True

    def verdict(ok: bool) -> str:
        nonlocal every
        every = every and ok
        return "yes" if ok else "**no**"

    static = rows.get(("static", c))
    for kind in ("warm 304", "warm 200"):
        row = rows.get((kind, c))
        if row is None:
            continue
        rate, p99 = row.median(), row.middle().p99_ms
        lines.append(
            f"| {kind}, {c} connections: ≥ {TARGET_WARM_RATE:,.0f} requests/s |"
            f" {rate:,.0f} | {verdict(rate >= TARGET_WARM_RATE)} |"
        )
        lines.append(
            f"| {kind}, {c} connections: p99 < {TARGET_WARM_P99_MS:.0f} ms |"
            f" {p99:.1f} ms | {verdict(p99 < TARGET_WARM_P99_MS)} |"
        )
        shares = _paired_share(row, static)
        if shares and static is not None:
            share = statistics.median(shares)
            lines.append(
                f"| {kind}, {c} connections: ≥ {TARGET_WARM_SHARE * 100:.0f} % of static |"
                f" {share * 100:.0f} % (paired by run; static {static.median():,.0f}/s) |"
                f" {verdict(share >= TARGET_WARM_SHARE)} |"
            )
    row = rows.get(("cold", c))
    if row is not None:
        rate = row.median()
        lines.append(
            f"| cold, {c} connections: ≥ {TARGET_COLD_RATE:,.0f} requests/s |"
            f" {rate:,.0f} (p50 / p99 {row.middle().p50_ms:.0f} / {row.middle().p99_ms:.0f} ms)"
            f" | {verdict(rate >= TARGET_COLD_RATE)} |"
        )
    return "\n".join(lines), every


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument(
        "--runs", type=int, default=3, help="runs, interleaved (default 3; median and range)"
    )
    parser.add_argument("--seconds", type=float, default=10.0, help="per measurement (default 10)")
    parser.add_argument("--connections", default="64,16", help="comma-separated (default 64,16)")
    parser.add_argument(
        "--kinds",
        default=",".join(KINDS),
        help=f"comma-separated subset of: {', '.join(KINDS)}",
    )
    parser.add_argument(
        "--workers", type=int, default=SERVER_WORKERS, help="server workers (default 2)"
    )
    parser.add_argument("--threads", type=int, default=1, help="wrk threads (default 1)")
    add_postgres_option(parser)
    parser.add_argument(
        "--profile",
        action="store_true",
        help="add the page's stages timed one by one and a cProfile of the ASGI app",
    )
    parser.add_argument(
        "--profile-count", type=int, default=2000, help="requests per profiled stage"
    )
    parser.add_argument(
        "--phone",
        type=int,
        default=0,
        metavar="RUNS",
        help="add RUNS cold loads of the pomelo page in Chromium as a slow phone, with and"
        " without its photo (bench/page_phone.py)",
    )
    parser.add_argument(
        "--compare",
        metavar="SETTING",
        help="also measure the warm kinds on a second server with SETTING=0 (e.g."
        " TRACE_METRICS, TRACE_ACCESS_LOG), interleaved, and report the ratio",
    )
    parser.add_argument(
        "--replica",
        action="store_true",
        help="run on a throwaway PostgreSQL primary with a streaming replica serving the reads,"
        " compared with a server reading from the primary (bench/page_replica.py)",
    )
    parser.add_argument(
        "--read-url",
        metavar="URL",
        help="serve the reads from this streaming replica of the --postgres-url server",
    )
    parser.add_argument(
        "--appends",
        type=float,
        default=0.0,
        metavar="RATE",
        help="append RATE events a second on the primary during every measurement",
    )
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    args = parser.parse_args(argv)
    if args.read_url and not args.postgres_url:
        parser.error("--read-url names a replica of the --postgres-url server: give both")
    if args.replica or args.read_url:
        args.compare = args.compare or page_replica.READ_SETTING
    if args.compare and not args.compare.startswith("TRACE_"):
        parser.error("--compare takes a TRACE_* setting that 0 turns off, e.g. TRACE_METRICS")
    args.connections = [int(c) for c in args.connections.split(",") if c.strip()]
    args.kinds = [k.strip() for k in args.kinds.split(",") if k.strip()]
    unknown = set(args.kinds) - set(KINDS)
    if unknown:
        parser.error(f"unknown kinds: {', '.join(sorted(unknown))}")
    if not have_wrk():
        log(
            "wrk is not installed. It is the load generator of this bench; install it with\n"
            "    apt-get install -y wrk        (Debian, Ubuntu)\n"
            "    brew install wrk              (macOS)\n"
            "or build it from https://github.com/wg/wrk, then run this again."
        )
        return 2

    with page_replica.replica_clusters(args.replica) as urls:
        if urls is not None:
            args.postgres_url, args.read_url = urls
        return _bench(args)


def _bench(args: argparse.Namespace) -> int:
    """Set up, measure and report (main, once the arguments are read)."""
    started = time.perf_counter()
    workdir = Path(tempfile.mkdtemp(prefix="bench-page-"))
    log(f"== setting up in {workdir}")
    notes: list[str] = []
    try:
        bench = make_bench(args, workdir)
        try:
            rows, facts = measure(bench, args)
            if args.phone:
                log(f"-- phone: {args.phone} cold loads of each variant in Chromium")
                server = Server(bench.env, bench.workdir / "phone.log", args.workers)
                try:
                    notes += ["", *page_phone.measure(server.base + POMELO, args.phone)]
                finally:
                    server.stop()
            if args.profile:
                log("-- profile: stages and cProfile in this process")
                notes += asyncio.run(profile(bench, args.profile_count))
        finally:
            bench.drop()
    finally:
        if args.keep:
            log(f"== kept {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    log(f"== done in {time.perf_counter() - started:.0f} s")
    backend = "PostgreSQL" if bench.database else "SQLite"
    if args.read_url:
        backend += "+replica (reads from a streaming replica)"
    wrk_version = subprocess.run(
        ["wrk", "--version"], capture_output=True, text=True, check=False
    ).stdout.splitlines()
    print(
        f"nproc={os.cpu_count()} backend={backend} workers={args.workers} runs={args.runs}"
        f" seconds={args.seconds:g} wrk_threads={args.threads} TRACE_PAGE_RATE=0"
        f" ({wrk_version[0] if wrk_version else 'wrk'})\n"
    )
    print(table(rows, bench.database is not None))
    print()
    verdicts, _all_met = targets(rows)
    print(verdicts)
    print()
    if args.compare:
        print(f"{args.compare} on (the first server) and off (the second), same run:\n")
        print(comparison(rows, args.compare))
        print()
    print(
        f"Pomelo page `{POMELO}`: {facts['html']:,} bytes of HTML, {facts['gzip']:,} bytes"
        f" gzipped (ratio {facts['gzip'] / facts['html']:.2f}); English"
        f" {facts['html en']:,} / {facts['gzip en']:,}."
    )
    if "appender" in facts:
        print()
        print(facts["appender"].summary())
    if facts["server log"]:
        print()
        print("Server log (errors):")
        for line in facts["server log"]:
            print(f"    {line}")
    for note in notes:
        print(note)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
