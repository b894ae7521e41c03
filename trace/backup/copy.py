"""`copy-to`: the ledger moved into another database (SQLite to PostgreSQL), then proven.

Every table is either copied row for row or rebuilt from the records, never both:

- **copied**, as stored: the records (statement bytes, signatures, hashes), the log's head,
  tree nodes, checkpoints, witnesses and cosignatures, the log's key and every agency key
  (sealed under the same master key), agencies, tokens and console sessions, label runs,
  serials and scans, photos, idempotency keys, the batches' read model (kept by the append
  itself, not by a projection), the inspectors' audit trail, capture jobs, shoppers'
  reports, webhooks and their outbox with each notice's delivery state, and recall
  acknowledgements: what is not derived from the records, or is derived by the append;
- **rebuilt** by following the log (trace/store/projections.py): search, genealogy, recall
  steps and the EPCIS index (:data:`REBUILT`). Their positions are not copied, so each
  starts again from the first record;
- the outbox's own position *is* copied (:data:`KEPT_POSITIONS`), and so is the EPCIS
  subscriptions' (which queues their notices into it): the notices are copied with their
  delivery state, so both must go on from where they were, not queue them all again.

The copy runs in one read transaction on the source (one consistent state) and one write
transaction on the target (all or nothing). Stop the service first: what it writes after
the copy's snapshot would stay behind, and a copy that finds the source's log grew meanwhile
says so and is not used.
"""

from __future__ import annotations

import asyncio
import base64
import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import Table, delete, func, insert, select, update
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection

from trace.backup.errors import CopyDiffers, TargetNotEmpty
from trace.backup.proof import Proof, prove
from trace.backup.state import database_holdings, ledger_state
from trace.config import Settings
from trace.epcis.index import EpcisIndex
from trace.epcis.subscription_notices import NAME as SUBSCRIPTIONS
from trace.genealogy.projection import GENEALOGY
from trace.genealogy.recall_steps import RECALL_STEPS
from trace.notify.outbox import NAME as OUTBOX
from trace.search.projection import SearchProjection
from trace.store.database import async_url, connect, read_transaction, write_transaction
from trace.store.ledger import open_ledger
from trace.store.migrate import migrate, require_current_schema
from trace.store.projections import Projection, catch_up
from trace.store.tables import (
    batch_edges,
    batch_search,
    batch_search_facts,
    batch_search_kinds,
    batch_search_words,
    epcis_events,
    epcis_identifiers,
    log_head,
    metadata,
    projection_positions,
    recall_steps,
)

REBUILT: frozenset[Table] = frozenset(
    {
        batch_search,
        batch_search_words,
        batch_search_kinds,
        batch_search_facts,
        batch_edges,
        epcis_events,
        epcis_identifiers,
        recall_steps,
    }
)
KEPT_POSITIONS = frozenset({OUTBOX, SUBSCRIPTIONS})
_ROWS_AT_ONCE = 500


@dataclass(frozen=True, slots=True)
class CopyProof:
    """Rows copied per table (the same on both sides), and the new ledger's proof."""

    rows: dict[str, int]
    proof: Proof


def shown(url: str) -> str:
    """``url`` as it may be printed: without its password."""
    return make_url(url).render_as_string(hide_password=True)


def copy_ledger(settings: Settings, target_url: str) -> CopyProof:
    """Copy the configured ledger into the empty database at ``target_url``, and prove it.

    Blocking (migrations run their own event loop): call it with no loop running.
    """
    async_url(target_url)  # refuses a database the ledger does not run on
    asyncio.run(_require_current(settings.database_url))
    found = asyncio.run(database_holdings(target_url))
    if found:
        raise TargetNotEmpty(
            "target not empty", target=shown(target_url), found=", ".join(found[:5])
        )
    migrate(target_url)
    target = dataclasses.replace(settings, database_url=target_url)
    rows, size, root = asyncio.run(_copy(settings, target))
    return CopyProof(rows, asyncio.run(prove(target, size, root)))


async def _require_current(url: str) -> None:
    """Refuse a source whose schema is not this version's, before the target is touched."""
    engine = connect(url, pool_size=1)
    try:
        await require_current_schema(engine)
    finally:
        await engine.dispose()


async def _copy(source: Settings, target: Settings) -> tuple[dict[str, int], int, bytes]:
    reading, writing = connect(source.database_url), connect(target.database_url)
    try:
        async with read_transaction(reading) as src, write_transaction(writing) as dst:
            state = await ledger_state(src)
            rows = {}
            for table in metadata.sorted_tables:
                if table not in REBUILT:
                    rows[table.name] = await _copy_table(src, dst, table)
        async with read_transaction(writing) as dst:
            for name, count in rows.items():
                table = metadata.tables[name]
                found = (await dst.execute(select(func.count()).select_from(table))).scalar()
                if found != count:
                    raise CopyDiffers(name, reason="rows", table=name, found=found, count=count)
        async with read_transaction(reading) as src:
            now = (await src.execute(select(log_head.c.size))).scalar_one()
        if now != state.size:
            raise CopyDiffers("source moved", reason="moved", count=now - state.size)
    finally:
        await reading.dispose()
        await writing.dispose()
    await _rebuild(target)
    return rows, state.size, state.root


async def _copy_table(src: AsyncConnection, dst: AsyncConnection, table: Table) -> int:
    """Copy ``table``'s rows in primary-key order; return how many."""
    if table is log_head:  # the migration made its one row
        head = (await src.execute(select(log_head))).one()
        await dst.execute(
            update(log_head).where(log_head.c.id == head.id).values(size=head.size, edge=head.edge)
        )
        return 1
    query = select(table).order_by(*table.primary_key.columns)
    if table is projection_positions:
        await dst.execute(delete(projection_positions))
        query = query.where(projection_positions.c.name.in_(sorted(KEPT_POSITIONS)))
    count = 0
    result = await src.stream(query)
    async for part in result.partitions(_ROWS_AT_ONCE):
        await dst.execute(insert(table), [dict(row._mapping) for row in part])
        count += len(part)
    return count


def rebuilt_projections(settings: Settings) -> Sequence[Projection]:
    """The projections whose tables a copy rebuilds, in the order they read each other."""
    return (SearchProjection(), GENEALOGY, RECALL_STEPS, EpcisIndex(settings.public_url))


async def _rebuild(target: Settings) -> None:
    ledger = open_ledger(target)
    try:
        for projection in rebuilt_projections(target):
            await catch_up(ledger, projection)
    finally:
        await ledger.close()


def root_text(root: bytes) -> str:
    """A log root as checkpoints write it (base64)."""
    return base64.b64encode(root).decode()
