"""What the command line says instead of codes: agencies by name, kinds, times and fields in words.

A record holds ids, kind names such as ``input_applied``, times with their own offsets and
a body of fields. An officer reads the agency's name (a household by its commune and
province, as the public pages name it, trace/genealogy/holders.py), the kind in words
(trace.domain.kinds.KIND_NAMES), every time in Vietnam's zone as the language writes it
(trace/local_formats.py), and every field of the body under the name its form gives it
(trace.domain.validation.FIELD_NAMES), with units, processes and severities in words.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from datetime import date, datetime
from typing import Any

from trace.cli.remote import Service, ServiceRefused
from trace.domain.kinds import KIND_NAMES, PROCESS_NAMES, SEVERITY_NAMES
from trace.domain.places import commune_name, province_name
from trace.domain.quantity import DOSE_BASIS_NAMES, UNIT_NAMES
from trace.domain.texts import N_
from trace.domain.validation import FIELD_NAMES
from trace.genealogy.recall_words import severity_words
from trace.local_formats import day, moment, number
from trace.translation import say

YES, NO = N_("yes"), N_("no")
# The fields whose values are codes of a list, and the words for each code.
_CODED: Mapping[str, Mapping[str, str]] = {
    "unit": UNIT_NAMES,
    "per": DOSE_BASIS_NAMES,
    "process": PROCESS_NAMES,
    "severity": SEVERITY_NAMES,
    "kind": KIND_NAMES,
}
# Fields that name an agency by its id.
_AGENCY_FIELDS = frozenset({"from", "to", "issuer_agency", "holder"})
# Fields that hold a place's code, and how the place is named.
_PLACES = frozenset({"province", "commune"})
_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_INSTANT = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")


def kind_words(kind: str, lang: str) -> str:
    """An event's kind as a reader calls it (the code itself when it has no words)."""
    return say(KIND_NAMES[kind], lang) if kind in KIND_NAMES else kind


def time_words(value: str | None, lang: str) -> str | None:
    """An RFC 3339 time in Vietnam's zone as ``lang`` writes it; a day as a day."""
    if not value:
        return value
    try:
        if _DAY.match(value):
            return day(date.fromisoformat(value), lang)
        if _INSTANT.match(value):
            return moment(datetime.fromisoformat(value), lang)
    except ValueError:
        pass
    return value


def day_words(value: str | None, lang: str) -> str | None:
    """The day of an RFC 3339 time, in Vietnam, as ``lang`` writes it."""
    if not value:
        return value
    try:
        return day(datetime.fromisoformat(value), lang)
    except ValueError:
        return value


class AgencyNames:
    """Agencies' names, asked of the service once each (``GET /api/v1/agencies/{id}``).

    A household is named by its commune and province; an agency the service does not
    know keeps its id.
    """

    def __init__(self, service: Service) -> None:
        self.service = service
        self.known: dict[str, str] = {}

    def __call__(self, agency_id: str) -> str:
        """The name of ``agency_id``."""
        if agency_id not in self.known:
            self.known[agency_id] = self._ask(agency_id)
        return self.known[agency_id]

    def _ask(self, agency_id: str) -> str:
        try:
            agency = self.service.get(f"/api/v1/agencies/{agency_id}")["agency"]
        except ServiceRefused as refused:
            if refused.status == 404:
                return agency_id
            raise
        if not agency.get("household"):
            return str(agency["name"])
        places = (
            commune_name(agency["commune"]) if agency.get("commune") else None,
            province_name(agency["province"]) if agency.get("province") else None,
        )
        return ", ".join(p for p in places if p) or agency_id


AgencyName = Callable[[str], str]


def fields_in_words(
    body: Mapping[str, Any], lang: str, names: AgencyName, indent: str = "    "
) -> Iterator[str]:
    """Every field of ``body``, one a line, under its name in words; lists item by item."""
    for field, value in body.items():
        label = say(FIELD_NAMES[field], lang) if field in FIELD_NAMES else field
        if isinstance(value, Mapping) and not _is_quantity(value):
            yield f"{indent}{label}:"
            yield from fields_in_words(value, lang, names, indent + "  ")
        elif isinstance(value, list) and any(isinstance(item, Mapping) for item in value):
            yield f"{indent}{label}:"
            for count, item in enumerate(value, start=1):
                yield f"{indent}  {count}."
                if isinstance(item, Mapping):
                    yield from fields_in_words(item, lang, names, indent + "    ")
                else:
                    yield f"{indent}    {_value(field, item, lang, names)}"
        elif isinstance(value, list):
            shown = ", ".join(_value(field, item, lang, names) for item in value)
            yield f"{indent}{label}: {shown}"
        else:
            yield f"{indent}{label}: {_value(field, value, lang, names)}"


def _place(field: str, code: str) -> str:
    """``33`` as "Hưng Yên (33)": the name, with the code the record holds."""
    name = province_name(code) if field == "province" else commune_name(code)
    return code if name == code else f"{name} ({code})"


def _is_quantity(value: Mapping[str, Any]) -> bool:
    return set(value) == {"value", "unit"}


def _value(field: str, value: Any, lang: str, names: AgencyName) -> str:
    if isinstance(value, Mapping) and _is_quantity(value):
        unit = str(value["unit"])
        names_of_unit = UNIT_NAMES if unit in UNIT_NAMES else DOSE_BASIS_NAMES
        words = say(names_of_unit[unit], lang) if unit in names_of_unit else unit
        return f"{number(str(value['value']), lang)} {words}"
    if isinstance(value, bool):
        return say(YES if value else NO, lang)
    if value is None:
        return "-"
    text = str(value)
    if field == "severity":
        return severity_words(text, lang)
    if field in _CODED and text in _CODED[field]:
        return say(_CODED[field][text], lang)
    if field in _AGENCY_FIELDS and _UUID.match(text):
        return names(text)
    if field in _PLACES:
        return _place(field, text)
    if isinstance(value, str):
        return time_words(text, lang) or text
    return number(text, lang) if isinstance(value, int | float) else text
