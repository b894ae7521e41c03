"""Subscriptions to named queries (EPCIS 2.0 REST binding, ``/queries/{name}/subscriptions``).

A webhook subscription sends its query's new events to ``dest`` as EPCISQueryDocuments,
either as they are recorded (``stream: true``) or when its ``schedule`` runs (then,
with ``reportIfEmpty``, even when no event is new). Every notice goes through the durable
outbox of trace/notify/: a subscription owns a row of ``webhooks`` (same id) holding its
``dest`` and its ``signatureToken`` sealed under the master key, and its notices are rows
of ``webhook_deliveries``, so they are retried for a day, survive a restart and carry
one ``Webhook-Id`` across attempts. trace/notify/delivery.py signs them with the token
and puts the signature in the binding's ``GS1-Signature`` header; the notices themselves
are queued by trace/epcis/subscription_notices.py.

A subscription is made under the lock of that module's projection, so the projection's
next run sees it. It starts at the log's size then: positions follow commit order, so it
gets every matching event recorded after it and none before. With ``initialRecordTime``
it starts where the projection is instead, and the matching events recorded since that
time that the projection has passed already are queued with it.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

import msgspec
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from trace.domain.errors import DomainError
from trace.domain.record import now_us
from trace.domain.texts import N_
from trace.epcis.named_queries import find_query
from trace.epcis.schedules import InvalidSchedule, Schedule, parse_schedule
from trace.epcis.subscription_notices import NAME, iso_time, matching_events, queue_found
from trace.notify.registry import DeliveryState, check_url, seal_secret
from trace.store.database import is_sqlite, read_transaction, write_transaction
from trace.store.ledger import Ledger
from trace.store.tables import (
    epcis_named_queries,
    epcis_subscriptions,
    log_head,
    projection_positions,
    webhook_deliveries,
    webhooks,
)

MAX_SUBSCRIPTIONS = 20
MIN_TOKEN = 16
MAX_TOKEN = 512


class InvalidSubscription(DomainError):
    """The body of a subscription cannot make one (SubscriptionControlsException)."""

    code = "epcis_invalid_subscription"
    words = N_("This subscription cannot be made: {detail}")
    variants = MappingProxyType(
        {
            "stream_or_schedule": N_(
                'A subscription needs either "stream": true (each new event as it is '
                'recorded) or a "schedule", not both and not neither.'
            ),
            "token": N_(
                'A webhook subscription needs a "signatureToken" of {low} to {high} '
                "characters, made by you: every notice is signed with it."
            ),
            "report_if_empty": N_(
                '"reportIfEmpty" applies to scheduled subscriptions: a stream reports only events.'
            ),
            "schedule": N_(
                'The schedule\'s "{field}" must be numbers from {low} to {high}, '
                "ranges [a-b] or steps a/b, separated by commas."
            ),
            "time": N_(
                'The "{field}" must be a time with a UTC offset, e.g. 2026-09-01T07:00:00+07:00.'
            ),
            "too_many": N_(
                "An agency has at most {limit} subscriptions; delete one it no longer uses first."
            ),
        }
    )


class UnknownSubscription(DomainError):
    """The named query has no subscription of this id."""

    code = "epcis_unknown_subscription"
    words = N_("The query {name} has no subscription {id}.")


@dataclass(frozen=True, slots=True)
class Subscription:
    """A webhook subscription to a named query (its token is never read back)."""

    id: str
    agency_id: str
    query_name: str
    dest: str
    schedule: dict[str, str] | None
    report_if_empty: bool
    initial_record_us: int | None
    created_at_us: int
    last_notified_us: int | None

    def described(self) -> dict[str, Any]:
        """The subscription as the binding describes it (no ``signatureToken``)."""
        shown: dict[str, Any] = {
            "subscriptionID": self.id,
            "queryName": self.query_name,
            "dest": self.dest,
            "createdAt": iso_time(self.created_at_us),
        }
        if self.schedule is None:
            shown["stream"] = True
        else:
            shown["schedule"] = self.schedule
            shown["reportIfEmpty"] = self.report_if_empty
        if self.initial_record_us is not None:
            shown["initialRecordTime"] = iso_time(self.initial_record_us)
        if self.last_notified_us is not None:
            shown["lastNotifiedAt"] = iso_time(self.last_notified_us)
        return shown


def check_schedule(schedule: dict[str, str]) -> Schedule:
    """The parsed schedule; :class:`InvalidSubscription` naming the wrong field."""
    try:
        plan = parse_schedule(schedule)
        plan.next_after(now_us())  # a schedule no day matches (30 February) is refused
        return plan
    except InvalidSchedule as exc:
        raise InvalidSubscription(
            str(exc), rule="schedule", field=exc.field, low=exc.low, high=exc.high
        ) from None


def check_controls(
    *, stream: bool | None, schedule: dict[str, str] | None, report_if_empty: bool
) -> Schedule | None:
    """The subscription's schedule (``None`` for a stream), its controls checked."""
    if (stream is True) == (schedule is not None) or stream is False:
        raise InvalidSubscription("stream or schedule", rule="stream_or_schedule")
    if schedule is None:
        if report_if_empty:
            raise InvalidSubscription("reportIfEmpty on a stream", rule="report_if_empty")
        return None
    return check_schedule(schedule)


async def _projection_position(conn: AsyncConnection) -> int:
    """The outbox projection's position, locked until the transaction ends."""
    query = select(projection_positions.c.position).where(projection_positions.c.name == NAME)
    if not is_sqlite(conn.engine):
        query = query.with_for_update()
    found = (await conn.execute(query)).scalar()
    return int(found or 0)


async def create_subscription(
    ledger: Ledger,
    agency_id: str,
    query_name: str,
    *,
    dest: str,
    token: str | None,
    stream: bool | None,
    schedule: dict[str, str] | None,
    report_if_empty: bool,
    initial_record_us: int | None,
    allow_loopback: bool,
) -> Subscription:
    """Subscribe ``dest`` to the agency's query ``query_name``; checked whole first."""
    plan = check_controls(stream=stream, schedule=schedule, report_if_empty=report_if_empty)
    address = check_url(dest, allow_loopback=allow_loopback)
    if token is None or not MIN_TOKEN <= len(token) <= MAX_TOKEN:
        raise InvalidSubscription("signatureToken", rule="token", low=MIN_TOKEN, high=MAX_TOKEN)
    subscription_id = str(uuid.uuid4())
    at = now_us()
    async with write_transaction(ledger.engine) as conn:
        named = await find_query(conn, agency_id, query_name)
        active = await conn.execute(
            select(epcis_subscriptions.c.id).where(
                epcis_subscriptions.c.agency_id == agency_id,
                epcis_subscriptions.c.deleted_at_us.is_(None),
            )
        )
        if len(active.all()) >= MAX_SUBSCRIPTIONS:
            raise InvalidSubscription("too many", rule="too_many", limit=MAX_SUBSCRIPTIONS)
        # Under the outbox's lock: its next run sees this subscription.
        followed = await _projection_position(conn)
        size = int((await conn.execute(select(log_head.c.size))).scalar_one())
        # Without initialRecordTime, from the first record after this one commits; with it,
        # the outbox queues what it has not followed yet, and this transaction the rest.
        position = size if initial_record_us is None else followed
        await conn.execute(
            webhooks.insert().values(
                id=subscription_id,
                agency_id=agency_id,
                url=address,
                events="",  # wants none of the agency webhooks' events
                sealed_secret=seal_secret(ledger, subscription_id, token.encode()),
                created_at_us=at,
                disabled_at_us=None,
            )
        )
        await conn.execute(
            epcis_subscriptions.insert().values(
                id=subscription_id,
                agency_id=agency_id,
                query_name=query_name,
                schedule=None if schedule is None else msgspec.json.encode(schedule).decode(),
                report_if_empty=report_if_empty,
                initial_record_us=initial_record_us,
                start_position=position,
                cursor_position=0 if initial_record_us is not None else position,
                next_run_us=None if plan is None else plan.next_after(at),
                created_at_us=at,
                deleted_at_us=None,
            )
        )
        if plan is None and initial_record_us is not None:
            found = await matching_events(
                conn, named.event_query(), start=0, end=position, initial_us=initial_record_us
            )
            await queue_found(conn, subscription_id, "initial", query_name, found)
    return Subscription(
        subscription_id,
        agency_id,
        query_name,
        address,
        schedule,
        report_if_empty,
        initial_record_us,
        at,
        None,
    )


def _listed() -> Any:
    delivered = (
        select(func.max(webhook_deliveries.c.delivered_at_us))
        .where(webhook_deliveries.c.webhook_id == epcis_subscriptions.c.id)
        .scalar_subquery()
    )
    return (
        select(epcis_subscriptions, webhooks.c.url, delivered.label("last_notified_us"))
        .join(webhooks, webhooks.c.id == epcis_subscriptions.c.id)
        .where(epcis_subscriptions.c.deleted_at_us.is_(None))
    )


def _of(row: Any) -> Subscription:
    schedule = None if row.schedule is None else msgspec.json.decode(row.schedule)
    return Subscription(
        row.id,
        row.agency_id,
        row.query_name,
        row.url,
        schedule,
        bool(row.report_if_empty),
        row.initial_record_us,
        row.created_at_us,
        row.last_notified_us,
    )


async def list_subscriptions(ledger: Ledger, agency_id: str, query_name: str) -> list[Subscription]:
    """The query's subscriptions in use, oldest first (404 for a query the agency lacks)."""
    async with read_transaction(ledger.engine) as conn:
        await find_query(conn, agency_id, query_name)
        rows = await conn.execute(
            _listed()
            .where(
                epcis_subscriptions.c.agency_id == agency_id,
                epcis_subscriptions.c.query_name == query_name,
            )
            .order_by(epcis_subscriptions.c.created_at_us, epcis_subscriptions.c.id)
        )
        return [_of(row) for row in rows]


async def find_subscription(
    ledger: Ledger, agency_id: str, query_name: str, subscription_id: str
) -> Subscription:
    """One subscription of the agency's query; :class:`UnknownSubscription` otherwise."""
    async with read_transaction(ledger.engine) as conn:
        await find_query(conn, agency_id, query_name)
        row = (
            await conn.execute(
                _listed().where(
                    epcis_subscriptions.c.id == subscription_id,
                    epcis_subscriptions.c.agency_id == agency_id,
                    epcis_subscriptions.c.query_name == query_name,
                )
            )
        ).first()
    if row is None:
        raise UnknownSubscription("no subscription", name=query_name, id=subscription_id)
    return _of(row)


async def _end(conn: AsyncConnection, ids: Sequence[str]) -> None:
    """Stop subscriptions ``ids``: no new notice, and their waiting ones are given up."""
    if not ids:
        return
    at = now_us()
    await conn.execute(
        update(epcis_subscriptions)
        .where(epcis_subscriptions.c.id.in_(ids))
        .values(deleted_at_us=at)
    )
    await conn.execute(update(webhooks).where(webhooks.c.id.in_(ids)).values(disabled_at_us=at))
    await conn.execute(
        update(webhook_deliveries)
        .where(
            webhook_deliveries.c.webhook_id.in_(ids),
            webhook_deliveries.c.state == DeliveryState.PENDING.value,
        )
        .values(state=DeliveryState.FAILED.value, last_error="unsubscribed")
    )


async def delete_subscription(
    ledger: Ledger, agency_id: str, query_name: str, subscription_id: str
) -> None:
    """Unsubscribe (the binding's ``DELETE .../subscriptions/{id}``)."""
    async with write_transaction(ledger.engine) as conn:
        await find_query(conn, agency_id, query_name)
        found = (
            await conn.execute(
                select(epcis_subscriptions.c.id).where(
                    epcis_subscriptions.c.id == subscription_id,
                    epcis_subscriptions.c.agency_id == agency_id,
                    epcis_subscriptions.c.query_name == query_name,
                    epcis_subscriptions.c.deleted_at_us.is_(None),
                )
            )
        ).first()
        if found is None:
            raise UnknownSubscription("no subscription", name=query_name, id=subscription_id)
        await _end(conn, [subscription_id])


async def delete_query(ledger: Ledger, agency_id: str, query_name: str) -> None:
    """Delete a named query and end every subscription to it."""
    async with write_transaction(ledger.engine) as conn:
        await find_query(conn, agency_id, query_name)
        rows = await conn.execute(
            select(epcis_subscriptions.c.id).where(
                epcis_subscriptions.c.agency_id == agency_id,
                epcis_subscriptions.c.query_name == query_name,
                epcis_subscriptions.c.deleted_at_us.is_(None),
            )
        )
        await _end(conn, [row.id for row in rows])
        await conn.execute(
            epcis_named_queries.delete().where(
                epcis_named_queries.c.agency_id == agency_id,
                epcis_named_queries.c.name == query_name,
            )
        )
