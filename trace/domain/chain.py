"""Verification of one batch's hash chain: links, hashes, signatures, keys.

Everything is recomputed from the stored statement bytes; nothing the store
says about a record is trusted without being re-derived. Each problem found is
one :class:`ChainFault` naming the batch and the record, so that an auditor can
go straight to it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType

from trace.domain.errors import DomainError, InvalidSignature
from trace.domain.record import GENESIS_PREV, Record, record_hash
from trace.domain.statement import Statement, parse_statement, statement_hash, verify_signature
from trace.domain.texts import N_


class Fault(StrEnum):
    """What can be wrong with a record; each has a message in the catalogue."""

    MISSING = "missing"  # a seq number is absent: a record was deleted or moved away
    OUT_OF_ORDER = "out_of_order"  # a seq number repeats or goes backwards
    BROKEN_LINK = "broken_link"  # prev is not the hash of the record before it
    CHANGED = "changed"  # the recomputed record hash differs from the stored one
    MALFORMED = "malformed"  # the stored statement bytes are not a valid statement
    MOVED = "moved"  # the statement names another batch
    UNKNOWN_KEY = "unknown_key"  # the key is not one of the signing agency's keys
    BAD_SIGNATURE = "bad_signature"  # the signature does not verify
    REVOKED_KEY = "revoked_key"  # signed with a key revoked as compromised before recording
    HEAD_MISMATCH = "head_mismatch"  # the batch's recorded head is not its last record
    LOG_GAP = "log_gap"  # no record holds a position below the log's size
    ORPHAN = "orphan"  # a record names a batch the ledger does not have
    BACKDATED = "backdated"  # recorded earlier than the record before it in the log
    TREE_MISMATCH = "tree_mismatch"  # a stored tree node is not the hash of the records
    CHECKPOINT_MISMATCH = "checkpoint_mismatch"  # a signed root is not the records' root
    CHECKPOINT_SIGNATURE = "checkpoint_signature"  # a checkpoint the log key did not sign


# Each fault in words, for the reader of an audit or a page: English here, translated
# where shown; {seq} and {position} name the record.
FAULT_WORDS: Mapping[Fault, str] = MappingProxyType(
    {
        Fault.MISSING: N_("record {seq} is missing (deleted or moved away)"),
        Fault.OUT_OF_ORDER: N_("record {seq} is repeated or out of order"),
        Fault.BROKEN_LINK: N_("record {seq} does not link to the record before it"),
        Fault.CHANGED: N_("record {seq} was changed after it was signed"),
        Fault.MALFORMED: N_("record {seq} is no longer a valid statement"),
        Fault.MOVED: N_("record {seq} belongs to another batch"),
        Fault.UNKNOWN_KEY: N_("record {seq} is signed with a key that is not the agency's"),
        Fault.BAD_SIGNATURE: N_("the signature of record {seq} is not valid"),
        Fault.REVOKED_KEY: N_("record {seq} is signed with a key revoked as compromised"),
        Fault.HEAD_MISMATCH: N_("the batch head does not match its last record {seq}"),
        Fault.LOG_GAP: N_("log position {position} is missing"),
        Fault.BACKDATED: N_("record {seq} is dated earlier than the record before it in the log"),
        Fault.TREE_MISMATCH: N_(
            "the stored Merkle tree does not match the records (from position {position})"
        ),
        Fault.CHECKPOINT_MISMATCH: N_(
            "the published checkpoint of size {position} does not "
            "match the records now: history was rewritten"
        ),
        Fault.CHECKPOINT_SIGNATURE: N_("a checkpoint is not signed by the log's key"),
        Fault.ORPHAN: N_("some records belong to a batch that does not exist"),
    }
)


@dataclass(frozen=True, slots=True)
class KeyStatus:
    """What verification needs to know about a signing key."""

    key_id: str
    agency: str
    public_key: bytes
    revoked_at_us: int | None


@dataclass(frozen=True, slots=True)
class ChainFault:
    """One problem in a batch chain, located by batch, seq and log position."""

    batch: str
    seq: int
    position: int | None
    fault: Fault
    detail: str


def verify_chain(
    batch: str,
    records: Sequence[Record],
    keys: Mapping[str, KeyStatus],
    *,
    head_seq: int | None = None,
    head_hash: bytes | None = None,
    parsed: dict[int, Statement] | None = None,
) -> list[ChainFault]:
    """Check every record of ``batch`` (given in stored ``seq`` order); return all faults found.

    ``head_seq`` and ``head_hash``, when given, are what the batch's read model says its
    last record is: a deleted last record leaves the chain itself consistent, so only a
    comparison with the head shows it. ``parsed``, when given, receives each statement that
    parses, by record position, for a caller that reads them next.
    """
    faults: list[ChainFault] = []
    expected_seq = 1
    expected_prev = GENESIS_PREV
    for rec in records:
        if rec.seq > expected_seq:
            for missing in range(expected_seq, rec.seq):
                faults.append(
                    ChainFault(batch, missing, None, Fault.MISSING, f"record {missing} is missing")
                )
        elif rec.seq < expected_seq:
            faults.append(
                ChainFault(
                    batch, rec.seq, rec.position, Fault.OUT_OF_ORDER, f"seq {rec.seq} repeats"
                )
            )
        if rec.prev != expected_prev:
            faults.append(
                ChainFault(
                    batch,
                    rec.seq,
                    rec.position,
                    Fault.BROKEN_LINK,
                    "prev is not the hash of the record before it",
                )
            )
        faults.extend(_check_record(batch, rec, keys, parsed))
        expected_seq = max(expected_seq, rec.seq + 1)
        expected_prev = rec.record_hash
    if head_seq is not None and head_seq >= expected_seq:
        for missing in range(expected_seq, head_seq + 1):
            faults.append(
                ChainFault(batch, missing, None, Fault.MISSING, f"record {missing} is missing")
            )
    elif head_hash is not None and records and head_hash != records[-1].record_hash:
        last = records[-1]
        faults.append(
            ChainFault(
                batch,
                last.seq,
                last.position,
                Fault.HEAD_MISMATCH,
                "the batch head is not the hash of its last record",
            )
        )
    return faults


def _check_record(
    batch: str,
    rec: Record,
    keys: Mapping[str, KeyStatus],
    parsed: dict[int, Statement] | None,
) -> list[ChainFault]:
    def fault(kind: Fault, detail: str) -> ChainFault:
        return ChainFault(batch, rec.seq, rec.position, kind, detail)

    digest = statement_hash(rec.statement)
    faults: list[ChainFault] = []
    # A field of the wrong width cannot be hashed; it was changed, and the checks go on.
    if len(rec.prev) != 32 or len(rec.signature) != 64:
        faults.append(fault(Fault.CHANGED, "a stored field has the wrong length"))
    elif rec.record_hash != record_hash(
        prev=rec.prev,
        statement_hash=digest,
        signature=rec.signature,
        seq=rec.seq,
        position=rec.position,
        recorded_at_us=rec.recorded_at_us,
    ):
        faults.append(fault(Fault.CHANGED, "the record was changed after it was recorded"))
    try:
        statement = parse_statement(rec.statement)
    except DomainError as exc:
        faults.append(fault(Fault.MALFORMED, exc.detail))
        return faults
    if parsed is not None:
        parsed[rec.position] = statement
    if statement.batch != batch:
        faults.append(fault(Fault.MOVED, f"the statement belongs to batch {statement.batch}"))
    key = keys.get(statement.key)
    if key is None or key.agency != statement.agency or statement.key != rec.key_id:
        faults.append(fault(Fault.UNKNOWN_KEY, f"key {statement.key} is not the agency's key"))
        return faults
    try:
        verify_signature(key.public_key, digest, rec.signature)
    except InvalidSignature:
        faults.append(fault(Fault.BAD_SIGNATURE, "the signature does not verify"))
    if key.revoked_at_us is not None and rec.recorded_at_us >= key.revoked_at_us:
        faults.append(fault(Fault.REVOKED_KEY, f"key {key.key_id} was revoked as compromised"))
    return faults
