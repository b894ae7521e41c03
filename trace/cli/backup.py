"""`backup`, `restore` and `copy-to`: the ledger kept safe, brought back, and moved.

The passphrase that seals the master key comes from ``TRACE_BACKUP_PASSPHRASE`` or from a
prompt at a terminal, never from an argument: arguments are visible to every user of the
machine (``ps``) and stay in shell histories.
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys
import textwrap
from pathlib import Path
from typing import Any

from trace.backup.copy import copy_ledger, root_text, shown
from trace.backup.errors import NoPassphrase
from trace.backup.make import make_backup
from trace.backup.restore import restore_backup
from trace.cli.verify import print_report
from trace.config import load_settings
from trace.translation import both, say

PASSPHRASE_VARIABLE = "TRACE_BACKUP_PASSPHRASE"  # noqa: S105 (its name, not its value)


class _EachLanguage(argparse.HelpFormatter):
    """Wraps the Vietnamese and the English description each as a paragraph of its own."""

    def _fill_text(self, text: str, width: int, indent: str) -> str:
        return "\n\n".join(
            textwrap.fill(line, width, initial_indent=indent, subsequent_indent=indent)
            for line in text.splitlines()
        )


def register(commands: Any) -> None:
    """Add the commands of this module."""
    p = commands.add_parser(
        "backup",
        help="sao lưu CSDL, ảnh và khoá / back up the database, photos and keys",
        formatter_class=_EachLanguage,
        description=both(
            "Write a consistent copy of the database (with its photos and sealed keys) and the "
            "master key sealed under a passphrase (TRACE_BACKUP_PASSPHRASE, or asked) into a "
            "new directory, with a manifest."
        ),
    )
    p.add_argument("--out", required=True, type=Path, help="thư mục mới / a new directory")
    p.set_defaults(run=run_backup)
    p = commands.add_parser(
        "restore",
        help="khôi phục bản sao lưu rồi kiểm tra / restore a backup, then verify",
        formatter_class=_EachLanguage,
        description=both(
            "Restore a backup into an empty database and data directory, then check that the "
            "log root is the one of the backup and audit every signature."
        ),
    )
    p.add_argument("backup", type=Path, help="thư mục sao lưu / the backup's directory")
    p.set_defaults(run=run_restore)
    p = commands.add_parser(
        "copy-to",
        help="chuyển sổ cái sang CSDL khác (SQLite → PostgreSQL) / move the ledger (SQLite → "
        "PostgreSQL)",
        formatter_class=_EachLanguage,
        description=both(
            "Copy the ledger into another, empty database (postgresql://…), rebuild its "
            "search and other projections, and prove the copy: the same log root and every "
            "signature valid. Stop the service first."
        ),
    )
    p.add_argument("url", help="postgresql://user@host/database")
    p.set_defaults(run=run_copy_to)


def passphrase(*, confirm: bool) -> str:
    """The backup's passphrase: from the environment, else asked at the terminal."""
    given = os.environ.get(PASSPHRASE_VARIABLE)
    if given:
        return given
    if not sys.stdin.isatty():
        raise NoPassphrase("no passphrase")
    prompt = say("Backup passphrase: ", "vi") + "/ " + say("Backup passphrase: ", "en")
    first = getpass.getpass(prompt)
    if confirm:
        again = say("Type it again: ", "vi") + "/ " + say("Type it again: ", "en")
        if getpass.getpass(again) != first:
            raise NoPassphrase("passphrases differ", reason="mismatch")
    return first


def run_backup(args: argparse.Namespace) -> int:
    """Write the backup and say what it holds."""
    settings = load_settings()
    manifest = make_backup(settings, args.out, passphrase(confirm=True))
    print(
        both(
            "Backup written to {path}: {records} log records (root {root}), {photos} photos, "
            "{keys} custodial keys, schema {revision}.",
            path=args.out,
            records=manifest.log.size,
            root=manifest.log.root,
            photos=manifest.photos,
            keys=manifest.custodial_keys,
            revision=manifest.schema_revision,
        )
    )
    print(
        both(
            "Keep the passphrase apart from the backup: without it the master key, and so "
            "every custodial key, cannot be restored."
        )
    )
    return 0


def run_restore(args: argparse.Namespace) -> int:
    """Restore the backup, prove it, and print the audit as `verify` does."""
    settings = load_settings()
    manifest, proof = restore_backup(settings, args.backup, passphrase(confirm=False))
    print(
        both(
            "Restored the backup made at {made_at}: {records} records with log root {root}, "
            "as at the backup; every custodial key opens and {photos} photos match their names.",
            made_at=manifest.made_at,
            records=proof.state.size,
            root=root_text(proof.state.root),
            photos=proof.state.photos,
        )
    )
    return print_report(proof.report)


def run_copy_to(args: argparse.Namespace) -> int:
    """Copy the ledger to ``args.url``, prove it, and print the audit as `verify` does."""
    settings = load_settings()
    copied = copy_ledger(settings, args.url)
    print(
        both(
            "Copied to {url}: {records} records and {tables} tables row for row, projections "
            "rebuilt; log root {root}, the same as the source's.",
            url=shown(args.url),
            records=copied.proof.state.size,
            tables=len(copied.rows),
            root=root_text(copied.proof.state.root),
        )
    )
    return print_report(copied.proof.report)
