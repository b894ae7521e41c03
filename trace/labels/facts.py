"""Gathering a label's facts from a batch's records and its producer."""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_EVEN, Decimal

import msgspec
from sqlalchemy.ext.asyncio import AsyncConnection

from trace.domain.facts import Fact, read_fact
from trace.domain.kinds import Certified, Corrected, Origin, Packed, Registered, Scheme
from trace.domain.places import commune_name, place_text, province_name
from trace.domain.quantity import Quantity
from trace.labels.content import NBSP, LabelFacts
from trace.store.agencies import Agency, get_agency
from trace.store.batches import Batch
from trace.store.records import batch_records


def producer_line(agency: Agency) -> str:
    """An organisation by its name; a household (a person) only by commune and province."""
    if not agency.household:
        return agency.name
    places = [commune_name(agency.commune)] if agency.commune else []
    if agency.province:
        places.append(province_name(agency.province))
    return ", ".join(_place_words(place) for place in places) or "Việt Nam"


def _place_words(name: str) -> str:
    # A place name wraps at its spaces like any text (a long ward's name may not fit one
    # line), but not after the kind of place ("Xã Tiên", "Phường Văn") nor before a dash.
    name = " ".join(name.split()).replace(" ", NBSP, 1)
    return name.replace(" - ", f"{NBSP}- ")


def per_package(packed: Packed) -> Quantity | None:
    """The net quantity of one package, when the packing record gives total and count, and
    it is at least a thousandth of its unit (a label prints no "0 g")."""
    if packed.quantity is None:
        return None
    each = (Decimal(packed.quantity.value) / packed.count).quantize(
        Decimal("0.001"), rounding=ROUND_HALF_EVEN
    )
    if not each:
        return None
    text = format(each.normalize(), "f")
    return Quantity(value=text, unit=packed.quantity.unit)


async def batch_facts(conn: AsyncConnection, batch: Batch, *, today: date) -> LabelFacts:
    """What a label of ``batch`` prints, as of ``today`` (for certificate validity).

    A record later declared wrong by a ``corrected`` record is not printed from:
    a label cannot show the correction beside it, as the public page does. Nor is a
    record the ledger cannot read (trace/domain/facts.py): without a readable
    registration, the label takes the product, lot and origin of the batch's read model.
    """
    bodies: list[tuple[bytes, msgspec.Struct]] = []
    for record in await batch_records(conn, batch.id):
        fact = read_fact(record.statement)
        if isinstance(fact, Fact):
            bodies.append((record.record_hash, fact.body))
    corrected = {body.corrects for _, body in bodies if isinstance(body, Corrected)}
    standing = [body for digest, body in bodies if digest.hex() not in corrected]
    registered = next((body for body in standing if isinstance(body, Registered)), None)
    if registered is None:
        registered = Registered(
            product=batch.product,
            lot=batch.lot,
            origin=Origin(province=batch.province or "00"),
            gtin=batch.gtin,
        )
    stars = [
        body.stars
        for body in standing
        if isinstance(body, Certified)
        and body.scheme is Scheme.OCOP
        and body.stars is not None
        and body.valid_from <= today <= body.valid_until
    ]
    # The pack size the producer registered is what one pack holds; without it, the packing
    # record's total over its count; without that, the label gives the whole lot.
    net = registered.pack_size
    if net is None:
        for body in standing:
            if isinstance(body, Packed):
                net = per_package(body) or net
    producer = await get_agency(conn, batch.producer_id)
    return LabelFacts(
        product=registered.product,
        producer=producer_line(producer),
        household=producer.household,
        origin=province_name(registered.origin.province)
        if registered.origin
        else place_text(registered.place or ""),
        lot=registered.lot,
        code=batch.code,
        production_date=registered.production_date,
        expiry_date=registered.expiry_date,
        net=net,
        lot_quantity=None if net is not None else registered.quantity,
        ocop_stars=max(stars) if stars else None,
    )
