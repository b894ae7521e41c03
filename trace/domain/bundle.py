"""Proof bundles: what a third party needs to check one record offline, and the check.

A bundle (JSON, format ``trace.proof-bundle/v1``) holds one record's signed statement, the
agency's public key, the record's ledger fields, an RFC 6962 inclusion proof of its record
hash in the log, a checkpoint of the log signed by the log (C2SP tlog-checkpoint, signed-note)
and cosigned by witnesses (C2SP tlog-cosignature), and the same proof again as C2SP tlog-proof
text (c2sp.org/tlog-proof), which tools outside this project read.

`verify_bundle` trusts nothing in the bundle but the keys the caller pins. It checks, in order:
the format; the statement (canonical bytes that parse); the key id; the agency's signature;
the record hash; inclusion in the tree whose root and size the signed checkpoint holds; the
log's signature on that checkpoint; witnesses' cosignatures; and that the tlog-proof text says
what the JSON fields say. Every value is read only in its one canonical spelling (lower-case
hex, canonical base64, canonical key strings), so no changed byte can spell the same value.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from functools import partial

import msgspec

from trace.domain.checkpoint import Checkpoint, CheckpointError, parse_checkpoint_text
from trace.domain.errors import DomainError
from trace.domain.merkle import ProofError, hash_leaf, verify_inclusion
from trace.domain.note import (
    NoteError,
    SignatureType,
    VerifiedSignature,
    Verifier,
    parse_note,
    parse_verifier_key,
    verifier_key_string,
    verify_note,
)
from trace.domain.record import GENESIS_PREV, Record, record_hash
from trace.domain.statement import (
    Statement,
    key_id,
    parse_statement,
    statement_hash,
    verify_signature,
)
from trace.domain.texts import N_
from trace.domain.tlog_proof import (
    TlogProof,
    TlogProofMalformed,
    build_tlog_proof,
    parse_tlog_proof,
)

# The tlog-proof names are re-exported: a bundle's "tlog_proof" is built and read with them.
__all__ = [
    "BUNDLE_FORMAT",
    "BundleCheckpointInvalid",
    "BundleCosignatureInvalid",
    "BundleError",
    "BundleInclusion",
    "BundleInclusionInvalid",
    "BundleKeyMismatch",
    "BundleMalformed",
    "BundleProofTextMismatch",
    "BundleRecord",
    "BundleRecordMismatch",
    "BundleSignatureInvalid",
    "BundleStatementInvalid",
    "BundleUnreadable",
    "BundleVerification",
    "Check",
    "CheckCode",
    "ProofBundle",
    "TlogProof",
    "TlogProofMalformed",
    "build_bundle",
    "build_tlog_proof",
    "decode_bundle",
    "encode_bundle",
    "parse_tlog_proof",
    "verify_bundle",
]

BUNDLE_FORMAT = "trace.proof-bundle/v1"
HASH_SIZE = 32
PUBLIC_KEY_SIZE = 32
SIGNATURE_SIZE = 64

_HEX32 = re.compile(r"[0-9a-f]{64}")
_MAX_INDEX = 2**63 - 1


# The bundle as JSON: one declaration, used to encode, decode and validate.


class BundleRecord(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """The ledger's fields of the record; ``prev`` and ``record_hash`` in lower-case hex."""

    batch: str
    seq: int
    position: int
    recorded_at_us: int
    prev: str
    record_hash: str


class BundleInclusion(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """An RFC 6962 inclusion proof: leaf index, tree size, base64 hashes leaf to root."""

    index: int
    tree_size: int
    hashes: tuple[str, ...]


class ProofBundle(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """A ``trace.proof-bundle/v1``: nothing in it is trusted until `verify_bundle` says so."""

    format: str
    record: BundleRecord
    statement: str
    signature: str
    key_id: str
    agency_public_key: str
    inclusion: BundleInclusion
    checkpoint: str
    log_key: str
    witness_keys: tuple[str, ...]
    tlog_proof: str


# What a verification reports.


class CheckCode(StrEnum):
    """The checks `verify_bundle` makes, in the order it makes them."""

    FORMAT = "format"
    STATEMENT = "statement"
    KEY = "key"
    SIGNATURE = "signature"
    RECORD = "record"
    INCLUSION = "inclusion"
    CHECKPOINT = "checkpoint"
    COSIGNATURE = "cosignature"
    TLOG_PROOF = "tlog_proof"


@dataclass(frozen=True)
class Check:
    """One check made: what, whether it passed, a detail, and the values messages name."""

    code: CheckCode
    passed: bool
    detail: str
    params: Mapping[str, object] = field(default_factory=dict)


@dataclass(frozen=True)
class BundleVerification:
    """A bundle that passed every check, with what it proved.

    ``log_key_pinned`` is False when the caller pinned no log key and the bundle's own was
    used: then the bundle is shown self-consistent, not shown to come from a log one trusts.
    """

    checks: tuple[Check, ...]
    statement: Statement
    record: BundleRecord
    checkpoint: Checkpoint
    log_key: Verifier
    log_key_pinned: bool
    cosignatures: tuple[VerifiedSignature, ...]


class BundleError(DomainError):
    """A bundle failed a check; ``check`` names it, ``checks`` lists every check made."""

    code = "bundle.invalid"
    check = CheckCode.FORMAT

    def __init__(self, detail: str, **params: object) -> None:
        super().__init__(detail, **params)
        self.checks: tuple[Check, ...] = ()


class BundleUnreadable(BundleError):
    """The bundle is not UTF-8 JSON at all."""

    code = "bundle.unreadable"
    words = N_("The file is not readable JSON ({reason}): {detail}")


class BundleMalformed(BundleError):
    """The JSON is not a ``trace.proof-bundle/v1``: a field is missing, unknown or mistyped."""

    code = "bundle.format"
    words = N_("The bundle is not in the trace.proof-bundle/v1 format: {detail}")


class BundleStatementInvalid(BundleError):
    """The statement bytes are not canonical, or not a valid statement."""

    code = "bundle.statement"
    words = N_("The statement in the bundle is invalid: {detail}")
    check = CheckCode.STATEMENT


class BundleKeyMismatch(BundleError):
    """The key id is not the statement's, or not that of the agency's public key."""

    code = "bundle.key"
    words = N_("The key id does not match the statement or the public key: {detail}")
    check = CheckCode.KEY


class BundleSignatureInvalid(BundleError):
    """The agency's Ed25519 signature does not verify over the statement."""

    code = "bundle.signature"
    words = N_("The agency's signature on the statement does not verify: {detail}")
    check = CheckCode.SIGNATURE


class BundleRecordMismatch(BundleError):
    """The record's fields do not hash to its record hash, or name another batch."""

    code = "bundle.record"
    words = N_("The record's fields do not match its record hash: {detail}")
    check = CheckCode.RECORD


class BundleInclusionInvalid(BundleError):
    """The inclusion proof does not lead from the record to the signed checkpoint's root."""

    code = "bundle.inclusion"
    words = N_("The inclusion proof does not lead to the signed checkpoint's root: {detail}")
    check = CheckCode.INCLUSION


class BundleCheckpointInvalid(BundleError):
    """The checkpoint is malformed, or the log's signature on it does not verify."""

    code = "bundle.checkpoint"
    words = N_("The checkpoint or the log's checkpoint signature is invalid: {detail}")
    check = CheckCode.CHECKPOINT


class BundleCosignatureInvalid(BundleError):
    """A required witness did not cosign the checkpoint, or a cosignature does not verify."""

    code = "bundle.cosignature"
    words = N_("A witness cosignature is missing or invalid: {detail}")
    check = CheckCode.COSIGNATURE


class BundleProofTextMismatch(BundleError):
    """The tlog-proof text is malformed or says something the JSON fields do not."""

    code = "bundle.tlog_proof"
    words = N_("The tlog-proof text does not match the bundle's JSON fields: {detail}")
    check = CheckCode.TLOG_PROOF


# Building a bundle (the server) and reading one (anyone).


def build_bundle(
    record: Record,
    *,
    agency_public_key: bytes,
    inclusion_proof: Sequence[bytes],
    checkpoint: str,
    log_key: Verifier,
    witness_keys: Iterable[Verifier] = (),
) -> ProofBundle:
    """The bundle of ``record``: its inclusion proof in the tree of the signed ``checkpoint``.

    The tree size is read from the checkpoint, so the two cannot disagree.
    """
    tree_size = parse_checkpoint_text(parse_note(checkpoint).text).size
    return ProofBundle(
        format=BUNDLE_FORMAT,
        record=BundleRecord(
            batch=record.batch,
            seq=record.seq,
            position=record.position,
            recorded_at_us=record.recorded_at_us,
            prev=record.prev.hex(),
            record_hash=record.record_hash.hex(),
        ),
        statement=_b64(record.statement),
        signature=_b64(record.signature),
        key_id=record.key_id,
        agency_public_key=_b64(agency_public_key),
        inclusion=BundleInclusion(
            index=record.position,
            tree_size=tree_size,
            hashes=tuple(_b64(digest) for digest in inclusion_proof),
        ),
        checkpoint=checkpoint,
        log_key=verifier_key_string(log_key),
        witness_keys=tuple(verifier_key_string(witness) for witness in witness_keys),
        tlog_proof=build_tlog_proof(record.position, inclusion_proof, checkpoint),
    )


def encode_bundle(bundle: ProofBundle) -> bytes:
    """The bundle as compact UTF-8 JSON, fields in declaration order."""
    return msgspec.json.encode(bundle)


def decode_bundle(data: bytes | str) -> ProofBundle:
    """Decode bundle JSON: `BundleUnreadable` if not JSON, `BundleMalformed` if not a bundle."""
    try:
        return msgspec.json.decode(data, type=ProofBundle, strict=True)
    except msgspec.ValidationError as exc:
        raise BundleMalformed(f"expected a {BUNDLE_FORMAT} bundle: {exc}", reason="shape") from None
    except (msgspec.DecodeError, UnicodeDecodeError) as exc:  # msgspec raises the latter
        raise BundleUnreadable(f"expected UTF-8 JSON: {exc}", reason="json") from None


def verify_bundle(
    bundle: ProofBundle | bytes | str,
    *,
    log_key: Verifier | None = None,
    witness_keys: Sequence[Verifier] = (),
) -> BundleVerification:
    """Check ``bundle`` fully offline against the pinned log key and required witnesses.

    Without ``log_key`` the bundle's own is used and the result says it was not pinned. Raises
    the `BundleError` of the first check that fails, its ``checks`` holding every check made.
    """
    run = _Verification(
        bundle if isinstance(bundle, ProofBundle) else decode_bundle(bundle),
        log_key,
        tuple(witness_keys),
    )
    steps: list[Callable[[], Check]] = [
        run.format,
        run.statement_parses,
        run.key_matches,
        run.signature_verifies,
        run.record_hashes,
        run.inclusion_verifies,
        run.checkpoint_signed,
        *(partial(run.witness_cosigned, witness) for witness in witness_keys),
    ]
    checks: list[Check] = []
    try:
        for step in steps:
            checks.append(step())
        checks.extend(run.listed_witnesses_cosigned())
        checks.append(run.tlog_proof_agrees())
    except BundleError as exc:
        exc.checks = (*checks, Check(exc.check, False, exc.detail, exc.params))
        raise
    return run.result(tuple(checks))


class _Verification:
    """The state of one verification: each step checks one thing and keeps what it proved."""

    def __init__(
        self, bundle: ProofBundle, pinned: Verifier | None, required: tuple[Verifier, ...]
    ) -> None:
        self.bundle = bundle
        self.pinned = pinned
        self.required = required
        self.statement_bytes = b""
        self.statement: Statement | None = None
        self.public_key = b""
        self.signature = b""
        self.leaf = b""
        self.hashes: tuple[bytes, ...] = ()
        self.checkpoint: Checkpoint | None = None
        self.log_key: Verifier | None = None
        self.cosignatures: list[VerifiedSignature] = []

    def format(self) -> Check:
        if self.bundle.format != BUNDLE_FORMAT:
            message = f"expected format {BUNDLE_FORMAT!r}, found {self.bundle.format[:40]!r}"
            raise BundleMalformed(message, reason="format")
        return _passed(CheckCode.FORMAT, f"format {BUNDLE_FORMAT}", format=BUNDLE_FORMAT)

    def statement_parses(self) -> Check:
        data = _decode_b64(self.bundle.statement, "statement", BundleStatementInvalid)
        try:
            statement = parse_statement(data)
        except DomainError as exc:  # NotCanonical or InvalidStatement
            raise BundleStatementInvalid(f"statement: {exc.detail}", reason=exc.code) from None
        except UnicodeDecodeError as exc:  # msgspec's error for invalid UTF-8 inside a string
            message = f"statement: expected UTF-8 JSON, found {exc.reason}"
            raise BundleStatementInvalid(message, reason="not_json") from None
        self.statement_bytes, self.statement = data, statement
        return _passed(
            CheckCode.STATEMENT,
            f"canonical statement of a {statement.kind!r} event of batch {statement.batch}",
            kind=statement.kind,
            batch=statement.batch,
            occurred_at=statement.occurred_at,
        )

    def key_matches(self) -> Check:
        statement = self._statement()
        self.public_key = _decode_b64(
            self.bundle.agency_public_key,
            "agency_public_key",
            BundleKeyMismatch,
            size=PUBLIC_KEY_SIZE,
        )
        claimed, computed = self.bundle.key_id, key_id(self.public_key)
        if claimed != statement.key:
            message = f"key_id {claimed[:24]!r} is not the statement's key {statement.key!r}"
            raise BundleKeyMismatch(message, reason="statement")
        if claimed != computed:
            message = f"key_id {claimed!r} is not {computed!r}, the id of agency_public_key"
            raise BundleKeyMismatch(message, reason="public_key")
        return _passed(CheckCode.KEY, f"key id {claimed} of the agency key", key_id=claimed)

    def signature_verifies(self) -> Check:
        signature = _decode_b64(
            self.bundle.signature, "signature", BundleSignatureInvalid, size=SIGNATURE_SIZE
        )
        try:
            verify_signature(self.public_key, statement_hash(self.statement_bytes), signature)
        except DomainError as exc:
            message = f"Ed25519 signature of key {self.bundle.key_id}: {exc.detail}"
            raise BundleSignatureInvalid(message, reason="signature") from None
        self.signature = signature
        return _passed(
            CheckCode.SIGNATURE,
            f"Ed25519 signature of key {self.bundle.key_id} over the statement",
            key_id=self.bundle.key_id,
        )

    def record_hashes(self) -> Check:
        statement, record = self._statement(), self.bundle.record
        if record.batch != statement.batch:
            message = f"record batch {record.batch[:40]!r} is not the statement's {statement.batch}"
            raise BundleRecordMismatch(message, reason="batch")
        prev = _decode_hex32(record.prev, "record prev")
        claimed = _decode_hex32(record.record_hash, "record_hash")
        _check_range("record seq", record.seq, 1, 2**64 - 1)
        _check_range("record position", record.position, 0, _MAX_INDEX - 1)
        _check_range("record recorded_at_us", record.recorded_at_us, -(2**63), 2**63 - 1)
        if (record.seq == 1) != (prev == GENESIS_PREV):
            message = f"record {record.seq} has prev {record.prev}: only the first is all zeroes"
            raise BundleRecordMismatch(message, reason="prev")
        computed = record_hash(
            prev=prev,
            statement_hash=statement_hash(self.statement_bytes),
            signature=self.signature,
            seq=record.seq,
            position=record.position,
            recorded_at_us=record.recorded_at_us,
        )
        if computed != claimed:
            message = (
                f"record hash recomputed from the record's fields is {computed.hex()}, "
                f"the bundle says {claimed.hex()}"
            )
            raise BundleRecordMismatch(message, reason="record_hash")
        self.leaf = claimed
        return _passed(
            CheckCode.RECORD,
            f"record hash {claimed.hex()} of record {record.seq} at position {record.position}",
            record_hash=claimed.hex(),
            seq=record.seq,
            position=record.position,
        )

    def inclusion_verifies(self) -> Check:
        checkpoint = self._checkpoint()
        inclusion, position = self.bundle.inclusion, self.bundle.record.position
        if inclusion.index != position:
            message = f"inclusion index {inclusion.index} is not the record's position {position}"
            raise BundleInclusionInvalid(message, reason="index")
        if inclusion.tree_size != checkpoint.size:
            message = (
                f"inclusion tree_size {inclusion.tree_size} is not the size "
                f"{checkpoint.size} of the signed checkpoint"
            )
            raise BundleInclusionInvalid(message, reason="tree_size")
        self.hashes = tuple(
            _decode_b64(text, f"inclusion hash {n}", BundleInclusionInvalid, size=HASH_SIZE)
            for n, text in enumerate(inclusion.hashes)
        )
        try:
            verify_inclusion(
                hash_leaf(self.leaf), position, checkpoint.size, self.hashes, checkpoint.root_hash
            )
        except ProofError as exc:
            raise BundleInclusionInvalid(f"inclusion: {exc.detail}", reason="proof") from None
        return _passed(
            CheckCode.INCLUSION,
            f"leaf {position} of the tree of size {checkpoint.size}",
            index=position,
            size=checkpoint.size,
        )

    def checkpoint_signed(self) -> Check:
        checkpoint = self._checkpoint()
        named = _parse_key(self.bundle.log_key, "log_key", BundleCheckpointInvalid)
        if self.pinned is not None and self.pinned != named:
            message = (
                f"the bundle names log key {named.label}, the pinned one is {self.pinned.label}"
            )
            raise BundleCheckpointInvalid(message, reason="log_key")
        log_key = self.pinned or named
        if log_key.signature_type is not SignatureType.ED25519:
            message = f"log key {log_key.label} is not an Ed25519 signed-note key"
            raise BundleCheckpointInvalid(message, reason="log_key")
        try:
            verify_note(self.bundle.checkpoint, [log_key], required=[log_key])
        except NoteError as exc:
            message = f"checkpoint signature of log key {log_key.label}: {exc.detail}"
            raise BundleCheckpointInvalid(message, reason="signature") from None
        if checkpoint.origin != log_key.name:
            message = (
                f"checkpoint origin {checkpoint.origin!r} is not the log key's {log_key.name!r}"
            )
            raise BundleCheckpointInvalid(message, reason="origin")
        self.log_key = log_key
        return _passed(
            CheckCode.CHECKPOINT,
            f"checkpoint {checkpoint.origin} size {checkpoint.size} signed by {log_key.label}",
            origin=checkpoint.origin,
            size=checkpoint.size,
            key=log_key.label,
            pinned=self.pinned is not None,
        )

    def witness_cosigned(self, witness: Verifier) -> Check:
        try:
            verified = verify_note(self.bundle.checkpoint, [], required=[witness])
        except NoteError as exc:
            message = f"witness {witness.label}: {exc.detail}"
            raise BundleCosignatureInvalid(message, reason="required") from None
        (signature,) = verified.signatures
        self.cosignatures.append(signature)
        return _cosigned(signature, pinned=True)

    def listed_witnesses_cosigned(self) -> list[Check]:
        """Every cosignature the checkpoint carries from a witness the bundle lists verifies."""
        listed = [
            _parse_key(text, f"witness_keys[{n}]", BundleCosignatureInvalid)
            for n, text in enumerate(self.bundle.witness_keys)
        ]
        log_key = self._log_key()
        others = [w for w in listed if w not in self.required and w != log_key]
        try:
            verified = verify_note(self.bundle.checkpoint, [log_key, *others])
        except NoteError as exc:
            raise BundleCosignatureInvalid(
                f"listed witness: {exc.detail}", reason="listed"
            ) from None
        found = [s for s in verified.signatures if s.verifier != log_key]
        self.cosignatures.extend(found)
        return [_cosigned(signature, pinned=False) for signature in found]

    def tlog_proof_agrees(self) -> Check:
        try:
            proof = parse_tlog_proof(self.bundle.tlog_proof)
        except TlogProofMalformed as exc:
            raise BundleProofTextMismatch(f"tlog_proof: {exc.detail}", reason="malformed") from None
        inclusion = self.bundle.inclusion
        if proof.extra is not None:
            raise BundleProofTextMismatch("tlog_proof carries extra data", reason="extra")
        if proof.index != inclusion.index:
            message = f"tlog_proof index {proof.index} is not inclusion index {inclusion.index}"
            raise BundleProofTextMismatch(message, reason="index")
        if proof.hashes != self.hashes:
            message = "tlog_proof hashes are not the inclusion hashes"
            raise BundleProofTextMismatch(message, reason="hashes")
        if proof.checkpoint != self.bundle.checkpoint:
            message = "tlog_proof checkpoint is not the bundle's checkpoint, byte for byte"
            raise BundleProofTextMismatch(message, reason="checkpoint")
        return _passed(CheckCode.TLOG_PROOF, "tlog_proof matches the inclusion and checkpoint")

    def result(self, checks: tuple[Check, ...]) -> BundleVerification:
        return BundleVerification(
            checks=checks,
            statement=self._statement(),
            record=self.bundle.record,
            checkpoint=self._checkpoint(),
            log_key=self._log_key(),
            log_key_pinned=self.pinned is not None,
            cosignatures=tuple(self.cosignatures),
        )

    def _statement(self) -> Statement:
        assert self.statement is not None, "the statement is checked first"
        return self.statement

    def _log_key(self) -> Verifier:
        assert self.log_key is not None, "the checkpoint's signature is checked first"
        return self.log_key

    def _checkpoint(self) -> Checkpoint:
        """The checkpoint the signed note holds; its signature is checked in its own step."""
        if self.checkpoint is None:
            try:
                self.checkpoint = parse_checkpoint_text(parse_note(self.bundle.checkpoint).text)
            except (NoteError, CheckpointError) as exc:
                message = f"checkpoint: {exc.detail}"
                raise BundleCheckpointInvalid(message, reason="malformed") from None
        return self.checkpoint


def _passed(code: CheckCode, detail: str, **params: object) -> Check:
    return Check(code, True, detail, params)


def _cosigned(signature: VerifiedSignature, *, pinned: bool) -> Check:
    label = signature.verifier.label
    stamp = signature.timestamp
    when = "-" if stamp is None else _utc(stamp)
    detail = f"cosignature of witness {label}" + ("" if pinned else " (listed, not required)")
    return _passed(
        CheckCode.COSIGNATURE, f"{detail} at {when}", witness=label, time=when, pinned=pinned
    )


def _utc(timestamp: int) -> str:
    try:
        return datetime.fromtimestamp(timestamp, UTC).isoformat()
    except (OverflowError, ValueError, OSError):  # beyond what datetime can show
        return str(timestamp)


def _parse_key(text: str, what: str, error: type[BundleError]) -> Verifier:
    """A verifier key in its one canonical spelling (lower-case key ID)."""
    try:
        verifier = parse_verifier_key(text)
    except NoteError as exc:
        raise error(f"{what}: {exc.detail}", reason="key") from None
    if verifier_key_string(verifier) != text:
        raise error(f"{what}: expected a lower-case key ID, found {text[:80]!r}", reason="key")
    return verifier


def _decode_b64(
    text: str, what: str, error: type[BundleError], *, size: int | None = None
) -> bytes:
    raw = _unb64(text)
    if raw is None:
        raise error(f"{what}: expected canonical base64, found {text[:24]!r}", reason="base64")
    if size is not None and len(raw) != size:
        raise error(f"{what}: expected {size} bytes, found {len(raw)}", reason="size")
    return raw


def _decode_hex32(text: str, what: str) -> bytes:
    if not _HEX32.fullmatch(text):
        message = f"{what}: expected 64 lower-case hex digits, found {text[:70]!r}"
        raise BundleRecordMismatch(message, reason="hex")
    return bytes.fromhex(text)


def _check_range(what: str, value: int, low: int, high: int) -> None:
    if not low <= value <= high:
        raise BundleRecordMismatch(
            f"{what}: expected {low} to {high}, found {value}", reason="range"
        )


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


def _unb64(text: str) -> bytes | None:
    """Standard base64 (RFC 4648 §4) in its one canonical spelling, or None."""
    try:
        raw = base64.b64decode(text, validate=True)
    except ValueError:  # binascii.Error, or text that is not ASCII
        return None
    return raw if _b64(raw) == text else None
