"""A holder's recall notices: the recalls that reach batches it holds or is receiving.

What the console shows a distributor or a processor: every recall whose reach (the
recalled batch and every batch made from it, trace/genealogy/reach.py) includes a batch
the agency holds now or that is on its way to it, newest first, with those batches,
what it has withdrawn of each, and whether it acknowledged the notice. The reach is
walked as it is now, so a batch received after the recall is listed, as its page shows
the banner; one the agency has handed on is the next holder's.

An acknowledgement is kept once (``recall_acknowledgements``, the first time stays), and
is the same as acknowledging the recall's webhook notice
(``POST /api/v1/webhooks/deliveries/{id}/ack``): either marks both.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from trace.domain.record import now_us
from trace.genealogy.reach import Reach, Reached, reach
from trace.genealogy.recalls import Recall, RecallFilter, list_recalls
from trace.store.database import Reads
from trace.store.errors import NotFound
from trace.store.tables import recall_acknowledgements, webhook_deliveries, webhooks

# Recalls are read this many at a time, newest first, until a page of notices is full.
_CHUNK = 50


@dataclass(frozen=True, slots=True)
class Notice:
    """A recall that reaches ``batches`` of the agency; ``acknowledged_at_us`` None if not."""

    reach: Reach
    batches: list[Reached]
    acknowledged_at_us: int | None

    @property
    def recall(self) -> Recall:
        """The recall."""
        return self.reach.recall


def concerns(found: Reach, agency_id: str) -> list[Reached]:
    """The batches of ``found`` that ``agency_id`` holds or is receiving."""
    return [r for r in found.batches if agency_id in (r.batch.holder_id, r.batch.in_transit_to)]


async def list_notices(
    conn: AsyncConnection, agency_id: str, *, public_url: str, before: int | None, limit: int
) -> tuple[list[Notice], int | None]:
    """Up to ``limit`` notices of ``agency_id``, newest first, of recalls logged before
    position ``before``; and the position to continue from (None after the last)."""
    found: list[Notice] = []
    while True:
        recalls, last = await list_recalls(conn, RecallFilter(), before=before, limit=_CHUNK)
        for recall in recalls:
            walked = await reach(conn, recall, public_url=public_url)
            held = concerns(walked, agency_id)
            if not held:
                continue
            if len(found) == limit:
                return found, found[-1].recall.id
            found.append(Notice(walked, held, await _acknowledged(conn, recall.id, agency_id)))
        if last is None:
            return found, None
        before = last


async def find_notice(conn: Reads, recall: Recall, agency_id: str, *, public_url: str) -> Notice:
    """The notice of ``recall`` to ``agency_id``; :class:`NotFound` if the recall reaches
    nothing the agency holds or is receiving."""
    walked = await reach(conn, recall, public_url=public_url)
    held = concerns(walked, agency_id)
    if not held:
        raise NotFound(
            f"recall {recall.id} reaches no batch this agency holds",
            what="recall notice",
            id=str(recall.id),
        )
    return Notice(walked, held, await _acknowledged(conn, recall.id, agency_id))


async def acknowledge_notice(conn: AsyncConnection, recall_position: int, agency_id: str) -> int:
    """Record that ``agency_id`` read the notice of the recall at ``recall_position``, and
    mark its webhook notices of it acknowledged; the first time stays. Returns that time."""
    earlier = await _acknowledged(conn, recall_position, agency_id)
    at = earlier if earlier is not None else now_us()
    if not await _recorded(conn, recall_position, agency_id):
        await conn.execute(
            recall_acknowledgements.insert().values(
                recall_position=recall_position, agency_id=agency_id, acknowledged_at_us=at
            )
        )
    hooks = select(webhooks.c.id).where(webhooks.c.agency_id == agency_id)
    await conn.execute(
        update(webhook_deliveries)
        .where(
            webhook_deliveries.c.webhook_id.in_(hooks.scalar_subquery()),
            webhook_deliveries.c.event_key == f"recall:{recall_position}",
            webhook_deliveries.c.acknowledged_at_us.is_(None),
        )
        .values(acknowledged_at_us=at)
    )
    return at


async def _recorded(conn: Reads, recall_position: int, agency_id: str) -> bool:
    row = await conn.execute(
        select(recall_acknowledgements.c.acknowledged_at_us).where(
            recall_acknowledgements.c.recall_position == recall_position,
            recall_acknowledgements.c.agency_id == agency_id,
        )
    )
    return row.first() is not None


async def _acknowledged(conn: Reads, recall_position: int, agency_id: str) -> int | None:
    """When ``agency_id`` first acknowledged the recall, here or through a webhook notice."""
    times = []
    own = await conn.execute(
        select(recall_acknowledgements.c.acknowledged_at_us).where(
            recall_acknowledgements.c.recall_position == recall_position,
            recall_acknowledgements.c.agency_id == agency_id,
        )
    )
    times += [int(row.acknowledged_at_us) for row in own]
    hooked = await conn.execute(
        select(webhook_deliveries.c.acknowledged_at_us)
        .join(webhooks, webhooks.c.id == webhook_deliveries.c.webhook_id)
        .where(
            webhooks.c.agency_id == agency_id,
            webhook_deliveries.c.event_key == f"recall:{recall_position}",
            webhook_deliveries.c.acknowledged_at_us.is_not(None),
        )
    )
    times += [int(row.acknowledged_at_us) for row in hooked]
    return min(times) if times else None
