"""Quantities: a decimal string and a unit code, never a float.

Units are common codes of UN/ECE Recommendation No. 20 ("Codes for Units of
Measure Used in International Trade"), the list EPCIS 2.0 names for the ``uom``
of a ``quantityList`` entry. The package codes (``XBX``, ``XBG``...) are the
Recommendation No. 21 package types carried in Recommendation 20 with an ``X``
prefix, which is how the Rec 20 code list carries them.

Values are decimal strings so that a quantity hashes to the same canonical
bytes on every device (DESIGN.md, "Statements"): no sign, no exponent, no
leading zeros, at most six decimals.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from enum import StrEnum
from types import MappingProxyType
from typing import Annotated

import msgspec

from trace.domain.errors import BrokenRule
from trace.domain.texts import N_

# Twelve integer digits is far above any real batch; a bound keeps a typo or a
# hostile value from becoming a 10,000-digit number somewhere downstream.
DECIMAL_PATTERN = r"^(?:0|[1-9][0-9]{0,11})(?:\.[0-9]{1,6})?$"

DecimalText = Annotated[str, msgspec.Meta(pattern=DECIMAL_PATTERN, max_length=19)]
"""A non-negative decimal string such as ``"1200.5"``."""


class Unit(StrEnum):
    """Units of goods (UN/ECE Rec 20 codes, as in an EPCIS ``quantityList`` ``uom``)."""

    KILOGRAM = "KGM"
    GRAM = "GRM"
    TONNE = "TNE"
    LITRE = "LTR"
    MILLILITRE = "MLT"
    PIECE = "H87"
    BOX = "XBX"
    BAG = "XBG"
    SACK = "XSA"
    CARTON = "XCT"
    BOTTLE = "XBO"
    CRATE = "XCR"


class AreaUnit(StrEnum):
    """Units of land area (UN/ECE Rec 20)."""

    HECTARE = "HAR"
    SQUARE_METRE = "MTK"


class DoseBasis(StrEnum):
    """What a dose is counted per: a unit of land treated or a litre of spray mixture."""

    HECTARE = "HAR"
    SQUARE_METRE = "MTK"
    # Vietnamese labels give sprays per tank ("20 ml / bình 16 lít"), i.e. per litre of mix.
    LITRE_OF_MIXTURE = "LTR"


# What a reader calls each unit: English here, translated where shown.
UNIT_NAMES: Mapping[str, str] = MappingProxyType(
    {
        Unit.KILOGRAM: N_("kg"),
        Unit.GRAM: N_("g"),
        Unit.TONNE: N_("t"),
        Unit.LITRE: N_("L"),
        Unit.MILLILITRE: N_("mL"),
        Unit.PIECE: N_("pcs"),
        Unit.BOX: N_("boxes"),
        Unit.BAG: N_("bags"),
        Unit.SACK: N_("sacks"),
        Unit.CARTON: N_("cartons"),
        Unit.BOTTLE: N_("bottles"),
        Unit.CRATE: N_("crates"),
    }
)
# What a dose is counted per, as a reader says it after "/".
DOSE_BASIS_NAMES: Mapping[str, str] = MappingProxyType(
    {
        DoseBasis.HECTARE: N_("ha"),
        DoseBasis.SQUARE_METRE: N_("m²"),
        DoseBasis.LITRE_OF_MIXTURE: N_("L of mixture"),
    }
)


def _require_positive(value: str) -> None:
    # The pattern already refused signs and exponents; only zero is left to refuse.
    if Decimal(value) == 0:
        raise BrokenRule(N_("{field} must be greater than zero."), field="value")


class Quantity(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """An amount of goods: ``{"value": "1200.5", "unit": "KGM"}``, value greater than zero."""

    value: DecimalText
    unit: Unit

    def __post_init__(self) -> None:
        _require_positive(self.value)


class AreaSize(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """A land area: ``{"value": "2.5", "unit": "HAR"}``, value greater than zero."""

    value: DecimalText
    unit: AreaUnit

    def __post_init__(self) -> None:
        _require_positive(self.value)


class Dose(msgspec.Struct, frozen=True, forbid_unknown_fields=True, omit_defaults=True):
    """An application rate: ``{"value": "1.5", "unit": "LTR", "per": "HAR"}``.

    Without ``per`` the value is the total amount applied to the area.
    """

    value: DecimalText
    unit: Unit
    per: DoseBasis | None = None

    def __post_init__(self) -> None:
        _require_positive(self.value)
