"""The ``events`` dataset as one EPCIS 2.0 JSON-LD document, written as it streams.

Each record becomes the event its kind maps to (:mod:`trace.domain.epcis`), named by
its GS1 Event Hash ID (:mod:`trace.domain.event_hash`). What is identified is the
batch as a class of trade items: its GS1 Digital Link ``https://id.gs1.org/01/…/10/…``
with a GTIN, else its public page. Parties are ``urn:uuid:`` of organisations;
households are left out, as everywhere in open data. A ``corrected`` record is the
corrected event again with an ``errorDeclaration`` (EPCIS 2.0 §7.4.1.5), under the same
event ID, since the declaration is not part of the hash. Two extension fields link
each event to the ledger: ``trace:position`` and ``trace:recordHash``. An event captured
whole (kind ``epcis_event``) is not repeated here: its content is whatever its sender
wrote and cannot be screened for personal data; the ``events`` dataset names it by its
Event Hash ID, and the inspectors' EPCIS interface gives it back.
"""

from __future__ import annotations

import math
from collections.abc import AsyncIterator, Mapping
from typing import Any

import msgspec
from sqlalchemy import Select, bindparam, select
from sqlalchemy.ext.asyncio import AsyncConnection

from trace.domain.epcis import CORRECTION_REASON, EPCIS_MAPPINGS, TRACE_VOC
from trace.domain.errors import NotAnEpcisEvent
from trace.domain.event_hash import event_hash_id
from trace.domain.kinds import EventKind
from trace.opendata.cells import envelope, link_path, page_url, public_body, utc_text
from trace.opendata.parties import UNKNOWN, Party
from trace.opendata.reading import Context, Cut, in_range, stream
from trace.store.tables import batches, records

EPCIS_CONTEXT = "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"
CONTEXT: list[Any] = [EPCIS_CONTEXT, {"trace": TRACE_VOC}]
_CBV = "https://ref.gs1.org/cbv/"
# Looked-up batches (inputs of transformations) kept per export, at most this many.
_KEEP = 10_000

_COLUMNS = (
    records.c.position,
    records.c.recorded_at_us,
    records.c.record_hash,
    records.c.statement,
    records.c.agency_id,
    records.c.kind,
    batches.c.code,
    batches.c.gtin,
    batches.c.lot,
)
_FROM = records.outerjoin(batches, batches.c.id == records.c.batch_id)
_RECORDS: Select[Any] = (
    select(*_COLUMNS)
    .select_from(_FROM)
    .where(in_range(records.c.position))
    .order_by(records.c.position)
)
_BY_HASH = select(*_COLUMNS).select_from(_FROM).where(records.c.record_hash == bindparam("hash"))
_BATCH = select(batches.c.code, batches.c.gtin, batches.c.lot).where(
    batches.c.id == bindparam("id")
)


def header(creation: str) -> bytes:
    """The document up to its first event."""
    opening = msgspec.json.encode(
        {
            "@context": CONTEXT,
            "type": "EPCISDocument",
            "schemaVersion": "2.0",
            "creationDate": creation,
        }
    )
    return opening[:-1] + b',"epcisBody":{"eventList":[\n'


FOOTER = b"\n]}}\n"
SEPARATOR = b",\n"


def epc_class(public_url: str, code: str | None, gtin: str | None, lot: str | None) -> str:
    """The batch as a class of trade items: GS1 Digital Link with a GTIN, else its page."""
    path = link_path(gtin, lot)
    return f"https://id.gs1.org{path}" if path else page_url(public_url, code, gtin, lot)


def _offset(occurred_at: str) -> str:
    """``+07:00`` from an RFC 3339 time; EPCIS wants the offset the event happened at."""
    return "+00:00" if occurred_at.endswith(("Z", "z")) else occurred_at[-6:]


def _party(party: Party) -> str | None:
    return f"urn:uuid:{party.id}" if party.id else None


def _quantity(item: Mapping[str, Any] | None, epc: str) -> dict[str, Any]:
    element: dict[str, Any] = {"epcClass": epc}
    amount = _number(item.get("value")) if isinstance(item, Mapping) else None
    if amount is not None and isinstance(item, Mapping):
        element["quantity"] = amount
        if isinstance(item.get("unit"), str):
            element["uom"] = item["unit"]
    return element


def _number(value: object) -> float | None:
    """A quantity's decimal text as a JSON number; None for text that is no finite number
    (a record changed behind the ledger's back may hold anything)."""
    if not isinstance(value, str):
        return None
    try:
        number = float(value)
    except ValueError:
        return None
    return number if math.isfinite(number) else None


def _flows(kind: str, body: Mapping[str, Any], agency: Party, context: Context) -> dict[str, Any]:
    """sourceList / destinationList (CBV owning_party) of a shipment, receipt or sale."""
    parties = context.parties
    if kind == "received":
        source, destination = parties.get(str(body.get("from")), UNKNOWN), agency
    elif kind in ("shipped", "sold"):
        source, destination = agency, parties.get(str(body.get("to")), UNKNOWN)
    else:
        return {}
    flows: dict[str, Any] = {}
    party_type = f"{_CBV}SDT-owning_party"
    if (uri := _party(source)) is not None:
        flows["sourceList"] = [{"type": party_type, "source": uri}]
    if (uri := _party(destination)) is not None:
        flows["destinationList"] = [{"type": party_type, "destination": uri}]
    return flows


class EventWriter:
    """Turns the rows of ``records`` into EPCIS events; looks up what a row does not hold."""

    def __init__(self, lookups: AsyncConnection, context: Context) -> None:
        self.lookups = lookups
        self.context = context
        self.classes: dict[str, str] = {}

    async def _class_of(self, batch_id: str) -> str:
        known = self.classes.get(batch_id)
        if known is None:
            row = (await self.lookups.execute(_BATCH, {"id": batch_id})).first()
            known = epc_class(self.context.public_url, *row) if row else f"urn:uuid:{batch_id}"
            if len(self.classes) >= _KEEP:
                self.classes.clear()
            self.classes[batch_id] = known
        return known

    async def event(self, row: tuple[Any, ...]) -> dict[str, Any] | None:
        """The EPCIS event of one record, or None for a record that maps to none."""
        position, recorded, rhash, statement, agency_id, kind, code, gtin, lot = row
        parsed = envelope(bytes(statement))
        recorded_text = utc_text(recorded)
        # A record without a time the ledger can state is no event (its row says so).
        if parsed is None or not parsed.occurred_at or recorded_text is None:
            return None
        if kind not in EPCIS_MAPPINGS:
            return None
        if kind == EventKind.CORRECTED:
            return await self._declaration(parsed.body, recorded, rhash)
        mapping = EPCIS_MAPPINGS[EventKind(kind)]
        if mapping.event_type is None:
            return None
        parties = self.context.parties
        body = public_body(kind, parsed.body, parties)
        own = epc_class(self.context.public_url, code, gtin, lot)
        event: dict[str, Any] = {
            "type": mapping.event_type,
            "eventTime": parsed.occurred_at,
            "eventTimeZoneOffset": _offset(parsed.occurred_at),
            "recordTime": recorded_text,
        }
        if mapping.action:
            event["action"] = mapping.action
        amount = body.get("quantity") or body.get("output_quantity")
        if mapping.event_type == "TransformationEvent":
            inputs = [i for i in body.get("inputs", []) if isinstance(i, dict)]
            event["inputQuantityList"] = [
                _quantity(i.get("quantity"), await self._class_of(str(i.get("batch"))))
                for i in inputs
            ]
            event["outputQuantityList"] = [_quantity(amount, own)]
        elif kind == EventKind.SERIALISED and isinstance(body.get("count"), int):
            event["quantityList"] = [{"epcClass": own, "quantity": body["count"]}]
        else:
            event["quantityList"] = [_quantity(amount, own)]
        if mapping.biz_step:
            event["bizStep"] = mapping.biz_step
        disposition = mapping.disposition
        if kind == EventKind.INSPECTED and isinstance(body.get("result"), str):
            disposition = f"{_CBV}Disp-{body['result']}"
        if disposition:
            event["disposition"] = disposition
        event.update(_flows(kind, parsed.body, parties.get(agency_id, UNKNOWN), self.context))
        if mapping.body_field == "certificationInfo":
            page = page_url(self.context.public_url, code, gtin, lot)
            event["certificationInfo"] = f"{page}#certificates"
        event["trace:position"] = position
        event["trace:recordHash"] = bytes(rhash).hex()
        try:
            event["eventID"] = event_hash_id(event, CONTEXT)
        except NotAnEpcisEvent:
            return None  # what a changed record holds may make no event at all
        return event

    async def _declaration(
        self, body: Mapping[str, Any], recorded: int, rhash: bytes
    ) -> dict[str, Any] | None:
        """The corrected event again, declared erroneous by this record."""
        corrects = body.get("corrects")
        if not isinstance(corrects, str):
            return None
        try:
            wanted = bytes.fromhex(corrects)
        except ValueError:
            return None
        row = (await self.lookups.execute(_BY_HASH, {"hash": wanted})).first()
        original = await self.event(tuple(row)) if row is not None else None
        declared = utc_text(recorded)
        if original is None or declared is None:
            return None
        original["errorDeclaration"] = {
            "declarationTime": declared,
            "reason": CORRECTION_REASON,
            "trace:recordHash": bytes(rhash).hex(),
        }
        return original


async def epcis_events(
    conn: AsyncConnection, lookups: AsyncConnection, cut: Cut, context: Context
) -> AsyncIterator[dict[str, Any]]:
    """The EPCIS events of the records in ``cut``, in log order."""
    writer = EventWriter(lookups, context)
    async for row in stream(conn, _RECORDS, cut):
        event = await writer.event(row)
        if event is not None:
            yield event
