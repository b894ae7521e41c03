"""Statements: what an agency signs, their hash, and Ed25519 signatures.

``statement_hash = SHA-256(canonical bytes)`` and
``signature = Ed25519(key, "trace/statement/v1\\n" || statement_hash)``: the
prefix separates our signatures from any other use of the same key (domain
separation), so a signature made here can never be replayed as something else.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import datetime
from typing import Any

import msgspec
from cryptography.exceptions import InvalidSignature as _CryptoInvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from trace.domain.canonical import canonical_bytes, parse_canonical
from trace.domain.errors import InvalidSignature, InvalidStatement

STATEMENT_VERSION = 1
SIGNATURE_CONTEXT = b"trace/statement/v1\n"
KEY_ID_CONTEXT = b"trace/key/v1\n"

_RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?(Z|[+-]\d{2}:\d{2})$")
_KEY_ID = re.compile(r"^[0-9a-f]{16}$")
# A UUID in its lower-case hyphenated form, as str(uuid.UUID(...)) writes it.
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


class Statement(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """The signed envelope of one event about one batch (DESIGN.md, "Statements")."""

    v: int
    batch: str
    kind: str
    occurred_at: str
    agency: str
    key: str
    body: dict[str, Any]
    nonce: str


def new_nonce() -> str:
    """A fresh random nonce, so that two identical events are two distinct statements."""
    return secrets.token_hex(16)


def encode_statement(statement: Statement) -> bytes:
    """The canonical bytes of ``statement`` (strings NFC-normalised)."""
    return canonical_bytes(msgspec.to_builtins(statement))


def parse_statement(data: bytes) -> Statement:
    """Decode canonical statement bytes and check the envelope; the body is checked by kind."""
    raw = parse_canonical(data)
    try:
        statement = msgspec.convert(raw, Statement, strict=True)
    except msgspec.ValidationError as exc:
        raise InvalidStatement(f"statement envelope: {exc}", reason="envelope") from exc
    check_envelope(statement)
    return statement


def check_envelope(statement: Statement) -> None:
    """Check the envelope fields' formats; raise :class:`InvalidStatement` naming the field."""
    if statement.v != STATEMENT_VERSION:
        raise InvalidStatement(f"unsupported statement version {statement.v}", reason="version")
    for name in ("batch", "agency"):
        value = getattr(statement, name)
        if not is_uuid(value):
            raise InvalidStatement(f"{name} must be a lower-case UUID", reason=name)
    if not _KEY_ID.match(statement.key):
        raise InvalidStatement("key must be a 16-hex-digit key id", reason="key")
    if not 16 <= len(statement.nonce) <= 64:
        raise InvalidStatement("nonce must be 16 to 64 characters", reason="nonce")
    parse_time(statement.occurred_at, field="occurred_at")


def parse_time(text: str, *, field: str) -> datetime:
    """Parse an RFC 3339 time that carries a UTC offset; raise naming ``field`` otherwise."""
    if not _RFC3339.match(text):
        raise InvalidStatement(
            f"{field} must be an RFC 3339 time with a UTC offset, e.g. 2026-03-02T07:30:00+07:00",
            reason="time",
            field=field,
        )
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as exc:
        raise InvalidStatement(
            f"{field} is not a real time: {exc}", reason="time", field=field
        ) from exc


def is_uuid(value: str) -> bool:
    """True if ``value`` is a UUID in its lower-case hyphenated form."""
    return _UUID.fullmatch(value) is not None


def statement_hash(data: bytes) -> bytes:
    """SHA-256 of the statement's canonical bytes."""
    return hashlib.sha256(data).digest()


def signing_message(digest: bytes) -> bytes:
    """The exact bytes an agency's Ed25519 key signs for a statement with hash ``digest``."""
    return SIGNATURE_CONTEXT + digest


def sign_statement(private_key: Ed25519PrivateKey, data: bytes) -> bytes:
    """Sign canonical statement bytes with domain separation."""
    return private_key.sign(signing_message(statement_hash(data)))


def verify_signature(public_key: bytes, digest: bytes, signature: bytes) -> None:
    """Check ``signature`` over the statement hash ``digest``; raise :class:`InvalidSignature`."""
    if len(signature) != 64:
        raise InvalidSignature("an Ed25519 signature is 64 bytes", reason="length")
    try:
        Ed25519PublicKey.from_public_bytes(public_key).verify(signature, signing_message(digest))
    except _CryptoInvalidSignature as exc:
        raise InvalidSignature(
            "the signature does not match the statement and key", reason="mismatch"
        ) from exc


def key_id(public_key: bytes) -> str:
    """A short, stable identifier of an Ed25519 public key (16 hex digits)."""
    return hashlib.sha256(KEY_ID_CONTEXT + public_key).hexdigest()[:16]
