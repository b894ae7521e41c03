"""Why a backup, a restore or a copy is refused: each says what went wrong and what to do."""

from __future__ import annotations

from types import MappingProxyType

from trace.domain.errors import DomainError
from trace.domain.texts import N_


class WrongPassphrase(DomainError):
    """The passphrase does not open the backup's sealed master key."""

    code = "wrong_passphrase"
    words = N_(
        "The passphrase does not open the master key of this backup (or {file} was changed). "
        "Give the passphrase the backup was made with, in TRACE_BACKUP_PASSPHRASE or at the "
        "prompt. Nothing was restored."
    )


class BackupTampered(DomainError):
    """A file of the backup is not the one the backup made: changed, cut short or missing."""

    code = "backup_tampered"
    words = N_(
        "The backup's file {file} is not the one the backup wrote ({reason}): it was changed "
        "or damaged after the backup. Use another copy of this backup. Nothing was restored."
    )


class BackupUnreadable(DomainError):
    """The directory is not a backup this version can read."""

    code = "backup_unreadable"
    words = N_(
        "{path} is not a backup of this service: {reason}. Name the directory that "
        "`python -m trace backup --out` wrote."
    )


class TargetNotEmpty(DomainError):
    """A restore or a copy would write over a ledger, a key, or a backup that exists."""

    code = "target_not_empty"
    words = N_(
        "{target} already holds data ({found}); nothing was written. Restore or copy only "
        "into an empty database, or choose another place."
    )
    variants = MappingProxyType(
        {
            "master_key": N_(
                "{target} already holds another master key; nothing was written. Restore into "
                "an empty data directory (TRACE_DATA_DIR), or move that key away if it is no "
                "longer needed."
            ),
            "backup_dir": N_(
                "{target} is not empty; nothing was written. Give `--out` a new or empty "
                "directory: a backup never writes over another."
            ),
        }
    )


class NoSuchDatabase(DomainError):
    """The PostgreSQL database to restore or copy into has not been created."""

    code = "no_such_database"
    words = N_(
        "The PostgreSQL server has no database named {database}; nothing was written. Create "
        "it empty first (createdb {database}, or CREATE DATABASE {database};), then run the "
        "command again."
    )


class NoPassphrase(DomainError):
    """No passphrase was given, or one too short to protect the master key."""

    code = "no_passphrase"
    words = N_(
        "A backup's master key is sealed under a passphrase: set TRACE_BACKUP_PASSPHRASE, or "
        "run the command at a terminal to be asked for it."
    )
    variants = MappingProxyType(
        {
            "short": N_(
                "The passphrase has {length} characters; use at least {minimum}, for instance "
                "five or six random words."
            ),
            "mismatch": N_("The two passphrases typed differ; nothing was written. Try again."),
        }
    )


class WrongDatabase(DomainError):
    """The backup is of one kind of database and the target is of another."""

    code = "wrong_database"
    words = N_(
        "This backup is of a {found} database and TRACE_DATABASE_URL names a {expected} one. "
        "Restore it into a {found} database; to move a ledger from SQLite to PostgreSQL, "
        "restore it into SQLite, then run `python -m trace copy-to URL`."
    )


class ToolFailed(DomainError):
    """pg_dump or pg_restore is missing or failed."""

    code = "tool_failed"
    words = N_(
        "{tool} failed: {problem}. Nothing was restored over existing data; fix the cause and "
        "run the command again."
    )
    variants = MappingProxyType(
        {
            "missing": N_(
                "{tool} is not installed. PostgreSQL backups need pg_dump and pg_restore of the "
                "server's major version or newer (Debian: apt-get install postgresql-client)."
            ),
        }
    )


class CopyDiffers(DomainError):
    """A restored or copied ledger is not the one that was backed up or copied."""

    code = "copy_differs"
    words = N_("The copy is not the same ledger. Do not use it; keep the original.")
    variants = MappingProxyType(
        {
            "log": N_(
                "The copy's log has {found_size} records and root {found_root}, not {size} and "
                "{root}: it is not the same ledger. Do not use it; keep the original."
            ),
            "key": N_(
                "Key {key} of the copy does not open under the master key. Do not use the copy; "
                "keep the original."
            ),
            "photo": N_(
                "Photo {photo} of the copy does not hash to its name. Do not use the copy; keep "
                "the original."
            ),
            "moved": N_(
                "The source received {count} records while it was copied, and the copy does "
                "not have them. Stop the service, drop and create the target database again, "
                "and run copy-to again."
            ),
            "rows": N_(
                "Table {table} of the copy has {found} rows, not {count}. Do not use the copy; "
                "keep the original."
            ),
        }
    )


class NothingToBackUp(DomainError):
    """The configured SQLite database does not exist."""

    code = "nothing_to_back_up"
    words = N_(
        "There is no database at {path}: check TRACE_DATABASE_URL and TRACE_DATA_DIR, which "
        "must be the ones the service runs with."
    )
