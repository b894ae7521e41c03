"""Shoppers' reports (trace/domain/reports.py): kept for two readers, limited per client.

A report is read by the authority of the batch's province (a token of that authority with
the ``inspect`` scope) and by the batch's producer (any token of it); no one else, the
operator included, reads it, and nothing of it is published, exported or written to the
log. Reports are numbered 1, 2, 3... in commit order, drawn under the table's write lock as
the inspectors' audit trail does (trace/store/audit_trail.py), so a reader paging with
``after`` never skips one that committed late.

A client (the keyed, daily-rotating hash of trace/public/scans.py) may send
:data:`PER_CLIENT_PER_HOUR` reports an hour, and a batch takes :data:`PER_BATCH_PER_DAY`
reports a day from everyone: enough for every real shopper, too few to bury the readers.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from sqlalchemy import ColumnElement, false, func, or_, select, text
from sqlalchemy.ext.asyncio import AsyncConnection

from trace.domain.agency import AgencyKind
from trace.domain.errors import DomainError
from trace.domain.record import now_us
from trace.domain.report_photo import CleanPhoto
from trace.domain.report_states import ReportState
from trace.domain.reports import ReportDraft, ReportProblem
from trace.domain.scopes import Scope
from trace.domain.texts import N_
from trace.notify.outbox import queue_report
from trace.store.agencies import Actor, get_agency
from trace.store.batches import Batch
from trace.store.database import is_sqlite, read_transaction, write_transaction
from trace.store.errors import NotFound
from trace.store.ledger import Ledger
from trace.store.tables import agencies, batches, shopper_reports

MAX_PAGE = 200
PER_CLIENT_PER_HOUR = 3
PER_BATCH_PER_DAY = 30
_HOUR_US = 3600 * 1_000_000
_DAY_US = 24 * _HOUR_US


class TooManyReports(DomainError):
    """A client sent its reports for the hour, or a batch took its reports for the day."""

    code = "too_many_reports"
    words = N_("Too many reports: try again in {minutes} minutes.")
    variants = MappingProxyType(
        {
            "client": N_(
                "You have sent {limit} reports in the last hour, the most this service takes "
                "from one phone. Try again in {minutes} minutes; the reports you sent are "
                "kept."
            ),
            "batch": N_(
                "This product has had {limit} reports today, the most it takes in a day: the "
                "authority already has many reports of it. Try again in {minutes} minutes, or "
                "call the provincial agri-food quality authority."
            ),
        }
    )

    def __init__(self, detail: str, *, reason: str, limit: int, minutes: int) -> None:
        super().__init__(detail, reason=reason, limit=limit, minutes=minutes)
        self.minutes = minutes


@dataclass(frozen=True, slots=True)
class ReportPhoto:
    """The size and type of a report's photo (its bytes are read apart)."""

    media_type: str
    width: int
    height: int


@dataclass(frozen=True, slots=True)
class ShopperReport:
    """A report as its readers see it: the batch, what is wrong, the shopper's words."""

    id: int
    at_us: int
    batch_id: str
    batch_code: str
    product: str
    province: str | None
    producer_id: str
    problem: ReportProblem
    text: str
    contact: str | None
    photo: ReportPhoto | None
    # Where its readers have got with it (trace/domain/report_states.py): the last change,
    # when, by which agency (its name) and why; the `inspected` record it turned into.
    state: ReportState = ReportState.NEW
    state_changed_at_us: int | None = None
    state_changed_by: str | None = None
    state_changed_by_name: str | None = None
    state_note: str | None = None
    inspection: int | None = None


@dataclass(frozen=True, slots=True)
class Receipt:
    """What the shopper is told once a report is kept: its number and who reads it."""

    id: int
    province: str | None
    producer_id: str


@dataclass(frozen=True, slots=True)
class Addressees:
    """Who reads the reports of a batch, as the shopper is told: the authority of its
    province (None when none is registered) and its producer (None for a household, a
    person whose name the pages do not show)."""

    province: str | None
    authority: str | None
    producer: str | None


async def addressees(conn: AsyncConnection, batch: Batch) -> Addressees:
    """Who reads the reports of ``batch``."""
    authority = None
    if batch.province:
        authority = (
            await conn.execute(
                select(agencies.c.name)
                .where(
                    agencies.c.kind == AgencyKind.AUTHORITY.value,
                    agencies.c.province == batch.province,
                )
                .order_by(agencies.c.created_at_us)
                .limit(1)
            )
        ).scalar()
    producer = await get_agency(conn, batch.producer_id)
    return Addressees(batch.province, authority, None if producer.household else producer.name)


async def file_report(
    ledger: Ledger,
    batch: Batch,
    draft: ReportDraft,
    photo: CleanPhoto | None,
    *,
    day: str,
    client: bytes,
) -> Receipt:
    """Keep ``draft`` (and ``photo``) about ``batch`` from ``client`` (its hash of ``day``).

    Raises :class:`TooManyReports` when the client or the batch has had its share.
    """
    async with write_transaction(ledger.engine) as conn:
        await _lock(conn)
        now = now_us()
        await _within_limits(conn, batch.id, client, now)
        last = (await conn.execute(select(func.max(shopper_reports.c.id)))).scalar()
        number = int(last or 0) + 1
        await conn.execute(
            shopper_reports.insert().values(
                id=number,
                batch_id=batch.id,
                province=batch.province,
                producer_id=batch.producer_id,
                problem=draft.problem.value,
                text=draft.text,
                contact=draft.contact,
                photo=None if photo is None else photo.data,
                photo_type=None if photo is None else photo.media_type,
                photo_width=None if photo is None else photo.width,
                photo_height=None if photo is None else photo.height,
                day=day,
                client=client,
                created_at_us=now,
            )
        )
        await queue_report(conn, number, batch, draft.problem.value, now)
    return Receipt(number, batch.province, batch.producer_id)


async def _within_limits(conn: AsyncConnection, batch_id: str, client: bytes, now: int) -> None:
    """Raise :class:`TooManyReports` if ``client`` or the batch has had its share."""
    theirs = await _recent(conn, shopper_reports.c.client == client, now - _HOUR_US)
    if len(theirs) >= PER_CLIENT_PER_HOUR:
        wait = theirs[-PER_CLIENT_PER_HOUR] + _HOUR_US - now
        raise TooManyReports(
            "the client sent its reports for the hour",
            reason="client",
            limit=PER_CLIENT_PER_HOUR,
            minutes=_minutes(wait),
        )
    its = await _recent(conn, shopper_reports.c.batch_id == batch_id, now - _DAY_US)
    if len(its) >= PER_BATCH_PER_DAY:
        wait = its[-PER_BATCH_PER_DAY] + _DAY_US - now
        raise TooManyReports(
            "the batch had its reports for the day",
            reason="batch",
            limit=PER_BATCH_PER_DAY,
            minutes=_minutes(wait),
        )


async def _recent(conn: AsyncConnection, which: ColumnElement[bool], since: int) -> list[int]:
    """When the reports ``which`` selects were made after ``since``, oldest first."""
    rows = await conn.execute(
        select(shopper_reports.c.created_at_us)
        .where(which, shopper_reports.c.created_at_us > since)
        .order_by(shopper_reports.c.created_at_us)
    )
    return [int(at) for at in rows.scalars()]


def _minutes(micros: int) -> int:
    return max(1, math.ceil(micros / 60_000_000))


async def read_reports(
    ledger: Ledger,
    actor: Actor,
    *,
    after: int = 0,
    limit: int = 100,
    state: ReportState | None = None,
) -> list[ShopperReport]:
    """The reports ``actor`` may read numbered above ``after``, oldest first, at most
    ``limit`` (up to :data:`MAX_PAGE`); only those in ``state`` if it is given."""
    async with read_transaction(ledger.engine) as conn:
        readable = await _readable(conn, actor)
        query = _REPORTS.where(readable, shopper_reports.c.id > after)
        if state is not None:
            query = query.where(shopper_reports.c.state == state.value)
        rows = (
            await conn.execute(query.order_by(shopper_reports.c.id).limit(min(limit, MAX_PAGE)))
        ).all()
    return [_report(row) for row in rows]


async def read_report(conn: AsyncConnection, actor: Actor, number: int) -> ShopperReport:
    """Report ``number`` if ``actor`` may read it; :class:`NotFound` otherwise, as if it did
    not exist."""
    readable = await _readable(conn, actor)
    row = (await conn.execute(_REPORTS.where(readable, shopper_reports.c.id == number))).first()
    if row is None:
        raise NotFound(f"no report {number}", what="report", id=str(number))
    return _report(row)


async def read_report_photo(ledger: Ledger, actor: Actor, number: int) -> tuple[str, bytes]:
    """The media type and bytes of report ``number``'s photo, if ``actor`` may read it.

    :class:`NotFound` for a report without a photo and for one the actor may not read
    alike, so a stranger learns nothing of which reports exist.
    """
    async with read_transaction(ledger.engine) as conn:
        readable = await _readable(conn, actor)
        row = (
            await conn.execute(
                select(shopper_reports.c.photo_type, shopper_reports.c.photo).where(
                    readable,
                    shopper_reports.c.id == number,
                    shopper_reports.c.photo.is_not(None),
                )
            )
        ).first()
    if row is None:
        raise NotFound(f"no report photo {number}", what="report_photo", id=str(number))
    return row.photo_type, bytes(row.photo)


async def _readable(conn: AsyncConnection, actor: Actor) -> ColumnElement[bool]:
    """Which reports ``actor`` may read: its own batches', and, for an authority's
    inspector, those of the batches of its province."""
    own = shopper_reports.c.producer_id == actor.agency_id
    if actor.agency_kind is not AgencyKind.AUTHORITY or Scope.INSPECT not in actor.scopes:
        return own
    province = (await get_agency(conn, actor.agency_id)).province
    in_province = false() if not province else shopper_reports.c.province == province
    return or_(own, in_province)


_CHANGER = agencies.alias("changer")
_REPORTS = (
    select(
        shopper_reports.c.id,
        shopper_reports.c.created_at_us,
        shopper_reports.c.batch_id,
        batches.c.code,
        batches.c.product,
        shopper_reports.c.province,
        shopper_reports.c.producer_id,
        shopper_reports.c.problem,
        shopper_reports.c.text,
        shopper_reports.c.contact,
        shopper_reports.c.photo_type,
        shopper_reports.c.photo_width,
        shopper_reports.c.photo_height,
        shopper_reports.c.state,
        shopper_reports.c.state_changed_at_us,
        shopper_reports.c.state_changed_by,
        _CHANGER.c.name.label("state_changed_by_name"),
        shopper_reports.c.state_note,
        shopper_reports.c.inspection_position,
    )
    .join(batches, batches.c.id == shopper_reports.c.batch_id)
    .outerjoin(_CHANGER, _CHANGER.c.id == shopper_reports.c.state_changed_by)
)


def _report(row: Any) -> ShopperReport:
    photo = None
    if row.photo_type is not None:
        photo = ReportPhoto(row.photo_type, row.photo_width, row.photo_height)
    return ShopperReport(
        id=row.id,
        at_us=row.created_at_us,
        batch_id=row.batch_id,
        batch_code=row.code,
        product=row.product,
        province=row.province,
        producer_id=row.producer_id,
        problem=ReportProblem(row.problem),
        text=row.text,
        contact=row.contact,
        photo=photo,
        state=ReportState(row.state),
        state_changed_at_us=row.state_changed_at_us,
        state_changed_by=row.state_changed_by,
        state_changed_by_name=row.state_changed_by_name,
        state_note=row.state_note,
        inspection=row.inspection_position,
    )


async def _lock(conn: AsyncConnection) -> None:
    """Hold the reports' write lock to number and limit them; readers are not blocked."""
    if is_sqlite(conn.engine):
        return  # BEGIN IMMEDIATE already holds the database's only write lock
    # SHARE ROW EXCLUSIVE conflicts with itself and with writers, not with SELECT.
    await conn.execute(text("LOCK TABLE shopper_reports IN SHARE ROW EXCLUSIVE MODE"))
