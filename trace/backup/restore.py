"""`restore`: a backup brought back into an empty database and data directory, then proven.

Nothing is written until everything that can be checked beforehand holds: the passphrase
opens the master key, the manifest passes its MAC, every file has the SHA-256 the manifest
lists, the backup is of the configured kind of database, and the database and the data
directory hold nothing that the restore would overwrite. Then the database is put back,
the master key written (owner-only), the schema brought up to date (a backup made by an
older version is migrated), and the ledger proven (trace/backup/proof.py).
"""

from __future__ import annotations

import asyncio
import base64
from pathlib import Path

import msgspec

from trace.backup.errors import (
    BackupTampered,
    BackupUnreadable,
    TargetNotEmpty,
    WrongDatabase,
)
from trace.backup.make import DATABASE_FILES, database_kind
from trace.backup.manifest import Manifest, check_files, read_manifest
from trace.backup.proof import Proof, prove
from trace.backup.sealing import KEYS_FILE, SealedMasterKey, open_master_key
from trace.backup.state import database_holdings
from trace.backup.tools import copy_sqlite, pg_restore, sqlite_path
from trace.config import Settings
from trace.store.custody import MASTER_KEY_FILE, master_key_bytes, write_master_key
from trace.store.migrate import migrate


def open_backup(source: Path, passphrase: str) -> tuple[Manifest, bytes]:
    """The manifest and master key of the backup in ``source``, once every check passes."""
    manifest, raw = read_manifest(source)
    try:
        keys = (source / KEYS_FILE).read_bytes()
    except OSError as exc:
        raise BackupUnreadable(str(exc), path=source, reason=f"no {KEYS_FILE}") from exc
    try:
        sealed = msgspec.json.decode(keys, type=SealedMasterKey)
    except msgspec.DecodeError as exc:
        raise BackupTampered(str(exc), file=KEYS_FILE, reason=str(exc)) from exc
    master_key = open_master_key(sealed, passphrase, raw)
    check_files(source, manifest)
    return manifest, master_key


def restore_backup(settings: Settings, source: Path, passphrase: str) -> tuple[Manifest, Proof]:
    """Restore the backup in ``source`` into the ledger ``settings`` names, and prove it.

    Blocking (migrations run their own event loop): call it with no loop running.
    """
    manifest, master_key = open_backup(source, passphrase)
    kind = database_kind(settings)
    if manifest.database != kind:
        raise WrongDatabase("other database", found=manifest.database, expected=kind)
    write_key = _master_key_wanted(settings, master_key)
    found = asyncio.run(database_holdings(settings.database_url))
    if found:
        raise TargetNotEmpty(
            "database not empty", target="TRACE_DATABASE_URL", found=", ".join(found[:5])
        )
    copy = source / DATABASE_FILES[kind]
    if kind == "sqlite":
        copy_sqlite(copy, sqlite_path(settings.database_url))
    else:
        pg_restore(settings.database_url, copy)
    if write_key:
        write_master_key(settings.data_dir, master_key)
    migrate(settings.database_url)
    root = base64.b64decode(manifest.log.root)
    return manifest, asyncio.run(prove(settings, manifest.log.size, root))


def _master_key_wanted(settings: Settings, master_key: bytes) -> bool:
    """True when the master key must be written; refuse to replace another one."""
    if settings.master_key_b64:
        target = "TRACE_MASTER_KEY"
    elif (settings.data_dir / MASTER_KEY_FILE).exists():
        target = str(settings.data_dir / MASTER_KEY_FILE)
    else:
        return True
    if master_key_bytes(settings.data_dir, settings.master_key_b64) != master_key:
        raise TargetNotEmpty("another master key", reason="master_key", target=target)
    return False
