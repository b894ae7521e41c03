"""`backup`: the database, the photos and the keys in one directory, with its manifest.

The photos live in the database (``photos``, by SHA-256), as do the custodial keys and the
log's key, sealed under the master key; the master key itself is the one thing kept beside
the database (``TRACE_DATA_DIR/master.key`` or ``TRACE_MASTER_KEY``), and the backup holds
it sealed under a passphrase (trace/backup/sealing.py). So a backup is three files:

- ``database.sqlite3`` or ``database.pgdump``: the consistent copy (trace/backup/tools.py);
- ``keys.json``: the sealed master key and the manifest's MAC;
- ``manifest.json``: what, when, from which version and schema, each file's SHA-256, and
  the log's size and root at the instant of the copy.
"""

from __future__ import annotations

import asyncio
import base64
import os
from datetime import UTC, datetime
from pathlib import Path

import msgspec
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from trace.backup.errors import NoPassphrase, NothingToBackUp, TargetNotEmpty
from trace.backup.manifest import (
    FORMAT,
    MANIFEST_FILE,
    LogState,
    Manifest,
    describe_file,
    encode_manifest,
    trace_version,
)
from trace.backup.sealing import KEYS_FILE, RECOMMENDED, ScryptCost, seal_master_key
from trace.backup.state import LedgerState, ledger_state
from trace.backup.tools import copy_sqlite, pg_dump, sqlite_path
from trace.config import Settings
from trace.store.custody import master_key_bytes
from trace.store.database import async_url, connect

MIN_PASSPHRASE = 12
DATABASE_FILES = {"sqlite": "database.sqlite3", "postgresql": "database.pgdump"}


def database_kind(settings: Settings) -> str:
    """``sqlite`` or ``postgresql``: the name the manifest gives the configured database."""
    return "sqlite" if settings.is_embedded else "postgresql"


def check_passphrase(passphrase: str) -> None:
    """Refuse a passphrase too short to stand against guessing."""
    if len(passphrase) < MIN_PASSPHRASE:
        raise NoPassphrase(
            "short passphrase", reason="short", length=len(passphrase), minimum=MIN_PASSPHRASE
        )


def make_backup(
    settings: Settings, out: Path, passphrase: str, cost: ScryptCost = RECOMMENDED
) -> Manifest:
    """Write a backup of the configured ledger into the new or empty directory ``out``.

    ``cost`` is scrypt's (trace/backup/sealing.py). Blocking: call it with no event loop
    running.
    """
    check_passphrase(passphrase)
    if out.exists() and any(out.iterdir()):
        raise TargetNotEmpty("backup directory not empty", reason="backup_dir", target=out)
    master_key = master_key_bytes(settings.data_dir, settings.master_key_b64)
    kind = database_kind(settings)
    source = sqlite_path(settings.database_url) if kind == "sqlite" else None
    if source is not None and not source.is_file():  # sqlite3 would make an empty one
        raise NothingToBackUp("no database", path=source)
    out.mkdir(parents=True, exist_ok=True)
    os.chmod(out, 0o700)
    copy = out / DATABASE_FILES[kind]
    if source is not None:
        copy_sqlite(source, copy)
        state = asyncio.run(_state_of_copy(copy))
    else:
        state = asyncio.run(_dump_postgres(settings.database_url, copy))
    os.chmod(copy, 0o600)
    manifest = Manifest(
        format=FORMAT,
        made_at=datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
        trace_version=trace_version(),
        schema_revision=state.revision,
        database=kind,
        log=LogState(size=state.size, root=base64.b64encode(state.root).decode()),
        photos=state.photos,
        custodial_keys=state.custodial_keys,
        files={copy.name: describe_file(copy)},
    )
    raw = encode_manifest(manifest)
    sealed = seal_master_key(master_key, passphrase, raw, cost)
    _write_private(out / MANIFEST_FILE, raw)
    _write_private(out / KEYS_FILE, msgspec.json.format(msgspec.json.encode(sealed)) + b"\n")
    return manifest


async def _state_of_copy(copy: Path) -> LedgerState:
    # Read from the copy, without the service's settings: nothing must write to it now.
    engine = create_async_engine(async_url(f"sqlite:///{copy}"))
    try:
        async with engine.connect() as conn:
            return await ledger_state(conn)
    finally:
        await engine.dispose()


async def _dump_postgres(url: str, dump: Path) -> LedgerState:
    """pg_dump reads the snapshot this transaction exports: the state read here is the dump's."""
    engine = connect(url, pool_size=1)
    try:
        async with engine.connect() as conn:
            await conn.execution_options(isolation_level="REPEATABLE READ")
            async with conn.begin():
                await conn.execute(text("SET TRANSACTION READ ONLY"))
                snapshot = (await conn.execute(text("SELECT pg_export_snapshot()"))).scalar_one()
                state = await ledger_state(conn)
                pg_dump(url, dump, snapshot=str(snapshot))
    finally:
        await engine.dispose()
    return state


def _write_private(path: Path, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
