"""`/api/v1/recalls`: an authority recalls a batch; inspectors read the recall and its reach.

``POST`` records a `recalled` event on the batch, signed with the authority's custodial
key; the recall's id is its record's log position (``GET`` accepts the record hash
too). ``GET /`` lists recalls, newest first, filtered and paged. ``GET /{id}/reach`` lists
every batch made from the recalled one, who holds it and where, and every provenance page
that now shows the recall's banner: as JSON, or by ``Accept`` as CSV for a spreadsheet
(trace/genealogy/reach_csv.py) or as the A4 PDF an officer files
(trace/genealogy/reach_pdf.py).
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from datetime import date
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.di import Provide
from litestar.params import Parameter

from trace.api.auth import (
    ActorDep,
    InspectorDep,
    LedgerDep,
    ReaderDep,
    provide_actor,
    provide_inspector,
    provide_recall_reader,
)
from trace.api.batches import IdempotencyKey
from trace.api.genealogy import HolderOut, prefers
from trace.api.problems import ANY, BODY, TOKEN, problem_answers
from trace.api.recall_steps import StepOut
from trace.api.schemas import BatchOut, iso
from trace.api.search import PROJECTION as SEARCH
from trace.api.search import PROVINCE
from trace.config import Settings
from trace.domain.agency import AgencyKind
from trace.domain.kinds import EventKind, Severity
from trace.domain.recall_flow import RecallState
from trace.genealogy.holders import Holder, load_holders
from trace.genealogy.projection import GENEALOGY
from trace.genealogy.reach import Reach, Reached, reach
from trace.genealogy.reach_csv import MEDIA_TYPE as CSV
from trace.genealogy.reach_csv import reach_csv
from trace.genealogy.reach_pdf import MEDIA_TYPE as PDF
from trace.genealogy.reach_pdf import reach_pdf
from trace.genealogy.recall_steps import RECALL_STEPS, RecallProgress, recall_progress
from trace.genealogy.recalls import (
    Recall,
    RecallFilter,
    find_recall,
    list_recalls,
    record_recall,
)
from trace.store.agencies import Actor, require_scope_to_append
from trace.store.batches import find_batch
from trace.store.database import read_transaction
from trace.store.errors import Forbidden
from trace.store.ledger import Ledger
from trace.store.projections import catch_up
from trace.translation import negotiate

PATH = "/api/v1/recalls"
MAX_PAGE = 200


class RecallIn(msgspec.Struct, forbid_unknown_fields=True):
    """A recall of ``batch`` (id or public code): the body of its `recalled` event.

    ``occurred_at`` (RFC 3339 with offset) is when the decision was taken; default now.
    """

    batch: str
    reason: str
    severity: Severity
    scope: str | None = None
    effective_at: str | None = None
    decision_number: str | None = None
    occurred_at: str | None = None

    def body(self) -> dict[str, Any]:
        """The `recalled` body: the fields given, for the ledger to check against its kind."""
        fields = {
            "reason": self.reason,
            "severity": self.severity.value,
            "scope": self.scope,
            "effective_at": self.effective_at,
            "decision_number": self.decision_number,
        }
        return {name: value for name, value in fields.items() if value is not None}


class RecallOut(msgspec.Struct):
    """A recall: its id (the record's log position), record, batch and the decision.

    ``state`` is how far it has gone: ``issued``, ``notified`` (its authority declared the
    holders told), ``withdrawing`` (a holder recorded a withdrawal) or ``closed``;
    ``steps`` are the records that brought it there, in log order.
    """

    id: int
    record_hash: str
    batch: BatchOut
    authority: HolderOut | None
    reason: str
    severity: Severity
    scope: str | None
    effective_at: str | None
    decision_number: str | None
    occurred_at: str
    recorded_at: str | None
    corrected: bool
    page_url: str
    reach: str
    state: RecallState
    steps: list[StepOut]

    @classmethod
    def of(
        cls,
        recall: Recall,
        authority: HolderOut | None,
        public_url: str,
        progress: RecallProgress,
        signers: Mapping[str, Holder],
    ) -> RecallOut:
        """The view of ``recall``; ``signers`` names the agencies that signed its steps."""
        body = recall.body
        return cls(
            recall.id,
            recall.record.record_hash.hex(),
            BatchOut.of(recall.batch),
            authority,
            body.reason,
            body.severity,
            body.scope,
            body.effective_at.isoformat() if body.effective_at else None,
            body.decision_number,
            recall.occurred_at,
            iso(recall.record.recorded_at_us),
            recall.corrected,
            f"{public_url}{recall.batch.public_path}",
            f"{PATH}/{recall.id}/reach",
            progress.state,
            [StepOut.of(step, signers) for step in progress.steps],
        )


class RecallPageOut(msgspec.Struct):
    """A page of recalls, newest first; ``next_cursor`` continues it (null after the last)."""

    recalls: list[RecallOut]
    next_cursor: str | None


class ReachedOut(msgspec.Struct):
    """A batch the recall reaches, ``depth`` transformations from the recalled batch."""

    id: str
    code: str
    product: str
    gtin: str | None
    lot: str
    depth: int
    sold_out: bool
    holder: HolderOut | None
    in_transit: bool
    in_transit_to: HolderOut | None
    recalled: bool  # the recall stands for this batch (false once a correction withdrew it)
    page_url: str
    withdrawn: bool  # its holder recorded a withdrawal of it
    withdrawals: list[StepOut]

    @classmethod
    def of(cls, reached: Reached, recalled: bool, withdrawals: list[StepOut]) -> ReachedOut:
        """The view of ``reached``; ``withdrawals`` are those recorded on its batch."""
        batch = reached.batch
        return cls(
            batch.id,
            batch.code,
            batch.product,
            batch.gtin,
            batch.lot,
            reached.depth,
            batch.sold_out,
            HolderOut.of(reached.holder),
            batch.in_transit_to is not None,
            HolderOut.of(reached.in_transit_to),
            recalled,
            reached.page_url,
            bool(withdrawals),
            withdrawals,
        )


class ReachCounts(msgspec.Struct):
    """How far the recall reaches, in numbers."""

    batches: int  # the recalled batch and every batch made from it
    downstream: int  # the batches made from it
    pages: int  # provenance pages that show the banner
    holders: int  # distinct agencies holding reached goods
    in_transit: int  # reached batches on the road
    provinces: int  # distinct provinces of the holders
    withdrawn: int  # reached batches whose holder recorded a withdrawal


class ReachOut(msgspec.Struct):
    """Every batch a recall reaches (nearest first; the recalled batch at depth 0).

    ``truncated`` when more than the answer's bound of batches are reached.
    """

    recall: RecallOut
    truncated: bool
    counts: ReachCounts
    batches: list[ReachedOut]
    pages: list[str]

    @classmethod
    def of(cls, found: Reach, recall: RecallOut, signers: Mapping[str, Holder]) -> ReachOut:
        """The view of ``found``; ``signers`` names the agencies that signed its steps."""
        holders = {r.holder.id: r.holder for r in found.batches if r.holder}
        withdrawals = {
            r.batch.id: [StepOut.of(s, signers) for s in found.progress.withdrawals(r.batch.id)]
            for r in found.batches
        }
        counts = ReachCounts(
            len(found.batches),
            len(found.downstream),
            len(found.pages),
            len(holders),
            sum(1 for r in found.batches if r.batch.in_transit_to),
            len({h.province for h in holders.values() if h.province}),
            sum(1 for w in withdrawals.values() if w),
        )
        recalled = not found.recall.corrected
        batches = [ReachedOut.of(r, recalled, withdrawals[r.batch.id]) for r in found.batches]
        return cls(recall, found.truncated, counts, batches, found.pages)


def require_authority(actor: Actor) -> None:
    """Recalls are an authority's decisions, made with a token that may append them (the
    ``recall`` scope, or ``record``: the same rule as every other way of appending one).

    Checked before the batch is looked up: whoever may not recall learns that first.
    """
    if actor.agency_kind is not AgencyKind.AUTHORITY:
        raise Forbidden("only an authority may recall a batch", rule="authorities_only")
    require_scope_to_append(actor, EventKind.RECALLED.value)


def public_url_of(request: Request[Any, Any, Any]) -> str:
    """The base URL of the public pages, as configured."""
    settings: Settings = request.app.state.settings
    return settings.public_url


async def recall_out(ledger: Ledger, recall: Recall, public_url: str) -> RecallOut:
    """The view of ``recall`` with its steps as they are now."""
    await catch_up(ledger, RECALL_STEPS)
    async with read_transaction(ledger.engine) as conn:
        progress = await recall_progress(conn, recall.id)
        names = await load_holders(conn, [recall.authority, *(s.agency for s in progress.steps)])
    authority = HolderOut.of(names.get(recall.authority))
    return RecallOut.of(recall, authority, public_url, progress, names)


class RecallController(Controller):
    """`/api/v1/recalls`: recalls and how far they reach."""

    path = PATH
    tags = ["inspectors"]

    @post(
        "/",
        dependencies={"actor": Provide(provide_actor)},
        responses=problem_answers(*ANY, *TOKEN, *BODY, 404, 409, 422),
    )
    async def create(
        self,
        ledger: LedgerDep,
        actor: ActorDep,
        request: Request[Any, Any, Any],
        data: RecallIn,
        idempotency_key: IdempotencyKey,
    ) -> Response[RecallOut]:
        """Recall a batch.

        An authority (``recall`` or ``record`` scope). Records a ``recalled`` event on the
        batch, signed with the authority's custodial key; the answer's ``id`` (the record's
        log position) names the recall. The recall reaches every batch made from this one,
        and their public pages show its banner.
        """
        require_authority(actor)
        recall, replayed = await record_recall(
            ledger,
            actor,
            data.batch,
            data.body(),
            occurred_at=data.occurred_at,
            idempotency_key=idempotency_key,
        )
        headers = {"Location": f"{PATH}/{recall.id}"}
        if replayed:
            headers["Idempotent-Replayed"] = "true"
        body = await recall_out(ledger, recall, public_url_of(request))
        return Response(body, status_code=201, headers=headers)

    @get(
        "/",
        dependencies={"reader": Provide(provide_recall_reader)},
        responses=problem_answers(*ANY, *TOKEN, 400, 404),
    )
    async def index(
        self,
        ledger: LedgerDep,
        reader: ReaderDep,
        request: Request[Any, Any, Any],
        province: Annotated[str | None, PROVINCE] = None,
        severity: Severity | None = None,
        # ``state`` is a name Litestar keeps for the application's state.
        stage: Annotated[
            RecallState | None,
            Parameter(
                query="state",
                description="How far it has gone: issued, notified, withdrawing, closed.",
            ),
        ] = None,
        batch: Annotated[
            str | None, Parameter(description="The recalled batch's id or public code.")
        ] = None,
        authority: Annotated[
            str | None, Parameter(description="The issuing authority's agency id.")
        ] = None,
        from_day: Annotated[
            date | None,
            Parameter(query="from", description="First day of the decision (Vietnam)."),
        ] = None,
        to_day: Annotated[
            date | None,
            Parameter(query="to", description="Last day of the decision (Vietnam)."),
        ] = None,
        limit: Annotated[int, Parameter(ge=1, le=MAX_PAGE)] = 50,
        cursor: Annotated[
            str | None,
            Parameter(pattern=r"^[0-9]{1,18}$", description="next_cursor of the page before."),
        ] = None,
    ) -> RecallPageOut:
        """List recalls, newest first.

        Inspectors (``inspect`` scope) and authorities' tokens that may recall (``recall``);
        the query is written to the audit trail. Filters: the recalled batch's ``province``
        (code), ``severity``, ``state``, ``batch``, the issuing ``authority``, and the
        decision's days ``from`` and ``to`` (in Vietnam). A page holds up to ``limit``
        recalls; pass its ``next_cursor`` as ``cursor`` for the next.
        """
        await catch_up(ledger, SEARCH)
        await catch_up(ledger, RECALL_STEPS)
        async with read_transaction(ledger.engine) as conn:
            batch_id = (await find_batch(conn, batch)).id if batch else None
            wanted = RecallFilter(
                province,
                severity,
                batch_id,
                authority,
                from_day,
                to_day,
                stage.value if stage else None,
            )
            before = int(cursor) if cursor else None
            found, last = await list_recalls(conn, wanted, before=before, limit=limit)
            progresses = [await recall_progress(conn, r.id) for r in found]
            names = await load_holders(
                conn,
                [
                    *(r.authority for r in found),
                    *(s.agency for p in progresses for s in p.steps),
                ],
            )
        public_url = public_url_of(request)
        shown = [
            RecallOut.of(r, HolderOut.of(names.get(r.authority)), public_url, p, names)
            for r, p in zip(found, progresses, strict=True)
        ]
        return RecallPageOut(shown, None if last is None else str(last))

    @get(
        "/{ref:str}",
        dependencies={"inspector": Provide(provide_inspector)},
        responses=problem_answers(*ANY, *TOKEN, 404),
    )
    async def read(
        self,
        ledger: LedgerDep,
        inspector: InspectorDep,
        request: Request[Any, Any, Any],
        ref: str,
    ) -> RecallOut:
        """Read a recall by its id (log position) or its record hash.

        Inspectors only (``inspect`` scope); the query is written to the audit trail.
        """
        async with read_transaction(ledger.engine) as conn:
            recall = await find_recall(conn, ref)
        return await recall_out(ledger, recall, public_url_of(request))

    @get(
        "/{ref:str}/reach",
        dependencies={"inspector": Provide(provide_inspector)},
        responses=problem_answers(*ANY, *TOKEN, 404),
    )
    async def reach(
        self,
        ledger: LedgerDep,
        inspector: InspectorDep,
        request: Request[Any, Any, Any],
        ref: str,
    ) -> Response[ReachOut | bytes]:
        """List every batch a recall reaches.

        Inspectors only (``inspect`` scope). The recalled batch and every batch made from
        it, nearest first: who holds each and where, what is in transit to whom, whether
        the recall stands for it (``recalled``), what its holder withdrew
        (``withdrawals``), and every public page that now shows the recall's banner;
        ``truncated`` when there are more than the answer holds.
        ``Accept: text/csv`` gives the same list as CSV (UTF-8 with a byte-order mark,
        headed in the language of Accept-Language) for a spreadsheet; ``Accept:
        application/pdf`` the A4 document an officer files: the authority, the decision,
        the reason, the severity in words and the table of batches and holders.
        """
        await catch_up(ledger, GENEALOGY)
        await catch_up(ledger, RECALL_STEPS)
        public_url = public_url_of(request)
        async with read_transaction(ledger.engine) as conn:
            recall = await find_recall(conn, ref)
            found = await reach(conn, recall, public_url=public_url)
            signers = await load_holders(conn, (s.agency for s in found.progress.steps))
        headers = {"Cache-Control": "private, no-store", "Vary": "Accept, Accept-Language"}
        if prefers(request.headers.get("accept"), (CSV, "text/*")):
            lang = negotiate(request.headers.get("accept-language"))
            name = f"recall-{recall.id}-reach.csv"
            return Response(
                reach_csv(found, lang),
                media_type=f"{CSV}; charset=utf-8; header=present",
                headers={
                    **headers,
                    "Content-Language": lang,
                    "Content-Disposition": f'attachment; filename="{name}"',
                },
            )
        if prefers(request.headers.get("accept"), (PDF,)):
            lang = negotiate(request.headers.get("accept-language"))
            async with read_transaction(ledger.engine) as conn:
                holders = await load_holders(conn, [recall.authority])
            name = f"recall-{recall.id}-reach.pdf"
            # Off the event loop: 2,000 batches take most of a second to set.
            document = await asyncio.to_thread(
                reach_pdf, found, holders.get(recall.authority), lang
            )
            return Response(
                document,
                media_type=PDF,
                headers={
                    **headers,
                    "Content-Language": lang,
                    "Content-Disposition": f'inline; filename="{name}"',
                },
            )
        body = ReachOut.of(found, await recall_out(ledger, recall, public_url), signers)
        return Response(body, headers=headers)
