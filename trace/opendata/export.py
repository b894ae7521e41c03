"""Cutting a package: every dataset of log positions ``[start, end)`` into a folder, signed.

``end`` defaults to the size of a checkpoint signed for the occasion (the whole log);
any ``end`` up to the log's size is accepted, and the package names the smallest
signed checkpoint at least that large. A full export is ``start = 0``; a portal taking
daily deltas asks for ``[yesterday's end, today's end)``, and the deltas' rows add up
to the full export's (see :mod:`trace.opendata.datasets` for the rule per dataset).

Each dataset is read once, through a server-side cursor, and written to its CSV and
JSON Lines files together; events are read a second time for the EPCIS document.
Files are hashed while written. Then come the terms, the data package, the DCAT
catalogue, and last the manifest and its signature (:mod:`trace.opendata.manifest`).
"""

from __future__ import annotations

import base64
import shutil
from collections.abc import Callable, Mapping, Sequence
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import UTC, timedelta
from pathlib import Path
from typing import Any

import msgspec
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from trace.domain.errors import DomainError
from trace.domain.master_data import Named, vocabulary_list
from trace.domain.merkle import complete_subtrees
from trace.domain.note import verifier_key_string
from trace.domain.places import VIETNAM
from trace.domain.texts import N_
from trace.epcis.index import EpcisIndex
from trace.opendata.batch_rows import batch_rows
from trace.opendata.cells import EPOCH, utc_text
from trace.opendata.datasets import DATASETS, Dataset
from trace.opendata.epcis import FOOTER, SEPARATOR, encode, epcis_events, header
from trace.opendata.manifest import (
    FORMAT,
    MANIFEST,
    SIGNATURE,
    CutCheckpoint,
    FileEntry,
    Manifest,
    Proof,
    Range,
    encode_manifest,
    sign_manifest,
)
from trace.opendata.metadata import Description, data_package, dcat_catalog
from trace.opendata.parties import load_parties
from trace.opendata.reading import Context, Coverage, Cut
from trace.opendata.rows import (
    RowSource,
    agency_rows,
    certification_rows,
    checkpoint_rows,
    event_rows,
    inspection_rows,
    recall_rows,
)
from trace.opendata.terms import Citation, terms_document
from trace.opendata.writers import MEDIA_TYPES, WRITERS, CsvWriter, JsonLinesWriter, Sink
from trace.store.checkpoints import log_signer, sign_checkpoint
from trace.store.database import read_transaction
from trace.store.ledger import Ledger
from trace.store.master_data import products_of_batches
from trace.store.projections import catch_up
from trace.store.tables import agencies, checkpoints
from trace.store.tree import load_subtrees, prove_consistency, root_at

ROWS: Mapping[str, RowSource] = {
    "batches": batch_rows,
    "events": event_rows,
    "inspections": inspection_rows,
    "certifications": certification_rows,
    "recalls": recall_rows,
    "agencies": agency_rows,
    "checkpoints": checkpoint_rows,
}
FORMATS = ("csv", "jsonl")
EPCIS_FILE = "events.epcis.jsonld"
TERMS_FILE = "terms.md"
PACKAGE_FILE = "datapackage.json"
CATALOG_FILE = "catalog.jsonld"
# How often (in rows) a pass reports its progress.
_REPORT = 5000

Progress = Callable[[str, int, int], None]


class ExportRangeInvalid(DomainError):
    """The positions asked for are not a range of the log."""

    code = "export_range"
    words = N_(
        "[{start}, {end}) is not a range of the log of {size} records: choose "
        "0 ≤ --from ≤ --to ≤ {size}."
    )


class ExportTargetNotEmpty(DomainError):
    """The folder to write the package into already holds files."""

    code = "export_target"
    words = N_("The folder {path} already holds files: choose a new or empty folder.")


@dataclass(frozen=True, slots=True)
class Site:
    """Where the ledger lives: its log's origin, its public URL, where packages are published."""

    origin: str
    public_url: str
    base_url: str

    @classmethod
    def of(cls, origin: str, public_url: str, base_url: str | None = None) -> Site:
        base = base_url or f"{public_url}/open-data/"
        return cls(origin, public_url, base if base.endswith("/") else base + "/")


async def write_dataset(
    conn: AsyncConnection,
    dataset: Dataset,
    cut: Cut,
    context: Context,
    writers: Sequence[CsvWriter | JsonLinesWriter],
    progress: Callable[[int], None] | None = None,
) -> int:
    """Stream the rows of ``dataset`` in ``cut`` to every writer; return how many rows."""
    count = 0
    async for row in ROWS[dataset.name](conn, cut, context):
        for writer in writers:
            writer.write(row)
        count += 1
        if progress is not None and count % _REPORT == 0:
            progress(row[0] if dataset.name == "events" else count)
    for writer in writers:
        writer.flush()
    return count


async def _checkpoint_at(conn: AsyncConnection, end: int) -> Any:
    query = select(checkpoints).where(checkpoints.c.size >= end).order_by(checkpoints.c.size)
    return (await conn.execute(query.limit(1))).first()


async def _proof(conn: AsyncConnection, start: int, end: int, size: int) -> Proof:
    parts = complete_subtrees(0, start)
    tree = await load_subtrees(conn, parts)
    left = [tree.subtree_hash(a, b) for a, b in parts]
    consistency = await prove_consistency(conn, end, size) if 0 < end < size else []
    return Proof(
        left_edge=[_b64(h) for h in left],
        root=_b64(await root_at(conn, end)),
        consistency=[_b64(h) for h in consistency],
    )


async def _publisher(conn: AsyncConnection, origin: str) -> str:
    """The ledger's operator publishes its data; the log's origin names it if there is none."""
    query = (
        select(agencies.c.name)
        .where(agencies.c.kind == "operator", agencies.c.household.is_(False))
        .order_by(agencies.c.created_at_us)
        .limit(1)
    )
    name = (await conn.execute(query)).scalar()
    return str(name) if name else origin


def _b64(digest: bytes) -> str:
    return base64.b64encode(digest).decode("ascii")


def _entry(name: str, sink: Sink) -> FileEntry:
    extension = name.rsplit(".", 1)[-1]
    return FileEntry(name, sink.size, sink.sha256.hexdigest(), MEDIA_TYPES[extension])


def _write_bytes(out: Path, name: str, data: bytes) -> FileEntry:
    with (out / name).open("wb") as raw:
        sink = Sink(raw)
        sink.write(data)
    return _entry(name, sink)


def _prepare(out: Path) -> bool:
    """Make ``out`` ready to write into; True if it had to be made."""
    if out.exists() and any(out.iterdir()):
        raise ExportTargetNotEmpty(f"{out} is not empty", path=str(out))
    made = not out.exists()
    out.mkdir(parents=True, exist_ok=True)
    return made


def _clear(out: Path, made: bool) -> None:
    """Leave no half-written package behind: a later export may use the folder again."""
    if made:
        shutil.rmtree(out, ignore_errors=True)
        return
    for path in out.iterdir():
        path.unlink(missing_ok=True)


async def cut_package(
    ledger: Ledger,
    out: Path,
    site: Site,
    *,
    start: int = 0,
    end: int | None = None,
    progress: Progress | None = None,
) -> Manifest:
    """Write the package of log positions ``[start, end)`` into ``out`` (new or empty).

    On failure ``out`` is left as it was found.
    """
    newest = await sign_checkpoint(ledger, site.origin)
    end = newest.checkpoint.size if end is None else end
    if not 0 <= start <= end <= newest.checkpoint.size:
        raise ExportRangeInvalid(
            f"[{start}, {end}) is not a range of the log of {newest.checkpoint.size} records",
            start=start,
            end=end,
            size=newest.checkpoint.size,
        )
    made = _prepare(out)
    try:
        return await _write_package(ledger, out, site, Cut(start, end), progress)
    except BaseException:
        _clear(out, made)
        raise


async def _write_package(
    ledger: Ledger, out: Path, site: Site, cut: Cut, progress: Progress | None
) -> Manifest:
    start, end = cut.start, cut.end
    # The events dataset and document name each record's event as the EPCIS interface does.
    await catch_up(ledger, EpcisIndex(site.public_url), until=end)
    async with read_transaction(ledger.engine) as conn:
        row = await _checkpoint_at(conn, end)
        proof = await _proof(conn, start, end, row.size)
        parties = await load_parties(conn)
        publisher = await _publisher(conn, site.origin)
    context = Context(parties, site.public_url, Coverage())
    files: list[FileEntry] = []
    for dataset in DATASETS.values():
        files.extend(await _write_formats(ledger, out, dataset, cut, context, progress))
    files.append(await _write_epcis(ledger, out, cut, context, row.signed_at_us, progress))
    signed_at = EPOCH + timedelta(microseconds=row.signed_at_us)
    citation = Citation(
        publisher, row.size, (signed_at.astimezone(UTC) + VIETNAM).date().isoformat(), site.base_url
    )
    files.append(_write_bytes(out, TERMS_FILE, terms_document(citation).encode()))
    coverage = context.coverage
    about = Description(
        publisher,
        site.public_url,
        site.base_url,
        signed_at,
        coverage.first,
        coverage.last,
        frozenset(coverage.provinces),
        citation,
    )
    described = list(files)
    files.append(_write_bytes(out, PACKAGE_FILE, _json(data_package(described, about))))
    files.append(_write_bytes(out, CATALOG_FILE, _json(dcat_catalog(described, about))))
    signer = await log_signer(ledger, site.origin)
    manifest = Manifest(
        format=FORMAT,
        origin=signer.name,
        log_key=verifier_key_string(signer.public),
        range=Range(start, end),
        checkpoint=CutCheckpoint(
            # The signing time is not in the signed note; a changed one is given as empty.
            row.size,
            _b64(bytes(row.root_hash)),
            utc_text(row.signed_at_us) or "",
            row.note,
        ),
        proof=proof,
        files=files,
    )
    data = encode_manifest(manifest)
    (out / MANIFEST).write_bytes(data)
    (out / SIGNATURE).write_text(sign_manifest(manifest, data, signer), encoding="utf-8")
    return manifest


def _json(document: object) -> bytes:
    return msgspec.json.format(msgspec.json.encode(document), indent=2) + b"\n"


async def _write_formats(
    ledger: Ledger,
    out: Path,
    dataset: Dataset,
    cut: Cut,
    context: Context,
    progress: Progress | None,
) -> list[FileEntry]:
    names = [f"{dataset.name}.{fmt}" for fmt in FORMATS]
    total = cut.end - cut.start

    def report(done: int) -> None:
        if progress is not None and dataset.name == "events":
            progress(dataset.name, done - cut.start, total)

    with ExitStack() as files:
        sinks = [Sink(files.enter_context((out / name).open("wb"))) for name in names]
        writers = [WRITERS[fmt](sink, dataset) for fmt, sink in zip(FORMATS, sinks, strict=True)]
        async with read_transaction(ledger.engine) as conn:
            await write_dataset(conn, dataset, cut, context, writers, report)
    if progress is not None:
        progress(dataset.name, total, total)
    return [_entry(name, sink) for name, sink in zip(names, sinks, strict=True)]


async def _write_epcis(
    ledger: Ledger,
    out: Path,
    cut: Cut,
    context: Context,
    created_us: int,
    progress: Progress | None,
) -> FileEntry:
    total = cut.end - cut.start
    with (out / EPCIS_FILE).open("wb") as raw:
        sink = Sink(raw)
        buffer = bytearray()
        first = True
        async with (
            read_transaction(ledger.engine) as conn,
            read_transaction(ledger.engine) as lookups,
        ):
            products = await products_of_batches(lookups, cut.end)
            vocabulary = vocabulary_list(Named((), tuple(products)), {}, products)
            sink.write(header(utc_text(created_us) or "", vocabulary))
            async for position, event in epcis_events(conn, lookups, cut, context):
                if not first:
                    buffer += SEPARATOR
                first = False
                buffer += encode(event)
                if len(buffer) >= 1 << 16:
                    sink.write(bytes(buffer))
                    buffer.clear()
                    if progress is not None:
                        progress("events.epcis", position - cut.start, total)
        sink.write(bytes(buffer) + FOOTER)
    if progress is not None:
        progress("events.epcis", total, total)
    return _entry(EPCIS_FILE, sink)
