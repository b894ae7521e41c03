"""`/api/v1/recalls/notices`: a holder's recall notices, and acknowledging one.

``GET /notices`` lists, newest first, the recalls that reach batches the caller's agency
holds or is receiving (trace/genealogy/notices.py), each with those batches, what it has
withdrawn of each, the recall's state and whether the agency acknowledged it.
``POST /{id}/acknowledge`` records that it has read one. Any token of the agency.
"""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.di import Provide
from litestar.params import Parameter
from sqlalchemy.exc import IntegrityError

from trace.api.auth import ActorDep, LedgerDep, provide_actor
from trace.api.genealogy import HolderOut
from trace.api.problems import ANY, TOKEN, problem_answers
from trace.api.recalls import PATH, public_url_of
from trace.api.schemas import iso
from trace.api.search import PROJECTION as SEARCH
from trace.domain.kinds import Severity
from trace.domain.recall_flow import RecallState
from trace.genealogy.holders import Holder, load_holders
from trace.genealogy.notices import Notice, acknowledge_notice, find_notice, list_notices
from trace.genealogy.projection import GENEALOGY
from trace.genealogy.reach import Reached
from trace.genealogy.recall_steps import RECALL_STEPS
from trace.genealogy.recalls import find_recall
from trace.store.database import read_transaction, write_transaction
from trace.store.ledger import Ledger
from trace.store.projections import catch_up

MAX_PAGE = 100


class NoticeRecallOut(msgspec.Struct):
    """The recall a notice is about: the decision and how far it has gone.

    ``corrected``: a correction withdrew the recall, its banner no longer shows.
    """

    id: int
    record_hash: str
    authority: HolderOut | None
    reason: str
    severity: Severity
    scope: str | None
    decision_number: str | None
    occurred_at: str
    state: RecallState
    corrected: bool
    batch_code: str
    product: str


class NoticeBatchOut(msgspec.Struct):
    """A batch of the agency's the recall reaches: ``held`` by it, or ``in_transit_to_you``.

    ``withdrawn`` is what the agency recorded withdrawing of it, per unit ("120 KGM"), empty
    when nothing yet; ``withdrawals`` how many times.
    """

    id: str
    code: str
    product: str
    lot: str
    depth: int
    held: bool
    in_transit_to_you: bool
    page_url: str
    withdrawn: str
    withdrawals: int


class NoticeOut(msgspec.Struct):
    """A recall notice to the caller's agency; ``acknowledged_at`` null until it is."""

    recall: NoticeRecallOut
    batches: list[NoticeBatchOut]
    acknowledged: bool
    acknowledged_at: str | None


class NoticePageOut(msgspec.Struct):
    """A page of notices, newest first; ``next_cursor`` continues it (null after the last)."""

    notices: list[NoticeOut]
    next_cursor: str | None


def _notice_out(notice: Notice, agency_id: str, names: dict[str, Holder]) -> NoticeOut:
    recall, progress = notice.recall, notice.reach.progress
    body = recall.body
    shown = NoticeRecallOut(
        recall.id,
        recall.record.record_hash.hex(),
        HolderOut.of(names.get(recall.authority)),
        body.reason,
        body.severity,
        body.scope,
        body.decision_number,
        recall.occurred_at,
        progress.state,
        recall.corrected,
        recall.batch.code,
        recall.batch.product,
    )
    return NoticeOut(
        shown,
        [_batch_out(r, agency_id, notice) for r in notice.batches],
        notice.acknowledged_at_us is not None,
        iso(notice.acknowledged_at_us),
    )


def _batch_out(reached: Reached, agency_id: str, notice: Notice) -> NoticeBatchOut:
    batch, progress = reached.batch, notice.reach.progress
    return NoticeBatchOut(
        batch.id,
        batch.code,
        batch.product,
        batch.lot,
        reached.depth,
        batch.holder_id == agency_id,
        batch.in_transit_to == agency_id,
        reached.page_url,
        progress.withdrawn(batch.id),
        len(progress.withdrawals(batch.id)),
    )


async def _caught_up(ledger: Ledger) -> None:
    await catch_up(ledger, SEARCH)  # recalls are found through it (list_recalls)
    await catch_up(ledger, GENEALOGY)
    await catch_up(ledger, RECALL_STEPS)


class RecallNoticeController(Controller):
    """A holder's recall notices."""

    path = PATH
    tags = ["recalls"]
    dependencies = {"actor": Provide(provide_actor)}

    @get("/notices", responses=problem_answers(*ANY, *TOKEN, 400))
    async def notices(
        self,
        ledger: LedgerDep,
        actor: ActorDep,
        request: Request[Any, Any, Any],
        limit: Annotated[int, Parameter(ge=1, le=MAX_PAGE)] = 20,
        cursor: Annotated[
            str | None,
            Parameter(pattern=r"^[0-9]{1,18}$", description="next_cursor of the page before."),
        ] = None,
    ) -> NoticePageOut:
        """List the recalls that reach your agency's batches, newest first.

        Any token of the agency. Each notice names the recall (decision, severity, state),
        the batches of yours it reaches (held, or on their way to you) with what you have
        withdrawn of each (``POST /api/v1/recalls/{id}/withdrawals`` records more), and
        whether your agency acknowledged it (``POST /api/v1/recalls/{id}/acknowledge``).
        """
        await _caught_up(ledger)
        before = int(cursor) if cursor else None
        async with read_transaction(ledger.engine) as conn:
            found, last = await list_notices(
                conn,
                actor.agency_id,
                public_url=public_url_of(request),
                before=before,
                limit=limit,
            )
            names = await load_holders(conn, (n.recall.authority for n in found))
        shown = [_notice_out(n, actor.agency_id, names) for n in found]
        return NoticePageOut(shown, None if last is None else str(last))

    @post(
        "/{ref:str}/acknowledge",
        status_code=200,
        responses=problem_answers(*ANY, *TOKEN, 404),
    )
    async def acknowledge(
        self, ledger: LedgerDep, actor: ActorDep, request: Request[Any, Any, Any], ref: str
    ) -> Response[NoticeOut]:
        """Acknowledge a recall notice: your agency has read it.

        Any token of an agency the recall reaches (404 for any other). The first
        acknowledgement is kept; acknowledging again answers it. It marks the recall's
        webhook notices to the agency acknowledged too.
        """
        await _caught_up(ledger)
        async with read_transaction(ledger.engine) as conn:
            recall = await find_recall(conn, ref)
            await find_notice(conn, recall, actor.agency_id, public_url=public_url_of(request))
        try:
            async with write_transaction(ledger.engine) as conn:
                await acknowledge_notice(conn, recall.id, actor.agency_id)
        except IntegrityError:
            pass  # acknowledged by another request at the same moment: its time stays
        async with read_transaction(ledger.engine) as conn:
            notice = await find_notice(
                conn, recall, actor.agency_id, public_url=public_url_of(request)
            )
            names = await load_holders(conn, [recall.authority])
        return Response(_notice_out(notice, actor.agency_id, names), status_code=200)
