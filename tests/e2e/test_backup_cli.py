"""`backup` and `restore` as an operator runs them: the passphrase from the environment, words
in both languages, refusals with exit status 2 that leave nothing behind."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from contextlib import closing
from pathlib import Path

import pytest

from tests.conftest import ROOT, Cast
from trace.config import Settings

PASSPHRASE = "ruộng lúa ST25 Sóc Trăng"


def run(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """The CLI with no terminal on standard input (as from cron), our variables added."""
    base = {k: v for k, v in os.environ.items() if not k.startswith("TRACE_")}
    return subprocess.run(
        [sys.executable, "-m", "trace", *args],
        cwd=ROOT,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        check=False,
        env={**base, **env},
        timeout=300,
    )


@pytest.mark.parametrize("backend", ["sqlite"])
async def test_a_backup_restores_from_the_command_line_and_refuses_in_both_languages(
    settings: Settings, cast: Cast, tmp_path: Path
) -> None:
    source = {
        "TRACE_DATABASE_URL": settings.database_url,
        "TRACE_DATA_DIR": str(settings.data_dir),
        "TRACE_MASTER_KEY": settings.master_key_b64 or "",
    }
    asked = run("backup", "--out", str(tmp_path / "backup"), env=source)
    assert asked.returncode == 2
    assert "TRACE_BACKUP_PASSPHRASE" in asked.stderr
    assert "Lỗi" in asked.stderr and "Error" in asked.stderr
    assert not (tmp_path / "backup").exists()

    written = run(
        "backup",
        "--out",
        str(tmp_path / "backup"),
        env={**source, "TRACE_BACKUP_PASSPHRASE": PASSPHRASE},
    )
    assert written.returncode == 0, written.stderr
    assert "Backup written" in written.stdout and "Đã sao lưu" in written.stdout
    keys = json.loads((tmp_path / "backup" / "keys.json").read_text())
    assert (keys["kdf"], keys["n"], keys["r"], keys["p"]) == ("scrypt", 2**17, 8, 1)

    target = {"TRACE_DATA_DIR": str(tmp_path / "target")}
    wrong = run(
        "restore",
        str(tmp_path / "backup"),
        env={**target, "TRACE_BACKUP_PASSPHRASE": "ruộng lúa ST24 Sóc Trăng"},
    )
    assert wrong.returncode == 2
    assert "passphrase does not open" in wrong.stderr and "cụm mật khẩu" in wrong.stderr
    assert not (tmp_path / "target").exists()

    restored = run(
        "restore", str(tmp_path / "backup"), env={**target, "TRACE_BACKUP_PASSPHRASE": PASSPHRASE}
    )
    assert restored.returncode == 0, restored.stderr
    assert "Intact: 0 batches" in restored.stdout and "Toàn vẹn" in restored.stdout
    with closing(sqlite3.connect(tmp_path / "target" / "trace.sqlite3")) as restored_db:
        names = restored_db.execute("SELECT id, name FROM agencies").fetchall()
    assert (cast.producer.id, "HTX Bưởi Diễn") in names and len(names) == 7
