"""Read models that follow the log: search indexes, the batch graph, EPCIS events.

The ledger's truth is its records. A query that needs another shape of them (batches by
name without diacritics, the graph of transformations, EPCIS events by business step)
reads a *projection*: tables derived from the records alone, which can be dropped and
rebuilt at any time. Each projection remembers the position of the first record it has
not applied (``projection_positions``) and catches up before it answers, in log order.
Positions are assigned in commit order, so a projection that has read up to position N
never misses a record that commits later with a smaller position.

Catching up applies at most ``batch_size`` records per write transaction, together with
the new position: a crash leaves the projection at a consistent point, and two workers
catching up at once apply each record once (the second waits for the first's lock,
then sees the new position).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Protocol

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncConnection

from trace.domain.record import Record
from trace.store.database import is_sqlite, read_transaction, write_transaction
from trace.store.ledger import Ledger
from trace.store.records import to_record
from trace.store.tables import log_head, projection_positions, records

BATCH_SIZE = 1000
_log = logging.getLogger("trace.projections")


class Projection(Protocol):
    """Tables derived from records, brought up to date record by record."""

    # Unique among projections, at most 32 characters; it names the row in
    # projection_positions. Renaming one rebuilds it from the first record.
    name: str

    async def apply(self, conn: AsyncConnection, records: Sequence[Record]) -> None:
        """Apply ``records`` (consecutive, in log order) inside the caller's transaction."""
        ...


async def applied_up_to(conn: AsyncConnection, name: str) -> int:
    """The position of the first record the projection ``name`` has not applied."""
    found = (
        await conn.execute(
            select(projection_positions.c.position).where(projection_positions.c.name == name)
        )
    ).scalar()
    return int(found or 0)


async def catch_up(
    ledger: Ledger,
    projection: Projection,
    *,
    batch_size: int = BATCH_SIZE,
    until: int | None = None,
) -> int:
    """Apply every record the projection has not seen; return the log size it reached.

    ``until`` stops before that position: a projection that reads another one applies
    only what the other has applied already.
    """
    async with read_transaction(ledger.engine) as conn:
        size = int((await conn.execute(select(log_head.c.size))).scalar_one())
        if until is not None:
            size = min(size, until)
        if await applied_up_to(conn, projection.name) >= size:
            return size
    while True:
        async with write_transaction(ledger.engine) as conn:
            position = await _lock_position(conn, projection.name)
            query = select(records).where(records.c.position >= position)
            if until is not None:
                query = query.where(records.c.position < until)
            rows = (await conn.execute(query.order_by(records.c.position).limit(batch_size))).all()
            if not rows:
                return position
            batch = [to_record(row) for row in rows]
            await _apply(conn, projection, batch)
            await conn.execute(
                update(projection_positions)
                .where(projection_positions.c.name == projection.name)
                .values(position=batch[-1].position + 1)
            )
            if len(rows) < batch_size:
                return batch[-1].position + 1


async def _apply(conn: AsyncConnection, projection: Projection, batch: list[Record]) -> None:
    """Apply ``batch``; if a record breaks the projection's code, apply the others without it.

    Projections read every record through trace/domain/facts.py, which never fails on
    stored bytes. Should a record still break one (a fault in the projection's own code),
    the projection must not stop there: every answer that depends on it would fail for
    the whole ledger. The record is skipped and logged with its position, so the fault
    can be fixed and the projection rebuilt. A database error is not the record's fault
    and is raised as it is.
    """
    try:
        async with conn.begin_nested():
            await projection.apply(conn, batch)
        return
    except (SQLAlchemyError, OSError):
        raise
    except Exception:
        if len(batch) == 1:
            _log.exception(
                "projection %s skips the record at position %d", projection.name, batch[0].position
            )
            return
    for record in batch:
        await _apply(conn, projection, [record])


async def _lock_position(conn: AsyncConnection, name: str) -> int:
    """The projection's position, locked for this transaction (its row made if missing)."""
    query = select(projection_positions.c.position).where(projection_positions.c.name == name)
    if not is_sqlite(conn.engine):  # SQLite's BEGIN IMMEDIATE already holds the only lock
        query = query.with_for_update()
    found = (await conn.execute(query)).scalar()
    if found is not None:
        return int(found)
    if is_sqlite(conn.engine):
        await conn.execute(projection_positions.insert().values(name=name, position=0))
        return 0
    await conn.execute(
        insert(projection_positions).values(name=name, position=0).on_conflict_do_nothing()
    )
    return int((await conn.execute(query)).scalar_one())
