"""The audit: every chain, every signature, and the log's positions, from stored bytes."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from sqlalchemy import func, select

from trace.domain.chain import ChainFault, Fault, verify_chain
from trace.store.agencies import key_statuses
from trace.store.batches import Batch, all_batches, find_batch
from trace.store.database import read_transaction
from trace.store.ledger import Ledger
from trace.store.log_audit import check_log
from trace.store.records import batch_records
from trace.store.tables import log_head, records


@dataclass
class AuditReport:
    """What the audit checked and every fault it found."""

    batches: int = 0
    records: int = 0
    faults: list[ChainFault] = field(default_factory=list)
    codes: dict[str, str] = field(default_factory=dict)

    @property
    def intact(self) -> bool:
        """True when nothing was found wrong."""
        return not self.faults


async def verify_batch(ledger: Ledger, ref: str) -> tuple[Batch, int, list[ChainFault]]:
    """Verify one batch's chain; return the batch, its record count and the faults."""
    async with read_transaction(ledger.engine) as conn:
        batch = await find_batch(conn, ref)
        keys = await key_statuses(conn)
        chain = await batch_records(conn, batch.id)
    faults = verify_chain(batch.id, chain, keys, head_seq=batch.version, head_hash=batch.head_hash)
    return batch, len(chain), faults


async def audit(
    ledger: Ledger,
    progress: Callable[[int, int], None] | None = None,
    published: Sequence[str] = (),
) -> AuditReport:
    """Verify every batch, the log's positions, its tree, and every checkpoint.

    ``published`` are signed checkpoints kept outside the database (a witness's, a
    download): each must still be the root of the records as they are now.
    """
    report = AuditReport()
    async with read_transaction(ledger.engine) as conn:
        keys = await key_statuses(conn)
        every = await all_batches(conn)
        size = (await conn.execute(select(log_head.c.size))).scalar_one()
        log = (
            await conn.execute(
                select(
                    records.c.position,
                    records.c.recorded_at_us,
                    records.c.batch_id,
                    records.c.seq,
                    records.c.record_hash,
                ).order_by(records.c.position)
            )
        ).all()
        total = (await conn.execute(select(func.count()).select_from(records))).scalar_one()
        report.batches = len(every)
        for done, batch in enumerate(every, start=1):
            report.codes[batch.id] = batch.code
            chain = await batch_records(conn, batch.id)
            report.records += len(chain)
            report.faults.extend(
                verify_chain(
                    batch.id, chain, keys, head_seq=batch.version, head_hash=batch.head_hash
                )
            )
            if progress is not None:
                progress(done, len(every))
        report.faults.extend(
            await check_log(conn, [bytes(row.record_hash) for row in log], published)
        )
    # Positions are taken under a lock held to commit, with the time read under it: the
    # times never go backwards along the log, so a record dated earlier was backdated.
    for before, after in itertools.pairwise(log):
        if after.recorded_at_us < before.recorded_at_us:
            report.faults.append(
                ChainFault(
                    after.batch_id,
                    after.seq,
                    after.position,
                    Fault.BACKDATED,
                    "recorded earlier than the record before it in the log",
                )
            )
    present = {row.position for row in log}
    for position in range(size):
        if position not in present:
            report.faults.append(
                ChainFault("-", 0, position, Fault.LOG_GAP, f"log position {position} is missing")
            )
    if total != report.records:
        orphans = total - report.records
        report.faults.append(
            ChainFault("-", 0, None, Fault.ORPHAN, f"{orphans} records belong to no known batch")
        )
    return report
