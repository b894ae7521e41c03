"""Names of Vietnam's provinces and communes since 1 July 2025 (34 provinces, 2 tiers).

Codes are the national administrative unit codes (two digits for a province,
five for a commune); names come from the ``vietnam-provinces`` package, which
follows the General Statistics Office's list.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import cache
from urllib.parse import unquote

from vietnam_provinces import Province, ProvinceCode, VietNamDivisionType, Ward, WardCode

# Vietnam keeps one time zone, UTC+7, without daylight saving.
VIETNAM = timedelta(hours=7)


def vietnam_today() -> date:
    """Today's date in Vietnam, which decides whether a certificate is valid."""
    return (datetime.now(UTC) + VIETNAM).date()


# A centrally governed city's official name starts with "Thành phố"; labels and
# pages say "Hà Nội", as people do.
_CITY_PREFIX = "Thành phố "


@cache
def province_name(code: str) -> str:
    """The short name of province ``code`` (``"01"`` → ``"Hà Nội"``); the code if unknown."""
    try:
        name: str = Province.from_code(ProvinceCode(int(code))).name
    except (ValueError, KeyError):
        return code
    short = name.removeprefix(_CITY_PREFIX)
    # "Hồ Chí Minh" alone names the man; the city is written "TP. Hồ Chí Minh".
    return f"TP. {short}" if short == "Hồ Chí Minh" else short


@cache
def commune_name(code: str) -> str:
    """The name of commune or ward ``code`` (``"00091"`` → ``"Phường Phú Thượng"``)."""
    try:
        name: str = Ward.from_code(WardCode(int(code))).name
    except (ValueError, KeyError):
        return code
    return name


# Each kind of unit: the word that starts its Vietnamese name (the six centrally governed
# cities' names start with "Thành phố"; a province's with nothing), the word English puts
# after the name, and the kind as the API names it.
_KINDS: dict[VietNamDivisionType, tuple[str, str, str]] = {
    VietNamDivisionType.THANH_PHO_TRUNG_UONG: ("Thành phố ", "City", "city"),
    VietNamDivisionType.TINH: ("Tỉnh ", "Province", "province"),
    VietNamDivisionType.PHUONG: ("Phường ", "Ward", "ward"),
    VietNamDivisionType.XA: ("Xã ", "Commune", "commune"),
    VietNamDivisionType.DAC_KHU: ("Đặc khu ", "Special Zone", "special_zone"),
}


@dataclass(frozen=True, slots=True)
class Place:
    """A province or a commune: its code and its names in Vietnamese and English."""

    code: str
    name_vi: str
    name_en: str
    kind: str


def without_accents(text: str) -> str:
    """Vietnamese written without diacritics, as English writes place names
    (``"Đắk Lắk"`` → ``"Dak Lak"``)."""
    bare = unicodedata.normalize("NFD", text.replace("Đ", "D").replace("đ", "d"))
    return "".join(c for c in bare if unicodedata.category(c) != "Mn")


def _place(code: str, name: str, division: VietNamDivisionType) -> Place:
    prefix, english, kind = _KINDS[division]
    bare = name.removeprefix(prefix)
    return Place(code, name, f"{without_accents(bare)} {english}", kind)


@cache
def provinces() -> tuple[Place, ...]:
    """Vietnam's 34 provinces and centrally governed cities, by code."""
    found = (_place(f"{p.code.value:02d}", p.name, p.division_type) for p in Province.iter_all())
    return tuple(sorted(found, key=lambda place: place.code))


@cache
def communes(province: str) -> tuple[Place, ...] | None:
    """The communes, wards and special zones of province ``province`` by code; ``None``
    when no province has that code."""
    if province not in {place.code for place in provinces()}:
        return None
    found = (
        _place(f"{w.code.value:05d}", w.name, w.division_type)
        for w in Ward.iter_by_province(ProvinceCode(int(province)))
    )
    return tuple(sorted(found, key=lambda place: place.code))


_GLN = re.compile(r"https://id\.gs1\.org/414/(\d{13})(?:/254/([^/]+))?", re.ASCII)


def place_text(uri: str) -> str:
    """A place an EPCIS event names (``bizLocation``), as a reader sees it without master data.

    A GLN (TCVN 13274:2020's location trace code) is written as its number, with the
    extension that names a spot inside it; any other URI as it is.
    """
    match = _GLN.fullmatch(uri)
    if match is None:
        return uri
    return f"GLN {match[1]}" + (f" / {unquote(match[2])}" if match[2] else "")
