"""The master key sealed under a passphrase, and the manifest bound to the same passphrase.

scrypt (RFC 7914) stretches the passphrase into 64 bytes: the first 32 are an AES-256-GCM
key (NIST SP 800-38D) that seals the master key, the last 32 an HMAC-SHA256 key (RFC 2104)
over the manifest's bytes. So a wrong passphrase is told apart from a changed manifest:
the first fails to open the key, the second opens it and then fails the manifest's MAC.

The scrypt cost is N = 2**17, r = 8, p = 1: 128 MiB of memory and about half a second on
one core of a small server for each guess, the parameters OWASP's password storage advice
gives for scrypt. They are written beside the sealed key, so a later version may raise them
and still open older backups; a file asking for more than :data:`MAX_MEMORY` is refused
rather than allowed to exhaust memory.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import unicodedata
from dataclasses import dataclass

import msgspec
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from trace.backup.errors import BackupTampered, BackupUnreadable, WrongPassphrase

KEYS_FILE = "keys.json"


@dataclass(frozen=True, slots=True)
class ScryptCost:
    """scrypt's CPU/memory cost ``n`` (a power of 2), block size ``r`` and parallelism ``p``."""

    n: int
    r: int
    p: int


RECOMMENDED = ScryptCost(n=2**17, r=8, p=1)
MAX_MEMORY = 1024 * 1024 * 1024
_SALT_BYTES = 16
_NONCE_BYTES = 12
# Bound into the sealed key, so that the ciphertext means one thing only.
_ASSOCIATED = b"trace/backup/v1 master key"


class SealedMasterKey(msgspec.Struct, kw_only=True):
    """``keys.json``: how the passphrase was stretched, the sealed key, the manifest's MAC."""

    kdf: str
    n: int
    r: int
    p: int
    salt: str
    nonce: str
    sealed: str
    manifest_hmac: str


def _stretch(passphrase: str, salt: bytes, n: int, r: int, p: int) -> tuple[bytes, bytes]:
    # The same words typed on two devices may arrive as NFC or NFD (Vietnamese diacritics).
    secret = unicodedata.normalize("NFC", passphrase).encode("utf-8")
    derived = Scrypt(salt=salt, length=64, n=n, r=r, p=p).derive(secret)
    return derived[:32], derived[32:]


def seal_master_key(
    master_key: bytes, passphrase: str, manifest: bytes, cost: ScryptCost = RECOMMENDED
) -> SealedMasterKey:
    """Seal ``master_key`` under ``passphrase`` and MAC the ``manifest`` bytes with it.

    ``cost`` is :data:`RECOMMENDED` but in tests, which spend less on each guess to stay fast.
    """
    salt = secrets.token_bytes(_SALT_BYTES)
    nonce = secrets.token_bytes(_NONCE_BYTES)
    sealing, signing = _stretch(passphrase, salt, cost.n, cost.r, cost.p)
    return SealedMasterKey(
        kdf="scrypt",
        n=cost.n,
        r=cost.r,
        p=cost.p,
        salt=base64.b64encode(salt).decode(),
        nonce=base64.b64encode(nonce).decode(),
        sealed=base64.b64encode(AESGCM(sealing).encrypt(nonce, master_key, _ASSOCIATED)).decode(),
        manifest_hmac=hmac.new(signing, manifest, hashlib.sha256).hexdigest(),
    )


def open_master_key(sealed: SealedMasterKey, passphrase: str, manifest: bytes) -> bytes:
    """The master key, once ``passphrase`` opens it and the ``manifest`` bytes pass their MAC.

    Raises :class:`WrongPassphrase` or :class:`BackupTampered` (naming the manifest).
    """
    if sealed.kdf != "scrypt" or min(sealed.n, sealed.r, sealed.p) < 1:
        raise BackupUnreadable(f"unknown kdf {sealed.kdf}", path=KEYS_FILE, reason=sealed.kdf)
    if 128 * sealed.n * sealed.r * sealed.p > MAX_MEMORY or sealed.n & (sealed.n - 1):
        raise BackupUnreadable(
            "scrypt parameters out of bounds", path=KEYS_FILE, reason="scrypt parameters"
        )
    try:
        salt = base64.b64decode(sealed.salt, validate=True)
        nonce = base64.b64decode(sealed.nonce, validate=True)
        ciphertext = base64.b64decode(sealed.sealed, validate=True)
    except ValueError as exc:
        raise BackupTampered("keys.json is not base64", file=KEYS_FILE, reason="base64") from exc
    sealing, signing = _stretch(passphrase, salt, sealed.n, sealed.r, sealed.p)
    try:
        master_key = AESGCM(sealing).decrypt(nonce, ciphertext, _ASSOCIATED)
    except (InvalidTag, ValueError) as exc:
        raise WrongPassphrase("the passphrase does not open the key", file=KEYS_FILE) from exc
    expected = hmac.new(signing, manifest, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, sealed.manifest_hmac):
        raise BackupTampered(
            "the manifest fails its MAC", file="manifest.json", reason="HMAC-SHA256"
        )
    return master_key
