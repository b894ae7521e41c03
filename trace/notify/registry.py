"""An agency's webhooks: made with a secret shown once, listed, disabled; their deliveries.

A webhook names an HTTPS address and the events the agency wants there: ``recall`` (a
recall reaching a batch it holds or is receiving), ``inspection`` (an inspection of a
batch it produced or holds), ``report`` (a shopper's report about a batch it produced or, for an
authority, a batch of its province).
Its signing secret is sealed under the master key (trace/store/custody.py) and opened
only to sign. Plain ``http://`` is accepted only for 127.0.0.1 and localhost, and only
where the service allows it (``TRACE_WEBHOOK_ALLOW_LOOPBACK=1``, for tests and
development).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import select, update

from trace.domain.errors import DomainError
from trace.domain.record import now_us
from trace.domain.texts import N_
from trace.notify.signing import new_secret, shown_secret
from trace.store.agencies import Actor
from trace.store.database import read_transaction, write_transaction
from trace.store.errors import NotFound
from trace.store.ledger import Ledger
from trace.store.tables import webhook_deliveries, webhooks

LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
MAX_WEBHOOKS = 20
# The ``events`` of the row an EPCIS subscription owns (trace/epcis/subscriptions.py): it
# wants none of the events above, and is managed under /epcis/queries, not listed here.
SUBSCRIPTION_EVENTS = ""


class WebhookEvent(StrEnum):
    """What a webhook may ask to be told."""

    RECALL = "recall"
    INSPECTION = "inspection"
    REPORT = "report"


class DeliveryState(StrEnum):
    """Where a notice is: waiting (or being retried), received with a 2xx, or given up."""

    PENDING = "pending"
    DELIVERED = "delivered"
    FAILED = "failed"


class InvalidWebhook(DomainError):
    """A webhook's address cannot be used, or the agency has too many."""

    code = "invalid_webhook"
    words = N_("This webhook cannot be registered: {detail}")
    variants = MappingProxyType(
        {
            "https": N_(
                "A webhook's address must start with https:// and name a host "
                "(http:// is accepted only for 127.0.0.1 and localhost where the "
                "service allows it)."
            ),
            "too_many": N_(
                "An agency has at most {limit} webhooks; delete one it no longer uses first."
            ),
        }
    )


@dataclass(frozen=True, slots=True)
class Webhook:
    """A registered webhook (its secret is never read back)."""

    id: str
    agency_id: str
    url: str
    events: tuple[WebhookEvent, ...]
    created_at_us: int
    disabled_at_us: int | None


@dataclass(frozen=True, slots=True)
class Delivery:
    """One notice to one webhook and how far it got."""

    id: str
    webhook_id: str
    event: str
    body: str
    state: DeliveryState
    attempts: int
    next_attempt_us: int
    created_at_us: int
    delivered_at_us: int | None
    last_status: int | None
    last_error: str | None
    acknowledged_at_us: int | None


def check_url(url: str, *, allow_loopback: bool) -> str:
    """``url`` if a webhook may be sent there; :class:`InvalidWebhook` otherwise."""
    if any(c.isspace() or not c.isprintable() for c in url.strip()):
        raise InvalidWebhook(f"{url!r} has spaces or control characters", rule="https")
    try:
        parts = urlsplit(url.strip())
        host = (parts.hostname or "").lower()
        parts.port  # noqa: B018 (a port that is not a number raises here)
    except ValueError as exc:
        raise InvalidWebhook(f"{url!r} is not an address", rule="https") from exc
    if parts.scheme == "https" and host:
        return url.strip()
    if parts.scheme == "http" and host in LOOPBACK_HOSTS and allow_loopback:
        return url.strip()
    raise InvalidWebhook(f"{url!r} is not an https address", rule="https")


def webhook_of(row: Any) -> Webhook:
    """A webhook from its row."""
    events = tuple(WebhookEvent(e) for e in row.events.split())
    return Webhook(row.id, row.agency_id, row.url, events, row.created_at_us, row.disabled_at_us)


def delivery_of(row: Any) -> Delivery:
    """A delivery from its row."""
    return Delivery(
        row.id,
        row.webhook_id,
        row.event,
        row.body,
        DeliveryState(row.state),
        row.attempts,
        row.next_attempt_us,
        row.created_at_us,
        row.delivered_at_us,
        row.last_status,
        row.last_error,
        row.acknowledged_at_us,
    )


async def create_webhook(
    ledger: Ledger,
    actor: Actor,
    url: str,
    events: list[WebhookEvent],
    *,
    allow_loopback: bool,
) -> tuple[Webhook, str]:
    """Register a webhook of ``actor``'s agency; return it and its secret (shown once)."""
    address = check_url(url, allow_loopback=allow_loopback)
    webhook_id = str(uuid.uuid4())
    secret = new_secret()
    wanted = tuple(dict.fromkeys(WebhookEvent(e) for e in events))
    row = {
        "id": webhook_id,
        "agency_id": actor.agency_id,
        "url": address,
        "events": " ".join(wanted),
        "sealed_secret": seal_secret(ledger, webhook_id, secret),
        "created_at_us": now_us(),
        "disabled_at_us": None,
    }
    async with write_transaction(ledger.engine) as conn:
        active = await conn.execute(
            select(webhooks.c.id).where(
                webhooks.c.agency_id == actor.agency_id,
                webhooks.c.disabled_at_us.is_(None),
                webhooks.c.events != SUBSCRIPTION_EVENTS,
            )
        )
        if len(active.all()) >= MAX_WEBHOOKS:
            raise InvalidWebhook("too many webhooks", rule="too_many", limit=MAX_WEBHOOKS)
        await conn.execute(webhooks.insert().values(**row))
    return webhook_of(_Row(row)), shown_secret(secret)


async def list_webhooks(ledger: Ledger, agency_id: str) -> list[Webhook]:
    """The agency's webhooks in use, oldest first."""
    async with read_transaction(ledger.engine) as conn:
        rows = await conn.execute(
            select(webhooks)
            .where(
                webhooks.c.agency_id == agency_id,
                webhooks.c.disabled_at_us.is_(None),
                webhooks.c.events != SUBSCRIPTION_EVENTS,
            )
            .order_by(webhooks.c.created_at_us, webhooks.c.id)
        )
        return [webhook_of(row) for row in rows]


async def disable_webhook(ledger: Ledger, actor: Actor, webhook_id: str) -> None:
    """Stop using a webhook; its waiting notices are given up."""
    at = now_us()
    async with write_transaction(ledger.engine) as conn:
        await _own_webhook(conn, actor, webhook_id)
        await conn.execute(
            update(webhooks).where(webhooks.c.id == webhook_id).values(disabled_at_us=at)
        )
        await conn.execute(
            update(webhook_deliveries)
            .where(
                webhook_deliveries.c.webhook_id == webhook_id,
                webhook_deliveries.c.state == DeliveryState.PENDING.value,
            )
            .values(state=DeliveryState.FAILED.value, last_error="webhook deleted")
        )


async def list_deliveries(
    ledger: Ledger, actor: Actor, webhook_id: str, *, limit: int
) -> list[Delivery]:
    """The newest notices of one of the agency's webhooks, newest first."""
    async with read_transaction(ledger.engine) as conn:
        await _own_webhook(conn, actor, webhook_id)
        rows = await conn.execute(
            select(webhook_deliveries)
            .where(webhook_deliveries.c.webhook_id == webhook_id)
            .order_by(webhook_deliveries.c.created_at_us.desc(), webhook_deliveries.c.id)
            .limit(limit)
        )
        return [delivery_of(row) for row in rows]


async def acknowledge(ledger: Ledger, actor: Actor, delivery_id: str) -> Delivery:
    """Record that the agency read a notice sent to it (the first acknowledgement stays)."""
    async with write_transaction(ledger.engine) as conn:
        row = (
            await conn.execute(
                select(webhook_deliveries)
                .join(webhooks, webhooks.c.id == webhook_deliveries.c.webhook_id)
                .where(
                    webhook_deliveries.c.id == delivery_id,
                    webhooks.c.agency_id == actor.agency_id,
                )
            )
        ).first()
        if row is None:
            raise NotFound(f"no delivery {delivery_id}", what="delivery", id=delivery_id)
        if row.acknowledged_at_us is not None:
            return delivery_of(row)
        at = now_us()
        await conn.execute(
            update(webhook_deliveries)
            .where(webhook_deliveries.c.id == delivery_id)
            .values(acknowledged_at_us=at)
        )
        return delivery_of(_Row({**row._mapping, "acknowledged_at_us": at}))


def seal_secret(ledger: Ledger, webhook_id: str, secret: bytes) -> bytes:
    """``secret`` sealed under the master key for webhook ``webhook_id``."""
    return ledger.master_key.seal_secret(_sealed_name(webhook_id), secret)


def secret_of(ledger: Ledger, webhook_id: str, sealed: bytes) -> bytes:
    """The webhook's signing secret, opened with the master key."""
    return ledger.master_key.unseal_secret(_sealed_name(webhook_id), sealed)


def _sealed_name(webhook_id: str) -> str:
    return f"webhook:{webhook_id}"


async def _own_webhook(conn: Any, actor: Actor, webhook_id: str) -> None:
    """:class:`NotFound` unless ``webhook_id`` is a webhook in use of ``actor``'s agency."""
    found = (
        await conn.execute(
            select(webhooks.c.id).where(
                webhooks.c.id == webhook_id,
                webhooks.c.agency_id == actor.agency_id,
                webhooks.c.disabled_at_us.is_(None),
                webhooks.c.events != SUBSCRIPTION_EVENTS,
            )
        )
    ).first()
    if found is None:
        raise NotFound(f"no webhook {webhook_id}", what="webhook", id=webhook_id)


class _Row:
    """A dict read as a row (attributes by column name)."""

    def __init__(self, values: dict[str, Any]) -> None:
        self.__dict__.update(values)
