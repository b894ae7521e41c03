"""Records: what the ledger adds to a signed statement when it appends it.

``record_hash = SHA-256("trace/record/v1\\n" || prev || statement_hash ||
signature || seq || position || recorded_at)`` with ``seq`` and ``position``
as unsigned 64-bit big-endian integers and ``recorded_at`` as signed 64-bit
big-endian microseconds since the Unix epoch (UTC). ``prev`` is the previous
record's hash in the same batch, 32 zero bytes for the first.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime

RECORD_CONTEXT = b"trace/record/v1\n"
GENESIS_PREV = bytes(32)


def record_hash(
    *,
    prev: bytes,
    statement_hash: bytes,
    signature: bytes,
    seq: int,
    position: int,
    recorded_at_us: int,
) -> bytes:
    """The hash that links a record into its batch chain and is the log leaf at ``position``."""
    if len(prev) != 32 or len(statement_hash) != 32 or len(signature) != 64:
        raise ValueError("prev and statement_hash are 32 bytes, signature 64")
    return hashlib.sha256(
        RECORD_CONTEXT
        + prev
        + statement_hash
        + signature
        + seq.to_bytes(8, "big")
        + position.to_bytes(8, "big")
        + recorded_at_us.to_bytes(8, "big", signed=True)
    ).digest()


@dataclass(frozen=True, slots=True)
class Record:
    """One appended statement as stored: the exact bytes plus the ledger's fields."""

    batch: str
    seq: int
    position: int
    recorded_at_us: int
    prev: bytes
    record_hash: bytes
    statement: bytes
    signature: bytes
    key_id: str


def now_us() -> int:
    """Microseconds since the Unix epoch, from the real clock."""
    return to_us(datetime.now(UTC))


def to_us(moment: datetime) -> int:
    """Microseconds since the epoch of an aware datetime."""
    delta = moment - datetime(1970, 1, 1, tzinfo=UTC)
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def from_us(micros: int) -> datetime:
    """The aware UTC datetime of ``micros`` microseconds since the epoch."""
    return datetime.fromtimestamp(micros // 1_000_000, UTC).replace(microsecond=micros % 1_000_000)
