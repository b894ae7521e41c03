"""The manifest of a package and its signature by the log's key.

``manifest.json`` lists every other file of the package (name, byte size, SHA-256,
media type), the log positions ``[start, end)`` the package holds, and the checkpoint
it was cut at: the smallest checkpoint the log signed whose size is at least ``end``,
as its whole signed note. With it come the Merkle hashes that tie the ``events`` rows
to that checkpoint without the ledger (RFC 9162): the hashes of the complete subtrees
left of ``start`` (the tree's left edge), the root of the tree of size ``end``, and the
consistency proof from ``end`` to the checkpoint's size.

``manifest.sig`` is a C2SP signed note by the log's key (the key that signs the
checkpoints, under the log's origin as key name) over this text::

    trace/open-data-manifest/v1
    origin <origin>
    range <start> <end>
    checkpoint <size>
    sha256 <hex SHA-256 of manifest.json>

Its first line is not the log's origin and its second line is not a tree size, so
no signed manifest can be taken for a checkpoint, nor a checkpoint for a manifest.
The manifest is JSON with sorted keys, two-space indents and a final newline: the
same package cut twice from the same log holds the same bytes.
"""

from __future__ import annotations

import hashlib
import re

import msgspec

from trace.domain.note import Signer, sign_note

MANIFEST = "manifest.json"
SIGNATURE = "manifest.sig"
FORMAT = "trace-open-data/1"
NOTE_HEADER = "trace/open-data-manifest/v1"

_NOTE = re.compile(
    rf"{re.escape(NOTE_HEADER)}\n"
    r"origin (?P<origin>\S+)\n"
    r"range (?P<start>0|[1-9][0-9]*) (?P<end>0|[1-9][0-9]*)\n"
    r"checkpoint (?P<size>0|[1-9][0-9]*)\n"
    r"sha256 (?P<sha256>[0-9a-f]{64})\n"
)


class FileEntry(msgspec.Struct, frozen=True):
    """One file of the package."""

    name: str
    bytes: int
    sha256: str
    media_type: str


class Range(msgspec.Struct, frozen=True):
    """The log positions ``[start, end)`` the package holds."""

    start: int
    end: int


class CutCheckpoint(msgspec.Struct, frozen=True):
    """The checkpoint the package was cut at: its size, root (base64), time and signed note."""

    size: int
    root_hash: str
    signed_at: str
    note: str


class Proof(msgspec.Struct, frozen=True):
    """Merkle hashes (base64) from the ``events`` rows to the checkpoint (RFC 9162)."""

    left_edge: list[str]
    root: str
    consistency: list[str]


class Manifest(msgspec.Struct, frozen=True):
    """What ``manifest.json`` holds."""

    format: str
    origin: str
    log_key: str
    range: Range
    checkpoint: CutCheckpoint
    proof: Proof
    files: list[FileEntry]


def encode_manifest(manifest: Manifest) -> bytes:
    """The manifest's bytes: sorted keys, two-space indents, a final newline."""
    return msgspec.json.format(msgspec.json.encode(manifest, order="sorted"), indent=2) + b"\n"


def decode_manifest(data: bytes) -> Manifest:
    """Parse ``manifest.json``; raise ``ValueError`` or a ``msgspec`` error otherwise."""
    return msgspec.json.decode(data, type=Manifest)


def note_text(manifest: Manifest, data: bytes) -> str:
    """The text the log's key signs for the manifest whose bytes are ``data``."""
    return (
        f"{NOTE_HEADER}\n"
        f"origin {manifest.origin}\n"
        f"range {manifest.range.start} {manifest.range.end}\n"
        f"checkpoint {manifest.checkpoint.size}\n"
        f"sha256 {hashlib.sha256(data).hexdigest()}\n"
    )


def sign_manifest(manifest: Manifest, data: bytes, signer: Signer) -> str:
    """``manifest.sig``: the signed note over :func:`note_text`."""
    return sign_note(note_text(manifest, data), [signer])


def parse_note_text(text: str) -> dict[str, str] | None:
    """The fields of a manifest note's text, or None if it is not one."""
    found = _NOTE.fullmatch(text)
    return found.groupdict() if found else None
