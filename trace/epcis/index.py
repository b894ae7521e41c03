"""The "epcis" projection: every record of the log as the EPCIS 2.0 event it is, indexed.

It follows the log (``trace/store/projections.py``) and writes, for each record, the
event ``/epcis/events`` answers with (``trace/epcis/export.py``) and the values the
standard query parameters select on: Event Hash ID, type, action, times, business step,
disposition, read point, business location, and each identifier with its role. Like
every projection it is derived from the records alone: dropping its rows and its
position rebuilds it (after a change of ``TRACE_PUBLIC_URL``, which its URIs contain).

A record capture made from a partner's event is indexed as that event, once: when the
event made records on several batches (a transformation with two outputs), the first of
them in the log holds it, and the others are found through it.

A record the ledger cannot read (changed behind its back, or holding a time outside the
window of trace/domain/times.py) is left out and the projection moves past it: the
audit names a changed record, and an EPCIS answer can only give events the ledger can read.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import msgspec
from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncConnection

from trace.domain.event_hash import CBV, canonical_term, canonical_value, context_prefixes
from trace.domain.facts import Unreadable, read_fact
from trace.domain.kinds import (
    Corrected,
    EpcisEvent,
    EventKind,
    Serialised,
    Transformed,
)
from trace.domain.record import Record, to_us
from trace.domain.statement import Statement
from trace.epcis.export import (
    CONTEXT,
    EXACT_JSON,
    Setting,
    captured_from,
    ledger_event,
    serial_uri,
)
from trace.epcis.subjects import BatchClasses, BatchRef, identifiers
from trace.store.database import Reads
from trace.store.tables import (
    batches,
    epcis_events,
    epcis_identifiers,
    label_serials,
    records,
)

NAME = "epcis"
BIZ_STEP = f"{CBV}BizStep-"
DISPOSITION = f"{CBV}Disp-"

# Numbers as the exact decimals they were read as; keys as they were written.
ENCODE = msgspec.json.Encoder(decimal_format="number")
_CANONICAL = msgspec.json.Encoder(decimal_format="number", order="sorted")


def declaration_key(event: Mapping[str, Any]) -> str | None:
    """The errorDeclaration as canonical JSON: one event may be declared erroneous apart."""
    declaration = event.get("errorDeclaration")
    return None if declaration is None else _CANONICAL.encode(declaration).decode()


_TIME = re.compile(r"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d+))?([Zz]|[+-]\d\d:\d\d)", re.ASCII)


def event_micros(moment: str) -> int:
    """Microseconds since the epoch of an EPCIS time (more than six decimals are cut)."""
    match = _TIME.fullmatch(moment.strip())
    if match is None:
        raise ValueError(f"not a time with a UTC offset: {moment!r}")
    zone = "+00:00" if match[3] in ("Z", "z") else match[3]
    parsed = datetime.fromisoformat(f"{match[1]}.{(match[2] or '').ljust(6, '0')[:6]}{zone}")
    return to_us(parsed)


def own_context(event: Mapping[str, Any]) -> Any:
    """The context an event's CURIEs resolve in: its own, else the one the ledger writes."""
    return event.get("@context", CONTEXT)


@dataclass(frozen=True, slots=True)
class _Fact:
    record: Record
    statement: Statement
    kind: EventKind
    body: msgspec.Struct


class EpcisIndex:
    """The projection; ``base_url`` is the deployment's public URL, as in the events."""

    name = NAME

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url

    async def apply(self, conn: AsyncConnection, batch: Sequence[Record]) -> None:
        """Index ``batch`` of records (consecutive, in log order)."""
        facts = [fact for fact in map(_parse, batch) if fact is not None]
        refs = await _batches(conn, _batch_ids(facts))
        classes = BatchClasses(refs, self.base_url)
        serials = await _serials(conn, facts, refs)
        exported: dict[bytes, dict[str, Any]] = {}
        rows: list[dict[str, Any]] = []
        named: list[dict[str, Any]] = []
        # One captured event may have made a record on each batch it created or moved: the
        # index holds it once, at the first of them, so that a query gives it once.
        made = [captured_from(f.body) for f in facts]
        held = await recorded(conn, ((kept.event_hash, None) for kept in made if kept))
        for fact, kept in zip(facts, made, strict=True):
            if kept is not None:
                if (kept.event_hash, None) in held:
                    continue
                held.add((kept.event_hash, None))
            event = await self._event(conn, fact, refs, classes, serials, exported)
            if event is None:
                continue
            exported[fact.record.record_hash] = event
            rows.append(self._row(fact, event))
            prefixes = context_prefixes(own_context(event))
            named.extend(
                {"position": fact.record.position, "role": role, "identifier": uri}
                for role, uri in identifiers(event, prefixes)
            )
        if rows:
            await conn.execute(insert(epcis_events), rows)
        if named:
            await conn.execute(insert(epcis_identifiers), named)

    async def _event(
        self,
        conn: AsyncConnection,
        fact: _Fact,
        refs: Mapping[str, BatchRef],
        classes: Mapping[str, str],
        serials: Mapping[str, list[str]],
        exported: Mapping[bytes, dict[str, Any]],
    ) -> dict[str, Any] | None:
        own = refs.get(fact.record.batch)
        if own is None:
            return None
        corrected = None
        if isinstance(fact.body, Corrected):
            corrected = await _corrected_event(conn, bytes.fromhex(fact.body.corrects), exported)
            if corrected is None:
                return None
        setting = Setting(
            base_url=self.base_url,
            batch_class=classes[fact.record.batch],
            classes=classes,
            serials=serials.get(getattr(fact.body, "run", ""), []),
            corrected=corrected,
        )
        return ledger_event(
            fact.kind,
            fact.body,
            occurred_at=fact.statement.occurred_at,
            agency=fact.statement.agency,
            recorded_at_us=fact.record.recorded_at_us,
            setting=setting,
        )

    def _row(self, fact: _Fact, event: Mapping[str, Any]) -> dict[str, Any]:
        prefixes = context_prefixes(own_context(event))
        captured_id = None
        kept = fact.body if isinstance(fact.body, EpcisEvent) else captured_from(fact.body)
        if kept is not None:
            given = msgspec.json.decode(kept.event).get("eventID")
            captured_id = given if given != kept.event_hash else None

        def place(name: str) -> str | None:
            where = event.get(name)
            return canonical_value(where["id"], prefixes) if where else None

        def term(name: str, namespace: str) -> str | None:
            value = event.get(name)
            return None if value is None else canonical_term(namespace, value, prefixes)

        return {
            "position": fact.record.position,
            "event_id": event["eventID"],
            "captured_id": captured_id,
            "event_type": event["type"],
            "action": event.get("action"),
            "event_time_us": event_micros(event["eventTime"]),
            "record_time_us": fact.record.recorded_at_us,
            "biz_step": term("bizStep", BIZ_STEP),
            "disposition": term("disposition", DISPOSITION),
            "read_point": place("readPoint"),
            "biz_location": place("bizLocation"),
            "declaration": declaration_key(event),
            "batch_id": fact.record.batch,
            "event": ENCODE.encode(event).decode(),
        }


def _parse(record: Record) -> _Fact | None:
    fact = read_fact(record.statement)
    if isinstance(fact, Unreadable):
        return None
    return _Fact(record, fact.statement, fact.kind, fact.body)


def _batch_ids(facts: Iterable[_Fact]) -> set[str]:
    wanted = set()
    for fact in facts:
        wanted.add(fact.record.batch)
        if isinstance(fact.body, Transformed):
            wanted.update(item.batch for item in fact.body.inputs)
    return wanted


async def _batches(conn: Reads, ids: set[str]) -> dict[str, BatchRef]:
    if not ids:
        return {}
    rows = await conn.execute(
        select(batches.c.id, batches.c.gtin, batches.c.lot, batches.c.code).where(
            batches.c.id.in_(sorted(ids))
        )
    )
    return {row.id: BatchRef(row.id, row.gtin, row.lot, row.code) for row in rows}


async def _serials(
    conn: Reads, facts: Iterable[_Fact], refs: Mapping[str, BatchRef]
) -> dict[str, list[str]]:
    """The items of each labelling run among ``facts``, as Digital Links in print order."""
    runs = {f.body.run: refs[f.record.batch] for f in facts if isinstance(f.body, Serialised)}
    runs = {run: ref for run, ref in runs.items() if ref.gtin}
    if not runs:
        return {}
    rows = await conn.execute(
        select(label_serials.c.run_id, label_serials.c.serial)
        .where(label_serials.c.run_id.in_(sorted(runs)))
        .order_by(label_serials.c.run_id, label_serials.c.ordinal)
    )
    items: dict[str, list[str]] = {}
    for row in rows:
        gtin = runs[row.run_id].gtin
        assert gtin is not None
        items.setdefault(row.run_id, []).append(serial_uri(gtin, row.serial))
    return items


async def _corrected_event(
    conn: Reads, record_hash: bytes, exported: Mapping[bytes, dict[str, Any]]
) -> dict[str, Any] | None:
    """The event of the record a correction points at, without its record time."""
    event = exported.get(record_hash)
    if event is None:
        row = (
            await conn.execute(
                select(epcis_events.c.event)
                .join(records, records.c.position == epcis_events.c.position)
                .where(records.c.record_hash == record_hash)
            )
        ).first()
        if row is None:
            return None
        event = EXACT_JSON.decode(row.event)
    return {key: value for key, value in event.items() if key != "recordTime"}


async def recorded(
    conn: Reads, keys: Iterable[tuple[str, str | None]]
) -> set[tuple[str, str | None]]:
    """Which ``(event ID, declaration)`` pairs the index holds already."""
    wanted = set(keys)
    if not wanted:
        return set()
    rows = await conn.execute(
        select(epcis_events.c.event_id, epcis_events.c.declaration).where(
            epcis_events.c.event_id.in_(sorted({event_id for event_id, _ in wanted}))
        )
    )
    held = {(row.event_id, row.declaration) for row in rows}
    return wanted & held
