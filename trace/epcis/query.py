"""EPCIS 2.0 event queries: the standard parameters over the "epcis" projection.

``GET /events`` of the REST binding takes the SimpleEventQuery parameters of EPCIS 2.0
section 8.2.7.1 as query-string parameters, several values of one written
``pipe|delimited``. Supported here:

- ``eventType``, ``EQ_action``, ``EQ_bizStep``, ``EQ_disposition``, ``EQ_readPoint``,
  ``EQ_bizLocation``, ``EQ_eventID`` (the Event Hash ID, or the eventID an event was
  captured with);
- ``GE_eventTime``, ``LT_eventTime``, ``GE_recordTime``, ``LT_recordTime``;
- ``MATCH_epc``, ``MATCH_parentID``, ``MATCH_inputEPC``, ``MATCH_outputEPC``,
  ``MATCH_anyEPC``, ``MATCH_epcClass``, ``MATCH_inputEPCClass``, ``MATCH_outputEPCClass``,
  ``MATCH_anyEPCClass``: an EPC URN or a Digital Link matches the same object written either
  way (section 8.2.7.1.1), and a pattern ``urn:epc:idpat:...*`` matches everything under it;
- ``perPage`` (default 30, at most :data:`MAX_PER_PAGE`) and ``nextPageToken``.

Any other parameter is refused (``QueryParameterException``) rather than ignored: an
ignored filter would answer more events than were asked for. Events come in log order;
a page token carries the position reached, so pages stay exact while records are appended.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import msgspec
from sqlalchemy import Boolean, ColumnElement, Select, String, and_, bindparam, or_, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler

from trace.domain.epc import is_pattern
from trace.domain.epcis import TRACE_VOC
from trace.domain.event_hash import EPCIS_PREFIXES, canonical_term, canonical_value
from trace.domain.record import from_us, now_us, to_us
from trace.epcis.errors import InvalidQueryParameter
from trace.epcis.index import BIZ_STEP, DISPOSITION
from trace.epcis.shared_context import shared_context
from trace.store.database import Reads
from trace.store.tables import epcis_events, epcis_identifiers, records

DEFAULT_PER_PAGE = 30
MAX_PER_PAGE = 500
QUERY_NAME = "SimpleEventQuery"
# CURIEs in query values resolve in the context the ledger writes its documents in.
_PREFIXES = {**EPCIS_PREFIXES, "trace": TRACE_VOC}
_MATCH_ROLES: Mapping[str, frozenset[str]] = {
    "MATCH_epc": frozenset({"epc"}),
    "MATCH_parentID": frozenset({"parent"}),
    "MATCH_inputEPC": frozenset({"input_epc"}),
    "MATCH_outputEPC": frozenset({"output_epc"}),
    "MATCH_anyEPC": frozenset({"epc", "parent", "input_epc", "output_epc"}),
    "MATCH_epcClass": frozenset({"class"}),
    "MATCH_inputEPCClass": frozenset({"input_class"}),
    "MATCH_outputEPCClass": frozenset({"output_class"}),
    "MATCH_anyEPCClass": frozenset({"class", "input_class", "output_class"}),
}
_TIMES = {
    "GE_eventTime": (epcis_events.c.event_time_us, True),
    "LT_eventTime": (epcis_events.c.event_time_us, False),
    "GE_recordTime": (epcis_events.c.record_time_us, True),
    "LT_recordTime": (epcis_events.c.record_time_us, False),
}
_PLACES = {"EQ_readPoint": epcis_events.c.read_point, "EQ_bizLocation": epcis_events.c.biz_location}
_ACTIONS = frozenset({"ADD", "OBSERVE", "DELETE"})
_PAGING = frozenset({"perPage", "nextPageToken"})


@dataclass(frozen=True, slots=True)
class EventQuery:
    """A checked query: SQL conditions, page size, and where the page starts."""

    conditions: list[ColumnElement[bool]] = field(default_factory=list)
    per_page: int = DEFAULT_PER_PAGE
    after: int = -1
    # Names the query's filters, so that a page token is not used with another query.
    fingerprint: str = ""


def _refuse(name: str, reason: str) -> InvalidQueryParameter:
    return InvalidQueryParameter(f"{name}: {reason}", field=name, reason=reason)


def _values(name: str, written: Sequence[str]) -> list[str]:
    values = [part.strip() for text in written for part in text.split("|")]
    if not values or any(not value for value in values):
        raise _refuse(name, "needs one or more values, separated by |")
    return values


def _time(name: str, written: Sequence[str]) -> int:
    if len(written) != 1:
        raise _refuse(name, "takes one time")
    # A "+" not percent-encoded in a query string arrives as a space.
    text = written[0].strip().replace(" ", "+").replace("Z", "+00:00").replace("z", "+00:00")
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None:
        raise _refuse(name, "must be a time with a UTC offset, e.g. 2026-09-01T07:00:00+07:00")
    return to_us(moment)


class _StartsWith(ColumnElement[bool]):
    """``column`` begins with ``prefix``, written so that a B-tree index on it serves it.

    A prefix range read from the index needs a comparison by code point, whatever the
    database's collation: PostgreSQL's ``LIKE`` with the index's ``text_pattern_ops``
    (migration 0016), SQLite's case-sensitive ``GLOB`` with its default binary collation.
    The prefix is written into the SQL as a literal, so that the planner sees the range.
    """

    type = Boolean()
    inherit_cache = False  # the prefix is in the SQL text
    _is_implicitly_boolean = True  # a condition, not a value to compare with true

    def __init__(self, column: ColumnElement[str], prefix: str) -> None:
        self.column, self.prefix = column, prefix


@compiles(_StartsWith, "postgresql")
def _like(element: _StartsWith, compiler: SQLCompiler, **kw: Any) -> str:
    escaped = re.sub(r"([\\%_])", r"\\\1", element.prefix)
    pattern = compiler.render_literal_value(escaped + "%", String())
    return f"{compiler.process(element.column, **kw)} LIKE {pattern}"


@compiles(_StartsWith)
def _glob(element: _StartsWith, compiler: SQLCompiler, **kw: Any) -> str:
    escaped = re.sub(r"([*?\[])", r"[\1]", element.prefix)
    pattern = compiler.render_literal_value(escaped + "*", String())
    return f"{compiler.process(element.column, **kw)} GLOB {pattern}"


def _matching(name: str, values: list[str]) -> ColumnElement[bool]:
    """Events with an identifier of the parameter's roles that matches one of ``values``."""
    exact, under = set(), set()
    for value in values:
        canonical = canonical_value(value, _PREFIXES)
        exact.add(canonical)
        if is_pattern(value):
            under.add(canonical + "/")
    column = epcis_identifiers.c.identifier
    alike: list[ColumnElement[bool]] = [column.in_(sorted(exact))]
    alike += [_StartsWith(column, prefix) for prefix in sorted(under)]
    found = select(epcis_identifiers.c.position).where(
        epcis_identifiers.c.role.in_(sorted(_MATCH_ROLES[name])), or_(*alike)
    )
    return epcis_events.c.position.in_(found)


def _condition(name: str, written: Sequence[str]) -> ColumnElement[bool]:
    if name in _TIMES:
        column, lower = _TIMES[name]
        moment = _time(name, written)
        return column >= moment if lower else column < moment
    values = _values(name, written)
    if name in _MATCH_ROLES:
        return _matching(name, values)
    if name == "eventType":
        return epcis_events.c.event_type.in_(values)
    if name == "EQ_action":
        if not set(values) <= _ACTIONS:
            raise _refuse(name, "values are ADD, OBSERVE or DELETE")
        return epcis_events.c.action.in_(values)
    if name == "EQ_bizStep":
        return epcis_events.c.biz_step.in_([canonical_term(BIZ_STEP, v, _PREFIXES) for v in values])
    if name == "EQ_disposition":
        terms = [canonical_term(DISPOSITION, v, _PREFIXES) for v in values]
        return epcis_events.c.disposition.in_(terms)
    if name in ("EQ_readPoint", "EQ_bizLocation"):
        column = (
            epcis_events.c.read_point if name == "EQ_readPoint" else epcis_events.c.biz_location
        )
        return column.in_([canonical_value(v, _PREFIXES) for v in values])
    if name == "EQ_eventID":
        return or_(epcis_events.c.event_id.in_(values), epcis_events.c.captured_id.in_(values))
    raise _refuse(name, "is not a query parameter this ledger supports")


def _fingerprint(params: Mapping[str, Sequence[str]]) -> str:
    filters = sorted((k, list(v)) for k, v in params.items() if k not in _PAGING)
    return hashlib.sha256(msgspec.json.encode(filters)).hexdigest()[:16]


def page_token(query: EventQuery, position: int) -> str:
    """An opaque token for the page after ``position`` of ``query``."""
    raw = msgspec.json.encode([query.fingerprint, position])
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _read_token(token: str, fingerprint: str) -> int:
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        owner, position = msgspec.json.decode(raw, type=tuple[str, int])
    except (binascii.Error, ValueError, msgspec.DecodeError):
        raise _refuse("nextPageToken", "is not a token this ledger gave") from None
    if owner != fingerprint:
        raise _refuse("nextPageToken", "belongs to a query with other parameters")
    return position


def parse_query(params: Mapping[str, Sequence[str]]) -> EventQuery:
    """Check the query-string parameters of ``GET /events``; raise on any not supported."""
    fingerprint = _fingerprint(params)
    conditions = [_condition(n, v) for n, v in params.items() if n not in _PAGING]
    per_page = DEFAULT_PER_PAGE
    if "perPage" in params:
        written = params["perPage"]
        if len(written) != 1 or not written[0].isdigit() or int(written[0]) < 1:
            raise _refuse("perPage", "must be a whole number from 1")
        per_page = min(int(written[0]), MAX_PER_PAGE)
    after = -1
    if "nextPageToken" in params:
        after = _read_token(params["nextPageToken"][-1], fingerprint)
    return EventQuery(conditions, per_page, after, fingerprint)


def _select(query: EventQuery) -> Select[Any]:
    return (
        select(epcis_events.c.position, epcis_events.c.event)
        .where(and_(epcis_events.c.position > query.after, *query.conditions))
        .order_by(epcis_events.c.position)
        .limit(query.per_page + 1)
    )


async def find_events(conn: Reads, query: EventQuery) -> tuple[list[str], int | None]:
    """The page's events as JSON texts, and the position to continue after, if more remain."""
    rows = (await conn.execute(_select(query))).all()
    page = rows[: query.per_page]
    more = len(rows) > query.per_page
    return [row.event for row in page], page[-1].position if more else None


_OF_BATCH = (
    select(records.c.statement, epcis_events.c.event_id, epcis_events.c.event)
    .select_from(records.outerjoin(epcis_events, epcis_events.c.position == records.c.position))
    .where(records.c.batch_id == bindparam("batch"))
    .order_by(records.c.position)
)
_BY_ID = select(epcis_events.c.event_id, epcis_events.c.event).where(
    epcis_events.c.event_id.in_(bindparam("ids", expanding=True)),
    epcis_events.c.declaration.is_(None),
)


class _Kept(msgspec.Struct):
    event_hash: str


class _Body(msgspec.Struct):
    epcis: _Kept | None = None


class _Statement(msgspec.Struct):
    body: _Body


_captured = msgspec.json.Decoder(_Statement)


def _captured_id(statement: bytes) -> str | None:
    """The partner's event a record was captured from, if the index holds it elsewhere."""
    try:
        kept = _captured.decode(statement).body.epcis
    except msgspec.DecodeError:
        return None
    return None if kept is None else kept.event_hash


async def batch_events(conn: Reads, batch_id: str) -> list[str]:
    """Every event of one batch in log order, as JSON texts (the index must have caught up).

    A partner's event that made records on several batches is indexed at the first of them
    (trace/epcis/index.py); the other batches give it too, where their record of it is.
    """
    rows = (await conn.execute(_OF_BATCH, {"batch": batch_id})).all()
    elsewhere = [_captured_id(bytes(row.statement)) if row.event is None else None for row in rows]
    wanted = sorted({found for found in elsewhere if found is not None})
    held: dict[str, str] = {}
    if wanted:
        held = {row.event_id: row.event for row in await conn.execute(_BY_ID, {"ids": wanted})}
    events: list[str] = []
    given: set[str] = set()
    for row, event_id in zip(rows, elsewhere, strict=True):
        if row.event is not None:
            events.append(row.event)
            given.add(row.event_id)
        elif event_id in held and event_id not in given:
            events.append(held[event_id])
            given.add(event_id)
    return events


def batch_document(
    events: Sequence[str], created: str, vocabulary: Sequence[Mapping[str, Any]] = ()
) -> bytes:
    """The ``EPCISDocument`` of one batch's events, as its provenance page serves it, with
    the master data of what they name (``vocabulary``) in its header."""
    context, written = shared_context(events)
    document: dict[str, Any] = {
        "@context": context,
        "type": "EPCISDocument",
        "schemaVersion": "2.0",
        "creationDate": created,
    }
    if vocabulary:
        document["epcisHeader"] = {"epcisMasterData": {"vocabularyList": list(vocabulary)}}
    document["epcisBody"] = {"eventList": written}
    return msgspec.json.encode(document)


def query_document(events: Sequence[str], vocabulary: Sequence[Mapping[str, Any]] = ()) -> bytes:
    """The ``EPCISQueryDocument`` holding ``events`` (JSON texts, used as they are), and the
    master data of what they name (``vocabulary``) in its results."""
    context, written = shared_context(events)
    results: dict[str, Any] = {"eventList": written}
    if vocabulary:
        results["vocabularyList"] = list(vocabulary)
    document = {
        "@context": context,
        "type": "EPCISQueryDocument",
        "schemaVersion": "2.0",
        "creationDate": from_us(now_us()).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        "epcisBody": {
            "queryResults": {
                "queryName": QUERY_NAME,
                "resultsBody": results,
            }
        },
    }
    return msgspec.json.encode(document)
