"""C2SP tlog-checkpoint note text: build, parse, and reject what the spec does not allow."""

from __future__ import annotations

import base64

import pytest

from trace.domain.checkpoint import Checkpoint, CheckpointError, parse_checkpoint_text
from trace.domain.note import SignatureType, Signer, sign_note, verify_note

ROOT = bytes(range(32))
ROOT_B64 = base64.b64encode(ROOT).decode()
# The example of c2sp.org/tlog-checkpoint.
SPEC_TEXT = "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"


def test_checkpoint_text_round_trips() -> None:
    checkpoint = Checkpoint("trace.example.vn/log", 42, ROOT)
    text = checkpoint.to_text()
    assert text == f"trace.example.vn/log\n42\n{ROOT_B64}\n"
    assert parse_checkpoint_text(text) == checkpoint


def test_spec_example_parses_and_prints_back_identically() -> None:
    checkpoint = parse_checkpoint_text(SPEC_TEXT)
    assert checkpoint.origin == "example.com/behind-the-sofa"
    assert checkpoint.size == 20852163
    assert checkpoint.root_hash == base64.b64decode("CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=")
    assert checkpoint.extensions == ()
    assert checkpoint.to_text() == SPEC_TEXT


def test_extension_lines_round_trip() -> None:
    checkpoint = Checkpoint("trace.example.vn/log", 7, ROOT, ("ext one", "ext-two"))
    text = checkpoint.to_text()
    assert text.endswith("\next one\next-two\n")
    assert parse_checkpoint_text(text) == checkpoint


def test_empty_tree_has_size_zero_and_the_largest_size_is_2_to_the_63_minus_1() -> None:
    assert parse_checkpoint_text(f"o\n0\n{ROOT_B64}\n").size == 0
    assert parse_checkpoint_text(f"o\n{2**63 - 1}\n{ROOT_B64}\n").size == 2**63 - 1


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        (f"o\n1\n{ROOT_B64}", "text"),  # no final newline
        ("o\n1\n", "text"),  # two lines
        (f"o\n1\n{ROOT_B64}\n\n", "text"),  # trailing blank line
        (f"o\n1\n{ROOT_B64}\n\next\n", "text"),  # empty extension line
        (f"o\n1\n{ROOT_B64}\njunk", "text"),  # trailing junk without a newline
        (f"\n1\n{ROOT_B64}\n", "text"),  # empty origin
        (f"trace example\n1\n{ROOT_B64}\n", "origin"),
        (f"trace+example\n1\n{ROOT_B64}\n", "origin"),
        (f"o\r\n1\n{ROOT_B64}\n", "origin"),
        (f"o\n01\n{ROOT_B64}\n", "size"),  # leading zero
        (f"o\n+1\n{ROOT_B64}\n", "size"),
        (f"o\n-1\n{ROOT_B64}\n", "size"),
        (f"o\n 1\n{ROOT_B64}\n", "size"),
        (f"o\n1 \n{ROOT_B64}\n", "size"),
        (f"o\n1\r\n{ROOT_B64}\n", "size"),
        (f"o\n1_000\n{ROOT_B64}\n", "size"),
        (f"o\n\uff11\n{ROOT_B64}\n", "size"),  # fullwidth digit one
        (f"o\n{2**63}\n{ROOT_B64}\n", "size"),
        (f"o\n{'9' * 5000}\n{ROOT_B64}\n", "size"),
        (f"o\n1\n{base64.b64encode(ROOT[:31]).decode()}\n", "root_hash"),
        (f"o\n1\n{base64.b64encode(ROOT + b'x').decode()}\n", "root_hash"),
        (f"o\n1\n{ROOT_B64.rstrip('=')}\n", "root_hash"),  # padding missing
        ("o\n1\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2J=\n", "root_hash"),  # non-canonical
        (f"o\n1\n{ROOT.hex()}\n", "root_hash"),
        (f"o\n1\n{ROOT_B64}\next\tension\n", "extension"),
    ],
)
def test_malformed_checkpoint_text_is_rejected(text: str, reason: str) -> None:
    with pytest.raises(CheckpointError) as caught:
        parse_checkpoint_text(text)
    assert caught.value.params["reason"] == reason
    assert "expected" in caught.value.detail and "found" in caught.value.detail


@pytest.mark.parametrize(
    ("origin", "size", "root", "extensions"),
    [
        ("", 1, ROOT, ()),
        ("o", -1, ROOT, ()),
        ("o", 2**63, ROOT, ()),
        ("o", True, ROOT, ()),
        ("o", 1, ROOT[:31], ()),
        ("o", 1, ROOT, ("",)),
        ("o", 1, ROOT, ("two\nlines",)),
    ],
)
def test_checkpoints_that_cannot_be_written_are_refused(
    origin: str, size: int, root: bytes, extensions: tuple[str, ...]
) -> None:
    with pytest.raises(CheckpointError):
        Checkpoint(origin, size, root, extensions)


def test_signed_checkpoint_verifies_and_parses_back() -> None:
    log = Signer("trace.example.vn/log", SignatureType.ED25519, bytes(32))
    checkpoint = Checkpoint(log.name, 1234, ROOT)
    verified = verify_note(sign_note(checkpoint.to_text(), [log]), [log.public])
    assert parse_checkpoint_text(verified.text) == checkpoint
