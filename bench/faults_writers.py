"""Writers for bench/faults.py: producers registering batches and recording harvests over HTTP.

Each writer is an asyncio task with its own ``httpx`` client. It sends one request at a
time, each with an ``Idempotency-Key``, and retries a request that got no answer, a 5xx or
a 409 ``contention`` with the same key and the same body until it is answered (that is what
a client does, and the service promises such a retry writes nothing twice). Every 201 is an
*acknowledgement*: the writer keeps the record it names. The key is also written into the
statement (a registration's ``lot``, a harvest's ``note``), so the read-back can tell which
request each stored record came from.

Writers of one producer share its batches: most requests record a harvest on one of the
producer's few newest batches, so appends to one batch from both server workers race.

Every answer is counted by the fault window it arrived in (``Windows``), so that the report
can say what the service answered while its database was down.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import httpx
from harness import OCCURRED_AT

# A harvest, with the request's key as its note; the lot of a registration is the key too.
QUANTITY = {"value": "1250.5", "unit": "KGM"}
AREA = "BD-VUON-03"
PRODUCT = "Bưởi Diễn"
# A writer registers a new batch about once in this many requests; harvests go to the
# producer's newest batches, this many of them.
REGISTER_EVERY = 8
SHARED_BATCHES = 4
# Seconds between two attempts of one request, growing to the most.
FIRST_PAUSE, MOST_PAUSE = 0.05, 1.0
TIMEOUT = httpx.Timeout(30.0, connect=5.0)


@dataclass(frozen=True)
class Producer:
    """An agency made with ``python -m trace agency add --json``."""

    id: str
    token: str


@dataclass(frozen=True)
class Ack:
    """A 201: the record the service says it stored for the request with this key."""

    key: str
    kind: str
    batch: str
    seq: int
    position: int
    record_hash: str
    statement_hash: str
    replayed: bool


@dataclass(frozen=True)
class Refusal:
    """A request answered with a 4xx the writer does not retry: it gave it up."""

    key: str
    kind: str
    status: int
    code: str


class Windows:
    """The fault window answers fall in: ``steady``, or the fault under way until recovery.

    A window opens when a fault is injected, is marked ``back`` once the server or the
    database has been started again, and closes at the first 201 after that.
    """

    def __init__(self) -> None:
        self.current = "steady"
        self.back = False
        self.closed = asyncio.Event()
        self.answers: dict[str, Counter[str]] = {}
        self.bad_503: Counter[str] = Counter()

    def open(self, name: str) -> None:
        self.current, self.back = name, False
        self.closed = asyncio.Event()

    def mark_back(self) -> None:
        self.back = True

    def count(self, answer: str) -> None:
        self.answers.setdefault(self.current, Counter())[answer] += 1

    def acknowledged(self) -> None:
        if self.current != "steady" and self.back:
            self.current, self.back = "steady", False
            self.closed.set()


@dataclass
class Load:
    """What the writers did: acknowledgements, refusals, requests left without an answer."""

    acks: list[Ack] = field(default_factory=list)
    refusals: list[Refusal] = field(default_factory=list)
    unresolved: list[str] = field(default_factory=list)
    attempts: int = 0
    retries: int = 0


@dataclass
class _Shared:
    """A producer's newest acknowledged batches, shared by its writers."""

    batches: dict[str, list[str]] = field(default_factory=dict)


async def run_writers(
    base: str,
    producers: list[Producer],
    writers: int,
    windows: Windows,
    stop: asyncio.Event,
    *,
    drain_seconds: float,
    seed: int,
) -> Load:
    """Run ``writers`` writers against ``base`` until ``stop`` is set.

    A request under way when ``stop`` is set is still retried until answered, for at most
    ``drain_seconds``; one still unanswered then is reported as unresolved.
    """
    load = Load()
    shared = _Shared({p.id: [] for p in producers})
    await asyncio.gather(
        *(
            _writer(
                i,
                base,
                producers[i % len(producers)],
                shared,
                windows,
                stop,
                load,
                drain_seconds,
                random.Random(seed * 1000 + i),
            )
            for i in range(writers)
        )
    )
    return load


async def _writer(
    index: int,
    base: str,
    producer: Producer,
    shared: _Shared,
    windows: Windows,
    stop: asyncio.Event,
    load: Load,
    drain_seconds: float,
    rng: random.Random,
) -> None:
    headers = {"Authorization": f"Bearer {producer.token}", "Accept-Language": "en"}
    limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
    async with httpx.AsyncClient(base_url=base, timeout=TIMEOUT, limits=limits) as http:
        number = 0
        while not stop.is_set():
            number += 1
            key = f"w{index:02d}-{number:06d}"
            pool = shared.batches[producer.id]
            if not pool or rng.randrange(REGISTER_EVERY) == 0:
                kind, path = "registered", "/api/v1/batches"
                body: dict[str, Any] = {
                    "occurred_at": OCCURRED_AT,
                    "body": {"product": PRODUCT, "lot": key, "origin": {"province": "01"}},
                }
            else:
                kind = "harvested"
                path = f"/api/v1/batches/{rng.choice(pool[-SHARED_BATCHES:])}/events"
                body = {
                    "kind": kind,
                    "occurred_at": OCCURRED_AT,
                    "body": {"quantity": QUANTITY, "area": AREA, "note": key},
                }
            ack = await _until_answered(
                http,
                path,
                body,
                {**headers, "Idempotency-Key": key},
                key,
                kind,
                windows,
                stop,
                load,
                drain_seconds,
            )
            if ack is not None and kind == "registered":
                pool.append(ack.batch)


async def _until_answered(
    http: httpx.AsyncClient,
    path: str,
    body: dict[str, Any],
    headers: dict[str, str],
    key: str,
    kind: str,
    windows: Windows,
    stop: asyncio.Event,
    load: Load,
    drain_seconds: float,
) -> Ack | None:
    """Send the request until it is acknowledged or refused; None unless acknowledged."""
    pause = FIRST_PAUSE
    give_up: float | None = None
    first = True
    while True:
        if stop.is_set() and give_up is None:
            give_up = time.monotonic() + drain_seconds
        if give_up is not None and time.monotonic() > give_up:
            load.unresolved.append(key)
            return None
        load.attempts += 1
        if not first:
            load.retries += 1
        first = False
        try:
            answer = await http.post(path, json=body, headers=headers)
        except httpx.HTTPError as exc:
            windows.count(f"no answer ({type(exc).__name__})")
            await asyncio.sleep(pause)
            pause = min(pause * 2, MOST_PAUSE)
            continue
        windows.count(str(answer.status_code))
        if answer.status_code == 201:
            windows.acknowledged()
            out = answer.json()
            record = out["record"]
            ack = Ack(
                key,
                kind,
                record["batch"],
                record["seq"],
                record["position"],
                record["record_hash"],
                record["statement_hash"],
                bool(out["replayed"]),
            )
            load.acks.append(ack)
            return ack
        code = _problem_code(answer)
        if answer.status_code == 503:
            _check_unavailable(answer, windows)
        if answer.status_code >= 500 or code == "contention":
            wait = _retry_after(answer)
            await asyncio.sleep(wait if wait is not None else pause)
            pause = min(pause * 2, MOST_PAUSE)
            continue
        load.refusals.append(Refusal(key, kind, answer.status_code, code))
        return None


def _problem_code(answer: httpx.Response) -> str:
    try:
        return str(answer.json().get("code", ""))
    except ValueError:
        return ""


def _retry_after(answer: httpx.Response) -> float | None:
    value = answer.headers.get("Retry-After", "")
    return min(float(value), 5.0) if value.isdigit() else None


def _check_unavailable(answer: httpx.Response, windows: Windows) -> None:
    """What issue 12 asks of a 503: a Retry-After of whole seconds and a problem body."""
    if not answer.headers.get("Retry-After", "").isdigit():
        windows.bad_503["without Retry-After"] += 1
    if not answer.headers.get("content-type", "").startswith("application/problem+json"):
        windows.bad_503["without a problem+json body"] += 1
