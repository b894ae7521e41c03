"""Recalls: an authority's signed `recalled` record on a batch, and finding it again.

A recall is named by the log position of its record: a short number, unique in the
ledger, that never changes. Its record hash (64 hex digits) names it too, and can be
checked against the record itself.

The record enters the ledger the one way every record does (trace/store/append.py),
signed with the authority's custodial key. The request's fingerprint for its
``Idempotency-Key`` leaves out a time the server filled in: a retry of a request without
``occurred_at`` is the same request, and gets the first answer.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date, datetime, timezone
from typing import Any

import msgspec
from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncConnection

from trace.domain.facts import Fact, RecordUnreadable, Unreadable, read_fact
from trace.domain.kinds import Corrected, EventKind, Recalled
from trace.domain.places import VIETNAM
from trace.domain.record import Record
from trace.genealogy.recall_steps import recall_progress
from trace.store.agencies import Actor
from trace.store.append import append_unsigned
from trace.store.batches import Batch, find_batch
from trace.store.database import Reads, read_transaction
from trace.store.errors import NotFound
from trace.store.ledger import Ledger
from trace.store.records import to_record
from trace.store.tables import batch_search, batch_search_facts, records

_FINGERPRINT_CONTEXT = b"trace/recall-request/v1\n"


@dataclass(frozen=True, slots=True)
class Recall:
    """A `recalled` record, the batch it recalls, and whether a correction withdrew it."""

    record: Record
    batch: Batch
    authority: str
    occurred_at: str
    body: Recalled
    # A later `corrected` record declared it wrong: the pages no longer show its banner.
    corrected: bool

    @property
    def id(self) -> int:
        """The recall's id: its record's position in the log."""
        return self.record.position


async def record_recall(
    ledger: Ledger,
    actor: Actor,
    batch_ref: str,
    body: dict[str, Any],
    *,
    occurred_at: str | None = None,
    idempotency_key: str | None = None,
) -> tuple[Recall, bool]:
    """Append ``actor``'s `recalled` record on the batch ``batch_ref`` (id or code).

    Returns the recall and whether it is the replay of an earlier identical request.
    ``occurred_at`` defaults to now, in Vietnam's time.
    """
    async with read_transaction(ledger.engine) as conn:
        batch = await find_batch(conn, batch_ref)
    request = {"batch": batch.id, "body": body, "occurred_at": occurred_at}
    appended = await append_unsigned(
        ledger,
        actor,
        batch=batch.id,
        kind=EventKind.RECALLED.value,
        occurred_at=occurred_at or datetime.now(timezone(VIETNAM)).isoformat(timespec="seconds"),
        body=body,
        idempotency_key=idempotency_key,
        fingerprint=hashlib.sha256(
            _FINGERPRINT_CONTEXT + msgspec.json.encode(request, order="sorted")
        ).digest(),
    )
    async with read_transaction(ledger.engine) as conn:
        recall = await _recall(conn, appended.record, appended.batch)
    return recall, appended.replayed


_STEP_FINGERPRINT_CONTEXT = b"trace/recall-step-request/v1\n"


async def record_step(
    ledger: Ledger,
    actor: Actor,
    recall: Recall,
    kind: EventKind,
    *,
    batch_id: str,
    body: dict[str, Any],
    occurred_at: str | None = None,
    idempotency_key: str | None = None,
) -> tuple[Record, bool]:
    """Append ``actor``'s step ``kind`` of ``recall`` on batch ``batch_id``, signed with its
    custodial key; ``body`` is the step's body without the recall, which is added.

    Returns the record and whether it is the replay of an earlier identical request.
    ``occurred_at`` defaults to now, in Vietnam's time; a retry without it is the same request.
    """
    full = {"recall": recall.record.record_hash.hex(), **body}
    request = {"kind": kind.value, "batch": batch_id, "body": full, "occurred_at": occurred_at}
    appended = await append_unsigned(
        ledger,
        actor,
        batch=batch_id,
        kind=kind.value,
        occurred_at=occurred_at or datetime.now(timezone(VIETNAM)).isoformat(timespec="seconds"),
        body=full,
        idempotency_key=idempotency_key,
        fingerprint=hashlib.sha256(
            _STEP_FINGERPRINT_CONTEXT + msgspec.json.encode(request, order="sorted")
        ).digest(),
    )
    return appended.record, appended.replayed


@dataclass(frozen=True, slots=True)
class RecallFilter:
    """Which recalls a list holds: every one when nothing is given.

    ``batch`` is the recalled batch's id; ``province`` its province's code; ``authority``
    the issuing agency's id; ``from_day``/``to_day`` bound the decision's day in Vietnam;
    ``state`` is how far it has gone (trace/domain/recall_flow.py; the ``recall_steps``
    projection must be caught up).
    """

    province: str | None = None
    severity: str | None = None
    batch: str | None = None
    authority: str | None = None
    from_day: date | None = None
    to_day: date | None = None
    state: str | None = None

    def admits(self, recall: Recall) -> bool:
        """Whether ``recall`` passes the filters the database could not apply."""
        if self.severity is not None and recall.body.severity.value != self.severity:
            return False
        decided = recall_day(recall)
        if self.from_day is not None and decided < self.from_day:
            return False
        return self.to_day is None or decided <= self.to_day


def recall_day(recall: Recall) -> date:
    """The day of the decision, in Vietnam."""
    moment = datetime.fromisoformat(recall.occurred_at)
    return moment.astimezone(timezone(VIETNAM)).date()


# Recalls are the `recalled` facts the search projection keeps (trace/search/projection.py),
# newest first; a page is read in chunks and filtered by what the record itself says.
_CHUNK = 200


async def list_recalls(
    conn: AsyncConnection, wanted: RecallFilter, *, before: int | None, limit: int
) -> tuple[list[Recall], int | None]:
    """Up to ``limit`` recalls, newest first, logged before position ``before``; and the
    position to continue from (None after the last)."""
    query = (
        select(batch_search_facts.c.record_position)
        .join(batch_search, batch_search.c.position == batch_search_facts.c.position)
        .join(records, records.c.position == batch_search_facts.c.record_position)
        .where(batch_search_facts.c.kind == EventKind.RECALLED.value)
        .order_by(batch_search_facts.c.record_position.desc())
        .limit(_CHUNK)
    )
    if wanted.province is not None:
        query = query.where(batch_search.c.province == wanted.province)
    if wanted.batch is not None:
        query = query.where(batch_search.c.batch_id == wanted.batch)
    if wanted.authority is not None:
        query = query.where(records.c.agency_id == wanted.authority)
    found: list[Recall] = []
    while True:
        page = query
        if before is not None:
            page = page.where(batch_search_facts.c.record_position < before)
        positions = list((await conn.execute(page)).scalars())
        for position in positions:
            recall = await find_recall(conn, str(position))
            if wanted.admits(recall) and await _in_state(conn, recall, wanted.state):
                if len(found) == limit:
                    return found, found[-1].id
                found.append(recall)
            before = position
        if len(positions) < _CHUNK:
            return found, None


async def _in_state(conn: AsyncConnection, recall: Recall, state: str | None) -> bool:
    if state is None:
        return True
    return (await recall_progress(conn, recall.id)).state.value == state


_BY_POSITION = select(records).where(records.c.position == bindparam("ref"))
_BY_HASH = select(records).where(records.c.record_hash == bindparam("ref"))
_CORRECTIONS = select(records).where(
    records.c.batch_id == bindparam("batch"), records.c.kind == EventKind.CORRECTED.value
)


async def find_recall(conn: AsyncConnection, ref: str) -> Recall:
    """The recall whose id (log position) or record hash is ``ref``; :class:`NotFound` if none."""
    row = None
    if ref.isascii() and ref.isdigit() and len(ref) <= 18:
        row = (await conn.execute(_BY_POSITION, {"ref": int(ref)})).first()
    elif len(ref) == 64:
        try:
            digest = bytes.fromhex(ref)
        except ValueError:
            digest = b""
        row = (await conn.execute(_BY_HASH, {"ref": digest})).first()
    if row is None or row.kind != EventKind.RECALLED.value:
        raise NotFound(f"no recall {ref}", what="recall", id=ref)
    record = to_record(row)
    return await _recall(conn, record, await find_batch(conn, record.batch))


async def _recall(conn: Reads, record: Record, batch: Batch) -> Recall:
    fact = read_fact(record.statement)
    # A recall whose only fault is a time outside the window is still a recall.
    if not isinstance(fact.body, Recalled) or fact.statement is None:
        detail = fact.detail if isinstance(fact, Unreadable) else "not a recall"
        raise RecordUnreadable(
            f"the recall at position {record.position} cannot be read: {detail}",
            position=record.position,
        )
    return Recall(
        record,
        batch,
        fact.statement.agency,
        fact.statement.occurred_at,
        fact.body,
        await _is_corrected(conn, record),
    )


async def _is_corrected(conn: Reads, record: Record) -> bool:
    """Whether a `corrected` record of the same batch that the ledger can read points at
    ``record``."""
    target = record.record_hash.hex()
    for row in await conn.execute(_CORRECTIONS, {"batch": record.batch}):
        correction = read_fact(bytes(row.statement))
        body = correction.body if isinstance(correction, Fact) else None
        if isinstance(body, Corrected) and body.corrects == target:
            return True
    return False
