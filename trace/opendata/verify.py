"""Checking a downloaded package offline: signature, every file's bytes, and the log's hashes.

In order, each failure naming the file it found it in:

1. ``manifest.sig`` is a signed note by the log's key (given by the caller, or else the
   one the manifest names: then the check proves the package whole, and the caller
   should compare that key with the one the publisher shows) over the SHA-256 of
   ``manifest.json``;
2. the cut checkpoint's note is signed by the same key and says the manifest's size
   and root;
3. every file the manifest lists has its size and SHA-256, and the folder holds no
   other file;
4. the ``events`` rows are the log's records ``[start, end)``: each row's record hash
   is recomputed from its fields, the rows' hashes appended to the tree's left edge
   give the root of size ``end`` (RFC 6962), and that root is consistent with the
   checkpoint's (RFC 9162 §2.1.4.2).
"""

from __future__ import annotations

import base64
import csv
import hashlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import msgspec

from trace.domain.checkpoint import CheckpointError, parse_checkpoint_text
from trace.domain.compact_range import append_leaf, edge_root
from trace.domain.merkle import ProofError, verify_consistency
from trace.domain.note import NoteError, Verifier, parse_verifier_key, verify_note
from trace.domain.record import record_hash
from trace.opendata.cells import utc_micros
from trace.opendata.manifest import MANIFEST, SIGNATURE, Manifest, decode_manifest, parse_note_text

EVENTS_FILE = "events.csv"
_CHUNK = 1 << 20


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with a package: the file, a stable reason, and what was found."""

    file: str
    reason: str
    detail: str


@dataclass
class PackageReport:
    """What checking a package found; ``intact`` when nothing."""

    manifest: Manifest | None = None
    key_from_package: bool = False
    files: int = 0
    events: int = 0
    problems: list[Problem] = field(default_factory=list)

    @property
    def intact(self) -> bool:
        return self.manifest is not None and not self.problems

    def fail(self, file: str, reason: str, detail: str) -> None:
        self.problems.append(Problem(file, reason, detail))


def _sha256(path: Path) -> tuple[int, str]:
    digest, size = hashlib.sha256(), 0
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return size, digest.hexdigest()


def verify_package(folder: Path, log_key: str | None = None) -> PackageReport:
    """Check the package in ``folder``; ``log_key`` is the log's verifier key, if known."""
    report = PackageReport()
    try:
        data = (folder / MANIFEST).read_bytes()
        manifest = decode_manifest(data)
    except (OSError, ValueError, msgspec.MsgspecError) as exc:
        report.fail(MANIFEST, "manifest", str(exc))
        return report
    report.manifest = manifest
    try:
        verifier = parse_verifier_key(log_key or manifest.log_key)
    except NoteError as exc:
        report.fail(MANIFEST if log_key is None else "--log-key", "log_key", exc.detail)
        return report
    report.key_from_package = log_key is None
    _check_signature(folder, data, manifest, verifier, report)
    _check_checkpoint(manifest, verifier, report)
    _check_files(folder, manifest, report)
    if any(entry.name == EVENTS_FILE for entry in manifest.files):
        _check_events(folder / EVENTS_FILE, manifest, report)
    return report


def _check_signature(
    folder: Path, data: bytes, manifest: Manifest, verifier: Verifier, report: PackageReport
) -> None:
    try:
        note = (folder / SIGNATURE).read_bytes()
        text = verify_note(note, [verifier]).text
    except OSError as exc:
        report.fail(SIGNATURE, "missing", str(exc))
        return
    except NoteError as exc:
        report.fail(SIGNATURE, "signature", exc.detail)
        return
    fields = parse_note_text(text)
    if fields is None:
        report.fail(SIGNATURE, "signature", "the signed text is not a manifest's")
        return
    if fields["sha256"] != hashlib.sha256(data).hexdigest():
        report.fail(MANIFEST, "sha256", "its SHA-256 is not the one the log's key signed")
        return
    said = (fields["origin"], int(fields["start"]), int(fields["end"]), int(fields["size"]))
    holds = (manifest.origin, manifest.range.start, manifest.range.end, manifest.checkpoint.size)
    if said != holds:
        report.fail(MANIFEST, "manifest", f"it says {holds}, the signature {said}")


def _check_checkpoint(manifest: Manifest, verifier: Verifier, report: PackageReport) -> None:
    cut = manifest.checkpoint
    try:
        text = verify_note(cut.note, [verifier]).text
        checkpoint = parse_checkpoint_text(text)
    except (NoteError, CheckpointError) as exc:
        report.fail(MANIFEST, "checkpoint", exc.detail)
        return
    if (
        checkpoint.size != cut.size
        or base64.b64encode(checkpoint.root_hash).decode() != cut.root_hash
    ):
        report.fail(MANIFEST, "checkpoint", "the checkpoint's note says another size or root")


def _check_files(folder: Path, manifest: Manifest, report: PackageReport) -> None:
    listed = {MANIFEST, SIGNATURE}
    for entry in manifest.files:
        listed.add(entry.name)
        path = folder / entry.name
        if entry.name != path.name or not path.is_file():
            report.fail(entry.name, "missing", "listed in the manifest but not in the folder")
            continue
        size, digest = _sha256(path)
        if size != entry.bytes:
            report.fail(entry.name, "size", f"{size} bytes, the manifest says {entry.bytes}")
        elif digest != entry.sha256:
            report.fail(entry.name, "sha256", f"SHA-256 {digest}, the manifest says {entry.sha256}")
        report.files += 1
    for path in sorted(folder.iterdir()):
        if path.name not in listed:
            report.fail(path.name, "unlisted", "in the folder but not in the manifest")


def _rows(path: Path) -> Iterator[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        yield from csv.DictReader(handle)


def _check_events(path: Path, manifest: Manifest, report: PackageReport) -> None:
    """The events rows are exactly the log's leaves ``[start, end)`` under the checkpoint."""
    start, end = manifest.range.start, manifest.range.end
    proof = manifest.proof
    try:
        edge = [base64.b64decode(h, validate=True) for h in proof.left_edge]
        position = start
        for row in _rows(path):
            if int(row["position"]) != position:
                raise ValueError(f"row of position {row['position']} where {position} was due")
            digest = record_hash(
                prev=bytes.fromhex(row["prev_hash"]),
                statement_hash=bytes.fromhex(row["statement_hash"]),
                signature=bytes.fromhex(row["signature"]),
                seq=int(row["seq"]),
                position=position,
                recorded_at_us=utc_micros(row["recorded_at"]),
            )
            if digest.hex() != row["record_hash"]:
                raise ValueError(
                    f"the fields of position {position} do not hash to its record_hash"
                )
            edge, _ = append_leaf(edge, position, digest)
            position += 1
        if position != end:
            raise ValueError(f"rows end at position {position}, the range at {end}")
        root = base64.b64decode(proof.root, validate=True)
        if edge_root(edge) != root:
            raise ValueError(f"the rows do not make the log's tree of size {end}")
        size = manifest.checkpoint.size
        checkpoint_root = base64.b64decode(manifest.checkpoint.root_hash, validate=True)
        consistency = [base64.b64decode(h, validate=True) for h in proof.consistency]
        verify_consistency(end, size, root, checkpoint_root, consistency)
    except (OSError, ValueError, KeyError, TypeError, csv.Error, ProofError) as exc:
        report.fail(path.name, "records", str(exc))
        return
    report.events = end - start
