"""Searching batches: filters, sort orders and keyset pages over the "search" projection.

Every filter narrows the batches by what the projection holds; they combine with AND. The
product query ``q`` is folded like the names it is compared with (trace/domain/folding.py),
and each of its words must begin a word of the product's name: "buoi dien" and "bưởi
diễn" both find "Bưởi Diễn Phú Thượng". PostgreSQL answers that from a GIN full-text index
on the folded name, SQLite from the table of its words. Certificates count while valid on
``today`` (in Vietnam) and not corrected.

A page is read from the projection alone, in the order of an index where the sort has one,
with its sort key and position as a keyset (trace/search/cursor.py); the batches' current
state is read for the rows of the page only.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import date
from enum import StrEnum
from typing import Any

from sqlalchemy import ColumnElement, and_, exists, func, literal, literal_column, select, tuple_
from sqlalchemy.ext.asyncio import AsyncConnection

from trace.domain.folding import words
from trace.domain.kinds import EventKind, InspectionResult, Scheme
from trace.search.cursor import SortKey, decode_cursor, encode_cursor, fingerprint
from trace.search.projection import FULL_TEXT_CONFIG, RECALLED, WORD_LENGTH
from trace.store.batches import Batch, to_batch
from trace.store.database import is_sqlite
from trace.store.tables import (
    batch_search,
    batch_search_facts,
    batch_search_kinds,
    batch_search_words,
    batches,
)

MAX_WORDS = 8
_S = batch_search.c
_F = batch_search_facts.c


class Disposition(StrEnum):
    """Where a batch stands: its latest inspection's result, or recalled."""

    CONFORMANT = InspectionResult.CONFORMANT.value
    NON_CONFORMANT = InspectionResult.NON_CONFORMANT.value
    RECALLED = RECALLED


class SortOrder(StrEnum):
    """The orders a search can be read in; a leading "-" reverses one."""

    RECORDED = "recorded"
    RECORDED_DESC = "-recorded"
    OCCURRED = "occurred"
    OCCURRED_DESC = "-occurred"
    PRODUCT = "product"
    PRODUCT_DESC = "-product"


# Sort order -> the column holding its key, and that key's type in a cursor.
_SORT_COLUMNS: dict[str, tuple[Any, type[int] | type[str]]] = {
    "recorded": (_S.recorded_us, int),
    "occurred": (_S.occurred_us, int),
    "product": (_S.product_key, str),
}


@dataclass(frozen=True)
class SearchQuery:
    """What an inspector looks for: every field set is a filter; times in µs, inclusive."""

    producer: str | None = None
    q: str | None = None
    gtin: str | None = None
    lot: str | None = None
    province: str | None = None
    occurred_from: int | None = None
    occurred_to: int | None = None
    recorded_from: int | None = None
    recorded_to: int | None = None
    kind: EventKind | None = None
    disposition: Disposition | None = None
    ocop_stars: int | None = None
    certification: Scheme | None = None
    sort: SortOrder = SortOrder.RECORDED_DESC

    def fingerprint(self) -> bytes:
        """The identity of the query a cursor belongs to."""
        return fingerprint(sorted((name, value) for name, value in asdict(self).items()))


@dataclass(frozen=True)
class Certificate:
    """A certificate valid today: its scheme, OCOP stars, last day of validity."""

    scheme: str
    stars: int | None
    valid_until: date


@dataclass(frozen=True)
class Hit:
    """A batch found: its current state and what the search knows of it."""

    batch: Batch
    occurred_us: int
    recorded_us: int
    disposition: str | None
    kinds: tuple[str, ...]
    certificates: tuple[Certificate, ...]


@dataclass(frozen=True)
class SearchPage:
    """One page of hits in the query's order; ``cursor`` continues it (None on the last)."""

    hits: list[Hit]
    cursor: str | None


async def search(
    conn: AsyncConnection,
    query: SearchQuery,
    *,
    cursor: str | None = None,
    limit: int = 50,
    today: date,
) -> SearchPage:
    """The page of batches matching ``query`` after ``cursor`` (:class:`BadCursor` if not ours)."""
    column, key_type = _SORT_COLUMNS[query.sort.removeprefix("-")]
    descending = query.sort.startswith("-")
    statement = select(
        _S.position, _S.batch_id, _S.occurred_us, _S.recorded_us, _S.product_key, _S.disposition
    ).where(*_filters(query, today, postgresql=not is_sqlite(conn.engine)))
    if cursor is not None:
        key, position = decode_cursor(cursor, query.fingerprint(), key_type)
        after = tuple_(column, _S.position)
        start = tuple_(literal(key, column.type), literal(position, _S.position.type))
        statement = statement.where(after < start if descending else after > start)
    order = (column.desc(), _S.position.desc()) if descending else (column, _S.position)
    rows = (await conn.execute(statement.order_by(*order).limit(limit + 1))).all()
    more, rows = len(rows) > limit, rows[:limit]
    # The batches' current state only for the rows of the page, once it is known.
    positions = [row.position for row in rows]
    states = await _states(conn, [row.batch_id for row in rows])
    kinds, certificates = await _extras(conn, positions, today)
    hits = [
        Hit(
            states[row.batch_id],
            row.occurred_us,
            row.recorded_us,
            row.disposition,
            tuple(sorted(kinds.get(row.position, ()))),
            tuple(certificates.get(row.position, ())),
        )
        for row in rows
    ]
    following = None
    if more and rows:
        last = rows[-1]
        key_of_last: SortKey = getattr(last, column.key)
        following = encode_cursor(query.fingerprint(), key_of_last, last.position)
    return SearchPage(hits, following)


async def _states(conn: AsyncConnection, batch_ids: Sequence[str]) -> dict[str, Batch]:
    if not batch_ids:
        return {}
    rows = await conn.execute(select(batches).where(batches.c.id.in_(batch_ids)))
    return {row.id: to_batch(row) for row in rows}


def _filters(query: SearchQuery, today: date, *, postgresql: bool) -> list[ColumnElement[bool]]:
    found: list[ColumnElement[bool]] = []
    for column, value in (
        (_S.producer_id, query.producer),
        (_S.gtin, query.gtin),
        (_S.lot, query.lot),
        (_S.province, query.province),
        (_S.disposition, query.disposition.value if query.disposition else None),
    ):
        if value is not None:
            found.append(column == value)
    for column, low, high in (
        (_S.occurred_us, query.occurred_from, query.occurred_to),
        (_S.recorded_us, query.recorded_from, query.recorded_to),
    ):
        if low is not None:
            found.append(column >= low)
        if high is not None:
            found.append(column <= high)
    typed = words(query.q or "")[:MAX_WORDS]
    if typed:
        found.append(_full_text(typed) if postgresql else _word_table(typed))
    if query.kind is not None:
        kinds = batch_search_kinds.c
        found.append(_S.position.in_(select(kinds.position).where(kinds.kind == query.kind.value)))
    if query.certification is not None:
        found.append(_valid_certificate(today, _F.scheme == query.certification.value))
    if query.ocop_stars is not None:
        found.append(
            _valid_certificate(
                today, and_(_F.scheme == Scheme.OCOP.value, _F.stars >= query.ocop_stars)
            )
        )
    return found


def _full_text(typed: Sequence[str]) -> ColumnElement[bool]:
    """PostgreSQL: every typed word begins a lexeme of the folded name (its GIN index)."""
    # Folded words hold letters and digits only: nothing in them is tsquery syntax.
    prefixes = " & ".join(f"'{word}':*" for word in typed)
    # The configuration is written into the SQL, not bound: only then does the expression
    # match the index's (a bound one would be a parameter in a generic plan).
    config: ColumnElement[str] = literal_column(f"'{FULL_TEXT_CONFIG}'")
    document = func.to_tsvector(config, _S.product_key)
    return document.op("@@")(func.to_tsquery(config, prefixes))


def _word_table(typed: Sequence[str]) -> ColumnElement[bool]:
    """SQLite: every typed word begins a word in batch_search_words (a range of its key)."""
    table = batch_search_words.c
    found = []
    for word in typed:
        low = word[:WORD_LENGTH]
        high = low[:-1] + chr(ord(low[-1]) + 1)
        found.append(
            _S.position.in_(select(table.position).where(table.word >= low, table.word < high))
        )
    return and_(*found)


def _valid_certificate(today: date, which: ColumnElement[bool]) -> ColumnElement[bool]:
    return exists().where(
        _F.position == _S.position,
        _F.kind == EventKind.CERTIFIED.value,
        _F.corrected.is_(False),
        _F.valid_from <= today,
        _F.valid_until >= today,
        which,
    )


async def _extras(
    conn: AsyncConnection, positions: Sequence[int], today: date
) -> tuple[dict[int, list[str]], dict[int, list[Certificate]]]:
    """The kinds and the certificates valid ``today`` of the batches at ``positions``."""
    kinds: dict[int, list[str]] = {}
    certificates: dict[int, list[Certificate]] = {}
    if not positions:
        return kinds, certificates
    for row in await conn.execute(
        select(batch_search_kinds.c.position, batch_search_kinds.c.kind).where(
            batch_search_kinds.c.position.in_(positions)
        )
    ):
        kinds.setdefault(row.position, []).append(row.kind)
    for found in await conn.execute(
        select(_F.position, _F.scheme, _F.stars, _F.valid_until)
        .where(
            _F.position.in_(positions),
            _F.kind == EventKind.CERTIFIED.value,
            _F.corrected.is_(False),
            _F.valid_from <= today,
            _F.valid_until >= today,
        )
        .order_by(_F.record_position)
    ):
        certificates.setdefault(found.position, []).append(
            Certificate(found.scheme, found.stars, found.valid_until)
        )
    return kinds, certificates
