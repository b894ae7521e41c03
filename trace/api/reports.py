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
from litestar import Controller, Request, Response, get, patch
from litestar.di import Provide
from litestar.params import Parameter

from trace.api.auth import INSPECTING_KINDS, ActorDep, LedgerDep, provide_actor
from trace.api.parameters import largest
from trace.api.problems import ANY, BODY, TOKEN, problem_answers
from trace.api.schemas import iso
from trace.domain.kinds import Prose
from trace.domain.report_states import ReportState
from trace.domain.reports import ReportProblem
from trace.domain.scopes import Scope
from trace.store.agencies import Actor
from trace.store.audit_trail import record_query
from trace.store.report_states import change_report_state
from trace.store.reports import MAX_PAGE, ShopperReport, read_report_photo, read_reports
from trace.store.tables import records, shopper_reports

MAX_REPORT_ID = largest(shopper_reports.c.id)
MAX_POSITION = largest(records.c.position)
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
    (``contact``: a phone number or e-mail address they chose to give, else null).

    ``state`` is where its readers have got with it: ``new``, ``looked_at``, ``closed``,
    or ``inspection`` (then ``inspection`` is the log position of the `inspected` record
    it turned into); ``state_changed_at``, ``state_changed_by`` (the agency's name) and
    ``state_note`` tell the last change, null while it is new.
    """

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
    state: ReportState
    state_changed_at: str | None
    state_changed_by: str | None
    state_changed_by_id: str | None
    state_note: str | None
    inspection: int | None

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
            report.state,
            iso(report.state_changed_at_us),
            report.state_changed_by_name,
            report.state_changed_by,
            report.state_note,
            report.inspection,
        )


class ReportStateIn(msgspec.Struct, forbid_unknown_fields=True):
    """A report's new state: ``looked_at``, ``closed`` or ``inspection`` (then
    ``inspection``, the log position of the `inspected` record of the report's batch, is
    required); ``note`` says why, for the other reader."""

    state: ReportState
    inspection: Annotated[int, msgspec.Meta(ge=0, le=MAX_POSITION)] | None = None
    note: Prose | None = None


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
        # ``state`` is a name Litestar keeps for the application's state.
        stage: Annotated[
            ReportState | None,
            Parameter(
                query="state",
                description="Only reports in this state: new, looked_at, closed, inspection.",
            ),
        ] = None,
    ) -> Response[ReportPage]:
        """Read the shoppers' reports your agency receives, oldest first.

        An authority's token with the `inspect` scope reads the reports of the batches of
        its province; any token of a producer reads those of its own batches; other tokens
        read none (an empty page). A report holds what the shopper chose to give, their
        phone number or e-mail address among it: personal data, for this purpose only,
        never to be published. `next_after` continues; `state` keeps the reports in one
        state (`new` for the queue still to look at).
        """
        await _audited(request, actor)
        found = await read_reports(ledger, actor, after=after, limit=limit, state=stage)
        following = found[-1].id if len(found) == limit else None
        page = ReportPage([ReportOut.of(r) for r in found], following)
        return Response(page, headers=_PRIVATE)

    @patch("/{report_id:int}", responses=problem_answers(*ANY, *TOKEN, *BODY, 404, 422))
    async def change_state(
        self,
        request: Request[Any, Any, Any],
        ledger: LedgerDep,
        actor: ActorDep,
        report_id: ReportId,
        data: ReportStateIn,
    ) -> Response[ReportOut]:
        """Change a report's state: looked at, closed, or turned into an inspection.

        A token that may read the report (see GET /api/v1/reports); to any other the report
        does not exist (404). ``inspection`` names the `inspected` record of the report's
        batch by its log position, and is required for the state ``inspection``. The
        answer is the report with its new state, when it changed and by which agency.
        """
        await _audited(request, actor)
        changed = await change_report_state(
            ledger, actor, report_id, data.state, inspection=data.inspection, note=data.note
        )
        return Response(ReportOut.of(changed), headers=_PRIVATE)

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
