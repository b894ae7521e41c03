"""The recall a step of the recall workflow names, read inside the append transaction.

A step (`recall_notified`, `withdrawn`, `recall_closed`; trace/domain/recall_flow.py)
names its recall by the `recalled` record's hash. The rules need to know which batch
that recall is on, who issued it, whether a correction withdrew it or a `recall_closed`
closed it, and whether it reaches the batch the step is recorded on. All of it is read
from the records themselves, not from a projection, so the answer is as current as the
transaction: a batch made from the recalled one a moment ago is reached already.
"""

from __future__ import annotations

from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncConnection

from trace.domain.facts import Fact, read_fact
from trace.domain.kinds import Corrected, EventKind, RecallClosed, Transformed
from trace.domain.recall_flow import RecallContext
from trace.store.tables import records

# Upstream of one batch there are rarely more than a few dozen; the bound keeps a
# pathological graph from holding the append transaction.
MAX_UPSTREAM = 10_000

_RECALL = select(records.c.position, records.c.batch_id, records.c.agency_id, records.c.kind).where(
    records.c.record_hash == bindparam("hash")
)
_OF_KINDS = select(records.c.batch_id, records.c.record_hash, records.c.statement).where(
    records.c.batch_id.in_(bindparam("batches", expanding=True)),
    records.c.kind.in_(bindparam("kinds", expanding=True)),
)


async def recall_context(
    conn: AsyncConnection, recall_hash: str, batch_id: str
) -> RecallContext | None:
    """The recall whose `recalled` record has hash ``recall_hash`` (hex), as a step on batch
    ``batch_id`` sees it; None if no `recalled` record has that hash."""
    row = (await conn.execute(_RECALL, {"hash": bytes.fromhex(recall_hash)})).first()
    if row is None or row.kind != EventKind.RECALLED.value:
        return None
    recall_batch = str(row.batch_id)
    corrected = closed = False
    kinds = [EventKind.CORRECTED.value, EventKind.RECALL_CLOSED.value]
    for found in await conn.execute(_OF_KINDS, {"batches": [recall_batch], "kinds": kinds}):
        fact = read_fact(bytes(found.statement))
        body = fact.body if isinstance(fact, Fact) else None
        if isinstance(body, Corrected) and body.corrects == recall_hash:
            corrected = True
        elif isinstance(body, RecallClosed) and body.recall == recall_hash:
            closed = True
    reaches = batch_id == recall_batch or await _upstream_of(conn, batch_id, recall_batch)
    return RecallContext(
        position=int(row.position),
        batch=recall_batch,
        authority=str(row.agency_id),
        reaches=reaches,
        corrected=corrected,
        closed=closed,
    )


async def _upstream_of(conn: AsyncConnection, batch_id: str, ancestor: str) -> bool:
    """Whether ``ancestor`` went into ``batch_id``, through any number of `transformed`
    records that no correction declared wrong (the edges the reach follows)."""
    seen = {batch_id}
    frontier = [batch_id]
    kinds = [EventKind.TRANSFORMED.value, EventKind.CORRECTED.value]
    while frontier and len(seen) < MAX_UPSTREAM:
        inputs: dict[bytes, list[str]] = {}
        wrong: set[str] = set()
        for start in range(0, len(frontier), 1000):
            chunk = frontier[start : start + 1000]
            for row in await conn.execute(_OF_KINDS, {"batches": chunk, "kinds": kinds}):
                fact = read_fact(bytes(row.statement))
                if isinstance(fact.body, Transformed):
                    inputs[bytes(row.record_hash)] = [i.batch for i in fact.body.inputs]
                elif isinstance(fact.body, Corrected):
                    wrong.add(fact.body.corrects)
        frontier = []
        for record_hash, batches in inputs.items():
            if record_hash.hex() in wrong:
                continue
            for batch in batches:
                if batch == ancestor:
                    return True
                if batch not in seen:
                    seen.add(batch)
                    frontier.append(batch)
    return False
