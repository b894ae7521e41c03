"""Part 1 of bench/epcis.py: capture of whole documents against one-by-one appends, over HTTP.

The server is ``python -m trace serve`` on a throwaway PostgreSQL database; the client is
this process, one request at a time on one kept-alive connection (``http.client``, the
least a client can cost), and every request's body is built before the clock starts.
"""

from __future__ import annotations

import argparse
import asyncio
import http.client
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

from epcis_events import epcis_document, observations, one_by_one_request, registration
from harness import Meter, Server, demo_environment, log
from sqlalchemy import func, select

from trace.config import Settings, load_settings
from trace.domain.agency import AgencyKind
from trace.epcis.subjects import BatchRef
from trace.store.agencies import Actor, create_agency
from trace.store.append import append_unsigned, new_batch_id
from trace.store.database import read_transaction
from trace.store.ledger import open_ledger
from trace.store.migrate import migrate
from trace.store.tables import records

PUBLIC_URL = "https://truyxuat.example.vn"
BATCHES = 20  # lots of each path
REGISTERED_AT = "2026-02-20T07:00:00+07:00"
PATHS = ("capture", "one by one")
CAPTURE_BODY_BYTES = 2 * 1024 * 1024


@dataclass
class PathRun:
    """One path's events in one run: wall time and CPU by process."""

    events: int
    seconds: float
    cpu_server: float
    cpu_db: float
    busy: float | None

    @property
    def rate(self) -> float:
        return self.events / self.seconds

    def per_event_ms(self, cpu: float) -> float:
        return cpu / self.events * 1000


@dataclass
class CaptureResult:
    documents: int
    events: int
    runs: dict[str, list[PathRun]] = field(default_factory=lambda: {p: [] for p in PATHS})
    problems: list[str] = field(default_factory=list)
    profile: list[tuple[str, float]] = field(default_factory=list)

    def ratios(self) -> list[float]:
        return [c.rate / o.rate for c, o in zip(*self.runs.values(), strict=True)]

    def table(self) -> list[str]:
        lines = [
            f"### Capture of {self.documents} documents of {self.events} events against one-by-one"
            " appends",
            "",
            "| path | events a run | events/s, median (range) | server CPU ms/event |"
            " PostgreSQL CPU ms/event | machine busy |",
            "|---|---:|---:|---:|---:|---:|",
        ]
        for path, runs in self.runs.items():
            rates = [r.rate for r in runs]
            server = statistics.median(r.per_event_ms(r.cpu_server) for r in runs)
            db = statistics.median(r.per_event_ms(r.cpu_db) for r in runs)
            busy = [r.busy for r in runs if r.busy is not None]
            machine = f"{statistics.median(busy) * 100:.0f} %" if busy else "–"
            lines.append(
                f"| {path} | {runs[0].events:,} | {statistics.median(rates):,.0f}"
                f" ({min(rates):,.0f}–{max(rates):,.0f}) | {server:.2f} | {db:.2f} | {machine} |"
            )
        ratios = self.ratios()
        lines += [
            "",
            f"Capture over one by one, run by run: {', '.join(f'{r:.1f}' for r in ratios)};"
            f" median **{statistics.median(ratios):.1f}×** (target: at least 3×).",
        ]
        if self.profile:
            lines += [
                "",
                "Where a capture's time goes in the server (py-spy, share of the samples under"
                " `capture`, inclusive):",
                "",
                "| function | share |",
                "|---|---:|",
                *(f"| `{name}` | {share * 100:.0f} % |" for name, share in self.profile),
            ]
        lines += ["", *(f"**Problem:** {p}" for p in self.problems)] if self.problems else []
        return lines


# --------------------------------------------------------------------------- set-up


@dataclass(frozen=True)
class Partner:
    agency: str
    token: str
    lots: dict[str, list[BatchRef]]  # by path


async def _prepare(settings: Settings) -> Partner:
    """A cooperative with its token and 20 registered lots for each path."""
    ledger = open_ledger(settings)
    try:
        agency, key, token = await create_agency(
            ledger, name="HTX Lúa gạo Mỹ Xuyên", kind=AgencyKind.PRODUCER, province="92"
        )
        actor = Actor(agency.id, AgencyKind.PRODUCER, None, custodial_key=key)
        lots: dict[str, list[BatchRef]] = {path: [] for path in PATHS}
        for n in range(BATCHES * len(PATHS)):
            path = PATHS[n % len(PATHS)]
            appended = await append_unsigned(
                ledger,
                actor,
                batch=new_batch_id(),
                kind="registered",
                occurred_at=REGISTERED_AT,
                body=registration(n // len(PATHS), f"MX-{n:04d}"),
            )
            batch = appended.batch
            lots[path].append(BatchRef(batch.id, batch.gtin, batch.lot, batch.code))
        return Partner(agency.id, token, lots)
    finally:
        await ledger.close()


async def _kinds(settings: Settings, partner: Partner) -> dict[str, Counter[str]]:
    """The kinds of the records on each path's lots."""
    ledger = open_ledger(settings)
    try:
        found: dict[str, Counter[str]] = {}
        async with read_transaction(ledger.engine) as conn:
            for path, lots in partner.lots.items():
                rows = await conn.execute(
                    select(records.c.kind, func.count())
                    .where(records.c.batch_id.in_([lot.id for lot in lots]))
                    .group_by(records.c.kind)
                )
                found[path] = Counter({row[0]: row[1] for row in rows})
        return found
    finally:
        await ledger.close()


# --------------------------------------------------------------------------- the two paths


class Client:
    """One kept-alive HTTP/1.1 connection to the server, with the partner's token."""

    def __init__(self, port: int, token: str) -> None:
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
        self.token = token

    def post(self, path: str, body: bytes, content_type: str) -> tuple[int, bytes]:
        headers = {"Authorization": f"Bearer {self.token}", "Content-Type": content_type}
        self.conn.request("POST", path, body=body, headers=headers)
        answer = self.conn.getresponse()
        return answer.status, answer.read()

    def close(self) -> None:
        self.conn.close()


def _capture(client: Client, documents: list[bytes], events: int, problems: list[str]) -> None:
    for number, document in enumerate(documents):
        status, answer = client.post("/epcis/capture", document, "application/ld+json")
        job = json.loads(answer) if status == 202 else {}
        if not job.get("success") or len(job.get("capturedEventIDs", [])) != events:
            problems.append(f"capture of document {number}: {status} {answer[:300]!r}")


def _one_by_one(client: Client, requests: list[tuple[str, bytes]], problems: list[str]) -> None:
    for path, body in requests:
        status, answer = client.post(path, body, "application/json")
        if status != 201:
            problems.append(f"one-by-one append: {status} {answer[:300]!r}")


def _timed(database: str, server: Server, send: object, events: int) -> PathRun:
    assert callable(send)
    with Meter(database, server.proc.pid) as meter:
        began = time.perf_counter()
        send()
        seconds = time.perf_counter() - began
    return PathRun(events, seconds, meter.server, meter.db, meter.busy)


def _work(
    args: argparse.Namespace, partner: Partner, first: int, expected: dict[str, Counter[str]]
) -> tuple[list[bytes], list[tuple[str, bytes]]]:
    """A run's documents for capture and the first ``--one-by-one`` of the same observations'
    requests one by one; what each path will record is added to ``expected``."""
    total = args.documents * args.events
    captured = observations(partner.lots["capture"], total, first)
    sent = observations(partner.lots["one by one"], args.one_by_one or total, first)
    documents = [
        epcis_document(captured[i : i + args.events], partner.agency, PUBLIC_URL)
        for i in range(0, total, args.events)
    ]
    for path, items in (("capture", captured), ("one by one", sent)):
        expected[path].update(item.kind.value for item in items)
    return documents, [one_by_one_request(item) for item in sent]


def _profile(server: Server, workdir: Path, send: object) -> list[tuple[str, float]]:
    """The functions the server spends a capture in, by their share of py-spy's samples."""
    spy = shutil.which("py-spy") or shutil.which("py-spy", path=str(Path(sys.executable).parent))
    if spy is None:
        log("py-spy is not installed (pip install 'py-spy>=0.4,<0.5'): no profile")
        return []
    raw = workdir / "capture.raw"
    recorder = subprocess.Popen(
        [
            spy,
            "record",
            "--format",
            "raw",
            "--rate",
            "250",
            "--subprocesses",
            "--nonblocking",
            "--output",
            str(raw),
            "--pid",
            str(server.proc.pid),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    time.sleep(1.0)
    assert callable(send)
    send()
    recorder.send_signal(2)
    recorder.wait(60)
    return _shares(raw.read_text().splitlines()) if raw.exists() else []


def _shares(lines: list[str], top: int = 16) -> list[tuple[str, float]]:
    """Inclusive share of each function called by ``capture``, among the samples in it.

    py-spy's raw format is one stack a line, outermost frame first, then a count.
    """
    inclusive: Counter[str] = Counter()
    total = 0
    for line in lines:
        stack, _, count = line.rpartition(" ")
        frames = stack.split(";")
        starts = [
            i for i, f in enumerate(frames) if f.startswith("capture (trace/epcis/capture.py")
        ]
        if not starts:
            continue
        total += int(count)
        below = {f.rsplit(":", 1)[0] + ")" for f in frames[starts[0] + 1 :] if " (" in f}
        for name in below:
            inclusive[name] += int(count)
    return [(name, n / total) for name, n in inclusive.most_common(top)] if total else []


def run_capture(args: argparse.Namespace, workdir: Path) -> CaptureResult:
    """Part 1, from a fresh database to the dropped one."""
    result = CaptureResult(args.documents, args.events)
    name = f"bench_epcis_capture_{os.getpid()}"
    env, database, drop = demo_environment(workdir, PUBLIC_URL, args.postgres_url, name)
    assert database is not None
    # 500 of these events are 348 KB, over the default body limit of 256 KiB (a document
    # that large is refused 413): the service is run as an operator would for capture.
    env["TRACE_MAX_BODY_BYTES"] = str(CAPTURE_BODY_BYTES)
    try:
        settings = load_settings(env)
        migrate(settings.database_url)
        partner = asyncio.run(_prepare(settings))
        server = Server(env, workdir / "server.log", args.workers)
        client = Client(server.port, partner.token)
        try:
            total = args.documents * args.events
            expected = {path: Counter({"registered": BATCHES}) for path in PATHS}
            for run in range(args.runs):
                documents, requests = _work(args, partner, run * total, expected)
                sends = {
                    "capture": partial(_capture, client, documents, args.events, result.problems),
                    "one by one": partial(_one_by_one, client, requests, result.problems),
                }
                order = PATHS if run % 2 == 0 else PATHS[::-1]
                for path in order:
                    count = total if path == "capture" else len(requests)
                    timed = _timed(database, server, sends[path], count)
                    result.runs[path].append(timed)
                    log(f"-- run {run + 1}, {path}: {timed.rate:,.0f} events/s")
            kinds = asyncio.run(_kinds(settings, partner))
            if kinds != expected:
                result.problems.append(f"records by kind {kinds}, not as sent: {expected}")
            log(f"-- records by kind: {kinds}")
            if args.profile:
                documents, _ = _work(args, partner, args.runs * total, expected)
                result.profile = _profile(
                    server,
                    workdir,
                    # a few documents are enough to see where the time goes
                    partial(_capture, client, documents[:4], args.events, result.problems),
                )
        finally:
            client.close()
            server.stop()
    finally:
        drop()
    return result
