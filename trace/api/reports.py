"""`/api/v1/reports`: shoppers' reports, for the authority of the batch's province and the
batch's producer (trace/store/reports.py says who reads what).

A report holds what a shopper chose to give, their phone number or e-mail address and a
photo among it: it is answered only to those two readers, with ``Cache-Control: no-store``,
and a report another agency may not read is answered as if it did not exist. An authority's
inspector reading reports is written to the inspectors' audit trail, as every query of
theirs is.
"""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, Response, get
from litestar.di import Provide
from litestar.params import Parameter

from trace.api.auth import INSPECTING_KINDS, ActorDep, LedgerDep, provide_actor
from trace.api.parameters import largest
from trace.api.problems import ANY, TOKEN, problem_answers
from trace.api.schemas import iso
from trace.domain.reports import ReportProblem
from trace.domain.scopes import Scope
from trace.store.agencies import Actor
from trace.store.audit_trail import record_query
from trace.store.reports import MAX_PAGE, ShopperReport, read_report_photo, read_reports
from trace.store.tables import shopper_reports

MAX_REPORT_ID = largest(shopper_reports.c.id)
_PRIVATE = {"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"}

ReportAfter = Annotated[
    int,
    Parameter(
        ge=0,
        le=MAX_REPORT_ID,
        schema_extra={"minimum": 0},
        description="Reports numbered above this one (the page's next_after).",
    ),
]
ReportId = Annotated[int, Parameter(ge=1, le=MAX_REPORT_ID, description="The report's number.")]


def report_photo_path(number: int) -> str:
    """Where the photo of report ``number`` is read, with a token that may read the report."""
    return f"/api/v1/reports/{number}/photo"


class ReportPhotoOut(msgspec.Struct):
    """A report's photo: drawn again without metadata; read at ``url`` with the same token."""

    media_type: str
    width: int
    height: int
    url: str


class ReportOut(msgspec.Struct):
    """A shopper's report: the batch, what is wrong, their words, and how to reach them
    (``contact``: a phone number or e-mail address they chose to give, else null)."""

    id: int
    at: str | None
    at_us: int
    batch_id: str
    batch_code: str
    product: str
    province: str | None
    producer_id: str
    problem: ReportProblem
    text: str
    contact: str | None
    photo: ReportPhotoOut | None

    @classmethod
    def of(cls, report: ShopperReport) -> ReportOut:
        """The API view of ``report``."""
        photo = None
        if report.photo is not None:
            photo = ReportPhotoOut(
                report.photo.media_type,
                report.photo.width,
                report.photo.height,
                report_photo_path(report.id),
            )
        return cls(
            report.id,
            iso(report.at_us),
            report.at_us,
            report.batch_id,
            report.batch_code,
            report.product,
            report.province,
            report.producer_id,
            report.problem,
            report.text,
            report.contact,
            photo,
        )


class ReportPage(msgspec.Struct):
    """Reports in the order they were sent; ``next_after`` continues (None: the end)."""

    reports: list[ReportOut]
    next_after: int | None


async def _audited(request: Request[Any, Any, Any], actor: Actor) -> None:
    """An inspector's read goes to the inspectors' audit trail, like every query of theirs."""
    if actor.agency_kind in INSPECTING_KINDS and Scope.INSPECT in actor.scopes:
        await record_query(
            request.app.state.ledger,
            actor,
            method=request.method,
            path=request.url.path,
            query=request.url.query,
        )


class ReportController(Controller):
    """Shoppers' reports, for the authority of each batch's province and its producer."""

    path = "/api/v1/reports"
    tags = ["reports"]
    dependencies = {"actor": Provide(provide_actor)}

    @get("/", responses=problem_answers(*ANY, *TOKEN))
    async def list_reports(
        self,
        request: Request[Any, Any, Any],
        ledger: LedgerDep,
        actor: ActorDep,
        after: ReportAfter = 0,
        limit: Annotated[int, Parameter(ge=1, le=MAX_PAGE)] = 50,
    ) -> Response[ReportPage]:
        """Read the shoppers' reports your agency receives, oldest first.

        An authority's token with the `inspect` scope reads the reports of the batches of
        its province; any token of a producer reads those of its own batches; other tokens
        read none (an empty page). A report holds what the shopper chose to give, their
        phone number or e-mail address among it: personal data, for this purpose only,
        never to be published. `next_after` continues.
        """
        await _audited(request, actor)
        found = await read_reports(ledger, actor, after=after, limit=limit)
        following = found[-1].id if len(found) == limit else None
        page = ReportPage([ReportOut.of(r) for r in found], following)
        return Response(page, headers=_PRIVATE)

    @get(
        "/{report_id:int}/photo",
        responses=problem_answers(*ANY, *TOKEN, 404),
        media_type="image/jpeg",
    )
    async def report_photo(
        self,
        request: Request[Any, Any, Any],
        ledger: LedgerDep,
        actor: ActorDep,
        report_id: ReportId,
    ) -> Response[bytes]:
        """Read the photo of a shopper's report.

        A token that may read the report (see GET /api/v1/reports). The photo as the
        service keeps it: drawn again from its pixels, without the place, time or phone
        it was taken with. A 404 for a report without a photo, or one your agency does not
        receive.
        """
        await _audited(request, actor)
        media_type, data = await read_report_photo(ledger, actor, report_id)
        return Response(data, media_type=media_type, headers=_PRIVATE)


ROUTES = [ReportController]
