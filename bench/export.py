"""Open-data export (issue 7): events per second to CSV and JSON Lines, and peak memory.

Run from the project root (see bench/README.md)::

    .venv/bin/python bench/export.py --events 1000000 --runs 3

On a throwaway PostgreSQL database (``bench_export_<pid>``, dropped at the end unless
``--keep``; ``--skip-load NAME`` reuses a kept one):

1. **Load.** ``--events`` real records: statements in canonical form, each signed with
   its agency's Ed25519 key, chained per batch with the ledger's record hash, the log's
   Merkle tree built with the append's own code (``trace.domain.compact_range``), all
   COPYed in. Batches go through a realistic life of 13 events (registration, planting,
   two inputs, harvest, processing, packing, inspection, VietGAP certificate, shipment,
   receipt, two sales) by 25 producers (5 of them households), 3 distributors, an
   authority and a certifier. A checkpoint is then signed by the store (which proves
   consistency first), and a sample of batches is audited (signatures, chains).
2. **Reference.** PostgreSQL's own ``COPY (SELECT …) TO STDOUT WITH CSV HEADER`` of the
   same rows (the events dataset's columns, the statement's JSON parsed by ``jsonb``,
   times formatted by ``to_char``), through asyncpg into a file.
   For scale, a second ``COPY`` of just the columns the exporter reads (no JSON work).
3. **Export.** ``trace.opendata.export.write_dataset`` of the ``events`` dataset, to CSV
   and to JSON Lines (and both at once, as ``python -m trace export`` writes them; and to
   CSV for the first tenth of the log only, to show memory does not grow with size), each
   in a child process whose peak resident memory (``ru_maxrss`` from ``os.wait4``, the
   child started from a small intermediate process, since the figure survives ``exec``) is
   reported: the interpreter, the libraries and the export together. Each child also
   reports its CPU time per row, steadier than the rate on a shared machine.
4. **The command.** ``python -m trace export --out DIR`` once: every dataset in both
   formats, the EPCIS document, metadata and the signed manifest; its wall time and peak
   memory; then ``python -m trace verify-export DIR``.

Runs are interleaved (reference, CSV, JSON Lines, both; then again) and the median of
``--runs`` is reported. Each timing covers the query and the writing, not the child's
start-up. A markdown table goes to stdout, progress to stderr.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import hashlib
import json
import os
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
# The standard library has a module named `trace`: our root must come first.
if str(ROOT) not in sys.path[:1]:
    sys.path.insert(0, str(ROOT))

import asyncpg  # type: ignore[import-untyped]  # noqa: E402
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey  # noqa: E402
from harness import DEFAULT_POSTGRES, admin_sql, log, pg_dsn, scratch_database  # noqa: E402

from trace.config import Settings  # noqa: E402
from trace.domain.agency import AgencyKind  # noqa: E402
from trace.domain.compact_range import append_leaf, pack  # noqa: E402
from trace.domain.record import GENESIS_PREV, record_hash  # noqa: E402
from trace.domain.statement import (  # noqa: E402
    Statement,
    encode_statement,
    sign_statement,
    statement_hash,
)
from trace.store.agencies import create_agency  # noqa: E402
from trace.store.audit import verify_batch  # noqa: E402
from trace.store.checkpoints import sign_checkpoint  # noqa: E402
from trace.store.ledger import open_ledger  # noqa: E402
from trace.store.migrate import migrate  # noqa: E402
from trace.store.tables import batches, records  # noqa: E402

ORIGIN = "bench.trace.example/log"
PUBLIC_URL = "https://bench.trace.example"
CHUNK = 50_000
EVENTS_PER_BATCH = 13
AUDITED = 50
BASE_US = 1_767_225_600_000_000  # 2026-01-01T00:00:00Z; one record per millisecond after it
PRODUCTS = ["Gạo ST25", "Bưởi Diễn", "Vải thiều Lục Ngạn", "Chè Tân Cương", "Cà phê Buôn Ma Thuột"]
PROVINCES = [("01", "00091"), ("24", None), ("66", None), ("19", None), ("96", None)]


# --------------------------------------------------------------------------- load


@dataclass
class Party:
    id: str
    key_id: str
    secret: Ed25519PrivateKey


@dataclass
class Cast:
    producers: list[Party]
    distributors: list[Party]
    authority: Party
    certifier: Party


def _gtin(index: int) -> str:
    """A valid GTIN-13 under Vietnam's prefix 893 (GS1 mod-10 check digit)."""
    body = f"893{604700 + index:09d}"[:12]
    total = sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(body))
    return body + str((10 - total % 10) % 10)


async def make_cast(settings: Settings) -> Cast:
    ledger = open_ledger(settings, create_master_key=True)

    async def party(name: str, kind: AgencyKind, **extra: Any) -> Party:
        secret = Ed25519PrivateKey.generate()
        agency, key_id, _ = await create_agency(
            ledger,
            name=name,
            kind=kind,
            external_public_key=secret.public_key().public_bytes_raw(),
            **extra,
        )
        return Party(agency.id, key_id, secret)

    try:
        producers = [
            await party(f"Hợp tác xã Nông nghiệp số {i}", AgencyKind.PRODUCER, province="01")
            for i in range(20)
        ] + [
            await party(
                f"Hộ gia đình {i}",
                AgencyKind.PRODUCER,
                household=True,
                province="01",
                commune="00091",
            )
            for i in range(5)
        ]
        distributors = [
            await party(f"Chuỗi siêu thị {i}", AgencyKind.DISTRIBUTOR) for i in range(3)
        ]
        authority = await party("Chi cục Quản lý chất lượng", AgencyKind.AUTHORITY)
        certifier = await party("Tổ chức chứng nhận VietGAP", AgencyKind.CERTIFIER)
    finally:
        await ledger.close()
    return Cast(producers, distributors, authority, certifier)


def life(index: int, cast: Cast) -> list[tuple[Party, str, dict[str, Any]]]:
    """The 13 events of batch ``index``: who records what."""
    producer = cast.producers[index % len(cast.producers)]
    shop = cast.distributors[index % len(cast.distributors)]
    province, commune = PROVINCES[index % len(PROVINCES)]
    area = f"VUON-{index % 97:02d}"
    kg = {"value": "1250.5", "unit": "KGM"}
    registered: dict[str, Any] = {
        "product": PRODUCTS[index % len(PRODUCTS)],
        "lot": f"L{index:09d}",
        "origin": {"province": province, **({"commune": commune} if commune else {})},
        "quantity": kg,
        "category": "Nông sản",
        "production_date": "2026-03-01",
    }
    if index % 2 == 0:
        registered["gtin"] = _gtin(index % 1000)
    return [
        (producer, "registered", registered),
        (producer, "planted", {"crop": "Lúa", "area": area, "variety": "ST25"}),
        (
            producer,
            "input_applied",
            {
                "input_kind": "pesticide",
                "product": "Ridomil Gold 68WG",
                "active_ingredient": "Metalaxyl-M",
                "dose": {"value": "2.5", "unit": "GRM", "per": "LTR"},
                "applied_to": area,
                "pre_harvest_interval_days": 7,
            },
        ),
        (
            producer,
            "input_applied",
            {
                "input_kind": "fertiliser",
                "product": "NPK 16-16-8",
                "dose": {"value": "300", "unit": "KGM", "per": "HAR"},
                "applied_to": area,
            },
        ),
        (
            producer,
            "harvested",
            {"quantity": kg, "area": area, "note": "Thu hoạch vụ Đông Xuân, độ ẩm hạt 24%."},
        ),
        (producer, "processed", {"process": "Sấy khô, phân loại"}),
        (producer, "packed", {"package_type": "Bao 25 kg", "count": 50, "quantity": kg}),
        (
            cast.authority,
            "inspected",
            {
                "laboratory": "Trung tâm Kiểm nghiệm Hà Nội",
                "samples": [{"code": f"M-{index}"}],
                "result": "conformant",
                "analytes": [
                    {
                        "name": "Metalaxyl",
                        "value": "<0.01",
                        "unit": "mg/kg",
                        "method": "LC-MS/MS",
                        "result": "conformant",
                        "limit": "0.05",
                    },
                    {
                        "name": "Cadimi",
                        "value": "0.02",
                        "unit": "mg/kg",
                        "method": "ICP-MS",
                        "result": "conformant",
                        "limit": "0.4",
                    },
                ],
            },
        ),
        (
            cast.certifier,
            "certified",
            {
                "scheme": "vietgap",
                "certificate_number": f"VG-{index:07d}",
                "issuer": "Tổ chức chứng nhận VietGAP",
                "valid_from": "2026-01-01",
                "valid_until": "2028-12-31",
            },
        ),
        (producer, "shipped", {"to": shop.id, "quantity": kg}),
        (shop, "received", {"from": producer.id, "quantity": kg}),
        (shop, "sold", {"quantity": {"value": "600", "unit": "KGM"}}),
        (shop, "sold", {"quantity": {"value": "650.5", "unit": "KGM"}, "last": True}),
    ]


# COPY writes every column, in the tables' order.
RECORD_COLUMNS = [column.name for column in records.columns]
BATCH_COLUMNS = [column.name for column in batches.columns]


async def load(dsn: str, settings: Settings, events: int) -> int:
    """``events`` signed records by COPY, their Merkle tree, batches and log head."""
    cast = await make_cast(settings)
    conn = await asyncpg.connect(dsn)
    began = time.perf_counter()
    edge: list[bytes] = []
    position = 0
    try:
        rows: list[tuple[Any, ...]] = []
        nodes: list[tuple[int, int, bytes]] = []
        batches: list[tuple[Any, ...]] = []
        index = 0
        while position < events:
            batch = str(uuid.uuid4())
            prev, seq = GENESIS_PREV, 0
            registered: dict[str, Any] = {}
            holder = ""
            for party, kind, body in life(index, cast)[: events - position]:
                seq += 1
                row = _record(index, batch, seq, position, prev, party, kind, body)
                rows.append(row)
                edge, finished = append_leaf(edge, position, row[5])
                nodes.extend((n.level, n.index, n.hash) for n in finished)
                if kind == "registered":
                    registered = {**body, "producer": party.id, "position": position}
                holder = party.id if kind in ("registered", "received") else holder
                prev = row[5]
                position += 1
                if len(rows) >= CHUNK:
                    await _copy(conn, rows, nodes)
                    log(f"   {position:>9,} records ({time.perf_counter() - began:.0f} s)")
            batches.append(_batch_row(batch, registered, holder, seq, prev, position))
            index += 1
        await _copy(conn, rows, nodes)
        await conn.copy_records_to_table("batches", records=batches, columns=BATCH_COLUMNS)
        await conn.execute(
            "UPDATE log_head SET size = $1, edge = $2 WHERE id = 1", position, pack(edge)
        )
        # Statistics, as autovacuum would gather them on a real server: without them the
        # planner guesses a few hundred records and sorts instead of following the index.
        await conn.execute("ANALYZE")
    finally:
        await conn.close()
    log(f"   loaded {position:,} records, {index:,} batches in {time.perf_counter() - began:.0f} s")
    return position


def _record(
    index: int,
    batch: str,
    seq: int,
    position: int,
    prev: bytes,
    party: Party,
    kind: str,
    body: dict[str, Any],
) -> tuple[Any, ...]:
    """One signed, chained record as a row of ``records`` (RECORD_COLUMNS)."""
    day = f"2026-{1 + index % 12:02d}-{1 + index % 28:02d}"
    statement = Statement(
        v=1,
        batch=batch,
        kind=kind,
        occurred_at=f"{day}T{7 + seq:02d}:15:00+07:00",
        agency=party.id,
        key=party.key_id,
        body=body,
        nonce=secrets.token_hex(16),
    )
    data = encode_statement(statement)
    digest = statement_hash(data)
    recorded = BASE_US + position * 1000
    signature = sign_statement(party.secret, data)
    rhash = record_hash(
        prev=prev,
        statement_hash=digest,
        signature=signature,
        seq=seq,
        position=position,
        recorded_at_us=recorded,
    )
    return (position, batch, seq, recorded, prev, rhash, digest, data, signature, party.key_id,
            party.id, kind)  # fmt: skip


def _batch_row(
    batch: str, registered: dict[str, Any], holder: str, seq: int, head: bytes, end: int
) -> tuple[Any, ...]:
    """The batch's read-model row after its last record (BATCH_COLUMNS)."""
    return (
        batch,
        secrets.token_hex(7).upper(),
        registered["producer"],
        holder,
        None,
        False,
        seq == EVENTS_PER_BATCH,
        seq,
        head,
        registered["product"],
        _gtin14(registered),
        registered["lot"],
        registered["origin"]["province"],
        registered["position"],
        BASE_US + (end - 1) * 1000,
    )


def _gtin14(registered: dict[str, Any]) -> str | None:
    gtin = registered.get("gtin")
    return f"0{gtin}" if gtin else None


async def _copy(
    conn: Any, rows: list[tuple[Any, ...]], nodes: list[tuple[int, int, bytes]]
) -> None:
    await conn.copy_records_to_table("records", records=rows, columns=RECORD_COLUMNS)
    await conn.copy_records_to_table(
        "merkle_nodes", records=nodes, columns=["level", "idx", "hash"]
    )
    rows.clear()
    nodes.clear()


async def seal(settings: Settings) -> tuple[int, int]:
    """Sign a checkpoint through the store, and audit a sample of batches."""
    ledger = open_ledger(settings)
    try:
        signed = await sign_checkpoint(ledger, ORIGIN)
        conn = await asyncpg.connect(pg_dsn(settings.database_url, _database(settings)))
        try:
            sample = await conn.fetch(
                f"SELECT id FROM batches ORDER BY registered_position LIMIT {AUDITED}"
            )
        finally:
            await conn.close()
        records = 0
        for row in sample:
            _, count, faults = await verify_batch(ledger, row["id"])
            if faults:
                raise SystemExit(f"batch {row['id']} does not verify: {faults}")
            records += count
    finally:
        await ledger.close()
    return signed.checkpoint.size, records


def _database(settings: Settings) -> str:
    return settings.database_url.rsplit("/", 1)[1]


# --------------------------------------------------------------------------- the children


COPY_QUERY = """
SELECT r.position, r.batch_id, b.code AS batch_code, r.seq, r.kind,
       j.s->>'occurred_at' AS occurred_at,
       to_char(timestamp 'epoch' + r.recorded_at_us * interval '1 microsecond',
               'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS recorded_at,
       CASE WHEN a.household THEN NULL ELSE a.id END AS agency_id,
       CASE WHEN a.household THEN NULL ELSE a.name END AS agency_name,
       a.kind AS agency_kind, a.household AS agency_household,
       a.province AS agency_province_code, a.commune AS agency_commune_code,
       CASE WHEN c.household THEN NULL ELSE c.id END AS counterparty_id,
       CASE WHEN c.household THEN NULL ELSE c.name END AS counterparty_name,
       coalesce(j.s->'body'->'quantity'->>'value', j.s->'body'->'output_quantity'->>'value')
           AS quantity,
       coalesce(j.s->'body'->'quantity'->>'unit', j.s->'body'->'output_quantity'->>'unit')
           AS quantity_unit,
       (j.s->'body') - ARRAY['note', 'description', 'destination', 'seed_source'] AS details,
       encode(r.statement_hash, 'hex') AS statement_hash,
       encode(r.record_hash, 'hex') AS record_hash,
       encode(r.prev, 'hex') AS prev_hash,
       encode(r.signature, 'hex') AS signature,
       CASE WHEN a.household THEN NULL ELSE r.key_id END AS key_id
FROM records r
JOIN batches b ON b.id = r.batch_id
JOIN agencies a ON a.id = r.agency_id
CROSS JOIN LATERAL (SELECT convert_from(r.statement, 'UTF8')::jsonb AS s) j
LEFT JOIN agencies c ON c.id = coalesce(j.s->'body'->>'to', j.s->'body'->>'from')
ORDER BY r.position
"""


# What the exporter itself reads from the database, as COPY writes it: the records with their
# batch code, the statement as text, the hashes in hex. PostgreSQL's streaming alone.
RAW_QUERY = """
SELECT r.position, r.batch_id, b.code, r.seq, r.recorded_at_us,
       encode(r.prev, 'hex'), encode(r.record_hash, 'hex'), encode(r.statement_hash, 'hex'),
       convert_from(r.statement, 'UTF8'), encode(r.signature, 'hex'), r.key_id, r.agency_id,
       r.kind
FROM records r LEFT JOIN batches b ON b.id = r.batch_id
ORDER BY r.position
"""


async def child_copy(url: str, out: Path, query: str) -> dict[str, Any]:
    conn = await asyncpg.connect(url)
    try:
        began = time.perf_counter()
        status = await conn.copy_from_query(query, output=str(out), format="csv", header=True)
        seconds = time.perf_counter() - began
    finally:
        await conn.close()
    return {"rows": int(status.split()[-1]), "seconds": seconds}


async def child_export(url: str, out: Path, formats: list[str], part: int) -> dict[str, Any]:
    from trace.opendata.datasets import EVENTS
    from trace.opendata.export import write_dataset
    from trace.opendata.parties import load_parties
    from trace.opendata.reading import Context, Coverage, Cut
    from trace.opendata.writers import WRITERS, Sink
    from trace.store.database import connect, read_transaction

    engine = connect(url)
    try:
        began, cpu = time.perf_counter(), time.process_time()
        async with read_transaction(engine) as conn:
            size = (await conn.exec_driver_sql("SELECT size FROM log_head")).scalar_one() // part
            context = Context(await load_parties(conn), PUBLIC_URL, Coverage())
        files = [(out.with_suffix(f".{fmt}")).open("wb") for fmt in formats]
        try:
            writers = [WRITERS[fmt](Sink(f), EVENTS) for fmt, f in zip(formats, files, strict=True)]
            async with read_transaction(engine) as conn:
                rows = await write_dataset(conn, EVENTS, Cut(0, size), context, writers)
        finally:
            for handle in files:
                handle.close()
        seconds, cpu = time.perf_counter() - began, time.process_time() - cpu
    finally:
        await engine.dispose()
    return {"rows": rows, "seconds": seconds, "cpu": cpu}


def _high_water_mark() -> int:
    """This process's own peak resident memory (VmHWM), which exec resets, in bytes."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    return 0


def child(args: argparse.Namespace) -> int:
    out = Path(args.out)
    if args.child in ("copy", "raw"):
        query = COPY_QUERY if args.child == "copy" else RAW_QUERY
        result = asyncio.run(child_copy(args.url, out, query))
    else:
        kind, _, part = args.child.partition("/")
        formats = ["csv", "jsonl"] if kind == "both" else [kind]
        result = asyncio.run(child_export(args.url, out, formats, int(part or 1)))
    result["hwm"] = _high_water_mark()
    print(json.dumps(result))
    return 0


# --------------------------------------------------------------------------- parent


@dataclass
class Path_:
    name: str
    runs: list[dict[str, Any]] = field(default_factory=list)

    def rate(self) -> float:
        return statistics.median(r["rows"] / r["seconds"] for r in self.runs)

    def peak(self) -> int:
        return max(r["peak"] for r in self.runs)


# A process's ru_maxrss starts at the resident size of the process it was forked from and
# survives exec: measured straight from this process (which holds the loaded data), every
# child would show this process's size. So children are started from a small Python
# process, which reports their own peak (ru_maxrss from wait4) into a file.
_MEASURE = """
import json, os, subprocess, sys, time
began = time.perf_counter()
child = subprocess.Popen(sys.argv[2:])
_, status, usage = os.wait4(child.pid, 0)
with open(sys.argv[1], "w") as out:
    json.dump({"code": os.waitstatus_to_exitcode(status), "peak": usage.ru_maxrss * 1024,
               "seconds": time.perf_counter() - began}, out)
"""


def measured(args: list[str], env: dict[str, str] | None = None) -> tuple[dict[str, Any], str]:
    """Run ``args``; its exit code, peak resident memory, wall time, and its stdout."""
    with tempfile.NamedTemporaryFile(suffix=".json") as report:
        done = subprocess.run(
            [sys.executable, "-c", _MEASURE, report.name, *args],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        figures: dict[str, Any] = json.loads(Path(report.name).read_text() or "{}")
    if done.returncode != 0 or figures.get("code") != 0:
        raise SystemExit(f"{' '.join(args)} failed: {done.stderr}")
    return figures, done.stdout


def run_child(kind: str, url: str, out: Path) -> dict[str, Any]:
    figures, stdout = measured(
        [sys.executable, __file__, "--child", kind, "--url", url, "--out", str(out)]
    )
    result: dict[str, Any] = json.loads(stdout)
    result["peak"] = figures["peak"]
    result["bytes"] = sum(p.stat().st_size for p in out.parent.glob(f"{out.stem}*"))
    for path in out.parent.glob(f"{out.stem}*"):
        path.unlink()
    return result


def run_command(env: dict[str, str], *args: str) -> tuple[float, int, str]:
    figures, stdout = measured([sys.executable, "-m", "trace", *args], env)
    return figures["seconds"], figures["peak"], stdout


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--events", type=int, default=1_000_000, help="records to load")
    parser.add_argument("--runs", type=int, default=3, help="runs per path (median)")
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get("TRACE_BENCH_POSTGRES_URL", DEFAULT_POSTGRES),
        help="a server where the bench may CREATE DATABASE",
    )
    parser.add_argument("--keep", action="store_true", help="keep the database for --skip-load")
    parser.add_argument("--skip-load", metavar="NAME", help="use a kept database")
    parser.add_argument("--no-command", action="store_true", help="skip `python -m trace export`")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        return child(args)

    workdir = Path(tempfile.mkdtemp(prefix="bench-export-"))
    name = args.skip_load or f"bench_export_{os.getpid()}"
    if args.skip_load:
        url = pg_dsn(args.postgres_url, name)
    else:
        url, _ = scratch_database(args.postgres_url, name)
    master = workdir / "master.key.b64"
    if not args.skip_load:
        master.write_text(base64.b64encode(secrets.token_bytes(32)).decode())
    settings = Settings(
        database_url=url,
        data_dir=workdir / "data",
        public_url=PUBLIC_URL,
        master_key_b64=os.environ.get("TRACE_BENCH_MASTER_KEY") or master.read_text(),
        max_body_bytes=1 << 20,
        log_origin=ORIGIN,
    )
    try:
        if not args.skip_load:
            log(f"== {name}: migrate and load {args.events:,} events")
            migrate(url)
            asyncio.run(load(url, settings, args.events))
            if args.keep:
                log(f"   kept: --skip-load {name} with TRACE_BENCH_MASTER_KEY={master.read_text()}")
        size, audited = asyncio.run(seal(settings))
        log(f"   checkpoint {size:,} signed; {AUDITED} batches ({audited} records) verify")
        kinds = ("copy", "raw", "csv", "jsonl", "both", "csv/10")
        paths = {kind: Path_(kind) for kind in kinds}
        for run in range(args.runs):
            for kind, path in paths.items():
                result = run_child(kind, url, workdir / f"out-{kind.replace('/', '-')}")
                path.runs.append(result)
                log(
                    f"   run {run + 1} {kind:>5}: {result['rows']:,} rows in"
                    f" {result['seconds']:.1f} s = {result['rows'] / result['seconds']:,.0f}/s,"
                    f" peak {result['peak'] / 2**20:.0f} MB (own VmHWM"
                    f" {result['hwm'] / 2**20:.0f} MB),"
                    f" {result['bytes'] / 2**20:.0f} MB written"
                )
        report(paths, size)
        if not args.no_command:
            command(settings, workdir)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
        if not args.keep and not args.skip_load:
            asyncio.run(
                admin_sql(args.postgres_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            )
    return 0


def report(paths: dict[str, Path_], size: int) -> None:
    copy = paths["copy"].rate()
    print(f"\n{size:,} events; median of {len(paths['copy'].runs)} runs\n")
    print("| path | rows/s (median) | range | vs COPY | CPU µs/row | MB written | peak RSS |")
    print("|---|---:|---|---:|---:|---:|---:|")
    labels = {
        "copy": "PostgreSQL `COPY (SELECT …) TO STDOUT` (CSV) of the same rows: reference",
        "raw": "PostgreSQL `COPY` of the columns the exporter reads (no JSON), for scale",
        "csv": "`write_dataset` events → CSV",
        "jsonl": "`write_dataset` events → JSON Lines",
        "both": "`write_dataset` events → CSV and JSON Lines at once",
        "csv/10": "`write_dataset` events → CSV, the first tenth only (memory against size)",
    }
    for kind, path in paths.items():
        rates = [r["rows"] / r["seconds"] for r in path.runs]
        written = statistics.median(r["bytes"] for r in path.runs) / 2**20
        cpu = (
            f"{statistics.median(r['cpu'] / r['rows'] * 1e6 for r in path.runs):.1f}"
            if "cpu" in path.runs[0]
            else "–"
        )
        print(
            f"| {labels[kind]} | {path.rate():,.0f} | {min(rates):,.0f}–{max(rates):,.0f} |"
            f" {path.rate() / copy:.2f} | {cpu} | {written:,.0f} | {path.peak() / 2**20:.0f} MB |"
        )


def command(settings: Settings, workdir: Path) -> None:
    env = {
        **os.environ,
        "TRACE_DATABASE_URL": settings.database_url,
        "TRACE_DATA_DIR": str(settings.data_dir),
        "TRACE_PUBLIC_URL": settings.public_url,
        "TRACE_MASTER_KEY": settings.master_key_b64 or "",
        "TRACE_LOG_ORIGIN": ORIGIN,
    }
    out = workdir / "package"
    seconds, peak, _ = run_command(env, "export", "--out", str(out))
    total = sum(p.stat().st_size for p in out.iterdir())
    log(f"   export: {seconds:.0f} s, peak {peak / 2**20:.0f} MB, {total / 2**20:.0f} MB")
    checked, checked_peak, said = run_command(env, "verify-export", str(out))
    print(
        f"\n`python -m trace export` (every dataset, CSV + JSON Lines + EPCIS, metadata, signed"
        f" manifest): {seconds:.0f} s wall, peak RSS {peak / 2**20:.0f} MB,"
        f" {total / 2**20:,.0f} MB in {len(list(out.iterdir()))} files."
        f" `verify-export`: {checked:.0f} s, peak RSS {checked_peak / 2**20:.0f} MB"
        f" ({said.splitlines()[2] if len(said.splitlines()) > 2 else said.strip()})."
    )
    digest = hashlib.sha256((out / "manifest.json").read_bytes()).hexdigest()
    log(f"   manifest sha256 {digest}")


if __name__ == "__main__":
    raise SystemExit(main())
