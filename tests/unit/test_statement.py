"""Statement signatures with domain separation, and record hashes."""

from __future__ import annotations

import hashlib
import uuid

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from trace.domain.errors import InvalidSignature, InvalidStatement
from trace.domain.record import GENESIS_PREV, record_hash
from trace.domain.statement import (
    SIGNATURE_CONTEXT,
    Statement,
    encode_statement,
    key_id,
    parse_statement,
    sign_statement,
    statement_hash,
    verify_signature,
)


def _public(secret: Ed25519PrivateKey) -> bytes:
    return secret.public_key().public_bytes_raw()


def _statement(**changes: object) -> Statement:
    fields: dict[str, object] = {
        "v": 1,
        "batch": "6f1c2a52-0a7e-4c33-9d55-0d4f6a1e2b3c",
        "kind": "harvested",
        "occurred_at": "2026-03-02T07:30:00+07:00",
        "agency": "0b9d8c7e-6f5a-4b3c-9d2e-1f0a9b8c7d6e",
        "key": "0123456789abcdef",
        "body": {"quantity": {"value": "12.5", "unit": "KGM"}},
        "nonce": "00112233445566778899aabbccddeeff",
    }
    fields.update(changes)
    return Statement(**fields)  # type: ignore[arg-type]


def test_signature_verifies_for_its_statement_and_key() -> None:
    secret = Ed25519PrivateKey.generate()
    data = encode_statement(_statement())
    verify_signature(_public(secret), statement_hash(data), sign_statement(secret, data))


def test_signature_covers_the_domain_separated_hash_not_the_raw_bytes() -> None:
    secret = Ed25519PrivateKey.generate()
    data = encode_statement(_statement())
    raw_signature = secret.sign(statement_hash(data))  # no "trace/statement/v1" prefix
    with pytest.raises(InvalidSignature):
        verify_signature(_public(secret), statement_hash(data), raw_signature)
    prefixed = secret.sign(SIGNATURE_CONTEXT + statement_hash(data))
    verify_signature(_public(secret), statement_hash(data), prefixed)


def test_one_changed_byte_breaks_the_signature() -> None:
    secret = Ed25519PrivateKey.generate()
    data = encode_statement(_statement())
    signature = sign_statement(secret, data)
    changed = data.replace(b"12.5", b"13.5")
    with pytest.raises(InvalidSignature):
        verify_signature(_public(secret), statement_hash(changed), signature)


def test_another_keys_signature_is_refused() -> None:
    data = encode_statement(_statement())
    signature = sign_statement(Ed25519PrivateKey.generate(), data)
    with pytest.raises(InvalidSignature):
        verify_signature(_public(Ed25519PrivateKey.generate()), statement_hash(data), signature)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("occurred_at", "2026-03-02T07:30:00"),
        ("occurred_at", "2026-02-30T07:30:00+07:00"),
        ("batch", "not-a-uuid"),
        ("batch", "6F1C2A52-0A7E-4C33-9D55-0D4F6A1E2B3C"),
        ("key", "xyz"),
        ("v", 2),
        ("nonce", "short"),
    ],
)
def test_malformed_envelopes_are_refused_naming_the_field(field: str, value: object) -> None:
    with pytest.raises(InvalidStatement):
        parse_statement(encode_statement(_statement(**{field: value})))


def test_key_id_is_sixteen_hex_digits_and_differs_per_key() -> None:
    a, b = (key_id(_public(Ed25519PrivateKey.generate())) for _ in range(2))
    assert len(a) == 16 and int(a, 16) >= 0 and a != b


def test_record_hash_follows_the_documented_layout() -> None:
    digest = hashlib.sha256(b"statement").digest()
    signature = bytes(range(64))
    expected = hashlib.sha256(
        b"trace/record/v1\n"
        + GENESIS_PREV
        + digest
        + signature
        + (1).to_bytes(8, "big")
        + (7).to_bytes(8, "big")
        + (1_700_000_000_000_000).to_bytes(8, "big", signed=True)
    ).digest()
    assert (
        record_hash(
            prev=GENESIS_PREV,
            statement_hash=digest,
            signature=signature,
            seq=1,
            position=7,
            recorded_at_us=1_700_000_000_000_000,
        )
        == expected
    )


def test_is_uuid_takes_only_the_lower_case_hyphenated_form() -> None:
    from trace.domain.statement import is_uuid

    value = str(uuid.uuid4())
    assert is_uuid(value)
    for other in (
        value.upper(),
        "{" + value + "}",
        value.replace("-", ""),
        f"urn:uuid:{value}",
        value + "\n",
        value[:-1] + "g",
        "",
    ):
        assert not is_uuid(other), other
