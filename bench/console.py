"""The producer console's traffic, timed against a running server.

Run from the project root (see bench/README.md)::

    .venv/bin/python bench/console.py load --runs 3
    .venv/bin/python bench/console.py sync --runs 3
    .venv/bin/python bench/console.py sync --runs 3 --postgres-url

One subcommand per part of the console:

- ``load`` (part a): the console's first load and its repeat load in headless Chromium at
  phone size (a fresh profile each run), through a small counting proxy in front of the
  server, so that every byte the browser receives is counted, the service worker's own
  fetches included: the first load until the service worker controls the page, then a
  reload. Bytes are as sent on the wire (gzip where the service compresses), headers
  included, split into the app shell (``/console/...``) and the API calls the screen makes.
- ``sync`` (part b): a phone's queue of events signed offline, sent when the network
  returns. In a throwaway deployment (``python -m trace serve``, one worker, on a SQLite
  file or a new database ``bench_console_<pid>`` on ``--postgres-url``) a producer is made
  with an external Ed25519 key (its device key); each run signs ``--events`` events
  (default 1,000: a few batches' registrations, then harvests and packings spread over
  them) in this process, before the clock starts, as the phone would have, and sends
  them in order from one client, as a phone does, in each way in the same run:
  ``one by one`` (``POST /api/v1/records``, each answer awaited before the next) and
  ``bulk N`` (``POST /api/v1/records/bulk``, chunks of N, for each N of ``--chunks``).
  Every statement must be answered 201 and not replayed. The report gives events per
  second (median of ``--runs`` runs, with the range) and each way's speed over one by one.

A markdown report goes to stdout; progress to stderr.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import os
import shutil
import statistics
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import httpx
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

ROOT = Path(__file__).resolve().parents[1]
# The standard library has a module named `trace`: our root must come first.
if str(ROOT) not in sys.path[:1]:
    sys.path.insert(0, str(ROOT))

from harness import (  # noqa: E402
    Server,
    add_postgres_option,
    demo_environment,
    log,
    phone_chromium,
    spare_port,
)

from trace.config import Settings, load_settings  # noqa: E402
from trace.domain.agency import AgencyKind  # noqa: E402
from trace.domain.statement import (  # noqa: E402
    Statement,
    encode_statement,
    new_nonce,
    sign_statement,
)
from trace.store.agencies import create_agency  # noqa: E402
from trace.store.custody import public_bytes  # noqa: E402
from trace.store.ledger import open_ledger  # noqa: E402
from trace.store.migrate import migrate  # noqa: E402

PUBLIC_URL = "https://trace.example.vn"
OCCURRED_AT = "2026-03-02T07:30:00+07:00"
ONE_BY_ONE = "one by one"


# --------------------------------------------------------------------------- load (part a)


@dataclass
class Tally:
    """Bytes the proxy passed to the browser, by path, since the last ``reset``."""

    sent: dict[str, int] = field(default_factory=dict)

    def add(self, path: str, size: int) -> None:
        self.sent[path] = self.sent.get(path, 0) + size

    def split(self) -> tuple[int, int]:
        """Bytes of the app shell (``/console/``...) and of everything else."""
        shell = sum(n for path, n in self.sent.items() if path.startswith("/console/"))
        return shell, sum(self.sent.values()) - shell


async def _relay(
    upstream: tuple[str, int],
    tally: Tally,
    reader: asyncio.StreamReader,
    writer: asyncio.StreamWriter,
) -> None:
    """One browser connection: each request forwarded on a connection of its own (closed
    after the answer), the answer's bytes counted and passed back."""
    try:
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            lines = head.decode("latin-1").split("\r\n")
            path = lines[0].split(" ")[1].split("?")[0]
            length = 0
            kept = [lines[0]]
            for line in lines[1:]:
                name = line.split(":", 1)[0].strip().lower()
                if name == "content-length":
                    length = int(line.split(":", 1)[1])
                if name not in ("connection", "keep-alive") and line:
                    kept.append(line)
            body = await reader.readexactly(length) if length else b""
            server_reader, server_writer = await asyncio.open_connection(*upstream)
            request = "\r\n".join([*kept, "Connection: close", "", ""]).encode("latin-1")
            server_writer.write(request + body)
            await server_writer.drain()
            answer = await server_reader.read()
            server_writer.close()
            tally.add(path, len(answer))
            # The browser keeps its connection: the answer is sent as it came, but closed
            # answers have no length to reuse the connection by, so this one ends too.
            writer.write(answer)
            await writer.drain()
            break
    except (asyncio.IncompleteReadError, ConnectionError, IndexError):
        pass
    finally:
        writer.close()


class Proxy:
    """A counting proxy on a spare port in a thread of its own."""

    def __init__(self, upstream: str) -> None:
        host, port = upstream.removeprefix("http://").split(":")
        self.tally = Tally()
        self.port = spare_port()
        self.loop = asyncio.new_event_loop()
        handler = partial(_relay, (host, int(port)), self.tally)
        server = self.loop.run_until_complete(asyncio.start_server(handler, "127.0.0.1", self.port))
        self.server = server
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def reset(self) -> None:
        self.tally.sent.clear()

    def stop(self) -> None:
        self.loop.call_soon_threadsafe(self.server.close)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=5)


_CONTROLLED = """
const done = arguments[arguments.length - 1];
navigator.serviceWorker.ready.then(() => {
  if (navigator.serviceWorker.controller) { done(true); return; }
  navigator.serviceWorker.addEventListener('controllerchange', () => done(true));
}).catch(() => done(false));
"""


def load(args: argparse.Namespace) -> int:
    """Part (a): the console's first load and repeat load, in bytes on the wire."""
    workdir = Path(tempfile.mkdtemp(prefix="bench-console-load-"))
    env, _, drop = demo_environment(workdir, PUBLIC_URL, None, "unused")
    migrate(load_settings(env).database_url)
    server = Server(env, workdir / "server.log", workers=1)
    proxy = Proxy(server.base)
    rows: list[tuple[int, int, int, int]] = []
    try:
        for run in range(args.runs):
            driver = phone_chromium(360, 640, 2)
            try:
                driver.set_script_timeout(60)
                proxy.reset()
                driver.get(proxy.base + "/console/")
                if not driver.execute_async_script(_CONTROLLED):
                    raise RuntimeError("the service worker never controlled the page")
                time.sleep(args.settle)  # the worker's precache, and the screen's requests
                first = proxy.tally.split()
                first_paths = dict(proxy.tally.sent)
                proxy.reset()
                driver.refresh()
                time.sleep(args.settle)
                repeat = proxy.tally.split()
                log(
                    f"   run {run + 1}/{args.runs}: first {first[0]:,} B shell + {first[1]:,} B"
                    f" API; repeat {repeat[0]:,} B shell + {repeat[1]:,} B API"
                    f" (repeat fetched: {sorted(proxy.tally.sent) or 'nothing'})"
                )
                if run == 0:
                    for path, size in sorted(first_paths.items()):
                        log(f"      {size:>8,} B  {path}")
                rows.append((*first, *repeat))
            finally:
                driver.quit()
    finally:
        proxy.stop()
        server.stop()
        drop()
        shutil.rmtree(workdir, ignore_errors=True)
    columns = list(zip(*rows, strict=True))
    medians = [statistics.median(column) for column in columns]
    print(
        f"nproc={os.cpu_count()} runs={args.runs} (median; bytes on the wire, headers included)\n"
    )
    print("| | app shell | API calls |")
    print("|---|---:|---:|")
    print(f"| first load | {medians[0]:,.0f} B | {medians[1]:,.0f} B |")
    print(f"| repeat load | {medians[2]:,.0f} B | {medians[3]:,.0f} B |")
    return 0


# --------------------------------------------------------------------------- sync (part b)


@dataclass(frozen=True)
class Device:
    """The producer's phone: its agency, device key and bearer token."""

    agency: str
    key_id: str
    secret: Ed25519PrivateKey
    token: str

    def sign(self, batch: str, kind: str, body: dict[str, Any]) -> dict[str, str]:
        """A statement signed on the phone, as ``POST /api/v1/records`` takes it."""
        data = encode_statement(
            Statement(
                v=1,
                batch=batch,
                kind=kind,
                occurred_at=OCCURRED_AT,
                agency=self.agency,
                key=self.key_id,
                body=body,
                nonce=new_nonce(),
            )
        )
        return {
            "statement": base64.b64encode(data).decode(),
            "signature": base64.b64encode(sign_statement(self.secret, data)).decode(),
            "key_id": self.key_id,
        }


async def _make_device(settings: Settings) -> Device:
    secret = Ed25519PrivateKey.generate()
    ledger = open_ledger(settings)
    try:
        agency, key_id, token = await create_agency(
            ledger,
            name="HTX Nông nghiệp Đan Phượng",
            kind=AgencyKind.PRODUCER,
            province="01",
            external_public_key=public_bytes(secret),
        )
    finally:
        await ledger.close()
    return Device(agency.id, key_id, secret, token)


def queue(device: Device, events: int, batches: int) -> list[dict[str, str]]:
    """``events`` statements as a day's work leaves them on a phone: the batches'
    registrations, then harvests and packings taking turns over the batches."""
    ids = [str(uuid.uuid4()) for _ in range(batches)]
    out = [
        device.sign(
            b,
            "registered",
            {"product": "Gạo ST25", "lot": f"ST25-{b[:8]}", "origin": {"province": "01"}},
        )
        for b in ids
    ]
    for n in range(events - batches):
        batch = ids[n % batches]
        if n % 4 == 3:
            body: dict[str, Any] = {
                "package_type": "bao 25 kg",
                "count": 40,
                "quantity": {"value": "1000", "unit": "KGM"},
            }
            out.append(device.sign(batch, "packed", body))
        else:
            body = {
                "quantity": {"value": str(800 + n % 500), "unit": "KGM"},
                "area": f"RUONG-{n % 12 + 1}",
                "note": "Thu hoạch lúa ST25 vụ Đông Xuân, độ ẩm hạt 24%.",
            }
            out.append(device.sign(batch, "harvested", body))
    return out


def send_one_by_one(http: httpx.Client, device: Device, statements: list[dict[str, str]]) -> None:
    """Each statement alone, the next sent once the answer to the one before has come."""
    headers = {"Authorization": f"Bearer {device.token}"}
    for body in statements:
        answer = http.post("/api/v1/records", json=body, headers=headers)
        if answer.status_code != 201 or answer.json()["replayed"]:
            raise RuntimeError(f"POST /api/v1/records answered {answer.status_code}: {answer.text}")


def send_bulk(
    http: httpx.Client, device: Device, statements: list[dict[str, str]], chunk: int
) -> None:
    """The statements in chunks of ``chunk``, one request after the other."""
    headers = {"Authorization": f"Bearer {device.token}"}
    for start in range(0, len(statements), chunk):
        part = statements[start : start + chunk]
        answer = http.post("/api/v1/records/bulk", json={"records": part}, headers=headers)
        if answer.status_code != 200:
            raise RuntimeError(f"bulk answered {answer.status_code}: {answer.text[:300]}")
        results = answer.json()["results"]
        refused = [r for r in results if r["status"] != 201 or r["replayed"]]
        if len(results) != len(part) or refused:
            raise RuntimeError(f"bulk: {len(refused)} not newly recorded, e.g. {refused[:1]}")


@dataclass
class Way:
    """One way of sending the queue, and its runs' events per second."""

    name: str
    send: Callable[[httpx.Client, Device, list[dict[str, str]]], None]
    rates: list[float] = field(default_factory=list)


def sync(args: argparse.Namespace) -> int:
    """Part (b): a queue of device-signed events sent one by one and in bulk, same run."""
    chunks = [int(c) for c in args.chunks.split(",")]
    ways = [Way(ONE_BY_ONE, send_one_by_one)]
    ways += [Way(f"bulk {chunk}", partial(send_bulk, chunk=chunk)) for chunk in chunks]
    started = time.perf_counter()
    workdir = Path(tempfile.mkdtemp(prefix="bench-console-"))
    log(f"== setting up in {workdir}")
    env, database, drop = demo_environment(
        workdir, PUBLIC_URL, args.postgres_url, f"bench_console_{os.getpid()}"
    )
    server: Server | None = None
    try:
        settings = load_settings(env)
        migrate(settings.database_url)
        device = asyncio.run(_make_device(settings))
        server = Server(env, workdir / "server.log", workers=1)
        with httpx.Client(base_url=server.base, timeout=120) as http:
            # Warm the server (imports, caches, connections) with a small queue each way.
            for way in ways:
                way.send(http, device, queue(device, 20, 2))
            for run in range(args.runs):
                # Interleaved, each run in another order, so drift favours no way.
                order = ways[run % len(ways) :] + ways[: run % len(ways)]
                for way in order:
                    statements = queue(device, args.events, args.batches)
                    began = time.perf_counter()
                    way.send(http, device, statements)
                    elapsed = time.perf_counter() - began
                    way.rates.append(len(statements) / elapsed)
                    log(
                        f"   run {run + 1}/{args.runs} {way.name:<12} "
                        f"{len(statements):,} events in {elapsed:6.2f} s"
                        f" = {way.rates[-1]:7,.0f} events/s"
                    )
    finally:
        if server is not None:
            server.stop()
        drop()
        if args.keep:
            log(f"== kept {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    log(f"== done in {time.perf_counter() - started:.0f} s")
    print(
        f"nproc={os.cpu_count()} backend={'PostgreSQL' if database else 'SQLite'}"
        f" runs={args.runs} events={args.events} batches={args.batches}\n"
    )
    print(sync_table(ways))
    return 0


def sync_table(ways: list[Way]) -> str:
    base = statistics.median(ways[0].rates)
    lines = [
        "| way | events/s (median) | runs (min–max) | vs one by one |",
        "|---|---:|---|---:|",
    ]
    for way in ways:
        median = statistics.median(way.rates)
        lines.append(
            f"| {way.name} | {median:,.0f} | {min(way.rates):,.0f}–{max(way.rates):,.0f}"
            f" | {median / base:.1f}× |"
        )
    return "\n".join(lines)


# --------------------------------------------------------------------------- main


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parts = parser.add_subparsers(dest="part", required=True)
    p = parts.add_parser("load", help="part (a): the console's first and repeat load, in bytes")
    p.add_argument("--runs", type=int, default=3, help="runs, each with a fresh profile")
    p.add_argument("--settle", type=float, default=3.0, help="seconds to let requests finish")
    p.set_defaults(run=load)
    p = parts.add_parser("sync", help="part (b): a phone's queue, one by one and in bulk")
    p.add_argument("--events", type=int, default=1000, help="events in each run's queue")
    p.add_argument("--batches", type=int, default=8, help="batches the events are spread over")
    p.add_argument("--chunks", default="100,250", help="bulk chunk sizes, comma-separated")
    p.add_argument("--runs", type=int, default=3, help="runs, interleaved (median, range)")
    add_postgres_option(p)
    p.add_argument("--keep", action="store_true", help="keep the temporary directory")
    p.set_defaults(run=sync)
    args = parser.parse_args(argv)
    result: int = args.run(args)
    return result


if __name__ == "__main__":
    raise SystemExit(main())
