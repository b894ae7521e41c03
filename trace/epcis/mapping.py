"""Which ledger kind a captured EPCIS event is, if one can hold it whole.

An event is read back into a kind by undoing :mod:`trace.epcis.export`: the kind from
its type, action and business step; quantities, parties, inputs and the inspection
result from the standard fields that carry them; the rest of the body from the
extension elements in the ledger's namespace (the ILMD for a registration). Capture
then exports the candidate again and keeps it as that kind only when the export has the
captured event's Event Hash ID: nothing the kind has no field for is silently dropped.
Anything else (another party's fields, sensor data, a business transaction...) stays an
``epcis_event`` record, whole.

Not read back: ``corrected`` and events with an ``errorDeclaration`` (the declaration
names an event by its ID, which a record does not hold), ``serialised`` (its serials are
made by the labels API, not captured), ``epcis_event`` itself and a recall's steps.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

from trace.domain.epcis import EPCIS_MAPPINGS, TRACE_VOC
from trace.domain.event_hash import CBV, Prefixes, canonical_term, canonical_value
from trace.domain.kinds import EventKind
from trace.epcis.export import agency_uri
from trace.epcis.extension_values import read_back

_NOT_CAPTURED = frozenset(
    {
        EventKind.CORRECTED,
        EventKind.SERIALISED,
        EventKind.EPCIS_EVENT,
        # A recall's steps name the recall by its record hash, which an EPCIS event
        # captured from elsewhere cannot know: a `holding` event stays an epcis_event.
        EventKind.RECALL_NOTIFIED,
        EventKind.WITHDRAWN,
        EventKind.RECALL_CLOSED,
    }
)
_QUANTITY_SOURCE: Mapping[EventKind, tuple[str, str]] = {
    EventKind.REGISTERED: ("quantityList", "quantity"),
    EventKind.HARVESTED: ("quantityList", "quantity"),
    EventKind.PACKED: ("quantityList", "quantity"),
    EventKind.SHIPPED: ("quantityList", "quantity"),
    EventKind.RECEIVED: ("quantityList", "quantity"),
    EventKind.SOLD: ("quantityList", "quantity"),
    EventKind.PROCESSED: ("quantityList", "output_quantity"),
    EventKind.TRANSFORMED: ("outputQuantityList", "output_quantity"),
}
_RESULTS = {f"{CBV}Disp-conformant": "conformant", f"{CBV}Disp-non_conformant": "non_conformant"}

BatchOf = Callable[[str], str | None]


class _NotOurs(Exception):
    """The event holds something the ledger's kinds have no field for."""


def _kind(event: Mapping[str, Any], prefixes: Prefixes) -> EventKind | None:
    step = event.get("bizStep")
    biz_step = canonical_term(f"{CBV}BizStep-", step, prefixes) if step is not None else None
    for kind, mapping in EPCIS_MAPPINGS.items():
        if kind in _NOT_CAPTURED:
            continue
        if (mapping.event_type, mapping.action, mapping.biz_step) == (
            event.get("type"),
            event.get("action"),
            biz_step,
        ):
            return kind
    return None


def _local(key: str, prefixes: Prefixes) -> str | None:
    """The local name of an extension key in the ledger's namespace, else None."""
    prefix, colon, local = key.partition(":")
    if colon and prefixes.get(prefix) == TRACE_VOC:
        return local
    return None


def _plain(value: Any, prefixes: Prefixes) -> Any:
    """Extension content back to body values: every key must be in the ledger's namespace."""
    if isinstance(value, dict):
        plain = {}
        for key, item in value.items():
            local = _local(key, prefixes)
            if local is None:
                raise _NotOurs(key)
            plain[local] = _plain(item, prefixes)
        return plain
    if isinstance(value, list):
        return [_plain(item, prefixes) for item in value]
    if isinstance(value, Decimal):
        raise _NotOurs("a body holds no JSON numbers but counts")
    return value


def _quantity(element: Mapping[str, Any]) -> dict[str, str] | None:
    value, unit = element.get("quantity"), element.get("uom")
    if value is None:
        return None
    if not isinstance(value, int | Decimal) or not isinstance(unit, str):
        raise _NotOurs("quantity")
    return {"value": format(Decimal(value), "f"), "unit": unit}


def _agency(uri: Any, base_url: str) -> str:
    prefix = agency_uri(base_url, "")
    if not isinstance(uri, str) or not uri.startswith(prefix):
        raise _NotOurs("party")
    return uri[len(prefix) :]


def _standard_fields(
    kind: EventKind,
    event: Mapping[str, Any],
    prefixes: Prefixes,
    base_url: str,
    batch_of: BatchOf,
) -> dict[str, Any]:
    """The body fields that standard EPCIS fields carry (see ``STANDARD_BODY_FIELDS``)."""
    body: dict[str, Any] = {}
    source = _QUANTITY_SOURCE.get(kind)
    if source is not None:
        elements = event.get(source[0]) or [{}]
        quantity = _quantity(elements[0])
        if quantity is not None:
            body[source[1]] = quantity
    if kind in (EventKind.SHIPPED, EventKind.SOLD) and event.get("destinationList"):
        body["to"] = _agency(event["destinationList"][0].get("destination"), base_url)
    if kind is EventKind.RECEIVED:
        body["from"] = _agency((event.get("sourceList") or [{}])[0].get("source"), base_url)
    if kind is EventKind.INSPECTED:
        written = event.get("disposition")
        disposition = canonical_term(f"{CBV}Disp-", written, prefixes) if written else None
        if disposition not in _RESULTS:
            raise _NotOurs("disposition")
        body["result"] = _RESULTS[disposition]
    if kind is EventKind.TRANSFORMED:
        body["inputs"] = []
        for element in event.get("inputQuantityList") or []:
            batch = batch_of(canonical_value(element["epcClass"], prefixes))
            if batch is None:
                raise _NotOurs("input")
            body["inputs"].append({"batch": batch, "quantity": _quantity(element)})
    return body


def candidate(
    event: Mapping[str, Any], prefixes: Prefixes, *, base_url: str, batch_of: BatchOf
) -> tuple[EventKind, dict[str, Any]] | None:
    """The kind and statement body ``event`` reads back into, or None if it is not one.

    ``batch_of`` names the batch of a canonical class URI (for a transformation's inputs).
    The caller must still export the candidate and compare Event Hash IDs.
    """
    if "errorDeclaration" in event:
        return None
    kind = _kind(event, prefixes)
    if kind is None or (kind is EventKind.REGISTERED and "epcList" in event):
        return None  # items commissioned one by one are labels, which capture does not make
    try:
        body = _standard_fields(kind, event, prefixes, base_url, batch_of)
        holder = event.get("ilmd") if kind is EventKind.REGISTERED else event
        for key, value in (holder or {}).items():
            local = _local(key, prefixes)
            if local is not None:
                body[local] = read_back(local, _plain(value, prefixes))
    except _NotOurs:
        return None
    return kind, body
