"""Inspectors search batches (`GET /api/v1/batches`): parameters, answer, and the search.

The route itself is BatchController's (trace/api/batches.py): one controller per path.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

import msgspec
from litestar.params import Parameter

from trace.api.schemas import BatchOut, iso
from trace.domain.errors import DomainError
from trace.domain.identifiers import validate_gtin
from trace.domain.kinds import EventKind, Scheme
from trace.domain.places import VIETNAM, vietnam_today
from trace.domain.record import to_us
from trace.domain.statement import parse_time
from trace.domain.texts import N_
from trace.domain.times import check_day, check_instant
from trace.search.projection import SearchProjection
from trace.search.query import Disposition, Hit, SearchQuery, SortOrder, search
from trace.store.database import read_transaction
from trace.store.ledger import Ledger
from trace.store.projections import catch_up

PROJECTION = SearchProjection()
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_DAY = timedelta(days=1)
_MICROSECOND = timedelta(microseconds=1)


class InvalidSearch(DomainError):
    """A search parameter that cannot be read (a time or date, above all)."""

    code = "invalid_search"
    words = N_(
        "The search parameter {field} cannot be read: '{value}'. Use an RFC "
        "3339 time (2026-09-01T07:00:00+07:00) or a date (2026-09-01), from "
        "1970 to 2199."
    )


class CertificateOut(msgspec.Struct):
    """A certificate valid today."""

    scheme: Scheme
    stars: int | None
    valid_until: str


class SearchHitOut(BatchOut):
    """A batch found: its current state, when it occurred and was recorded, what it carries."""

    occurred_at: str | None
    recorded_at: str | None
    disposition: Disposition | None
    kinds: list[EventKind]
    certificates: list[CertificateOut]
    ocop_stars: int | None

    @classmethod
    def of_hit(cls, hit: Hit) -> SearchHitOut:
        """The view of ``hit``."""
        certificates = [
            CertificateOut(Scheme(c.scheme), c.stars, c.valid_until.isoformat())
            for c in hit.certificates
        ]
        stars = [c.stars for c in hit.certificates if c.scheme == Scheme.OCOP and c.stars]
        return cls(
            **msgspec.structs.asdict(BatchOut.of(hit.batch)),
            occurred_at=iso(hit.occurred_us),
            recorded_at=iso(hit.recorded_us),
            disposition=Disposition(hit.disposition) if hit.disposition else None,
            kinds=[EventKind(kind) for kind in hit.kinds],
            certificates=certificates,
            ocop_stars=max(stars, default=None),
        )


class SearchPageOut(msgspec.Struct):
    """One page of batches; pass ``next_cursor`` as ``cursor`` for the next (None: the end)."""

    batches: list[SearchHitOut]
    sort: SortOrder
    next_cursor: str | None


def _moment(value: str | None, field: str, *, end: bool) -> int | None:
    """µs since the epoch; a date is its first moment in Vietnam (``end``: its last)."""
    if value is None:
        return None
    if _DATE.match(value):
        try:
            day = date.fromisoformat(value)
            check_day(day, field=field)
        except (ValueError, DomainError):
            raise InvalidSearch(f"{field} is not a date", field=field, value=value) from None
        start = datetime(day.year, day.month, day.day) - VIETNAM
        moment = start + _DAY - _MICROSECOND if end else start
        return to_us(moment.replace(tzinfo=UTC))
    try:
        moment = parse_time(value, field=field)
        check_instant(moment, field=field)
    except DomainError:
        raise InvalidSearch(f"{field} is not a time", field=field, value=value) from None
    return to_us(moment)


# How the handler (trace/api/batches.py) declares the search's query parameters.
PRODUCER = Parameter(description="The producer's agency id.")
PRODUCT_WORDS = Parameter(
    description="Product name, with or without diacritics: each word begins a word of the name.",
    max_length=200,
)
GTIN = Parameter(description="GTIN-8, -12, -13 or -14.")
LOT = Parameter(max_length=20)
PROVINCE = Parameter(description="Province code (two digits).", pattern=r"^\d{2}$")
TIME = Parameter(
    description="RFC 3339 time, or a date: the whole day in Vietnam (UTC+7); inclusive."
)
KIND = Parameter(description="Batches with at least one record of this kind.")
DISPOSITION = Parameter(description="Recalled, else the latest inspection's result.")
STARS = Parameter(ge=3, le=5, description="OCOP: at least this many stars, valid today.")
CERTIFICATION = Parameter(description="A certificate of this scheme valid today.")
CURSOR = Parameter(description="next_cursor of the previous page.")
LIMIT = Parameter(ge=1, le=200)


async def search_batches(
    ledger: Ledger,
    *,
    producer: str | None,
    q: str | None,
    gtin: str | None,
    lot: str | None,
    province: str | None,
    occurred_from: str | None,
    occurred_to: str | None,
    recorded_from: str | None,
    recorded_to: str | None,
    kind: EventKind | None,
    disposition: Disposition | None,
    ocop_stars: int | None,
    certification: Scheme | None,
    sort: SortOrder,
    cursor: str | None,
    limit: int,
) -> SearchPageOut:
    """The page the parameters ask for, with every record committed before the query."""
    query = SearchQuery(
        producer=producer,
        q=q,
        gtin=validate_gtin(gtin) if gtin else None,
        lot=lot,
        province=province,
        occurred_from=_moment(occurred_from, "occurred_from", end=False),
        occurred_to=_moment(occurred_to, "occurred_to", end=True),
        recorded_from=_moment(recorded_from, "recorded_from", end=False),
        recorded_to=_moment(recorded_to, "recorded_to", end=True),
        kind=kind,
        disposition=disposition,
        ocop_stars=ocop_stars,
        certification=certification,
        sort=sort,
    )
    await catch_up(ledger, PROJECTION)  # on the primary; a replica answers with what it replayed
    async with read_transaction(ledger.reader()) as conn:
        page = await search(conn, query, cursor=cursor, limit=limit, today=vietnam_today())
    return SearchPageOut([SearchHitOut.of_hit(hit) for hit in page.hits], sort, page.cursor)
