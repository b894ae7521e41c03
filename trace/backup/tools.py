"""The copies each database makes of itself: SQLite's online backup, PostgreSQL's pg_dump.

SQLite's backup API (https://www.sqlite.org/backup.html) copies the database page by page
under one read lock, so the copy is one consistent state even while the service writes;
the copy is switched from WAL to a single file. PostgreSQL's copy is ``pg_dump`` in its
custom format, restored by ``pg_restore``; the caller may hand pg_dump a snapshot it has
exported, so that what it reads beside the dump is of the same instant.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
from contextlib import closing
from pathlib import Path

from sqlalchemy.engine import make_url

from trace.backup.errors import ToolFailed


def sqlite_path(url: str) -> Path:
    """The file an ``sqlite:///…`` URL names."""
    database = make_url(url).database
    if not database or database == ":memory:":
        raise ToolFailed("no file", tool="sqlite3", problem=f"{url} names no database file")
    return Path(database)


def copy_sqlite(source: Path, target: Path) -> None:
    """Copy the SQLite database at ``source`` onto ``target`` with the online backup API."""
    target.parent.mkdir(parents=True, exist_ok=True)
    with (
        closing(sqlite3.connect(source, timeout=30)) as reading,
        closing(sqlite3.connect(target, timeout=30)) as writing,
    ):
        reading.backup(writing)
        writing.execute("PRAGMA journal_mode=DELETE")


def libpq(url: str) -> tuple[str, dict[str, str]]:
    """A libpq URL for the PostgreSQL ``url``, and an environment carrying its password.

    The password goes in PGPASSWORD, not on the command line, where others could read it.
    """
    parsed = make_url(url)
    dsn = parsed.set(drivername="postgresql", password=None).render_as_string(hide_password=False)
    env = dict(os.environ)
    if parsed.password:
        env["PGPASSWORD"] = str(parsed.password)
    return dsn, env


def run_tool(tool: str, arguments: list[str], url: str) -> None:
    """Run ``tool`` (pg_dump, pg_restore) against the database at ``url``."""
    dsn, env = libpq(url)
    try:
        done = subprocess.run(  # noqa: S603 - a fixed tool, arguments as a list, no shell
            [tool, *arguments, f"--dbname={dsn}"],
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
    except FileNotFoundError as exc:
        raise ToolFailed(str(exc), tool=tool, reason="missing") from exc
    if done.returncode != 0:
        problem = done.stderr.strip().splitlines()[-1] if done.stderr.strip() else "no message"
        raise ToolFailed(problem, tool=tool, problem=problem)


def pg_dump(url: str, target: Path, snapshot: str | None = None) -> None:
    """Dump the PostgreSQL database at ``url`` into ``target`` (custom format)."""
    arguments = ["--format=custom", "--no-owner", "--no-privileges", f"--file={target}"]
    if snapshot is not None:
        arguments.append(f"--snapshot={snapshot}")
    run_tool("pg_dump", arguments, url)


def pg_restore(url: str, source: Path) -> None:
    """Restore ``source`` into the PostgreSQL database at ``url``, in one transaction.

    ``--clean --if-exists`` drops the tables of an empty, migrated ledger first (the caller
    has checked that it is empty), so that a database made by ``migrate`` can be used too.
    """
    arguments = [
        "--clean",
        "--if-exists",
        "--no-owner",
        "--no-privileges",
        "--single-transaction",
        "--exit-on-error",
        str(source),
    ]
    run_tool("pg_restore", arguments, url)
