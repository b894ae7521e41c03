"""Proof bundles: a good one verifies offline; a changed byte, or any single lie, never does."""

from __future__ import annotations

import ast
import base64
import hashlib
import json
import os
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import msgspec
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from trace.domain.bundle import (
    BUNDLE_FORMAT,
    BundleCheckpointInvalid,
    BundleCosignatureInvalid,
    BundleError,
    BundleInclusionInvalid,
    BundleKeyMismatch,
    BundleMalformed,
    BundleProofTextMismatch,
    BundleRecordMismatch,
    BundleSignatureInvalid,
    BundleStatementInvalid,
    BundleUnreadable,
    BundleVerification,
    CheckCode,
    ProofBundle,
    build_bundle,
    decode_bundle,
    encode_bundle,
    verify_bundle,
)
from trace.domain.checkpoint import Checkpoint
from trace.domain.merkle import MemoryTree, hash_leaf, inclusion_proof
from trace.domain.note import (
    SignatureType,
    Signer,
    add_signatures,
    cosign,
    sign_note,
    verifier_key_string,
)
from trace.domain.record import GENESIS_PREV, Record, record_hash
from trace.domain.statement import (
    Statement,
    encode_statement,
    key_id,
    sign_statement,
    statement_hash,
)
from trace.domain.tlog_proof import (
    TLOG_PROOF_HEADER,
    TlogProofMalformed,
    build_tlog_proof,
    parse_tlog_proof,
)

ROOT = Path(__file__).resolve().parents[2]
ORIGIN = "trace.example.vn/log"
BATCH = "6f1c2a9e-3b4d-4e5f-8a6b-7c8d9e0f1a2b"
AGENCY_ID = "0b9d8c7e-6f5a-4b3c-9d2e-1f0a9b8c7d6e"
TREE_SIZE = 13
POSITION = 6  # inside the tree, so its proof has both inner and right-border hashes
COSIGNED_AT = 1_790_000_000

AGENCY_KEY = Ed25519PrivateKey.from_private_bytes(hashlib.sha256(b"agency").digest())
AGENCY_PUBLIC = AGENCY_KEY.public_key().public_bytes_raw()
LOG = Signer(ORIGIN, SignatureType.ED25519, hashlib.sha256(b"log").digest())
WITNESSES = (
    Signer("witness.a.example.vn", SignatureType.COSIGNATURE_V1, hashlib.sha256(b"w1").digest()),
    Signer("witness.b.example.vn", SignatureType.COSIGNATURE_V1, hashlib.sha256(b"w2").digest()),
)


def make_statement(note: str = "Thu hoạch bưởi Diễn, đợt một") -> bytes:
    return encode_statement(
        Statement(
            v=1,
            batch=BATCH,
            kind="harvested",
            occurred_at="2026-09-01T07:00:00+07:00",
            agency=AGENCY_ID,
            key=key_id(AGENCY_PUBLIC),
            body={"quantity": {"value": "1200.5", "unit": "KGM"}, "note": note},
            nonce="00112233445566778899aabbccddeeff",
        )
    )


def make_record(statement: bytes, *, seq: int = 2, position: int = POSITION) -> Record:
    signature = sign_statement(AGENCY_KEY, statement)
    prev = hashlib.sha256(b"record 1 of the batch").digest() if seq > 1 else GENESIS_PREV
    recorded_at_us = 1_790_000_000_123_456
    digest = record_hash(
        prev=prev,
        statement_hash=statement_hash(statement),
        signature=signature,
        seq=seq,
        position=position,
        recorded_at_us=recorded_at_us,
    )
    return Record(
        batch=BATCH,
        seq=seq,
        position=position,
        recorded_at_us=recorded_at_us,
        prev=prev,
        record_hash=digest,
        statement=statement,
        signature=signature,
        key_id=key_id(AGENCY_PUBLIC),
    )


@dataclass(frozen=True)
class Log:
    """A log of TREE_SIZE leaves holding ``record`` at its position, and a cosigned checkpoint."""

    record: Record
    tree: MemoryTree
    checkpoint: str

    def proof(self, index: int | None = None) -> list[bytes]:
        index = self.record.position if index is None else index
        return inclusion_proof(index, TREE_SIZE, self.tree)


def make_log(
    record: Record,
    *,
    log: Signer = LOG,
    witnesses: tuple[Signer, ...] = WITNESSES,
    size: int = TREE_SIZE,
) -> Log:
    leaves = [hashlib.sha256(b"another record %d" % i).digest() for i in range(TREE_SIZE)]
    leaves[record.position] = record.record_hash
    tree = MemoryTree(hash_leaf(leaf) for leaf in leaves)
    text = Checkpoint(log.name, size, tree.root(size)).to_text()
    note = sign_note(text, [log])
    if witnesses:
        note = add_signatures(note, "".join(cosign(text, w, COSIGNED_AT) for w in witnesses))
    return Log(record, tree, note)


def bundle_of(log: Log, **changes: object) -> ProofBundle:
    """The bundle the server would build, then ``changes`` applied to its fields."""
    bundle = build_bundle(
        log.record,
        agency_public_key=AGENCY_PUBLIC,
        inclusion_proof=log.proof(),
        checkpoint=log.checkpoint,
        log_key=LOG.public,
        witness_keys=[w.public for w in WITNESSES],
    )
    return msgspec.structs.replace(bundle, **changes)


def consistent(bundle: ProofBundle) -> ProofBundle:
    """``bundle`` with its tlog-proof text rebuilt, so a lie elsewhere is what gets caught."""
    hashes = [base64.b64decode(h) for h in bundle.inclusion.hashes]
    text = build_tlog_proof(bundle.inclusion.index, hashes, bundle.checkpoint)
    return msgspec.structs.replace(bundle, tlog_proof=text)


GOOD_LOG = make_log(make_record(make_statement()))
GOOD = bundle_of(GOOD_LOG)
GOOD_JSON = encode_bundle(GOOD)


def verify_pinned(data: bytes) -> BundleVerification:
    """Verify as a careful reader does: the log's key pinned, both witnesses required."""
    return verify_bundle(data, log_key=LOG.public, witness_keys=[w.public for w in WITNESSES])


# A good bundle.


def test_a_good_bundle_passes_every_check_in_order() -> None:
    result = verify_pinned(GOOD_JSON)

    assert [check.code for check in result.checks] == [
        CheckCode.FORMAT,
        CheckCode.STATEMENT,
        CheckCode.KEY,
        CheckCode.SIGNATURE,
        CheckCode.RECORD,
        CheckCode.INCLUSION,
        CheckCode.CHECKPOINT,
        CheckCode.COSIGNATURE,
        CheckCode.COSIGNATURE,
        CheckCode.TLOG_PROOF,
    ]
    assert all(check.passed for check in result.checks)
    assert result.log_key_pinned
    assert result.statement.kind == "harvested"
    assert (result.checkpoint.origin, result.checkpoint.size) == (ORIGIN, TREE_SIZE)
    assert {s.verifier for s in result.cosignatures} == {w.public for w in WITNESSES}
    assert {s.timestamp for s in result.cosignatures} == {COSIGNED_AT}


def test_without_a_pinned_log_key_the_bundles_own_is_used_and_the_result_says_so() -> None:
    result = verify_bundle(GOOD_JSON)

    assert not result.log_key_pinned
    assert result.log_key == LOG.public
    checkpoint = next(c for c in result.checks if c.code == CheckCode.CHECKPOINT)
    assert checkpoint.params["pinned"] is False
    cosignatures = [c for c in result.checks if c.code == CheckCode.COSIGNATURE]
    assert [c.params["pinned"] for c in cosignatures] == [False, False]


def test_the_json_has_exactly_the_documented_fields() -> None:
    data = json.loads(GOOD_JSON)

    assert list(data) == [
        "format",
        "record",
        "statement",
        "signature",
        "key_id",
        "agency_public_key",
        "inclusion",
        "checkpoint",
        "log_key",
        "witness_keys",
        "tlog_proof",
    ]
    assert data["format"] == BUNDLE_FORMAT == "trace.proof-bundle/v1"
    assert list(data["record"]) == [
        "batch",
        "seq",
        "position",
        "recorded_at_us",
        "prev",
        "record_hash",
    ]
    assert data["record"]["record_hash"] == GOOD_LOG.record.record_hash.hex()
    assert data["inclusion"] == {
        "index": POSITION,
        "tree_size": TREE_SIZE,
        "hashes": [base64.b64encode(h).decode() for h in GOOD_LOG.proof()],
    }
    assert base64.b64decode(data["statement"]) == GOOD_LOG.record.statement
    assert len(base64.b64decode(data["signature"])) == 64
    assert data["key_id"] == key_id(AGENCY_PUBLIC)
    assert data["log_key"] == verifier_key_string(LOG.public)
    assert data["witness_keys"] == [verifier_key_string(w.public) for w in WITNESSES]
    assert decode_bundle(GOOD_JSON) == GOOD


def test_the_first_record_of_a_batch_verifies_with_an_all_zero_prev() -> None:
    log = make_log(make_record(make_statement(), seq=1, position=0))

    assert verify_pinned(encode_bundle(bundle_of(log))).checks


# The C2SP tlog-proof text.


def test_tlog_proof_text_is_header_index_hashes_blank_line_and_the_signed_checkpoint() -> None:
    text = GOOD.tlog_proof
    hashes = [base64.b64encode(h).decode() for h in GOOD_LOG.proof()]

    assert text == "\n".join(
        [TLOG_PROOF_HEADER, f"index {POSITION}", *hashes, "", GOOD_LOG.checkpoint]
    )
    assert text.startswith("c2sp.org/tlog-proof@v1\nindex 6\n")
    proof = parse_tlog_proof(text)
    assert (proof.index, list(proof.hashes), proof.checkpoint) == (
        POSITION,
        GOOD_LOG.proof(),
        GOOD_LOG.checkpoint,
    )
    assert proof.extra is None


def test_tlog_proof_extra_data_and_an_empty_proof_round_trip() -> None:
    text = build_tlog_proof(0, [], GOOD_LOG.checkpoint, extra=b"ngoai le")

    assert text.startswith("c2sp.org/tlog-proof@v1\nextra bmdvYWkgbGU=\nindex 0\n\n")
    proof = parse_tlog_proof(text)
    assert (proof.index, proof.hashes, proof.extra) == (0, (), b"ngoai le")


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("c2sp.org/tlog-proof@v2\nindex 1\n\nx\n", "header"),
        ("c2sp.org/tlog-proof@v1\nindex 01\n\nx\n", "index"),
        ("c2sp.org/tlog-proof@v1\nindex -1\n\nx\n", "index"),
        ("c2sp.org/tlog-proof@v1\n\nx\n", "index"),
        ("c2sp.org/tlog-proof@v1\nindex 1\nAAAA\n\nx\n", "hash"),
        ("c2sp.org/tlog-proof@v1\nindex 1\n" + "A" * 43 + "B=\n\nx\n", "hash"),
        ("c2sp.org/tlog-proof@v1\nindex 1\n", "format"),
        ("c2sp.org/tlog-proof@v1\nextra !!\nindex 1\n\nx\n", "extra"),
    ],
)
def test_malformed_tlog_proof_text_is_refused_naming_the_line(text: str, reason: str) -> None:
    with pytest.raises(TlogProofMalformed) as caught:
        parse_tlog_proof(text)

    assert caught.value.params["reason"] == reason


# Any single changed byte.


def _outcome(data: bytes, pinned: bool) -> str:
    try:
        verify_pinned(data) if pinned else verify_bundle(data)
    except BundleError as exc:
        return exc.check
    return "passed"


def _changed_bytes(data: bytes) -> list[tuple[int, bytes]]:
    """Every position with its lowest bit flipped, and each ASCII letter in the other case."""
    changed = []
    for position, byte in enumerate(data):
        for other in {byte ^ 0x01, byte ^ 0x20 if chr(byte).isalpha() else byte ^ 0x01}:
            changed.append((position, data[:position] + bytes([other]) + data[position + 1 :]))
    return changed


@pytest.mark.parametrize("pinned", [True, False], ids=["pinned", "unpinned"])
def test_no_single_changed_byte_anywhere_in_the_file_passes(pinned: bool) -> None:
    assert _outcome(GOOD_JSON, pinned) == "passed"
    outcomes = [(position, _outcome(data, pinned)) for position, data in _changed_bytes(GOOD_JSON)]

    passed = [GOOD_JSON[max(0, p - 20) : p + 20] for p, outcome in outcomes if outcome == "passed"]
    assert passed == []
    if pinned:  # and every check catches some change: none of them is dead code
        assert {outcome for _, outcome in outcomes} == set(CheckCode)


# Each lie, named.


def _forged_log_key() -> Signer:
    return Signer(ORIGIN, SignatureType.ED25519, hashlib.sha256(b"forger").digest())


def _lie_statement_not_canonical() -> ProofBundle:
    spaced = make_statement().replace(b'"v":1', b'"v": 1')
    return bundle_of(GOOD_LOG, statement=base64.b64encode(spaced).decode())


def _lie_other_public_key() -> ProofBundle:
    other = Ed25519PrivateKey.generate().public_key().public_bytes_raw()
    return bundle_of(GOOD_LOG, agency_public_key=base64.b64encode(other).decode())


def _lie_statement_changed_after_signing() -> ProofBundle:
    changed = make_statement(note="Thu hoạch bưởi Diễn, đợt hai")
    return bundle_of(GOOD_LOG, statement=base64.b64encode(changed).decode())


def _lie_recorded_later() -> ProofBundle:
    record = msgspec.structs.replace(GOOD.record, recorded_at_us=GOOD.record.recorded_at_us + 1)
    return bundle_of(GOOD_LOG, record=record)


def _lie_other_batch() -> ProofBundle:
    record = msgspec.structs.replace(GOOD.record, batch="6f1c2a9e-3b4d-4e5f-8a6b-7c8d9e0f1a2c")
    return bundle_of(GOOD_LOG, record=record)


def _lie_proof_of_another_leaf() -> ProofBundle:
    hashes = tuple(base64.b64encode(h).decode() for h in GOOD_LOG.proof(POSITION + 1))
    inclusion = msgspec.structs.replace(GOOD.inclusion, hashes=hashes)
    return consistent(bundle_of(GOOD_LOG, inclusion=inclusion))


def _lie_other_tree_size() -> ProofBundle:
    inclusion = msgspec.structs.replace(GOOD.inclusion, tree_size=TREE_SIZE + 1)
    return consistent(bundle_of(GOOD_LOG, inclusion=inclusion))


def _lie_checkpoint_signed_by_another_key() -> ProofBundle:
    forged = make_log(GOOD_LOG.record, log=_forged_log_key())
    return consistent(bundle_of(GOOD_LOG, checkpoint=forged.checkpoint))


def _lie_checkpoint_and_log_key_swapped() -> ProofBundle:
    forger = _forged_log_key()
    forged = make_log(GOOD_LOG.record, log=forger)
    bundle = bundle_of(
        GOOD_LOG, checkpoint=forged.checkpoint, log_key=verifier_key_string(forger.public)
    )
    return consistent(bundle)


def _lie_witness_missing() -> ProofBundle:
    partial = make_log(GOOD_LOG.record, witnesses=WITNESSES[:1])
    return consistent(bundle_of(GOOD_LOG, checkpoint=partial.checkpoint))


def _lie_cosignature_of_another_checkpoint() -> ProofBundle:
    text = Checkpoint(ORIGIN, TREE_SIZE, GOOD_LOG.tree.root()).to_text()
    older = Checkpoint(ORIGIN, TREE_SIZE - 1, GOOD_LOG.tree.root(TREE_SIZE - 1)).to_text()
    lines = cosign(text, WITNESSES[0], COSIGNED_AT) + cosign(older, WITNESSES[1], COSIGNED_AT)
    note = add_signatures(sign_note(text, [LOG]), lines)
    return consistent(bundle_of(GOOD_LOG, checkpoint=note))


def _lie_tlog_proof_of_another_index() -> ProofBundle:
    text = build_tlog_proof(POSITION + 1, GOOD_LOG.proof(), GOOD_LOG.checkpoint)
    return bundle_of(GOOD_LOG, tlog_proof=text)


def _lie_tlog_proof_with_another_checkpoint() -> ProofBundle:
    partial = make_log(GOOD_LOG.record, witnesses=())
    text = build_tlog_proof(POSITION, GOOD_LOG.proof(), partial.checkpoint)
    return bundle_of(GOOD_LOG, tlog_proof=text)


LIES: list[tuple[Callable[[], ProofBundle], type[BundleError], str]] = [
    (_lie_statement_not_canonical, BundleStatementInvalid, "statement"),
    (_lie_other_public_key, BundleKeyMismatch, "agency_public_key"),
    (_lie_statement_changed_after_signing, BundleSignatureInvalid, "signature"),
    (_lie_recorded_later, BundleRecordMismatch, "record hash"),
    (_lie_other_batch, BundleRecordMismatch, "batch"),
    (_lie_proof_of_another_leaf, BundleInclusionInvalid, "inclusion"),
    (_lie_other_tree_size, BundleInclusionInvalid, "tree_size"),
    (_lie_checkpoint_signed_by_another_key, BundleCheckpointInvalid, "checkpoint signature"),
    (_lie_checkpoint_and_log_key_swapped, BundleCheckpointInvalid, "pinned"),
    (_lie_witness_missing, BundleCosignatureInvalid, "witness.b.example.vn"),
    (_lie_cosignature_of_another_checkpoint, BundleCosignatureInvalid, "witness.b.example.vn"),
    (_lie_tlog_proof_of_another_index, BundleProofTextMismatch, "tlog_proof index"),
    (_lie_tlog_proof_with_another_checkpoint, BundleProofTextMismatch, "tlog_proof checkpoint"),
]


@pytest.mark.parametrize(
    ("lie", "error", "named"), LIES, ids=[lie.__name__.removeprefix("_lie_") for lie, _, _ in LIES]
)
def test_each_lie_fails_the_check_that_names_it(
    lie: Callable[[], ProofBundle], error: type[BundleError], named: str
) -> None:
    with pytest.raises(error) as caught:
        verify_pinned(encode_bundle(lie()))

    assert named in str(caught.value)
    *passed, failed = caught.value.checks
    assert all(check.passed for check in passed)
    assert (failed.code, failed.passed) == (error.check, False)
    assert failed.detail == str(caught.value)


def test_a_forged_log_key_in_the_bundle_passes_only_unpinned_and_is_reported_so() -> None:
    result = verify_bundle(encode_bundle(_lie_checkpoint_and_log_key_swapped()))

    assert not result.log_key_pinned
    assert result.log_key == _forged_log_key().public


def test_a_missing_witness_only_fails_when_the_caller_requires_it() -> None:
    data = encode_bundle(_lie_witness_missing())

    result = verify_bundle(data, log_key=LOG.public, witness_keys=[WITNESSES[0].public])
    assert {s.verifier for s in result.cosignatures} == {WITNESSES[0].public}
    with pytest.raises(BundleCosignatureInvalid):
        verify_bundle(data, log_key=LOG.public, witness_keys=[WITNESSES[1].public])


def test_a_bad_cosignature_from_a_listed_witness_fails_even_when_not_required() -> None:
    with pytest.raises(BundleCosignatureInvalid, match=r"witness\.b\.example\.vn"):
        verify_bundle(encode_bundle(_lie_cosignature_of_another_checkpoint()))


def test_text_that_is_not_json_and_json_that_is_not_a_bundle_are_told_apart() -> None:
    with pytest.raises(BundleUnreadable):
        decode_bundle(b"\xff not json")
    with pytest.raises(BundleMalformed, match="extra_field"):
        decode_bundle(GOOD_JSON[:-1] + b',"extra_field":1}')
    with pytest.raises(BundleMalformed, match="format"):
        verify_bundle(encode_bundle(bundle_of(GOOD_LOG, format="trace.proof-bundle/v2")))


# The command line.


def _run_cli(*args: str, data_dir: Path) -> subprocess.CompletedProcess[str]:
    # No database and no network: an unreachable database URL and a data directory that
    # does not exist, neither of which an offline check may touch.
    env = {
        **os.environ,
        "TRACE_DATABASE_URL": "postgresql://nobody@192.0.2.1:1/none",
        "TRACE_DATA_DIR": str(data_dir),
    }
    return subprocess.run(
        [sys.executable, "-m", "trace", "verify-bundle", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_cli_passes_a_good_bundle_and_prints_each_check_in_both_languages(tmp_path: Path) -> None:
    bundle = tmp_path / "record.json"
    bundle.write_bytes(GOOD_JSON)
    witness_file = tmp_path / "witness-b.vkey"
    witness_file.write_text(verifier_key_string(WITNESSES[1].public) + "\n")
    data_dir = tmp_path / "absent"

    done = _run_cli(
        str(bundle),
        "--log-key",
        verifier_key_string(LOG.public),
        "--witness-key",
        verifier_key_string(WITNESSES[0].public),
        "--witness-key",
        str(witness_file),
        data_dir=data_dir,
    )

    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.count("[ĐẠT]") == done.stdout.count("[PASS]") == 10
    assert "Chữ ký Ed25519 của đơn vị" in done.stdout
    assert "The agency's Ed25519 signature" in done.stdout
    assert "HỢP LỆ" in done.stdout
    assert "VALID" in done.stdout
    assert "chưa ghim" not in done.stdout
    assert not data_dir.exists()


def test_cli_warns_when_no_log_key_is_pinned(tmp_path: Path) -> None:
    bundle = tmp_path / "record.json"
    bundle.write_bytes(GOOD_JSON)

    done = _run_cli(str(bundle), data_dir=tmp_path / "absent")

    assert done.returncode == 0, done.stdout + done.stderr
    assert "chưa ghim khoá nhật ký" in done.stdout
    assert "no log key was pinned" in done.stdout


def test_cli_fails_a_tampered_bundle_naming_the_check(tmp_path: Path) -> None:
    bundle = tmp_path / "record.json"
    bundle.write_bytes(encode_bundle(_lie_statement_changed_after_signing()))

    done = _run_cli(
        str(bundle), "--log-key", verifier_key_string(LOG.public), data_dir=tmp_path / "absent"
    )

    assert done.returncode == 1, done.stdout + done.stderr
    assert "[KHÔNG ĐẠT] Chữ ký của đơn vị trên tuyên bố không hợp lệ" in done.stdout
    assert "[FAIL] The agency's signature on the statement does not verify" in done.stdout
    assert done.stdout.count("[PASS]") == 3  # format, statement, key
    assert "KHÔNG HỢP LỆ" in done.stderr
    assert "NOT VALID" in done.stderr


def test_cli_exits_2_on_unusable_input(tmp_path: Path) -> None:
    not_json = tmp_path / "record.json"
    not_json.write_text("<html>not found</html>")
    absent = tmp_path / "absent"

    unreadable = _run_cli(str(not_json), data_dir=absent)
    missing = _run_cli(str(tmp_path / "missing.json"), data_dir=absent)
    bad_key = _run_cli(str(not_json), "--log-key", "not-a-key", data_dir=absent)

    assert unreadable.returncode == 2
    assert "không phải JSON" in unreadable.stderr
    assert "not readable JSON" in unreadable.stderr
    assert missing.returncode == 2
    assert "Không đọc được tệp" in missing.stderr
    assert "Cannot read the file" in missing.stderr
    assert bad_key.returncode == 2
    assert "neither a verifier key" in bad_key.stderr


def _imports(module: Path) -> set[str]:
    tree = ast.parse(module.read_text(encoding="utf-8"))
    names = {node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
    return names


def test_the_bundle_code_imports_neither_the_store_nor_a_network_client() -> None:
    offline = ("trace/domain/bundle.py", "trace/domain/tlog_proof.py", "trace/cli/bundle.py")
    forbidden = (
        "trace.store",
        "trace.api",
        "sqlalchemy",
        "asyncpg",
        "aiosqlite",
        "httpx",
        "socket",
    )
    for module in offline:
        found = [n for n in _imports(ROOT / module) if n.startswith(forbidden)]
        assert found == [], module
