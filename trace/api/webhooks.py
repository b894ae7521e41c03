"""`/api/v1/webhooks`: an agency's webhooks, and the notices sent to them.

An agency's administrator (a token or console session with the `admin` scope) registers
the HTTPS addresses where the service POSTs what concerns the agency: recalls reaching
the batches it holds, inspections of its batches, shoppers' reports about them
(trace/notify/registry.py). The signing secret is answered once, when the webhook is
made. Every notice is listed with its state; the agency acknowledges one it has read.
docs/webhooks.md shows how a receiver checks the signature.
"""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, Response, delete, get, post
from litestar.di import Provide
from litestar.params import Parameter

from trace.api.auth import ActorDep, LedgerDep, provide_actor
from trace.api.problems import ANY, BODY, TOKEN, problem_answers
from trace.api.schemas import iso
from trace.config import Settings
from trace.domain.scopes import Scope
from trace.notify.registry import (
    Delivery,
    DeliveryState,
    Webhook,
    WebhookEvent,
    acknowledge,
    create_webhook,
    disable_webhook,
    list_deliveries,
    list_webhooks,
)
from trace.store.agencies import require_scope

_PRIVATE = {"Cache-Control": "no-store"}
WebhookId = Annotated[str, Parameter(max_length=36, description="The webhook's id.")]
DeliveryId = Annotated[
    str, Parameter(max_length=36, description="The notice's id (its Webhook-Id header).")
]


class WebhookIn(msgspec.Struct, forbid_unknown_fields=True):
    """A webhook to register: its HTTPS address and the events it wants."""

    url: Annotated[str, msgspec.Meta(min_length=8, max_length=2000)]
    events: Annotated[list[WebhookEvent], msgspec.Meta(min_length=1, max_length=3)]


class WebhookOut(msgspec.Struct):
    """A registered webhook (without its secret)."""

    id: str
    url: str
    events: list[WebhookEvent]
    created_at: str | None

    @classmethod
    def of(cls, webhook: Webhook) -> WebhookOut:
        """The API view of ``webhook``."""
        return cls(webhook.id, webhook.url, list(webhook.events), iso(webhook.created_at_us))


class WebhookCreated(msgspec.Struct):
    """A webhook just made, with its signing secret: shown this once, keep it now."""

    id: str
    url: str
    events: list[WebhookEvent]
    created_at: str | None
    secret: str


class DeliveryOut(msgspec.Struct):
    """A notice to a webhook: its body, state, attempts, and when it arrived and was read."""

    id: str
    webhook_id: str
    event: WebhookEvent
    state: DeliveryState
    attempts: int
    created_at: str | None
    next_attempt_at: str | None
    delivered_at: str | None
    acknowledged_at: str | None
    last_status: int | None
    last_error: str | None
    body: dict[str, Any]

    @classmethod
    def of(cls, delivery: Delivery) -> DeliveryOut:
        """The API view of ``delivery``."""
        pending = delivery.state is DeliveryState.PENDING
        return cls(
            delivery.id,
            delivery.webhook_id,
            WebhookEvent(delivery.event),
            delivery.state,
            delivery.attempts,
            iso(delivery.created_at_us),
            iso(delivery.next_attempt_us) if pending else None,
            iso(delivery.delivered_at_us),
            iso(delivery.acknowledged_at_us),
            delivery.last_status,
            delivery.last_error,
            msgspec.json.decode(delivery.body),
        )


class WebhookController(Controller):
    """Register, list and delete webhooks; read and acknowledge their notices."""

    path = "/api/v1/webhooks"
    tags = ["webhooks"]
    dependencies = {"actor": Provide(provide_actor)}

    @post("/", responses=problem_answers(*ANY, *TOKEN, *BODY, 422))
    async def register(
        self, request: Request[Any, Any, Any], ledger: LedgerDep, actor: ActorDep, data: WebhookIn
    ) -> Response[WebhookCreated]:
        """Register a webhook of your agency.

        A token with the `admin` scope. `url` is an `https://` address; `events` any of
        `recall` (a recall reaching a batch you hold or are receiving), `inspection` (an
        inspection of a batch you produced or hold), `report` (a shopper's report about a
        batch you produced or, for an authority, a batch of your province). The answer
        holds the signing `secret`, shown this once: keep it to check each notice's
        `Webhook-Signature` (docs/webhooks.md).
        """
        require_scope(actor, Scope.ADMIN)
        settings: Settings = request.app.state.settings
        webhook, secret = await create_webhook(
            ledger, actor, data.url, data.events, allow_loopback=settings.webhook_allow_loopback
        )
        shown = WebhookOut.of(webhook)
        created = WebhookCreated(shown.id, shown.url, shown.events, shown.created_at, secret)
        return Response(created, status_code=201, headers=_PRIVATE)

    @get("/", responses=problem_answers(*ANY, *TOKEN))
    async def webhooks(self, ledger: LedgerDep, actor: ActorDep) -> list[WebhookOut]:
        """List your agency's webhooks, oldest first (never their secrets).

        A token with the `admin` scope.
        """
        require_scope(actor, Scope.ADMIN)
        return [WebhookOut.of(w) for w in await list_webhooks(ledger, actor.agency_id)]

    @delete("/{webhook_id:str}", responses=problem_answers(*ANY, *TOKEN, 404))
    async def remove(self, ledger: LedgerDep, actor: ActorDep, webhook_id: WebhookId) -> None:
        """Delete one of your agency's webhooks: nothing more is sent to it.

        A token with the `admin` scope. Its notices not yet delivered are given up.
        """
        require_scope(actor, Scope.ADMIN)
        await disable_webhook(ledger, actor, webhook_id)

    @get("/{webhook_id:str}/deliveries", responses=problem_answers(*ANY, *TOKEN, 404))
    async def deliveries(
        self,
        ledger: LedgerDep,
        actor: ActorDep,
        webhook_id: WebhookId,
        limit: Annotated[int, Parameter(ge=1, le=500)] = 100,
    ) -> Response[list[DeliveryOut]]:
        """List the notices sent to one of your webhooks, newest first.

        A token with the `admin` scope. Each notice with its state (`pending` while it
        is being tried again, `delivered` on a 2xx answer, `failed` after a day), its
        attempts, the last answer or error, and when it was delivered and acknowledged.
        """
        require_scope(actor, Scope.ADMIN)
        found = await list_deliveries(ledger, actor, webhook_id, limit=limit)
        return Response([DeliveryOut.of(d) for d in found], headers=_PRIVATE)

    @post("/deliveries/{delivery_id:str}/ack", responses=problem_answers(*ANY, *TOKEN, 404))
    async def ack(
        self, ledger: LedgerDep, actor: ActorDep, delivery_id: DeliveryId
    ) -> Response[DeliveryOut]:
        """Acknowledge a notice your agency received: the time is recorded once.

        Any token of the agency the notice was sent to. `delivery_id` is the notice's
        `Webhook-Id`. Acknowledging again answers the first acknowledgement's time.
        """
        found = await acknowledge(ledger, actor, delivery_id)
        return Response(DeliveryOut.of(found), status_code=200, headers=_PRIVATE)
