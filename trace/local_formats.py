"""Dates, times and numbers as a reader of each language writes them, through Babel (CLDR).

Times are shown in Vietnam's zone (Asia/Ho_Chi_Minh, UTC+7, no daylight saving), which
the text says, since a reader abroad might otherwise take them for their own. Vietnamese
dates are written day/month/year with two digits, as on a package; English ones with the
month's name, which no reader can take for another day; a language added later gets
its locale's medium forms without a change here.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from functools import cache

from babel import Locale
from babel.dates import DateTimePattern, get_timezone
from babel.dates import parse_pattern as parse_date_pattern
from babel.numbers import NumberPattern
from babel.numbers import parse_pattern as parse_number_pattern

VIETNAM_ZONE = get_timezone("Asia/Ho_Chi_Minh")
# CLDR patterns (Unicode TR35 date fields) for languages whose medium form a reader would
# not write; others get their locale's medium forms.
_DAY = {"vi": "dd/MM/y", "en": "d MMM y"}
_MOMENT = {"vi": "HH:mm dd/MM/y", "en": "d MMM y, HH:mm"}
# Every digit a record holds, none added: a quantity is shown as it was signed.
_DECIMAL = "#,##0.##########"


@cache
def _locale(lang: str) -> Locale:
    return Locale.parse(lang)


@cache
def _day_pattern(lang: str) -> DateTimePattern:
    return parse_date_pattern(_DAY.get(lang) or _locale(lang).date_formats["medium"].pattern)


@cache
def _moment_pattern(lang: str) -> DateTimePattern:
    found = _MOMENT.get(lang)
    if found is None:
        medium = _locale(lang).datetime_formats["medium"]
        date_part = _locale(lang).date_formats["medium"].pattern
        time_part = _locale(lang).time_formats["short"].pattern
        found = medium.replace("{1}", date_part).replace("{0}", time_part)
    return parse_date_pattern(found)


@cache
def _number_pattern() -> NumberPattern:
    return parse_number_pattern(_DECIMAL)


def day(value: date | datetime, lang: str) -> str:
    """A calendar day; a time gives its day in Vietnam."""
    if isinstance(value, datetime):
        value = value.astimezone(VIETNAM_ZONE).date()
    return str(_day_pattern(lang).apply(value, _locale(lang)))


def moment(value: datetime, lang: str) -> str:
    """A time to the minute in Vietnam's zone, saying so: ``08:30 01/09/2026 (UTC+7)``."""
    shown = _moment_pattern(lang).apply(value.astimezone(VIETNAM_ZONE), _locale(lang))
    return f"{shown} (UTC+7)"


def number(value: str | int | Decimal, lang: str) -> str:
    """A decimal as the language writes it (``1.200,5`` in Vietnamese, ``1,200.5`` in English);
    text that is no number is given back as it is."""
    try:
        exact = Decimal(value)
    except (InvalidOperation, TypeError, ValueError):
        return str(value)
    return str(_number_pattern().apply(exact, _locale(lang)))
