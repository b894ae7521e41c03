"""Proof bundles of many records at once, for a page of a batch's history.

Each bundle (trace/domain/bundle.py) proves one record's inclusion in the tree of the
newest signed checkpoint, signed first if none covers the records yet. The subtrees every
proof of the page needs are fetched in one query (trace/store/tree.py), so a page of a
hundred records costs about what one proof does.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncEngine

from trace.domain.bundle import ProofBundle, build_bundle
from trace.domain.merkle import inclusion_proof, inclusion_ranges
from trace.domain.record import Record
from trace.store.agencies import key_statuses
from trace.store.checkpoints import covering_checkpoint, log_signer, witness_keys
from trace.store.database import read_transaction
from trace.store.ledger import Ledger
from trace.store.tree import load_subtrees


async def proof_bundles(
    ledger: Ledger, origin: str, records: Sequence[Record], *, reads_from: AsyncEngine | None = None
) -> list[ProofBundle]:
    """The bundle of each of ``records`` (in their order), against one checkpoint.

    ``reads_from`` is the database the records were read from (``Ledger.reader()``).
    """
    if not records:
        return []
    last = max(record.position for record in records)
    latest, source = await covering_checkpoint(ledger, origin, last, reads_from or ledger.engine)
    size = latest.checkpoint.size
    async with read_transaction(source) as conn:
        tree = await load_subtrees(
            conn, [part for r in records for part in inclusion_ranges(r.position, size)]
        )
        keys = await key_statuses(conn, {record.key_id for record in records})
    signer = await log_signer(ledger, origin)
    witnesses = await witness_keys(ledger, reads_from=source)
    return [
        build_bundle(
            record,
            # A key id changed behind the ledger's back names no key: the bundle then fails
            # its key check, as it should.
            agency_public_key=keys[record.key_id].public_key if record.key_id in keys else b"",
            inclusion_proof=inclusion_proof(record.position, size, tree),
            checkpoint=latest.note,
            log_key=signer.public,
            witness_keys=witnesses,
        )
        for record in records
    ]
