"""`export` and `verify-export`: cut an open-data package; check one offline."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from trace.cli.admin import with_ledger
from trace.cli.progress import ProgressBar
from trace.config import load_settings
from trace.domain.texts import N_
from trace.opendata.export import Site, cut_package
from trace.opendata.verify import verify_package
from trace.translation import say

# What each kind of problem of a package means, by its reason (trace/opendata/verify.py).
PROBLEMS = {
    "manifest": N_("the manifest cannot be read or does not match its signature"),
    "log_key": N_("the log's key is not valid"),
    "missing": N_("the file is missing"),
    "signature": N_("the manifest's signature does not verify with the log's key"),
    "sha256": N_("its content has changed (another SHA-256)"),
    "size": N_("its size has changed"),
    "checkpoint": N_("the manifest's checkpoint is not valid"),
    "unlisted": N_("the file is not in the manifest"),
    "records": N_("the rows do not match the log's records"),
}


def register(commands: Any) -> None:
    """Add the commands of this module."""
    p = commands.add_parser(
        "export", help="xuất gói dữ liệu mở / cut an open-data package (CSV, JSON Lines, EPCIS)"
    )
    p.add_argument("--out", required=True, type=Path, help="thư mục mới / a new folder")
    p.add_argument(
        "--from",
        dest="start",
        type=int,
        default=0,
        metavar="POS",
        help="vị trí đầu (gồm) / first log position (included); default 0",
    )
    p.add_argument(
        "--to",
        dest="end",
        type=int,
        metavar="POS",
        help="vị trí cuối (không gồm) / end position (excluded); default: the whole log",
    )
    p.add_argument(
        "--base-url",
        help="nơi công bố các tệp / where the files will be published "
        "(default: TRACE_PUBLIC_URL/open-data/)",
    )
    p.set_defaults(run=run_export)
    p = commands.add_parser(
        "verify-export", help="kiểm tra gói dữ liệu mở ngoại tuyến / check a package offline"
    )
    p.add_argument("folder", type=Path, help="thư mục của gói / the package's folder")
    p.add_argument(
        "--log-key",
        help="khoá công khai của nhật ký / the log's verifier key (name+keyid+base64); "
        "default: the one the package names",
    )
    p.set_defaults(run=run_verify_export)


class _Bars:
    """One progress bar per file being written."""

    def __init__(self) -> None:
        self.bars: dict[str, ProgressBar] = {}

    def __call__(self, name: str, done: int, total: int) -> None:
        bar = self.bars.setdefault(name, ProgressBar(f"export {name}"))
        bar(done, total)


def run_export(args: argparse.Namespace) -> int:
    """Cut the package and say where it is, which positions it holds and its checkpoint."""
    settings = load_settings()
    site = Site.of(settings.log_origin, settings.public_url, args.base_url)
    manifest = with_ledger(
        lambda ledger: cut_package(
            ledger, args.out, site, start=args.start, end=args.end, progress=_Bars()
        )
    )
    for lang in ("vi", "en"):
        print(
            say(
                "Wrote {files} files to {path}: the records at positions {start} up to "
                "{end}, at the log's checkpoint {size}.",
                lang,
                files=len(manifest.files) + 2,
                start=manifest.range.start,
                end=manifest.range.end,
                size=manifest.checkpoint.size,
                path=args.out,
            )
        )
    return 0


def run_verify_export(args: argparse.Namespace) -> int:
    """Check the package; 0 when intact, 1 naming each file that is not."""
    report = verify_package(args.folder, args.log_key)
    if report.intact and report.manifest is not None:
        manifest = report.manifest
        for lang in ("vi", "en"):
            print(
                say(
                    "The package is intact: {files} files match the manifest {origin} signed; "
                    "{events} records (positions {start} up to {end}) match checkpoint {size}.",
                    lang,
                    files=report.files,
                    events=report.events,
                    start=manifest.range.start,
                    end=manifest.range.end,
                    size=manifest.checkpoint.size,
                    origin=manifest.origin,
                )
            )
            if report.key_from_package:
                print(
                    say(
                        "The log's key was taken from the package itself ({key}): "
                        "compare it with the key the publisher shows, or run again with "
                        "--log-key.",
                        lang,
                        key=manifest.log_key,
                    )
                )
        return 0
    for lang in ("vi", "en"):
        print(
            say("The package is NOT intact: {count} problems.", lang, count=len(report.problems)),
            file=sys.stderr,
        )
        for problem in report.problems:
            words = say(PROBLEMS.get(problem.reason, problem.reason), lang, file=problem.file)
            print(f"  {problem.file}: {words} ({problem.detail})", file=sys.stderr)
    return 1
