"""Print runs of serialised labels: their serials, and the one record that registers each run.

A run is written in three steps: the serials (one transaction), the
``serialised`` record that commits to them (the ordinary append, signed with
the producer's custodial key), then the record's log position on the run. A
run whose record was refused is deleted again, so a serial found in the table
with a position belongs to a run the ledger recorded.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import msgspec
from sqlalchemy import delete, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from trace.domain.errors import DomainError
from trace.domain.identifiers import new_serial
from trace.domain.kinds import EventKind, Serialised, decode_body
from trace.domain.record import from_us, now_us
from trace.domain.statement import parse_statement
from trace.labels.errors import LabelRequestInvalid
from trace.store.agencies import Actor
from trace.store.append import append_unsigned, request_fingerprint
from trace.store.batches import Batch
from trace.store.database import read_transaction, write_transaction
from trace.store.errors import IdempotencyConflict, NotFound
from trace.store.ledger import Ledger
from trace.store.tables import label_runs, label_serials

MAX_RUN = 100_000
_RUN_NAMESPACE = uuid.UUID("5b0f4a51-7a47-4c1e-9a55-8d5e0c1f2a6b")
_CHUNK = 2_000


@dataclass(frozen=True, slots=True)
class LabelRun:
    """A print run of serialised labels of one batch."""

    id: str
    batch_id: str
    count: int
    first_serial: str
    last_serial: str
    serials_sha256: bytes
    position: int | None
    created_at_us: int


def serials_digest(serials: list[str]) -> bytes:
    """SHA-256 over the serials in print order, each followed by a line feed."""
    return hashlib.sha256("".join(f"{serial}\n" for serial in serials).encode()).digest()


def _run(row: Any) -> LabelRun:
    return LabelRun(
        row.id,
        row.batch_id,
        row.count,
        row.first_serial,
        row.last_serial,
        bytes(row.serials_sha256),
        row.position,
        row.created_at_us,
    )


async def create_run(
    ledger: Ledger,
    actor: Actor,
    batch: Batch,
    count: int,
    *,
    idempotency_key: str | None = None,
) -> LabelRun:
    """Draw ``count`` fresh serials for ``batch`` and record the run in the ledger."""
    if not 1 <= count <= MAX_RUN:
        raise LabelRequestInvalid(
            f"a run holds 1 to {MAX_RUN} labels, not {count}", field="count", maximum=MAX_RUN
        )
    if not batch.gtin:
        raise LabelRequestInvalid(
            "serialised labels need a GTIN: the serial goes in GS1 Digital Link AI 21",
            field="gtin",
        )
    if idempotency_key is None:
        run_id = str(uuid.uuid4())
    else:
        # The same key names the same run, so a retry finds the serials it drew.
        run_id = str(uuid.uuid5(_RUN_NAMESPACE, f"{actor.agency_id}\n{idempotency_key}"))
    earlier = await _find_run(ledger, run_id)
    if earlier is not None:
        if earlier.batch_id != batch.id or earlier.count != count:
            raise IdempotencyConflict(
                "this Idempotency-Key was used for another print run", key=idempotency_key
            )
        if earlier.position is not None:
            return earlier
        body = _body(earlier)
    else:
        serials = await _insert_serials(ledger, run_id, batch.id, count)
        body = Serialised(
            run=run_id,
            count=count,
            first=serials[0],
            last=serials[-1],
            serials_sha256=serials_digest(serials).hex(),
        )
    try:
        appended = await append_unsigned(
            ledger,
            actor,
            batch=batch.id,
            kind=EventKind.SERIALISED.value,
            occurred_at=from_us(now_us()).isoformat(),
            body=msgspec.to_builtins(body),
            idempotency_key=idempotency_key,
            fingerprint=request_fingerprint(
                "POST /api/v1/batches/{batch}/label-runs", {"batch": batch.id, "count": count}
            ),
        )
    except DomainError:
        # Refused (the batch is recalled, the agency is not its producer...): no record
        # names the run, so its serials go. Any other failure may have committed the
        # record, so the run stays, unregistered until then and printing nothing.
        await _discard(ledger, run_id)
        raise
    recorded = decode_body(
        EventKind.SERIALISED.value, parse_statement(appended.record.statement).body
    )
    assert isinstance(recorded, Serialised)
    if recorded.run != run_id:
        # The key was first used for another event of the batch.
        await _discard(ledger, run_id)
        raise IdempotencyConflict(
            "this Idempotency-Key was used for another request", key=idempotency_key
        )
    async with write_transaction(ledger.engine) as conn:
        await conn.execute(
            update(label_runs)
            .where(label_runs.c.id == run_id)
            .values(position=appended.record.position)
        )
    return await get_run(ledger, run_id)


def _body(run: LabelRun) -> Serialised:
    return Serialised(
        run=run.id,
        count=run.count,
        first=run.first_serial,
        last=run.last_serial,
        serials_sha256=run.serials_sha256.hex(),
    )


async def _find_run(ledger: Ledger, run_id: str) -> LabelRun | None:
    async with read_transaction(ledger.engine) as conn:
        row = (await conn.execute(select(label_runs).where(label_runs.c.id == run_id))).first()
    return None if row is None else _run(row)


async def _insert_serials(ledger: Ledger, run_id: str, batch_id: str, count: int) -> list[str]:
    for _ in range(3):
        serials = [new_serial() for _ in range(count)]
        if len(set(serials)) != count:
            continue
        try:
            async with write_transaction(ledger.engine) as conn:
                await conn.execute(
                    insert(label_runs).values(
                        id=run_id,
                        batch_id=batch_id,
                        count=count,
                        first_serial=serials[0],
                        last_serial=serials[-1],
                        serials_sha256=serials_digest(serials),
                        position=None,
                        created_at_us=now_us(),
                    )
                )
                for start in range(0, count, _CHUNK):
                    await conn.execute(
                        insert(label_serials),
                        [
                            {"serial": serial, "run_id": run_id, "ordinal": start + offset}
                            for offset, serial in enumerate(serials[start : start + _CHUNK])
                        ],
                    )
            return serials
        except IntegrityError:
            # 65-bit serials collide about never; if one does, draw the run again.
            continue
    raise RuntimeError("could not draw unique serials for the run")


async def _discard(ledger: Ledger, run_id: str) -> None:
    async with write_transaction(ledger.engine) as conn:
        await conn.execute(delete(label_serials).where(label_serials.c.run_id == run_id))
        await conn.execute(delete(label_runs).where(label_runs.c.id == run_id))


async def get_run(ledger: Ledger, run_id: str, *, batch_id: str | None = None) -> LabelRun:
    """The recorded run ``run_id`` (of ``batch_id`` if given); raise NotFound otherwise."""
    async with read_transaction(ledger.engine) as conn:
        query = select(label_runs).where(
            label_runs.c.id == run_id, label_runs.c.position.is_not(None)
        )
        if batch_id is not None:
            query = query.where(label_runs.c.batch_id == batch_id)
        row = (await conn.execute(query)).first()
    if row is None:
        raise NotFound(f"no label run {run_id}", what="label_run", id=run_id)
    return _run(row)


async def list_runs(conn: AsyncConnection, batch_id: str) -> list[LabelRun]:
    """The recorded runs of a batch, oldest first."""
    rows = await conn.execute(
        select(label_runs)
        .where(label_runs.c.batch_id == batch_id, label_runs.c.position.is_not(None))
        .order_by(label_runs.c.created_at_us, label_runs.c.id)
    )
    return [_run(row) for row in rows]


async def run_serials(
    ledger: Ledger, run_id: str, *, start: int = 0, stop: int | None = None
) -> AsyncIterator[str]:
    """The serials of a run in print order, read a chunk at a time."""
    ordinal = start
    while stop is None or ordinal < stop:
        limit = _CHUNK if stop is None else min(_CHUNK, stop - ordinal)
        async with read_transaction(ledger.engine) as conn:
            chunk = (
                (
                    await conn.execute(
                        select(label_serials.c.serial)
                        .where(label_serials.c.run_id == run_id, label_serials.c.ordinal >= ordinal)
                        .order_by(label_serials.c.ordinal)
                        .limit(limit)
                    )
                )
                .scalars()
                .all()
            )
        if not chunk:
            return
        for serial in chunk:
            yield serial
        ordinal += len(chunk)
