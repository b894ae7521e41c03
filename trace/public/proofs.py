"""The proofs behind a batch's public page, for its script to re-check on the shopper's phone.

`page_proofs` gives, for every record of a batch, what a proof bundle gives for one record
(trace/domain/bundle.py): the signed statement, the agency's key, the record's ledger fields
and its RFC 6962 inclusion proof; all of them against one signed checkpoint of the log, so
that the page's script (verify.js) checks one checkpoint signature for the whole chain.
The entries are built by `build_bundle`, so each spells its values as a bundle does.

Format ``trace.page-proofs/v1``::

    {"format": "trace.page-proofs/v1",
     "batch": {"id", "code", "version", "head": hex},
     "log_key": verifier key, "checkpoint": signed note with cosignatures,
     "witness_keys": [verifier key, ...],
     "records": [{"seq", "position", "recorded_at_us", "prev": hex, "record_hash": hex,
                  "statement": base64, "signature": base64, "key_id",
                  "agency_public_key": base64,
                  "inclusion": {"index", "tree_size", "hashes": [base64, ...]}}, ...]}
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from trace.domain.bundle import ProofBundle, build_bundle
from trace.domain.merkle import inclusion_proof, inclusion_ranges
from trace.domain.note import verifier_key_string
from trace.store.batches import Batch
from trace.store.checkpoints import covering_checkpoint, log_signer, witness_keys
from trace.store.database import read_transaction
from trace.store.ledger import Ledger
from trace.store.records import batch_records
from trace.store.tables import agency_keys
from trace.store.tree import load_subtrees

PAGE_PROOFS_FORMAT = "trace.page-proofs/v1"


async def page_proofs(
    ledger: Ledger, batch: Batch, *, origin: str, reads_from: AsyncEngine | None = None
) -> dict[str, Any]:
    """The ``trace.page-proofs/v1`` JSON of ``batch`` as read: its records, in seq order.

    Only the batch's first ``version`` records are given, so the proofs end at the head the
    caller read and the page shows. One checkpoint covers them all: the newest, or a new one
    signed when the newest does not yet hold the last record (as the bundle endpoint does).
    ``origin`` is the log's origin (``Settings.log_origin``); ``reads_from`` the database
    the page was read from (``Ledger.reader()``; the primary by default).
    """
    source = reads_from or ledger.engine
    async with read_transaction(source) as conn:
        records = await batch_records(conn, batch.id, limit=batch.version)
        rows = await conn.execute(
            select(agency_keys.c.key_id, agency_keys.c.public_key).where(
                agency_keys.c.key_id.in_({record.key_id for record in records})
            )
        )
        public_keys = {row.key_id: bytes(row.public_key) for row in rows}
    last = max((r.position for r in records), default=-1)
    signed, source = await covering_checkpoint(ledger, origin, last, source)
    size = signed.checkpoint.size
    async with read_transaction(source) as conn:
        # Every record's audit path from one fetch of the subtrees they need (what
        # prove_inclusion does for one record), rather than one query per record.
        tree = await load_subtrees(
            conn, [part for r in records for part in inclusion_ranges(r.position, size)]
        )
    log_key = (await log_signer(ledger, origin)).public
    witnesses = await witness_keys(ledger, reads_from=source)
    bundles = [
        build_bundle(
            record,
            agency_public_key=public_keys[record.key_id],
            inclusion_proof=inclusion_proof(record.position, size, tree),
            checkpoint=signed.note,
            log_key=log_key,
        )
        for record in records
    ]
    return {
        "format": PAGE_PROOFS_FORMAT,
        "batch": {
            "id": batch.id,
            "code": batch.code,
            "version": batch.version,
            "head": batch.head_hash.hex(),
        },
        "log_key": verifier_key_string(log_key),
        "checkpoint": signed.note,
        "witness_keys": [verifier_key_string(witness) for witness in witnesses],
        "records": [_entry(bundle) for bundle in bundles],
    }


def _entry(bundle: ProofBundle) -> dict[str, Any]:
    """One record's entry: the bundle's fields less those shared by every record."""
    record, inclusion = bundle.record, bundle.inclusion
    return {
        "seq": record.seq,
        "position": record.position,
        "recorded_at_us": record.recorded_at_us,
        "prev": record.prev,
        "record_hash": record.record_hash,
        "statement": bundle.statement,
        "signature": bundle.signature,
        "key_id": bundle.key_id,
        "agency_public_key": bundle.agency_public_key,
        "inclusion": {
            "index": inclusion.index,
            "tree_size": inclusion.tree_size,
            "hashes": list(inclusion.hashes),
        },
    }
