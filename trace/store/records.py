"""Reading records back as the domain's :class:`Record`."""

from __future__ import annotations

from typing import Any

from sqlalchemy import bindparam, select

from trace.domain.record import Record
from trace.store.database import Reads
from trace.store.errors import NotFound
from trace.store.tables import records


def to_record(row: Any) -> Record:
    """The domain record of a ``records`` row."""
    return Record(
        batch=row.batch_id,
        seq=row.seq,
        position=row.position,
        recorded_at_us=row.recorded_at_us,
        prev=bytes(row.prev),
        record_hash=bytes(row.record_hash),
        statement=bytes(row.statement),
        signature=bytes(row.signature),
        key_id=row.key_id,
    )


async def load_record(conn: Reads, position: int) -> Record:
    """The record at log ``position``; raise :class:`NotFound` otherwise."""
    row = (await conn.execute(select(records).where(records.c.position == position))).first()
    if row is None:
        raise NotFound(f"no record at position {position}", what="record", id=str(position))
    return to_record(row)


async def batch_records(
    conn: Reads, batch_id: str, *, after_seq: int = 0, limit: int | None = None
) -> list[Record]:
    """The records of a batch in ``seq`` order, after ``after_seq``."""
    parameters = {"batch": batch_id, "after": after_seq}
    if limit is None:
        rows = await conn.execute(_BATCH_RECORDS, parameters)
    else:
        rows = await conn.execute(_BATCH_RECORDS_LIMITED, {**parameters, "limit": limit})
    return [to_record(row) for row in rows.all()]


_BATCH_RECORDS = (
    select(records)
    .where(records.c.batch_id == bindparam("batch"), records.c.seq > bindparam("after"))
    .order_by(records.c.seq, records.c.position)
)
_BATCH_RECORDS_LIMITED = _BATCH_RECORDS.limit(bindparam("limit"))
