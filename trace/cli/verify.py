"""`verify`: audit every chain and signature; exit non-zero naming batch and record."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from trace.cli.admin import with_ledger
from trace.cli.progress import ProgressBar
from trace.domain.chain import FAULT_WORDS
from trace.store.audit import AuditReport, audit
from trace.translation import say


def register(commands: Any) -> None:
    """Add the command of this module."""
    p = commands.add_parser("verify", help="kiểm tra toàn vẹn sổ cái / audit the whole ledger")
    p.add_argument(
        "--checkpoint",
        action="append",
        default=[],
        type=Path,
        help="checkpoint đã công bố (file) / a published signed checkpoint (file); repeatable",
    )
    p.set_defaults(run=run_verify)


def run_verify(args: argparse.Namespace) -> int:
    """Audit the ledger; print a summary in both languages; 1 on any failure."""
    bar = ProgressBar("verify")
    published = [path.read_text(encoding="utf-8") for path in args.checkpoint]
    report: AuditReport = with_ledger(lambda ledger: audit(ledger, bar, published))
    return print_report(report)


def print_report(report: AuditReport) -> int:
    """Print the audit's summary (stdout) or its faults (stderr) in both languages; 1 on a fault."""
    if report.intact:
        for lang in ("vi", "en"):
            print(
                say(
                    "Intact: {batches} batches, {records} records, every signature and chain "
                    "valid.",
                    lang,
                    batches=report.batches,
                    records=report.records,
                )
            )
        return 0
    for lang in ("vi", "en"):
        print(
            say(
                "FOUND {count} integrity failures in {batches} batches:",
                lang,
                count=len(report.faults),
                batches=report.batches,
            ),
            file=sys.stderr,
        )
        for fault in report.faults:
            words = say(FAULT_WORDS[fault.fault], lang, seq=fault.seq, position=fault.position)
            if fault.batch == "-":
                line = say(
                    "log, position {position}: {message}",
                    lang,
                    position=fault.position,
                    message=words,
                )
                print(f"  {line}", file=sys.stderr)
                continue
            print(
                "  "
                + say(
                    "batch {batch} ({code}), record {seq}, position {position}: {message}",
                    lang,
                    batch=fault.batch,
                    code=report.codes.get(fault.batch, "-"),
                    seq=fault.seq,
                    position="-" if fault.position is None else fault.position,
                    message=words,
                ),
                file=sys.stderr,
            )
    return 1
