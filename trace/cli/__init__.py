"""The command line: `python -m trace COMMAND ...` (help in Vietnamese and English)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from trace.cli import (
    admin,
    backup,
    bundle,
    export,
    inspect,
    labels,
    log,
    producer,
    recalls,
    serve,
    sign,
    tiles,
    verify,
    witness,
)
from trace.domain.errors import DomainError
from trace.explain import failure_text
from trace.store.custody import MasterKeyError
from trace.store.database import UnsupportedDatabase
from trace.translation import both, say


def build_parser() -> argparse.ArgumentParser:
    """The parser for every command."""
    parser = argparse.ArgumentParser(
        prog="python -m trace",
        description=both("trace: a signed traceability ledger for agri-food and OCOP products."),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    serve.register(commands)
    admin.register(commands)
    verify.register(commands)
    sign.register(commands)
    log.register(commands)
    tiles.register(commands)
    witness.register(commands)
    bundle.register(commands)
    producer.register(commands)
    labels.register(commands)
    inspect.register(commands)
    recalls.register(commands)
    export.register(commands)
    backup.register(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; return its exit status."""
    args = build_parser().parse_args(argv)
    try:
        status: int = args.run(args)
        return status
    except DomainError as exc:
        for lang in ("vi", "en"):
            text = failure_text(exc, lang)
            print(say("Error: {message}", lang, message=text), file=sys.stderr)
        return 2
    except (MasterKeyError, UnsupportedDatabase) as exc:
        print(f"Lỗi / Error: {exc}", file=sys.stderr)
        return 2
