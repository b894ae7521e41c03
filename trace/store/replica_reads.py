"""The public pages' log state on a streaming replica: told of changes by the primary.

A page cites the checkpoint of the log state it read (trace/store/page_reads.py), and its
rows must never be older than that state. On one replica they are not: the state and the
rows are read there, in that order, and a replica's replay only moves forward. What a
replica changes is *when* the state moves:

- A hot standby takes no ``LISTEN``, and the primary sends its notification as the change
  commits, before any replica has replayed it. So the worker listens on the primary, as
  without replicas, and a notification (or a write of this worker) only says that the
  state it keeps for a replica may be old.
- After such a change, the replica's state is not kept until the replica has replayed up
  to the primary's WAL position read once *after* the change was told of (every change
  told of committed at or before it): the state is read with the replica's replay
  position (``pg_last_wal_replay_lsn()``) and kept only when that has reached the
  primary's. Until then, every page reads the state from the replica again. A shopper
  meanwhile sees the replica's older state, consistently (the page, its rows and the
  checkpoint it cites all from the replica), and the change as soon as the replica has
  it, without waiting for another notification.
- A replica that stays behind a change for longer than ``TRACE_READ_MAX_LAG_SECONDS`` is
  noted as trailing; reads then leave it for the primary (trace/store/replicas.py).
- While the listener on the primary is down, the state is read from the replica on every
  page, and the primary's position with it. While the primary cannot be reached, the
  state is read from the replica on every page: the replica goes on serving pages.

A database given as a replica that is not in recovery (``pg_last_wal_replay_lsn()`` is
NULL: the primary itself, say) is taken as always caught up.
"""

from __future__ import annotations

import time
from contextlib import AbstractAsyncContextManager
from typing import Any

from sqlalchemy import ColumnClause, Select, literal_column, select

from trace.store.database import Reads, read_transaction
from trace.store.driver_reads import Statements, driver_transaction
from trace.store.ledger import Ledger
from trace.store.outage import is_unavailable, report_failure
from trace.store.page_reads import STATE, LogState, PageReads, PostgresPageReads, page_reads
from trace.store.replicas import Replica, Replicas

# WAL positions as byte offsets, so that they compare as numbers.
_REPLAYED: ColumnClause[Any] = literal_column(
    "pg_wal_lsn_diff(pg_last_wal_replay_lsn(), '0/0')::bigint"
)
_WRITTEN: Select[tuple[Any]] = select(
    literal_column("pg_wal_lsn_diff(pg_current_wal_lsn(), '0/0')::bigint")
)
STATE_AND_REPLAY = STATE.add_columns(_REPLAYED)


class PrimaryPosition:
    """The primary's WAL position read after the changes a mark stands for, one read a mark."""

    def __init__(self, primary: PostgresPageReads) -> None:
        self.primary = primary
        self._mark: tuple[int, int] | None = None
        self._position = 0

    async def after(self, mark: tuple[int, int] | None) -> int:
        """A WAL position at or past the commit of every change told of by ``mark``.

        Without a mark (nothing listens), the position now, read each time.
        """
        if mark is None or mark != self._mark:
            async with read_transaction(self.primary.source) as conn:
                position = int((await conn.execute(_WRITTEN)).scalar_one())
            self._mark, self._position = mark, position
        return self._position


class ReplicaPageReads:
    """One replica's log state, kept while no change of the primary is waiting to be replayed."""

    def __init__(self, replica: Replica, primary: PrimaryPosition) -> None:
        self.source = replica.engine
        self._statements = Statements(replica.engine.dialect)
        self._replica = replica
        self._primary = primary
        self._state: LogState | None = None
        self._mark: tuple[int, int] | None = None

    async def state(self) -> LogState:
        mark = self._primary.primary.announced()
        if mark is not None and mark == self._mark and self._state is not None:
            return self._state
        wanted = await self._wanted(mark)
        async with self.transaction() as conn:
            row = (await conn.execute(STATE_AND_REPLAY)).one()
        state, replayed = LogState.of(row[:-1]), row[-1]
        if wanted is None:
            return state
        if replayed is None or replayed >= wanted:
            if mark is not None:
                self._state, self._mark = state, mark
            self._replica.behind_since = None
        elif self._replica.behind_since is None:
            self._replica.behind_since = time.monotonic()
        return state

    async def _wanted(self, mark: tuple[int, int] | None) -> int | None:
        """The primary's position after ``mark``; None while the primary cannot be reached.

        The replica still serves pages then, read afresh each time (nothing kept).
        """
        try:
            return await self._primary.after(mark)
        except Exception as exc:
            if not is_unavailable(exc):
                raise
            report_failure(self._primary.primary.source, exc)  # logged once per outage
            return None

    def transaction(self) -> AbstractAsyncContextManager[Reads]:
        """A read-only snapshot of the replica, straight through asyncpg, as on the primary."""
        return driver_transaction(self.source, self._statements)

    async def close(self) -> None:
        return None  # the replica's engine is closed with the ledger's replicas


def request_page_reads(ledger: Ledger) -> PageReads:
    """The page reads of the database this request reads from: ask once per request."""
    if ledger.page_reads is None:
        ledger.page_reads = page_reads(ledger.engine)
    engine = ledger.reader()
    if engine is ledger.engine:
        return ledger.page_reads
    replicas: Replicas | None = ledger.replicas
    assert replicas is not None and isinstance(ledger.page_reads, PostgresPageReads)
    replica = replicas.of(engine)
    if replica.page_reads is None:
        if replicas.primary_position is None:
            replicas.primary_position = PrimaryPosition(ledger.page_reads)
        replica.page_reads = ReplicaPageReads(replica, replicas.primary_position)
    return replica.page_reads
