"""Names of Vietnam's provinces and communes since 1 July 2025 (34 provinces, 2 tiers).

Codes are the national administrative unit codes (two digits for a province,
five for a commune); names come from the ``vietnam-provinces`` package, which
follows the General Statistics Office's list.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from functools import cache

from vietnam_provinces import Province, ProvinceCode, Ward, WardCode

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
