"""`/api/v1/recalls/{id}/...`: the steps of a recall after it is issued, each a signed record.

- ``POST /{id}/notified``: the issuing authority declares the holders told
  (`recall_notified` on the recalled batch);
- ``POST /{id}/withdrawals``: the holder of a batch the recall reaches records what it took
  off sale (`withdrawn` on that batch), as often as it withdraws;
- ``POST /{id}/close``: the issuing authority closes the recall with a note
  (`recall_closed` on the recalled batch).

Each is signed with the acting agency's custodial key, enters the ledger the one way every
record does, and takes an ``Idempotency-Key`` like the recall itself. Who may record which
step is the ledger's rule (trace/domain/recall_flow.py), so a client-signed statement sent
to ``/api/v1/batches/{ref}/events`` meets the same checks.
"""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, Response, post
from litestar.di import Provide

from trace.api.auth import ActorDep, LedgerDep, provide_actor
from trace.api.batches import IdempotencyKey
from trace.api.problems import ANY, BODY, TOKEN, problem_answers
from trace.api.recall_steps import StepOut
from trace.api.recalls import PATH, RecallOut, public_url_of, recall_out
from trace.domain.agency import AgencyKind
from trace.domain.kinds import EventKind, Prose
from trace.domain.quantity import DecimalText
from trace.genealogy.holders import load_holders
from trace.genealogy.recall_steps import RECALL_STEPS, recall_progress
from trace.genealogy.recalls import Recall, find_recall, record_step
from trace.store.agencies import Actor, require_scope_to_append
from trace.store.batches import find_batch
from trace.store.database import read_transaction
from trace.store.errors import Forbidden
from trace.store.ledger import Ledger
from trace.store.projections import catch_up


class NotifiedIn(msgspec.Struct, forbid_unknown_fields=True):
    """The holders of the recall's reach have been told; ``note`` says how.

    ``occurred_at`` (RFC 3339 with offset) is when they were; default now.
    """

    note: Prose | None = None
    occurred_at: str | None = None


class QuantityIn(msgspec.Struct, forbid_unknown_fields=True):
    """How much was withdrawn: a decimal string and a UN/ECE Rec 20 unit code, as in the
    events' quantities (``{"value": "40", "unit": "KGM"}``); the ledger checks the unit."""

    value: DecimalText
    unit: Annotated[str, msgspec.Meta(pattern=r"^[A-Z0-9]{2,3}$", examples=["KGM", "XBX"])]


class WithdrawalIn(msgspec.Struct, forbid_unknown_fields=True):
    """``quantity`` of ``batch`` (id or public code), a batch the recall reaches that the
    caller holds, is taken off sale. ``occurred_at`` defaults to now."""

    batch: str
    quantity: QuantityIn
    note: Prose | None = None
    occurred_at: str | None = None


class CloseIn(msgspec.Struct, forbid_unknown_fields=True):
    """The recall is closed; ``note`` says why (goods withdrawn, returned, destroyed)."""

    note: Prose
    occurred_at: str | None = None


def _require_authority(actor: Actor, kind: EventKind) -> None:
    # Checked before the recall is looked up, as for the recall itself.
    if actor.agency_kind is not AgencyKind.AUTHORITY:
        raise Forbidden(
            "only the authority that issued a recall may record its steps",
            rule="authorities_only",
        )
    require_scope_to_append(actor, kind.value)


async def _recall(ledger: Ledger, ref: str) -> Recall:
    async with read_transaction(ledger.engine) as conn:
        return await find_recall(conn, ref)


def _created(body: Any, location: str, replayed: bool) -> Response[Any]:
    headers = {"Location": location}
    if replayed:
        headers["Idempotent-Replayed"] = "true"
    return Response(body, status_code=201, headers=headers)


def _optional(**fields: Any) -> dict[str, Any]:
    return {name: value for name, value in fields.items() if value is not None}


async def _authority_step(
    ledger: Ledger,
    actor: Actor,
    request: Request[Any, Any, Any],
    ref: str,
    kind: EventKind,
    body: dict[str, Any],
    occurred_at: str | None,
    idempotency_key: str | None,
) -> Response[RecallOut]:
    """Record the issuing authority's step ``kind`` on the recalled batch; the recall after it."""
    _require_authority(actor, kind)
    recall = await _recall(ledger, ref)
    _, replayed = await record_step(
        ledger,
        actor,
        recall,
        kind,
        batch_id=recall.batch.id,
        body=body,
        occurred_at=occurred_at,
        idempotency_key=idempotency_key,
    )
    answer = await recall_out(ledger, recall, public_url_of(request))
    return _created(answer, f"{PATH}/{recall.id}", replayed)


class RecallWorkflowController(Controller):
    """The steps of a recall: holders told, goods withdrawn, closed."""

    path = PATH
    tags = ["recalls"]
    dependencies = {"actor": Provide(provide_actor)}

    @post("/{ref:str}/notified", responses=problem_answers(*ANY, *TOKEN, *BODY, 404, 409, 422))
    async def notified(
        self,
        ledger: LedgerDep,
        actor: ActorDep,
        request: Request[Any, Any, Any],
        ref: str,
        data: NotifiedIn,
        idempotency_key: IdempotencyKey,
    ) -> Response[RecallOut]:
        """Declare the recall's holders told.

        The authority that issued the recall (``recall`` or ``record`` scope). Records
        ``recall_notified`` on the recalled batch; the recall's ``state`` becomes
        ``notified`` (unless a holder has withdrawn goods already, or it is closed). The
        webhooks' notices say who was told by the service
        (``GET /api/v1/webhooks/{id}/deliveries``); the note may say who was told otherwise.
        """
        return await _authority_step(
            ledger,
            actor,
            request,
            ref,
            EventKind.RECALL_NOTIFIED,
            _optional(note=data.note),
            data.occurred_at,
            idempotency_key,
        )

    @post("/{ref:str}/close", responses=problem_answers(*ANY, *TOKEN, *BODY, 404, 409, 422))
    async def close(
        self,
        ledger: LedgerDep,
        actor: ActorDep,
        request: Request[Any, Any, Any],
        ref: str,
        data: CloseIn,
        idempotency_key: IdempotencyKey,
    ) -> Response[RecallOut]:
        """Close the recall.

        The authority that issued it (``recall`` or ``record`` scope). Records
        ``recall_closed`` on the recalled batch with the note; the recall's ``state``
        becomes ``closed`` and it takes no more steps. The goods stay recalled: the pages
        keep the banner.
        """
        return await _authority_step(
            ledger,
            actor,
            request,
            ref,
            EventKind.RECALL_CLOSED,
            {"note": data.note},
            data.occurred_at,
            idempotency_key,
        )

    @post("/{ref:str}/withdrawals", responses=problem_answers(*ANY, *TOKEN, *BODY, 404, 409, 422))
    async def withdrawal(
        self,
        ledger: LedgerDep,
        actor: ActorDep,
        ref: str,
        data: WithdrawalIn,
        idempotency_key: IdempotencyKey,
    ) -> Response[StepOut]:
        """Record goods withdrawn from sale because of the recall.

        The agency holding ``batch`` (``record`` scope), a batch the recall reaches: the
        recalled batch or one made from it (``GET /api/v1/recalls/notices`` lists them).
        Records ``withdrawn`` on that batch with the quantity; record each withdrawal as it
        is made. The authority sees it in the recall's reach (``withdrawals``) and steps.
        """
        kind = EventKind.WITHDRAWN
        require_scope_to_append(actor, kind.value)
        recall = await _recall(ledger, ref)
        async with read_transaction(ledger.engine) as conn:
            batch = await find_batch(conn, data.batch)
        quantity = msgspec.to_builtins(data.quantity)
        record, replayed = await record_step(
            ledger,
            actor,
            recall,
            kind,
            batch_id=batch.id,
            body=_optional(quantity=quantity, note=data.note),
            occurred_at=data.occurred_at,
            idempotency_key=idempotency_key,
        )
        await catch_up(ledger, RECALL_STEPS)
        async with read_transaction(ledger.engine) as conn:
            progress = await recall_progress(conn, recall.id)
            names = await load_holders(conn, [actor.agency_id])
        step = next(s for s in progress.steps if s.record.position == record.position)
        return _created(StepOut.of(step, names), f"{PATH}/{recall.id}", replayed)
