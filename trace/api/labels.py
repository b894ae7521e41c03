"""Labels: templates, label files of a batch, and print runs of serialised labels."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.di import Provide
from litestar.params import Parameter
from litestar.response import Stream

from trace.api.auth import ActorDep, LedgerDep, provide_actor
from trace.api.batches import IdempotencyKey
from trace.api.problems import ANY, BODY, TOKEN, problem_answers
from trace.config import Settings
from trace.domain.scopes import Scope
from trace.labels.make import MEDIA_TYPES, prepare, render, require_producer
from trace.labels.runs import MAX_RUN, LabelRun, create_run, list_runs
from trace.labels.templates import TEMPLATES, Template
from trace.store.agencies import require_scope
from trace.store.batches import find_batch
from trace.store.database import read_transaction
from trace.translation import chosen


class TemplateOut(msgspec.Struct):
    """A label stock: sizes in millimetres, print resolution, labels per page, QR module."""

    name: str
    label_width_mm: float
    label_height_mm: float
    page_width_mm: float
    page_height_mm: float
    labels_per_page: int
    dpi: int
    module_mm: float

    @classmethod
    def of(cls, t: Template) -> TemplateOut:
        """The API view of a template."""
        width, height = t.page_size
        return cls(t.name, t.width, t.height, width, height, t.per_page, t.dpi, round(t.module, 4))


class RunIn(msgspec.Struct, forbid_unknown_fields=True):
    """A print run: how many serialised labels to register."""

    count: Annotated[int, msgspec.Meta(ge=1, le=MAX_RUN)]


class RunOut(msgspec.Struct):
    """A registered print run; ``labels`` is where its labels are printed from."""

    id: str
    batch: str
    count: int
    first_serial: str
    last_serial: str
    serials_sha256: str
    position: int | None
    labels: str

    @classmethod
    def of(cls, run: LabelRun) -> RunOut:
        """The API view of a run."""
        return cls(
            run.id,
            run.batch_id,
            run.count,
            run.first_serial,
            run.last_serial,
            run.serials_sha256.hex(),
            run.position,
            f"/api/v1/batches/{run.batch_id}/labels?run={run.id}&format=pdf",
        )


def _lang(request: Request[Any, Any, Any], lang: str | None) -> str:
    return chosen(lang, request.headers.get("accept-language"))


class LabelController(Controller):
    """`/api/v1/batches/{ref}/labels`: what producers print."""

    path = "/api/v1"
    tags = ["labels"]

    @get("/label-templates", responses=problem_answers(400))
    async def templates(self) -> list[TemplateOut]:
        """List the label stocks labels can be printed on.

        Public, and the same for everyone: sizes in millimetres, print resolution, labels
        per page and the QR code's module size.
        """
        return [TemplateOut.of(t) for t in TEMPLATES.values()]

    @get(
        "/batches/{ref:str}/labels",
        dependencies={"actor": Provide(provide_actor)},
        responses=problem_answers(*ANY, *TOKEN, 404, 422),
    )
    async def labels(
        self,
        ledger: LedgerDep,
        actor: ActorDep,
        request: Request[Any, Any, Any],
        ref: str,
        template: Annotated[
            str | None, Parameter(description=f"One of: {', '.join(TEMPLATES)}.")
        ] = None,
        format: Annotated[
            str | None, Parameter(description=f"One of: {', '.join(MEDIA_TYPES)} (default pdf).")
        ] = None,
        count: Annotated[
            int | None,
            Parameter(description="Labels to print (default: one page, or the whole run)."),
        ] = None,
        lang: Annotated[str | None, Parameter(description="vi or en.")] = None,
        run: Annotated[
            str | None, Parameter(description="A print run's id: its serialised labels.")
        ] = None,
    ) -> Stream:
        """Print labels of a batch as PDF, PNG or SVG.

        The batch's producer only. A PDF of any length streams page by page; PNG and SVG
        hold one page. With ``run``, the print run's serialised labels; without it, lot
        labels.
        """
        settings: Settings = request.app.state.settings
        async with read_transaction(ledger.engine) as conn:
            batch = await find_batch(conn, ref)
        job, serials = await prepare(
            ledger,
            batch,
            actor=actor,
            template=template,
            format=format,
            count=count,
            lang=_lang(request, lang),
            run_id=run,
            public_url=settings.public_url,
        )
        return Stream(
            render(job, serials),
            media_type=job.media_type,
            headers={
                "Content-Disposition": f'attachment; filename="{job.filename()}"',
                "Content-Language": job.lang,
                "Cache-Control": "private, no-store",
            },
        )

    @post(
        "/batches/{ref:str}/label-runs",
        dependencies={"actor": Provide(provide_actor)},
        responses=problem_answers(*ANY, *TOKEN, *BODY, 404, 409, 422),
    )
    async def create(
        self,
        ledger: LedgerDep,
        actor: ActorDep,
        ref: str,
        data: RunIn,
        idempotency_key: IdempotencyKey,
    ) -> Response[RunOut]:
        """Register a print run of serialised labels.

        The batch's producer only (``record`` scope). The run draws ``count`` serials and is
        recorded as one signed ``serialised`` event (count, first and last serial, SHA-256 of
        the list); ``labels`` in the answer prints them. With an ``Idempotency-Key``, a retry
        returns the same run.
        """
        require_scope(actor, Scope.RECORD)  # before the run's serials are drawn and stored
        async with read_transaction(ledger.engine) as conn:
            batch = await find_batch(conn, ref)
        require_producer(actor, batch)
        run = await create_run(ledger, actor, batch, data.count, idempotency_key=idempotency_key)
        out = RunOut.of(run)
        return Response(out, status_code=201, headers={"Location": out.labels})

    @get(
        "/batches/{ref:str}/label-runs",
        dependencies={"actor": Provide(provide_actor)},
        responses=problem_answers(*ANY, *TOKEN, 404),
    )
    async def runs(self, ledger: LedgerDep, actor: ActorDep, ref: str) -> list[RunOut]:
        """List a batch's print runs, oldest first.

        The batch's producer only. Each run with its serials' range and digest, and where
        its labels are printed from.
        """
        async with read_transaction(ledger.engine) as conn:
            batch = await find_batch(conn, ref)
            require_producer(actor, batch)
            return [RunOut.of(run) for run in await list_runs(conn, batch.id)]
