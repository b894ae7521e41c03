"""Labels per second on one core: QR symbols, lot and serialised labels into PDF, 10,000 labels.

Run from the project root (see bench/README.md)::

    .venv/bin/python bench/labels.py --runs 3

The data is the demo (``python -m trace demo``, loaded in-process) in a throwaway database:
a SQLite file in a temporary directory (the embedded default), or a database
``bench_labels_<pid>`` created on ``--postgres-url`` (alias ``--database-url``; without a
value, ``TRACE_BENCH_POSTGRES_URL`` or the local server) and dropped at the end. Labels are
of the demo pomelo batch (GTIN 8936047000128, lot BD-2026-09), printed by its producer.

Each run measures, in this order (runs are interleaved: run 1 of everything, then run 2, ...):

- serialised labels through the real code path: (a) ``create_run`` of ``--count`` serials
  (drawn, stored, and committed to by a ``serialised`` record appended to the ledger), then
  (b) ``prepare`` + ``render`` of that run to a PDF file (``--template``, default
  roll-50x30-203), the serials read back from the database a chunk at a time;
- the reference: the ``qrcode`` library encoding the first ``--qr-count`` serial URLs of
  that run (``QRCode(error_correction=ERROR_CORRECT_M, border=0)``, ``add_data``,
  ``make(fit=True)``), then ``trace.labels.qr.encode`` of the same URLs; after the timing,
  every symbol of ours is checked against the library's, module for module;
- lot labels (one label repeated, ``--lot-count`` of them) through ``prepare`` + ``render``
  to a PDF file, on a4-3x8 and roll-50x30-203;
- ``python -m trace labels CODE --serialised --count N --template roll-50x30-203 --out FILE``
  in a child process for N = 1,000 and 10,000: its wall time (start-up included) and its
  own peak resident memory (``ru_maxrss`` from ``os.wait4``).

One core: the label work is sequential (``render`` hands each page to a worker thread and
waits for it), no process pool is used, and the children run while this process waits. The
"CPU / wall" column shows it. A markdown table goes to stdout; progress goes to stderr.
``--profile`` adds the stages of a serialised render timed one after the other, and a cProfile
of one more render grouped by where the time goes.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import os
import pstats
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from itertools import pairwise
from pathlib import Path
from typing import Any
from unittest import mock

ROOT = Path(__file__).resolve().parents[1]
# The standard library has a module named `trace`: our root must come first.
if str(ROOT) not in sys.path[:1]:
    sys.path.insert(0, str(ROOT))

import anyio.to_thread  # noqa: E402
import qrcode  # noqa: E402
from harness import Meter, add_postgres_option, demo_environment, log  # noqa: E402
from qrcode.constants import ERROR_CORRECT_M  # noqa: E402

from trace.config import Settings, load_settings  # noqa: E402
from trace.demo import load_demo  # noqa: E402
from trace.domain.agency import AgencyKind  # noqa: E402
from trace.labels.drawing import Page, Placed  # noqa: E402
from trace.labels.layout import compose  # noqa: E402
from trace.labels.make import LabelJob, prepare, render  # noqa: E402
from trace.labels.pdf import PdfStream  # noqa: E402
from trace.labels.qr import Symbol, batch_path, encode, label_url  # noqa: E402
from trace.labels.runs import LabelRun, create_run, run_serials  # noqa: E402
from trace.store.agencies import Actor, get_agency  # noqa: E402
from trace.store.batches import Batch, all_batches  # noqa: E402
from trace.store.database import read_transaction  # noqa: E402
from trace.store.ledger import Ledger, open_ledger  # noqa: E402
from trace.store.migrate import migrate  # noqa: E402

DEMO_GTIN = "8936047000128"
DEMO_HOST = "https://trace.example.vn"
LOT_TEMPLATES = ("a4-3x8", "roll-50x30-203")
CHILD_TEMPLATE = "roll-50x30-203"
CHILD_COUNTS = (1_000, 10_000)
# Targets (one core).
TARGET_RATE = 150.0  # serialised labels per second into PDF
TARGET_10K_SECONDS = 90.0
TARGET_PEAK_MB = 300.0
MB = 2**20


# --------------------------------------------------------------------------- results


@dataclass
class Sample:
    """One timed section: how many items in how long, and the CPU it took."""

    count: int
    seconds: float
    cpu: float | None = None  # this process (all its threads), or the child
    db_cpu: float | None = None  # PostgreSQL's processes for the bench database
    busy: float | None = None  # the whole machine, 0..1 of all cores
    peak: int | None = None  # bytes, children only
    size: int | None = None  # bytes of output

    @property
    def rate(self) -> float:
        return self.count / self.seconds if self.seconds > 0 else 0.0


@dataclass
class Figure:
    """A row of the table: a value per run, and how to judge it."""

    what: str
    unit: str
    values: list[float] = field(default_factory=list)
    samples: list[Sample] = field(default_factory=list)
    target: str = ""
    ok: Callable[[float], bool] | None = None
    digits: int = 0

    def add(self, value: float, sample: Sample | None = None) -> None:
        self.values.append(value)
        if sample is not None:
            self.samples.append(sample)

    def median(self) -> float | None:
        return statistics.median(self.values) if self.values else None


def _fmt(value: float | None, digits: int) -> str:
    return "–" if value is None else f"{value:,.{digits}f}"


def _share(samples: list[Sample], attr: str) -> str:
    shares = [
        getattr(s, attr) / s.seconds
        for s in samples
        if getattr(s, attr) is not None and s.seconds > 0
    ]
    return f"{statistics.median(shares):.2f}" if shares else "–"


def _busy(samples: list[Sample]) -> str:
    values = [s.busy for s in samples if s.busy is not None]
    return f"{statistics.median(values) * 100:.0f}%" if values else "–"


def table(figures: list[Figure], postgres: bool) -> str:
    head = (
        "| figure | unit | median | runs (min–max) | CPU / wall | "
        + ("db CPU / wall | " if postgres else "")
        + "machine busy | target | met |"
    )
    lines = [head, "|---|---|---:|---|---:|" + ("---:|" if postgres else "") + "---:|---|---|"]
    for f in figures:
        middle = f.median()
        spread = (
            f"{_fmt(min(f.values), f.digits)}–{_fmt(max(f.values), f.digits)}" if f.values else "–"
        )
        met = "–"
        if f.ok is not None and middle is not None:
            met = "yes" if f.ok(middle) else "**no**"
        row = f"| {f.what} | {f.unit} | {_fmt(middle, f.digits)} | {spread} | "
        row += f"{_share(f.samples, 'cpu')} | "
        if postgres:
            row += f"{_share(f.samples, 'db_cpu')} | "
        row += f"{_busy(f.samples)} | {f.target or '–'} | {met} |"
        lines.append(row)
    return "\n".join(lines)


# --------------------------------------------------------------------------- setup


@dataclass
class Bench:
    env: dict[str, str]
    settings: Settings
    workdir: Path
    database: str | None  # the PostgreSQL database, None for SQLite
    drop: Callable[[], None]


def make_bench(args: argparse.Namespace, workdir: Path) -> Bench:
    """A migrated throwaway database with the demo loaded, and the environment naming it."""
    env, database, drop = demo_environment(
        workdir, args.public_url, args.postgres_url, f"bench_labels_{os.getpid()}"
    )
    settings = load_settings(env)
    try:
        migrate(settings.database_url)
        asyncio.run(load_demo(settings))
    except BaseException:
        drop()
        raise
    return Bench(env, settings, workdir, database, drop)


async def demo_batch(ledger: Ledger) -> tuple[Batch, Actor]:
    """The demo pomelo batch and its producer, who prints its labels."""
    async with read_transaction(ledger.engine) as conn:
        batch = next(b for b in await all_batches(conn) if b.gtin and int(b.gtin) == int(DEMO_GTIN))
        producer = await get_agency(conn, batch.producer_id)
    return batch, Actor(producer.id, AgencyKind(producer.kind), None)


# --------------------------------------------------------------------------- sections


async def write(job: LabelJob, serials: AsyncIterator[str] | None, out: Path) -> int:
    """Render ``job`` into ``out`` as the command line does; return the bytes written."""
    size = 0
    with out.open("wb") as sink:
        async for chunk in render(job, serials):
            sink.write(chunk)
            size += len(chunk)
    return size


async def serialised(
    bench: Bench, ledger: Ledger, batch: Batch, actor: Actor, args: argparse.Namespace
) -> tuple[Sample, Sample, LabelRun]:
    """(a) create a run of ``args.count`` serials; (b) prepare and render it to a PDF file."""
    with Meter(bench.database) as meter:
        began, cpu = time.perf_counter(), time.process_time()
        run = await create_run(ledger, actor, batch, args.count)
        seconds, cpu = time.perf_counter() - began, time.process_time() - cpu
    created = Sample(args.count, seconds, cpu, meter.db, meter.busy)
    out = bench.workdir / "serialised.pdf"
    with Meter(bench.database) as meter:
        began, cpu = time.perf_counter(), time.process_time()
        job, serials = await prepare_run(ledger, batch, actor, run, args)
        size = await write(job, serials, out)
        seconds, cpu = time.perf_counter() - began, time.process_time() - cpu
    assert job.count == args.count, (job.count, args.count)
    rendered = Sample(args.count, seconds, cpu, meter.db, meter.busy, size=size)
    return created, rendered, run


async def serial_urls(
    ledger: Ledger, batch: Batch, run: LabelRun, count: int, public: str
) -> list[str]:
    """The URLs the symbols of the first ``count`` labels of ``run`` hold."""
    return [
        label_url(public, batch_path(code=batch.code, gtin=batch.gtin, lot=batch.lot, serial=s))
        async for s in run_serials(ledger, run.id, stop=count)
    ]


def qr_library(urls: list[str]) -> tuple[Sample, list[Any]]:
    """The reference: the qrcode library's own encoding, mask choice included."""
    codes = []
    with Meter() as meter:
        began, cpu = time.perf_counter(), time.process_time()
        for url in urls:
            code = qrcode.QRCode(error_correction=ERROR_CORRECT_M, border=0)
            code.add_data(url)
            code.make(fit=True)
            codes.append(code)
        seconds, cpu = time.perf_counter() - began, time.process_time() - cpu
    return Sample(len(urls), seconds, cpu, None, meter.busy), codes


def qr_ours(urls: list[str]) -> tuple[Sample, list[Symbol]]:
    with Meter() as meter:
        began, cpu = time.perf_counter(), time.process_time()
        symbols = [encode(url) for url in urls]
        seconds, cpu = time.perf_counter() - began, time.process_time() - cpu
    return Sample(len(urls), seconds, cpu, None, meter.busy), symbols


def same_symbols(codes: list[Any], symbols: list[Symbol]) -> int:
    """How many of our symbols differ from the library's (version or any module)."""
    return sum(
        int(code.version) != symbol.version
        or tuple(bytes(row) for row in code.modules) != symbol.rows
        for code, symbol in zip(codes, symbols, strict=True)
    )


async def lot(
    bench: Bench,
    ledger: Ledger,
    batch: Batch,
    actor: Actor,
    template: str,
    args: argparse.Namespace,
) -> Sample:
    """``args.lot_count`` copies of the lot label, prepared and rendered to a PDF file."""
    out = bench.workdir / f"lot-{template}.pdf"
    with Meter(bench.database) as meter:
        began, cpu = time.perf_counter(), time.process_time()
        job, serials = await prepare(
            ledger,
            batch,
            actor=actor,
            template=template,
            count=args.lot_count,
            public_url=args.public_url,
        )
        size = await write(job, serials, out)
        seconds, cpu = time.perf_counter() - began, time.process_time() - cpu
    return Sample(args.lot_count, seconds, cpu, meter.db, meter.busy, size=size)


def child(bench: Bench, code: str, count: int) -> Sample:
    """``python -m trace labels --serialised`` in a child process: wall time and its peak RSS."""
    out = bench.workdir / f"child-{count}.pdf"
    command = [sys.executable, "-m", "trace", "labels", code, "--serialised"]
    command += ["--count", str(count), "--template", CHILD_TEMPLATE, "--out", str(out)]
    stdout, stderr = bench.workdir / "child.out", bench.workdir / "child.err"
    with (
        stdout.open("wb") as out_file,
        stderr.open("wb") as err_file,
        Meter(bench.database) as meter,
    ):
        began = time.perf_counter()
        proc = subprocess.Popen(command, cwd=ROOT, env=bench.env, stdout=out_file, stderr=err_file)
        # wait4: this child's own peak (ru_maxrss, KiB on Linux), not the largest of all children.
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - began
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise RuntimeError(
            f"labels --count {count} exited with {proc.returncode}:\n{stderr.read_text()[-2000:]}"
        )
    pages = pdf_pages(out)
    if pages is not None and pages != count:
        raise RuntimeError(f"labels --count {count} wrote {pages} pages")
    size = out.stat().st_size
    out.unlink()
    return Sample(
        count,
        seconds,
        usage.ru_utime + usage.ru_stime,
        meter.db,
        meter.busy,
        peak=usage.ru_maxrss * 1024,
        size=size,
    )


def pdf_pages(path: Path) -> int | None:
    """Pages of the PDF at ``path`` as pdfium reads them (None without pypdfium2)."""
    try:
        import pypdfium2  # type: ignore[import-untyped]  # optional: requirements-test.txt
    except ImportError:
        return None
    document = pypdfium2.PdfDocument(str(path))
    try:
        return len(document)
    finally:
        document.close()


# --------------------------------------------------------------------------- profile


async def _inline(func: Callable[..., Any], *args: Any, **_: Any) -> Any:
    return func(*args)


async def stage_times(
    ledger: Ledger,
    batch: Batch,
    actor: Actor,
    run: LabelRun,
    args: argparse.Namespace,
    rendered_rate: float | None,
    out: Path,
) -> str:
    """The stages of a serialised render timed one after the other, without a profiler.

    The same calls ``render`` makes for each label and page, on the serials of ``run``,
    each stage over all labels before the next; no database, threads or file. Then the
    whole render once more with its worker-thread hops made direct calls.
    """
    job, serials = await prepare_run(ledger, batch, actor, run, args)
    assert serials is not None
    codes = [serial async for serial in serials]
    facts, stock = job.facts, job.template
    marks = [time.perf_counter()]
    urls = [
        label_url(
            job.public_url, batch_path(code=facts.code, gtin=job.gtin, lot=facts.lot, serial=s)
        )
        for s in codes
    ]
    marks.append(time.perf_counter())
    symbols = [encode(url) for url in urls]
    marks.append(time.perf_counter())
    labels = [
        compose(facts, stock, symbol, lang=job.lang, short_code=serial)
        for symbol, serial in zip(symbols, codes, strict=True)
    ]
    marks.append(time.perf_counter())
    stream = PdfStream(title="bench")
    stream.start()
    width, height = stock.page_size
    spots = stock.positions()
    for start in range(0, len(labels), stock.per_page):
        chunk = labels[start : start + stock.per_page]
        placed = tuple(Placed(x, y, label) for (x, y), label in zip(spots, chunk, strict=False))
        stream.page(Page(width, height, placed))
    marks.append(time.perf_counter())
    stream.finish()
    marks.append(time.perf_counter())
    names = (
        "URL: Digital Link path and `label_url`",
        "QR symbol: `qr.encode`",
        "layout: `layout.compose`",
        "PDF pages: `PdfStream.page`",
        "PDF end: `PdfStream.finish` (font subsets, xref)",
    )
    spent = [after - before for before, after in pairwise(marks)]
    total = sum(spent)
    count = len(codes)
    lines = [
        f"Stages of a {count:,}-label render ({args.template}) timed one after the other,"
        " without a profiler:",
        "",
        "| stage | ms per label | share |",
        "|---|---:|---:|",
    ]
    for name, seconds in zip(names, spent, strict=True):
        lines.append(f"| {name} | {seconds / count * 1000:.2f} | {seconds / total * 100:.0f} % |")
    # The same render with the worker-thread hops (two a page) made direct calls.
    inline = await render_inline(ledger, batch, actor, run, args, out) / count * 1000
    per_label = total / count * 1000
    lines.append(f"| sum | {per_label:.2f} | 100 % |")
    lines.append(
        f"| `prepare` + `render` → file, worker threads made inline (one render) | {inline:.2f} |"
        f" {inline / per_label * 100:.0f} % |"
    )
    if rendered_rate:
        whole = 1000 / rendered_rate
        lines.append(
            f"| `prepare` + `render` → file, as in (b) above (median) | {whole:.2f} |"
            f" {whole / per_label * 100:.0f} % |"
        )
    return "\n".join(lines)


async def prepare_run(
    ledger: Ledger, batch: Batch, actor: Actor, run: LabelRun, args: argparse.Namespace
) -> tuple[LabelJob, AsyncIterator[str] | None]:
    """The job printing all of ``run`` on the benchmark's template, as its producer asks."""
    return await prepare(
        ledger,
        batch,
        actor=actor,
        template=args.template,
        run_id=run.id,
        public_url=args.public_url,
    )


async def render_inline(
    ledger: Ledger,
    batch: Batch,
    actor: Actor,
    run: LabelRun,
    args: argparse.Namespace,
    out: Path,
    profiler: cProfile.Profile | None = None,
) -> float:
    """Seconds for one render of ``run`` into ``out`` with the worker-thread hops made inline.

    cProfile sees only the thread it runs in; made inline, the work is the same.
    """
    with mock.patch.object(anyio.to_thread, "run_sync", _inline):
        if profiler is not None:
            profiler.enable()
        began = time.perf_counter()
        job, serials = await prepare_run(ledger, batch, actor, run, args)
        await write(job, serials, out)
        seconds = time.perf_counter() - began
        if profiler is not None:
            profiler.disable()
    return seconds


async def profile(
    bench: Bench,
    ledger: Ledger,
    batch: Batch,
    actor: Actor,
    run: LabelRun,
    args: argparse.Namespace,
) -> str:
    """cProfile of one more render of ``run``, with the worker-thread hops made inline.

    cProfile sees only the thread it runs in, so ``anyio.to_thread.run_sync`` is replaced
    by a direct call for this one render; the work is the same.
    """
    profiler = cProfile.Profile()
    seconds = await render_inline(
        ledger, batch, actor, run, args, bench.workdir / "profile.pdf", profiler
    )
    raw: dict[tuple[str, int, str], tuple[Any, ...]] = pstats.Stats(profiler).stats  # type: ignore[attr-defined]
    total = sum(entry[2] for entry in raw.values())
    labels = run.count
    lines = [
        f"cProfile of one more render of a {labels:,}-label run ({args.template}), worker"
        f" threads made inline: {seconds:.2f} s under the profiler"
        f" ({labels / seconds:,.0f} labels/s; the profiler slows call-heavy code most).",
        "",
        "| stage (cumulative time) | share | ms per label |",
        "|---|---:|---:|",
    ]
    for path, name, what in _STAGES:
        spent = sum(
            entry[3]
            for (file, _line, func), entry in raw.items()
            if func == name and file.endswith(path)
        )
        lines.append(f"| {what} | {spent / total * 100:.1f} % | {spent / labels * 1000:.2f} |")
    groups: dict[str, float] = {}
    for (filename, _line, name), entry in raw.items():
        area = _area(filename, name)
        groups[area] = groups.get(area, 0.0) + entry[2]
    lines += ["", "| own time by area | share | ms per label |", "|---|---:|---:|"]
    for area, spent in sorted(groups.items(), key=lambda item: -item[1]):
        lines.append(f"| {area} | {spent / total * 100:.1f} % | {spent / labels * 1000:.2f} |")
    lines += ["", "| function (top 12 by own time) | calls | own s | cumulative s |"]
    lines.append("|---|---:|---:|---:|")
    for (filename, line, name), entry in sorted(raw.items(), key=lambda item: -item[1][2])[:12]:
        where = f"{_short(filename)}:{line} {name}"
        lines.append(f"| `{where}` | {entry[1]:,} | {entry[2]:.3f} | {entry[3]:.3f} |")
    return "\n".join(lines)


# (file, function, what): cumulative times of the render's stages; "of which" rows are parts.
_STAGES = (
    ("trace/labels/qr.py", "encode", "QR symbol: `qr.encode`"),
    (
        "qrcode/util.py",
        "create_data",
        "  of which codewords and Reed–Solomon (`qrcode` `create_data`)",
    ),
    (
        "qrcode/main.py",
        "map_data",
        "  of which placing modules (`qrcode` `map_data`, twice a symbol)",
    ),
    ("qrcode/main.py", "best_fit", "  of which choosing the version (`qrcode` `best_fit`)"),
    ("trace/labels/qr.py", "_pack", "  of which packing rows and columns for the mask choice"),
    ("trace/labels/layout.py", "compose", "layout: `layout.compose`"),
    ("trace/labels/pdf.py", "page", "PDF pages: `PdfStream.page` (content streams, zlib)"),
    ("trace/labels/pdf.py", "finish", "PDF end: `PdfStream.finish` (font subsets, xref)"),
    ("trace/labels/make.py", "_widest_serial", "`prepare`: finding the widest serial"),
    ("trace/labels/runs.py", "run_serials", "reading the serials (`run_serials`)"),
)

_DATABASE = "database layer (SQLAlchemy, driver, asyncio)"
_AREAS = (
    ("/qrcode/", "qrcode library"),
    ("trace/labels/qr.py", "trace.labels.qr (mask choice)"),
    ("trace/labels/pdf.py", "trace.labels.pdf"),
    ("trace/labels/drawing.py", "trace.labels.drawing (QR runs)"),
    ("trace/labels/layout.py", "trace.labels.layout"),
    ("trace/labels/fonts.py", "trace.labels.fonts"),
    ("trace/labels/", "trace.labels, other modules"),
    ("trace/", "trace, other packages"),
    ("/fontTools/", "fontTools (font subsets)"),
    ("/sqlalchemy/", _DATABASE),
    ("/aiosqlite/", _DATABASE),
    ("/asyncpg/", _DATABASE),
    ("/asyncio/", _DATABASE),
    ("/anyio/", _DATABASE),
)


def _area(filename: str, name: str) -> str:
    if filename == "~":
        return "zlib.compress" if "zlib" in name else "built-ins (str.join, len, list.append...)"
    for needle, area in _AREAS:
        if needle in filename:
            return area
    return "other Python"


def _short(filename: str) -> str:
    for marker in ("site-packages/", str(ROOT) + "/"):
        if marker in filename:
            return filename.split(marker, 1)[1]
    return filename


# --------------------------------------------------------------------------- main


async def measure(bench: Bench, args: argparse.Namespace) -> tuple[list[Figure], list[str]]:
    notes: list[str] = []
    rate = "labels/s"
    qr_lib = Figure("QR symbols: `qrcode` `make(fit=True)` (reference)", "symbols/s")
    qr_own = Figure("QR symbols: `trace.labels.qr.encode`", "symbols/s")
    qr_speedup = Figure("`encode` ÷ `qrcode` (paired by run)", "×", digits=2)
    lots = {
        t: Figure(f"lot labels → PDF, {t}, {args.lot_count:,} labels", rate) for t in LOT_TEMPLATES
    }
    created = Figure(f"serialised (a) `create_run`, {args.count:,} serials", "serials/s")
    target = f"≥ {TARGET_RATE:.0f}"

    def enough(value: float) -> bool:
        return value >= TARGET_RATE

    rendered = Figure(
        f"serialised (b) `prepare` + `render` → PDF, {args.template}, {args.count:,} labels",
        rate,
        target=target,
        ok=enough,
    )
    both = Figure("serialised (a) + (b): ledger run and PDF", rate, target=target, ok=enough)
    ratio_b = Figure("(b) ÷ `qrcode` raw QR rate (paired by run)", "×", digits=2)
    ratio_ab = Figure("(a) + (b) ÷ `qrcode` raw QR rate (paired by run)", "×", digits=2)
    children: dict[int, tuple[Figure, Figure, Figure]] = {}
    for count in args.child_counts:
        label = f"`python -m trace labels --serialised --count {count:,}`"
        big = count >= 10_000
        children[count] = (
            Figure(
                f"{label}: wall (start-up included)",
                "s",
                target=f"< {TARGET_10K_SECONDS:.0f}" if big else "",
                ok=(lambda v: v < TARGET_10K_SECONDS) if big else None,
                digits=1,
            ),
            Figure(f"{label}: labels per wall second", rate),
            Figure(
                f"{label}: peak RSS of the child",
                "MiB",
                target=f"< {TARGET_PEAK_MB:.0f}",
                ok=lambda v: v < TARGET_PEAK_MB,
            ),
        )

    ledger = open_ledger(bench.settings)
    try:
        batch, actor = await demo_batch(ledger)
        lot_url = label_url(
            args.public_url, batch_path(code=batch.code, gtin=batch.gtin, lot=batch.lot)
        )
        notes.append(
            f"Lot URL `{lot_url}` ({len(lot_url)} characters): QR version"
            f" {encode(lot_url).version}."
        )
        bytes_per_label: dict[str, list[float]] = {}
        last_run: LabelRun | None = None
        mismatches = 0
        for n in range(1, args.runs + 1):
            log(f"== run {n}/{args.runs}")
            made, drawn, run = await serialised(bench, ledger, batch, actor, args)
            last_run = run
            created.add(made.rate, made)
            rendered.add(drawn.rate, drawn)
            whole = Sample(
                args.count,
                made.seconds + drawn.seconds,
                (made.cpu or 0.0) + (drawn.cpu or 0.0),
                busy=drawn.busy,
            )
            both.add(whole.rate, whole)
            log(
                f"   serialised {args.count:,}: create_run {made.seconds:.2f} s,"
                f" prepare+render {drawn.seconds:.2f} s ({drawn.rate:,.0f} labels/s)"
            )
            bytes_per_label.setdefault("serialised", []).append((drawn.size or 0) / args.count)

            urls = await serial_urls(ledger, batch, run, args.qr_count, args.public_url)
            if n == 1:
                notes.append(
                    f"Serial URL e.g. `{urls[0]}` ({len(urls[0])} characters): QR version"
                    f" {encode(urls[0]).version}."
                )
            lib, codes = qr_library(urls)
            own, symbols = qr_ours(urls)
            mismatches += same_symbols(codes, symbols)
            qr_lib.add(lib.rate, lib)
            qr_own.add(own.rate, own)
            qr_speedup.add(own.rate / lib.rate)
            ratio_b.add(drawn.rate / lib.rate)
            ratio_ab.add(whole.rate / lib.rate)
            log(f"   QR: qrcode {lib.rate:,.0f}/s, encode {own.rate:,.0f}/s")

            for template in LOT_TEMPLATES:
                sample = await lot(bench, ledger, batch, actor, template, args)
                lots[template].add(sample.rate, sample)
                bytes_per_label.setdefault(template, []).append((sample.size or 0) / args.lot_count)
                log(f"   lot {template}: {sample.rate:,.0f} labels/s")

            for count in args.child_counts:
                done = child(bench, batch.code, count)
                wall, per_second, peak = children[count]
                wall.add(done.seconds, done)
                per_second.add(done.rate, done)
                peak.add((done.peak or 0) / MB, done)
                peak_mb = (done.peak or 0) / MB
                log(f"   child {count:,}: {done.seconds:.1f} s, peak {peak_mb:.0f} MB")
        notes.append(
            f"Symbols of `encode` that differ from the library's (version or any module):"
            f" {mismatches} of {args.qr_count * args.runs:,}."
        )
        notes.append(
            "PDF bytes per label (median): "
            + ", ".join(
                f"{name} {statistics.median(values):,.0f}"
                for name, values in bytes_per_label.items()
            )
            + "."
        )
        if args.profile and last_run is not None:
            out = bench.workdir / "inline.pdf"
            notes.append(
                await stage_times(ledger, batch, actor, last_run, args, rendered.median(), out)
            )
            notes.append(await profile(bench, ledger, batch, actor, last_run, args))
    finally:
        await ledger.close()
    figures = [
        qr_lib,
        qr_own,
        qr_speedup,
        *lots.values(),
        created,
        rendered,
        both,
        ratio_b,
        ratio_ab,
    ]
    for trio in children.values():
        figures.extend(trio)
    return figures, notes


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument(
        "--runs",
        type=int,
        default=3,
        help="runs, interleaved (default 3; median and range reported)",
    )
    parser.add_argument(
        "--count", type=int, default=2000, help="serialised run size in-process (default 2000)"
    )
    parser.add_argument(
        "--lot-count", type=int, default=2400, help="lot labels per PDF (default 2400)"
    )
    parser.add_argument(
        "--qr-count", type=int, default=400, help="serial URLs encoded per run (default 400)"
    )
    parser.add_argument(
        "--template", default="roll-50x30-203", help="stock of the in-process serialised run"
    )
    parser.add_argument(
        "--child-counts",
        default=",".join(str(c) for c in CHILD_COUNTS),
        help="labels per child run (default 1000,10000; empty to skip)",
    )
    parser.add_argument(
        "--public-url",
        default=DEMO_HOST,
        help=f"TRACE_PUBLIC_URL the symbols hold (default {DEMO_HOST}, the demo host)",
    )
    add_postgres_option(parser)
    parser.add_argument(
        "--profile",
        action="store_true",
        help="add the render's stages timed one by one, and a cProfile of one more render",
    )
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    args = parser.parse_args(argv)
    args.child_counts = [int(c) for c in args.child_counts.split(",") if c.strip()]
    if args.qr_count > args.count:
        parser.error("--qr-count takes URLs from the serialised run: at most --count")

    started = time.perf_counter()
    workdir = Path(tempfile.mkdtemp(prefix="bench-labels-"))
    log(f"== setting up in {workdir}")
    try:
        bench = make_bench(args, workdir)
        try:
            figures, notes = asyncio.run(measure(bench, args))
        finally:
            bench.drop()
    finally:
        if args.keep:
            log(f"== kept {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    log(f"== done in {time.perf_counter() - started:.0f} s")
    backend = "PostgreSQL" if bench.database else "SQLite"
    print(
        f"nproc={os.cpu_count()} backend={backend} runs={args.runs} count={args.count}"
        f" lot_count={args.lot_count} qr_count={args.qr_count} public_url={args.public_url}\n"
    )
    print(table(figures, bench.database is not None))
    print()
    for note in notes:
        print(note)
        print()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
