"""`python -m trace export` and `verify-export` as a data user runs them, and the CSV in a
real spreadsheet program (LibreOffice Calc, headless).

LibreOffice comes from Debian's ``libreoffice-calc`` (scripts/setup-system installs it);
without it the spreadsheet test skips, unless ``TRACE_REQUIRE_TOOLS=1`` (CI).
"""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests.conftest import ROOT, Cast
from tests.integration.test_opendata import ORIGIN, seed
from trace.config import Settings
from trace.store.ledger import Ledger

REQUIRE_TOOLS = os.environ.get("TRACE_REQUIRE_TOOLS") == "1"
# LibreOffice's CSV filter options: comma, double quote, UTF-8 (its code 76), from line 1.
CSV_UTF8 = "CSV:44,34,76,1"


def trace(settings: Settings, *args: str) -> subprocess.CompletedProcess[str]:
    """Run the CLI against the test's database."""
    env = {
        **os.environ,
        "TRACE_DATABASE_URL": settings.database_url,
        "TRACE_DATA_DIR": str(settings.data_dir),
        "TRACE_PUBLIC_URL": settings.public_url,
        "TRACE_MASTER_KEY": settings.master_key_b64 or "",
        "TRACE_LOG_ORIGIN": ORIGIN,
    }
    return subprocess.run(
        [sys.executable, "-m", "trace", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )


async def test_an_export_verifies_and_any_changed_byte_is_named(
    ledger: Ledger, cast: Cast, settings: Settings, tmp_path: Path
) -> None:
    seeded = await seed(ledger, cast)
    out = tmp_path / "open-data"
    done = trace(settings, "export", "--out", str(out))
    assert done.returncode == 0, done.stderr
    assert f"các bản ghi ở vị trí 0 đến trước {seeded.size}" in done.stdout
    assert f"the records at positions 0 up to {seeded.size}" in done.stdout
    key = json.loads((out / "manifest.json").read_text(encoding="utf-8"))["log_key"]
    checked = trace(settings, "verify-export", str(out), "--log-key", key)
    assert checked.returncode == 0, checked.stderr
    assert "The package is intact" in checked.stdout and "--log-key" not in checked.stdout
    unpinned = trace(settings, "verify-export", str(out))
    assert unpinned.returncode == 0 and "run again with --log-key" in unpinned.stdout
    for name in ("events.csv", "batches.jsonl", "events.epcis.jsonld", "datapackage.json",
                 "catalog.jsonld", "terms.md", "manifest.json", "manifest.sig"):  # fmt: skip
        path = out / name
        original = path.read_bytes()
        changed = bytearray(original)
        changed[len(changed) // 2] ^= 0x20
        path.write_bytes(bytes(changed))
        failed = trace(settings, "verify-export", str(out), "--log-key", key)
        path.write_bytes(original)
        assert failed.returncode == 1, name
        assert f"  {name}: " in failed.stderr and "NOT intact" in failed.stderr, failed.stderr


async def test_deltas_are_cut_by_position_and_a_bad_range_is_explained(
    ledger: Ledger, cast: Cast, settings: Settings, tmp_path: Path
) -> None:
    seeded = await seed(ledger, cast)
    done = trace(settings, "export", "--out", str(tmp_path / "d"), "--from", "5", "--to", "12")
    assert done.returncode == 0, done.stderr
    checked = trace(settings, "verify-export", str(tmp_path / "d"))
    assert checked.returncode == 0 and "7 records (positions 5 up to 12)" in checked.stdout
    beyond = str(seeded.size + 1)
    refused = trace(settings, "export", "--out", str(tmp_path / "x"), "--to", beyond)
    assert refused.returncode == 2
    assert f"is not a range of the log of {seeded.size} records" in refused.stderr
    again = trace(settings, "export", "--out", str(tmp_path / "d"))
    assert again.returncode == 2 and "already holds files" in again.stderr


def _cells(workbook: Path) -> list[str]:
    """The text cells of an .xlsx, in the order the spreadsheet stores them."""
    with zipfile.ZipFile(workbook) as archive:
        shared = archive.read("xl/sharedStrings.xml").decode("utf-8")
    return [html.unescape(text) for text in re.findall(r"<t[^>]*>([^<]*)</t>", shared)]


def soffice() -> str:
    found = shutil.which("soffice") or shutil.which("libreoffice")
    if found is None:
        message = "LibreOffice is not installed (apt-get install libreoffice-calc)"
        if REQUIRE_TOOLS:
            pytest.fail(message + " (TRACE_REQUIRE_TOOLS=1)")
        pytest.skip(message)
    return found


def convert(program: str, csv: Path, into: Path, profile: Path) -> None:
    """Open ``csv`` in LibreOffice Calc, told only that it is UTF-8, and save it as .xlsx."""
    done = subprocess.run(
        [
            program,
            f"-env:UserInstallation=file://{profile}",
            "--headless",
            f"--infilter={CSV_UTF8}",
            "--convert-to",
            "xlsx",
            "--outdir",
            str(into),
            str(csv),
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=180,
    )
    assert done.returncode == 0 and (into / f"{csv.stem}.xlsx").is_file(), done.stderr


@pytest.mark.parametrize("backend", ["sqlite"])
async def test_a_spreadsheet_program_reads_the_csv_with_its_vietnamese_text(
    ledger: Ledger, cast: Cast, settings: Settings, tmp_path: Path
) -> None:
    program = soffice()
    await seed(ledger, cast)
    out = tmp_path / "open-data"
    assert trace(settings, "export", "--out", str(out)).returncode == 0
    converted = tmp_path / "xlsx"
    for name in ("batches.csv", "events.csv"):
        convert(program, out / name, converted, tmp_path / "profile")
    batches = _cells(converted / "batches.xlsx")
    # The byte-order mark is not part of the first header; the Vietnamese text is intact.
    assert batches[0] == "batch_id"
    for text in ("Rau muống", "Bưởi Diễn", "Phường Phú Thượng", "Hà Nội", "Cà Mau", "Gạo ST25"):
        assert text in batches, text
    events = _cells(converted / "events.xlsx")
    assert events[0] == "position" and "Siêu thị" in events
    # A JSON cell with commas and quotes stays one cell.
    assert any(cell.startswith('{"laboratory":"Trung tâm Kiểm nghiệm Hà Nội"') for cell in events)
