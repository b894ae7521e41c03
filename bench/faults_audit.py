"""The read-back of bench/faults.py: is everything the service acknowledged stored, once, in chain?

It reads every record straight from the database with plain SQL (not through the service
under test) and compares it with the writers' acknowledgements:

- *lost*: an acknowledged record that is not stored as acknowledged (no record at its
  position, or one with another hash, batch, seq or request);
- *duplicated*: a statement stored twice, or two records made from one request (the key
  each writer puts in its statements), which a retry with the same Idempotency-Key must
  never cause;
- *forked*: two records with the same batch and seq, a batch whose seqs do not run 1, 2, …,
  or a record whose ``prev`` is not the hash of the record before it in its batch.

It also checks that the log's positions run 0, 1, … without a gap up to the log head's
size, and runs ``python -m trace verify``, the ledger's own audit.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from faults_writers import Ack
from harness import ROOT
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

GENESIS = bytes(32)


@dataclass(frozen=True)
class Stored:
    """A record as the database holds it, with the request key found in its statement."""

    position: int
    batch: str
    seq: int
    prev: bytes
    record_hash: bytes
    statement_hash: bytes
    kind: str
    key: str | None


@dataclass
class Audit:
    """The read-back's findings; each list names what it found, one line each."""

    acknowledged: int
    present: int
    stored: int
    log_size: int
    lost: list[str] = field(default_factory=list)
    duplicated: list[str] = field(default_factory=list)
    forked: list[str] = field(default_factory=list)
    log_gaps: list[str] = field(default_factory=list)
    unacknowledged: int = 0
    verify_exit: int | None = None
    verify_output: str = ""


def read_back(database_url: str) -> tuple[list[Stored], int]:
    """Every record in position order, and the log head's size."""
    return asyncio.run(_read(database_url))


async def _read(database_url: str) -> tuple[list[Stored], int]:
    url = make_url(database_url)
    driver = "sqlite+aiosqlite" if url.get_backend_name() == "sqlite" else "postgresql+asyncpg"
    engine = create_async_engine(url.set(drivername=driver))
    try:
        async with engine.connect() as conn:
            rows = await conn.execute(
                text(
                    "SELECT position, batch_id, seq, prev, record_hash, statement_hash,"
                    " statement, kind FROM records ORDER BY position"
                )
            )
            stored = [
                Stored(
                    int(r.position),
                    str(r.batch_id),
                    int(r.seq),
                    bytes(r.prev),
                    bytes(r.record_hash),
                    bytes(r.statement_hash),
                    str(r.kind),
                    _request_key(str(r.kind), bytes(r.statement)),
                )
                for r in rows
            ]
            size = (await conn.execute(text("SELECT size FROM log_head WHERE id = 1"))).scalar()
    finally:
        await engine.dispose()
    return stored, int(size or 0)


def _request_key(kind: str, statement: bytes) -> str | None:
    """The writer's key in the statement: a registration's lot, a harvest's note."""
    try:
        body = json.loads(statement)["body"]
    except (ValueError, KeyError, TypeError):
        return None
    value = body.get("lot" if kind == "registered" else "note")
    return value if isinstance(value, str) else None


def audit(acks: list[Ack], stored: list[Stored], log_size: int) -> Audit:
    """Compare the acknowledgements with what is stored; verify is run separately."""
    found = Audit(len(acks), 0, len(stored), log_size)
    at = {record.position: record for record in stored}
    for ack in acks:
        record = at.get(ack.position)
        problem = _differs(ack, record)
        if problem is None:
            found.present += 1
        else:
            found.lost.append(f"{ack.key} ({ack.kind}, position {ack.position}): {problem}")
    acknowledged = {ack.key for ack in acks}
    found.unacknowledged = sum(1 for r in stored if r.key not in acknowledged)
    for digest, times in Counter(r.statement_hash for r in stored).items():
        if times > 1:
            found.duplicated.append(f"statement {digest.hex()} stored {times} times")
    for key, times in Counter(r.key for r in stored if r.key is not None).items():
        if times > 1:
            positions = [r.position for r in stored if r.key == key]
            found.duplicated.append(f"request {key} stored {times} times, at {positions}")
    found.forked.extend(_forks(stored))
    expected = list(range(len(stored)))
    if [r.position for r in stored] != expected:
        missing = sorted(set(expected) - set(at))
        found.log_gaps.append(f"positions missing below {len(stored)}: {missing[:20]}")
    if log_size != len(stored):
        found.log_gaps.append(f"the log head says {log_size} records, {len(stored)} are stored")
    return found


def _differs(ack: Ack, record: Stored | None) -> str | None:
    if record is None:
        return "no record at that position"
    if record.record_hash.hex() != ack.record_hash:
        return f"the record there has hash {record.record_hash.hex()}, not {ack.record_hash}"
    if record.statement_hash.hex() != ack.statement_hash:
        return f"the statement there has hash {record.statement_hash.hex()}"
    if (record.batch, record.seq) != (ack.batch, ack.seq):
        return f"the record there is seq {record.seq} of batch {record.batch}"
    if record.key != ack.key:
        return f"the record there was made for request {record.key}"
    return None


def _forks(stored: list[Stored]) -> list[str]:
    chains: dict[str, list[Stored]] = defaultdict(list)
    for record in stored:
        chains[record.batch].append(record)
    forks = []
    for batch, chain in chains.items():
        chain.sort(key=lambda r: (r.seq, r.position))
        before: Stored | None = None
        for record in chain:
            if before is not None and record.seq == before.seq:
                forks.append(
                    f"batch {batch} has two records with seq {record.seq}"
                    f" (positions {before.position} and {record.position})"
                )
            elif record.seq != (before.seq + 1 if before else 1):
                forks.append(
                    f"batch {batch} goes on at seq {record.seq} after seq "
                    f"{before.seq if before else 0}"
                )
            elif record.prev != (before.record_hash if before else GENESIS):
                forks.append(
                    f"batch {batch} seq {record.seq} (position {record.position}) links to"
                    f" {record.prev.hex()[:16]}…, not to the record before it"
                )
            before = record
    return forks


def run_verify(env: dict[str, str]) -> tuple[int, str]:
    """``python -m trace verify`` on the deployment: its exit status and what it printed."""
    done = subprocess.run(
        [sys.executable, "-m", "trace", "verify"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=900,
    )
    return done.returncode, (done.stdout + done.stderr).strip()
