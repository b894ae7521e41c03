"""Backups that restore, and the move from SQLite to PostgreSQL, on both databases.

Each round trip starts from the demo ledger (batches, a transformation, an inspection, a
recall, photos, custodial keys, signed checkpoints) and ends where an operator needs it to:
the same log root, `verify`'s audit intact, every key and photo back, and a new record
signed with a restored custodial key.
"""

from __future__ import annotations

import asyncio
import base64
import dataclasses
import json
import os
import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select

from tests.conftest import Cast, _Postgres
from tests.integration.helpers import WHEN, registration
from trace.api.app import create_app
from trace.backup.copy import copy_ledger, rebuilt_projections
from trace.backup.errors import (
    BackupTampered,
    NoSuchDatabase,
    TargetNotEmpty,
    WrongPassphrase,
)
from trace.backup.make import make_backup
from trace.backup.manifest import Manifest
from trace.backup.restore import restore_backup
from trace.backup.sealing import ScryptCost
from trace.backup.state import LedgerState, ledger_state
from trace.config import Settings
from trace.demo import load_demo
from trace.explain import failure_text
from trace.store.agencies import create_token
from trace.store.audit import audit
from trace.store.checkpoints import sign_checkpoint
from trace.store.database import read_transaction
from trace.store.ledger import Ledger, open_ledger
from trace.store.projections import catch_up
from trace.store.tables import agencies, batch_search_words, metadata, photos

PASSPHRASE = "bưởi diễn chín vàng tháng chín"
# scrypt at 1/8 of the cost backups use (trace/backup/sealing.py), for speed; the CLI test
# (tests/e2e/test_backup_cli.py) runs the full cost.
CHEAP = ScryptCost(n=2**14, r=8, p=1)


def backup(settings: Settings, out: Path) -> Manifest:
    """A backup of the ledger ``settings`` names into ``out`` (blocking)."""
    return make_backup(settings, out, PASSPHRASE, CHEAP)


def restored_settings(settings: Settings, database_url: str, data_dir: Path) -> Settings:
    """The settings of a fresh place to restore into: its own database and data directory."""
    return dataclasses.replace(
        settings, database_url=database_url, data_dir=data_dir, master_key_b64=None
    )


@pytest.fixture
async def demo_ledger(settings: Settings, ledger: Ledger) -> Ledger:
    """The demo, with a checkpoint signed over it."""
    await load_demo(settings)
    await sign_checkpoint(ledger, settings.log_origin)
    return ledger


@pytest.fixture
async def empty_target(
    backend: str, request: pytest.FixtureRequest, tmp_path: Path
) -> AsyncIterator[str]:
    """An empty database of the test's backend to restore into (PostgreSQL's is migrated)."""
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'restored' / 'trace.sqlite3'}"
        return
    missing = [tool for tool in ("pg_dump", "pg_restore") if shutil.which(tool) is None]
    if missing:
        message = f"{' and '.join(missing)} not installed (Debian: postgresql-client)"
        if os.environ.get("TRACE_REQUIRE_TOOLS") == "1":
            pytest.fail(message + " (TRACE_REQUIRE_TOOLS=1)")
        pytest.skip(message)
    server: _Postgres = request.getfixturevalue("postgres")
    url = await server.create()
    try:
        yield url
    finally:
        await server.drop(url)


async def state_of(ledger: Ledger) -> LedgerState:
    async with read_transaction(ledger.engine) as conn:
        return await ledger_state(conn)


async def photo_bytes(ledger: Ledger) -> dict[str, bytes]:
    async with read_transaction(ledger.engine) as conn:
        rows = await conn.execute(select(photos.c.sha256, photos.c.data))
        return {row.sha256: bytes(row.data) for row in rows}


async def register_with_custodial_key(settings: Settings) -> None:
    """Register a batch as one of the demo's producers: the service signs with its key."""
    ledger = open_ledger(settings)
    try:
        async with read_transaction(ledger.engine) as conn:
            producer = (
                await conn.execute(
                    select(agencies.c.id)
                    .where(agencies.c.kind == "producer", agencies.c.household.is_(False))
                    .order_by(agencies.c.name)
                    .limit(1)
                )
            ).scalar_one()
        token = await create_token(ledger, producer, "after the restore")
        app = create_app(settings, ledger=ledger)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            answer = await http.post(
                "/api/v1/batches",
                json={"occurred_at": WHEN, "body": registration(lot="SAU-KHOI-PHUC")},
                headers={"Authorization": f"Bearer {token}"},
            )
        assert answer.status_code == 201, answer.text
    finally:
        await ledger.close()


async def test_a_restored_backup_has_the_same_log_root_every_signature_valid_and_signs_again(
    demo_ledger: Ledger, settings: Settings, empty_target: str, tmp_path: Path
) -> None:
    before = await state_of(demo_ledger)
    pictures = await photo_bytes(demo_ledger)
    assert before.size > 20 and before.photos > 0 and before.custodial_keys > 5

    manifest = await asyncio.to_thread(backup, settings, tmp_path / "backup")
    assert manifest.log.size == before.size
    assert manifest.log.root == base64.b64encode(before.root).decode()
    assert manifest.schema_revision == before.revision and manifest.photos == len(pictures)
    # The master key is in the backup only sealed.
    raw_key = base64.b64decode(settings.master_key_b64 or "")
    for path in (tmp_path / "backup").iterdir():
        assert raw_key not in path.read_bytes() and settings.master_key_b64 not in path.read_text(
            errors="replace"
        )

    target = restored_settings(settings, empty_target, tmp_path / "restored")
    _, proof = await asyncio.to_thread(restore_backup, target, tmp_path / "backup", PASSPHRASE)
    assert proof.report.intact, proof.report.faults
    assert (proof.state.size, proof.state.root) == (before.size, before.root)
    assert (target.data_dir / "master.key").stat().st_mode & 0o777 == 0o600

    restored = open_ledger(target)
    try:
        assert await photo_bytes(restored) == pictures
        await register_with_custodial_key(target)
        report = await audit(restored)
        assert report.intact and report.records == before.size + 1, report.faults
    finally:
        await restored.close()


@pytest.mark.parametrize("backend", ["sqlite"])
async def test_copy_to_postgres_moves_every_row_rebuilds_projections_and_proves_the_copy(
    demo_ledger: Ledger, settings: Settings, postgres: _Postgres, tmp_path: Path
) -> None:
    before = await state_of(demo_ledger)
    # The source's projections brought up to date, to compare with the copy's rebuilt ones.
    for projection in rebuilt_projections(settings):
        await catch_up(demo_ledger, projection)
    target_url = await postgres.create()
    try:
        copied = await asyncio.to_thread(copy_ledger, settings, target_url)
        assert copied.proof.report.intact, copied.proof.report.faults
        assert (copied.proof.state.size, copied.proof.state.root) == (before.size, before.root)
        target = dataclasses.replace(settings, database_url=target_url)
        moved = open_ledger(target)
        try:
            for table in metadata.sorted_tables:
                if table is batch_search_words:
                    continue  # SQLite's index of words; PostgreSQL has a GIN index instead
                async with read_transaction(demo_ledger.engine) as conn:
                    source = (await conn.execute(select(table))).all()
                async with read_transaction(moved.engine) as conn:
                    copy = (await conn.execute(select(table))).all()
                # Copied tables row for row (records byte for byte); projections rebuilt to the
                # same rows.
                assert sorted(map(tuple, copy)) == sorted(map(tuple, source)), table.name
            await register_with_custodial_key(target)
        finally:
            await moved.close()
    finally:
        await postgres.drop(target_url)


@pytest.mark.parametrize("backend", ["sqlite"])
async def test_a_copy_refuses_a_target_that_holds_a_ledger(
    ledger: Ledger, cast: Cast, settings: Settings
) -> None:
    with pytest.raises(TargetNotEmpty) as refused:
        await asyncio.to_thread(copy_ledger, settings, settings.database_url)
    assert "agencies" in str(refused.value.params["found"])


@pytest.mark.parametrize("backend", ["sqlite"])
async def test_a_wrong_passphrase_is_refused_and_nothing_is_written(
    ledger: Ledger, cast: Cast, settings: Settings, tmp_path: Path
) -> None:
    await asyncio.to_thread(backup, settings, tmp_path / "backup")
    target = restored_settings(
        settings, f"sqlite:///{tmp_path / 'restored' / 'trace.sqlite3'}", tmp_path / "restored"
    )
    with pytest.raises(WrongPassphrase):
        await asyncio.to_thread(restore_backup, target, tmp_path / "backup", "bưởi diễn chín xanh")
    assert not (tmp_path / "restored").exists()


@pytest.mark.parametrize("backend", ["sqlite"])
async def test_a_changed_file_of_the_backup_is_named_and_nothing_is_written(
    ledger: Ledger, cast: Cast, settings: Settings, tmp_path: Path
) -> None:
    made = tmp_path / "backup"
    await asyncio.to_thread(backup, settings, made)
    target = restored_settings(
        settings, f"sqlite:///{tmp_path / 'restored' / 'trace.sqlite3'}", tmp_path / "restored"
    )
    database = made / "database.sqlite3"
    data = bytearray(database.read_bytes())
    data[len(data) // 2] ^= 0x01
    database.write_bytes(bytes(data))
    with pytest.raises(BackupTampered) as refused:
        await asyncio.to_thread(restore_backup, target, made, PASSPHRASE)
    assert refused.value.params["file"] == "database.sqlite3"

    # A manifest edited to match the edited file fails its MAC instead.
    manifest = json.loads((made / "manifest.json").read_text())
    manifest["files"]["database.sqlite3"]["sha256"] = "0" * 64
    (made / "manifest.json").write_text(json.dumps(manifest, indent=2, sort_keys=True))
    with pytest.raises(BackupTampered) as refused:
        await asyncio.to_thread(restore_backup, target, made, PASSPHRASE)
    assert refused.value.params["file"] == "manifest.json"
    assert not (tmp_path / "restored").exists()


async def test_a_restore_refuses_a_database_that_holds_a_ledger_and_another_master_key(
    ledger: Ledger, cast: Cast, settings: Settings, tmp_path: Path
) -> None:
    await asyncio.to_thread(backup, settings, tmp_path / "backup")
    async with read_transaction(ledger.engine) as conn:
        count = (await conn.execute(select(func.count()).select_from(agencies))).scalar_one()
    with pytest.raises(TargetNotEmpty) as refused:
        await asyncio.to_thread(restore_backup, settings, tmp_path / "backup", PASSPHRASE)
    assert "agencies" in str(refused.value.params["found"])
    other = dataclasses.replace(settings, master_key_b64=base64.b64encode(b"k" * 32).decode())
    with pytest.raises(TargetNotEmpty) as refused:
        await asyncio.to_thread(restore_backup, other, tmp_path / "backup", PASSPHRASE)
    assert refused.value.params["reason"] == "master_key"
    async with read_transaction(ledger.engine) as conn:
        assert (
            await conn.execute(select(func.count()).select_from(agencies))
        ).scalar_one() == count


@pytest.mark.parametrize("backend", ["postgres"])
async def test_a_restore_or_copy_into_a_database_not_yet_created_says_to_create_it(
    ledger: Ledger, cast: Cast, settings: Settings, tmp_path: Path
) -> None:
    await asyncio.to_thread(backup, settings, tmp_path / "backup")
    missing = settings.database_url.rsplit("/", 1)[0] + "/trace_never_created"
    target = restored_settings(settings, missing, tmp_path / "restored")
    with pytest.raises(NoSuchDatabase) as refused:
        await asyncio.to_thread(restore_backup, target, tmp_path / "backup", PASSPHRASE)
    assert refused.value.params["database"] == "trace_never_created"
    assert not (tmp_path / "restored").exists()
    words = {lang: failure_text(refused.value, lang) for lang in ("vi", "en")}
    assert "createdb trace_never_created" in words["en"] and "has no database" in words["en"]
    assert "createdb trace_never_created" in words["vi"] and "chưa có cơ sở dữ liệu" in words["vi"]

    with pytest.raises(NoSuchDatabase):
        await asyncio.to_thread(copy_ledger, settings, missing)
