"""Connections to SQLite or PostgreSQL, and the few places where they differ.

SQLite has one writer at a time: a write transaction starts with
``BEGIN IMMEDIATE`` so that two appends never both read a batch head and then
race to upgrade their locks. PostgreSQL locks the batch row with
``SELECT ... FOR UPDATE`` and the log head with an ``UPDATE``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator, Mapping, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, Protocol
from weakref import WeakKeyDictionary, WeakSet

from sqlalchemy import Engine, Executable, event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from trace.store.outage import ReplicaUnavailable, is_unavailable, report_failure, report_success

READ_ONLY = "trace_read_only"


class Rows(Protocol):
    """What readers take from a statement's answer: a SQLAlchemy Result has it, and so do
    the public pages' direct reads on PostgreSQL (trace/store/driver_reads.py)."""

    def __iter__(self) -> Iterator[Any]: ...

    def all(self) -> Sequence[Any]: ...

    def first(self) -> Any | None: ...

    def one(self) -> Any: ...

    def scalar(self) -> Any: ...

    def scalar_one(self) -> Any: ...


class Reads(Protocol):
    """What a query that only reads needs of a connection: an AsyncConnection has it.

    Statements run often are built once, with ``bindparam`` placeholders, and executed
    with ``parameters``: SQLAlchemy then reuses their compiled form without building
    and hashing a new statement each time (about 30 µs a query instead of 120).
    """

    async def execute(
        self, statement: Executable, parameters: Mapping[str, Any] | None = None, /
    ) -> Rows: ...


class UnsupportedDatabase(Exception):
    """The database URL names a database the ledger does not run on."""


def async_url(url: str) -> str:
    """Accept ``sqlite:///path`` and ``postgresql://...`` and name their async drivers."""
    parsed = make_url(url)
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        return str(parsed.set(drivername="sqlite+aiosqlite"))
    if backend in ("postgresql", "postgres"):
        return parsed.set(drivername="postgresql+asyncpg").render_as_string(hide_password=False)
    raise UnsupportedDatabase(f"unsupported database {backend!r}: use sqlite or postgresql")


def is_sqlite(engine: AsyncEngine) -> bool:
    """True when ``engine`` talks to SQLite."""
    return engine.dialect.name == "sqlite"


# The engines of read replicas (trace/store/replicas.py): their failures are their own.
_REPLICAS: WeakSet[Engine] = WeakSet()
# How long a replica may take to accept a connection before reads leave it (asyncpg's
# default, 60 s, would hold a page that long).
REPLICA_CONNECT_SECONDS = 5


def connect_replica(url: str, *, pool_size: int) -> AsyncEngine:
    """An engine for a streaming replica: a pool that never overflows, quick to give up."""
    engine = create_async_engine(
        async_url(url),
        pool_size=pool_size,
        max_overflow=0,
        pool_timeout=30,
        connect_args={"timeout": REPLICA_CONNECT_SECONDS},
    )
    _REPLICAS.add(engine.sync_engine)
    return engine


def is_replica(engine: AsyncEngine) -> bool:
    """True when ``engine`` reads from a streaming replica (made by :func:`connect_replica`)."""
    return engine.sync_engine in _REPLICAS


def connect(url: str, *, pool_size: int = 20, overflow: bool = True) -> AsyncEngine:
    """An async engine for ``url``, set up for the ledger's transactions.

    On PostgreSQL the pool holds ``pool_size`` connections; with ``overflow`` it may open as
    many again for bursts (the commands' default), without it never more (a service within
    its connection budget: a request waits for a connection instead).
    """
    full = async_url(url)
    if full.startswith("sqlite"):
        database = make_url(full).database
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_async_engine(full, connect_args={"timeout": 30})
        configure_sqlite(engine.sync_engine)
        return engine
    extra = pool_size if overflow else 0
    return create_async_engine(full, pool_size=pool_size, max_overflow=extra, pool_timeout=30)


def configure_sqlite(engine: Engine) -> None:
    """The ledger's SQLite settings on every connection ``engine`` makes."""

    # The driver's own implicit transactions are turned off so that we can say BEGIN IMMEDIATE.
    @event.listens_for(engine, "connect")
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        # FULL: an acknowledged append survives a power cut, not only a process crash.
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def on_begin(connection: Any) -> None:
        if connection.get_execution_options().get(READ_ONLY):
            connection.exec_driver_sql("BEGIN")
        else:
            connection.exec_driver_sql("BEGIN IMMEDIATE")


@asynccontextmanager
async def read_transaction(engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
    """A connection for reading; on SQLite it does not take the writer's lock.

    A replica that cannot be reached is noted as down against itself, so that the next
    requests read elsewhere (trace/store/replicas.py), and the request meeting it is
    answered 503 with ``Retry-After`` like any outage.
    """
    try:
        async with engine.connect() as conn:
            await conn.execution_options(**{READ_ONLY: True})
            async with conn.begin():
                yield conn
    except Exception as exc:
        if is_replica(engine) and is_unavailable(exc):
            raise replica_unreachable(engine, exc) from exc
        raise
    report_success(engine)


def replica_unreachable(engine: AsyncEngine, exc: Exception) -> ReplicaUnavailable:
    """A replica out of reach, noted against itself so that the next reads go elsewhere."""
    report_failure(engine, exc)
    return ReplicaUnavailable(f"a read replica cannot be reached: {exc}")


# Write transactions committed by this process, per engine (see committed_writes).
_COMMITTED: WeakKeyDictionary[Engine, int] = WeakKeyDictionary()


@asynccontextmanager
async def write_transaction(engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
    """A connection inside a write transaction, committed on success, rolled back on error."""
    async with engine.begin() as conn:
        yield conn
    _COMMITTED[engine.sync_engine] = _COMMITTED.get(engine.sync_engine, 0) + 1
    report_success(engine)


def committed_writes(engine: AsyncEngine) -> int:
    """How many write transactions this process has committed through ``engine``.

    Whoever keeps something read from the database can compare this number to
    know that the process itself wrote since, without waiting to be told.
    """
    return _COMMITTED.get(engine.sync_engine, 0)
