"""The append transaction, for one statement or for several committed together.

Appends that arrive while another is committing wait, and are then written in
one transaction (group commit): one lock of the log head, one round of reads,
one write per table and one commit for all of them, instead of one each. Every
statement is still checked on its own: a refused one is refused alone and
changes nothing, and each gets its own record, position and answer.

Locks are taken in one order everywhere: batch rows by id, then the log head,
which is held to commit, so positions follow commit order across processes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

import msgspec
from sqlalchemy import bindparam, insert, select, tuple_, update
from sqlalchemy.ext.asyncio import AsyncConnection

from trace.domain import identifiers
from trace.domain.compact_range import Node, append_leaf, pack, unpack
from trace.domain.errors import DomainError
from trace.domain.kinds import (
    Corrected,
    EventKind,
    RecallClosed,
    RecallNotified,
    Registered,
    Transformed,
    Withdrawn,
)
from trace.domain.recall_flow import RecallContext
from trace.domain.record import GENESIS_PREV, Record, now_us, record_hash
from trace.domain.rules import BatchState, check_permitted, next_state
from trace.domain.statement import Statement, verify_signature
from trace.domain.validation import missing_photo, named_photo
from trace.observe.metrics import count_group
from trace.store.agencies import Actor
from trace.store.batches import Batch, find_batch, to_batch
from trace.store.errors import (
    DuplicateLot,
    IdempotencyConflict,
    KeyNotUsable,
    NotFound,
    VersionConflict,
)
from trace.store.recall_context import recall_context
from trace.store.records import load_record
from trace.store.tables import (
    agency_keys,
    batches,
    idempotency_keys,
    log_head,
    merkle_nodes,
    photos,
    records,
)


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


@dataclass(frozen=True, slots=True)
class Pending:
    """A statement that passed the checks needing no database, waiting to be appended."""

    actor: Actor
    signed: SignedStatement
    statement: Statement
    kind: EventKind
    body: msgspec.Struct
    digest: bytes
    idempotency_key: str | None
    fingerprint: bytes
    expected_version: int | None


Outcome = Appended | DomainError
RecallStep = RecallNotified | Withdrawn | RecallClosed


@dataclass
class _Writes:
    records: list[dict[str, Any]] = field(default_factory=list)
    new_batches: dict[str, dict[str, Any]] = field(default_factory=dict)
    changed_batches: dict[str, dict[str, Any]] = field(default_factory=dict)
    nodes: list[Node] = field(default_factory=list)
    idempotency: list[dict[str, Any]] = field(default_factory=list)


async def append_group(conn: AsyncConnection, group: list[Pending], *, tree: bool) -> list[Outcome]:
    """Append every statement of ``group`` that passes its checks, in order, in one transaction."""
    outcomes: list[Outcome | None] = [None] * len(group)
    await _replays(conn, group, outcomes)
    await _resent(conn, group, outcomes)
    keys = await _keys(conn, group)
    rows = await _lock_batches(conn, group)
    taken_lots = await _taken_lots(conn, group)
    held_photos = await _held_photos(conn, group)
    head = (
        await conn.execute(
            select(log_head.c.size, log_head.c.edge).where(log_head.c.id == 1).with_for_update()
        )
    ).one()
    size = int(head.size)
    # Without the tree (benchmarks only) the stored edge is left as it was.
    edge = unpack(bytes(head.edge), size) if tree else []
    writes = _Writes()
    by_digest: dict[bytes, Appended] = {}
    by_key: dict[tuple[str, str], tuple[bytes, Appended]] = {}
    for i, item in enumerate(group):
        if outcomes[i] is not None:
            continue
        try:
            earlier = _in_group_replay(item, by_digest, by_key)
            if earlier is not None:
                outcomes[i] = earlier
                continue
            _check_key(item, keys.get(item.signed.key_id))
            photo = named_photo(item.body)
            if photo is not None and photo not in held_photos:
                raise missing_photo(item.kind.value, photo)
            corrected = (
                await _corrected_agency(conn, item) if item.kind is EventKind.CORRECTED else None
            )
            recall = (
                await recall_context(conn, item.body.recall, item.statement.batch)
                if isinstance(item.body, RecallStep)
                else None
            )
            appended, edge = _apply(
                item, rows, taken_lots, (corrected, recall), size, edge, writes, tree
            )
        except DomainError as refused:
            outcomes[i] = refused
            continue
        size += 1
        outcomes[i] = appended
        by_digest[item.digest] = appended
        if item.idempotency_key is not None:
            by_key[(item.actor.agency_id, item.idempotency_key)] = (item.fingerprint, appended)
    if writes.records:
        await _write(conn, writes, size, pack(edge) if tree else bytes(head.edge))
    return [outcome for outcome in outcomes if outcome is not None]


def count_committed(outcomes: list[Outcome]) -> None:
    """Count a committed group in the metrics: its size, new records and refusals."""
    count_group(
        len(outcomes),
        sum(1 for outcome in outcomes if isinstance(outcome, Appended) and not outcome.replayed),
        (outcome.code for outcome in outcomes if isinstance(outcome, DomainError)),
    )


def _apply(
    item: Pending,
    rows: dict[str, dict[str, Any]],
    taken_lots: set[tuple[str, str]],
    named: tuple[str | None, RecallContext | None],
    position: int,
    edge: list[bytes],
    writes: _Writes,
    tree: bool,
) -> tuple[Appended, list[bytes]]:
    """Check one statement against the state so far and stage its record; nothing on failure.

    ``named`` is what the statement points at: the agency that recorded the record a
    correction corrects, the recall a step of the recall workflow names.
    """
    corrected, recall = named
    batch_id = item.statement.batch
    row = rows.get(batch_id)
    state = _state(row) if row is not None else None
    inputs = None
    if isinstance(item.body, Transformed):
        wanted = {entry.batch for entry in item.body.inputs}
        inputs = {b: _state(rows[b]) for b in wanted if b in rows}
    check_permitted(
        item.kind,
        item.body,
        actor_id=item.actor.agency_id,
        actor_kind=item.actor.agency_kind,
        batch=state,
        inputs=inputs,
        corrected_agency=corrected,
        recall=recall,
    )
    current = state.version if state is not None else 0
    if item.expected_version is not None and item.expected_version != current:
        raise VersionConflict(
            f"the batch is at version {current}, not {item.expected_version}",
            current=current,
            expected=item.expected_version,
        )
    lot = _lot(item)
    if lot is not None and lot in taken_lots:
        raise DuplicateLot(
            f"GTIN {lot[0]} lot {lot[1]} is already registered", gtin=lot[0], lot=lot[1]
        )
    # Every check passed: from here on the statement is appended.
    recorded_at = now_us()
    seq = current + 1
    prev = bytes(row["head_hash"]) if row is not None else GENESIS_PREV
    rhash = record_hash(
        prev=prev,
        statement_hash=item.digest,
        signature=item.signed.signature,
        seq=seq,
        position=position,
        recorded_at_us=recorded_at,
    )
    if tree:
        edge, finished = append_leaf(edge, position, rhash)
        writes.nodes.extend(finished)
    writes.records.append(
        {
            "position": position,
            "batch_id": batch_id,
            "seq": seq,
            "recorded_at_us": recorded_at,
            "prev": prev,
            "record_hash": rhash,
            "statement_hash": item.digest,
            "statement": item.signed.statement,
            "signature": item.signed.signature,
            "key_id": item.signed.key_id,
            "agency_id": item.statement.agency,
            "kind": item.kind.value,
        }
    )
    new_state = next_state(
        state, item.kind, item.body, actor_id=item.actor.agency_id, batch_id=batch_id, seq=seq
    )
    moving = {
        "holder_id": new_state.holder,
        "in_transit_to": new_state.in_transit_to,
        "recalled": new_state.recalled,
        "sold_out": new_state.sold_out,
        "version": new_state.version,
        "head_hash": rhash,
        "updated_at_us": recorded_at,
    }
    if row is None:
        row = _new_batch_row(item, new_state, position, moving)
        writes.new_batches[batch_id] = row
        if lot is not None:
            taken_lots.add(lot)
    else:
        row = {**row, **moving}
        if batch_id in writes.new_batches:
            writes.new_batches[batch_id] = row
        else:
            writes.changed_batches[batch_id] = row
    rows[batch_id] = row
    if item.idempotency_key is not None:
        writes.idempotency.append(
            {
                "agency_id": item.actor.agency_id,
                "key": item.idempotency_key,
                "request_hash": item.fingerprint,
                "position": position,
                "created_at_us": recorded_at,
            }
        )
    record = Record(
        batch_id,
        seq,
        position,
        recorded_at,
        prev,
        rhash,
        item.signed.statement,
        item.signed.signature,
        item.signed.key_id,
    )
    return Appended(record, to_batch(SimpleNamespace(**row)), replayed=False), edge


def _new_batch_row(
    item: Pending, state: BatchState, position: int, moving: dict[str, Any]
) -> dict[str, Any]:
    body = item.body
    assert isinstance(body, Registered), "a batch is created only by its registration"
    return {
        "id": state.batch_id,
        "code": identifiers.new_batch_code(),
        "producer_id": state.producer,
        "product": body.product,
        "gtin": identifiers.validate_gtin(body.gtin) if body.gtin else None,
        "lot": body.lot,
        "province": body.origin.province if body.origin else None,
        "registered_position": position,
        **moving,
    }


async def _write(conn: AsyncConnection, writes: _Writes, size: int, edge: bytes) -> None:
    await conn.execute(update(log_head).where(log_head.c.id == 1).values(size=size, edge=edge))
    await conn.execute(insert(records), writes.records)
    if writes.new_batches:
        await conn.execute(insert(batches), list(writes.new_batches.values()))
    if writes.changed_batches:
        moving = ("holder_id", "in_transit_to", "recalled", "sold_out", "version", "head_hash")
        await conn.execute(
            update(batches)
            .where(batches.c.id == bindparam("b_id"))
            .values({name: bindparam(f"b_{name}") for name in (*moving, "updated_at_us")}),
            [
                {"b_id": r["id"], **{f"b_{n}": r[n] for n in (*moving, "updated_at_us")}}
                for r in writes.changed_batches.values()
            ],
        )
    if writes.nodes:
        await conn.execute(
            insert(merkle_nodes),
            [{"level": n.level, "idx": n.index, "hash": n.hash} for n in writes.nodes],
        )
    if writes.idempotency:
        await conn.execute(insert(idempotency_keys), writes.idempotency)


async def _replays(
    conn: AsyncConnection, group: list[Pending], outcomes: list[Outcome | None]
) -> None:
    """Requests whose Idempotency-Key was used before get the first answer, or a refusal."""
    # ``is not None``, as where the keys are written: an empty key is still a key.
    keyed = {(p.actor.agency_id, p.idempotency_key) for p in group if p.idempotency_key is not None}
    if not keyed:
        return
    found = {
        (row.agency_id, row.key): row
        for row in await conn.execute(
            select(idempotency_keys).where(
                tuple_(idempotency_keys.c.agency_id, idempotency_keys.c.key).in_(sorted(keyed))
            )
        )
    }
    for i, item in enumerate(group):
        if item.idempotency_key is None:
            continue
        row = found.get((item.actor.agency_id, item.idempotency_key))
        if row is None:
            continue
        if bytes(row.request_hash) != item.fingerprint:
            outcomes[i] = IdempotencyConflict(
                "this Idempotency-Key was already used for a different request",
                key=item.idempotency_key,
            )
            continue
        record = await load_record(conn, row.position)
        outcomes[i] = Appended(record, await find_batch(conn, record.batch), replayed=True)


async def _resent(
    conn: AsyncConnection, group: list[Pending], outcomes: list[Outcome | None]
) -> None:
    """A signed statement already recorded (the same bytes, the same signature) gets its record.

    A device that lost an answer sends the statement again: it is stored once, and the resend
    is answered as a replay before any rule or key is checked, since these may have moved
    on since (the batch shipped, the key revoked). Another signature over the same bytes is
    checked as a new statement, and so refused unless it verifies.
    """
    wanted = sorted({p.digest for i, p in enumerate(group) if outcomes[i] is None})
    if not wanted:
        return
    found = {
        bytes(row.statement_hash): row
        for row in await conn.execute(
            select(records.c.statement_hash, records.c.signature, records.c.position).where(
                records.c.statement_hash.in_(wanted)
            )
        )
    }
    for i, item in enumerate(group):
        row = found.get(item.digest)
        if outcomes[i] is not None or row is None or bytes(row.signature) != item.signed.signature:
            continue
        record = await load_record(conn, row.position)
        outcomes[i] = Appended(record, await find_batch(conn, record.batch), replayed=True)


def _in_group_replay(
    item: Pending,
    by_digest: dict[bytes, Appended],
    by_key: dict[tuple[str, str], tuple[bytes, Appended]],
) -> Appended | None:
    if item.idempotency_key is not None:
        seen = by_key.get((item.actor.agency_id, item.idempotency_key))
        if seen is not None:
            if seen[0] != item.fingerprint:
                raise IdempotencyConflict(
                    "this Idempotency-Key was already used for a different request",
                    key=item.idempotency_key,
                )
            return Appended(seen[1].record, seen[1].batch, replayed=True)
    earlier = by_digest.get(item.digest)
    if earlier is None or earlier.record.signature != item.signed.signature:
        return None
    return Appended(earlier.record, earlier.batch, replayed=True)


async def _keys(conn: AsyncConnection, group: list[Pending]) -> dict[str, Any]:
    wanted = sorted({p.signed.key_id for p in group})
    rows = await conn.execute(select(agency_keys).where(agency_keys.c.key_id.in_(wanted)))
    return {row.key_id: row for row in rows}


def _check_key(item: Pending, key: Any) -> None:
    kid = item.signed.key_id
    if key is None or key.agency_id != item.statement.agency:
        raise KeyNotUsable(
            f"key {kid} is not a key of agency {item.statement.agency}", reason="unknown", key=kid
        )
    if key.revoked_at_us is not None:
        raise KeyNotUsable(f"key {kid} has been revoked", reason="revoked", key=kid)
    if key.retired_at_us is not None:
        raise KeyNotUsable(
            f"key {kid} was rotated out; sign with the agency's current key",
            reason="retired",
            key=kid,
        )
    verify_signature(bytes(key.public_key), item.digest, item.signed.signature)


async def _lock_batches(conn: AsyncConnection, group: list[Pending]) -> dict[str, dict[str, Any]]:
    """Lock every batch the group writes or reads as input, in id order (no deadlocks)."""
    wanted = {p.statement.batch for p in group}
    for p in group:
        if isinstance(p.body, Transformed):
            wanted |= {entry.batch for entry in p.body.inputs}
    rows = await conn.execute(
        select(batches)
        .where(batches.c.id.in_(sorted(wanted)))
        .order_by(batches.c.id)
        .with_for_update()
    )
    return {row.id: dict(row._mapping) for row in rows}


def _lot(item: Pending) -> tuple[str, str] | None:
    body = item.body
    if not isinstance(body, Registered) or body.gtin is None:
        return None
    return identifiers.validate_gtin(body.gtin), body.lot


async def _taken_lots(conn: AsyncConnection, group: list[Pending]) -> set[tuple[str, str]]:
    wanted = {lot for lot in map(_lot, group) if lot is not None}
    if not wanted:
        return set()
    rows = await conn.execute(
        select(batches.c.gtin, batches.c.lot).where(
            tuple_(batches.c.gtin, batches.c.lot).in_(sorted(wanted))
        )
    )
    return {(row.gtin, row.lot) for row in rows}


async def _held_photos(conn: AsyncConnection, group: list[Pending]) -> set[str]:
    """The photos the group's statements name that the service holds (photos are never
    deleted, so what is held now is held at commit)."""
    wanted = sorted({name for name in (named_photo(p.body) for p in group) if name is not None})
    if not wanted:
        return set()
    rows = await conn.execute(select(photos.c.sha256).where(photos.c.sha256.in_(wanted)))
    return {row.sha256 for row in rows}


async def _corrected_agency(conn: AsyncConnection, item: Pending) -> str:
    assert isinstance(item.body, Corrected)
    target = bytes.fromhex(item.body.corrects)
    row = (
        await conn.execute(
            select(records.c.agency_id).where(
                records.c.record_hash == target, records.c.batch_id == item.statement.batch
            )
        )
    ).first()
    if row is None:
        raise NotFound(
            "the corrected record is not a record of this batch", what="record", id=target.hex()
        )
    return str(row.agency_id)


def _state(row: dict[str, Any]) -> BatchState:
    return BatchState(
        batch_id=row["id"],
        producer=row["producer_id"],
        holder=row["holder_id"],
        in_transit_to=row["in_transit_to"],
        recalled=bool(row["recalled"]),
        sold_out=bool(row["sold_out"]),
        version=int(row["version"]),
    )
