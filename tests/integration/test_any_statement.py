"""Property: whatever statement the API accepts, every reader answers for it (issue 12).

Each example registers a batch with a body drawn from the kind's own declaration, then
records one to six events of any kind, each by the agency that may record it, with bodies
and times drawn the same way (trace/tests/integration/statements.py): any Unicode text,
quantities, dates and times across the calendar, enum values, optional fields. The API
must answer every write with a 201 or a 4xx, never a 5xx; and every read of what it
accepted (the page in each language and format, history with proofs, bundles, genealogy,
labels, search, EPCIS, the open-data package, the export and the audit) must succeed.

``TRACE_PROPERTY_EXAMPLES`` sets the number of examples per database (60 in the suite);
the figures of a longer run are in docs/reliability.md.
"""

from __future__ import annotations

import asyncio
import dataclasses
import itertools
import os
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

import httpx
import hypothesis
from hypothesis import HealthCheck, given
from hypothesis import strategies as st

from tests.conftest import Cast, Member
from tests.integration.readers import Reader
from tests.integration.statements import RECENT_TIMES, TIMES, bodies
from trace.api.app import create_app
from trace.config import Settings
from trace.domain.kinds import EventKind
from trace.domain.places import provinces
from trace.store.ledger import Ledger

EXAMPLES = int(os.environ.get("TRACE_PROPERTY_EXAMPLES", "60"))
GTINS = ("08936047000128", "08936047000135", None)
_lots = itertools.count(1)
T = TypeVar("T")
OnLoop = Callable[[Coroutine[Any, Any, Any]], Any]


@dataclass
class Tally:
    """What the examples sent and what the ledger kept."""

    examples: int = 0
    sent: int = 0
    accepted: int = 0
    refused: dict[str, int] = field(default_factory=dict)
    kinds: set[str] = field(default_factory=set)
    why: dict[str, str] = field(default_factory=dict)


def _recorder(cast: Cast, kind: EventKind) -> Member:
    """The agency that may record ``kind`` on a batch the producer holds."""
    if kind in (EventKind.INSPECTED, EventKind.RECALLED):
        return cast.authority
    if kind is EventKind.CERTIFIED:
        return cast.certifier
    if kind is EventKind.TRANSFORMED:
        return cast.processor
    return cast.producer


# Every kind a client records through POST /events; a recall stops the batch, so it comes
# last when it comes, and the kinds of a batch's own life come more often than the others.
_OWN_LIFE = (
    EventKind.PLANTED,
    EventKind.INPUT_APPLIED,
    EventKind.HARVESTED,
    EventKind.PROCESSED,
    EventKind.PACKED,
)
KINDS = (
    *_OWN_LIFE,
    *_OWN_LIFE,
    EventKind.INSPECTED,
    EventKind.CERTIFIED,
    EventKind.SHIPPED,
    EventKind.RECEIVED,
    EventKind.SOLD,
    EventKind.TRANSFORMED,
    EventKind.CORRECTED,
)


def _example(
    data: st.DataObject,
    on_loop: OnLoop,
    client: httpx.AsyncClient,
    reader: Reader,
    cast: Cast,
    tally: Tally,
) -> list[tuple[str, str]]:
    """One example: a batch and its events written, then read every way; what failed.

    It runs in Hypothesis's thread (where values are drawn) and hands each request to the
    test's loop with ``on_loop``.
    """
    tally.examples += 1
    failures: list[tuple[str, str]] = []
    agencies = [cast.producer.id, cast.processor.id, cast.distributor.id]

    def send(path: str, member: Member, request: dict[str, Any]) -> httpx.Response:
        answer = on_loop(client.post(path, json=request, headers=member.headers))
        tally.sent += 1
        if answer.status_code >= 500:
            failures.append((f"POST {path} {request!r}", answer.text[:300]))
        elif answer.status_code == 201:
            tally.accepted += 1
        else:
            code = answer.json().get("code", str(answer.status_code))
            tally.refused[code] = tally.refused.get(code, 0) + 1
            tally.why.setdefault(code, answer.json().get("detail", "")[:200])
        return answer

    overrides = {
        "lot": st.just(f"P-{next(_lots)}"),
        "gtin": st.sampled_from(GTINS),
        "to": st.sampled_from(agencies),
        "from_": st.sampled_from(agencies),
        # Codes of today's places, as a client takes them from /api/v1/places.
        "province": st.sampled_from([place.code for place in provinces()]),
        "commune": st.none(),
        # A photo the service holds is sent first (tests/integration/test_photos.py); a name
        # drawn at random names none, and would refuse most registrations.
        "photo": st.none(),
        # Standards as a producer picks them: distinct names (the same one twice is refused).
        "standards": st.lists(
            st.sampled_from(["VietGAP", "GlobalGAP", "TCVN 11041-2:2017", "HACCP", "Hữu cơ"]),
            unique=True,
            max_size=3,
        ),
    }
    # Registrations mostly at real times, so that most examples have a batch to add to.
    recent = RECENT_TIMES.map(datetime.isoformat)
    when = st.one_of(recent, recent, recent, TIMES)
    registration = {
        "occurred_at": data.draw(when, "occurred_at"),
        "body": data.draw(bodies(EventKind.REGISTERED, overrides), "registration"),
    }
    answer = send("/api/v1/batches", cast.producer, registration)
    if answer.status_code != 201:
        return failures
    tally.kinds.add(EventKind.REGISTERED.value)
    batch = answer.json()["batch"]["id"]
    hashes = [answer.json()["record"]["record_hash"]]
    kinds = data.draw(st.lists(st.sampled_from(KINDS), min_size=1, max_size=6), "kinds")
    if data.draw(st.booleans(), "recalled"):
        kinds.append(EventKind.RECALLED)
    for kind in kinds:
        chosen = {**overrides, "corrects": st.sampled_from(hashes), "batch": st.just(batch)}
        request = {
            "kind": kind.value,
            "occurred_at": data.draw(TIMES, "occurred_at"),
            "body": data.draw(bodies(kind, chosen), kind.value),
        }
        answer = send(f"/api/v1/batches/{batch}/events", _recorder(cast, kind), request)
        if answer.status_code == 201:
            tally.kinds.add(kind.value)
            hashes.append(answer.json()["record"]["record_hash"])
    reader.failures.clear()
    on_loop(reader.batch(batch, cast.producer.headers))
    on_loop(reader.ledger_wide())
    return failures + reader.failures


async def test_any_statement_the_api_accepts_is_read_every_way(
    ledger: Ledger, cast: Cast, settings: Settings
) -> None:
    loop = asyncio.get_running_loop()
    tally = Tally()
    # Hundreds of page reads from one client: no per-client limit here.
    unlimited = dataclasses.replace(settings, page_rate_per_minute=0)
    transport = httpx.ASGITransport(app=create_app(unlimited, ledger=ledger))
    client = httpx.AsyncClient(transport=transport, base_url="http://testserver")

    def on_loop(work: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(work, loop).result()

    reader = Reader(
        client, ledger, settings, inspector=cast.authority.headers, operator=cast.operator.headers
    )

    # The examples run in a thread of their own, each handing its coroutine to the test's
    # loop, where the client and the ledger live.
    @hypothesis.settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    )
    @given(data=st.data())
    def examples(data: st.DataObject) -> None:
        failures = _example(data, on_loop, client, reader, cast, tally)
        assert failures == []

    async with client:
        await asyncio.to_thread(examples)
    # The property says something only if the examples stored much of what they sent.
    assert tally.examples >= EXAMPLES
    assert tally.accepted >= EXAMPLES // 2, tally
    assert len(tally.kinds) >= 3, tally
    print(f"\n{tally}")
