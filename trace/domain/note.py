"""Signed notes: text signed by one or more keys (C2SP signed-note, c2sp.org/signed-note).

A signed note is the note text (UTF-8, ending in a newline), a blank line, and one or
more signature lines ``— <key name> <base64(key ID || signature)>``. Two signature
types are implemented: ``0x01``, Ed25519 over the note text ("Ed25519 signatures"),
with which the ledger signs checkpoints; and ``0x04``, timestamped Ed25519 witness
cosignatures (c2sp.org/tlog-cosignature, ``cosignature/v1``).

Key IDs are ``SHA-256(key name || 0x0A || signature type || public key)[:4]``. Keys are
shared as verifier keys ``<name>+<key ID hex>+<base64(type || public key)>`` and
stored as signer keys ``PRIVATE+KEY+<name>+<key ID hex>+<base64(type || seed)>``.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from enum import IntEnum
from types import MappingProxyType

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from trace.domain.errors import DomainError
from trace.domain.texts import N_

SIGNATURE_PREFIX = "\u2014 "  # em dash (U+2014), space
MAX_SIGNATURES = 100  # the spec asks for at least 16; Go's sumdb/note stops at 100
COSIGNATURE_HEADER = "cosignature/v1\n"
MAX_TIMESTAMP = 2**63 - 1  # tlog-cosignature: the timestamp MUST NOT exceed 2^63 - 1
KEY_SIZE = 32  # an Ed25519 public key or seed (RFC 8032)
SIGNATURE_SIZE = 64  # an Ed25519 signature
TIMESTAMP_SIZE = 8  # u64, big-endian

_CONTROL = re.compile(r"[\x00-\x09\x0b-\x1f]")  # ASCII control characters but newline
_KEY_ID_HEX = re.compile(r"[0-9a-fA-F]{8}")


class SignatureType(IntEnum):
    """Signature type identifier bytes (signed-note, "Signature types")."""

    ED25519 = 0x01
    COSIGNATURE_V1 = 0x04


class NoteError(DomainError):
    """A signed note, a signature line or a note key cannot be accepted."""

    code = "note_invalid"
    words = N_("The signed note (checkpoint) is not valid ({reason}): {detail}")
    variants = MappingProxyType(
        {
            "key_type": N_("The key is of the wrong type: {detail}"),
            "duplicate": N_("Duplicate key: {detail}"),
            "lines": N_("Send exactly one cosignature line."),
        }
    )


class NoteMalformed(NoteError):
    """The note or a signature line does not follow the signed-note format."""


class NoteKeyInvalid(NoteError):
    """A key name, verifier key or signer key is malformed or inconsistent."""


class NoteUnverified(NoteError):
    """No signature from a known key, or none from a key the caller requires."""


class NoteSignatureInvalid(NoteError):
    """A signature from a known key does not verify."""


def key_id(name: str, signature_type: SignatureType, public_key: bytes) -> bytes:
    """The 4-byte key ID: ``SHA-256(name || 0x0A || signature type || public key)[:4]``."""
    _check_key_name(name, NoteKeyInvalid)
    preimage = name.encode() + b"\n" + bytes([signature_type]) + public_key
    return hashlib.sha256(preimage).digest()[:4]


@dataclass(frozen=True)
class Verifier:
    """A known public key: name, signature type, key, and the key ID computed from them."""

    name: str
    signature_type: SignatureType
    public_key: bytes
    key_id: bytes = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "signature_type", _signature_type(self.signature_type))
        _check_size("public key", self.public_key)
        object.__setattr__(self, "key_id", key_id(self.name, self.signature_type, self.public_key))

    @property
    def label(self) -> str:
        """``<name>+<key ID hex>``: how messages name this key."""
        return f"{self.name}+{self.key_id.hex()}"


@dataclass(frozen=True)
class Signer:
    """A private key (its 32-byte Ed25519 seed, RFC 8032) and the name it signs under."""

    name: str
    signature_type: SignatureType
    seed: bytes = field(repr=False)
    public: Verifier = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        _check_size("seed", self.seed)
        public_key = Ed25519PrivateKey.from_private_bytes(self.seed).public_key()
        verifier = Verifier(self.name, self.signature_type, public_key.public_bytes_raw())
        object.__setattr__(self, "signature_type", verifier.signature_type)
        object.__setattr__(self, "public", verifier)

    @property
    def key_id(self) -> bytes:
        return self.public.key_id

    def sign(self, message: bytes) -> bytes:
        """The raw Ed25519 signature of ``message``."""
        return Ed25519PrivateKey.from_private_bytes(self.seed).sign(message)


def generate_signer(name: str, signature_type: SignatureType = SignatureType.ED25519) -> Signer:
    """A new random signer named ``name``."""
    return Signer(name, signature_type, Ed25519PrivateKey.generate().private_bytes_raw())


def verifier_key_string(verifier: Verifier) -> str:
    """The verifier key ``<name>+<key ID hex>+<base64(type || public key)>``."""
    return f"{verifier.label}+{_b64(bytes([verifier.signature_type]) + verifier.public_key)}"


def parse_verifier_key(text: str) -> Verifier:
    """Parse a verifier key; its key ID must match its name, type and public key."""
    parts = text.split("+", 2)  # base64 may contain "+"; names and key IDs may not
    if len(parts) != 3:
        raise NoteKeyInvalid(f"expected 'name+keyid+key', found {text!r}", reason="key_format")
    verifier = Verifier(parts[0], *_key_material(parts[2]))
    _check_key_id(parts[1], verifier)
    return verifier


def signer_key_string(signer: Signer) -> str:
    """The secret signer key ``PRIVATE+KEY+<name>+<key ID hex>+<base64(type || seed)>``."""
    return f"PRIVATE+KEY+{signer.public.label}+{_b64(bytes([signer.signature_type]) + signer.seed)}"


def parse_signer_key(text: str) -> Signer:
    """Parse a signer key and check its key ID; messages never repeat the secret."""
    parts = text.split("+", 4)
    if len(parts) != 5 or parts[:2] != ["PRIVATE", "KEY"]:
        message = "expected 'PRIVATE+KEY+name+keyid+key', found another form"
        raise NoteKeyInvalid(message, reason="key_format")
    signer = Signer(parts[2], *_key_material(parts[4]))
    _check_key_id(parts[3], signer.public)
    return signer


@dataclass(frozen=True)
class NoteSignature:
    """One signature line: key name, key ID, and the signature bytes after the key ID."""

    name: str
    key_id: bytes
    signature: bytes

    @property
    def label(self) -> str:
        return f"{self.name}+{self.key_id.hex()}"

    def to_line(self) -> str:
        """``— <name> <base64(key ID || signature)>`` and its newline."""
        return f"{SIGNATURE_PREFIX}{self.name} {_b64(self.key_id + self.signature)}\n"


@dataclass(frozen=True)
class Note:
    """A parsed signed note; nothing in it is trusted until :func:`verify_note` says so."""

    text: str
    signatures: tuple[NoteSignature, ...]

    def to_text(self) -> str:
        """The signed note: text, blank line, signature lines."""
        return self.text + "\n" + "".join(s.to_line() for s in self.signatures)


@dataclass(frozen=True)
class VerifiedSignature:
    """A signature that verified; ``timestamp`` is set for cosignature/v1 only."""

    verifier: Verifier
    timestamp: int | None


@dataclass(frozen=True)
class VerifiedNote:
    """The note text and the signatures from known keys, every one of which verified."""

    text: str
    signatures: tuple[VerifiedSignature, ...]


def parse_note(data: str | bytes) -> Note:
    """Split a signed note into its text and signature lines (signed-note, "Format")."""
    if isinstance(data, bytes):
        try:
            data = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise NoteMalformed(f"expected UTF-8, found {exc.reason}", reason="encoding") from None
    _check_characters(data)
    split = data.rfind("\n\n")  # the text ends at the last empty line of the note
    if split < 0:
        message = "expected text, a blank line and signature lines; found no blank line"
        raise NoteMalformed(message, reason="format")
    return Note(data[: split + 1], parse_signature_lines(data[split + 2 :]))


def parse_signature_lines(block: str) -> tuple[NoteSignature, ...]:
    """Parse one or more signature lines, each ending in a newline."""
    if not block.endswith("\n"):
        message = f"expected signature lines ending in a newline, found {block[-24:]!r}"
        raise NoteMalformed(message, reason="format")
    _check_characters(block)
    lines = block[:-1].split("\n")
    _check_count(len(lines))
    return tuple(_parse_signature_line(line) for line in lines)


def sign_note(text: str, signers: Sequence[Signer]) -> str:
    """Sign ``text`` with each Ed25519 signer and return the whole signed note."""
    _check_text(text)
    if not signers:
        raise NoteKeyInvalid("expected at least one signer, found none", reason="signer")
    for signer in signers:
        _check_type(signer.public, SignatureType.ED25519)
    lines = [NoteSignature(s.name, s.key_id, s.sign(text.encode())) for s in signers]
    return Note(text, _merge((), lines)).to_text()


def add_signatures(data: str, lines: str) -> str:
    """Add signature lines to a signed note; a new line replaces one from the same key."""
    note = parse_note(data)
    return Note(note.text, _merge(note.signatures, parse_signature_lines(lines))).to_text()


def cosignature_message(text: str, timestamp: int) -> bytes:
    """What cosignature/v1 signs: ``cosignature/v1``, ``time <timestamp>``, then the text."""
    return f"{COSIGNATURE_HEADER}time {timestamp}\n{text}".encode()


def cosign(text: str, signer: Signer, timestamp: int) -> str:
    """A witness's cosignature/v1 line over checkpoint ``text`` at POSIX ``timestamp``."""
    _check_text(text)
    _check_type(signer.public, SignatureType.COSIGNATURE_V1)
    if isinstance(timestamp, bool) or not 0 <= timestamp <= MAX_TIMESTAMP:
        message = f"expected a timestamp from 0 to 2^63 - 1, found {timestamp!r}"
        raise NoteMalformed(message, reason="timestamp")
    signature = signer.sign(cosignature_message(text, timestamp))
    raw = timestamp.to_bytes(TIMESTAMP_SIZE, "big") + signature
    return NoteSignature(signer.name, signer.key_id, raw).to_line()


def verify_cosignature(text: str, lines: str, verifier: Verifier) -> int:
    """Check the cosignature/v1 from ``verifier`` among ``lines``; return its timestamp."""
    _check_type(verifier, SignatureType.COSIGNATURE_V1)
    _check_text(text)
    (verified,) = verify_note(text + "\n" + lines, [], required=[verifier]).signatures
    assert verified.timestamp is not None  # a cosignature/v1 key always yields one
    return verified.timestamp


def verify_note(
    data: str | bytes, verifiers: Sequence[Verifier], *, required: Sequence[Verifier] = ()
) -> VerifiedNote:
    """Verify every signature from a known key and ignore unknown keys (signed-note).

    Rejects the note if a known key's signature fails, if no known key signed it, or if
    a key in ``required`` (known too) did not sign it.
    """
    known: dict[tuple[str, bytes], Verifier] = {}
    for verifier in [*verifiers, *required]:
        if known.setdefault((verifier.name, verifier.key_id), verifier) != verifier:
            raise NoteKeyInvalid(f"expected one key {verifier.label}, found two", reason="key")
    note = parse_note(data)
    verified: dict[tuple[str, bytes], VerifiedSignature] = {}
    for signature in note.signatures:
        key = (signature.name, signature.key_id)
        if key not in known:
            continue  # "Verifiers MUST ignore signatures from unknown keys"
        if key in verified:
            message = f"expected one signature from {signature.label}, found several"
            raise NoteMalformed(message, reason="duplicate")
        timestamp = _verify_signature(note.text, signature, known[key])
        verified[key] = VerifiedSignature(known[key], timestamp)
    if not verified or any((v.name, v.key_id) not in verified for v in required):
        wanted = f"each of {_labels(required)}" if required else f"one of {_labels(known.values())}"
        message = f"expected a signature from {wanted}, found {_labels(note.signatures)}"
        raise NoteUnverified(message, reason="key")
    return VerifiedNote(note.text, tuple(verified.values()))


def _verify_signature(text: str, signature: NoteSignature, verifier: Verifier) -> int | None:
    if verifier.signature_type is SignatureType.ED25519:
        _check_ed25519(verifier, text.encode(), signature.signature)
        return None
    # tlog-cosignature: timestamped_signature = u64 timestamp || Ed25519 signature.
    stamp, ed25519 = signature.signature[:TIMESTAMP_SIZE], signature.signature[TIMESTAMP_SIZE:]
    timestamp = int.from_bytes(stamp, "big")
    if len(stamp) != TIMESTAMP_SIZE or timestamp > MAX_TIMESTAMP:
        message = f"expected a timestamp below 2^63 from {verifier.label}, found {stamp.hex()}"
        raise NoteSignatureInvalid(message, reason="timestamp")
    _check_ed25519(verifier, cosignature_message(text, timestamp), ed25519)
    return timestamp


def _check_ed25519(verifier: Verifier, signed: bytes, signature: bytes) -> None:
    public_key = Ed25519PublicKey.from_public_bytes(verifier.public_key)
    try:
        public_key.verify(signature, signed)  # also rejects a signature of the wrong length
    except InvalidSignature:
        found = f"{len(signature)} bytes that do not verify"
        message = f"expected a valid signature from {verifier.label}, found {found}"
        raise NoteSignatureInvalid(message, reason="signature") from None


def _parse_signature_line(line: str) -> NoteSignature:
    if not line.startswith(SIGNATURE_PREFIX):
        message = f"expected a line starting with em dash and space, found {line[:12]!r}"
        raise NoteMalformed(message, reason="signature_line")
    name, _, encoded = line[len(SIGNATURE_PREFIX) :].partition(" ")
    _check_key_name(name, NoteMalformed)
    raw = _unb64(encoded)
    if raw is None or len(raw) < 5:
        found = f"{len(raw)} bytes" if raw else repr(encoded[:24])
        message = f"expected base64 of a key ID and a signature after {name}, found {found}"
        raise NoteMalformed(message, reason="signature_line")
    return NoteSignature(name, raw[:4], raw[4:])


def _merge(old: Sequence[NoteSignature], new: Sequence[NoteSignature]) -> tuple[NoteSignature, ...]:
    keys = {(s.name, s.key_id) for s in new}
    if len(keys) != len(new):
        raise NoteMalformed("expected one new signature per key, found more", reason="duplicate")
    merged = (*(s for s in old if (s.name, s.key_id) not in keys), *new)
    _check_count(len(merged))
    return merged


def _check_count(count: int) -> None:
    if count > MAX_SIGNATURES:
        message = f"expected at most {MAX_SIGNATURES} signatures, found {count}"
        raise NoteMalformed(message, reason="too_many_signatures")


def _check_text(text: str) -> None:
    if not text.endswith("\n"):
        message = f"expected text ending in a newline, found {text[-24:]!r}"
        raise NoteMalformed(message, reason="text")
    _check_characters(text)


def _check_characters(data: str) -> None:
    # signed-note: valid UTF-8 with no ASCII control characters other than newline.
    control = _CONTROL.search(data)
    if control:
        found = f"U+{ord(control.group()):04X} at offset {control.start()}"
        message = f"expected no control character but newline, found {found}"
        raise NoteMalformed(message, reason="control_character")
    # A str is valid UTF-8 unless it holds lone surrogates, which encoding replaces.
    if not data.isascii() and data.encode(errors="replace").decode() != data:
        raise NoteMalformed("expected UTF-8, found a lone surrogate", reason="encoding")


def _check_key_name(name: str, error: type[NoteError]) -> None:
    # signed-note: "Key names MUST be non-empty and MUST NOT contain any Unicode spaces or plus"
    if not name or "+" in name or any(ch.isspace() or ch < " " for ch in name):
        message = f"expected a non-empty key name without spaces or '+', found {name!r}"
        raise error(message, reason="key_name")


def _check_size(what: str, key: bytes) -> None:
    if len(key) != KEY_SIZE:
        message = f"expected a {KEY_SIZE}-byte {what}, found {len(key)} bytes"
        raise NoteKeyInvalid(message, reason="key")


def _check_type(verifier: Verifier, expected: SignatureType) -> None:
    if verifier.signature_type is not expected:
        message = f"expected a {expected.name} key, found {verifier.signature_type.name}"
        raise NoteKeyInvalid(message, reason="key_type")


def _signature_type(value: int) -> SignatureType:
    if value not in list(SignatureType):
        message = f"expected signature type 0x01 or 0x04, found 0x{value:02x}"
        raise NoteKeyInvalid(message, reason="key_type")
    return SignatureType(value)


def _key_material(encoded: str) -> tuple[SignatureType, bytes]:
    raw = _unb64(encoded)
    if raw is None or len(raw) != 1 + KEY_SIZE:
        found = "text that is not base64" if raw is None else f"{len(raw)} bytes"
        message = f"expected base64 of a type byte and a {KEY_SIZE}-byte key, found {found}"
        raise NoteKeyInvalid(message, reason="key")
    return _signature_type(raw[0]), raw[1:]


def _check_key_id(id_hex: str, verifier: Verifier) -> None:
    if not _KEY_ID_HEX.fullmatch(id_hex) or bytes.fromhex(id_hex) != verifier.key_id:
        message = f"expected key ID {verifier.key_id.hex()} (name and key), found {id_hex!r}"
        raise NoteKeyInvalid(message, reason="key_id")


def _labels(keys: Iterable[Verifier | NoteSignature]) -> str:
    return ", ".join(key.label for key in keys) or "none"


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


def _unb64(text: str) -> bytes | None:
    """Standard base64 (RFC 4648 §4) in its one canonical spelling, or None."""
    try:
        raw = base64.b64decode(text, validate=True)
    except ValueError:  # binascii.Error, or text that is not ASCII
        return None
    return raw if raw and _b64(raw) == text else None
