"""A recall that reaches 2,000 batches: from its answer to the last holder's webhook notice.

Run from the project root (see bench/README.md)::

    .venv/bin/python bench/recall_notify.py --postgres-url --runs 3

On a throwaway database (a SQLite file by default; ``--postgres-url`` for a new PostgreSQL
database, dropped at the end):

1. **Load**, in this process through the store's own append (every record signed with its
   agency's custodial key and checked by the ledger's rules): for each run, a paddy batch of
   a producer milled by a processor into ``--mids`` batches, each split into ``--leaves``
   batches (20 × 99 + 20 = 2,000 batches downstream by default); every leaf is shipped to
   one of ``--holders`` distributors and received there. Every agency registers a ``recall``
   webhook to one receiver on loopback (a real HTTP server in this process, answering 204).
2. **The recall**: ``python -m trace serve --workers 2`` runs the service as deployed
   (its delivery task polling at the default interval); once its outbox has followed the
   load, the bench posts one recall per run (``POST /api/v1/recalls`` as the authority) and
   times the first and the last notice to arrive from the recall record's own time
   (``recorded_at_us``, set in the append just before its transaction commits; the service
   and the receiver read the same clock). Each notice's signature is checked with the secret
   shown at registration, and the batches the notices name together must be the recall's
   whole reach (``GET /api/v1/recalls/{id}/reach``).
3. **The reference**, in the same run: the same notices, the same bodies, posted straight
   to the same receiver by a client in another process (as the service is) with the
   service's concurrency (20): what the network and the receiver alone cost.

A markdown report goes to stdout, progress to stderr.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import hashlib
import hmac
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import select

ROOT = Path(__file__).resolve().parents[1]
# The standard library has a module named `trace`: our root must come first.
if str(ROOT) not in sys.path[:1]:
    sys.path.insert(0, str(ROOT))

from harness import Server, add_postgres_option, demo_environment, log  # noqa: E402

from trace.config import Settings, load_settings  # noqa: E402
from trace.domain.agency import AgencyKind  # noqa: E402
from trace.notify.outbox import NAME as OUTBOX  # noqa: E402
from trace.notify.registry import WebhookEvent, create_webhook  # noqa: E402
from trace.store.agencies import Actor, create_agency  # noqa: E402
from trace.store.append import append_unsigned, new_batch_id  # noqa: E402
from trace.store.database import read_transaction  # noqa: E402
from trace.store.ledger import Ledger, open_ledger  # noqa: E402
from trace.store.migrate import migrate  # noqa: E402
from trace.store.tables import log_head, projection_positions, records  # noqa: E402

WHEN = "2026-06-15T08:00:00+07:00"
CONCURRENT_APPENDS = 16
SERVICE_CONCURRENCY = 20  # notices the service sends at once (trace/notify/delivery.py)


# --------------------------------------------------------------------------- the receiver


@dataclass(frozen=True)
class Arrival:
    path: str
    headers: dict[str, str]
    body: bytes
    at: float  # time.time(), to compare with the recall record's own time


class Receiver:
    """A real HTTP server on loopback that keeps what it is sent and answers 204."""

    def __init__(self) -> None:
        self.arrivals: list[Arrival] = []
        self.lock = threading.Lock()
        kept, lock = self.arrivals, self.lock

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                arrival = Arrival(self.path, dict(self.headers.items()), body, time.time())
                with lock:
                    kept.append(arrival)
                self.send_response(204)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: object) -> None:
                return

        class Threaded(ThreadingHTTPServer):
            request_queue_size = 256
            daemon_threads = True

        self.server = Threaded(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def taken(self) -> list[Arrival]:
        with self.lock:
            out = list(self.arrivals)
            self.arrivals.clear()
        return out

    def wait_for(self, count: int, within: float) -> list[Arrival]:
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            with self.lock:
                if len(self.arrivals) >= count:
                    break
            time.sleep(0.005)
        return self.taken()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def signed_correctly(arrival: Arrival, secret: str) -> bool:
    """Whether the notice's ``Webhook-Signature`` is the HMAC of the secret shown once."""
    key = base64.b64decode(secret.removeprefix("whsec_"))
    headers = {k.lower(): v for k, v in arrival.headers.items()}
    signed = f"{headers['webhook-id']}.{headers['webhook-timestamp']}.".encode() + arrival.body
    expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    given = [part.removeprefix("v1,") for part in headers["webhook-signature"].split()]
    return any(hmac.compare_digest(expected, sig) for sig in given)


# --------------------------------------------------------------------------- the load


@dataclass
class Cast:
    authority: Actor
    authority_token: str
    producer: Actor
    processor: Actor
    holders: list[Actor]
    secrets: dict[str, str]  # agency id -> webhook secret


def _kg(value: str) -> dict[str, str]:
    return {"value": value, "unit": "KGM"}


async def _actor(ledger: Ledger, name: str, kind: AgencyKind) -> tuple[Actor, str]:
    agency, _key, token = await create_agency(ledger, name=name, kind=kind, province="33")
    return Actor(agency.id, kind, None), token


async def make_cast(ledger: Ledger, holders: int, receiver: Receiver) -> Cast:
    authority, authority_token = await _actor(
        ledger, "Chi cục Quản lý chất lượng Nông lâm sản và Thủy sản Hưng Yên", AgencyKind.AUTHORITY
    )
    producer, _ = await _actor(ledger, "Hợp tác xã Lúa gạo Tiên Lữ", AgencyKind.PRODUCER)
    processor, _ = await _actor(ledger, "Công ty Lương thực Phố Hiến", AgencyKind.PROCESSOR)
    shops = [
        (await _actor(ledger, f"Cửa hàng Gạo sạch số {n}", AgencyKind.DISTRIBUTOR))[0]
        for n in range(1, holders + 1)
    ]
    secrets: dict[str, str] = {}
    for actor in (producer, processor, *shops):
        _hook, secret = await create_webhook(
            ledger,
            actor,
            f"{receiver.base}/{actor.agency_id}",
            [WebhookEvent.RECALL],
            allow_loopback=True,
        )
        secrets[actor.agency_id] = secret
    return Cast(authority, authority_token, producer, processor, shops, secrets)


async def _all(jobs: list[Any]) -> None:
    gate = asyncio.Semaphore(CONCURRENT_APPENDS)

    async def one(job: Any) -> None:
        async with gate:
            await job

    await asyncio.gather(*(one(job) for job in jobs))


async def load_tree(ledger: Ledger, cast: Cast, run: int, mids: int, leaves: int) -> str:
    """A paddy batch and the ``mids × leaves + mids`` batches made from it; the paddy's id."""

    def event(actor: Actor, batch: str, kind: str, body: dict[str, Any]) -> Any:
        return append_unsigned(ledger, actor, batch=batch, kind=kind, occurred_at=WHEN, body=body)

    root = new_batch_id()
    await event(
        cast.producer,
        root,
        "registered",
        {
            "product": "Thóc ST25",
            "lot": f"THOC-{run}",
            "origin": {"province": "33"},
            "quantity": _kg("100000"),
        },
    )
    await event(
        cast.producer, root, "shipped", {"to": cast.processor.agency_id, "quantity": _kg("100000")}
    )
    await event(
        cast.processor,
        root,
        "received",
        {"from": cast.producer.agency_id, "quantity": _kg("100000")},
    )
    middle = [new_batch_id() for _ in range(mids)]
    await _all(
        [
            event(
                cast.processor,
                m,
                "registered",
                {
                    "product": "Gạo ST25 (bao 50 kg)",
                    "lot": f"GAO-{run}-{i}",
                    "origin": {"province": "33"},
                    "quantity": _kg("5000"),
                },
            )
            for i, m in enumerate(middle)
        ]
    )
    await _all(
        [
            event(
                cast.processor,
                m,
                "transformed",
                {
                    "process": "milling",
                    "inputs": [{"batch": root, "quantity": _kg("5000")}],
                    "output_quantity": _kg("5000"),
                },
            )
            for m in middle
        ]
    )
    ends = [(m, i, j, new_batch_id()) for i, m in enumerate(middle) for j in range(leaves)]
    await _all(
        [
            event(
                cast.processor,
                leaf,
                "registered",
                {
                    "product": "Gạo ST25 túi 5 kg",
                    "lot": f"GAO-{run}-{i}-{j}",
                    "origin": {"province": "33"},
                    "quantity": _kg("50"),
                },
            )
            for _m, i, j, leaf in ends
        ]
    )
    await _all(
        [
            event(
                cast.processor,
                leaf,
                "transformed",
                {
                    "process": "repacking",
                    "inputs": [{"batch": m, "quantity": _kg("50")}],
                    "output_quantity": _kg("50"),
                },
            )
            for m, _i, _j, leaf in ends
        ]
    )
    holder_of = {leaf: cast.holders[n % len(cast.holders)] for n, (*_, leaf) in enumerate(ends)}
    await _all(
        [
            event(cast.processor, leaf, "shipped", {"to": holder.agency_id, "quantity": _kg("50")})
            for leaf, holder in holder_of.items()
        ]
    )
    await _all(
        [
            event(
                holder, leaf, "received", {"from": cast.processor.agency_id, "quantity": _kg("50")}
            )
            for leaf, holder in holder_of.items()
        ]
    )
    return root


async def load(
    settings: Settings, args: argparse.Namespace, receiver: Receiver
) -> tuple[Cast, list[str]]:
    ledger = open_ledger(settings)
    try:
        cast = await make_cast(ledger, args.holders, receiver)
        roots = []
        for run in range(1, args.runs + 1):
            started = time.monotonic()
            roots.append(await load_tree(ledger, cast, run, args.mids, args.leaves))
            log(f"-- tree {run}: loaded in {time.monotonic() - started:.1f} s")
        return cast, roots
    finally:
        await ledger.close()


async def outbox_caught_up(settings: Settings, within: float = 600) -> None:
    """Wait until the service's outbox has followed the log to its end."""
    ledger = open_ledger(settings)
    deadline = time.monotonic() + within
    try:
        while time.monotonic() < deadline:
            async with read_transaction(ledger.engine) as conn:
                size = (await conn.execute(select(log_head.c.size))).scalar_one()
                at = (
                    await conn.execute(
                        select(projection_positions.c.position).where(
                            projection_positions.c.name == OUTBOX
                        )
                    )
                ).scalar()
            if at is not None and at >= size:
                return
            await asyncio.sleep(0.2)
    finally:
        await ledger.close()
    raise RuntimeError(f"the outbox did not catch up with the log in {within:.0f} s")


async def recorded_at(settings: Settings, position: int) -> float:
    """When the ledger recorded the record at ``position`` (set in the append, just before
    its transaction commits), in seconds since the epoch."""
    ledger = open_ledger(settings)
    try:
        async with read_transaction(ledger.engine) as conn:
            found = await conn.execute(
                select(records.c.recorded_at_us).where(records.c.position == position)
            )
            return int(found.scalar_one()) / 1e6
    finally:
        await ledger.close()


# --------------------------------------------------------------------------- the recall


@dataclass
class Timing:
    notices: int
    batches: int
    first_s: float
    last_s: float
    answer_s: float


def _post(base: str, path: str, token: str, body: dict[str, Any]) -> tuple[int, Any]:
    request = urllib.request.Request(
        base + path,
        data=json.dumps(body).encode(),
        method="POST",
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=60) as answer:
        return answer.status, json.loads(answer.read())


def _get(base: str, path: str, token: str) -> Any:
    request = urllib.request.Request(base + path, headers={"Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(request, timeout=120) as answer:
        return json.loads(answer.read())


def recall_once(
    server: Server, settings: Settings, cast: Cast, root: str, run: int, receiver: Receiver
) -> tuple[Timing, list[Arrival]]:
    # The processor holds the paddy and the milled batches, each distributor its packs; the
    # producer, which shipped the paddy, holds nothing and is not told.
    expected = 1 + len(cast.holders)
    receiver.taken()
    sent = time.monotonic()
    status, recall = _post(
        server.base,
        "/api/v1/recalls",
        cast.authority_token,
        {
            "batch": root,
            "reason": "Dư lượng thuốc bảo vệ thực vật vượt giới hạn (bench)",
            "severity": "class_2",
            "decision_number": f"{run}/QĐ-BENCH",
        },
    )
    answered = time.monotonic()
    assert status == 201, status
    arrivals = receiver.wait_for(expected, within=120)
    if len(arrivals) < expected:
        raise RuntimeError(f"run {run}: {len(arrivals)} of {expected} notices arrived in 120 s")
    named: set[str] = set()
    for arrival in arrivals:
        agency = arrival.path.strip("/")
        if not signed_correctly(arrival, cast.secrets[agency]):
            raise RuntimeError(f"run {run}: a notice to {agency} is not signed with its secret")
        notice = json.loads(arrival.body)
        assert notice["recall"]["id"] == recall["id"], (notice["recall"]["id"], recall["id"])
        named.update(b["code"] for b in notice["batches"])
    reach = _get(server.base, f"/api/v1/recalls/{recall['id']}/reach", cast.authority_token)
    whole = {b["code"] for b in reach["batches"]}
    if named != whole or reach.get("truncated"):
        raise RuntimeError(
            f"run {run}: the notices name {len(named)} batches, the reach {len(whole)}"
        )
    committed = asyncio.run(recorded_at(settings, int(recall["id"])))
    times = sorted(a.at for a in arrivals)
    timing = Timing(
        notices=len(arrivals),
        batches=len(whole),
        first_s=times[0] - committed,
        last_s=times[-1] - committed,
        answer_s=answered - sent,
    )
    return timing, arrivals


def reference(receiver: Receiver, arrivals: list[Arrival], workdir: Path) -> float:
    """The same notices posted straight to the receiver, 20 at a time, by another process (as
    the service is): seconds for all."""
    notices = workdir / "notices.json"
    notices.write_text(json.dumps([[a.path, base64.b64encode(a.body).decode()] for a in arrivals]))
    receiver.taken()
    done = subprocess.run(
        [sys.executable, __file__, "--reference", receiver.base, str(notices)],
        capture_output=True,
        text=True,
        check=True,
    )
    if len(receiver.taken()) != len(arrivals):
        raise RuntimeError("the reference's notices did not all arrive")
    return float(done.stdout)


async def _post_all(base: str, notices: list[tuple[str, bytes]]) -> float:
    gate = asyncio.Semaphore(SERVICE_CONCURRENCY)
    async with httpx.AsyncClient(timeout=30) as http:

        async def one(path: str, body: bytes) -> None:
            async with gate:
                headers = {"Content-Type": "application/json"}
                answer = await http.post(base + path, content=body, headers=headers)
                assert answer.status_code == 204, answer.status_code

        started = time.monotonic()
        await asyncio.gather(*(one(path, body) for path, body in notices))
        return time.monotonic() - started


# --------------------------------------------------------------------------- the report


def _ms(values: list[float]) -> str:
    middle = statistics.median(values) * 1000
    return f"{middle:,.0f} ms ({min(values) * 1000:,.0f}–{max(values) * 1000:,.0f})"


def render(
    args: argparse.Namespace, timings: list[Timing], references: list[float], database: str
) -> str:
    t = timings[0]
    lines = [
        f"Recall reaching {t.batches - 1:,} batches downstream ({t.batches:,} with the"
        f" recalled one), {t.notices} holders' notices, {database},"
        f" median (range) of {len(timings)} runs:",
        "",
        "| from the recall's commit to | time |",
        "|---|---:|",
        f"| the first notice | {_ms([x.first_s for x in timings])} |",
        f"| the last notice | {_ms([x.last_s for x in timings])} |",
        f"| (the recall's own answer, from its request) | {_ms([x.answer_s for x in timings])} |",
        f"| reference: the same {t.notices} notices posted straight to the receiver, 20 at a time |"
        f" {_ms(references)} |",
    ]
    return "\n".join(lines)


def main() -> int:
    if len(sys.argv) == 4 and sys.argv[1] == "--reference":
        notices = [
            (path, base64.b64decode(body))
            for path, body in json.loads(Path(sys.argv[3]).read_text())
        ]
        print(asyncio.run(_post_all(sys.argv[2], notices)))
        return 0
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="recalls, one tree each (default 3)")
    parser.add_argument("--mids", type=int, default=20, help="batches milled from the paddy")
    parser.add_argument("--leaves", type=int, default=99, help="batches packed from each")
    parser.add_argument("--holders", type=int, default=100, help="distributors holding them")
    parser.add_argument("--workers", type=int, default=2, help="server workers (default 2)")
    add_postgres_option(parser)
    args = parser.parse_args()
    if not 0 < args.holders <= args.mids * args.leaves:
        parser.error("--holders must be between 1 and --mids × --leaves (each holds a pack)")
    receiver = Receiver()
    with tempfile.TemporaryDirectory(prefix="bench-recall-") as tmp:
        workdir = Path(tmp)
        env, database, drop = demo_environment(
            workdir, "https://trace.example.vn", args.postgres_url, f"bench_recall_{os.getpid()}"
        )
        env["TRACE_WEBHOOK_ALLOW_LOOPBACK"] = "1"
        try:
            settings = load_settings(env)
            migrate(settings.database_url)
            cast, roots = asyncio.run(load(settings, args, receiver))
            server = Server(env, workdir / "server.log", args.workers)
            timings, references = [], []
            try:
                # The outbox follows the log: the service's first catch-up walks the load.
                asyncio.run(outbox_caught_up(settings))
                receiver.taken()
                for run, root in enumerate(roots, start=1):
                    timing, arrivals = recall_once(server, settings, cast, root, run, receiver)
                    timings.append(timing)
                    references.append(reference(receiver, arrivals, workdir))
                    log(
                        f"-- run {run}: last notice {timing.last_s * 1000:,.0f} ms after the commit"
                    )
            finally:
                server.stop()
        finally:
            drop()
            receiver.close()
    print(render(args, timings, references, "PostgreSQL" if database else "SQLite"))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
