"""The witness's judgement: new, same or forked, with real keys, real trees and real proofs.

The decision (``trace.domain.witness``) is pure; the rounds (``trace.witness.Witness``) run here
against an in-memory log that signs real checkpoints and serves real RFC 6962 proofs, so the
order of storing, cosigning, posting and refusing is checked without HTTP.
"""

from __future__ import annotations

import base64
import io
import json
from dataclasses import replace
from pathlib import Path

import pytest

from trace.domain.checkpoint import Checkpoint
from trace.domain.merkle import EMPTY_ROOT, MemoryTree, consistency_proof, hash_leaf
from trace.domain.note import (
    NoteUnverified,
    SignatureType,
    Signer,
    Verifier,
    add_signatures,
    cosign,
    generate_signer,
    parse_note,
    sign_note,
    signer_key_string,
    verify_cosignature,
    verify_note,
)
from trace.domain.witness import (
    ForkReason,
    LogKeyInvalid,
    OriginChanged,
    Verdict,
    check_log_key,
    decide,
    has_cosignature,
    proof_range,
    read_checkpoint,
)
from trace.log_client import UNREACHABLE, LogClient, LogUnavailable, parse_proof_answer
from trace.witness import (
    EXIT_FORKED,
    EXIT_OK,
    EXIT_UNAVAILABLE,
    Witness,
    WitnessConfig,
    WitnessState,
    WitnessStop,
    create_witness_key,
    load_witness_key,
    run_witness,
)

ORIGIN = "trace.example.vn/log"
LOG = generate_signer(ORIGIN)
OTHER_LOG = generate_signer(ORIGIN)  # the same name, another key: an impostor
WITNESS = generate_signer("witness.example.vn/w1", SignatureType.COSIGNATURE_V1)
OTHER_WITNESS = generate_signer("witness.other.vn/w2", SignatureType.COSIGNATURE_V1)


def tree_of(count: int, fork_at: int | None = None) -> MemoryTree:
    """A log of ``count`` records; from ``fork_at`` on, records another history would hold."""
    return MemoryTree(
        hash_leaf(f"{'fork' if fork_at is not None and i >= fork_at else 'record'} {i}".encode())
        for i in range(count)
    )


def checkpoint_of(tree: MemoryTree, size: int) -> Checkpoint:
    return Checkpoint(ORIGIN, size, tree.root(size))


# The decision.


def test_first_checkpoint_is_accepted_without_a_proof() -> None:
    new = checkpoint_of(tree_of(29), 29)
    assert proof_range(None, new) is None
    decision = decide(None, new)
    assert decision.verdict is Verdict.FIRST and decision.may_cosign


def test_same_size_and_root_is_nothing_new() -> None:
    tree = tree_of(29)
    decision = decide(checkpoint_of(tree, 29), checkpoint_of(tree, 29))
    assert decision.verdict is Verdict.SAME and decision.may_cosign
    assert proof_range(checkpoint_of(tree, 29), checkpoint_of(tree, 29)) is None


@pytest.mark.parametrize(("old", "new"), [(1, 2), (3, 7), (4, 8), (29, 30), (29, 64), (63, 65)])
def test_larger_tree_with_its_consistency_proof_grew(old: int, new: int) -> None:
    tree = tree_of(new)
    before, after = checkpoint_of(tree, old), checkpoint_of(tree, new)
    assert proof_range(before, after) == (old, new)
    decision = decide(before, after, consistency_proof(old, new, tree))
    assert decision.verdict is Verdict.GREW and decision.may_cosign


def test_growth_from_the_empty_tree_needs_no_proof() -> None:
    empty, after = Checkpoint(ORIGIN, 0, EMPTY_ROOT), checkpoint_of(tree_of(5), 5)
    assert proof_range(empty, after) is None
    assert decide(empty, after).verdict is Verdict.GREW


def test_same_size_with_another_root_is_a_fork() -> None:
    ours, theirs = tree_of(30), tree_of(30, fork_at=29)
    decision = decide(checkpoint_of(ours, 30), checkpoint_of(theirs, 30))
    assert decision.verdict is Verdict.FORKED and decision.fork is ForkReason.OTHER_ROOT
    assert not decision.may_cosign


def test_smaller_tree_is_a_fork_even_if_it_is_a_prefix() -> None:
    tree = tree_of(30)
    decision = decide(checkpoint_of(tree, 30), checkpoint_of(tree, 29))
    assert decision.verdict is Verdict.FORKED and decision.fork is ForkReason.SMALLER
    assert "29" in decision.detail and "30" in decision.detail


def test_larger_tree_of_another_history_is_a_fork_even_with_its_own_valid_proof() -> None:
    ours, theirs = tree_of(30), tree_of(31, fork_at=29)
    # The forked log's proof is genuine for its own tree: it just cannot reach our root.
    proof = consistency_proof(30, 31, theirs)
    decision = decide(checkpoint_of(ours, 30), checkpoint_of(theirs, 31), proof)
    assert decision.verdict is Verdict.FORKED and decision.fork is ForkReason.PROOF
    assert "root" in decision.detail


@pytest.mark.parametrize("damage", ["flip", "drop", "extra", "empty", "short_hash"])
def test_damaged_proof_is_a_fork(damage: str) -> None:
    tree = tree_of(13)
    proof = consistency_proof(6, 13, tree)
    if damage == "flip":
        proof[0] = bytes([proof[0][0] ^ 1]) + proof[0][1:]
    elif damage == "drop":
        proof = proof[:-1]
    elif damage == "extra":
        proof = [*proof, proof[-1]]
    elif damage == "empty":
        proof = []
    else:
        proof[-1] = proof[-1][:31]
    decision = decide(checkpoint_of(tree, 6), checkpoint_of(tree, 13), proof)
    assert decision.verdict is Verdict.FORKED and decision.fork is ForkReason.PROOF


def test_checkpoint_of_another_log_is_refused_not_judged() -> None:
    tree = tree_of(5)
    other = Checkpoint("other.example.vn/log", 5, tree.root())
    assert proof_range(checkpoint_of(tree, 3), other) is None
    with pytest.raises(OriginChanged) as caught:
        decide(checkpoint_of(tree, 3), other)
    assert caught.value.params == {"expected": ORIGIN, "found": "other.example.vn/log"}


# Reading the log's notes.


def signed_note(tree: MemoryTree, size: int, signer: Signer = LOG) -> str:
    return sign_note(checkpoint_of(tree, size).to_text(), [signer])


def test_other_witnesses_cosignatures_are_ignored_and_ours_is_recognised() -> None:
    tree = tree_of(8)
    note = signed_note(tree, 8)
    text = parse_note(note).text
    note = add_signatures(note, cosign(text, OTHER_WITNESS, 1_790_000_000))
    read = read_checkpoint(note, LOG.public)
    assert read.checkpoint == checkpoint_of(tree, 8) and read.text == text and read.note == note
    assert not has_cosignature(note, WITNESS.public)
    note = add_signatures(note, cosign(text, WITNESS, 1_790_000_001))
    assert has_cosignature(note, WITNESS.public)
    assert read_checkpoint(note, LOG.public).checkpoint == checkpoint_of(tree, 8)


def test_checkpoint_signed_by_another_key_under_the_same_name_is_rejected() -> None:
    with pytest.raises(NoteUnverified):
        read_checkpoint(signed_note(tree_of(8), 8, OTHER_LOG), LOG.public)


def test_a_witness_key_cannot_serve_as_the_log_key() -> None:
    assert check_log_key(LOG.public) == LOG.public
    with pytest.raises(LogKeyInvalid):
        check_log_key(WITNESS.public)


def test_proof_answer_must_be_the_proof_asked_for() -> None:
    tree = tree_of(10)
    hashes = consistency_proof(3, 10, tree)
    encoded = [base64.b64encode(h).decode() for h in hashes]
    good = json.dumps({"from": 3, "to": 10, "hashes": encoded}).encode()
    assert parse_proof_answer(good, 3, 10) == hashes
    for bad in (
        b"not json",
        json.dumps({"from": 3, "to": 9, "hashes": encoded}).encode(),
        json.dumps({"from": 3, "to": 10, "hashes": ["%%%"]}).encode(),
        json.dumps({"from": 3, "to": 10}).encode(),
    ):
        with pytest.raises(ValueError):
            parse_proof_answer(bad, 3, 10)


# Rounds against an in-memory log.


class MemoryLog(LogClient):
    """A log that signs its current tree and keeps the cosignatures it accepts."""

    def __init__(self, tree: MemoryTree, signer: Signer = LOG) -> None:
        super().__init__("http://log.invalid")
        self.tree, self.signer = tree, signer
        self.size = tree.size
        self.cosignatures: dict[str, str] = {}
        self.posts = 0
        self.down = False  # nothing answers
        self.posts_fail = False  # the cosignature is lost on the way

    def log_key(self) -> Verifier:
        return self.signer.public

    def checkpoint(self) -> str:
        if self.down:
            raise LogUnavailable(UNREACHABLE, url=self.url, error="down")
        text = checkpoint_of(self.tree, self.size).to_text()
        note = sign_note(text, [self.signer])
        return add_signatures(note, self.cosignatures[text]) if text in self.cosignatures else note

    def consistency(self, old: int, new: int) -> tuple[bytes, list[bytes]]:
        hashes = consistency_proof(old, new, self.tree)
        encoded = [base64.b64encode(h).decode() for h in hashes]
        return json.dumps({"from": old, "to": new, "hashes": encoded}).encode(), hashes

    def post_cosignature(self, text: str, line: str, witness: Verifier) -> None:
        self.posts += 1
        if self.posts_fail:
            raise LogUnavailable(UNREACHABLE, url=self.url, error="down")
        verify_cosignature(text, line, witness)
        self.cosignatures[text] = line


def witness_for(log: MemoryLog, state: Path, now: float = 1_790_000_000) -> Witness:
    return Witness(log, WITNESS, WitnessState(state), io.StringIO(), io.StringIO(), lambda: now)


def said(witness: Witness, *, alarm: bool = False) -> str:
    stream = witness.err if alarm else witness.out
    assert isinstance(stream, io.StringIO)
    return stream.getvalue()


def stored(state: Path) -> Checkpoint:
    return read_checkpoint((state / "checkpoint.txt").read_text(), LOG.public).checkpoint


def test_rounds_pin_the_key_cosign_the_first_then_only_consistent_growth(tmp_path: Path) -> None:
    log = MemoryLog(tree_of(40))
    log.size = 29
    witness = witness_for(log, tmp_path)
    assert witness.round() == EXIT_OK
    assert "Trust on first use" in said(witness)
    assert (tmp_path / "log-key.txt").read_text().startswith(f"{ORIGIN}+{LOG.key_id.hex()}+")
    served = log.checkpoint()
    verify_note(served, [LOG.public], required=[WITNESS.public])
    assert stored(tmp_path) == checkpoint_of(log.tree, 29)
    log.size = 40
    assert witness.round() == EXIT_OK
    assert "grew from 29 to 40" in said(witness)
    assert stored(tmp_path) == checkpoint_of(log.tree, 40)
    assert has_cosignature(log.checkpoint(), WITNESS.public)


def test_nothing_new_posts_nothing_but_a_missing_cosignature_is_posted_again(
    tmp_path: Path,
) -> None:
    log = MemoryLog(tree_of(12))
    witness = witness_for(log, tmp_path)
    assert witness.round() == EXIT_OK and log.posts == 1
    assert witness.round() == EXIT_OK and log.posts == 1
    assert "Nothing new" in said(witness)
    log.cosignatures.clear()  # the log lost it
    assert witness.round() == EXIT_OK and log.posts == 2
    assert "sent it again" in said(witness)
    assert has_cosignature(log.checkpoint(), WITNESS.public)


def test_the_checkpoint_is_remembered_before_the_cosignature_leaves(tmp_path: Path) -> None:
    log = MemoryLog(tree_of(12))
    log.size = 8
    witness = witness_for(log, tmp_path)
    witness.round()
    log.size, log.posts_fail = 12, True
    with pytest.raises(LogUnavailable):
        witness.round()
    # Had the post reached the log, a fork of size 12 could never get this witness's signature.
    assert stored(tmp_path) == checkpoint_of(log.tree, 12)
    log.posts_fail = False
    assert witness.round() == EXIT_OK and has_cosignature(log.checkpoint(), WITNESS.public)


def test_fork_is_refused_with_evidence_and_the_cosigned_checkpoint_kept(tmp_path: Path) -> None:
    honest = MemoryLog(tree_of(30))
    witness = witness_for(honest, tmp_path)
    witness.round()
    cosigned_note = (tmp_path / "checkpoint.txt").read_text()
    forked = MemoryLog(tree_of(31, fork_at=29))
    forked.size = 30
    witness = replace(witness, client=forked, out=io.StringIO(), err=io.StringIO())
    assert witness.round() == EXIT_FORKED
    forked.size = 31
    assert witness.round() == EXIT_FORKED
    assert forked.posts == 0 and forked.cosignatures == {}
    assert (tmp_path / "checkpoint.txt").read_text() == cosigned_note
    alarm = said(witness, alarm=True)
    assert "THE LOG HAS FORKED" in alarm and "NHẬT KÝ ĐÃ BỊ RẼ NHÁNH" in alarm
    assert "same size with another root" in alarm and "consistency proof does not link" in alarm
    first, second = sorted(tmp_path.glob("evidence-*"))
    assert second.name.startswith(first.name)  # the same second: numbered, not overwritten
    assert {p.name for p in first.iterdir()} == {
        "cosigned-checkpoint.txt",
        "new-checkpoint.txt",
        "log-key.txt",
        "README.txt",
    }
    assert (second / "consistency-proof.json").exists()
    old = read_checkpoint((second / "cosigned-checkpoint.txt").read_text(), LOG.public)
    new = read_checkpoint((second / "new-checkpoint.txt").read_text(), LOG.public)
    assert (old.checkpoint.size, new.checkpoint.size) == (30, 31)
    readme = (second / "README.txt").read_text()
    assert "RẼ NHÁNH" in readme and "HAS FORKED" in readme


def test_a_log_key_other_than_the_pinned_one_is_refused(tmp_path: Path) -> None:
    log = MemoryLog(tree_of(5))
    witness_for(log, tmp_path).round()
    with pytest.raises(WitnessStop) as caught:
        witness_for(log, tmp_path).round(given_key=OTHER_LOG.public)
    assert "differs from the key" in caught.value.text()
    impostor = MemoryLog(tree_of(5), OTHER_LOG)  # signs and serves another key
    with pytest.raises(WitnessStop) as caught:
        witness_for(impostor, tmp_path).round()
    assert "differs from the key" in caught.value.text()


def test_witness_key_file_is_private_never_overwritten_and_must_be_a_cosigning_key(
    tmp_path: Path,
) -> None:
    path = tmp_path / "witness.key"
    signer = create_witness_key("witness.example.vn/w9", path)
    assert path.stat().st_mode & 0o777 == 0o600
    assert load_witness_key(path) == signer
    with pytest.raises(WitnessStop) as caught:
        create_witness_key("witness.example.vn/w9", path)
    assert "already exists" in caught.value.text() and load_witness_key(path) == signer
    log_key_file = tmp_path / "log.key"
    log_key_file.write_text(signer_key_string(LOG))
    with pytest.raises(WitnessStop) as caught:
        load_witness_key(log_key_file)
    assert "cosignature/v1 signing key" in caught.value.text()


def test_polling_survives_an_unreachable_log_and_stops_at_a_fork(tmp_path: Path) -> None:
    key_file = tmp_path / "witness.key"
    create_witness_key("witness.example.vn/w1", key_file)
    config = WitnessConfig("http://log.invalid", key_file, tmp_path / "state", interval=7)
    log = MemoryLog(tree_of(20, fork_at=18))
    log.tree, log.size, log.down = tree_of(20), 10, True
    naps: list[float] = []

    def sleep(seconds: float) -> None:  # what happens while the witness waits
        naps.append(seconds)
        if len(naps) == 1:
            log.down = False
        elif len(naps) == 2:
            log.size = 20
        else:
            log.tree = tree_of(20, fork_at=18)  # history rewritten behind the witness's back

    out, err = io.StringIO(), io.StringIO()
    assert run_witness(config, out, err, sleep, log) == EXIT_FORKED
    assert naps == [7, 7, 7]
    assert "Could not reach the log" in err.getvalue() and "Retrying in 7" in err.getvalue()
    assert "First checkpoint" in out.getvalue() and "grew from 10 to 20" in out.getvalue()
    assert "THE LOG HAS FORKED" in err.getvalue()
    log.down = True
    once = replace(config, once=True)
    assert run_witness(once, io.StringIO(), io.StringIO(), sleep, log) == EXIT_UNAVAILABLE
    assert len(naps) == 3  # one round, no waiting


def test_two_witnesses_never_share_a_state_directory(tmp_path: Path) -> None:
    state = WitnessState(tmp_path)
    with state.locked(), pytest.raises(WitnessStop) as caught, WitnessState(tmp_path).locked():
        pass
    assert "Another witness is using" in caught.value.text()
