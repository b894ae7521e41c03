"""Many writers appending to the same few batches at once never lose, repeat or fork.

32 concurrent writers append 50 events each, spread over the same 4 batches,
through the one append path. A writer told to retry (Contention,
VersionConflict) retries. Afterwards every acknowledged append is stored
exactly once where it was acknowledged, each batch chain runs 1..n with every
link intact, and log positions run 0..N-1 in commit order. A correctness test:
it asserts nothing about durations.
"""

from __future__ import annotations

import asyncio
import itertools
from collections import Counter, defaultdict
from typing import Any

from sqlalchemy import select

from tests.conftest import Cast
from trace.domain.record import GENESIS_PREV, Record
from trace.domain.statement import parse_statement, statement_hash
from trace.store.append import Appended, append_unsigned, new_batch_id
from trace.store.audit import audit
from trace.store.errors import Contention, VersionConflict
from trace.store.ledger import Ledger
from trace.store.records import to_record
from trace.store.tables import batches, log_head, records

WRITERS = 32
EVENTS_PER_WRITER = 50
BATCHES = 4
MAX_ATTEMPTS = 20


async def test_concurrent_writers_on_shared_batches_lose_nothing_and_never_fork(
    ledger: Ledger, cast: Cast, backend: str
) -> None:
    producer = cast.producer.actor

    registrations: list[Appended] = []
    for n in range(BATCHES):
        registrations.append(
            await append_unsigned(
                ledger,
                producer,
                batch=new_batch_id(),
                kind="registered",
                occurred_at="2026-09-01T07:00:00+07:00",
                body={"product": "Bưởi Diễn", "lot": f"BD-{n + 1}", "origin": {"province": "01"}},
            )
        )
    batch_ids = [r.record.batch for r in registrations]

    async def append_one(writer: int, event: int) -> Appended:
        batch = batch_ids[(writer + event) % BATCHES]
        tag = f"người ghi {writer} sự kiện {event}"
        body: dict[str, Any]
        if event % 2:
            kind, body = "processed", {"process": "Rửa và phân loại", "note": tag}
        else:
            kind = "harvested"
            body = {"quantity": {"value": str(writer * 100 + event + 1), "unit": "KGM"}}
            body["note"] = tag
        for attempt in range(MAX_ATTEMPTS):
            try:
                return await append_unsigned(
                    ledger,
                    producer,
                    batch=batch,
                    kind=kind,
                    occurred_at="2026-09-01T08:00:00+07:00",
                    body=body,
                )
            except (Contention, VersionConflict):
                if attempt == MAX_ATTEMPTS - 1:
                    raise
        raise AssertionError("unreachable")

    async def writer(number: int) -> list[Appended]:
        return [await append_one(number, event) for event in range(EVENTS_PER_WRITER)]

    results = await asyncio.gather(*(writer(n) for n in range(WRITERS)))
    acknowledged: list[Record] = [a.record for result in results for a in result]
    assert all(not a.replayed for result in results for a in result)
    assert len(acknowledged) == WRITERS * EVENTS_PER_WRITER

    async with ledger.engine.connect() as conn:
        stored = [
            to_record(row)
            for row in (await conn.execute(select(records).order_by(records.c.position))).all()
        ]
        size = (await conn.execute(select(log_head.c.size))).scalar_one()
        heads = {
            row.id: (row.version, bytes(row.head_hash))
            for row in (await conn.execute(select(batches))).all()
        }

    total = WRITERS * EVENTS_PER_WRITER + BATCHES
    # Nothing lost, nothing extra: every stored record was acknowledged (or is a registration).
    assert len(stored) == total
    assert size == total

    # Log positions are exactly 0..N-1.
    assert [r.position for r in stored] == list(range(total))
    by_position = {r.position: r for r in stored}

    # Every acknowledged append is stored once, exactly as it was acknowledged.
    assert len({r.position for r in acknowledged}) == len(acknowledged)
    for ack in acknowledged + [r.record for r in registrations]:
        assert by_position[ack.position] == ack
    hashes = Counter(statement_hash(r.statement) for r in stored)
    assert max(hashes.values()) == 1
    assert len({r.record_hash for r in stored}) == total

    # Every (writer, event) appears exactly once.
    tags = Counter(parse_statement(r.statement).body["note"] for r in stored if r.seq > 1)
    assert tags == Counter(
        f"người ghi {w} sự kiện {e}" for w in range(WRITERS) for e in range(EVENTS_PER_WRITER)
    )

    # Per batch: seq 1..n contiguous, each prev the previous record's hash, positions
    # increasing with seq, and the batch head the last record.
    chains: dict[str, list[Record]] = defaultdict(list)
    for r in stored:
        chains[r.batch].append(r)
    assert set(chains) == set(batch_ids)
    per_batch = WRITERS * EVENTS_PER_WRITER // BATCHES
    for batch, chain in chains.items():
        chain.sort(key=lambda r: r.seq)
        assert [r.seq for r in chain] == list(range(1, per_batch + 2)), batch
        prev = GENESIS_PREV
        for r in chain:
            assert r.prev == prev, (batch, r.seq)
            prev = r.record_hash
        positions = [r.position for r in chain]
        assert positions == sorted(positions) and len(set(positions)) == len(positions)
        assert heads[batch] == (len(chain), chain[-1].record_hash)

    # Positions follow commit order: the log head is held until commit, and each
    # record's time is taken under it, so times never go backwards along the log.
    times = [r.recorded_at_us for r in stored]
    assert all(earlier <= later for earlier, later in itertools.pairwise(times))

    # And the full audit (hashes, signatures, links, heads, log) agrees.
    report = await audit(ledger)
    assert report.intact, report.faults[:10]
    assert (report.batches, report.records) == (BATCHES, total)
