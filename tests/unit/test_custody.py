"""Custodial keys sealed under the master key, and the master key's file."""

from __future__ import annotations

import base64
import os
import secrets
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from trace.store.custody import MasterKey, MasterKeyError, load_master_key


def test_sealed_key_opens_only_for_its_own_key_id() -> None:
    master = MasterKey(secrets.token_bytes(32))
    secret = Ed25519PrivateKey.generate()
    sealed = master.seal("0123456789abcdef", secret)
    assert secret.private_bytes_raw() not in sealed
    opened = master.unseal("0123456789abcdef", sealed)
    assert opened.private_bytes_raw() == secret.private_bytes_raw()
    with pytest.raises(MasterKeyError):
        master.unseal("fedcba9876543210", sealed)
    with pytest.raises(MasterKeyError):
        MasterKey(secrets.token_bytes(32)).unseal("0123456789abcdef", sealed)


def test_master_key_file_is_made_owner_only_and_reused(tmp_path: Path) -> None:
    first = load_master_key(tmp_path, None, create=True)
    path = tmp_path / "master.key"
    assert path.stat().st_mode & 0o777 == 0o600
    sealed = first.seal("0123456789abcdef", Ed25519PrivateKey.generate())
    load_master_key(tmp_path, None, create=False).unseal("0123456789abcdef", sealed)


def test_master_key_readable_by_others_is_refused(tmp_path: Path) -> None:
    load_master_key(tmp_path, None, create=True)
    os.chmod(tmp_path / "master.key", 0o644)
    with pytest.raises(MasterKeyError, match="chmod 600"):
        load_master_key(tmp_path, None, create=False)


def test_master_key_from_the_environment_wins_and_must_be_32_bytes(tmp_path: Path) -> None:
    raw = secrets.token_bytes(32)
    key = load_master_key(tmp_path, base64.b64encode(raw).decode(), create=False)
    assert not (tmp_path / "master.key").exists()
    key.seal("0123456789abcdef", Ed25519PrivateKey.generate())
    with pytest.raises(MasterKeyError):
        load_master_key(tmp_path, base64.b64encode(b"short").decode(), create=False)
    with pytest.raises(MasterKeyError):
        load_master_key(tmp_path / "missing", None, create=False)
