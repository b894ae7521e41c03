"""What a label says, in the reader's language, from the facts of a batch."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from trace.domain.quantity import UNIT_NAMES, Quantity
from trace.domain.texts import N_
from trace.local_formats import day, number
from trace.translation import say

NBSP = "\u00a0"


@dataclass(frozen=True, slots=True)
class LabelFacts:
    """The facts a label prints, gathered from the batch's records and its producer.

    ``producer`` is the organisation's name, or for a household its commune and
    province only. ``net`` is the net quantity of one pack: the pack size registered, or
    the packing record's total over its count; without either, ``lot_quantity`` is the
    whole lot. A label on a pack never gives the lot's quantity as if it were the pack's.
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
    """A paragraph of the text column: ``text`` wraps at its spaces, never inside a word;
    words joined by no-break spaces part only where they cannot fit a line together."""

    text: str
    bold: bool = False
    scale: float = 1.0


def format_quantity(quantity: Quantity, lang: str) -> str:
    """``3 kg``, ``1.200 kg``, ``400 hộp``: the value and the unit's short name."""
    unit = say(UNIT_NAMES.get(quantity.unit, quantity.unit), lang)
    return f"{number(quantity.value, lang)}{NBSP}{unit}"


def format_day(value: date, lang: str) -> str:
    """``15/10/2026``, ``15 Oct 2026``: a date, kept on one line by no-break spaces."""
    return day(value, lang).replace(" ", NBSP)


def _pair(words: str, value: str, lang: str) -> str:
    # No-break spaces keep the label's words together and with the value's first word
    # ("Xuất xứ: Thái"); the rest of the value wraps at its spaces like any text, so a
    # line breaks before "Nguyên", never inside it.
    first, _, rest = value.partition(" ")
    bound = f"{say(words, lang)} {first}".replace(" ", NBSP)
    return f"{bound} {rest}" if rest else bound


def text_lines(facts: LabelFacts, lang: str, *, product_scale: float = 1.2) -> list[Line]:
    """The text column, most important first; every listed fact appears."""
    producer = facts.producer
    if facts.household:
        household = say("Household farm", lang)
        producer = f"{household}: {producer}"
    lines = [
        Line(facts.product, bold=True, scale=product_scale),
        Line(producer),
        Line(_pair(N_("Origin:"), facts.origin, lang)),
    ]
    lot = _pair(N_("Lot:"), facts.lot, lang)
    if facts.net is not None:
        lot += " · " + _pair(N_("Net:"), format_quantity(facts.net, lang), lang)
    elif facts.lot_quantity is not None:
        lot += " · " + _pair(N_("Whole lot:"), format_quantity(facts.lot_quantity, lang), lang)
    lines.append(Line(lot))
    dates = []
    if facts.production_date is not None:
        dates.append(_pair(N_("MFD:"), format_day(facts.production_date, lang), lang))
    if facts.expiry_date is not None:
        dates.append(_pair(N_("EXP:"), format_day(facts.expiry_date, lang), lang))
    if dates:
        lines.append(Line(" · ".join(dates)))
    return lines
