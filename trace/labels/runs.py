"""Print runs of serialised labels: their serials, and the one record that registers each run.

A run is written in one transaction: the batch's row is locked (the first lock every
append takes), then the run, its serials, the ``serialised`` record that commits to them
(the ordinary append, signed with the producer's custodial key) and the record's log
position on the run. So the run, its serials and its record are there together or not at
all: a refused record takes the serials with it, and no failure deletes anything another
request committed. A retry with the same ``Idempotency-Key`` names the same run; if it
arrives while the first request writes, it waits on the batch's row and then finds the run.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from typing import Any

import msgspec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from trace.domain.errors import DomainError
from trace.domain.identifiers import new_serial
from trace.domain.kinds import EventKind, Serialised
from trace.domain.record import from_us, now_us
from trace.labels.errors import LabelRequestInvalid
from trace.observe.metrics import count_group
from trace.store.agencies import Actor
from trace.store.append import custodial_key, custody_signed, request_fingerprint, to_pending
from trace.store.batches import Batch
from trace.store.database import read_transaction, write_transaction
from trace.store.errors import Contention, IdempotencyConflict, NotFound
from trace.store.group import append_group
from trace.store.ledger import Ledger
from trace.store.tables import batches, label_runs, label_serials

MAX_RUN = 100_000
_RUN_NAMESPACE = uuid.UUID("5b0f4a51-7a47-4c1e-9a55-8d5e0c1f2a6b")
_CHUNK = 2_000
_ATTEMPTS = 3
_ROUTE = "POST /api/v1/batches/{batch}/label-runs"


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


def keyed_run_id(agency_id: str, idempotency_key: str) -> str:
    """The id of the run an agency's ``Idempotency-Key`` names: a retry finds the first run."""
    return str(uuid.uuid5(_RUN_NAMESPACE, f"{agency_id}\n{idempotency_key}"))


@dataclass(frozen=True, slots=True)
class _Request:
    """One request for a run, and what its record is signed and keyed with."""

    actor: Actor
    batch_id: str
    count: int
    run_id: str
    key_id: str
    secret: Ed25519PrivateKey
    idempotency_key: str | None


async def create_run(
    ledger: Ledger,
    actor: Actor,
    batch: Batch,
    count: int,
    *,
    idempotency_key: str | None = None,
) -> LabelRun:
    """Draw ``count`` fresh serials for ``batch`` and record the run in the ledger.

    With ``idempotency_key``, every request with the same key, batch and count gets the
    run the first one recorded; another batch or count is an :class:`IdempotencyConflict`.
    """
    if not 1 <= count <= MAX_RUN:
        raise LabelRequestInvalid(
            f"a run holds 1 to {MAX_RUN} labels, not {count}",
            field="count",
            reason="count",
            maximum=MAX_RUN,
            value=str(count),
        )
    if not batch.gtin:
        raise LabelRequestInvalid(
            "serialised labels need a GTIN: the serial goes in GS1 Digital Link AI 21",
            field="gtin",
            reason="gtin",
        )
    if idempotency_key is None:
        run_id = str(uuid.uuid4())
    else:
        run_id = keyed_run_id(actor.agency_id, idempotency_key)
    key_id, secret = await custodial_key(ledger, actor)
    request = _Request(actor, batch.id, count, run_id, key_id, secret, idempotency_key)
    for _ in range(_ATTEMPTS):
        try:
            return await _write_run(ledger, request)
        except IntegrityError:
            # A serial drawn by another run (65 random bits: about never), or a run or an
            # Idempotency-Key committed meanwhile under another batch's lock: the next
            # attempt draws again, or finds what was committed and answers with it.
            continue
    raise Contention("the print run could not be written; retry")


async def _write_run(ledger: Ledger, request: _Request) -> LabelRun:
    """The run of ``request``: found, or written with its serials and record in one go."""
    async with write_transaction(ledger.engine) as conn:
        await conn.execute(
            select(batches.c.id).where(batches.c.id == request.batch_id).with_for_update()
        )
        row = (
            await conn.execute(select(label_runs).where(label_runs.c.id == request.run_id))
        ).first()
        if row is not None:
            earlier = _run(row)
            if earlier.batch_id != request.batch_id or earlier.count != request.count:
                raise IdempotencyConflict(
                    "this Idempotency-Key was used for another print run",
                    key=request.idempotency_key,
                )
            if earlier.position is not None:
                return earlier
            # A run left without its record by an earlier version: record it now.
            run = earlier
        else:
            run = await _insert_serials(conn, request, _draw(request.count))
        position = await _record(conn, ledger, request, run)
        await conn.execute(
            update(label_runs).where(label_runs.c.id == run.id).values(position=position)
        )
    count_group(1, 1, ())
    return replace(run, position=position)


def _draw(count: int) -> list[str]:
    while True:
        serials = [new_serial() for _ in range(count)]
        if len(set(serials)) == count:
            return serials


async def _insert_serials(conn: AsyncConnection, request: _Request, serials: list[str]) -> LabelRun:
    run = LabelRun(
        request.run_id,
        request.batch_id,
        request.count,
        serials[0],
        serials[-1],
        serials_digest(serials),
        None,
        now_us(),
    )
    await conn.execute(
        insert(label_runs).values(
            id=run.id,
            batch_id=run.batch_id,
            count=run.count,
            first_serial=run.first_serial,
            last_serial=run.last_serial,
            serials_sha256=run.serials_sha256,
            position=None,
            created_at_us=run.created_at_us,
        )
    )
    for start in range(0, run.count, _CHUNK):
        await conn.execute(
            insert(label_serials),
            [
                {"serial": serial, "run_id": run.id, "ordinal": start + offset}
                for offset, serial in enumerate(serials[start : start + _CHUNK])
            ],
        )
    return run


async def _record(conn: AsyncConnection, ledger: Ledger, request: _Request, run: LabelRun) -> int:
    """Append the run's ``serialised`` record in ``conn``'s transaction; its log position.

    A refusal is raised, and rolls back the run and its serials with the transaction.
    """
    body = Serialised(
        run=run.id,
        count=run.count,
        first=run.first_serial,
        last=run.last_serial,
        serials_sha256=run.serials_sha256.hex(),
    )
    signed = custody_signed(
        request.actor.agency_id,
        request.key_id,
        request.secret,
        batch=run.batch_id,
        kind=EventKind.SERIALISED.value,
        occurred_at=from_us(now_us()).isoformat(),
        body=msgspec.to_builtins(body),
    )
    fingerprint = None
    if request.idempotency_key is not None:
        fingerprint = request_fingerprint(_ROUTE, {"batch": run.batch_id, "count": run.count})
    pending = to_pending(
        request.actor,
        signed,
        idempotency_key=request.idempotency_key,
        fingerprint=fingerprint,
    )
    [outcome] = await append_group(conn, [pending], tree=ledger.maintain_tree)
    if isinstance(outcome, DomainError):
        raise outcome
    if outcome.replayed:
        # The key already names a record, and no run of ours: another request's.
        raise IdempotencyConflict(
            "this Idempotency-Key was used for another request", key=request.idempotency_key
        )
    return outcome.record.position


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
