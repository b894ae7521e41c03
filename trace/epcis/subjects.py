"""What an EPCIS event is about: its identifiers, and the batch of this ledger they name.

Every identifier of an event is taken in the canonical form of :mod:`trace.domain.epc`,
with its *role*: ``epc`` (``epcList``, ``childEPCs``), ``parent`` (``parentID``),
``input_epc``, ``output_epc``, ``class`` (``quantityList``, ``childQuantityList``),
``input_class`` and ``output_class``. The query parameters of EPCIS 2.0 section 8.2.7.1
select by these roles (``MATCH_epc``, ``MATCH_anyEPCClass``...).

An identifier names a batch of the ledger when it is a batch's class (its GTIN and lot,
or its public page), one of its serialised labels, or an item or container that an event
the ledger holds named as its own (the items a partner's commissioning made, the SSCC of
a pallet it aggregated). An event joins the chain of the
first batch it names, looking first at what it produces (a transformation's outputs),
then at the goods it lists, their container, and last at a transformation's inputs; an
event that names no batch has no chain to join and is refused.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from urllib.parse import unquote

import msgspec
from sqlalchemy import select, tuple_

from trace.domain.event_hash import Prefixes, canonical_value, context_prefixes
from trace.epcis.export import batch_class
from trace.store.database import Reads
from trace.store.tables import (
    batches,
    epcis_events,
    epcis_identifiers,
    label_runs,
    label_serials,
)

# Fields holding identifiers, by role; quantity lists hold classes under ``epcClass``.
_ROLES: tuple[tuple[str, str], ...] = (
    ("outputEPCList", "output_epc"),
    ("outputQuantityList", "output_class"),
    ("epcList", "epc"),
    ("childEPCs", "epc"),
    ("quantityList", "class"),
    ("childQuantityList", "class"),
    ("parentID", "parent"),
    ("inputEPCList", "input_epc"),
    ("inputQuantityList", "input_class"),
)
ROLES = frozenset(role for _, role in _ROLES)

_CLASS = re.compile(r"https://id\.gs1\.org/01/(\d{14})/10/([^/]+)", re.ASCII)
_ITEM = re.compile(r"https://id\.gs1\.org/01/(\d{14})/21/([^/]+)", re.ASCII)
_LOT = re.compile(r'^[!"%-?A-Z_a-z]{1,20}$')
_LOT_NUMBER = "urn:epcglobal:cbv:mda:lotNumber"
# The roles in which an event names its own objects, not what it was made from.
_OWN_OBJECTS = ("epc", "output_epc", "parent")
EXACT = msgspec.json.Decoder(float_hook=Decimal)


def identifiers(event: Mapping[str, Any], prefixes: Prefixes) -> list[tuple[str, str]]:
    """``(role, canonical identifier)`` of every identifier of ``event``, most telling first."""
    found: list[tuple[str, str]] = []
    for name, role in _ROLES:
        value = event.get(name)
        members = value if isinstance(value, list) else [] if value is None else [value]
        for member in members:
            raw = member.get("epcClass") if isinstance(member, Mapping) else member
            if isinstance(raw, str):
                pair = (role, canonical_value(raw, prefixes))
                if pair not in found:
                    found.append(pair)
    return found


@dataclass(frozen=True, slots=True)
class BatchRef:
    """A batch as an EPCIS event names it."""

    id: str
    gtin: str | None
    lot: str
    code: str

    def epc_class(self, base_url: str) -> str:
        """The batch's EPC class URI (see :func:`trace.epcis.export.batch_class`)."""
        return batch_class(base_url, gtin=self.gtin, lot=self.lot, code=self.code)


class BatchClasses(Mapping[str, str]):
    """The EPC class of each batch of ``refs`` (by id), worked out when first asked for.

    An event names one batch or a transformation's few; working out the class of every
    batch around it (a capture's, or an indexed chunk's thousand) cost more than the event.
    """

    def __init__(self, refs: Mapping[str, BatchRef], base_url: str) -> None:
        self._refs, self._base_url = refs, base_url
        self._known: dict[str, str] = {}

    def __getitem__(self, batch_id: str) -> str:
        found = self._known.get(batch_id)
        if found is None:
            found = self._known[batch_id] = self._refs[batch_id].epc_class(self._base_url)
        return found

    def __iter__(self) -> Iterator[str]:
        return iter(self._refs)

    def __len__(self) -> int:
        return len(self._refs)


def _ref(row: Any) -> BatchRef:
    return BatchRef(row.id, row.gtin, row.lot, row.code)


async def find_batches(conn: Reads, base_url: str, uris: Iterable[str]) -> dict[str, BatchRef]:
    """The batches that canonical identifiers ``uris`` name, by identifier."""
    lots: dict[tuple[str, str], str] = {}
    items: dict[str, tuple[str, str]] = {}
    codes: dict[str, str] = {}
    others: list[str] = []
    page = f"{base_url}/b/"
    for uri in set(uris):
        if match := _CLASS.fullmatch(uri):
            lots[(match[1], unquote(match[2]))] = uri
        elif match := _ITEM.fullmatch(uri):
            items[unquote(match[2])] = (match[1], uri)
        elif uri.startswith(page) and "/" not in uri[len(page) :]:
            codes[uri[len(page) :]] = uri
        else:
            others.append(uri)
    found: dict[str, BatchRef] = {}
    if lots:
        rows = await conn.execute(
            select(batches).where(tuple_(batches.c.gtin, batches.c.lot).in_(sorted(lots)))
        )
        found.update({lots[(row.gtin, row.lot)]: _ref(row) for row in rows})
    if codes:
        rows = await conn.execute(select(batches).where(batches.c.code.in_(sorted(codes))))
        found.update({codes[row.code]: _ref(row) for row in rows})
    if items or others:
        found.update(await _named_before(conn, [*(uri for _, uri in items.values()), *others]))
    if items:
        rows = await conn.execute(
            select(batches, label_serials.c.serial)
            .join(label_runs, label_runs.c.batch_id == batches.c.id)
            .join(label_serials, label_serials.c.run_id == label_runs.c.id)
            .where(label_serials.c.serial.in_(sorted(items)), label_runs.c.position.is_not(None))
        )
        for row in rows:
            gtin, uri = items[row.serial]
            if row.gtin == gtin:
                found[uri] = _ref(row)
    return found


def serial_lot(event: Mapping[str, Any], prefixes: Prefixes, event_hash: str) -> str:
    """The lot of the serialised items an EPCIS event brings into being (trace/epcis/creation.py):
    the ILMD's ``cbvmda:lotNumber`` (CBV 2.0 master data), else the first twelve hex digits
    of the event's Event Hash ID, so that a later event naming an item finds its batch."""
    for key, value in (event.get("ilmd") or {}).items():
        prefix, colon, local = key.partition(":")
        expanded = prefixes.get(prefix, "") + local if colon else key
        if expanded == _LOT_NUMBER and isinstance(value, str) and _LOT.match(value):
            return value
    return event_hash.removeprefix("ni:///sha-256;")[:12].upper()


async def _named_before(conn: Reads, uris: list[str]) -> dict[str, BatchRef]:
    """Items and containers that an event the ledger holds named as its own objects.

    A serialised item belongs to the batch its first event made (its GTIN and that event's
    lot, :func:`serial_lot`); a container (an SSCC as ``parentID``) to the batch of the
    first event that named it.
    """
    if not uris:
        return {}
    rows = await conn.execute(
        select(
            epcis_identifiers.c.identifier,
            epcis_events.c.event_id,
            epcis_events.c.event,
            batches.c.id,
            batches.c.gtin,
            batches.c.lot,
            batches.c.code,
        )
        .join(epcis_events, epcis_events.c.position == epcis_identifiers.c.position)
        .join(batches, batches.c.id == epcis_events.c.batch_id)
        .where(
            epcis_identifiers.c.identifier.in_(sorted(set(uris))),
            epcis_identifiers.c.role.in_(_OWN_OBJECTS),
        )
        .order_by(epcis_identifiers.c.position)
    )
    found: dict[str, BatchRef] = {}
    lots: dict[tuple[str, str], list[str]] = {}
    for row in rows:
        if row.identifier in found or any(row.identifier in named for named in lots.values()):
            continue
        item = _ITEM.fullmatch(row.identifier)
        if item is None:
            found[row.identifier] = _ref(row)
            continue
        event = EXACT.decode(row.event)
        lot = serial_lot(event, context_prefixes(event.get("@context")), row.event_id)
        lots.setdefault((item[1], lot), []).append(row.identifier)
    if lots:
        made = await conn.execute(
            select(batches).where(tuple_(batches.c.gtin, batches.c.lot).in_(sorted(lots)))
        )
        for row in made:
            found.update({uri: _ref(row) for uri in lots[(row.gtin, row.lot)]})
    return found


def subject(named: Iterable[tuple[str, str]], known: Mapping[str, BatchRef]) -> BatchRef | None:
    """The batch whose chain an event with identifiers ``named`` joins, if any."""
    return next((known[uri] for _, uri in named if uri in known), None)
