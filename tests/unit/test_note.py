"""C2SP signed notes and cosignature/v1: key IDs, key strings, signing, tampering."""

from __future__ import annotations

import base64
import hashlib
import re

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from trace.domain.note import (
    MAX_SIGNATURES,
    NoteKeyInvalid,
    NoteMalformed,
    NoteSignature,
    NoteSignatureInvalid,
    NoteUnverified,
    SignatureType,
    Signer,
    Verifier,
    add_signatures,
    cosign,
    cosignature_message,
    generate_signer,
    key_id,
    parse_note,
    parse_signer_key,
    parse_verifier_key,
    sign_note,
    signer_key_string,
    verifier_key_string,
    verify_cosignature,
    verify_note,
)

ED25519 = SignatureType.ED25519
COSIG = SignatureType.COSIGNATURE_V1
CHECKPOINT = "trace.example.vn/log\n42\n" + base64.b64encode(bytes(range(32))).decode() + "\n"
LOG = Signer("trace.example.vn/log", ED25519, bytes(range(32)))
WITNESS = Signer("witness.example.vn/w1", COSIG, bytes(range(32, 64)))
STRANGER = Signer("stranger.example/log", ED25519, bytes(range(64, 96)))
ED25519_ZERO_KEY = base64.b64encode(b"\x01" + bytes(32)).decode()

# The example of Go's golang.org/x/mod/sumdb/note documentation, the implementation the
# C2SP signed-note specification was written from.
GO_SKEY = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
GO_VKEY = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
GO_TEXT = (
    "If you think cryptography is the answer to your problem,\n"
    "then you don't know what your problem is.\n"
)
GO_NOTE = (
    GO_TEXT + "\n— PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZ"
    "SNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n"
)

# The examples of c2sp.org/signed-note and c2sp.org/tlog-cosignature.
SPEC_POEM = (
    "Ognuno sta solo sul cuor della terra\ntrafitto da un raggio di sole:\n\ned è subito sera.\n"
    "\n— quasimodo.example/salvatore NnugSzTjtVAewIS+Z/iJhUPeFDkO/5QQ2i5ddnGITLlC+EhfLW9oJKONrM"
    "ouFSQU0xMcXxj99ihAQwaqP3ZekRwNtIc=\n"
)
SPEC_CHECKPOINT = (
    "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"
)
SPEC_COSIGNED = (
    SPEC_CHECKPOINT + "\n— example.com/behind-the-sofa Az3grlgtzPICa5OS8npVmf1Myq/5IZniMp+ZJurm"
    "RDeOoRDe4URYN7u5/Zhcyv2q1gGzGku9nTo+zyWE+xeMcTOAYQ8=\n"
    "— witness.example.com/w1 jWbPPwAAAABkGFDLEZMHwSRaJNiIDoe9DYn/zXcrtPHeolMI5OWXEhZCB9dlrDJsX3"
    "b2oyin1nPZqhf5nNo0xUe+mbIUBkBIfZ+qnA==\n"
)


def _public_key(signer: Signer) -> bytes:
    return Ed25519PrivateKey.from_private_bytes(signer.seed).public_key().public_bytes_raw()


def _flip_bit_in_signature(line: str) -> str:
    prefix, encoded = line.rstrip("\n").rsplit(" ", 1)
    raw = bytearray(base64.b64decode(encoded))
    raw[-1] ^= 0x01
    return f"{prefix} {base64.b64encode(bytes(raw)).decode()}\n"


def test_key_id_is_sha256_of_name_newline_type_and_public_key() -> None:
    public = _public_key(LOG)
    expected = hashlib.sha256(b"trace.example.vn/log" + b"\x0a" + b"\x01" + public).digest()[:4]
    assert key_id("trace.example.vn/log", ED25519, public) == expected
    assert LOG.key_id == expected
    assert Verifier(LOG.name, ED25519, public).key_id == expected


def test_cosignature_key_id_uses_signature_type_0x04() -> None:
    public = _public_key(WITNESS)
    expected = hashlib.sha256(WITNESS.name.encode() + b"\n\x04" + public).digest()[:4]
    assert WITNESS.key_id == expected
    assert key_id(WITNESS.name, ED25519, public) != expected


def test_go_sumdb_example_key_strings_and_signature_match_byte_for_byte() -> None:
    signer = parse_signer_key(GO_SKEY)
    assert signer_key_string(signer) == GO_SKEY
    assert verifier_key_string(signer.public) == GO_VKEY
    assert sign_note(GO_TEXT, [signer]) == GO_NOTE
    verified = verify_note(GO_NOTE, [parse_verifier_key(GO_VKEY)])
    assert verified.text == GO_TEXT
    assert [s.verifier.label for s in verified.signatures] == ["PeterNeumann+c74f20a3"]


def test_verifier_and_signer_keys_round_trip() -> None:
    for signer in (LOG, WITNESS, generate_signer("agency.example.vn/a1", COSIG)):
        assert parse_signer_key(signer_key_string(signer)) == signer
        assert parse_verifier_key(verifier_key_string(signer.public)) == signer.public
        assert signer.public.signature_type is signer.signature_type


def test_signer_repr_does_not_show_the_seed() -> None:
    assert LOG.seed.hex() not in repr(LOG)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("trace.example.vn/log+00000000+" + ED25519_ZERO_KEY, "key_id"),  # another key's ID
        ("trace.example.vn/log+1234567+AQ==", "key"),  # 7 hex digits, 1-byte key
        ("trace.example.vn/log", "key_format"),
        ("trace example+00000000+" + ED25519_ZERO_KEY, "key_name"),
        ("name+00000000+" + base64.b64encode(b"\x02" + bytes(32)).decode(), "key_type"),
        ("name+00000000+not base64!", "key"),
    ],
)
def test_malformed_verifier_keys_are_rejected(text: str, reason: str) -> None:
    with pytest.raises(NoteKeyInvalid) as caught:
        parse_verifier_key(text)
    assert caught.value.params["reason"] == reason


def test_verifier_key_with_wrong_key_id_names_the_expected_one() -> None:
    good = verifier_key_string(LOG.public)
    name, _, rest = good.split("+", 2)
    with pytest.raises(NoteKeyInvalid, match=f"expected key ID {LOG.key_id.hex()}.*found"):
        parse_verifier_key(f"{name}+00000000+{rest}")


def test_signer_key_errors_never_repeat_the_secret() -> None:
    secret = signer_key_string(LOG)
    broken = secret.replace(f"+{LOG.key_id.hex()}+", "+00000000+")
    with pytest.raises(NoteKeyInvalid) as caught:
        parse_signer_key(broken)
    assert secret.rsplit("+", 1)[1] not in str(caught.value)
    with pytest.raises(NoteKeyInvalid, match="another form"):
        parse_signer_key(secret.replace("PRIVATE+KEY", "PUBLIC+KEY"))


def test_signed_note_round_trips_and_verifies() -> None:
    data = sign_note(CHECKPOINT, [LOG])
    assert data.startswith(CHECKPOINT + "\n— trace.example.vn/log ")
    note = parse_note(data)
    assert note.text == CHECKPOINT
    assert note.to_text() == data
    (signature,) = note.signatures
    assert (signature.name, signature.key_id, len(signature.signature)) == (
        LOG.name,
        LOG.key_id,
        64,
    )
    verified = verify_note(data.encode(), [LOG.public], required=[LOG.public])
    assert verified.text == CHECKPOINT
    assert verified.signatures[0].timestamp is None


def test_spec_example_text_may_hold_a_blank_line_and_ends_at_the_last_one() -> None:
    note = parse_note(SPEC_POEM)
    assert note.text.endswith(":\n\ned è subito sera.\n")
    assert [(s.name, s.key_id.hex(), len(s.signature)) for s in note.signatures] == [
        ("quasimodo.example/salvatore", "367ba04b", 64)
    ]


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (CHECKPOINT + "\n— trace.example.vn/log AAAAAAAA", "format"),  # no final newline
        (CHECKPOINT.replace("\n", "\r\n") + "\r\n— a AAAAAAA=\r\n", "control_character"),
        (CHECKPOINT.replace("42", "4\t2") + "\n— a AAAAAAA=\n", "control_character"),
        (CHECKPOINT + "— a AAAAAAA=\n", "format"),  # no blank line
        (CHECKPOINT + "\n", "format"),  # no signature line
        (CHECKPOINT + "\n-- a AAAAAAA=\n", "signature_line"),  # two hyphens, not an em dash
        (CHECKPOINT + "\n– a AAAAAAA=\n", "signature_line"),  # en dash U+2013
        (CHECKPOINT + "\n—a AAAAAAA=\n", "signature_line"),  # no space after the dash
        (CHECKPOINT + "\n— a AAAA!AA=\n", "signature_line"),  # not base64
        (CHECKPOINT + "\n— a AAAAAAB=\n", "signature_line"),  # non-canonical base64
        (CHECKPOINT + "\n— a  AAAAAAA=\n", "signature_line"),  # two spaces
        (CHECKPOINT + "\n— a AAAAAA==\n", "signature_line"),  # key ID but no signature
        (CHECKPOINT + "\n— a+b AAAAAAA=\n", "key_name"),
        (CHECKPOINT + "\n—  AAAAAAA=\n", "key_name"),  # empty key name
        (CHECKPOINT + "\n— a\u00a0b AAAAAAA=\n", "key_name"),  # Unicode space in the name
        ("\ud800\n\n— a AAAAAAA=\n", "encoding"),
    ],
)
def test_malformed_notes_are_rejected(data: str, reason: str) -> None:
    with pytest.raises(NoteMalformed) as caught:
        parse_note(data)
    assert caught.value.params["reason"] == reason
    assert "expected" in caught.value.detail and "found" in caught.value.detail


def test_note_bytes_must_be_utf8() -> None:
    with pytest.raises(NoteMalformed, match="expected UTF-8"):
        parse_note(b"\xff\n\n\xe2\x80\x94 a AAAAAAA=\n")


def test_signing_refuses_text_the_note_format_cannot_carry() -> None:
    with pytest.raises(NoteMalformed, match="newline"):
        sign_note("no final newline", [LOG])
    with pytest.raises(NoteMalformed, match="U\\+000D"):
        sign_note("carriage\rreturn\n", [LOG])
    with pytest.raises(NoteKeyInvalid, match="at least one signer"):
        sign_note(CHECKPOINT, [])
    with pytest.raises(NoteKeyInvalid, match="expected a ED25519 key"):
        sign_note(CHECKPOINT, [WITNESS])


def test_flipped_bit_in_text_fails_verification() -> None:
    data = sign_note(CHECKPOINT, [LOG])
    tampered = data.replace("\n42\n", "\n43\n", 1)  # "2" -> "3" is one flipped bit
    with pytest.raises(NoteSignatureInvalid, match="expected a valid signature from"):
        verify_note(tampered, [LOG.public])


def test_flipped_bit_in_signature_fails_verification() -> None:
    note = parse_note(sign_note(CHECKPOINT, [LOG]))
    tampered = CHECKPOINT + "\n" + _flip_bit_in_signature(note.signatures[0].to_line())
    with pytest.raises(NoteSignatureInvalid):
        verify_note(tampered, [LOG.public])


def test_truncated_signature_from_a_known_key_fails_verification() -> None:
    (signature,) = parse_note(sign_note(CHECKPOINT, [LOG])).signatures
    short = NoteSignature(signature.name, signature.key_id, signature.signature[:63])
    with pytest.raises(NoteSignatureInvalid, match="found 63 bytes"):
        verify_note(CHECKPOINT + "\n" + short.to_line(), [LOG.public])


def test_signature_with_another_key_id_is_not_the_log_signature() -> None:
    (signature,) = parse_note(sign_note(CHECKPOINT, [LOG])).signatures
    other = NoteSignature(signature.name, b"\x00\x00\x00\x00", signature.signature)
    with pytest.raises(NoteUnverified, match="expected a signature from one of"):
        verify_note(CHECKPOINT + "\n" + other.to_line(), [LOG.public])


def test_signatures_from_unknown_keys_are_ignored() -> None:
    impostor = Signer(LOG.name, ED25519, bytes(range(1, 33)))  # same name, another key
    data = sign_note(CHECKPOINT, [STRANGER, impostor, LOG])
    verified = verify_note(data, [LOG.public])
    assert [s.verifier for s in verified.signatures] == [LOG.public]


def test_note_without_a_known_signature_is_unverified() -> None:
    with pytest.raises(NoteUnverified) as caught:
        verify_note(sign_note(CHECKPOINT, [STRANGER]), [LOG.public])
    assert LOG.public.label in caught.value.detail
    assert STRANGER.public.label in caught.value.detail


def test_required_log_signature_must_be_present() -> None:
    data = add_signatures(sign_note(CHECKPOINT, [STRANGER]), cosign(CHECKPOINT, WITNESS, 1))
    with pytest.raises(NoteUnverified, match=re.escape(f"each of {LOG.public.label}, found")):
        verify_note(data, [WITNESS.public], required=[LOG.public])


def test_two_signatures_from_one_known_key_are_rejected() -> None:
    data = sign_note(CHECKPOINT, [LOG])
    line = data.split("\n\n", 1)[1]
    with pytest.raises(NoteMalformed, match="expected one signature from"):
        verify_note(data + line, [LOG.public])


def test_signature_count_is_limited() -> None:
    line = NoteSignature("a", b"\x00" * 4, b"\x00" * 64).to_line()
    parse_note(CHECKPOINT + "\n" + line * 16)
    with pytest.raises(NoteMalformed) as caught:
        parse_note(CHECKPOINT + "\n" + line * (MAX_SIGNATURES + 1))
    assert caught.value.params["reason"] == "too_many_signatures"


def test_cosignature_message_matches_the_spec_example() -> None:
    expected = (
        "cosignature/v1\ntime 1679315147\nexample.com/behind-the-sofa\n20852163\n"
        "CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"
    )
    assert cosignature_message(SPEC_CHECKPOINT, 1679315147) == expected.encode()


def test_spec_cosignature_example_carries_key_id_then_timestamp() -> None:
    log, witness = parse_note(SPEC_COSIGNED).signatures
    assert (log.key_id.hex(), len(log.signature)) == ("033de0ae", 64)
    assert witness.key_id.hex() == "8d66cf3f"
    assert len(witness.signature) == 8 + 64
    assert int.from_bytes(witness.signature[:8], "big") == 1679315147


def test_cosignature_round_trip_returns_its_timestamp() -> None:
    line = cosign(CHECKPOINT, WITNESS, 1_780_000_000)
    assert line.startswith(f"— {WITNESS.name} ") and line.endswith("\n")
    assert verify_cosignature(CHECKPOINT, line, WITNESS.public) == 1_780_000_000
    data = add_signatures(sign_note(CHECKPOINT, [LOG]), line)
    verified = verify_note(data, [WITNESS.public], required=[LOG.public])
    assert {s.verifier.name: s.timestamp for s in verified.signatures} == {
        LOG.name: None,
        WITNESS.name: 1_780_000_000,
    }


def test_a_new_cosignature_replaces_the_old_one_from_the_same_witness() -> None:
    data = add_signatures(sign_note(CHECKPOINT, [LOG]), cosign(CHECKPOINT, WITNESS, 1))
    data = add_signatures(data, cosign(CHECKPOINT, WITNESS, 2))
    assert len(parse_note(data).signatures) == 2
    assert verify_cosignature(CHECKPOINT, data.split("\n\n")[1], WITNESS.public) == 2


def test_tampered_cosignatures_fail() -> None:
    line = cosign(CHECKPOINT, WITNESS, 1_780_000_000)
    with pytest.raises(NoteSignatureInvalid):
        verify_cosignature(CHECKPOINT.replace("42", "43"), line, WITNESS.public)
    with pytest.raises(NoteSignatureInvalid):
        verify_cosignature(CHECKPOINT, _flip_bit_in_signature(line), WITNESS.public)
    (parsed,) = parse_note(CHECKPOINT + "\n" + line).signatures
    later = (1_780_000_001).to_bytes(8, "big") + parsed.signature[8:]
    moved = NoteSignature(parsed.name, parsed.key_id, later).to_line()
    with pytest.raises(NoteSignatureInvalid):
        verify_cosignature(CHECKPOINT, moved, WITNESS.public)


def test_cosignature_timestamp_must_stay_below_2_to_the_63() -> None:
    with pytest.raises(NoteMalformed, match="timestamp"):
        cosign(CHECKPOINT, WITNESS, 2**63)
    with pytest.raises(NoteMalformed, match="timestamp"):
        cosign(CHECKPOINT, WITNESS, -1)
    signed = WITNESS.sign(cosignature_message(CHECKPOINT, 2**63))
    line = NoteSignature(WITNESS.name, WITNESS.key_id, (2**63).to_bytes(8, "big") + signed)
    with pytest.raises(NoteSignatureInvalid, match="below 2\\^63"):
        verify_cosignature(CHECKPOINT, line.to_line(), WITNESS.public)


def test_cosignature_keys_and_plain_keys_are_not_interchangeable() -> None:
    with pytest.raises(NoteKeyInvalid, match="COSIGNATURE_V1"):
        cosign(CHECKPOINT, LOG, 1)
    with pytest.raises(NoteKeyInvalid, match="COSIGNATURE_V1"):
        verify_cosignature(CHECKPOINT, cosign(CHECKPOINT, WITNESS, 1), LOG.public)
    # The same Ed25519 key used as a plain signer gets another key ID, so its cosignature
    # is never mistaken for a signature of the note text.
    plain = Verifier(WITNESS.name, ED25519, WITNESS.public.public_key)
    data = sign_note(CHECKPOINT, [LOG]) + cosign(CHECKPOINT, WITNESS, 1)
    with pytest.raises(NoteUnverified):
        verify_note(data, [plain])


def test_cosignature_that_is_too_short_fails() -> None:
    line = NoteSignature(WITNESS.name, WITNESS.key_id, bytes(8 + 63)).to_line()
    with pytest.raises(NoteSignatureInvalid, match="found 63 bytes"):
        verify_cosignature(CHECKPOINT, line, WITNESS.public)
