"""An event's body as a producer types it on the command line, checked as the service checks it.

Options such as ``--quantity 1200.5 --unit KGM`` fill fields of the kind's body
(trace/domain/kinds.py); ``--body`` (JSON text, or ``@file``) gives any other field. Before
anything is sent, :func:`check_locally` runs the service's own checks of an event that need
no database, in the service's order (the edge in trace/api/edge.py, then
trace/store/append.py: every field of the kind's body and its time, the GTIN's check digit
and the codes of places, then the canonical form), so a mistake is refused with the service's
message and no round trip. What only the service knows (who may record what on which batch,
a lot already registered, the batch's version) it still decides.
"""

from __future__ import annotations

import argparse
import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timezone
from pathlib import Path
from typing import Any

import msgspec.inspect as mi

from trace.api.edge import MalformedRequest
from trace.cli.writes import Hint, InvalidInput
from trace.domain.canonical import canonical_bytes
from trace.domain.errors import DomainError
from trace.domain.json_text import (
    MAX_DEPTH,
    describe_character,
    misplaced_character,
    nesting_depth,
)
from trace.domain.kinds import BODY_TYPES, EventKind
from trace.domain.places import VIETNAM
from trace.domain.quantity import Unit
from trace.domain.texts import N_
from trace.domain.validation import MISSING, check_request

FieldPath = tuple[str, ...]


@dataclass(frozen=True)
class Option:
    """A command-line option that fills one field of a body, for each kind it names."""

    flag: str
    fields: Mapping[str, FieldPath]  # kind -> the field's path in that kind's body
    help: str
    convert: Callable[[str], object] = str
    switch: bool = False  # a flag without a value, meaning true

    @property
    def dest(self) -> str:
        """The option's attribute on the parsed arguments."""
        return self.flag[2:].replace("-", "_")


def _integer(text: str) -> object:
    # Not an integer: sent as typed, so the body's check refuses it in the service's words.
    try:
        return int(text)
    except ValueError:
        return text


def _standards(text: str) -> object:
    # Standard names hold commas and spaces ("TCVN 11041-2:2017, phần 2"), never a semicolon.
    return [name.strip() for name in text.split(";") if name.strip()]


def _each(kinds: Sequence[EventKind], *path: str) -> dict[str, FieldPath]:
    return {kind.value: path for kind in kinds}


_UNITS = ", ".join(unit.value for unit in Unit)
_REGISTERED = (EventKind.REGISTERED,)
# Where an event's amount of goods goes: the goods it moves, or what a process made.
_QUANTITY = {
    **_each((EventKind.HARVESTED, EventKind.PACKED), "quantity"),
    **_each((EventKind.SHIPPED, EventKind.RECEIVED, EventKind.SOLD), "quantity"),
    **_each((EventKind.PROCESSED, EventKind.TRANSFORMED), "output_quantity"),
    **_each((EventKind.WITHDRAWN,), "quantity"),
}
_NOTE = (
    EventKind.PLANTED,
    EventKind.INPUT_APPLIED,
    EventKind.HARVESTED,
    EventKind.PROCESSED,
    EventKind.PACKED,
    EventKind.CORRECTED,
    EventKind.RECALL_NOTIFIED,
    EventKind.WITHDRAWN,
    EventKind.RECALL_CLOSED,
)

REGISTRATION = (
    Option("--product", _each(_REGISTERED, "product"), "tên sản phẩm / the product's name"),
    Option("--lot", _each(_REGISTERED, "lot"), "số lô (GS1 AI 10) / the lot (GS1 AI 10)"),
    Option(
        "--province",
        _each(_REGISTERED, "origin", "province"),
        "mã tỉnh, 2 chữ số / the province's code, 2 digits",
    ),
    Option(
        "--commune",
        _each(_REGISTERED, "origin", "commune"),
        "mã xã, 5 chữ số / the commune's code, 5 digits",
    ),
    Option("--gtin", _each(_REGISTERED, "gtin"), "GTIN-8, -12, -13, -14 (Việt Nam: 893…)"),
    Option(
        "--quantity",
        _each(_REGISTERED, "quantity", "value"),
        "số lượng, dấu chấm thập phân / the quantity, with a decimal point: 1200.5",
    ),
    Option("--unit", _each(_REGISTERED, "quantity", "unit"), f"đơn vị / unit: {_UNITS}"),
    Option("--category", _each(_REGISTERED, "category"), "loại sản phẩm / product category"),
    Option("--area", _each(_REGISTERED, "area"), "mã vùng trồng / growing area's code"),
    Option("--production-date", _each(_REGISTERED, "production_date"), "YYYY-MM-DD"),
    Option("--expiry-date", _each(_REGISTERED, "expiry_date"), "YYYY-MM-DD"),
    Option("--brand", _each(_REGISTERED, "brand"), "nhãn hiệu / brand or trademark"),
    Option(
        "--pack-size",
        _each(_REGISTERED, "pack_size", "value"),
        "định lượng một gói / net quantity of one pack: 1.5 (tem in số này / labels print it)",
    ),
    Option("--pack-unit", _each(_REGISTERED, "pack_size", "unit"), f"đơn vị / unit: {_UNITS}"),
    Option(
        "--standards",
        _each(_REGISTERED, "standards"),
        "tiêu chuẩn áp dụng, cách nhau bởi ; / standards applied, separated by ;: "
        "'VietGAP;TCVN 11041-2:2017'",
        convert=_standards,
    ),
    Option("--storage", _each(_REGISTERED, "storage"), "điều kiện bảo quản / storage conditions"),
)

EVENT = (
    Option(
        "--quantity",
        {kind: (*path, "value") for kind, path in _QUANTITY.items()},
        "số lượng / the quantity: 1200.5 (" + ", ".join(_QUANTITY) + ")",
    ),
    Option(
        "--unit",
        {kind: (*path, "unit") for kind, path in _QUANTITY.items()},
        f"đơn vị / unit: {_UNITS}",
    ),
    Option(
        "--area",
        _each((EventKind.PLANTED, EventKind.HARVESTED), "area"),
        "mã vùng trồng / growing area's code (planted, harvested)",
    ),
    Option("--note", _each(_NOTE, "note"), "ghi chú / a note"),
    Option(
        "--to",
        _each((EventKind.SHIPPED, EventKind.SOLD), "to"),
        "id đơn vị nhận hàng / the receiving agency's id (shipped, sold)",
    ),
    Option(
        "--from",
        _each((EventKind.RECEIVED,), "from"),
        "id đơn vị gửi hàng / the sending agency's id (received)",
    ),
    Option(
        "--destination",
        _each((EventKind.SHIPPED,), "destination"),
        "nơi đến / destination (shipped)",
    ),
    Option(
        "--package-type",
        _each((EventKind.PACKED,), "package_type"),
        "kiểu bao gói / package type (packed)",
    ),
    Option(
        "--count",
        _each((EventKind.PACKED,), "count"),
        "số kiện / number of packages (packed)",
        convert=_integer,
    ),
    Option(
        "--process",
        _each((EventKind.PROCESSED, EventKind.TRANSFORMED), "process"),
        "cách sơ chế, chế biến / the process (processed, transformed)",
    ),
    Option("--crop", _each((EventKind.PLANTED,), "crop"), "cây trồng / the crop (planted)"),
    Option("--variety", _each((EventKind.PLANTED,), "variety"), "giống / variety (planted)"),
    Option(
        "--last",
        _each((EventKind.SOLD,), "last"),
        "lần bán cuối, hết lô / the sale that empties the batch (sold)",
        switch=True,
    ),
)


def add_body_options(parser: argparse.ArgumentParser, options: Sequence[Option]) -> None:
    """``--occurred-at``, ``--body`` and ``options``."""
    parser.add_argument(
        "--occurred-at",
        metavar="RFC3339",
        help="thời điểm xảy ra / when it happened: 2026-09-01T07:30:00+07:00 "
        "(mặc định: bây giờ, giờ Việt Nam / default: now, Vietnam's time)",
    )
    parser.add_argument(
        "--body",
        metavar="JSON|@FILE",
        help="các trường khác, JSON hoặc @tệp / any other fields, JSON or @file",
    )
    for option in options:
        if option.switch:
            parser.add_argument(option.flag, action="store_const", const=True, help=option.help)
        else:
            parser.add_argument(option.flag, help=option.help)


def vietnam_now() -> str:
    """Now, to the second, in Vietnam's time zone (RFC 3339)."""
    return datetime.now(UTC).astimezone(timezone(VIETNAM)).isoformat(timespec="seconds")


def read_body(text: str | None) -> dict[str, Any]:
    """``--body``: a JSON object given as text or as ``@file`` (none: an empty object)."""
    if text is None:
        return {}
    if text.startswith("@"):
        path = Path(text[1:])
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            reason = getattr(exc, "strerror", None) or exc
            raise InvalidInput(
                N_(
                    "Cannot read {path} for --body ({reason}). Check the path, "
                    "and that the file is UTF-8 text."
                ),
                path=path,
                reason=reason,
            ) from None
    if nesting_depth(text) > MAX_DEPTH:
        raise InvalidInput(MalformedRequest.variants["too_deep"], limit=MAX_DEPTH)
    try:
        value = json.loads(text, object_pairs_hook=_unique, parse_constant=_not_a_number)
    except ValueError as exc:
        raise InvalidInput(
            N_(
                "--body is not valid JSON ({reason}). Give a JSON object, "
                'for example {{"note": "Picked in the morning"}}, or '
                "@file.json."
            ),
            reason=exc,
        ) from None
    if not isinstance(value, dict):
        raise InvalidInput(
            N_("--body must be a JSON object {{...}} of the event's fields, not {found}."),
            found=type(value).__name__,
        )
    return value


def _unique(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    # As the service's edge: a name given twice in one object is refused, not overwritten.
    members = dict(pairs)
    if len(members) != len(pairs):
        names = [name for name, _ in pairs]
        twice = next(name for name in names if names.count(name) > 1)
        raise InvalidInput(MalformedRequest.variants["duplicate_key"], key=twice)
    return members


def _not_a_number(name: str) -> object:
    raise ValueError(f"{name} is not a JSON number")


def fill(
    kind: str, body: dict[str, Any], options: Sequence[Option], args: argparse.Namespace
) -> dict[str, Any]:
    """``body`` with the field of each option given (an option and ``--body`` never both)."""
    for option in options:
        value = getattr(args, option.dest)
        if value is None:
            continue
        path = option.fields.get(kind)
        if path is None:
            kinds = ", ".join(option.fields)
            raise InvalidInput(
                N_(
                    "{option} does not apply to '{kind}' events (only to: "
                    "{kinds}). Leave it out, or give the field in --body."
                ),
                option=option.flag,
                kind=kind,
                kinds=kinds,
            )
        _place(body, path, value if option.switch else option.convert(value), option.flag)
    return body


def _place(body: dict[str, Any], path: FieldPath, value: object, flag: str) -> None:
    *parents, name = path
    node = body
    for part in parents:
        child = node.setdefault(part, {})
        if not isinstance(child, dict):
            raise InvalidInput(
                N_("The field {field} is given twice: in --body and with {option}. Give it once."),
                field=_dotted(path),
                option=flag,
            )
        node = child
    if name in node:
        raise InvalidInput(
            N_("The field {field} is given twice: in --body and with {option}. Give it once."),
            field=_dotted(path),
            option=flag,
        )
    node[name] = value


def check_locally(kind: str, occurred_at: str, body: dict[str, Any], *, now: datetime) -> None:
    """Raise what the service would raise for this event, before the database has a say.

    :class:`InvalidInput` for what the edge refuses (a forbidden character), else the
    domain's own :class:`DomainError` (every mistake of the time and body at once, as
    :func:`~trace.domain.validation.check_request` finds them, the GTIN's check digit
    and the codes of places among them; not canonical).
    """
    misplaced = misplaced_character({"occurred_at": occurred_at, "body": body})
    if misplaced is not None:
        field, character = misplaced
        shown = describe_character(character)
        raise InvalidInput(
            MalformedRequest.variants["forbidden_character"], field=field, character=shown
        )
    check_request(kind, occurred_at, body, now=now)
    canonical_bytes(body)  # oversized integers, refused as when the server signs


_STEP = re.compile(r"\.([^.\[]+)|\[(\d+)\]")


def hints(kind: str, exc: DomainError, options: Sequence[Option]) -> list[Hint]:
    """What to add to the service's message: the options that give a missing field, how to
    write a number."""
    if exc.code == "not_canonical" and exc.params.get("reason") == "float":
        return [
            (
                N_(
                    "Quantities and measurements are written as decimal strings "
                    'with a point: "value": "1200.5", not 1200.5.'
                ),
                {},
            )
        ]
    found: list[Hint] = []
    for problem in exc.problems:
        if problem.words != MISSING or not problem.path.startswith("body."):
            continue
        path = tuple(a or b for a, b in _STEP.findall(problem.path.removeprefix("body")))
        # The options that give the missing field, or the required fields within it.
        for option in options:
            given = option.fields.get(kind)
            if given is None or given[: len(path)] != path:
                continue
            steps = _walk(kind, given)
            if steps is not None and all(f is None or f.required for f in steps[0][len(path) :]):
                found.append(
                    (
                        N_("Give the field {field} with {option}."),
                        {"field": _dotted(given), "option": option.flag},
                    )
                )
    return found


def _walk(kind: str, path: FieldPath) -> tuple[list[mi.Field | None], mi.Type | None] | None:
    """The field each step of ``path`` names in the body of ``kind`` (None for a list's
    item) and the type at its end; None when the body has no such path."""
    node: mi.Type | None = mi.type_info(BODY_TYPES[EventKind(kind)])
    fields: list[mi.Field | None] = []
    for step in path:
        node = _plain(node)
        if isinstance(node, mi.StructType):
            field = next((f for f in node.fields if f.encode_name == step), None)
            if field is None:
                return None
            fields.append(field)
            node = field.type
        elif isinstance(node, (mi.ListType, mi.VarTupleType)) and step.isdigit():
            fields.append(None)
            node = node.item_type
        else:
            return None
    return fields, _plain(node)


def _plain(node: mi.Type | None) -> mi.Type | None:
    """The type itself: without its constraints, and without ``| None``."""
    while True:
        if isinstance(node, mi.Metadata):
            node = node.type
        elif isinstance(node, mi.UnionType):
            others = [t for t in node.types if not isinstance(t, mi.NoneType)]
            if len(others) != 1:
                return node
            node = others[0]
        else:
            return node


def _dotted(path: FieldPath) -> str:
    return "".join(f"[{step}]" if step.isdigit() else f".{step}" for step in path).lstrip(".")
