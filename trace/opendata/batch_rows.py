"""The ``batches`` dataset: each batch's registration and its state at the end of the cut.

A batch's state (who holds it, whether it is in transit, sold out or recalled) is what
the ledger's own rules make of its records (:func:`trace.domain.rules.next_state`),
replayed here over the records before the cut's end, not read from the live read
model: an export cut at position ``end`` says the same thing whenever it is made.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import msgspec
from sqlalchemy import Select, bindparam, select

from trace.domain.errors import DomainError
from trace.domain.kinds import EventKind, decode_body
from trace.domain.places import commune_name, province_name
from trace.domain.rules import BatchState, next_state
from trace.opendata.cells import envelope, page_url, quantity, text, utc_text
from trace.opendata.parties import UNKNOWN, Party
from trace.opendata.reading import Context, Cut, Row, in_range, stream
from trace.store.tables import batches, records


class _Unread(msgspec.Struct, frozen=True):
    """The body of a record whose body does not change the state."""


# The only kinds whose body the state depends on (next_state in trace/domain/rules.py).
_STATEFUL = frozenset({EventKind.SHIPPED, EventKind.SOLD})

_COLUMNS = (
    records.c.batch_id,
    records.c.seq,
    records.c.position,
    records.c.recorded_at_us,
    records.c.statement,
    records.c.agency_id,
    records.c.kind,
    batches.c.code,
    batches.c.product,
    batches.c.gtin,
    batches.c.lot,
    batches.c.registered_position,
)


def _query(cut: Cut) -> Select[Any]:
    query = (
        select(*_COLUMNS)
        .select_from(records.join(batches, batches.c.id == records.c.batch_id))
        .where(records.c.position < bindparam("end"))
        .order_by(batches.c.registered_position, records.c.seq)
    )
    if cut.start > 0:
        touched = records.alias("touched")
        query = query.where(
            records.c.batch_id.in_(
                select(touched.c.batch_id).where(in_range(touched.c.position)).distinct()
            )
        )
    return query


def _status(state: BatchState) -> str:
    if state.recalled:
        return "recalled"
    if state.sold_out:
        return "sold_out"
    return "in_transit" if state.in_transit_to else "active"


class _Batch:
    """One batch being folded, record by record."""

    def __init__(self, head: Row) -> None:
        self.head = head
        self.registration: dict[str, Any] = {}
        self.registered_at: str | None = None
        self.state: BatchState | None = None
        self.records = 0
        self.last: Row = head

    def add(self, row: Row) -> None:
        batch, seq, _position, _recorded, statement, agency, kind = row[:7]
        self.records += 1
        self.last = row
        parsed = envelope(bytes(statement))
        if parsed is None:
            return
        if seq == 1:
            self.registration, self.registered_at = parsed.body, parsed.occurred_at or None
        try:
            event_kind = EventKind(kind)
            body = decode_body(kind, parsed.body) if event_kind in _STATEFUL else _Unread()
            self.state = next_state(
                self.state, event_kind, body, actor_id=agency, batch_id=batch, seq=seq
            )
        except (ValueError, DomainError):
            pass  # a broken chain keeps the state it had; `verify` names the fault

    def row(self, context: Context) -> Row:
        code, product, gtin, lot, registered = self.head[7:12]
        parties = context.parties
        state = self.state
        producer = parties.get(state.producer, UNKNOWN) if state else UNKNOWN
        holder = parties.get(state.holder, UNKNOWN) if state else UNKNOWN
        heading = (
            parties.get(state.in_transit_to, UNKNOWN) if state and state.in_transit_to else None
        )
        body = self.registration
        found = body.get("origin")
        origin: dict[str, Any] = found if isinstance(found, dict) else {}
        province, commune = text(origin.get("province")), text(origin.get("commune"))
        if province:
            context.coverage.provinces.add(province)
        return (
            self.head[0],
            code,
            page_url(context.public_url, code, gtin, lot),
            product,
            text(body.get("category")),
            gtin,
            lot,
            producer.id,
            producer.name,
            producer.kind,
            producer.household,
            province,
            province_name(province) if province else None,
            commune,
            commune_name(commune) if commune else None,
            *quantity(body),
            text(body.get("production_date")),
            text(body.get("expiry_date")),
            text(body.get("ocop_ref")),
            self.registered_at,
            registered,
            _status(state) if state else "active",
            holder.id,
            holder.name,
            *_named(heading),
            self.records,
            self.last[2],
            utc_text(self.last[3]),
        )


def _named(party: Party | None) -> tuple[str | None, str | None]:
    return (party.id, party.name) if party else (None, None)


async def batch_rows(conn: Any, cut: Cut, context: Context) -> AsyncIterator[Row]:
    """One row per batch with a record in the cut, in order of registration."""
    current: _Batch | None = None
    async for row in stream(conn, _query(cut), cut):
        if current is None or current.head[0] != row[0]:
            if current is not None:
                yield current.row(context)
            current = _Batch(row)
        current.add(row)
    if current is not None:
        yield current.row(context)
