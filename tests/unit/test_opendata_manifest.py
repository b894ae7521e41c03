"""The signed manifest of a package and its offline check, on packages built here by hand.

The package is a delta (positions 3 to 7 of a log of 10 records) with its events file,
so the check goes through every step: signature, checkpoint, files, and the rows'
record hashes rebuilt into the log's tree and proved consistent with the checkpoint.
"""

from __future__ import annotations

import base64
import hashlib
import random
from pathlib import Path

import pytest

from trace.domain.checkpoint import Checkpoint, CheckpointError, parse_checkpoint_text
from trace.domain.merkle import MemoryTree, complete_subtrees, consistency_proof, hash_leaf
from trace.domain.note import Signer, generate_signer, sign_note, verifier_key_string
from trace.domain.record import GENESIS_PREV, record_hash
from trace.opendata.cells import utc_text
from trace.opendata.datasets import EVENTS
from trace.opendata.manifest import (
    FORMAT,
    MANIFEST,
    SIGNATURE,
    CutCheckpoint,
    FileEntry,
    Manifest,
    Proof,
    Range,
    encode_manifest,
    note_text,
    parse_note_text,
    sign_manifest,
)
from trace.opendata.verify import verify_package
from trace.opendata.writers import CsvWriter, Sink

ORIGIN = "trace.example.vn/log"
START, END, SIZE = 3, 7, 10


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


def _records() -> list[dict[str, object]]:
    found, prev = [], GENESIS_PREV
    for position in range(SIZE):
        digest = hashlib.sha256(f"statement {position}".encode()).digest()
        signature = hashlib.sha512(f"signature {position}".encode()).digest()
        recorded = 1_788_220_800_123_456 + position * 1_000_001
        rhash = record_hash(
            prev=prev,
            statement_hash=digest,
            signature=signature,
            seq=position + 1,
            position=position,
            recorded_at_us=recorded,
        )
        found.append(
            {
                "position": position,
                "seq": position + 1,
                "kind": "harvested",
                "recorded_at": utc_text(recorded),
                "statement_hash": digest.hex(),
                "record_hash": rhash.hex(),
                "prev_hash": prev.hex(),
                "signature": signature.hex(),
            }
        )
        prev = rhash
    return found


def build(folder: Path, signer: Signer, *, drop: int | None = None) -> Manifest:
    """A package of records [START, END) of a 10-record log, signed by ``signer``."""
    folder.mkdir()
    records = _records()
    tree = MemoryTree(hash_leaf(bytes.fromhex(str(r["record_hash"]))) for r in records)
    files = []
    with (folder / "events.csv").open("wb") as raw:
        sink = Sink(raw)
        writer = CsvWriter(sink, EVENTS)
        for record in records[START:END]:
            if record["position"] != drop:
                writer.write(tuple(record.get(name) for name in EVENTS.field_names))
        writer.flush()
    files.append(FileEntry("events.csv", sink.size, sink.sha256.hexdigest(), "text/csv"))
    terms = "Dữ liệu mở / Open data\n".encode()
    (folder / "terms.md").write_bytes(terms)
    files.append(
        FileEntry("terms.md", len(terms), hashlib.sha256(terms).hexdigest(), "text/markdown")
    )
    note = sign_note(Checkpoint(signer.name, SIZE, tree.root()).to_text(), [signer])
    manifest = Manifest(
        format=FORMAT,
        origin=signer.name,
        log_key=verifier_key_string(signer.public),
        range=Range(START, END),
        checkpoint=CutCheckpoint(SIZE, _b64(tree.root()), utc_text(1_788_230_000_000_000), note),
        proof=Proof(
            left_edge=[_b64(tree.subtree_hash(a, b)) for a, b in complete_subtrees(0, START)],
            root=_b64(tree.root(END)),
            consistency=[_b64(h) for h in consistency_proof(END, SIZE, tree)],
        ),
        files=files,
    )
    data = encode_manifest(manifest)
    (folder / MANIFEST).write_bytes(data)
    (folder / SIGNATURE).write_text(sign_manifest(manifest, data, signer), encoding="utf-8")
    return manifest


@pytest.fixture
def log() -> Signer:
    return generate_signer(ORIGIN)


def test_a_fresh_package_verifies_with_the_log_key_or_the_one_it_names(
    tmp_path: Path, log: Signer
) -> None:
    manifest = build(tmp_path / "p", log)
    named = verify_package(tmp_path / "p")
    assert named.intact and named.key_from_package and named.events == END - START
    given = verify_package(tmp_path / "p", verifier_key_string(log.public))
    assert given.intact and not given.key_from_package and given.files == len(manifest.files)


def test_another_log_key_is_refused_naming_the_signature(tmp_path: Path, log: Signer) -> None:
    build(tmp_path / "p", log)
    other = generate_signer(ORIGIN)
    report = verify_package(tmp_path / "p", verifier_key_string(other.public))
    assert not report.intact
    assert {(p.file, p.reason) for p in report.problems} == {
        (SIGNATURE, "signature"),
        (MANIFEST, "checkpoint"),
    }


def test_any_changed_byte_of_any_file_is_named(tmp_path: Path, log: Signer) -> None:
    build(tmp_path / "p", log)
    key = verifier_key_string(log.public)
    rng = random.Random(7)
    for path in sorted((tmp_path / "p").iterdir()):
        original = path.read_bytes()
        offsets = {0, len(original) - 1, *rng.sample(range(len(original)), 12)}
        for offset in sorted(offsets):
            changed = bytearray(original)
            changed[offset] ^= 0x01 << rng.randrange(8)
            path.write_bytes(bytes(changed))
            report = verify_package(tmp_path / "p", key)
            assert not report.intact, (path.name, offset)
            assert path.name in {p.file for p in report.problems}, (path.name, offset, report)
        path.write_bytes(original)
    assert verify_package(tmp_path / "p", key).intact


def test_a_missing_or_extra_file_is_named(tmp_path: Path, log: Signer) -> None:
    build(tmp_path / "p", log)
    (tmp_path / "p" / "terms.md").unlink()
    (tmp_path / "p" / "extra.csv").write_text("a,b\r\n")
    report = verify_package(tmp_path / "p")
    assert {(p.file, p.reason) for p in report.problems} == {
        ("terms.md", "missing"),
        ("extra.csv", "unlisted"),
    }


def test_rows_the_log_key_signed_but_the_log_does_not_hold_are_found(
    tmp_path: Path, log: Signer
) -> None:
    # Even a manifest the log's key signed cannot hide a record left out of the rows.
    build(tmp_path / "p", log, drop=5)
    report = verify_package(tmp_path / "p")
    assert [(p.file, p.reason) for p in report.problems] == [("events.csv", "records")]
    assert "position 6" in report.problems[0].detail


def test_a_signed_manifest_and_a_checkpoint_cannot_be_taken_for_each_other(log: Signer) -> None:
    manifest = build_note_manifest(log)
    text = note_text(manifest, b"{}\n")
    assert parse_note_text(text) == {
        "origin": ORIGIN,
        "start": str(START),
        "end": str(END),
        "size": str(SIZE),
        "sha256": hashlib.sha256(b"{}\n").hexdigest(),
    }
    with pytest.raises(CheckpointError):
        parse_checkpoint_text(text)
    checkpoint = Checkpoint(ORIGIN, SIZE, bytes(32)).to_text()
    assert parse_note_text(checkpoint) is None


def build_note_manifest(log: Signer) -> Manifest:
    return Manifest(
        format=FORMAT,
        origin=log.name,
        log_key=verifier_key_string(log.public),
        range=Range(START, END),
        checkpoint=CutCheckpoint(SIZE, _b64(bytes(32)), utc_text(0), ""),
        proof=Proof(left_edge=[], root=_b64(bytes(32)), consistency=[]),
        files=[],
    )


def test_the_manifest_has_one_spelling(log: Signer) -> None:
    manifest = build_note_manifest(log)
    data = encode_manifest(manifest)
    assert data.endswith(b"}\n") and data.startswith(b'{\n  "checkpoint": {')
    assert encode_manifest(manifest) == data
