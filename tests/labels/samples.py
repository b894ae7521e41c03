"""Label facts used across the label tests."""

from __future__ import annotations

import random
from datetime import date

from trace.domain.errors import InvalidIdentifier
from trace.domain.identifiers import BATCH_CODE_ALPHABET, normalise_batch_code
from trace.domain.quantity import Quantity
from trace.labels.content import LabelFacts
from trace.labels.drawing import Label, Page, Placed
from trace.labels.layout import compose
from trace.labels.qr import batch_path, encode, label_url
from trace.labels.templates import Template

PUBLIC_URL = "https://trace.example.vn"
GTIN = "8936047000128"

POMELO = LabelFacts(
    product="Bưởi Diễn Phú Thượng",
    producer="Hợp tác xã Bưởi Diễn Phú Thượng",
    household=False,
    origin="Hà Nội",
    lot="BD-2026-09",
    code="7K3M9Q2XW4HJ8C",
    production_date=date(2026, 9, 1),
    expiry_date=date(2026, 10, 15),
    net=Quantity(value="3", unit="KGM"),
    ocop_stars=4,
)

PADDY = LabelFacts(
    product="Thóc ST25",
    producer="Xã Tiên Lữ, Hưng Yên",
    household=True,
    origin="Hưng Yên",
    lot="thoc-2026-01",
    code="XQFAG3FHRGFBZ3",
    lot_quantity=Quantity(value="3000", unit="KGM"),
)


def lot_label(template: Template, facts: LabelFacts = POMELO, lang: str = "vi") -> Label:
    """The lot label of ``facts`` (with a GTIN unless the facts are the paddy's)."""
    gtin = None if facts is PADDY else GTIN
    url = label_url(PUBLIC_URL, batch_path(code=facts.code, gtin=gtin, lot=facts.lot))
    return compose(facts, template, encode(url), lang=lang, short_code=facts.code)


def serial_label(template: Template, serial: str, facts: LabelFacts = POMELO) -> Label:
    """The label of one serialised item."""
    url = label_url(
        PUBLIC_URL, batch_path(code=facts.code, gtin=GTIN, lot=facts.lot, serial=serial)
    )
    return compose(facts, template, encode(url), lang="vi", short_code=serial)


def page_of(template: Template, labels: list[Label]) -> Page:
    """One page of ``template`` holding ``labels`` in its label positions."""
    width, height = template.page_size
    spots = template.positions()
    return Page(
        width, height, tuple(Placed(x, y, lab) for (x, y), lab in zip(spots, labels, strict=False))
    )


def serials(count: int, seed: int = 0) -> list[str]:
    """``count`` valid serials, the same for the same seed (tests must not be left to chance)."""
    draw = random.Random(seed)
    found = []
    while len(found) < count:
        payload = "".join(draw.choice(BATCH_CODE_ALPHABET) for _ in range(13))
        for check in BATCH_CODE_ALPHABET:
            try:
                found.append(normalise_batch_code(payload + check))
                break
            except InvalidIdentifier:
                continue
    return found


def serial_page(template: Template, seed: int = 0) -> tuple[Page, list[str]]:
    """A full page of serialised labels, each with its own serial, and those serials."""
    drawn = serials(template.per_page, seed)
    return page_of(template, [serial_label(template, s) for s in drawn]), drawn
