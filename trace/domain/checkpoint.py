"""Checkpoints: the note text of a signed tree head (C2SP tlog-checkpoint).

The text is at least three non-empty lines, each ending in a newline: the origin (the
log's identity), the tree size in ASCII decimal without leading zeroes, and the base64
RFC 6962 root hash; any further lines are opaque extension lines. It is signed as a
signed note (:mod:`trace.domain.note`).
"""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass

from trace.domain.errors import DomainError
from trace.domain.texts import N_

HASH_SIZE = 32  # SHA-256, as RFC 6962 hashes the tree
MAX_TREE_SIZE = 2**63 - 1

_TREE_SIZE = re.compile(r"0|[1-9][0-9]{0,18}", re.ASCII)  # 2^63 - 1 has 19 digits
_CONTROL = re.compile(r"[\x00-\x1f]")  # no line may hold a control character


class CheckpointError(DomainError):
    """A checkpoint's text or fields do not follow tlog-checkpoint."""

    code = "checkpoint_invalid"
    words = N_("The checkpoint is malformed ({reason}): {detail}")


@dataclass(frozen=True)
class Checkpoint:
    """A tree head: origin, tree size, root hash, and (discouraged) extension lines."""

    origin: str
    size: int
    root_hash: bytes
    extensions: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        _check_origin(self.origin)
        if isinstance(self.size, bool) or not 0 <= self.size <= MAX_TREE_SIZE:
            message = f"expected a tree size from 0 to 2^63 - 1, found {self.size!r}"
            raise CheckpointError(message, reason="size")
        if len(self.root_hash) != HASH_SIZE:
            message = f"expected a {HASH_SIZE}-byte root hash, found {len(self.root_hash)} bytes"
            raise CheckpointError(message, reason="root_hash")
        for line in self.extensions:
            # "Extension lines, if any, MUST be non-empty."
            if not line or _CONTROL.search(line):
                message = f"expected a non-empty extension line of text, found {line!r}"
                raise CheckpointError(message, reason="extension")

    def to_text(self) -> str:
        """The checkpoint note text: origin, size, base64 root hash, extensions, each + newline."""
        root = base64.b64encode(self.root_hash).decode("ascii")
        return "".join(
            f"{line}\n" for line in (self.origin, str(self.size), root, *self.extensions)
        )


def parse_checkpoint_text(text: str) -> Checkpoint:
    """Parse checkpoint note text, rejecting anything tlog-checkpoint does not allow."""
    if not text.endswith("\n"):
        message = f"expected checkpoint text ending in a newline, found {text[-24:]!r}"
        raise CheckpointError(message, reason="text")
    lines = text[:-1].split("\n")
    if len(lines) < 3 or not all(lines):
        message = f"expected at least 3 non-empty lines, found {text[:80]!r}"
        raise CheckpointError(message, reason="text")
    origin, size, root, *extensions = lines
    _check_origin(origin)
    if not _TREE_SIZE.fullmatch(size):
        message = f"expected a decimal tree size below 2^63, no leading zeroes, found {size!r}"
        raise CheckpointError(message, reason="size")
    return Checkpoint(origin, int(size), _decode_root_hash(root), tuple(extensions))


def _check_origin(origin: str) -> None:
    # The origin MUST be non-empty and SHOULD hold neither Unicode spaces nor "+": we
    # require both, so that the log's key name (signed-note forbids them) can equal it.
    if not origin or "+" in origin or any(ch.isspace() or ch < " " for ch in origin):
        message = f"expected a non-empty origin without spaces or '+', found {origin!r}"
        raise CheckpointError(message, reason="origin")


def _decode_root_hash(encoded: str) -> bytes:
    try:
        root = base64.b64decode(encoded, validate=True)
    except ValueError:  # binascii.Error, or text that is not ASCII
        root = b""
    if len(root) != HASH_SIZE or base64.b64encode(root).decode("ascii") != encoded:
        message = f"expected the base64 of a {HASH_SIZE}-byte root hash, found {encoded!r}"
        raise CheckpointError(message, reason="root_hash")
    return root
