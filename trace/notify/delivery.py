"""Delivering the outbox: POST each due notice, signed, and retry with backoff for a day.

Delivery runs outside the append transaction, in a task of the service
(:func:`keep_delivering`). A notice is *claimed* in a short write transaction that moves
its next attempt a lease into the future (on PostgreSQL the due rows are read with
``FOR UPDATE SKIP LOCKED``, so two workers never claim the same one; SQLite has one
writer). The POST happens with no transaction open; its outcome is written after. A 2xx
marks the notice delivered, with the time; anything else schedules the next attempt
after ``TRACE_WEBHOOK_RETRY_SECONDS``, doubled at each failure up to an hour, until the
notice is ``TRACE_WEBHOOK_GIVE_UP_SECONDS`` old (a day): then it is marked failed.

A service killed between the claim and the outcome leaves the notice pending: once its
lease is over it is sent again, with the same ``Webhook-Id``. A receiver that keeps the
ids it has seen therefore acts on each notice once.

The same loop queues the notices of EPCIS subscriptions (trace/epcis/subscription_notices.py)
and sends them the same way; their signature is made with the subscription's
signatureToken and is also sent as ``GS1-Signature``, as the EPCIS 2.0 REST binding asks.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass

import httpx
from sqlalchemy import select, update

from trace.config import Settings
from trace.domain.record import now_us
from trace.epcis.subscription_notices import NOTICE_EVENT, queue_subscription_notices
from trace.notify.outbox import Outbox, queue_notices
from trace.notify.registry import DeliveryState, secret_of
from trace.notify.signing import headers
from trace.store.database import is_sqlite, read_transaction, write_transaction
from trace.store.ledger import Ledger
from trace.store.outage import is_unavailable, report_failure
from trace.store.tables import webhook_deliveries, webhooks

_log = logging.getLogger("trace.webhooks")
CLAIM_SIZE = 20
MAX_DELAY_SECONDS = 3600.0
_MICROS = 1_000_000
_ERROR_CHARS = 300


@dataclass(frozen=True, slots=True)
class Claimed:
    """A notice taken for one attempt, with what sending it needs."""

    id: str
    url: str
    secret: bytes
    body: str
    attempts: int
    created_at_us: int
    event: str = ""


@dataclass(frozen=True, slots=True)
class Outcome:
    """What one attempt got: the HTTP status, or why there was none."""

    claimed: Claimed
    status: int | None
    error: str | None

    @property
    def delivered(self) -> bool:
        """A 2xx answer."""
        return self.status is not None and 200 <= self.status < 300


async def keep_delivering(ledger: Ledger, settings: Settings) -> None:
    """Queue new notices and deliver due ones, every ``webhook_poll_seconds``, forever."""
    outbox = Outbox(settings.public_url)
    timeout = httpx.Timeout(settings.webhook_timeout_seconds)
    async with httpx.AsyncClient(timeout=timeout, follow_redirects=False) as http:
        while True:
            try:
                await queue_notices(ledger, outbox)
                while await deliver_due(ledger, settings, http) == CLAIM_SIZE:
                    pass
            except Exception as exc:
                _failed(ledger, exc, "webhook notices not delivered")
            try:  # apart: a failure here must not hold back the notices above
                await queue_subscription_notices(ledger, settings.public_url)
                while await deliver_due(ledger, settings, http) == CLAIM_SIZE:
                    pass
            except Exception as exc:
                _failed(ledger, exc, "EPCIS subscriptions' notices not queued")
            await asyncio.sleep(settings.webhook_poll_seconds)


def _failed(ledger: Ledger, exc: Exception, what: str) -> None:
    if is_unavailable(exc):
        report_failure(ledger.engine, exc)  # logged once per outage
    else:
        _log.exception(what)


async def deliver_due(ledger: Ledger, settings: Settings, http: httpx.AsyncClient) -> int:
    """Send the notices due now (at most :data:`CLAIM_SIZE`); return how many were sent."""
    claimed = await claim_due(ledger, settings)
    if not claimed:
        return 0
    outcomes = await asyncio.gather(*(attempt(http, c) for c in claimed))
    await record_outcomes(ledger, settings, outcomes)
    return len(claimed)


async def claim_due(ledger: Ledger, settings: Settings) -> list[Claimed]:
    """Take the due notices for one attempt each: their next attempt moves a lease ahead."""
    now = now_us()
    due = (
        select(
            webhook_deliveries.c.id,
            webhook_deliveries.c.body,
            webhook_deliveries.c.attempts,
            webhook_deliveries.c.created_at_us,
            webhook_deliveries.c.event,
            webhooks.c.id.label("webhook_id"),
            webhooks.c.url,
            webhooks.c.sealed_secret,
        )
        .join(webhooks, webhooks.c.id == webhook_deliveries.c.webhook_id)
        .where(
            webhook_deliveries.c.state == DeliveryState.PENDING.value,
            webhook_deliveries.c.next_attempt_us <= now,
        )
        .order_by(webhook_deliveries.c.next_attempt_us)
        .limit(CLAIM_SIZE)
    )
    async with read_transaction(ledger.engine) as conn:  # most polls end here
        if (await conn.execute(due.with_only_columns(webhook_deliveries.c.id))).first() is None:
            return []
    if not is_sqlite(ledger.engine):
        due = due.with_for_update(skip_locked=True, of=webhook_deliveries)
    lease = int(3 * settings.webhook_timeout_seconds * _MICROS)
    async with write_transaction(ledger.engine) as conn:
        rows = (await conn.execute(due)).all()
        if rows:
            await conn.execute(
                update(webhook_deliveries)
                .where(webhook_deliveries.c.id.in_([r.id for r in rows]))
                .values(next_attempt_us=now + lease)
            )
    return [
        Claimed(
            r.id,
            r.url,
            secret_of(ledger, r.webhook_id, r.sealed_secret),
            r.body,
            r.attempts,
            r.created_at_us,
            r.event,
        )
        for r in rows
    ]


async def attempt(http: httpx.AsyncClient, claimed: Claimed) -> Outcome:
    """POST one notice, signed now; never raises for the receiver's failures."""
    body = claimed.body.encode()
    signed = headers(claimed.secret, claimed.id, int(time.time()), body)
    if claimed.event == NOTICE_EVENT:
        # EPCIS 2.0 REST binding: the signature with the subscription's signatureToken, in
        # GS1-Signature; the body is an EPCISQueryDocument (JSON-LD).
        signed["GS1-Signature"] = signed["Webhook-Signature"]
        signed["Content-Type"] = "application/ld+json"
    try:
        response = await http.post(claimed.url, content=body, headers=signed)
    except httpx.HTTPError as exc:
        return Outcome(claimed, None, f"{type(exc).__name__}: {exc}"[:_ERROR_CHARS])
    error = None if 200 <= response.status_code < 300 else response.text[:_ERROR_CHARS]
    return Outcome(claimed, response.status_code, error)


def next_delay_seconds(settings: Settings, attempts: int) -> float:
    """How long after its ``attempts``-th failure a notice is tried again."""
    delay: float = settings.webhook_retry_seconds * 2.0 ** (attempts - 1)
    return min(delay, MAX_DELAY_SECONDS)


async def record_outcomes(ledger: Ledger, settings: Settings, outcomes: list[Outcome]) -> None:
    """Write what each attempt got: delivered, retried later, or given up."""
    now = now_us()
    give_up = int(settings.webhook_give_up_seconds * _MICROS)
    async with write_transaction(ledger.engine) as conn:
        for outcome in outcomes:
            claimed = outcome.claimed
            attempts = claimed.attempts + 1
            values: dict[str, object] = {
                "attempts": attempts,
                "last_status": outcome.status,
                "last_error": outcome.error,
            }
            if outcome.delivered:
                values.update(state=DeliveryState.DELIVERED.value, delivered_at_us=now)
            elif now - claimed.created_at_us >= give_up:
                values.update(state=DeliveryState.FAILED.value)
            else:
                delay = int(next_delay_seconds(settings, attempts) * _MICROS)
                values.update(next_attempt_us=now + delay)
            await conn.execute(
                update(webhook_deliveries)
                .where(
                    webhook_deliveries.c.id == claimed.id,
                    webhook_deliveries.c.state == DeliveryState.PENDING.value,
                )
                .values(**values)
            )
