"""A record in words: kinds, times, dispositions and every field of a body, as officers read them.

Shared by the command line (trace/cli/inspect.py) and the officers' console
(trace/api/console_inspect.py), so both say a record the same way. A record holds ids, kind
names such as ``input_applied``, times with their own offsets and a body of fields. An
officer reads the agency's name (a household by its commune and province, as the public
pages name it, trace/genealogy/holders.py; the caller says how it finds names), the kind in words
(trace.domain.kinds.KIND_NAMES), every time in Vietnam's zone as the language writes it
(trace/local_formats.py), and every field of the body under the name its form gives it
(trace.domain.validation.FIELD_NAMES), with units, processes and severities in words.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from types import MappingProxyType
from typing import Any

from trace.domain.kinds import KIND_NAMES, PROCESS_NAMES, SEVERITY_NAMES, Scheme
from trace.domain.places import commune_name, province_name
from trace.domain.quantity import DOSE_BASIS_NAMES, UNIT_NAMES
from trace.domain.texts import N_
from trace.domain.validation import FIELD_NAMES
from trace.genealogy.recall_words import severity_words
from trace.local_formats import day, moment, number
from trace.translation import say

YES, NO = N_("yes"), N_("no")
# A batch's disposition (trace.search.query.Disposition) and an inspection's result.
DISPOSITIONS: Mapping[str, str] = MappingProxyType(
    {
        "conformant": N_("conformant"),
        "non_conformant": N_("non-conformant"),
        "recalled": N_("recalled"),
    }
)
# The certification schemes (trace.domain.kinds.Scheme) as their certificates name them.
SCHEME_NAMES: Mapping[str, str] = MappingProxyType(
    {
        Scheme.VIETGAP: N_("VietGAP"),
        Scheme.VIETGAHP: N_("VietGAHP"),
        Scheme.ORGANIC: N_("Organic"),
        Scheme.OCOP: N_("OCOP"),
        Scheme.GLOBALGAP: N_("GlobalG.A.P."),
    }
)
# The fields whose values are codes of a list, and the words for each code.
_CODED: Mapping[str, Mapping[str, str]] = {
    "unit": UNIT_NAMES,
    "per": DOSE_BASIS_NAMES,
    "process": PROCESS_NAMES,
    "severity": SEVERITY_NAMES,
    "kind": KIND_NAMES,
    "scheme": SCHEME_NAMES,
    "result": DISPOSITIONS,
}
# Fields that name an agency by its id.
AGENCY_FIELDS = frozenset({"from", "to", "issuer_agency", "holder"})
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


AgencyName = Callable[[str], str]


def disposition_words(value: str | None, lang: str) -> str | None:
    """A disposition or an inspection's result in words (None stays None)."""
    if not value:
        return None
    return say(DISPOSITIONS[value], lang) if value in DISPOSITIONS else value


@dataclass(frozen=True, slots=True)
class FieldWords:
    """One field of a body as a reader sees it: its label, and its value in words, or the
    fields it holds (``fields``), or the items of its list, each a list of fields."""

    label: str
    value: str | None = None
    fields: list[FieldWords] = field(default_factory=list)
    items: list[list[FieldWords]] = field(default_factory=list)


def body_in_words(
    body: Mapping[str, Any],
    lang: str,
    names: AgencyName,
    batches: Callable[[str], str] | None = None,
) -> list[FieldWords]:
    """Every field of ``body`` under the name its form gives it, its value in words; a batch
    a field names by its id is named by ``batches`` when given."""
    shown: list[FieldWords] = []
    for name, value in body.items():
        label = say(FIELD_NAMES[name], lang) if name in FIELD_NAMES else name
        if isinstance(value, Mapping) and not _is_quantity(value):
            shown.append(FieldWords(label, fields=body_in_words(value, lang, names, batches)))
        elif isinstance(value, list) and any(isinstance(item, Mapping) for item in value):
            items = [
                body_in_words(item, lang, names, batches)
                if isinstance(item, Mapping)
                else [FieldWords("", _value(name, item, lang, names))]
                for item in value
            ]
            shown.append(FieldWords(label, items=items))
        elif isinstance(value, list):
            words = ", ".join(_value(name, item, lang, names) for item in value)
            shown.append(FieldWords(label, words))
        elif name == "batch" and batches and isinstance(value, str) and _UUID.match(value):
            shown.append(FieldWords(label, batches(value)))
        else:
            shown.append(FieldWords(label, _value(name, value, lang, names)))
    return shown


def fields_in_words(
    body: Mapping[str, Any], lang: str, names: AgencyName, indent: str = "    "
) -> Iterator[str]:
    """Every field of ``body``, one a line, under its name in words; lists item by item."""
    yield from _lines(body_in_words(body, lang, names), indent)


def _lines(shown: list[FieldWords], indent: str) -> Iterator[str]:
    for one in shown:
        if one.fields:
            yield f"{indent}{one.label}:"
            yield from _lines(one.fields, indent + "  ")
        elif one.items:
            yield f"{indent}{one.label}:"
            for count, item in enumerate(one.items, start=1):
                yield f"{indent}  {count}."
                if len(item) == 1 and not item[0].label:
                    yield f"{indent}    {item[0].value}"
                else:
                    yield from _lines(item, indent + "    ")
        else:
            yield f"{indent}{one.label}: {one.value}"


def _event_summary(text: str, lang: str) -> str:
    """A captured EPCIS event in one line: what it is, what it did, when (the event itself is
    kept whole in the record and given whole by /epcis/events)."""
    try:
        event = json.loads(text)
    except ValueError:
        return text
    if not isinstance(event, dict):
        return text
    # A CBV step by its term: "commissioning" for cbv:BizStep-commissioning, whichever spelling.
    step = str(event.get("bizStep", "")).rsplit("/", 1)[-1].rsplit(":", 1)[-1]
    step = step.removeprefix("BizStep-")
    parts = [str(event.get("type", "")), str(event.get("action", "")), step]
    when = time_words(str(event.get("eventTime", "")), lang)
    return " · ".join(part for part in [" ".join(p for p in parts[:2] if p), step, when] if part)


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
    if field == "event" and text.startswith("{"):
        return _event_summary(text, lang)
    if field == "severity":
        return severity_words(text, lang)
    if field in _CODED and text in _CODED[field]:
        return say(_CODED[field][text], lang)
    if field in AGENCY_FIELDS and _UUID.match(text):
        return names(text)
    if field in _PLACES:
        return _place(field, text)
    if isinstance(value, str):
        return time_words(text, lang) or text
    return number(text, lang) if isinstance(value, int | float) else text
