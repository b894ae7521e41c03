"""What a partner's EPCIS event makes in the ledger: the batches it starts, the goods it moves.

A partner's system (a cooperative's, a mill's) speaks EPCIS, not the ledger's private API,
so capture reads the standard's own meaning of an event (EPCIS 2.0, section 7.4):

- An ``ObjectEvent`` with action ``ADD`` says that its objects came into being in this
  event (commissioning, whatever its business step). Each lot it names by class (an LGTIN,
  ``/01/{gtin}/10/{lot}``) that the ledger does not hold becomes a batch; serialised items
  (SGTINs) it names become one batch per GTIN: the items made together in one event are one
  lot. That lot is the ILMD's ``cbvmda:lotNumber`` (CBV 2.0 master data) when the event
  gives one, else the first twelve hex digits of the event's Event Hash ID, so that a later
  event naming the items finds the same batch again (:func:`serial_lot`).
- A ``TransformationEvent`` makes a batch of each output the ledger does not hold, the
  same way, and links each to every input the ledger holds (a ``transformed`` record on the
  output, which the batch graph, trace-back and a recall's reach follow). Inputs from
  outside the ledger (a mill's raw material bought elsewhere) stay named in the event.
- A ``shipping`` or ``receiving`` event whose ``possessing_party`` destination or source is
  an agency of the ledger moves the goods it names as the ledger's own ``shipped`` and
  ``received`` records do, so that the receiver may transform them.

The new batch's producer and holder is the capturing agency; its product is named from the
GTIN, its quantity and unit from the ``quantityList`` (or the count of serialised items),
its place from ``bizLocation``, else ``readPoint`` (a GLN as its GS1 Digital Link). Every
record an event makes keeps the event whole (the body's ``epcis``): it is given back exactly
as it was sent, once, and the pages and exports read the record's facts.

An event with an ``errorDeclaration`` creates nothing: it declares an earlier event wrong,
which the ledger must hold first.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, MutableMapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import unquote

from trace.domain.event_hash import CBV, Prefixes, canonical_term, canonical_value
from trace.domain.kinds import EventKind, TransformProcess
from trace.domain.quantity import DECIMAL_PATTERN, Unit
from trace.epcis.errors import InputQuantityUnknown
from trace.epcis.export import agency_uri
from trace.epcis.extension_values import read_back
from trace.epcis.subjects import BatchRef, serial_lot

_CLASS = re.compile(r"https://id\.gs1\.org/01/(\d{14})/10/([^/]+)", re.ASCII)
_ITEM = re.compile(r"https://id\.gs1\.org/01/(\d{14})/21/([^/]+)", re.ASCII)
_LOT = re.compile(r'^[!"%-?A-Z_a-z]{1,20}$')
_DECIMAL = re.compile(DECIMAL_PATTERN)
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_UNITS = frozenset(unit.value for unit in Unit)
# ``quantity`` without ``uom`` counts instances (EPCIS 2.0, QuantityElement).
_COUNT = Unit.PIECE.value
_POSSESSING = f"{CBV}SDT-possessing_party"
_SHIPPING = f"{CBV}BizStep-shipping"
_RECEIVING = f"{CBV}BizStep-receiving"


@dataclass(frozen=True, slots=True)
class Made:
    """One record an event makes: its batch, its kind and its body (the event not yet in it)."""

    batch: BatchRef
    kind: EventKind
    body: dict[str, Any]


@dataclass(slots=True)
class _NewLot:
    gtin: str
    lot: str
    quantity: dict[str, str] | None
    identifiers: list[str]


def product_name(gtin: str, names: Mapping[str, str]) -> str:
    """The product of a batch started by EPCIS: its name in master data (docs/master-data.md,
    by GTIN-14), else the GTIN itself until an agency names it."""
    return names.get(gtin.zfill(14)) or f"GTIN {gtin}"


def _quantity(element: Mapping[str, Any]) -> dict[str, str] | None:
    """A quantity element as a ledger quantity, or None when the ledger has no such unit."""
    value, unit = element.get("quantity"), element.get("uom", _COUNT)
    if not isinstance(value, int | Decimal) or isinstance(value, bool) or unit not in _UNITS:
        return None
    try:
        text = format(Decimal(value).normalize(), "f")
    except InvalidOperation:
        return None
    if not _DECIMAL.match(text) or Decimal(text) == 0:
        return None
    return {"value": text, "unit": unit}


def _count(n: int) -> dict[str, str]:
    return {"value": str(n), "unit": _COUNT}


def _new_lots(
    event: Mapping[str, Any],
    prefixes: Prefixes,
    event_hash: str,
    lists: tuple[str, str],
    known: Mapping[str, BatchRef],
) -> list[_NewLot]:
    """The lots an event brings into being that the ledger does not hold, in event order.

    ``lists`` names the event's class list and item list (``quantityList``, ``epcList``).
    """
    lots: dict[tuple[str, str], _NewLot] = {}
    for element in event.get(lists[0]) or []:
        if not isinstance(element, Mapping):
            continue
        uri = canonical_value(element.get("epcClass", ""), prefixes)
        match = _CLASS.fullmatch(uri)
        name = unquote(match[2]) if match else ""
        if match and uri not in known and _LOT.match(name):
            lot = lots.setdefault((match[1], name), _NewLot(match[1], name, None, []))
            lot.quantity = lot.quantity or _quantity(element)
            lot.identifiers.append(uri)
    items: dict[tuple[str, str], list[str]] = {}
    for raw in event.get(lists[1]) or []:
        uri = canonical_value(raw, prefixes) if isinstance(raw, str) else ""
        match = _ITEM.fullmatch(uri)
        if match and uri not in known:
            key = (match[1], serial_lot(event, prefixes, event_hash))
            items.setdefault(key, []).append(uri)
    for (gtin, lot_name), uris in items.items():
        lot = lots.setdefault((gtin, lot_name), _NewLot(gtin, lot_name, None, []))
        lot.quantity = lot.quantity or _count(len(uris))
        lot.identifiers.extend(uris)
    return list(lots.values())


def _place(event: Mapping[str, Any], prefixes: Prefixes) -> str | None:
    for name in ("bizLocation", "readPoint"):
        where = event.get(name)
        if isinstance(where, Mapping) and isinstance(where.get("id"), str):
            return canonical_value(where["id"], prefixes)
    return None


def _registration(lot: _NewLot, place: str | None, names: Mapping[str, str]) -> dict[str, Any]:
    product = product_name(lot.gtin, names)
    body: dict[str, Any] = {"product": product, "lot": lot.lot, "gtin": lot.gtin}
    if lot.quantity is not None:
        body["quantity"] = lot.quantity
    if place is not None:
        body["place"] = place
    return body


def _inputs(
    event: Mapping[str, Any], prefixes: Prefixes, known: Mapping[str, BatchRef]
) -> list[dict[str, Any]]:
    """The transformation's inputs that are batches of the ledger, with how much went in."""
    found: dict[str, dict[str, Any]] = {}
    for element in event.get("inputQuantityList") or []:
        uri = canonical_value(element.get("epcClass", ""), prefixes)
        ref = known.get(uri)
        if ref is None or ref.id in found:
            continue
        quantity = _quantity(element)
        if quantity is None:
            raise InputQuantityUnknown(
                f"input {uri} has no quantity in a unit the ledger keeps", input=uri
            )
        found[ref.id] = {"batch": ref.id, "quantity": quantity}
    counted: dict[str, int] = {}
    for raw in event.get("inputEPCList") or []:
        ref = known.get(canonical_value(raw, prefixes)) if isinstance(raw, str) else None
        if ref is not None and ref.id not in found:
            counted[ref.id] = counted.get(ref.id, 0) + 1
    found.update({b: {"batch": b, "quantity": _count(n)} for b, n in counted.items()})
    return list(found.values())


def _process(event: Mapping[str, Any], prefixes: Prefixes, namespace: str) -> str:
    """The ledger's process of a transformation: ``trace:process`` if the event says, else other."""
    for key, value in event.items():
        prefix, colon, local = key.partition(":")
        if colon and prefixes.get(prefix) == namespace and local == "process":
            said = read_back("process", value)
            if said in {p.value for p in TransformProcess}:
                return str(said)
    return TransformProcess.OTHER.value


def _party(entries: Any, role: str, prefixes: Prefixes, base_url: str) -> str | None:
    """The agency of the ledger an event's source or destination list names as possessor."""
    prefix = agency_uri(base_url, "")
    for entry in entries if isinstance(entries, list) else []:
        if not isinstance(entry, Mapping):
            continue
        kind = canonical_term(f"{CBV}SDT-", entry.get("type", ""), prefixes)
        where = entry.get(role)
        if kind == _POSSESSING and isinstance(where, str) and where.startswith(prefix):
            agency = where[len(prefix) :]
            return agency if _UUID.fullmatch(agency) else None
    return None


def _named_batches(
    named: Iterable[tuple[str, str]], known: Mapping[str, BatchRef]
) -> list[BatchRef]:
    found: dict[str, BatchRef] = {}
    for role, uri in named:
        ref = known.get(uri)
        if ref is not None and role in ("epc", "class", "parent"):
            found.setdefault(ref.id, ref)
    return list(found.values())


def _class_quantity(
    event: Mapping[str, Any], prefixes: Prefixes, ref: BatchRef, base_url: str
) -> dict[str, str] | None:
    mine = ref.epc_class(base_url)
    for element in event.get("quantityList") or []:
        if canonical_value(element.get("epcClass", ""), prefixes) == mine:
            return _quantity(element)
    return None


@dataclass(frozen=True, slots=True)
class Creation:
    """Reads events for one capture: ``known`` maps identifiers to batches, and grows."""

    base_url: str
    agency: str
    namespace: str
    known: MutableMapping[str, BatchRef]
    new_batch_id: Callable[[], str]
    # Products named in master data, by GTIN-14, in Vietnamese: what a registration calls them.
    names: Mapping[str, str] = field(default_factory=dict)

    def made(
        self,
        event: Mapping[str, Any],
        prefixes: Prefixes,
        named: list[tuple[str, str]],
        event_hash: str,
    ) -> list[Made]:
        """The records ``event`` makes, in order; empty if it makes and moves nothing.

        Raises the domain error that refuses the event.
        """
        if "errorDeclaration" in event:
            return []
        kind = event.get("type")
        if kind == "ObjectEvent" and event.get("action") == "ADD":
            lots = _new_lots(event, prefixes, event_hash, ("quantityList", "epcList"), self.known)
            return self._registrations(lots, event, prefixes)
        if kind == "TransformationEvent":
            lists = ("outputQuantityList", "outputEPCList")
            lots = _new_lots(event, prefixes, event_hash, lists, self.known)
            inputs = _inputs(event, prefixes, self.known)
            made = self._registrations(lots, event, prefixes)
            if not inputs:
                return made
            process = _process(event, prefixes, self.namespace)
            body = {"process": process, "inputs": inputs}
            return [
                record
                for registration in made
                for record in (registration, Made(registration.batch, EventKind.TRANSFORMED, body))
            ]
        return self._moves(event, prefixes, named)

    def _registrations(
        self, lots: list[_NewLot], event: Mapping[str, Any], prefixes: Prefixes
    ) -> list[Made]:
        place = _place(event, prefixes)
        made = []
        for lot in lots:
            ref = BatchRef(self.new_batch_id(), lot.gtin, lot.lot, "")
            self.known[ref.epc_class(self.base_url)] = ref
            for uri in lot.identifiers:
                self.known[uri] = ref
            made.append(Made(ref, EventKind.REGISTERED, _registration(lot, place, self.names)))
        return made

    def _moves(
        self, event: Mapping[str, Any], prefixes: Prefixes, named: list[tuple[str, str]]
    ) -> list[Made]:
        """A shipment to, or a receipt from, another agency of the ledger."""
        if event.get("action") != "OBSERVE" or event.get("bizStep") is None:
            return []
        step = canonical_term(f"{CBV}BizStep-", event["bizStep"], prefixes)
        if step == _SHIPPING:
            other = _party(event.get("destinationList"), "destination", prefixes, self.base_url)
            kind, field = EventKind.SHIPPED, "to"
        elif step == _RECEIVING:
            other = _party(event.get("sourceList"), "source", prefixes, self.base_url)
            kind, field = EventKind.RECEIVED, "from"
        else:
            return []
        if other is None or other == self.agency:
            return []
        made = []
        for ref in _named_batches(named, self.known):
            body: dict[str, Any] = {field: other}
            quantity = _class_quantity(event, prefixes, ref, self.base_url)
            if quantity is not None:
                body["quantity"] = quantity
            made.append(Made(ref, kind, body))
        return made
