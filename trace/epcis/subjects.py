"""What an EPCIS event is about: its identifiers, and the batch of this ledger they name.

Every identifier of an event is taken in the canonical form of :mod:`trace.domain.epc`,
with its *role*: ``epc`` (``epcList``, ``childEPCs``), ``parent`` (``parentID``),
``input_epc``, ``output_epc``, ``class`` (``quantityList``, ``childQuantityList``),
``input_class`` and ``output_class``. The query parameters of EPCIS 2.0 section 8.2.7.1
select by these roles (``MATCH_epc``, ``MATCH_anyEPCClass``...).

An identifier names a batch of the ledger when it is a batch's class (its GTIN and lot,
or its public page), or one of its serialised labels. An event joins the chain of the
first batch it names, looking first at what it produces (a transformation's outputs),
then at the goods it lists, their container, and last at a transformation's inputs; an
event that names no batch has no chain to join and is refused.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

from sqlalchemy import select, tuple_
from sqlalchemy.ext.asyncio import AsyncConnection

from trace.domain.event_hash import Prefixes, canonical_value
from trace.epcis.export import batch_class
from trace.store.database import Reads
from trace.store.tables import batches, label_runs, label_serials

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


async def find_batches(
    conn: Reads | AsyncConnection, base_url: str, uris: Iterable[str]
) -> dict[str, BatchRef]:
    """The batches that canonical identifiers ``uris`` name, by identifier."""
    lots: dict[tuple[str, str], str] = {}
    items: dict[str, tuple[str, str]] = {}
    codes: dict[str, str] = {}
    page = f"{base_url}/b/"
    for uri in set(uris):
        if match := _CLASS.fullmatch(uri):
            lots[(match[1], unquote(match[2]))] = uri
        elif match := _ITEM.fullmatch(uri):
            items[unquote(match[2])] = (match[1], uri)
        elif uri.startswith(page) and "/" not in uri[len(page) :]:
            codes[uri[len(page) :]] = uri
    found: dict[str, BatchRef] = {}
    if lots:
        rows = await conn.execute(
            select(batches).where(tuple_(batches.c.gtin, batches.c.lot).in_(sorted(lots)))
        )
        found.update({lots[(row.gtin, row.lot)]: _ref(row) for row in rows})
    if codes:
        rows = await conn.execute(select(batches).where(batches.c.code.in_(sorted(codes))))
        found.update({codes[row.code]: _ref(row) for row in rows})
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


def subject(named: Iterable[tuple[str, str]], known: Mapping[str, BatchRef]) -> BatchRef | None:
    """The batch whose chain an event with identifiers ``named`` joins, if any."""
    return next((known[uri] for _, uri in named if uri in known), None)
