"""``manifest.json``: what a backup holds, when and from what it was made, and how to check it.

The manifest names each file with its SHA-256 and size, the version of this software and
the schema revision (Alembic) of the database, and the log's size and root at the moment
of the copy: the restored ledger must have that same root. Its bytes are MACed with a key
stretched from the passphrase (trace/backup/sealing.py), so a manifest edited to match an
edited file is found too.
"""

from __future__ import annotations

import hashlib
import tomllib
from functools import cache
from pathlib import Path

import msgspec

from trace.backup.errors import BackupTampered, BackupUnreadable

MANIFEST_FILE = "manifest.json"
FORMAT = "trace-backup/1"
_PYPROJECT = Path(__file__).resolve().parents[2] / "pyproject.toml"
_CHUNK = 1024 * 1024


class BackupFile(msgspec.Struct, kw_only=True):
    """One file of the backup."""

    sha256: str
    bytes: int


class LogState(msgspec.Struct, kw_only=True):
    """The log at the moment of the copy: its size and its root (base64, as in checkpoints)."""

    size: int
    root: str


class Manifest(msgspec.Struct, kw_only=True):
    """What the backup holds; see the module's docstring."""

    format: str
    made_at: str
    trace_version: str
    schema_revision: str
    database: str
    log: LogState
    photos: int
    custodial_keys: int
    files: dict[str, BackupFile]


@cache
def trace_version() -> str:
    """This software's version, as pyproject.toml gives it."""
    with _PYPROJECT.open("rb") as source:
        return str(tomllib.load(source)["project"]["version"])


def describe_file(path: Path) -> BackupFile:
    """The SHA-256 and size of the file at ``path``."""
    digest = hashlib.sha256()
    with path.open("rb") as source:
        while chunk := source.read(_CHUNK):
            digest.update(chunk)
    return BackupFile(sha256=digest.hexdigest(), bytes=path.stat().st_size)


def encode_manifest(manifest: Manifest) -> bytes:
    """The manifest's bytes as written (sorted keys, indented for a person to read)."""
    return msgspec.json.format(msgspec.json.encode(manifest, order="sorted"), indent=2) + b"\n"


def read_manifest(directory: Path) -> tuple[Manifest, bytes]:
    """The manifest of the backup in ``directory`` and its bytes (for the MAC)."""
    path = directory / MANIFEST_FILE
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise BackupUnreadable(str(exc), path=directory, reason=f"no {MANIFEST_FILE}") from exc
    try:
        manifest = msgspec.json.decode(raw, type=Manifest)
    except msgspec.DecodeError as exc:
        raise BackupTampered(str(exc), file=MANIFEST_FILE, reason=str(exc)) from exc
    if manifest.format != FORMAT:
        raise BackupUnreadable(
            manifest.format, path=directory, reason=f"format {manifest.format}, not {FORMAT}"
        )
    return manifest, raw


def check_files(directory: Path, manifest: Manifest) -> None:
    """Raise :class:`BackupTampered` naming the first file whose bytes are not as listed."""
    for name, listed in sorted(manifest.files.items()):
        path = directory / name
        if Path(name).name != name:
            raise BackupTampered(name, file=name, reason="not a plain file name")
        if not path.is_file():
            raise BackupTampered(name, file=name, reason="missing")
        found = describe_file(path)
        if found.bytes != listed.bytes:
            raise BackupTampered(name, file=name, reason=f"{found.bytes} bytes, not {listed.bytes}")
        if found.sha256 != listed.sha256:
            raise BackupTampered(name, file=name, reason="SHA-256 differs")
