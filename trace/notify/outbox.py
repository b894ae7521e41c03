"""The outbox: the notices each record owes to webhooks, queued as a projection of the log.

The outbox follows the log like the other projections (trace/store/projections.py): the
notices of a run of records are inserted in the transaction that moves its position past
them. So a notice is queued exactly once, and none is lost when the service dies after a
recall commits: the next catch-up, in this process or after a restart, queues it. It
reads the batch graph, and so follows only records the genealogy projection has applied
(``catch_up(..., until=...)``).

- A `recalled` record notifies, through their ``recall`` webhooks, every agency that holds
  or is receiving a batch in the recall's reach (trace/genealogy/reach.py), with the
  batches that concern it.
- An `inspected` record notifies, through their ``inspection`` webhooks, the batch's
  producer and its holder.
- A recall's later steps (trace/domain/recall_flow.py) are ``recall_step`` notices on the
  ``recall`` webhooks: a holder's `withdrawn` to the authority that issued the recall, so it
  follows the withdrawals as they come; `recall_closed` to every agency the recall's reach
  concerns, so they know it is over. `recall_notified` tells nobody new: the holders had the
  recall's own notice.

A shopper's report is not a record: :func:`queue_report` queues its notices in the
transaction that keeps the report (trace/store/reports.py), to the report's readers.

Each notice's ``event_key`` names its source: a notice is never queued twice to one webhook.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from typing import Any

import msgspec
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from trace.domain.agency import AgencyKind
from trace.domain.facts import Fact, read_fact
from trace.domain.kinds import EventKind, RecallClosed, Withdrawn
from trace.domain.record import Record, now_us
from trace.genealogy.projection import GENEALOGY
from trace.genealogy.reach import Reach, Reached, reach
from trace.genealogy.recalls import find_recall
from trace.notify.registry import DeliveryState, WebhookEvent
from trace.store.batches import Batch, find_batch
from trace.store.ledger import Ledger
from trace.store.projections import catch_up
from trace.store.tables import agencies, records, webhook_deliveries, webhooks

NAME = "webhooks"
_STEP_NOTICES = frozenset({EventKind.WITHDRAWN.value, EventKind.RECALL_CLOSED.value})


class _Kind(msgspec.Struct):
    """Just the kind of a statement: most records are skipped on it alone."""

    kind: str


_kind_of = msgspec.json.Decoder(_Kind)
_encode = msgspec.json.Encoder(order="sorted").encode


class Outbox:
    """The projection that queues notices (``catch_up(ledger, Outbox(public_url))``)."""

    name = NAME

    def __init__(self, public_url: str) -> None:
        self.public_url = public_url

    async def apply(self, conn: AsyncConnection, records: Sequence[Record]) -> None:
        """Queue the notices of every `recalled` and `inspected` record of ``records``."""
        for record in records:
            kind = _kind(record)
            if kind == EventKind.RECALLED.value:
                await self._recalled(conn, record)
            elif kind == EventKind.INSPECTED.value:
                await self._inspected(conn, record)
            elif kind in _STEP_NOTICES:
                await self._step(conn, record)

    async def _recalled(self, conn: AsyncConnection, record: Record) -> None:
        if not await _anyone_wants(conn, WebhookEvent.RECALL):
            return  # no reach to walk when nobody would be told
        recall = await find_recall(conn, str(record.position))
        found = await reach(conn, recall, public_url=self.public_url)
        concerned = _by_agency(found.batches)
        hooks = await _webhooks(conn, concerned, WebhookEvent.RECALL)
        for hook_id, agency_id in hooks:
            body = self._recall_notice(found, agency_id, concerned[agency_id])
            await _queue(conn, hook_id, WebhookEvent.RECALL, f"recall:{record.position}", body)

    async def _inspected(self, conn: AsyncConnection, record: Record) -> None:
        fact = read_fact(record.statement)
        if not isinstance(fact, Fact):
            return
        batch = await find_batch(conn, record.batch)
        concerned = {batch.producer_id, batch.holder_id}
        hooks = await _webhooks(conn, concerned, WebhookEvent.INSPECTION)
        body = {
            "type": WebhookEvent.INSPECTION.value,
            "record": {
                "position": record.position,
                "hash": record.record_hash.hex(),
                "inspector": fact.statement.agency,
                "occurred_at": fact.statement.occurred_at,
            },
            "batch": self._batch(batch),
            "inspection": msgspec.to_builtins(fact.body),
        }
        for hook_id, agency_id in hooks:
            notice = {**body, "agency": agency_id}
            await _queue(
                conn, hook_id, WebhookEvent.INSPECTION, f"inspection:{record.position}", notice
            )

    async def _step(self, conn: AsyncConnection, record: Record) -> None:
        fact = read_fact(record.statement)
        if not isinstance(fact, Fact) or not isinstance(fact.body, Withdrawn | RecallClosed):
            return
        body = fact.body
        if not await _anyone_wants(conn, WebhookEvent.RECALL):
            return
        row = (
            await conn.execute(
                select(records.c.position).where(
                    records.c.record_hash == bytes.fromhex(body.recall)
                )
            )
        ).first()
        if row is None:
            return
        recall = await find_recall(conn, str(row.position))
        if isinstance(body, Withdrawn):
            concerned = {recall.authority}
        else:
            found = await reach(conn, recall, public_url=self.public_url)
            concerned = set(_by_agency(found.batches))
        batch = await find_batch(conn, record.batch)
        notice = {
            "type": "recall_step",
            "step": {
                "kind": fact.statement.kind,
                "position": record.position,
                "hash": record.record_hash.hex(),
                "agency": fact.statement.agency,
                "occurred_at": fact.statement.occurred_at,
                "batch": self._batch(batch),
                **msgspec.to_builtins(body),
            },
            "recall": {
                "id": recall.id,
                "hash": recall.record.record_hash.hex(),
                "url": f"{self.public_url}/api/v1/recalls/{recall.id}",
                "decision_number": recall.body.decision_number,
                "batch": self._batch(recall.batch),
            },
        }
        for hook_id, agency_id in await _webhooks(conn, concerned, WebhookEvent.RECALL):
            await _queue(
                conn,
                hook_id,
                WebhookEvent.RECALL,
                f"recall_step:{record.position}",
                {**notice, "agency": agency_id},
            )

    def _recall_notice(self, found: Reach, agency_id: str, held: list[Reached]) -> dict[str, Any]:
        recall = found.recall
        return {
            "type": WebhookEvent.RECALL.value,
            "agency": agency_id,
            "recall": {
                "id": recall.id,
                "hash": recall.record.record_hash.hex(),
                "url": f"{self.public_url}/api/v1/recalls/{recall.id}",
                "authority": recall.authority,
                "occurred_at": recall.occurred_at,
                "reason": recall.body.reason,
                "severity": recall.body.severity.value,
                "scope": recall.body.scope,
                "decision_number": recall.body.decision_number,
                "batch": self._batch(recall.batch),
            },
            "batches": [
                {
                    **self._batch(r.batch),
                    "depth": r.depth,
                    "held": r.batch.holder_id == agency_id,
                    "in_transit_to_you": r.batch.in_transit_to == agency_id,
                    "page_url": r.page_url,
                }
                for r in held
            ],
        }

    def _batch(self, batch: Batch) -> dict[str, Any]:
        return {"id": batch.id, "code": batch.code, "product": batch.product}


async def queue_notices(ledger: Ledger, outbox: Outbox) -> int:
    """Bring the graph, then the outbox, up to date; return the position the outbox reached."""
    graph = await catch_up(ledger, GENEALOGY)
    return await catch_up(ledger, outbox, until=graph)


async def queue_report(
    conn: AsyncConnection, number: int, batch: Batch, problem: str, at_us: int
) -> None:
    """Queue the notices of shopper's report ``number``, inside the transaction keeping it.

    To the ``report`` webhooks of those who read it: the batch's producer and the
    authorities of its province. The notice says which report and what kind of problem,
    not the shopper's words or contact: those are read with a token, at its ``url``.
    """
    readers = {batch.producer_id}
    if batch.province:
        rows = await conn.execute(
            select(agencies.c.id).where(
                agencies.c.kind == AgencyKind.AUTHORITY.value,
                agencies.c.province == batch.province,
            )
        )
        readers.update(row.id for row in rows)
    hooks = await _webhooks(conn, readers, WebhookEvent.REPORT)
    for hook_id, agency_id in hooks:
        body = {
            "type": WebhookEvent.REPORT.value,
            "agency": agency_id,
            "report": {
                "id": number,
                "problem": problem,
                "at_us": at_us,
                "url": f"/api/v1/reports?after={number - 1}&limit=1",
            },
            "batch": {"id": batch.id, "code": batch.code, "product": batch.product},
        }
        await _queue(conn, hook_id, WebhookEvent.REPORT, f"report:{number}", body)


def _kind(record: Record) -> str | None:
    try:
        return _kind_of.decode(record.statement).kind
    except (msgspec.DecodeError, UnicodeDecodeError):
        return None


def _by_agency(batches: Iterable[Reached]) -> dict[str, list[Reached]]:
    """The reached batches each agency holds or is receiving, by agency id."""
    concerned: dict[str, list[Reached]] = {}
    for reached in batches:
        for agency in {reached.batch.holder_id, reached.batch.in_transit_to}:
            if agency:
                concerned.setdefault(agency, []).append(reached)
    return concerned


async def _anyone_wants(conn: AsyncConnection, event: WebhookEvent) -> bool:
    """Whether any webhook in use wants ``event``."""
    rows = await conn.execute(select(webhooks.c.events).where(webhooks.c.disabled_at_us.is_(None)))
    return any(event.value in row.events.split() for row in rows)


async def _webhooks(
    conn: AsyncConnection, agencies: Iterable[str], event: WebhookEvent
) -> list[tuple[str, str]]:
    """(webhook id, agency id) of the webhooks in use among ``agencies`` that want ``event``."""
    wanted = sorted(set(agencies))
    found: list[tuple[str, str]] = []
    for start in range(0, len(wanted), 1000):
        rows = await conn.execute(
            select(webhooks.c.id, webhooks.c.agency_id, webhooks.c.events).where(
                webhooks.c.agency_id.in_(wanted[start : start + 1000]),
                webhooks.c.disabled_at_us.is_(None),
            )
        )
        found.extend((r.id, r.agency_id) for r in rows if event.value in r.events.split())
    return sorted(found)


async def _queue(
    conn: AsyncConnection, webhook_id: str, event: WebhookEvent, key: str, body: dict[str, Any]
) -> None:
    at = now_us()
    await conn.execute(
        webhook_deliveries.insert().values(
            id=str(uuid.uuid4()),
            webhook_id=webhook_id,
            event=event.value,
            event_key=key,
            body=_encode(body).decode(),
            state=DeliveryState.PENDING.value,
            attempts=0,
            next_attempt_us=at,
            created_at_us=at,
        )
    )
