"""Custodial keys: agency private keys sealed under the service's master key.

Each private key is sealed with AES-256-GCM (NIST SP 800-38D) under a 256-bit
master key, with a fresh 96-bit nonce and the key id as associated data, so a
sealed key copied onto another key's row does not open. The master key lives in
``TRACE_DATA_DIR/master.key`` with owner-only permissions, or comes from
``TRACE_MASTER_KEY`` (base64) so that it can be kept off the database's disk.
"""

from __future__ import annotations

import base64
import os
import secrets
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

MASTER_KEY_FILE = "master.key"
_NONCE_BYTES = 12


class MasterKeyError(Exception):
    """The master key is missing, unreadable, exposed, or does not open a sealed key."""


class MasterKey:
    """The key that seals custodial private keys; it never leaves this process."""

    def __init__(self, raw: bytes) -> None:
        if len(raw) != 32:
            raise MasterKeyError("the master key must be 32 bytes (base64 of 32 random bytes)")
        self._aead = AESGCM(raw)

    def seal(self, key_id: str, private_key: Ed25519PrivateKey) -> bytes:
        """Encrypt ``private_key``'s raw bytes, bound to ``key_id``."""
        nonce = secrets.token_bytes(_NONCE_BYTES)
        raw = private_key.private_bytes_raw()
        return nonce + self._aead.encrypt(nonce, raw, key_id.encode())

    def unseal(self, key_id: str, sealed: bytes) -> Ed25519PrivateKey:
        """Decrypt a sealed key; raise :class:`MasterKeyError` unless sealed for ``key_id``."""
        nonce, ciphertext = sealed[:_NONCE_BYTES], sealed[_NONCE_BYTES:]
        try:
            raw = self._aead.decrypt(nonce, ciphertext, key_id.encode())
        except InvalidTag as exc:
            raise MasterKeyError(f"sealed key {key_id} does not open with this master key") from exc
        return Ed25519PrivateKey.from_private_bytes(raw)

    def seal_secret(self, name: str, secret: bytes) -> bytes:
        """Encrypt another secret (a webhook's signing secret), bound to ``name``."""
        nonce = secrets.token_bytes(_NONCE_BYTES)
        return nonce + self._aead.encrypt(nonce, secret, name.encode())

    def unseal_secret(self, name: str, sealed: bytes) -> bytes:
        """Decrypt a secret sealed for ``name``; raise :class:`MasterKeyError` otherwise."""
        nonce, ciphertext = sealed[:_NONCE_BYTES], sealed[_NONCE_BYTES:]
        try:
            return self._aead.decrypt(nonce, ciphertext, name.encode())
        except InvalidTag as exc:
            raise MasterKeyError(
                f"sealed secret {name} does not open with this master key"
            ) from exc


def load_master_key(data_dir: Path, from_env: str | None, *, create: bool) -> MasterKey:
    """The master key from the environment, else from the data directory (made if ``create``)."""
    return MasterKey(master_key_bytes(data_dir, from_env, create=create))


def master_key_bytes(data_dir: Path, from_env: str | None, *, create: bool = False) -> bytes:
    """The master key's 32 raw bytes, found as :func:`load_master_key` finds them.

    Only a backup needs them outside :class:`MasterKey`: to seal them under a passphrase.
    """
    if from_env:
        try:
            return base64.b64decode(from_env, validate=True)
        except ValueError as exc:
            raise MasterKeyError("TRACE_MASTER_KEY is not valid base64") from exc
    path = data_dir / MASTER_KEY_FILE
    if not path.exists():
        if not create:
            raise MasterKeyError(f"no master key at {path}; set TRACE_MASTER_KEY or run migrate")
        data_dir.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(base64.b64encode(secrets.token_bytes(32)) + b"\n")
    if path.stat().st_mode & 0o077:
        raise MasterKeyError(f"{path} is readable by others; run: chmod 600 {path}")
    return base64.b64decode(path.read_bytes().strip())


def write_master_key(data_dir: Path, raw: bytes) -> Path:
    """Keep ``raw`` as the master key file of ``data_dir`` (owner-only; never over another)."""
    MasterKey(raw)  # refuses anything but 32 bytes
    data_dir.mkdir(parents=True, exist_ok=True)
    path = data_dir / MASTER_KEY_FILE
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(base64.b64encode(raw) + b"\n")
    return path


def public_bytes(private_key: Ed25519PrivateKey) -> bytes:
    """The raw 32-byte public key of ``private_key``."""
    return private_key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
