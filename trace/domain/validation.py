"""Every mistake in an event's body at once, each in words a person can act on.

msgspec stops at the first field it cannot read and says so in its own English. A producer
filling a form wants every field that is wrong, named as the form names it, with what it
should hold: the values to choose from where they are few (units, kinds, severities), how
to find them where they are many (province and commune codes), the form where there is one
(a lot, a GTIN, a date). :func:`body_problems` walks a body against its kind's declaration
(the Structs of ``trace/domain/kinds.py``, read with ``msgspec.inspect``) and gives one
:class:`FieldProblem` per mistake; where the fields are each right, the rules across them
(``__post_init__``, raising :class:`~trace.domain.errors.BrokenRule`) speak next.

Words are English here and translated where they are shown; ``{field}`` is filled with the
field's name in words (:func:`field_words`).
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from types import MappingProxyType
from typing import Any

import msgspec
import msgspec.inspect as mi

from trace.domain import kinds, places
from trace.domain.contact import PHONE_PATTERN, WEBSITE_PATTERN
from trace.domain.errors import (
    BrokenRule,
    DomainError,
    FieldProblem,
    InvalidBody,
    InvalidStatement,
)
from trace.domain.identifiers import is_valid_gtin
from trace.domain.quantity import (
    DECIMAL_PATTERN,
    DOSE_BASIS_NAMES,
    UNIT_NAMES,
    AreaUnit,
    DoseBasis,
    Unit,
)
from trace.domain.texts import N_
from trace.domain.times import (
    TimeOutOfRange,
    body_times,
    check_day,
    check_instant,
    check_new_statement_time,
)

# Each field as a form names it.
FIELD_NAMES: Mapping[str, str] = MappingProxyType(
    {
        "occurred_at": N_("When it happened"),
        "body": N_("Details"),
        "active_ingredient": N_("Active ingredient"),
        "analytes": N_("Analytes"),
        "applied_to": N_("Area treated"),
        "area": N_("Growing area"),
        "area_size": N_("Area size"),
        "brand": N_("Brand or trademark"),
        "batch": N_("Batch"),
        "category": N_("Category"),
        "certificate_number": N_("Certificate number"),
        "code": N_("Sample code"),
        "commune": N_("Commune code"),
        "corrects": N_("Record corrected"),
        "count": N_("Number of packages or labels"),
        "crop": N_("Crop"),
        "decision_number": N_("Decision number"),
        "description": N_("Description"),
        "destination": N_("Destination address"),
        "dose": N_("Dose"),
        "effective_at": N_("Effective from"),
        # A batch an EPCIS event started keeps the event whole (and names its GLN, "place").
        "epcis": N_("Captured EPCIS event"),
        "event": N_("EPCIS event"),
        "event_hash": N_("Event Hash ID"),
        "expiry_date": N_("Use-by date"),
        "first": N_("First serial"),
        "from": N_("Sender"),
        "gtin": N_("GTIN"),
        "input_kind": N_("Kind of input"),
        "inputs": N_("Input batches"),
        "issuer": N_("Issuer"),
        "issuer_level": N_("Issuing council's level"),
        "laboratory": N_("Laboratory"),
        "last": N_("Last serial"),
        "limit": N_("Limit"),
        "lot": N_("Lot number"),
        "matrix": N_("Sample matrix"),
        "method": N_("Method"),
        "name": N_("Name"),
        "note": N_("Note"),
        "ocop_ref": N_("OCOP reference"),
        "origin": N_("Origin"),
        "output_quantity": N_("Quantity made"),
        "pack_size": N_("Net quantity of one pack"),
        "package_type": N_("Package type"),
        "per": N_("Dose per"),
        "photo": N_("Photo"),
        "place": N_("Place (GLN)"),
        "pre_harvest_interval_days": N_("Pre-harvest interval (days)"),
        "process": N_("Process"),
        "product": N_("Product name"),
        "production_date": N_("Production date"),
        "province": N_("Province code"),
        "quantity": N_("Quantity"),
        "reason": N_("Reason"),
        "reference": N_("Reference regulation"),
        "result": N_("Result"),
        "run": N_("Print run"),
        "samples": N_("Samples"),
        "scheme": N_("Scheme"),
        "scope": N_("Scope"),
        "seed_source": N_("Seed source"),
        "serials_sha256": N_("SHA-256 of the serials"),
        "severity": N_("Severity"),
        "standards": N_("Standards applied"),
        "storage": N_("Storage conditions"),
        "stars": N_("OCOP stars"),
        "taken_at": N_("Sampled at"),
        "to": N_("Recipient"),
        "unit": N_("Unit"),
        "valid_from": N_("Valid from"),
        "valid_until": N_("Valid until"),
        "value": N_("Value"),
        "variety": N_("Variety"),
    }
)


_EVENT_FIELDS = frozenset({"body", "occurred_at"})


@dataclass(frozen=True, slots=True)
class FieldWords:
    """One step of a field's path as a person reads it: the field's name in words (English,
    to translate) when the form names it, else as the client wrote it; and which item of a
    list it is, counted from 1."""

    words: str
    named: bool
    item: int | None = None


def field_words(path: str) -> list[FieldWords]:
    """The names of the fields along ``path`` (``body.samples[1].code``), outermost first."""
    parts: list[FieldWords] = []
    steps = re.findall(r"([^.\[\]]+)|\[(\d+)\]", path)
    # Fields of an event (its time, its body and what the body holds) are named as a form
    # names them; a parameter of a request keeps the name the client gave it.
    of_event = bool(steps) and steps[0][0] in _EVENT_FIELDS
    for at, (name, index) in enumerate(steps):
        if name:
            # A field of the body is named alone; the body itself is "Details".
            if name != "body" or at == len(steps) - 1:
                words = FIELD_NAMES.get(name) if of_event else None
                parts.append(FieldWords(words or name, words is not None))
        elif parts:
            parts[-1] = FieldWords(parts[-1].words, parts[-1].named, int(index) + 1)
    return parts


def _pattern(annotated: object) -> str | None:
    info = mi.type_info(annotated)
    if isinstance(info, mi.Metadata):
        info = info.type
    return info.pattern if isinstance(info, mi.StrType) else None


# What text of each form holds, by the pattern that checks it.
_FORMS: Mapping[str | None, str] = MappingProxyType(
    {
        _pattern(kinds.Lot): N_(
            "1 to 20 letters without accents, digits or the signs ! \" % & ' ( ) * + , - . "
            "/ : ; < = > ? _ (a lot as GS1 prints it)"
        ),
        _pattern(kinds.Gtin): N_("the 8, 12, 13 or 14 digits under the barcode"),
        _pattern(kinds.ProvinceCode): N_(
            "the province's 2-digit code; the codes: GET /api/v1/places/provinces"
        ),
        _pattern(kinds.CommuneCode): N_(
            "the commune's 5-digit code; the codes: GET /api/v1/places/provinces/{province}/"
            "communes"
        ),
        _pattern(kinds.Uuid): N_(
            "an identifier like 6f1c2d3e-4a5b-4c6d-8e7f-0a1b2c3d4e5f (lower case)"
        ),
        # Record hashes, a print run's serials and photos are all named by a SHA-256.
        _pattern(kinds.RecordHashHex): N_("64 lower-case hexadecimal digits (a SHA-256 hash)"),
        _pattern(kinds.Serial): N_("the 14 characters of a serial, as printed under its QR code"),
        _pattern(kinds.AnalyteValue): N_(
            'a number written as text, like "0.05", or "<0.01" under the limit of quantification'
        ),
        _pattern(kinds.EventHashId): N_("an Event Hash ID: ni:///sha-256;…?ver=CBV2.0"),
        DECIMAL_PATTERN: N_('a number written as text, like "1200.5": no sign, at most 6 decimals'),
        _pattern(kinds.Name): N_(
            "text with at least one letter or digit, and no control characters"
        ),
        PHONE_PATTERN: N_("a phone number: digits and spaces, an optional leading +"),
        WEBSITE_PATTERN: N_("a web address that starts with http:// or https://"),
    }
)


def form_of(pattern: str) -> str | None:
    """What text of the form that ``pattern`` checks holds, in words; None if unknown."""
    return _FORMS.get(pattern)


# What a person calls each kind of JSON value.
KINDS_OF_VALUE: Mapping[type, str] = {
    str: N_("text"),
    int: N_("a whole number"),
    bool: N_("true or false"),
    dict: N_("a JSON object"),
    list: N_("a JSON list"),
}

# What a person calls the values of a choice, where the code alone says little (``KGM``).
_VALUE_NAMES: Mapping[type, Mapping[str, str]] = MappingProxyType(
    {
        Unit: UNIT_NAMES,
        AreaUnit: DOSE_BASIS_NAMES,
        DoseBasis: DOSE_BASIS_NAMES,
        kinds.EventKind: kinds.KIND_NAMES,
        kinds.TransformProcess: kinds.PROCESS_NAMES,
        kinds.Severity: kinds.SEVERITY_NAMES,
    }
)

MISSING = N_("{field} is missing.")
NOT_VALID = N_("{field} is not valid.")
NOT_IN_REQUEST = N_("{field} is not a field of this request. Its fields are: {accepted}.")
UNKNOWN = N_("{field} is not a field of this event. Its fields are: {accepted}.")
WRONG_TYPE = N_("{field} must be {expected}.")
TOO_SHORT = N_("{field} must hold at least {minimum} characters.")
TOO_LONG = N_("{field} may hold at most {maximum} characters.")
WRONG_FORM = N_("{field} must be {form}.")
CHOOSE = N_("{field} must be one of: {accepted}.")
OUT_OF_BOUNDS = N_("{field} must be from {minimum} to {maximum}.")
AT_LEAST = N_("{field} must be at least {minimum}.")
AT_MOST = N_("{field} must be at most {maximum}.")
TOO_FEW = N_("{field} must list at least {minimum}.")
TOO_MANY = N_("{field} may list at most {maximum}.")
NOT_A_DATE = N_("{field} must be a date like 2026-09-01.")
NO_PROVINCE = N_(
    "{field}: no province has the code {value}. The codes: GET /api/v1/places/provinces."
)
NO_COMMUNE = N_(
    "{field}: province {province} has no commune with the code {value}. Its communes: "
    "GET /api/v1/places/provinces/{province}/communes."
)
WRONG_CHECK_DIGIT = N_(
    "{field}: the check digit of {value} is wrong. Compare it with the code on the package."
)
NO_PHOTO = N_(
    "{field}: the service has no photo {value}. Send the photo first (POST /api/v1/photos), "
    "then the event."
)
NOT_A_TIME = N_("{field} must be a time with its UTC offset, like 2026-09-01T07:30:00+07:00.")


def body_problems(kind: kinds.EventKind, body: object, path: str = "body") -> list[FieldProblem]:
    """Every mistake of ``body`` for ``kind``; an empty list when it decodes."""
    found = list(_walk(mi.type_info(kinds.BODY_TYPES[kind]), body, path))
    if found:
        return found
    try:
        msgspec.convert(body, kinds.BODY_TYPES[kind], strict=True)
    except msgspec.ValidationError as exc:
        return [_rule_problem(exc, path)]
    return []


def value_problems(declared: object, value: object, path: str = "") -> list[FieldProblem]:
    """Every mistake of ``value`` against the type ``declared`` (a Struct, most often: a
    request's body), each field's path under ``path``."""
    return list(_walk(mi.type_info(declared), value, path))


def _rule_problem(exc: msgspec.ValidationError, path: str) -> FieldProblem:
    """A rule across fields (``__post_init__``), or whatever msgspec found that the walk did
    not, placed where msgspec says."""
    where = re.search(r" - at `\$(.*)`$", str(exc))
    inner = where[1] if where else ""
    broken = exc.__cause__
    if isinstance(broken, BrokenRule):
        place = f"{path}{inner}" + (f".{broken.field}" if broken.field else "")
        return FieldProblem(place, broken.words, broken.params)
    return FieldProblem(f"{path}{inner}", NOT_VALID, {})


def _walk(info: mi.Type, value: Any, path: str) -> Iterator[FieldProblem]:
    if isinstance(info, mi.Metadata):  # a description for the API's readers
        info = info.type
    if isinstance(info, mi.UnionType):
        if value is None and any(isinstance(t, mi.NoneType) for t in info.types):
            return
        kinds_ = [t for t in info.types if not isinstance(t, mi.NoneType)]
        yield from _walk(kinds_[0], value, path)
    elif isinstance(info, mi.StructType):
        yield from _struct(info, value, path)
    elif isinstance(info, mi.StrType):
        yield from _text(info, value, path)
    elif isinstance(info, mi.EnumType):
        if value not in [member.value for member in info.cls]:
            yield FieldProblem(path, CHOOSE, {"accepted": choices(info.cls)})
    elif isinstance(info, mi.BoolType):
        if not isinstance(value, bool):
            yield FieldProblem(path, WRONG_TYPE, {"expected": KINDS_OF_VALUE[bool]})
    elif isinstance(info, mi.IntType):
        yield from _integer(info, value, path)
    elif isinstance(info, mi.DateType):
        if not _is_date(value):
            yield FieldProblem(path, NOT_A_DATE)
    elif isinstance(info, mi.DateTimeType):
        if not _is_time(value):
            yield FieldProblem(path, NOT_A_TIME)
    elif isinstance(info, mi.VarTupleType | mi.ListType):
        yield from _items(info, value, path)
    elif isinstance(info, mi.DictType) and not isinstance(value, dict):
        yield FieldProblem(path, WRONG_TYPE, {"expected": KINDS_OF_VALUE[dict]})


def choices(values: type[enum.Enum]) -> tuple[tuple[str, str], ...]:
    """The values of a choice, each with what a person calls it (English, to translate;
    empty where the value says it itself)."""
    names = _VALUE_NAMES.get(values, {})
    return tuple((str(member.value), names.get(member.value, "")) for member in values)


def _struct(info: mi.StructType, value: Any, path: str) -> Iterator[FieldProblem]:
    if not isinstance(value, dict):
        yield FieldProblem(path, WRONG_TYPE, {"expected": KINDS_OF_VALUE[dict]})
        return
    known = {f.encode_name: f for f in info.fields}
    found: list[FieldProblem] = []
    for name in value:
        if name not in known:
            accepted = tuple((known_name, "") for known_name in known)
            # A request's own fields are "of this request"; a body's, "of this event".
            words = UNKNOWN if path else NOT_IN_REQUEST
            found.append(FieldProblem(_at(path, name), words, {"accepted": accepted}))
    for name, declared in known.items():
        if name in value:
            found.extend(_walk(declared.type, value[name], _at(path, name)))
        elif declared.required:
            found.append(FieldProblem(_at(path, name), MISSING))
    yield from found
    if not found:
        # Each field is right: the rules across them (a quantity above zero, a use-by date
        # after the production date) speak, part by part, so that a broken rule in one
        # quantity does not hide one in another.
        try:
            msgspec.convert(value, info.cls, strict=True)
        except msgspec.ValidationError as exc:
            yield _rule_problem(exc, path)


def _at(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


def _text(info: mi.StrType, value: Any, path: str) -> Iterator[FieldProblem]:
    if not isinstance(value, str):
        # A number where a decimal string belongs is told the form: "1200.5", quoted.
        form = form_of(info.pattern) if info.pattern is not None else None
        if form is not None:
            yield FieldProblem(path, WRONG_FORM, {"form": form})
        else:
            yield FieldProblem(path, WRONG_TYPE, {"expected": KINDS_OF_VALUE[str]})
        return
    if info.min_length is not None and len(value) < info.min_length:
        yield FieldProblem(path, TOO_SHORT, {"minimum": info.min_length})
    elif info.max_length is not None and len(value) > info.max_length:
        yield FieldProblem(path, TOO_LONG, {"maximum": info.max_length})
    elif info.pattern is not None and re.search(info.pattern, value) is None:
        form = form_of(info.pattern)
        if form is None:
            yield FieldProblem(path, NOT_VALID)
        else:
            yield FieldProblem(path, WRONG_FORM, {"form": form})


def _integer(info: mi.IntType, value: Any, path: str) -> Iterator[FieldProblem]:
    if isinstance(value, bool) or not isinstance(value, int):
        yield FieldProblem(path, WRONG_TYPE, {"expected": KINDS_OF_VALUE[int]})
        return
    low = info.ge if info.ge is not None else (info.gt + 1 if info.gt is not None else None)
    high = info.le if info.le is not None else (info.lt - 1 if info.lt is not None else None)
    if (low is not None and value < low) or (high is not None and value > high):
        if high is None:
            yield FieldProblem(path, AT_LEAST, {"minimum": low})
        elif low is None:
            yield FieldProblem(path, AT_MOST, {"maximum": high})
        else:
            yield FieldProblem(path, OUT_OF_BOUNDS, {"minimum": low, "maximum": high})


def _items(info: mi.VarTupleType | mi.ListType, value: Any, path: str) -> Iterator[FieldProblem]:
    if not isinstance(value, list):
        yield FieldProblem(path, WRONG_TYPE, {"expected": KINDS_OF_VALUE[list]})
        return
    if info.min_length is not None and len(value) < info.min_length:
        yield FieldProblem(path, TOO_FEW, {"minimum": info.min_length})
    elif info.max_length is not None and len(value) > info.max_length:
        yield FieldProblem(path, TOO_MANY, {"maximum": info.max_length})
    for index, item in enumerate(value):
        yield from _walk(info.item_type, item, f"{path}[{index}]")


def _is_date(value: Any) -> bool:
    if not isinstance(value, str) or not re.fullmatch(r"\d{4}-\d\d-\d\d", value):
        return False
    try:
        date.fromisoformat(value)
    except ValueError:
        return False
    return True


def _is_time(value: Any) -> bool:
    try:
        msgspec.convert(value, kinds.Time, strict=True)
    except msgspec.ValidationError:
        return False
    return True


def content_problems(body: msgspec.Struct, path: str = "body") -> list[FieldProblem]:
    """What a new record's fields hold that no form can check: codes of its origin that name
    no place in Vietnam today (the 34 provinces and their communes since 1 July 2025,
    trace/domain/places.py), a GTIN whose check digit is wrong.

    Only new records are held to this: a stored one keeps the codes of its day."""
    found: list[FieldProblem] = []
    gtin = getattr(body, "gtin", None)
    if isinstance(gtin, str) and not is_valid_gtin(gtin):
        found.append(FieldProblem(f"{path}.gtin", WRONG_CHECK_DIGIT, {"value": gtin}))
    origin = getattr(body, "origin", None)
    if not isinstance(origin, kinds.Origin):
        return found
    province = origin.province
    known = places.communes(province)
    if known is None:
        found.append(FieldProblem(f"{path}.origin.province", NO_PROVINCE, {"value": province}))
    elif origin.commune is not None and origin.commune not in {p.code for p in known}:
        params = {"value": origin.commune, "province": province}
        found.append(FieldProblem(f"{path}.origin.commune", NO_COMMUNE, params))
    return found


def named_photo(body: msgspec.Struct) -> str | None:
    """The photo a body names (``photo``: registered, planted, harvested), if it names one."""
    photo = getattr(body, "photo", None)
    return photo if isinstance(photo, str) else None


def missing_photo(kind: str, photo: str, path: str = "body") -> InvalidBody:
    """The refusal of a new record that names a photo the service does not hold: found where
    the photos are (the append's transaction), worded here with the body's other mistakes."""
    problem = FieldProblem(f"{path}.photo", NO_PHOTO, {"value": photo})
    refused = InvalidBody(f"the {kind} event names an unknown photo", kind=kind, count=1)
    refused.having([problem])
    return refused


def check_content(kind: str, body: msgspec.Struct) -> None:
    """Raise :class:`~trace.domain.errors.InvalidBody` naming each field of a new record's
    ``body`` that holds what it cannot (:func:`content_problems`)."""
    problems = content_problems(body)
    if problems:
        refused = InvalidBody(
            f"{len(problems)} mistakes in the {kind} event", kind=kind, count=len(problems)
        )
        raise refused.having(problems)


def check_request(kind: str, occurred_at: object, body: object, *, now: datetime) -> None:
    """Raise, for an event a person asks the server to sign, one failure naming every
    mistake: its time (form, window, not ahead of ``now``) and every field of its body.

    A lone time outside the window stays a :class:`~trace.domain.times.TimeOutOfRange`;
    anything else is an :class:`~trace.domain.errors.InvalidBody` whose ``problems`` list
    the mistakes. An unknown kind is refused first (:func:`~trace.domain.kinds.decode_body`).
    """
    problems: list[FieldProblem] = []
    refusals: list[DomainError] = []
    try:
        if not isinstance(occurred_at, str):
            raise InvalidStatement("occurred_at is not text", reason="time", field="occurred_at")
        check_new_statement_time(occurred_at, now=now)
    except TimeOutOfRange as exc:
        refusals.append(exc)
        problems.append(FieldProblem("occurred_at", exc.words_for(exc.params), exc.params))
    except InvalidStatement as exc:
        refusals.append(exc)
        problems.append(FieldProblem("occurred_at", NOT_A_TIME))
    try:
        decoded = kinds.decode_body(kind, body)
    except InvalidBody as exc:
        problems.extend(exc.problems)
    else:
        problems.extend(content_problems(decoded))
        for path, value in body_times(decoded):
            try:
                if isinstance(value, datetime):
                    check_instant(value, field=path)
                else:
                    check_day(value, field=path)
            except TimeOutOfRange as exc:
                refusals.append(exc)
                problems.append(FieldProblem(path, exc.words_for(exc.params), exc.params))
    if not problems:
        return
    if len(problems) == 1 and len(refusals) == 1:
        raise refusals[0].having(problems)
    refused = InvalidBody(
        f"{len(problems)} mistakes in the {kind} event", kind=kind, count=len(problems)
    )
    raise refused.having(problems)
