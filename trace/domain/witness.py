"""What a witness decides about a log's newest checkpoint (after c2sp.org/tlog-witness).

A witness cosigns a checkpoint only if it is consistent with the last one it cosigned for the
same log: the same tree, or a larger tree that an RFC 9162 §2.1.4 consistency proof shows to
extend it. Anything else means that the log has shown two views of its history that cannot
both be true: it has forked (or rolled back), and the two signed checkpoints prove it.

Everything here is pure: the runner (``trace/witness.py``) fetches, verifies signatures,
stores and posts; :func:`decide` only compares checkpoints and checks the proof.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum

from trace.domain.checkpoint import Checkpoint, parse_checkpoint_text
from trace.domain.errors import DomainError
from trace.domain.merkle import ConsistencyProofError, verify_consistency
from trace.domain.note import (
    NoteError,
    SignatureType,
    VerifiedNote,
    Verifier,
    verify_note,
)
from trace.domain.texts import N_


class Verdict(Enum):
    """How a new checkpoint relates to the last one the witness cosigned."""

    FIRST = "first"  # nothing cosigned before: the witness starts from this checkpoint
    SAME = "same"  # the same tree: nothing new
    GREW = "grew"  # a larger tree, proven to extend the old one
    FORKED = "forked"  # two views of the log that cannot both be true


class ForkReason(Enum):
    """Why two checkpoints cannot both be true."""

    SMALLER = "smaller"  # the tree shrank: a log only ever appends
    OTHER_ROOT = "other_root"  # the same size with another root hash
    PROOF = "proof"  # larger, but the consistency proof does not link the two roots


@dataclass(frozen=True)
class Decision:
    """The verdict, why the log forked (for FORKED only), and the proof's failure if any."""

    verdict: Verdict
    fork: ForkReason | None = None
    detail: str = ""

    @property
    def may_cosign(self) -> bool:
        """True unless the log forked: the witness never cosigns an inconsistent checkpoint."""
        return self.verdict is not Verdict.FORKED


class WitnessError(DomainError):
    """A checkpoint the witness cannot judge at all (not a fork: another log, another key)."""

    code = "witness.refused"
    words = N_("The witness refuses: {detail}")


class OriginChanged(WitnessError):
    """The new checkpoint names another log (origin) than the one the witness cosigned."""

    code = "witness.origin_changed"
    words = N_(
        "The new checkpoint is of log '{found}', not '{expected}' which the "
        "witness cosigned: this is another log and the witness refuses. Use "
        "one state directory per log."
    )


class LogKeyInvalid(WitnessError):
    """The key given or served as the log's is not an Ed25519 signed-note key."""

    code = "witness.log_key_type"
    words = N_("Key {key} is not a log's Ed25519 key (is it a witness key?).")


@dataclass(frozen=True)
class SignedCheckpoint:
    """A checkpoint whose note verified with the log's key, and that note as received."""

    checkpoint: Checkpoint
    text: str
    note: str


def check_log_key(verifier: Verifier) -> Verifier:
    """The log's key, which must be an Ed25519 key: checkpoints are not cosignatures."""
    if verifier.signature_type is not SignatureType.ED25519:
        raise LogKeyInvalid(
            f"expected an Ed25519 log key, found a {verifier.signature_type.name} key",
            key=verifier.label,
        )
    return verifier


def read_checkpoint(note: str, log_key: Verifier) -> SignedCheckpoint:
    """Verify the log's signature on ``note`` (other keys' lines are ignored) and parse it.

    Raises :class:`~trace.domain.note.NoteError` or
    :class:`~trace.domain.checkpoint.CheckpointError` when it does not verify or parse.
    """
    verified: VerifiedNote = verify_note(note, [], required=[check_log_key(log_key)])
    return SignedCheckpoint(parse_checkpoint_text(verified.text), verified.text, note)


def has_cosignature(note: str, witness: Verifier) -> bool:
    """True if ``note`` carries a cosignature from ``witness`` that verifies."""
    try:
        verify_note(note, [], required=[witness])
    except NoteError:  # absent, or present and not verifying: either way not on it
        return False
    return True


def proof_range(old: Checkpoint | None, new: Checkpoint) -> tuple[int, int] | None:
    """The consistency proof (from, to) to fetch before deciding; None when there is none."""
    if old is None or new.origin != old.origin or not 0 < old.size < new.size:
        return None
    return old.size, new.size


def decide(old: Checkpoint | None, new: Checkpoint, proof: Sequence[bytes] = ()) -> Decision:
    """Judge ``new`` against ``old``, the last checkpoint cosigned, with the proof between them.

    ``proof`` is the consistency proof of :func:`proof_range` (empty when there is none).
    Raises :class:`OriginChanged` when the two checkpoints are of different logs.
    """
    if old is None:
        return Decision(Verdict.FIRST)
    if new.origin != old.origin:
        raise OriginChanged(
            f"expected a checkpoint of {old.origin!r}, found one of {new.origin!r}",
            expected=old.origin,
            found=new.origin,
        )
    if new.size < old.size:
        detail = f"size {new.size} is smaller than the {old.size} already cosigned"
        return Decision(Verdict.FORKED, ForkReason.SMALLER, detail)
    if new.size == old.size:
        if new.root_hash == old.root_hash:
            return Decision(Verdict.SAME)
        detail = f"size {new.size} has root {_b64(new.root_hash)}, not {_b64(old.root_hash)}"
        return Decision(Verdict.FORKED, ForkReason.OTHER_ROOT, detail)
    try:
        verify_consistency(old.size, new.size, old.root_hash, new.root_hash, proof)
    except ConsistencyProofError as exc:
        return Decision(Verdict.FORKED, ForkReason.PROOF, exc.detail)
    return Decision(Verdict.GREW)


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")
