"""The notices of EPCIS subscriptions, queued in the durable outbox (trace/notify/).

Stream notices are queued by a projection (:class:`SubscriptionOutbox`) that follows the
"epcis" index: the events of a run of records are matched against each stream
subscription in the transaction that moves the projection past them, so each is queued
once, and none is lost when the service dies in between (the next catch-up, in this
process or after a restart, queues it). Scheduled reports are queued by
:func:`report_schedules` in the transaction that moves the subscription's cursor and its
next run. Each notice is an EPCISQueryDocument of at most :data:`MAX_PER_PAGE` events,
with an ``event_key`` naming where it comes from, so it is never queued twice; delivery
(trace/notify/delivery.py) signs it with the subscription's signatureToken.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from typing import Any

import msgspec
from sqlalchemy import and_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from trace.domain.record import Record, from_us, now_us
from trace.epcis.index import EpcisIndex
from trace.epcis.named_queries import NamedQuery, UnknownNamedQuery, find_query
from trace.epcis.query import MAX_PER_PAGE, EventQuery
from trace.epcis.schedules import parse_schedule
from trace.epcis.shared_context import shared_context
from trace.notify.registry import DeliveryState
from trace.store.database import Reads, is_sqlite, read_transaction, write_transaction
from trace.store.ledger import Ledger
from trace.store.projections import catch_up
from trace.store.tables import epcis_events, epcis_subscriptions, webhook_deliveries

NAME = "epcis_subscriptions"
# The ``event`` of a subscription's notices in the outbox (trace/notify/delivery.py signs
# these with the subscription's token, in GS1-Signature too).
NOTICE_EVENT = "epcis_query"
_log = logging.getLogger("trace.epcis.subscriptions")


def iso_time(at_us: int) -> str:
    """A time as the binding writes it (UTC, milliseconds)."""
    return from_us(at_us).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def query_document(query_name: str, subscription_id: str | None, events: Sequence[str]) -> bytes:
    """The EPCISQueryDocument of a subscription's report (EPCIS 2.0 section 8.2.5.5)."""
    context, written = shared_context(events)
    results: dict[str, Any] = {"queryName": query_name}
    if subscription_id is not None:
        results["subscriptionID"] = subscription_id
    results["resultsBody"] = {"eventList": written}
    document = {
        "@context": context,
        "type": "EPCISQueryDocument",
        "schemaVersion": "2.0",
        "creationDate": iso_time(now_us()),
        "epcisBody": {"queryResults": results},
    }
    return msgspec.json.encode(document)


async def matching_events(
    conn: Reads, query: EventQuery, *, start: int, end: int, initial_us: int | None
) -> list[tuple[int, str]]:
    """(position, event) of the events at positions ``start`` to ``end`` (excluded) that
    match ``query`` and, with ``initial_us``, were recorded from then on."""
    conditions = [
        epcis_events.c.position >= start,
        epcis_events.c.position < end,
        *query.conditions,
    ]
    if initial_us is not None:
        conditions.append(epcis_events.c.record_time_us >= initial_us)
    rows = await conn.execute(
        select(epcis_events.c.position, epcis_events.c.event)
        .where(and_(*conditions))
        .order_by(epcis_events.c.position)
    )
    return [(row.position, row.event) for row in rows]


async def _queue(
    conn: AsyncConnection, subscription_id: str, key: str, query_name: str, events: Sequence[str]
) -> None:
    at = now_us()
    body = query_document(query_name, subscription_id, events)
    await conn.execute(
        webhook_deliveries.insert().values(
            id=str(uuid.uuid4()),
            webhook_id=subscription_id,
            event=NOTICE_EVENT,
            event_key=key,
            body=body.decode(),
            state=DeliveryState.PENDING.value,
            attempts=0,
            next_attempt_us=at,
            created_at_us=at,
        )
    )


async def queue_found(
    conn: AsyncConnection, subscription_id: str, key: str, query_name: str, found: list[Any]
) -> None:
    """Queue ``found`` events in notices of at most :data:`MAX_PER_PAGE` events each."""
    for start in range(0, len(found), MAX_PER_PAGE):
        chunk = found[start : start + MAX_PER_PAGE]
        await _queue(
            conn, subscription_id, f"{key}:{chunk[0][0]}", query_name, [e for _, e in chunk]
        )


async def _subscribed(
    conn: AsyncConnection, condition: Any, *, claim: bool = False
) -> list[tuple[Any, NamedQuery]]:
    """Subscriptions in use that meet ``condition``, each with its named query; with
    ``claim``, locked for this transaction (on PostgreSQL, skipping those another holds)."""
    query = select(epcis_subscriptions).where(
        epcis_subscriptions.c.deleted_at_us.is_(None), condition
    )
    if claim and not is_sqlite(conn.engine):
        query = query.with_for_update(skip_locked=True)
    rows = (await conn.execute(query)).all()
    found = []
    for row in rows:
        try:
            found.append((row, await find_query(conn, row.agency_id, row.query_name)))
        except UnknownNamedQuery:
            _log.warning("subscription %s has no query %s", row.id, row.query_name)
    return found


class SubscriptionOutbox:
    """The projection that queues stream subscriptions' notices, following the index."""

    name = NAME

    async def apply(self, conn: AsyncConnection, records: Sequence[Record]) -> None:
        """Queue, for each stream subscription, the events of ``records`` it matches."""
        first, end = records[0].position, records[-1].position + 1
        streams = await _subscribed(
            conn,
            and_(
                epcis_subscriptions.c.schedule.is_(None),
                epcis_subscriptions.c.start_position < end,
            ),
        )
        for row, named in streams:
            found = await matching_events(
                conn,
                named.event_query(),
                start=max(first, row.start_position),
                end=end,
                initial_us=row.initial_record_us,
            )
            await queue_found(conn, row.id, "stream", named.name, found)


async def report_schedules(ledger: Ledger, reached: int) -> int:
    """Queue the reports of the scheduled subscriptions due now, with the events the index
    holds below ``reached``; return how many subscriptions reported."""
    now = now_us()
    due_now = and_(
        epcis_subscriptions.c.schedule.is_not(None), epcis_subscriptions.c.next_run_us <= now
    )
    async with read_transaction(ledger.engine) as conn:  # most polls end here
        first = select(epcis_subscriptions.c.id).where(
            epcis_subscriptions.c.deleted_at_us.is_(None), due_now
        )
        if (await conn.execute(first.limit(1))).first() is None:
            return 0
    async with write_transaction(ledger.engine) as conn:
        due = await _subscribed(conn, due_now, claim=True)
        for row, named in due:
            found = await matching_events(
                conn,
                named.event_query(),
                start=row.cursor_position,
                end=reached,
                initial_us=row.initial_record_us,
            )
            key = f"schedule:{row.next_run_us}"
            if found:
                await queue_found(conn, row.id, key, named.name, found)
            elif row.report_if_empty:
                await _queue(conn, row.id, f"{key}:empty", named.name, [])
            plan = parse_schedule(msgspec.json.decode(row.schedule))
            await conn.execute(
                update(epcis_subscriptions)
                .where(
                    epcis_subscriptions.c.id == row.id,
                    epcis_subscriptions.c.next_run_us == row.next_run_us,
                )
                .values(
                    cursor_position=max(reached, row.cursor_position),
                    next_run_us=plan.next_after(now),
                )
            )
    return len(due)


async def queue_subscription_notices(ledger: Ledger, public_url: str) -> None:
    """Bring the index and the subscriptions' outbox up to date; queue due schedules.

    With no subscription in use it does nothing: a subscription made later starts at the
    log's size then, so the records the outbox has not followed yet concern nobody.
    """
    async with read_transaction(ledger.engine) as conn:
        anyone = select(epcis_subscriptions.c.id).where(
            epcis_subscriptions.c.deleted_at_us.is_(None)
        )
        if (await conn.execute(anyone.limit(1))).first() is None:
            return
    reached = await catch_up(ledger, EpcisIndex(public_url))
    await catch_up(ledger, SubscriptionOutbox(), until=reached)
    await report_schedules(ledger, reached)
