"""The one way an event enters the ledger.

The API, the CLI, EPCIS capture and the demo all call :func:`append`. In one
transaction it checks the key, the rules and the expected version, locks the
batch, takes the next global log position, links the record into the batch
chain, grows the log's Merkle tree and updates the read models. The log head is
locked last and held to commit, so positions are assigned in commit order and a
reader following the log never skips a record that commits late.
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

import msgspec
from sqlalchemy import insert, select, update
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from trace.domain import identifiers
from trace.domain.errors import InvalidSignature, NotPermitted
from trace.domain.kinds import EventKind, decode_body
from trace.domain.record import GENESIS_PREV, Record, now_us, record_hash
from trace.domain.rules import BatchState, check_permitted, next_state
from trace.domain.statement import (
    Statement,
    encode_statement,
    new_nonce,
    parse_statement,
    sign_statement,
    statement_hash,
    verify_signature,
)
from trace.store.agencies import Actor, active_custodial_key, private_key
from trace.store.batches import Batch, find_batch, to_batch
from trace.store.database import read_transaction, write_transaction
from trace.store.errors import (
    Contention,
    DuplicateLot,
    IdempotencyConflict,
    KeyNotUsable,
    NotFound,
    VersionConflict,
)
from trace.store.ledger import Ledger
from trace.store.records import load_record
from trace.store.tables import agency_keys, batches, idempotency_keys, log_head, records
from trace.store.tree import grow

_RETRIES = 3


@dataclass(frozen=True, slots=True)
class SignedStatement:
    """Canonical statement bytes with the signature over them and the key that made it."""

    statement: bytes
    signature: bytes
    key_id: str


@dataclass(frozen=True, slots=True)
class Appended:
    """The outcome of an append: the record, the batch as it now stands, whether it is a replay."""

    record: Record
    batch: Batch
    replayed: bool


async def append(
    ledger: Ledger,
    actor: Actor,
    signed: SignedStatement,
    *,
    idempotency_key: str | None = None,
    fingerprint: bytes | None = None,
    expected_version: int | None = None,
) -> Appended:
    """Verify ``signed`` and append it as the next record of its batch and of the log.

    ``fingerprint`` identifies the request for ``idempotency_key`` (by default the
    statement and signature): the same key with another fingerprint is refused.
    """
    statement = parse_statement(signed.statement)
    body = decode_body(statement.kind, statement.body)
    kind = EventKind(statement.kind)
    if statement.key != signed.key_id:
        raise InvalidSignature("the statement names another key", reason="key_mismatch")
    if statement.agency != actor.agency_id:
        raise NotPermitted(
            "the statement names another agency than the token's",
            rule="statement_not_yours",
            kind=kind.value,
        )
    digest = statement_hash(signed.statement)
    fingerprint = fingerprint or hashlib.sha256(signed.statement + signed.signature).digest()
    for attempt in range(_RETRIES):
        try:
            async with write_transaction(ledger.engine) as conn:
                return await _append_in(
                    conn,
                    actor,
                    signed,
                    statement,
                    kind,
                    body,
                    digest,
                    idempotency_key=idempotency_key,
                    fingerprint=fingerprint,
                    expected_version=expected_version,
                    tree=ledger.maintain_tree,
                )
        except (NotPermitted, VersionConflict):
            # A statement that is already recorded fails the rules the second time (its
            # batch moved on): answer with its record, as for an Idempotency-Key retry.
            earlier = await _recorded(ledger, digest)
            if earlier is not None:
                return earlier
            raise
        except IntegrityError:
            # The same signed statement again (a retry without Idempotency-Key): answer
            # with the record it already made. Otherwise two requests with one key, or two
            # registrations of one batch, raced: the retry sees the winner.
            earlier = await _recorded(ledger, digest)
            if earlier is not None:
                return earlier
            if attempt == _RETRIES - 1:
                raise
        except DBAPIError as exc:
            if not _is_deadlock(exc) or attempt == _RETRIES - 1:
                raise
    raise Contention("the append could not be completed; retry")


async def append_unsigned(
    ledger: Ledger,
    actor: Actor,
    *,
    batch: str,
    kind: str,
    occurred_at: str,
    body: dict[str, Any],
    idempotency_key: str | None = None,
    expected_version: int | None = None,
) -> Appended:
    """Build a statement for the actor's agency, sign it with its custodial key, append it."""
    key_id = actor.custodial_key
    secret = ledger.private_keys.get(key_id) if key_id else None
    if key_id is None or secret is None:
        async with read_transaction(ledger.engine) as conn:
            key_id = key_id or await active_custodial_key(conn, actor.agency_id)
            secret = await private_key(ledger, conn, key_id)
    statement = Statement(
        v=1,
        batch=batch,
        kind=kind,
        occurred_at=occurred_at,
        agency=actor.agency_id,
        key=key_id,
        body=body,
        nonce=new_nonce(),
    )
    data = encode_statement(statement)
    request = msgspec.json.encode(
        {"batch": batch, "kind": kind, "occurred_at": occurred_at, "body": body}, order="sorted"
    )
    return await append(
        ledger,
        actor,
        SignedStatement(data, sign_statement(secret, data), key_id),
        idempotency_key=idempotency_key,
        fingerprint=hashlib.sha256(request).digest(),
        expected_version=expected_version,
    )


def new_batch_id() -> str:
    """A fresh batch id (random UUID), chosen before the `registered` statement is signed."""
    return str(uuid.uuid4())


async def _append_in(
    conn: AsyncConnection,
    actor: Actor,
    signed: SignedStatement,
    statement: Statement,
    kind: EventKind,
    body: msgspec.Struct,
    digest: bytes,
    *,
    idempotency_key: str | None,
    fingerprint: bytes,
    expected_version: int | None,
    tree: bool,
) -> Appended:
    if idempotency_key is not None:
        replay = await _replay(conn, actor, idempotency_key, fingerprint)
        if replay is not None:
            return replay
    await _check_key(conn, statement, signed, digest)
    row = (
        await conn.execute(select(batches).where(batches.c.id == statement.batch).with_for_update())
    ).first()
    state = _state(row) if row is not None else None
    inputs = await _input_states(conn, body) if kind is EventKind.TRANSFORMED else None
    corrected_agency = (
        await _corrected_agency(conn, statement.batch, body)
        if kind is EventKind.CORRECTED
        else None
    )
    check_permitted(
        kind,
        body,
        actor_id=actor.agency_id,
        actor_kind=actor.agency_kind,
        batch=state,
        inputs=inputs,
        corrected_agency=corrected_agency,
    )
    current = state.version if state is not None else 0
    if expected_version is not None and expected_version != current:
        raise VersionConflict(
            f"the batch is at version {current}, not {expected_version}",
            current=current,
            expected=expected_version,
        )
    if kind is EventKind.REGISTERED:
        await _check_unique_lot(conn, body)

    # The log head is locked last and held to commit: positions follow commit order.
    head = (
        await conn.execute(
            select(log_head.c.size, log_head.c.edge).where(log_head.c.id == 1).with_for_update()
        )
    ).one()
    position = head.size
    recorded_at = now_us()
    seq = current + 1
    prev = row.head_hash if row is not None else GENESIS_PREV
    rhash = record_hash(
        prev=prev,
        statement_hash=digest,
        signature=signed.signature,
        seq=seq,
        position=position,
        recorded_at_us=recorded_at,
    )
    edge = await grow(conn, position, bytes(head.edge), rhash) if tree else bytes(head.edge)
    await conn.execute(
        update(log_head).where(log_head.c.id == 1).values(size=position + 1, edge=edge)
    )
    await conn.execute(
        insert(records).values(
            position=position,
            batch_id=statement.batch,
            seq=seq,
            recorded_at_us=recorded_at,
            prev=prev,
            record_hash=rhash,
            statement_hash=digest,
            statement=signed.statement,
            signature=signed.signature,
            key_id=signed.key_id,
            agency_id=statement.agency,
            kind=kind.value,
        )
    )
    new_state = next_state(
        state, kind, body, actor_id=actor.agency_id, batch_id=statement.batch, seq=seq
    )
    batch = await _write_batch(conn, row, new_state, body, rhash, position, recorded_at)
    if idempotency_key is not None:
        await conn.execute(
            insert(idempotency_keys).values(
                agency_id=actor.agency_id,
                key=idempotency_key,
                request_hash=fingerprint,
                position=position,
                created_at_us=recorded_at,
            )
        )
    record = Record(
        statement.batch,
        seq,
        position,
        recorded_at,
        prev,
        rhash,
        signed.statement,
        signed.signature,
        signed.key_id,
    )
    return Appended(record, batch, replayed=False)


async def _recorded(ledger: Ledger, digest: bytes) -> Appended | None:
    async with read_transaction(ledger.engine) as conn:
        position = (
            await conn.execute(select(records.c.position).where(records.c.statement_hash == digest))
        ).scalar()
        if position is None:
            return None
        record = await load_record(conn, position)
        return Appended(record, await find_batch(conn, record.batch), replayed=True)


async def _replay(
    conn: AsyncConnection, actor: Actor, key: str, fingerprint: bytes
) -> Appended | None:
    row = (
        await conn.execute(
            select(idempotency_keys).where(
                idempotency_keys.c.agency_id == actor.agency_id, idempotency_keys.c.key == key
            )
        )
    ).first()
    if row is None:
        return None
    if row.request_hash != fingerprint:
        raise IdempotencyConflict(
            "this Idempotency-Key was already used for a different request", key=key
        )
    record = await load_record(conn, row.position)
    return Appended(record, await find_batch(conn, record.batch), replayed=True)


async def _check_key(
    conn: AsyncConnection, statement: Statement, signed: SignedStatement, digest: bytes
) -> None:
    key = (
        await conn.execute(select(agency_keys).where(agency_keys.c.key_id == signed.key_id))
    ).first()
    if key is None or key.agency_id != statement.agency:
        raise KeyNotUsable(
            f"key {signed.key_id} is not a key of agency {statement.agency}",
            reason="unknown",
            key=signed.key_id,
        )
    if key.revoked_at_us is not None:
        raise KeyNotUsable(
            f"key {signed.key_id} has been revoked", reason="revoked", key=signed.key_id
        )
    if key.retired_at_us is not None:
        raise KeyNotUsable(
            f"key {signed.key_id} was rotated out; sign with the agency's current key",
            reason="retired",
            key=signed.key_id,
        )
    verify_signature(key.public_key, digest, signed.signature)


def _state(row: Any) -> BatchState:
    return BatchState(
        batch_id=row.id,
        producer=row.producer_id,
        holder=row.holder_id,
        in_transit_to=row.in_transit_to,
        recalled=row.recalled,
        sold_out=row.sold_out,
        version=row.version,
    )


async def _input_states(conn: AsyncConnection, body: msgspec.Struct) -> dict[str, BatchState]:
    ids = sorted({item.batch for item in body.inputs})
    rows = (
        await conn.execute(select(batches).where(batches.c.id.in_(ids)).with_for_update(read=True))
    ).all()
    return {row.id: _state(row) for row in rows}


async def _corrected_agency(conn: AsyncConnection, batch: str, body: msgspec.Struct) -> str | None:
    target = bytes.fromhex(body.corrects)
    row = (
        await conn.execute(
            select(records.c.agency_id).where(
                records.c.record_hash == target, records.c.batch_id == batch
            )
        )
    ).first()
    if row is None:
        raise NotFound(
            "the corrected record is not a record of this batch", what="record", id=target.hex()
        )
    return str(row.agency_id)


async def _check_unique_lot(conn: AsyncConnection, body: msgspec.Struct) -> None:
    gtin = getattr(body, "gtin", None)
    if gtin is None:
        return
    found = (
        await conn.execute(
            select(batches.c.id).where(
                batches.c.gtin == identifiers.validate_gtin(gtin), batches.c.lot == body.lot
            )
        )
    ).first()
    if found is not None:
        raise DuplicateLot(
            f"GTIN {gtin} lot {body.lot} is already registered", gtin=gtin, lot=body.lot
        )


async def _write_batch(
    conn: AsyncConnection,
    row: Any,
    state: BatchState,
    body: msgspec.Struct,
    head: bytes,
    position: int,
    now: int,
) -> Batch:
    moving = {
        "holder_id": state.holder,
        "in_transit_to": state.in_transit_to,
        "recalled": state.recalled,
        "sold_out": state.sold_out,
        "version": state.version,
        "head_hash": head,
        "updated_at_us": now,
    }
    if row is not None:
        await conn.execute(update(batches).where(batches.c.id == state.batch_id).values(**moving))
        return to_batch(SimpleNamespace(**{**row._mapping, **moving}))
    gtin = getattr(body, "gtin", None)
    origin = getattr(body, "origin", None)
    values = {
        "id": state.batch_id,
        "code": identifiers.new_batch_code(),
        "producer_id": state.producer,
        "product": body.product,
        "gtin": identifiers.validate_gtin(gtin) if gtin else None,
        "lot": body.lot,
        "province": getattr(origin, "province", None) if origin is not None else None,
        "registered_position": position,
        **moving,
    }
    await conn.execute(insert(batches).values(**values))
    return to_batch(SimpleNamespace(**values))


def _is_deadlock(exc: DBAPIError) -> bool:
    return "deadlock" in str(exc.orig).lower()
