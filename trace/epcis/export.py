"""Each ledger record as the EPCIS 2.0 event it is, carrying its GS1 Event Hash ID.

The event's type, action, business step and disposition come from the kind
(``trace/domain/epcis.py``). What the event is about and where it happened:

- *what*: the batch as an EPC class, ``https://id.gs1.org/01/{gtin}/10/{lot}`` for a batch
  with a GTIN, else the batch's public page ``{public_url}/b/{code}`` (a URI the ledger
  answers for, as EPCIS allows for classes that have no GS1 key); a run of serialised
  labels lists its items, ``https://id.gs1.org/01/{gtin}/21/{serial}``;
- *where*: agencies have no GLN, so each is named by ``{public_url}/agencies/{id}``, a URI
  under the deployment's own domain that never changes for the agency. It is the
  ``readPoint`` of every event the agency signs, and the ``bizLocation`` of the events
  after which the agency has the goods (registration, production steps, receipt,
  transformation, labelling); a shipment's goods are in transit, and an inspection, a
  certificate or a recall does not move them, so those events have none;
- *who else*: custody moves between ``possessing_party`` sources and destinations named
  the same way;
- the rest of the body, for which EPCIS has no field, follows as extension elements in the
  ledger's namespace (``trace:area``, ``trace:laboratory``...), keys prefixed all the way
  down as JSON-LD wants; a registration's lot master data is the event's ``ilmd``.

A record that capture made from a partner's event (a batch the event commissioned or
transformed into, a shipment or receipt between agencies of the ledger: the body's
``epcis``) is that event, as it was sent; when one event made several records (one per
batch), the "epcis" projection holds it once (``trace/epcis/index.py``).

A ``corrected`` record is the corrected record's event with an ``errorDeclaration`` and
its own ``recordTime``; its Event Hash ID is the corrected event's, as the hash leaves the
declaration out. An ``epcis_event`` record is the event it holds. Every event's
``eventID`` is its Event Hash ID: whoever holds the event can compute it again.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from types import MappingProxyType
from typing import Any
from urllib.parse import quote

import msgspec

from trace.domain.epcis import CORRECTION_REASON, EPCIS_MAPPINGS, TRACE_VOC, epcis_disposition
from trace.domain.event_hash import JsonLdContext, event_hash_id
from trace.domain.identifiers import DigitalLink
from trace.domain.kinds import (
    Certified,
    Corrected,
    EpcisEvent,
    EventKind,
    Processed,
    Received,
    Registered,
    Shipped,
    Sold,
    Transformed,
)
from trace.domain.quantity import Quantity
from trace.domain.record import from_us
from trace.epcis.extension_values import published

EPCIS_CONTEXT_URL = "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"
PREFIX = "trace"
# The context of every document the ledger writes: the standard one and its own namespace.
CONTEXT: list[str | dict[str, str]] = [EPCIS_CONTEXT_URL, {PREFIX: TRACE_VOC}]
DIGITAL_LINK_ROOT = "https://id.gs1.org"

# Kinds after whose event the signing agency has the goods where it is.
_AT_THE_AGENCY = frozenset(
    {
        EventKind.REGISTERED,
        EventKind.PLANTED,
        EventKind.INPUT_APPLIED,
        EventKind.HARVESTED,
        EventKind.PROCESSED,
        EventKind.PACKED,
        EventKind.RECEIVED,
        EventKind.TRANSFORMED,
        EventKind.SERIALISED,
    }
)
# Body fields that standard EPCIS fields carry, by kind; the others become extensions.
STANDARD_BODY_FIELDS: Mapping[EventKind, frozenset[str]] = MappingProxyType(
    {
        EventKind.REGISTERED: frozenset({"quantity"}),
        EventKind.HARVESTED: frozenset({"quantity"}),
        EventKind.PROCESSED: frozenset({"output_quantity"}),
        EventKind.PACKED: frozenset({"quantity"}),
        EventKind.INSPECTED: frozenset({"result"}),
        EventKind.SHIPPED: frozenset({"to", "quantity"}),
        EventKind.RECEIVED: frozenset({"from", "quantity"}),
        EventKind.SOLD: frozenset({"to", "quantity"}),
        EventKind.TRANSFORMED: frozenset({"inputs", "output_quantity"}),
        EventKind.WITHDRAWN: frozenset({"quantity"}),
    }
)
POSSESSING_PARTY = "possessing_party"
# JSON numbers read as exact decimals, so that a quantity is given back as it was written.
EXACT_JSON = msgspec.json.Decoder(float_hook=Decimal)


def agency_uri(base_url: str, agency_id: str) -> str:
    """The URI that names an agency as a place and as a party in the ledger's EPCIS events."""
    return f"{base_url}/agencies/{agency_id}"


def batch_class(base_url: str, *, gtin: str | None, lot: str, code: str) -> str:
    """The EPC class URI of a batch: its GTIN and lot, or its public page without a GTIN."""
    if gtin:
        return DIGITAL_LINK_ROOT + DigitalLink(gtin, lot).path()
    return f"{base_url}/b/{code}"


def serial_uri(gtin: str, serial: str) -> str:
    """The Digital Link of one serialised item of a batch (its GTIN and serial)."""
    return f"{DIGITAL_LINK_ROOT}/01/{gtin.zfill(14)}/21/{quote(serial, safe='')}"


def certificate_uri(base_url: str, scheme: str, number: str) -> str:
    """A URI for a certificate, which has a number but no URI of its own."""
    return f"{base_url}/certificates/{scheme}/{quote(number, safe='')}"


@dataclass(frozen=True, slots=True)
class Setting:
    """What a record's event names besides its own statement, read by the caller."""

    base_url: str
    batch_class: str
    # The EPC classes of a transformation's input batches, by batch id.
    classes: Mapping[str, str] = field(default_factory=dict)
    # A labelling run's items, as Digital Links, in print order.
    serials: Sequence[str] = ()
    # For a correction: the event of the record it corrects, as exported.
    corrected: Mapping[str, Any] | None = None


def timezone_offset(moment: str) -> str:
    """The ``eventTimeZoneOffset`` of an RFC 3339 time: its own offset, ``+00:00`` for Z."""
    return "+00:00" if moment.endswith(("Z", "z")) else moment[-6:]


def record_time(recorded_at_us: int) -> str:
    """``recordTime``: when the ledger appended the record, in UTC to the microsecond."""
    return from_us(recorded_at_us).isoformat(timespec="microseconds").replace("+00:00", "Z")


def _prefixed(value: Any) -> Any:
    """Body values as JSON-LD extension content: every key in the ledger's namespace."""
    if isinstance(value, dict):
        return {f"{PREFIX}:{key}": _prefixed(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_prefixed(item) for item in value]
    return value


def _quantity_element(epc_class: str, quantity: Quantity | None) -> dict[str, Any]:
    element: dict[str, Any] = {"epcClass": epc_class}
    if quantity is not None:
        element["quantity"] = Decimal(quantity.value)
        element["uom"] = quantity.unit.value
    return element


def _party(role: str, uri: str) -> list[dict[str, str]]:
    return [{"type": POSSESSING_PARTY, role: uri}]


def _what(kind: EventKind, body: msgspec.Struct, setting: Setting) -> dict[str, Any]:
    """The event's what-fields: the batch, its quantities, a run's items, the inputs."""
    if kind is EventKind.SERIALISED:
        return {"epcList": list(setting.serials)}
    if isinstance(body, Transformed):
        return {
            "inputQuantityList": [
                _quantity_element(setting.classes[item.batch], item.quantity)
                for item in body.inputs
            ],
            "outputQuantityList": [_quantity_element(setting.batch_class, body.output_quantity)],
        }
    quantity = getattr(body, "quantity", None)
    if isinstance(body, Processed):
        quantity = body.output_quantity
    return {"quantityList": [_quantity_element(setting.batch_class, quantity)]}


def _who(body: msgspec.Struct, here: str, base_url: str) -> dict[str, Any]:
    """Sources and destinations of a change of custody."""
    if isinstance(body, Shipped):
        return {
            "sourceList": _party("source", here),
            "destinationList": _party("destination", agency_uri(base_url, body.to)),
        }
    if isinstance(body, Received):
        return {
            "sourceList": _party("source", agency_uri(base_url, body.from_)),
            "destinationList": _party("destination", here),
        }
    if isinstance(body, Sold):
        fields: dict[str, Any] = {"sourceList": _party("source", here)}
        if body.to is not None:
            fields["destinationList"] = _party("destination", agency_uri(base_url, body.to))
        return fields
    return {}


def _rest(kind: EventKind, body: msgspec.Struct) -> dict[str, Any]:
    """The body's fields that no standard field carries, as extension elements."""
    standard = STANDARD_BODY_FIELDS.get(kind, frozenset())
    plain = msgspec.to_builtins(body)
    rest = {key: published(key, value) for key, value in plain.items() if key not in standard}
    if isinstance(body, Registered):  # a lot's master data is the commissioning event's ILMD
        return {"ilmd": _prefixed(rest)} if rest else {}
    return _prefixed(rest)  # type: ignore[no-any-return]


def ledger_event(
    kind: EventKind,
    body: msgspec.Struct,
    *,
    occurred_at: str,
    agency: str,
    recorded_at_us: int,
    setting: Setting,
) -> dict[str, Any]:
    """The EPCIS 2.0 event of one record, with ``eventID`` and ``recordTime``.

    Numbers are :class:`~decimal.Decimal`; encode with ``decimal_format="number"``.
    """
    if isinstance(body, EpcisEvent):
        return captured_event(body, recorded_at_us)
    kept = captured_from(body)
    if kept is not None:
        return captured_event(kept, recorded_at_us)
    if isinstance(body, Corrected):
        return _declaration(body, occurred_at, recorded_at_us, setting)
    mapping = EPCIS_MAPPINGS[kind]
    here = agency_uri(setting.base_url, agency)
    event: dict[str, Any] = {"type": mapping.event_type}
    event["eventTime"] = occurred_at
    event["eventTimeZoneOffset"] = timezone_offset(occurred_at)
    event["recordTime"] = record_time(recorded_at_us)
    if mapping.action is not None:
        event["action"] = mapping.action
    event.update(_what(kind, body, setting))
    event["bizStep"] = mapping.biz_step
    disposition = epcis_disposition(kind, body)
    if disposition is not None:
        event["disposition"] = disposition
    event["readPoint"] = {"id": here}
    if kind in _AT_THE_AGENCY:
        event["bizLocation"] = {"id": here}
    event.update(_who(body, here, setting.base_url))
    if isinstance(body, Certified):
        event["certificationInfo"] = certificate_uri(
            setting.base_url, body.scheme.value, body.certificate_number
        )
    event.update(_rest(kind, body))
    return _identified(event, CONTEXT)


def _declaration(
    body: Corrected, occurred_at: str, recorded_at_us: int, setting: Setting
) -> dict[str, Any]:
    """A correction: the corrected event again, with an EPCIS 2.0 ``errorDeclaration``."""
    if setting.corrected is None:
        raise ValueError("a correction is exported with the event it corrects")
    declaration: dict[str, Any] = {
        "declarationTime": occurred_at,
        "reason": CORRECTION_REASON,
        f"{PREFIX}:reason": body.reason,
    }
    if body.note is not None:
        declaration[f"{PREFIX}:note"] = body.note
    event = {**setting.corrected, "errorDeclaration": declaration}
    event["recordTime"] = record_time(recorded_at_us)
    return event


def captured_from(body: msgspec.Struct) -> EpcisEvent | None:
    """The partner's event a record of a ledger kind was captured from, if it was."""
    kept = getattr(body, "epcis", None)
    return kept if isinstance(kept, EpcisEvent) else None


def captured_event(body: EpcisEvent, recorded_at_us: int) -> dict[str, Any]:
    """A kept EPCIS event as the ledger gives it back: named by its hash, timed by its record.

    The ``eventID`` the capturing application gave, if another, stays in the record.
    """
    event: dict[str, Any] = EXACT_JSON.decode(body.event)
    event["eventID"] = body.event_hash
    event["recordTime"] = record_time(recorded_at_us)
    return event


def _identified(event: dict[str, Any], context: JsonLdContext) -> dict[str, Any]:
    return {"eventID": event_hash_id(event, context), **event}
