"""The framework's refusals of a request, each mistake in words a person can act on.

Litestar checks a request's parameters and the envelope of its JSON body (``kind``,
``occurred_at``, ``expected_version``...) against the handler's declaration with msgspec,
and says what is wrong in msgspec's English ("Expected `int`, got `str`"). Each of those
becomes a :class:`~trace.domain.errors.FieldProblem` here, worded with the catalogue's
sentences (trace/domain/validation.py), naming the values to choose from where the
declaration has them; a message this module does not know is said as "not valid", never
passed on.
"""

from __future__ import annotations

import enum
import re
import typing
from collections.abc import Iterator
from typing import Any

import msgspec
import msgspec.inspect as mi
from litestar import Request
from litestar.exceptions import ValidationException
from litestar.types import Empty

from trace.api.edge import body_read
from trace.domain.errors import FieldProblem
from trace.domain.validation import (
    AT_LEAST,
    AT_MOST,
    CHOOSE,
    KINDS_OF_VALUE,
    MISSING,
    NOT_IN_REQUEST,
    NOT_VALID,
    TOO_LONG,
    TOO_SHORT,
    WRONG_FORM,
    WRONG_TYPE,
    choices,
    form_of,
    value_problems,
)

_BODY = "data"  # Litestar's key for the request body itself

# msgspec's words for JSON types, and what a person calls each.
_TYPES = {
    "int": KINDS_OF_VALUE[int],
    "str": KINDS_OF_VALUE[str],
    "bool": KINDS_OF_VALUE[bool],
    "object": KINDS_OF_VALUE[dict],
    "array": KINDS_OF_VALUE[list],
}
_EXPECTED = re.compile(r"^Expected `(?P<type>[a-z]+)(?: \| null)?`, got `[^`]+`$")
_BOUND = re.compile(r"^Expected `int` (?P<op>>=|<=|>|<) (?P<n>-?\d+)$")
_LENGTH = re.compile(r"^Expected `(?:str|array)` of length (?P<op>>=|<=) (?P<n>\d+)$")
_PATTERN = re.compile(r"^Expected `str` matching regex '(?P<pattern>.*)'$")
_MISSING = re.compile(r"^Object missing required field `(?P<name>[^`]+)`$")
_UNKNOWN = re.compile(r"^Object contains unknown field `(?P<name>[^`]+)`$")
_ENUM = re.compile(r"^Invalid enum value")


def validation_problems(
    request: Request[Any, Any, Any], exc: ValidationException
) -> list[FieldProblem]:
    """Each mistake Litestar found in ``request``, worded; one "not valid" at least.

    msgspec stops at the first mistake of a body: where the body was read, it is walked
    against its declaration instead, so that every field that is wrong is named at once.
    """
    items = [item for item in (exc.extra or []) if isinstance(item, dict)]
    parameters = request.route_handler.parsed_fn_signature.parameters
    found: list[FieldProblem] = []
    in_body = False
    for item in items:
        key = str(item.get("key") or "")
        if key == _BODY or key not in parameters:
            in_body = True
        else:
            found.append(_problem(request, key, str(item.get("message") or "")))
    if in_body:
        body = body_read(request)
        declared = _declared(request, _BODY)
        walked = value_problems(declared, body) if body is not Empty and declared else []
        found += walked or [
            _problem(request, str(item.get("key") or ""), str(item.get("message") or ""))
            for item in items
            if str(item.get("key") or "") == _BODY or str(item.get("key")) not in parameters
        ]
    return found or [FieldProblem("", NOT_VALID)]


def _problem(request: Request[Any, Any, Any], key: str, message: str) -> FieldProblem:
    path = "" if key == _BODY else _parameter_name(request, key)
    if matched := _MISSING.match(message):
        return FieldProblem(_join(path, matched["name"]), MISSING)
    if matched := _UNKNOWN.match(message):
        known = tuple((name, "") for name in _body_fields(request))
        return FieldProblem(_join(path, matched["name"]), NOT_IN_REQUEST, {"accepted": known})
    if matched := _EXPECTED.match(message):
        expected = _TYPES.get(matched["type"])
        if expected is not None:
            return FieldProblem(path, WRONG_TYPE, {"expected": expected})
    if matched := _BOUND.match(message):
        n = int(matched["n"])
        if matched["op"] in (">=", ">"):
            return FieldProblem(path, AT_LEAST, {"minimum": n + (matched["op"] == ">")})
        return FieldProblem(path, AT_MOST, {"maximum": n - (matched["op"] == "<")})
    if matched := _LENGTH.match(message):
        n = int(matched["n"])
        if matched["op"] == ">=":
            return FieldProblem(path, TOO_SHORT, {"minimum": n})
        return FieldProblem(path, TOO_LONG, {"maximum": n})
    if matched := _PATTERN.match(message):
        form = form_of(matched["pattern"])
        if form is not None:
            return FieldProblem(path, WRONG_FORM, {"form": form})
    if _ENUM.match(message):
        values = _choice(request, key)
        if values is not None:
            return FieldProblem(path, CHOOSE, {"accepted": choices(values)})
    return FieldProblem(path, NOT_VALID)


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


def _parameter_name(request: Request[Any, Any, Any], key: str) -> str:
    """A parameter as the client names it (``from``, ``Idempotency-Key``), not as Python does;
    a field of the body by its path."""
    field = request.route_handler.parsed_fn_signature.parameters.get(key)
    definition = getattr(field, "kwarg_definition", None)
    alias = getattr(definition, "query", None) or getattr(definition, "header", None)
    return str(alias or key)


def _declared(request: Request[Any, Any, Any], name: str) -> Any:
    field = request.route_handler.parsed_fn_signature.parameters.get(name)
    return getattr(field, "annotation", None)


def _body_fields(request: Request[Any, Any, Any]) -> list[str]:
    """The fields the request's body declares, as the client writes them."""
    for info in _infos(_declared(request, _BODY)):
        if isinstance(info, mi.StructType):
            return [field.encode_name for field in info.fields]
    return []


def _choice(request: Request[Any, Any, Any], key: str) -> type[enum.Enum] | None:
    """The enumeration a parameter or a field of the body takes, if it takes one."""
    declared = _declared(request, key)
    if declared is None:
        for info in _infos(_declared(request, _BODY)):
            if isinstance(info, mi.StructType):
                field = next((f for f in info.fields if f.encode_name == key), None)
                declared = field.type if field is not None else None
                break
    for info in _infos(declared):
        if isinstance(info, mi.EnumType):
            return info.cls
    return None


def _infos(annotation: Any) -> Iterator[mi.Type]:
    """The msgspec view of ``annotation`` and of each member of its union."""
    if annotation is None:
        return
    if isinstance(annotation, mi.Type):
        info = annotation
    else:
        while typing.get_origin(annotation) is typing.Annotated:
            annotation = typing.get_args(annotation)[0]
        try:
            info = mi.type_info(annotation)
        except (TypeError, msgspec.ValidationError):
            return
    if isinstance(info, mi.Metadata):
        info = info.type
    if isinstance(info, mi.UnionType):
        yield from (t.type if isinstance(t, mi.Metadata) else t for t in info.types)
    else:
        yield info
