"""`python -m trace labels`: files a producer prints, and a 10,000-label serialised run."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

import pypdfium2
from sqlalchemy import select

from tests.conftest import ROOT, Cast
from tests.integration.helpers import WHEN, registration
from tests.labels.reading import decode, pdf_pages
from trace.config import Settings
from trace.domain.statement import parse_statement
from trace.labels.runs import serials_digest
from trace.store.append import append_unsigned, new_batch_id
from trace.store.database import read_transaction
from trace.store.ledger import Ledger
from trace.store.records import load_record
from trace.store.tables import label_runs, label_serials

CODE_PIECE = re.compile(r"[0-9A-HJKMNP-TV-Z]{7,14}")


# The child's own peak resident memory, written when it exits: VmHWM counts the address space
# the program runs in, made new by exec. (ru_maxrss would also count the pages the child
# shared with this process between fork and exec, which in a long test run is most of them.)
_PEAK = (
    "import atexit, os, runpy, sys\n"
    "def peak():\n"
    "    status = open('/proc/self/status').read()\n"
    "    kib = int(status.split('VmHWM:')[1].split()[0])\n"
    "    open(os.environ['TRACE_TEST_PEAK'], 'w').write(str(kib * 1024))\n"
    "atexit.register(peak)\n"
    "sys.argv = ['trace', *sys.argv[1:]]\n"
    "runpy.run_module('trace', run_name='__main__')\n"
)


def labels(settings: Settings, *args: str) -> tuple[subprocess.CompletedProcess[str], int]:
    """Run `labels` in a child process; return it and its peak resident memory in bytes."""
    with tempfile.NamedTemporaryFile(suffix=".peak") as peak:
        env = {
            **os.environ,
            "TRACE_DATABASE_URL": settings.database_url,
            "TRACE_DATA_DIR": str(settings.data_dir),
            "TRACE_PUBLIC_URL": settings.public_url,
            "TRACE_MASTER_KEY": settings.master_key_b64 or "",
            "TRACE_TEST_PEAK": peak.name,
        }
        done = subprocess.run(
            [sys.executable, "-c", _PEAK, "labels", *args],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        written = Path(peak.name).read_text()
    return done, int(written) if written else 0


async def _batch(ledger: Ledger, cast: Cast) -> str:
    appended = await append_unsigned(
        ledger,
        cast.producer.actor,
        batch=new_batch_id(),
        kind="registered",
        occurred_at=WHEN,
        body=registration("Hộp quà Bưởi Diễn", "HQ-2026-11", gtin="8936047000128"),
    )
    return appended.batch.code


async def test_lot_labels_to_a_file_name_the_file_in_both_languages(
    settings: Settings, ledger: Ledger, cast: Cast, tmp_path: Path
) -> None:
    code = await _batch(ledger, cast)
    out = tmp_path / "nhan.pdf"
    done, _ = labels(
        settings, code, "--template", "roll-40x25-300", "--count", "3", "--out", str(out)
    )
    assert done.returncode == 0, done.stderr
    assert "Đã ghi 3 nhãn" in done.stdout and "Wrote 3 labels" in done.stdout
    pages = pdf_pages(out.read_bytes(), 300)
    assert [decode(page) for page in pages] == [
        ["https://TRACE.EXAMPLE.VN/01/08936047000128/10/HQ-2026-11"]
    ] * 3
    refused, _ = labels(
        settings,
        code,
        "--template",
        "roll-40x25-300",
        "--format",
        "png",
        "--count",
        "2",
        "--out",
        str(tmp_path / "x.png"),
    )
    assert refused.returncode == 2 and "PDF" in refused.stderr
    assert not (tmp_path / "x.png").exists()


async def test_a_word_wider_than_a_line_is_refused_in_both_languages_and_no_file_written(
    settings: Settings, ledger: Ledger, cast: Cast, tmp_path: Path
) -> None:
    word = "Diễn" * 12
    appended = await append_unsigned(
        ledger,
        cast.producer.actor,
        batch=new_batch_id(),
        kind="registered",
        occurred_at=WHEN,
        body=registration(f"Bưởi {word}", "BD-2026-12"),
    )
    out = tmp_path / "nhan.pdf"
    refused, _ = labels(
        settings, appended.batch.code, "--template", "roll-40x25-203", "--out", str(out)
    )
    assert refused.returncode == 2, refused.stderr
    vietnamese, english = refused.stderr.strip().splitlines()
    assert vietnamese.startswith("Lỗi:") and "không bao giờ ngắt giữa một từ" in vietnamese
    assert english.startswith("Error:") and "never breaks a word" in english
    for line in (vietnamese, english):
        assert word in line and "roll-40x25-203" in line and "a4-3x8" in line
    assert not out.exists()


async def test_ten_thousand_serialised_labels_stream_with_bounded_memory(
    settings: Settings, ledger: Ledger, cast: Cast, tmp_path: Path
) -> None:
    code = await _batch(ledger, cast)
    small, small_peak = labels(
        settings, code, "--serialised", "--count", "1000", "--out", str(tmp_path / "small.pdf")
    )
    assert small.returncode == 0, small.stderr
    out = tmp_path / "run.pdf"
    big, big_peak = labels(settings, code, "--serialised", "--count", "10000", "--out", str(out))
    assert big.returncode == 0, big.stderr
    # Streaming: ten times the labels, about the same memory (the file is not built in memory).
    assert big_peak < 300 * 2**20
    assert big_peak - small_peak < 25 * 2**20, (small_peak, big_peak)

    run_id = re.findall(r"[0-9a-f]{8}-[0-9a-f-]{27}", big.stdout)[-1]
    async with read_transaction(ledger.engine) as conn:
        run = (await conn.execute(select(label_runs).where(label_runs.c.id == run_id))).one()
        stored = (
            (
                await conn.execute(
                    select(label_serials.c.serial)
                    .where(label_serials.c.run_id == run_id)
                    .order_by(label_serials.c.ordinal)
                )
            )
            .scalars()
            .all()
        )
        record = await load_record(conn, run.position)
    body = parse_statement(record.statement).body
    assert body["count"] == 10_000 and body["run"] == run_id
    assert body["serials_sha256"] == serials_digest(list(stored)).hex()

    document = pypdfium2.PdfDocument(str(out))
    printed = []
    try:
        assert len(document) == 10_000
        for index in range(len(document)):
            lines = document[index].get_textpage().get_text_range().split("\r\n")
            # The code under the symbol comes first: one line, or two halves when wide.
            pieces = [line for line in lines[:2] if CODE_PIECE.fullmatch(line)]
            printed.append("".join(pieces))
        sample = [
            document[i].render(scale=203 / 72, grayscale=True).to_pil() for i in (0, 4321, 9999)
        ]
    finally:
        document.close()
    # Every label carries its own serial, each registered in the run, in print order.
    assert printed == list(stored)
    assert len(set(printed)) == 10_000
    for index, image in zip((0, 4321, 9999), sample, strict=True):
        assert decode(image) == [
            f"https://TRACE.EXAMPLE.VN/01/08936047000128/10/HQ-2026-11/21/{stored[index]}"
        ]
