"""How the public pages read the ledger: the log state from memory while it holds, rows quickly.

A shopper scanning a label again should cost a comparison, not a query. A page is
current as long as the *log state* is: the log's size (every new record, on any
batch, grows it), the key revocations (a key revoked as compromised turns records
already in the log invalid), the newest checkpoint with its cosignatures, and the
newest change of master data (pages name GLNs and GTINs by it). Each worker holds
that state and learns that it changed:

- **SQLite**: ``PRAGMA data_version`` on the worker's own connection changes
  whenever another connection has committed (https://sqlite.org/pragma.html#pragma_data_version).
  Asking costs about a microsecond, so it is asked on every request, and the state
  is read again (one statement) only when it moved. Nothing is ever stale.
- **PostgreSQL**: triggers (migration 0005) send a notification on
  ``trace_log_state`` when the state changes, from any process, as the change
  commits; the worker listens on a connection of its own. Writes committed by the
  worker itself are seen at once (:func:`committed_writes`); another process's
  within the notification's delivery, about a millisecond. While the listening
  connection is down, the state is read on every request.
- **PostgreSQL with read replicas**: the same listener on the primary tells a replica's
  page reads that their state may be old; trace/store/replica_reads.py reads it again
  from the replica until the replica has replayed the change.

On SQLite the pages also read their rows through plain ``sqlite3`` connections in
the event loop's thread rather than through the async driver's thread. A page's
reads take tens of microseconds, much less than the hand-off to a thread and back;
reads in WAL mode never wait for a writer. On PostgreSQL they go straight through
asyncpg, on a connection borrowed from the engine's pool, rather than through
SQLAlchemy's async layer (trace/store/driver_reads.py).
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import AsyncIterator, Mapping
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from typing import Any, Protocol

import asyncpg
from sqlalchemy import Executable, Result, Row, create_engine, func, select
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from trace.store.database import (
    READ_ONLY,
    Reads,
    committed_writes,
    configure_sqlite,
    is_sqlite,
    read_transaction,
)
from trace.store.driver_reads import Statements, driver_transaction
from trace.store.outage import is_unavailable, report_failure
from trace.store.tables import (
    agency_keys,
    checkpoints,
    cosignatures,
    log_head,
    master_locations,
    master_products,
)

CHANNEL = "trace_log_state"
# After the listening connection is lost, try again at most this often.
RECONNECT_SECONDS = 1.0

_log = logging.getLogger("trace.pages")

_newest = select(func.max(checkpoints.c.size)).scalar_subquery()
# The whole state in one statement, so that it is one consistent snapshot.
STATE = select(
    select(log_head.c.size).scalar_subquery(),
    select(func.count())
    .select_from(agency_keys)
    .where(agency_keys.c.revoked_at_us.is_not(None))
    .scalar_subquery(),
    select(func.max(agency_keys.c.revoked_at_us)).scalar_subquery(),
    _newest,
    select(checkpoints.c.signed_at_us).where(checkpoints.c.size == _newest).scalar_subquery(),
    select(func.count())
    .select_from(cosignatures)
    .where(cosignatures.c.size == _newest)
    .scalar_subquery(),
    # Pages name GLNs and GTINs by their master data (trace/store/master_data.py).
    select(func.max(master_locations.c.updated_at_us)).scalar_subquery(),
    select(func.max(master_products.c.updated_at_us)).scalar_subquery(),
)


@dataclass(frozen=True, slots=True)
class LogState:
    """What every public page's validity depends on."""

    size: int
    revoked_keys: int
    last_revoked_us: int | None
    checkpoint_size: int | None
    checkpoint_signed_us: int | None
    witnesses: int
    # When a location's or a product's names last changed.
    named_us: tuple[int | None, int | None] = (None, None)

    @classmethod
    def of(cls, row: Row[Any] | tuple[Any, ...]) -> LogState:
        size, revoked, last, checkpoint, signed, witnesses, located, product = tuple(row)
        return cls(
            int(size),
            int(revoked),
            last,
            checkpoint,
            signed,
            int(witnesses or 0),
            (located, product),
        )

    @property
    def version(self) -> str:
        """Changes whenever a page could change (the date aside)."""
        return (
            f"{self.size}/{self.revoked_keys}/{self.last_revoked_us}/"
            f"{self.checkpoint_size}/{self.witnesses}/{self.named_us[0]}/{self.named_us[1]}"
        )


class PageReads(Protocol):
    """A worker's way to the log state and to a read transaction for rendering."""

    # The database the state and the rows are read from (the primary or one replica): a
    # page's other reads (proofs, EPCIS events) go there too.
    source: AsyncEngine

    async def state(self) -> LogState: ...

    def transaction(self) -> AbstractAsyncContextManager[Reads]: ...

    async def close(self) -> None: ...


class _InLoop:
    """A synchronous SQLAlchemy connection behind the awaitable ``execute`` of Reads."""

    __slots__ = ("_conn",)

    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    async def execute(
        self, statement: Executable, parameters: Mapping[str, Any] | None = None, /
    ) -> Result[Any]:
        return self._conn.execute(statement, parameters)


class SqlitePageReads:
    """Log state by ``PRAGMA data_version``; rows through ``sqlite3`` in the loop's thread."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.source = engine
        url = engine.url.set(drivername="sqlite+pysqlite")
        # One event loop thread uses these, but not always the thread that made them.
        self._engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})
        configure_sqlite(self._engine)
        # data_version is per connection: the watching connection is kept, never used to write.
        self._pooled = self._engine.raw_connection()
        watcher = self._pooled.driver_connection
        assert isinstance(watcher, sqlite3.Connection)
        self._watcher = watcher
        self._state_sql = str(STATE.compile(self._engine))
        self._data_version: int | None = None
        self._state: LogState | None = None

    async def state(self) -> LogState:
        version = self._watcher.execute("PRAGMA data_version").fetchone()[0]
        if self._state is None or version != self._data_version:
            # Read after data_version: a commit in between is seen now or next time.
            self._state = LogState.of(self._watcher.execute(self._state_sql).fetchone())
            self._data_version = version
        return self._state

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Reads]:
        with self._engine.connect() as conn:
            conn = conn.execution_options(**{READ_ONLY: True})
            with conn.begin():
                yield _InLoop(conn)

    async def close(self) -> None:
        self._pooled.close()
        self._engine.dispose()


class PostgresPageReads:
    """Log state kept until a notification (or a write of this process) says it changed."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.source = self._engine = engine
        self._statements = Statements(engine.dialect)
        self._dsn = engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
        self._state: LogState | None = None
        self._seen_writes = -1
        # Bumped by each notification: a state read while it moved is not kept.
        self._notified = 0
        self._listener: asyncpg.Connection | None = None
        self._connecting: asyncio.Task[None] | None = None
        self._last_attempt = 0.0
        self._closed = False

    async def state(self) -> LogState:
        writes = committed_writes(self._engine)
        if self._listener is None:
            self._listen_soon()
        elif self._state is not None and writes == self._seen_writes:
            return self._state
        notified = self._notified
        async with self.transaction() as conn:
            state = LogState.of((await conn.execute(STATE)).one())
        if notified == self._notified and self._listener is not None:
            self._state, self._seen_writes = state, writes
        return state

    def transaction(self) -> AbstractAsyncContextManager[Reads]:
        """A read-only snapshot straight through asyncpg (trace/store/driver_reads.py)."""
        return driver_transaction(self._engine, self._statements)

    def announced(self) -> tuple[int, int] | None:
        """A mark that moves with every change this worker has been told of, or written itself.

        None while nothing listens (then no change would be told of): read every time.
        """
        if self._listener is None:
            self._listen_soon()
            return None
        return self._notified, committed_writes(self._engine)

    @property
    def listening(self) -> bool:
        """Whether notifications arrive (if not, the state is read on every request)."""
        return self._listener is not None

    def _changed(self, *_: object) -> None:
        self._notified += 1
        self._state = None

    def _lost(self, *_: object) -> None:
        self._listener = None
        self._changed()

    def _listen_soon(self) -> None:
        loop = asyncio.get_running_loop()
        if self._closed or self._connecting is not None:
            return
        if loop.time() - self._last_attempt < RECONNECT_SECONDS:
            return
        self._last_attempt = loop.time()
        self._connecting = loop.create_task(self._listen())

    async def _listen(self) -> None:
        try:
            conn = await asyncpg.connect(self._dsn)
            await conn.add_listener(CHANNEL, self._changed)
            conn.add_termination_listener(self._lost)
        except (OSError, asyncpg.PostgresError) as exc:
            if is_unavailable(exc):
                report_failure(self._engine, exc)  # logged once per outage
            else:
                _log.warning("cannot listen for log changes; reading the log state every time")
            return
        finally:
            self._connecting = None
        if self._closed:
            await conn.close()
            return
        self._changed()
        self._listener = conn

    async def close(self) -> None:
        self._closed = True
        if self._connecting is not None:
            await asyncio.gather(self._connecting, return_exceptions=True)
        listener, self._listener = self._listener, None
        if listener is not None:
            await listener.close()


def page_reads(engine: AsyncEngine) -> PageReads:
    """The page reads for ``engine``'s database."""
    if is_sqlite(engine) and engine.url.database not in (None, "", ":memory:"):
        return SqlitePageReads(engine)
    if is_sqlite(engine):
        return _AsyncOnly(engine)
    return PostgresPageReads(engine)


class _AsyncOnly:
    """An in-memory SQLite database has no second connection: read the state every time."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.source = self._engine = engine

    async def state(self) -> LogState:
        async with read_transaction(self._engine) as conn:
            return LogState.of((await conn.execute(STATE)).one())

    def transaction(self) -> AbstractAsyncContextManager[Reads]:
        return read_transaction(self._engine)

    async def close(self) -> None:
        return None
