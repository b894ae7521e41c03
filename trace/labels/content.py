"""What a label says, in the reader's language, from the facts of a batch."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from trace.catalogue import message
from trace.domain.quantity import Quantity

NBSP = "\u00a0"
# Vietnamese groups thousands with "." and writes the decimal comma.
_VI_SEPARATORS = str.maketrans(",.", ".,")


@dataclass(frozen=True, slots=True)
class LabelFacts:
    """The facts a label prints, gathered from the batch's records and its producer.

    ``producer`` is the organisation's name, or for a household its commune and
    province only. ``net`` is the net quantity of one package when the batch was
    packed into counted packages, else ``lot_quantity`` is the whole lot.
    """

    product: str
    producer: str
    household: bool
    origin: str
    lot: str
    code: str
    production_date: date | None = None
    expiry_date: date | None = None
    net: Quantity | None = None
    lot_quantity: Quantity | None = None
    ocop_stars: int | None = None


@dataclass(frozen=True, slots=True)
class Line:
    """A paragraph of the text column: ``text`` wraps at ordinary spaces only."""

    text: str
    bold: bool = False
    scale: float = 1.0


def _date(value: date, lang: str) -> str:
    # Vietnamese labels write dates day first (Decree 43/2017/NĐ-CP, Annex I examples).
    return value.strftime("%d/%m/%Y") if lang == "vi" else value.isoformat()


def format_decimal(value: Decimal, lang: str) -> str:
    """``value`` with thousands grouped as the language writes them (1.200,5 or 1,200.5)."""
    text = f"{value:,f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    if lang == "vi":
        text = text.translate(_VI_SEPARATORS)
    return text


def format_quantity(quantity: Quantity, lang: str) -> str:
    """``3 kg``, ``1.200 kg``, ``400 hộp``: the value and the unit's short name."""
    unit = message(f"unit.{quantity.unit}", lang)
    return f"{format_decimal(Decimal(quantity.value), lang)}{NBSP}{unit}"


def _pair(code: str, value: str, lang: str) -> str:
    # A no-break space keeps each label word with its value when a line wraps.
    return f"{message(code, lang)}{NBSP}{value}".replace(" ", NBSP)


def text_lines(facts: LabelFacts, lang: str, *, product_scale: float = 1.2) -> list[Line]:
    """The text column, most important first; every listed fact appears."""
    producer = facts.producer
    if facts.household:
        producer = f"{message('label.household', lang)}: {producer}"
    lines = [
        Line(facts.product, bold=True, scale=product_scale),
        Line(producer),
        Line(_pair("label.origin", facts.origin, lang)),
    ]
    lot = _pair("label.lot", facts.lot, lang)
    if facts.net is not None:
        lot += " · " + _pair("label.net", format_quantity(facts.net, lang), lang)
    elif facts.lot_quantity is not None:
        lot += " · " + _pair("label.lot_quantity", format_quantity(facts.lot_quantity, lang), lang)
    lines.append(Line(lot))
    dates = []
    if facts.production_date is not None:
        dates.append(_pair("label.produced", _date(facts.production_date, lang), lang))
    if facts.expiry_date is not None:
        dates.append(_pair("label.expires", _date(facts.expiry_date, lang), lang))
    if dates:
        lines.append(Line(" · ".join(dates)))
    return lines
