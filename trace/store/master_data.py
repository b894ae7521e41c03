"""Master data in the database: who registered each GLN and GTIN, and the names they gave.

A code belongs to the agency that registered it first; registering it again replaces its
names (and address), and another agency is refused (:class:`MasterDataTaken`), so that a
location's name on a page is always the one its holder gave. Reads are plain look-ups by
code, for pages, the console, EPCIS documents and capture.

Capture and the other readers of names use :func:`product_name` and :func:`location_name`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import Table, bindparam, insert, select, update
from sqlalchemy.exc import IntegrityError

from trace.domain.master_data import (
    AgencyPlace,
    Location,
    LocationIn,
    MasterDataTaken,
    Named,
    Product,
    ProductIn,
    UnknownPlace,
    vocabulary_list,
)
from trace.domain.places import communes
from trace.domain.record import now_us
from trace.store.database import Reads, read_transaction, write_transaction
from trace.store.errors import NotFound
from trace.store.ledger import Ledger
from trace.store.tables import agencies, batches, master_locations, master_products


def check_place(location: LocationIn) -> None:
    """Raise :class:`UnknownPlace` unless the province, and the commune if given, exist today."""
    known = communes(location.province)
    if known is None:
        raise UnknownPlace(
            f"no province {location.province}",
            reason="province",
            field="province",
            value=location.province,
        )
    if location.commune is not None and location.commune not in {p.code for p in known}:
        raise UnknownPlace(
            f"no commune {location.commune} in province {location.province}",
            reason="commune",
            field="commune",
            value=location.commune,
            province=location.province,
        )


async def _require_agency(conn: Reads, agency_id: str) -> None:
    found = await conn.execute(select(agencies.c.id).where(agencies.c.id == agency_id))
    if found.first() is None:
        raise NotFound(f"no agency {agency_id}", what="agency", id=agency_id)


async def _register(
    ledger: Ledger, table: Table, key: str, code: str, agency_id: str, values: dict[str, Any]
) -> None:
    """Insert or replace the row of ``code`` for ``agency_id``; refuse another agency's."""
    what = "location" if table is master_locations else "product"
    column = table.c[key]
    values = {**values, "updated_at_us": now_us()}
    # A concurrent first registration of the same code wins the insert; the second try
    # then finds its holder, and updates or refuses as if it had come later.
    for attempt in range(2):
        try:
            async with write_transaction(ledger.engine) as conn:
                await _require_agency(conn, agency_id)
                found = await conn.execute(select(table.c.agency_id).where(column == code))
                holder = found.scalar()
                if holder is None:
                    row = {key: code, "agency_id": agency_id, **values}
                    await conn.execute(insert(table).values(row))
                elif holder == agency_id:
                    await conn.execute(update(table).where(column == code).values(values))
                else:
                    raise MasterDataTaken(
                        f"{what} {code} belongs to another agency", what=what, id=code
                    )
            return
        except IntegrityError:
            if attempt:
                raise


async def register_location(
    ledger: Ledger, agency_id: str, gln: str, location: LocationIn
) -> Location:
    """Register (or rename) the agency's location ``gln`` (checked by the caller)."""
    check_place(location)
    values = {
        "name_vi": location.name_vi.strip(),
        "name_en": location.name_en.strip(),
        "address": location.address.strip(),
        "province": location.province,
        "commune": location.commune,
        "latitude": location.latitude,
        "longitude": location.longitude,
    }
    await _register(ledger, master_locations, "gln", gln, agency_id, values)
    async with read_transaction(ledger.engine) as conn:
        found = await locations_of(conn, [gln])
    return found[gln]


async def register_product(
    ledger: Ledger, agency_id: str, gtin: str, product: ProductIn
) -> Product:
    """Register (or rename) the agency's product ``gtin`` (14 digits, checked by the caller)."""
    values = {"name_vi": product.name_vi.strip(), "name_en": product.name_en.strip()}
    await _register(ledger, master_products, "gtin", gtin, agency_id, values)
    async with read_transaction(ledger.engine) as conn:
        found = await products_of(conn, [gtin])
    return found[gtin]


def _location(row: Any) -> Location:
    return Location(
        row.gln,
        row.agency_id,
        row.name_vi,
        row.name_en,
        row.province,
        row.address,
        row.commune,
        row.latitude,
        row.longitude,
        row.updated_at_us,
    )


def _product(row: Any) -> Product:
    return Product(row.gtin, row.agency_id, row.name_vi, row.name_en, row.updated_at_us)


_LOCATIONS = select(master_locations).where(
    master_locations.c.gln.in_(bindparam("codes", expanding=True))
)
_PRODUCTS = select(master_products).where(
    master_products.c.gtin.in_(bindparam("codes", expanding=True))
)


async def locations_of(conn: Reads, glns: Iterable[str]) -> dict[str, Location]:
    """The registered locations among ``glns``, by GLN."""
    wanted = sorted(set(glns))
    if not wanted:
        return {}
    rows = await conn.execute(_LOCATIONS, {"codes": wanted})
    return {row.gln: _location(row) for row in rows}


async def products_of(conn: Reads, gtins: Iterable[str]) -> dict[str, Product]:
    """The registered products among ``gtins`` (14 digits), by GTIN."""
    wanted = sorted(set(gtins))
    if not wanted:
        return {}
    rows = await conn.execute(_PRODUCTS, {"codes": wanted})
    return {row.gtin: _product(row) for row in rows}


async def agency_locations(conn: Reads, agency_id: str) -> list[Location]:
    """The agency's locations, by GLN."""
    query = (
        select(master_locations)
        .where(master_locations.c.agency_id == agency_id)
        .order_by(master_locations.c.gln)
    )
    return [_location(row) for row in await conn.execute(query)]


async def agency_products(conn: Reads, agency_id: str) -> list[Product]:
    """The agency's products, by GTIN."""
    query = (
        select(master_products)
        .where(master_products.c.agency_id == agency_id)
        .order_by(master_products.c.gtin)
    )
    return [_product(row) for row in await conn.execute(query)]


async def product_name(conn: Reads, gtin: str, lang: str = "vi") -> str | None:
    """The name of the product registered under ``gtin`` (any GTIN length) in ``lang``
    (``vi`` or ``en``), or None where nobody registered it."""
    found = await products_of(conn, [gtin.zfill(14)])
    product = found.get(gtin.zfill(14))
    return product.name(lang) if product else None


async def location_name(conn: Reads, gln: str, lang: str = "vi") -> str | None:
    """The name of the location registered under ``gln`` in ``lang``, or None."""
    location = (await locations_of(conn, [gln])).get(gln)
    return location.name(lang) if location else None


_ORGANISATIONS = select(
    agencies.c.id, agencies.c.name, agencies.c.address, agencies.c.province
).where(agencies.c.id.in_(bindparam("ids", expanding=True)), agencies.c.household.is_(False))


async def organisations_of(conn: Reads, ids: Iterable[str]) -> dict[str, AgencyPlace]:
    """The organisations among agencies ``ids`` with what is public of them; a household
    (a natural person, Law 91/2025/QH15) is left out."""
    wanted = sorted(set(ids))
    if not wanted:
        return {}
    rows = await conn.execute(_ORGANISATIONS, {"ids": wanted})
    return {row.id: AgencyPlace(row.name, row.address, row.province) for row in rows}


async def master_data(conn: Reads, named: Named) -> list[dict[str, Any]]:
    """The EPCIS ``vocabularyList`` of what ``named`` names and is registered (may be empty)."""
    locations = await locations_of(conn, named.glns)
    products = await products_of(conn, named.gtins)
    organisations = await organisations_of(conn, (a for _t, _w, a in named.agencies))
    return vocabulary_list(named, locations, products, organisations)


async def products_of_batches(conn: Reads, before_position: int) -> dict[str, Product]:
    """The registered products of every batch registered before log position
    ``before_position``, by GTIN: the classes an export up to there may name."""
    used = select(batches.c.gtin).where(batches.c.registered_position < before_position)
    query = (
        select(master_products)
        .where(master_products.c.gtin.in_(used))
        .order_by(master_products.c.gtin)
    )
    return {row.gtin: _product(row) for row in await conn.execute(query)}
