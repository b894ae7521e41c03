"""Transparency log proofs as text (C2SP tlog-proof, c2sp.org/tlog-proof).

A proof is lines separated by newlines: ``c2sp.org/tlog-proof@v1``; optionally ``extra`` and
base64 opaque data, which is not authenticated; ``index`` and the entry's zero-based index in
ASCII decimal without leading zeroes; zero or more base64 SHA-256 hashes, the RFC 6962 §2.1.1
inclusion proof from the leaf's sibling up to the root's child; an empty line; and the log's
checkpoint, a signed note (c2sp.org/tlog-checkpoint) with any witness cosignatures, verbatim.
Base64 is RFC 4648 §4, read here only in its one canonical spelling.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Sequence
from dataclasses import dataclass

from trace.domain.errors import DomainError
from trace.domain.texts import N_

TLOG_PROOF_HEADER = "c2sp.org/tlog-proof@v1"
HASH_SIZE = 32
_MAX_INDEX = 2**63 - 1
_INDEX = re.compile(r"0|[1-9][0-9]{0,18}", re.ASCII)  # tlog sizes stay below 2^63


class TlogProofMalformed(DomainError):
    """Text that does not follow c2sp.org/tlog-proof@v1."""

    code = "bundle.tlog_proof_malformed"
    words = N_("The text does not follow c2sp.org/tlog-proof@v1 ({reason}): {detail}")


@dataclass(frozen=True)
class TlogProof:
    """A parsed tlog-proof; ``extra`` is unauthenticated and trace bundles never carry it."""

    index: int
    hashes: tuple[bytes, ...]
    checkpoint: str
    extra: bytes | None = None


def build_tlog_proof(
    index: int, hashes: Sequence[bytes], checkpoint: str, extra: bytes | None = None
) -> str:
    """The c2sp.org/tlog-proof@v1 text of an inclusion proof and its signed checkpoint note."""
    if isinstance(index, bool) or not 0 <= index <= _MAX_INDEX:
        message = f"expected an index from 0 to 2^63 - 1, found {index!r}"
        raise TlogProofMalformed(message, reason="index")
    if any(len(digest) != HASH_SIZE for digest in hashes):
        raise TlogProofMalformed(f"expected {HASH_SIZE}-byte hashes", reason="hash")
    lines = [TLOG_PROOF_HEADER]
    if extra is not None:
        lines.append(f"extra {_b64(extra)}")
    lines.append(f"index {index}")
    lines.extend(_b64(digest) for digest in hashes)
    return "\n".join(lines) + "\n\n" + checkpoint


def parse_tlog_proof(text: str) -> TlogProof:
    """Parse c2sp.org/tlog-proof@v1 text; the checkpoint is returned verbatim, unverified."""
    # Hash lines are never empty, so the first empty line is the one before the checkpoint.
    head, blank, checkpoint = text.partition("\n\n")
    if not blank or not checkpoint:
        message = "expected proof lines, an empty line and a checkpoint; found no empty line"
        raise TlogProofMalformed(message, reason="format")
    lines = head.split("\n")
    if lines[0] != TLOG_PROOF_HEADER:
        message = f"expected the first line {TLOG_PROOF_HEADER!r}, found {lines[0][:40]!r}"
        raise TlogProofMalformed(message, reason="header")
    rest = lines[1:]
    extra = None
    if rest and rest[0].startswith("extra "):
        extra = _unb64(rest.pop(0)[len("extra ") :])
        if extra is None:
            raise TlogProofMalformed("expected base64 extra data", reason="extra")
    if not rest or not rest[0].startswith("index "):
        found = repr(rest[0][:40]) if rest else "nothing"
        raise TlogProofMalformed(f"expected an 'index' line, found {found}", reason="index")
    index_text = rest.pop(0)[len("index ") :]
    if not _INDEX.fullmatch(index_text) or int(index_text) > _MAX_INDEX:
        message = f"expected a decimal index below 2^63, no leading zeroes, found {index_text!r}"
        raise TlogProofMalformed(message, reason="index")
    hashes = []
    for number, line in enumerate(rest):
        digest = _unb64(line)
        if digest is None or len(digest) != HASH_SIZE:
            message = (
                f"expected hash line {number} to be base64 of {HASH_SIZE} bytes, found {line!r}"
            )
            raise TlogProofMalformed(message, reason="hash")
        hashes.append(digest)
    return TlogProof(int(index_text), tuple(hashes), checkpoint, extra)


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


def _unb64(text: str) -> bytes | None:
    """Standard base64 in its one canonical spelling, or None."""
    try:
        raw = base64.b64decode(text, validate=True)
    except ValueError:  # binascii.Error, or text that is not ASCII
        return None
    return raw if _b64(raw) == text else None
