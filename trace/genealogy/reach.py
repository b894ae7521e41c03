"""What a recall reaches: every batch made from the recalled one, who holds it, and where.

A recall reaches every batch downstream of the recalled batch, however many
transformations away: the walk has no depth limit, only its size bound (and says when it
hit it). For each batch the answer names who holds it now and in which commune and
province, whether it is on the road and to whom, and the provenance page that shows the
recall's banner (trace/public/view.py looks upstream for recalls, so the recalled batch's
page and every downstream page show it from the moment the recall is recorded).
"""

from __future__ import annotations

from dataclasses import dataclass

from trace.genealogy.holders import Holder, load_holders
from trace.genealogy.recall_steps import RecallProgress, recall_progress
from trace.genealogy.recalls import Recall
from trace.genealogy.walk import MAX_BATCHES, Direction, walk
from trace.store.batches import Batch
from trace.store.database import Reads


@dataclass(frozen=True, slots=True)
class Reached:
    """One batch a recall reaches (the recalled batch itself at depth 0)."""

    batch: Batch
    depth: int
    holder: Holder | None
    in_transit_to: Holder | None
    page_url: str


@dataclass(frozen=True, slots=True)
class Reach:
    """Every batch a recall reaches, nearest first, the pages that show its banner, and the
    recall's steps (``progress``: what each holder withdrew)."""

    recall: Recall
    batches: list[Reached]
    truncated: bool
    progress: RecallProgress

    @property
    def pages(self) -> list[str]:
        """The provenance pages that show this recall's banner: none once it is corrected."""
        return [] if self.recall.corrected else [r.page_url for r in self.batches]

    @property
    def downstream(self) -> list[Reached]:
        """The batches made from the recalled one."""
        return [r for r in self.batches if r.depth > 0]


async def reach(
    conn: Reads, recall: Recall, *, public_url: str, max_batches: int = MAX_BATCHES
) -> Reach:
    """The reach of ``recall``; page URLs start with ``public_url``. Its steps are those the
    ``recall_steps`` projection has applied: catch it up first for the latest."""
    found = await walk(
        conn, recall.batch, Direction.DOWNSTREAM, depth=None, max_batches=max_batches
    )
    holders = await load_holders(
        conn, (i for b in found.batches.values() for i in (b.holder_id, b.in_transit_to))
    )
    ordered = sorted(found.depths.items(), key=lambda item: (item[1], found.batches[item[0]].code))
    reached = []
    for batch_id, depth in ordered:
        batch = found.batches[batch_id]
        transit = holders.get(batch.in_transit_to) if batch.in_transit_to else None
        reached.append(
            Reached(
                batch,
                depth,
                holders.get(batch.holder_id),
                transit,
                f"{public_url}{batch.public_path}",
            )
        )
    return Reach(recall, reached, found.truncated, await recall_progress(conn, recall.id))
