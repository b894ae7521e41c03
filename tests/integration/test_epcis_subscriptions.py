"""EPCIS named queries and subscriptions over HTTP (issue 17, done-point 4).

A webhook subscription's notices go through the service's real delivery task to a real
HTTP receiver on loopback (tests/webhook_receiver.py), which checks each ``GS1-Signature``
with the signatureToken as a partner's receiver would; a WebSocket subscription is driven
through the application's own ASGI interface, in the test's event loop.
"""

from __future__ import annotations

import asyncio
import base64
import dataclasses
import hashlib
import hmac
import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from tests.conftest import Cast, Member
from tests.integration.helpers import kg, record, register
from tests.webhook_receiver import Arrival, receiving
from trace.api.app import create_app
from trace.config import Settings
from trace.notify.delivery import keep_delivering
from trace.store.ledger import Ledger

TOKEN = "13df38d8275b13f05704629e5f1cf3d45d6132d5"
SHIPPING = {"name": "shipments", "query": {"EQ_bizStep": ["shipping"]}}


@pytest.fixture
def fast(settings: Settings) -> Settings:
    """Loopback allowed, a short poll."""
    return dataclasses.replace(
        settings,
        webhook_allow_loopback=True,
        webhook_poll_seconds=0.05,
        webhook_retry_seconds=0.2,
        webhook_timeout_seconds=2.0,
    )


@pytest.fixture
async def client(fast: Settings, ledger: Ledger) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=create_app(fast, ledger=ledger))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield http


@pytest.fixture
async def delivering(ledger: Ledger, fast: Settings) -> AsyncIterator[None]:
    """The service's delivery task, as the app's lifespan starts it."""
    task = asyncio.create_task(keep_delivering(ledger, fast))
    try:
        yield
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


def gs1_signed(arrival: Arrival, token: str) -> bool:
    """Whether ``GS1-Signature`` is the HMAC-SHA256, keyed with the token's UTF-8 bytes, of
    ``{Webhook-Id}.{Webhook-Timestamp}.{body}`` (docs/epcis-subscriptions.md)."""
    signed = (
        f"{arrival.headers['Webhook-Id']}.{arrival.headers['Webhook-Timestamp']}.".encode()
        + arrival.body
    )
    digest = hmac.new(token.encode(), signed, hashlib.sha256).digest()
    expected = "v1," + base64.b64encode(digest).decode()
    return hmac.compare_digest(expected, arrival.headers["GS1-Signature"])


def event_ids(document: dict[str, Any]) -> list[str]:
    assert document["type"] == "EPCISQueryDocument"
    return [e["eventID"] for e in document["epcisBody"]["queryResults"]["resultsBody"]["eventList"]]


async def save(client: Any, member: Member, definition: dict[str, Any]) -> httpx.Response:
    return await client.post("/epcis/queries", json=definition, headers=member.headers)


async def shipped_ids(client: Any, member: Member, after: set[str]) -> set[str]:
    """The IDs ``/epcis/events`` gives for shipping events, less those in ``after``."""
    answer = await client.get(
        "/epcis/events", params={"EQ_bizStep": "shipping", "perPage": "500"}, headers=member.headers
    )
    assert answer.status_code == 200, answer.text
    return set(event_ids(answer.json())) - after


async def ship(client: Any, cast: Cast, lot: str) -> None:
    """A batch registered, harvested (no match) and shipped (a match)."""
    batch = (await register(client, cast.producer, lot=lot))["batch"]["id"]
    await record(client, cast.producer, batch, "harvested", {"quantity": kg("5")})
    await record(
        client, cast.producer, batch, "shipped", {"to": cast.distributor.id, "quantity": kg("5")}
    )


async def test_a_named_query_is_saved_read_and_answers_only_its_events(
    client: Any, cast: Cast
) -> None:
    await ship(client, cast, "NQ-1")
    saved = await save(client, cast.authority, SHIPPING)
    assert saved.status_code == 201, saved.text
    assert saved.headers["location"] == "/epcis/queries/shipments"
    read = await client.get("/epcis/queries/shipments", headers=cast.authority.headers)
    assert read.json() == {"name": "shipments", "query": {"EQ_bizStep": "shipping"}}
    listed = await client.get("/epcis/queries", headers=cast.authority.headers)
    assert [q["name"] for q in listed.json()] == ["shipments"]
    events = await client.get("/epcis/queries/shipments/events", headers=cast.authority.headers)
    assert events.status_code == 200, events.text
    found = events.json()["epcisBody"]["queryResults"]["resultsBody"]["eventList"]
    assert len(found) == 1 and found[0]["bizStep"].endswith("BizStep-shipping")
    narrower = await client.get(
        "/epcis/queries/shipments/events",
        params={"EQ_bizStep": "receiving"},
        headers=cast.authority.headers,
    )
    assert narrower.status_code == 400  # a saved query's filters are not changed by a read
    assert narrower.json()["type"] == "epcisException:QueryParameterException"
    # Another agency's names are its own.
    other = await client.get("/epcis/queries/shipments", headers=cast.certifier.headers)
    assert other.status_code == 404
    assert other.json()["type"] == "epcisException:NoSuchResourceException"


async def test_a_query_is_refused_when_made_if_it_could_not_be_answered(
    client: Any, cast: Cast
) -> None:
    again = await save(client, cast.authority, SHIPPING)
    assert again.status_code == 201
    twice = await save(client, cast.authority, SHIPPING)
    assert twice.status_code == 409
    assert twice.json()["type"] == "epcisException:ResourceAlreadyExistsException"
    unknown = await save(client, cast.authority, {"name": "x", "query": {"EQ_colour": "red"}})
    assert unknown.status_code == 400
    assert unknown.json()["type"] == "epcisException:QueryParameterException"
    assert "EQ_colour" in unknown.json()["detail"]
    bad_time = await save(client, cast.authority, {"name": "y", "query": {"GE_eventTime": "soon"}})
    assert bad_time.status_code == 400
    paging = await save(client, cast.authority, {"name": "z", "query": {"perPage": "5"}})
    assert paging.status_code == 400
    vi = await client.post(
        "/epcis/queries",
        json={"name": "x", "query": {"EQ_colour": "red"}},
        headers={**cast.authority.headers, "Accept-Language": "vi"},
    )
    assert vi.json()["lang"] == "vi"
    producer = await save(client, cast.producer, {"name": "mine", "query": {}})
    assert producer.status_code == 403
    listed = await client.get("/epcis/queries", headers=cast.authority.headers)
    assert [q["name"] for q in listed.json()] == ["shipments"]


async def test_a_subscription_is_refused_without_stream_or_schedule_token_or_https(
    client: Any, cast: Cast
) -> None:
    assert (await save(client, cast.authority, SHIPPING)).status_code == 201
    url = "/epcis/queries/shipments/subscriptions"
    cases = [
        {"dest": "https://partner.example/hook", "signatureToken": TOKEN},
        {"dest": "https://partner.example/hook", "signatureToken": TOKEN, "stream": False},
        {"dest": "https://partner.example/hook", "stream": True},
        {"dest": "http://partner.example/hook", "signatureToken": TOKEN, "stream": True},
        {
            "dest": "https://partner.example/hook",
            "signatureToken": TOKEN,
            "stream": True,
            "schedule": {"minute": "5"},
        },
        {
            "dest": "https://partner.example/hook",
            "signatureToken": TOKEN,
            "schedule": {"minute": "75"},
        },
    ]
    for body in cases:
        answer = await client.post(url, json=body, headers=cast.authority.headers)
        assert answer.status_code == 400, (body, answer.text)
        assert answer.json()["type"] == "epcisException:SubscriptionControlsException", body
    listed = await client.get(url, headers=cast.authority.headers)
    assert listed.json() == []
    unknown_query = await client.post(
        "/epcis/queries/none/subscriptions",
        json=cases[0] | {"stream": True},
        headers=cast.authority.headers,
    )
    assert unknown_query.status_code == 404


async def test_a_webhook_stream_gets_every_matching_event_after_it_signed_and_nothing_else(
    client: Any, cast: Cast, delivering: None
) -> None:
    await ship(client, cast, "BEFORE")
    before = await shipped_ids(client, cast.authority, set())
    assert (await save(client, cast.authority, SHIPPING)).status_code == 201
    with receiving() as receiver:
        made = await client.post(
            "/epcis/queries/shipments/subscriptions",
            json={"dest": receiver.url, "signatureToken": TOKEN, "stream": True},
            headers=cast.authority.headers,
        )
        assert made.status_code == 201, made.text
        subscription = made.json()
        assert subscription["stream"] is True and "signatureToken" not in subscription
        for lot in ("AFTER-1", "AFTER-2", "AFTER-3"):
            await ship(client, cast, lot)
        expected = await shipped_ids(client, cast.authority, before)
        assert len(expected) == 3
        got: dict[str, list[str]] = {}
        deadline = asyncio.get_running_loop().time() + 15
        while sum(map(len, got.values())) < 3 and asyncio.get_running_loop().time() < deadline:
            await asyncio.sleep(0.05)
            for arrival in list(receiver.arrivals):
                assert gs1_signed(arrival, TOKEN), arrival.headers
                assert arrival.headers["Content-Type"] == "application/ld+json"
                document = json.loads(arrival.body)
                results = document["epcisBody"]["queryResults"]
                assert results["queryName"] == "shipments"
                assert results["subscriptionID"] == subscription["subscriptionID"]
                got[arrival.headers["Webhook-Id"]] = event_ids(document)
    received = [event for events in got.values() for event in events]
    assert sorted(received) == sorted(expected)  # each once, none before, none unmatched
    shown = await client.get(
        f"/epcis/queries/shipments/subscriptions/{subscription['subscriptionID']}",
        headers=cast.authority.headers,
    )
    assert "lastNotifiedAt" in shown.json()


async def test_events_recorded_while_no_delivery_runs_arrive_once_it_starts(
    client: Any, cast: Cast, ledger: Ledger, fast: Settings
) -> None:
    """As after a restart: the outbox follows the log from where it stopped."""
    assert (await save(client, cast.authority, SHIPPING)).status_code == 201
    with receiving() as receiver:
        made = await client.post(
            "/epcis/queries/shipments/subscriptions",
            json={"dest": receiver.url, "signatureToken": TOKEN, "stream": True},
            headers=cast.authority.headers,
        )
        assert made.status_code == 201, made.text
        await ship(client, cast, "OFFLINE-1")
        await ship(client, cast, "OFFLINE-2")
        expected = await shipped_ids(client, cast.authority, set())
        assert receiver.arrivals == []
        task = asyncio.create_task(keep_delivering(ledger, fast))
        try:
            arrivals = await receiver.arrived(1, within=15)
        finally:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
    received = [e for a in arrivals for e in event_ids(json.loads(a.body))]
    assert sorted(received) == sorted(expected)


async def test_a_deleted_query_ends_its_subscriptions(client: Any, cast: Cast) -> None:
    assert (await save(client, cast.authority, SHIPPING)).status_code == 201
    made = await client.post(
        "/epcis/queries/shipments/subscriptions",
        json={"dest": "https://partner.example/hook", "signatureToken": TOKEN, "stream": True},
        headers=cast.authority.headers,
    )
    assert made.status_code == 201
    hooks = await client.get("/api/v1/webhooks", headers=cast.authority.headers)
    assert hooks.json() == []  # a subscription is not one of the agency's webhooks
    gone = await client.delete("/epcis/queries/shipments", headers=cast.authority.headers)
    assert gone.status_code == 204
    read = await client.get(
        f"/epcis/queries/shipments/subscriptions/{made.json()['subscriptionID']}",
        headers=cast.authority.headers,
    )
    assert read.status_code == 404


async def test_a_schedule_reports_if_empty_and_then_the_new_matches(
    client: Any, cast: Cast, delivering: None
) -> None:
    assert (await save(client, cast.authority, SHIPPING)).status_code == 201
    with receiving() as receiver:
        made = await client.post(
            "/epcis/queries/shipments/subscriptions",
            json={
                "dest": receiver.url,
                "signatureToken": TOKEN,
                "reportIfEmpty": True,
                "schedule": {"second": "0/1"},
            },
            headers=cast.authority.headers,
        )
        assert made.status_code == 201, made.text
        first = await receiver.arrived(1, within=10)
        assert event_ids(json.loads(first[0].body)) == []
        await ship(client, cast, "LATER")
        expected = await shipped_ids(client, cast.authority, set())
        deadline = asyncio.get_running_loop().time() + 10
        seen: set[str] = set()
        while seen != expected and asyncio.get_running_loop().time() < deadline:
            await asyncio.sleep(0.05)
            seen = {e for a in receiver.arrivals for e in event_ids(json.loads(a.body))}
        assert seen == expected
        assert all(gs1_signed(a, TOKEN) for a in receiver.arrivals)


class Socket:
    """A WebSocket client speaking ASGI to the application, in the test's event loop."""

    def __init__(self, app: Any, path: str, query: str, headers: dict[str, str]) -> None:
        self.incoming: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self.outgoing: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        scope = {
            "type": "websocket",
            "asgi": {"version": "3.0"},
            "scheme": "ws",
            "path": path,
            "raw_path": path.encode(),
            "root_path": "",
            "query_string": query.encode(),
            "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()],
            "client": ("127.0.0.1", 5000),
            "server": ("testserver", 80),
            "subprotocols": [],
            "state": {},
            "extensions": {},
        }
        self.incoming.put_nowait({"type": "websocket.connect"})
        self.task = asyncio.create_task(app(scope, self.incoming.get, self.outgoing.put))

    async def next(self, within: float = 10) -> dict[str, Any]:
        return await asyncio.wait_for(self.outgoing.get(), within)

    async def close(self) -> None:
        await self.incoming.put({"type": "websocket.disconnect", "code": 1000})
        await asyncio.wait_for(self.task, 5)


async def test_a_websocket_stream_gets_each_matching_event_as_it_is_recorded(
    client: Any, cast: Cast, fast: Settings, ledger: Ledger
) -> None:
    await ship(client, cast, "WS-BEFORE")
    before = await shipped_ids(client, cast.authority, set())
    assert (await save(client, cast.authority, SHIPPING)).status_code == 201
    app = create_app(fast, ledger=ledger)
    refused = Socket(app, "/epcis/queries/shipments/events", "stream=true", {})
    assert (await refused.next())["type"] == "websocket.close"
    socket = Socket(app, "/epcis/queries/shipments/events", "stream=true", cast.authority.headers)
    assert (await socket.next())["type"] == "websocket.accept"
    try:
        await ship(client, cast, "WS-1")
        await ship(client, cast, "WS-2")
        expected = await shipped_ids(client, cast.authority, before)
        received: list[str] = []
        while len(received) < len(expected):
            message = await socket.next()
            assert message["type"] == "websocket.send", message
            document = json.loads(message["text"])
            assert document["epcisBody"]["queryResults"]["queryName"] == "shipments"
            received += event_ids(document)
        assert sorted(received) == sorted(expected)
    finally:
        await socket.close()
