"""Webhooks over HTTP: registering one, a recall notifying its holders, retries, acknowledgement.

The service's delivery task runs in the test's event loop against a real HTTP receiver on
loopback (tests/webhook_receiver.py); the test checks each signature with the secret it
was shown once, as a holder's receiver would.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import time
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from tests.conftest import Cast, Member, make_member
from tests.integration.helpers import kg, record, register
from tests.integration.test_inspector_access import INSPECTION
from tests.integration.test_shopper_reports import CONTACT, fields, send
from tests.webhook_receiver import free_port, receiving, signed_correctly
from trace.api.app import create_app
from trace.config import Settings
from trace.domain.agency import AgencyKind
from trace.notify.delivery import attempt, claim_due, deliver_due, keep_delivering
from trace.notify.outbox import Outbox, queue_notices
from trace.store.ledger import Ledger


@pytest.fixture
def fast(settings: Settings) -> Settings:
    """Loopback allowed, a short poll and a short first retry."""
    return dataclasses.replace(
        settings,
        webhook_allow_loopback=True,
        webhook_poll_seconds=0.1,
        webhook_retry_seconds=0.2,
        webhook_timeout_seconds=2.0,
    )


@pytest.fixture
async def client(fast: Settings, ledger: Ledger) -> AsyncIterator[httpx.AsyncClient]:
    """The application with :func:`fast`'s settings."""
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


async def hook(client: Any, member: Member, url: str, *events: str) -> dict[str, Any]:
    response = await client.post(
        "/api/v1/webhooks", json={"url": url, "events": list(events)}, headers=member.headers
    )
    assert response.status_code == 201, response.text
    return dict(response.json())


async def held_by_distributor(client: Any, cast: Cast) -> dict[str, Any]:
    """A batch the producer made and shipped, received by the distributor."""
    batch = (await register(client, cast.producer, lot="WH-1"))["batch"]
    shipped = {"to": cast.distributor.id, "quantity": kg("1")}
    await record(client, cast.producer, batch["id"], "shipped", shipped)
    await record(client, cast.distributor, batch["id"], "received", {"from": cast.producer.id})
    return dict(batch)


async def recall(client: Any, cast: Cast, batch: str) -> dict[str, Any]:
    response = await client.post(
        "/api/v1/recalls",
        json={"batch": batch, "reason": "Vượt giới hạn cadimi", "severity": "class_1"},
        headers=cast.authority.headers,
    )
    assert response.status_code == 201, response.text
    return dict(response.json())


async def deliveries(client: Any, member: Member, webhook: str) -> list[dict[str, Any]]:
    response = await client.get(f"/api/v1/webhooks/{webhook}/deliveries", headers=member.headers)
    assert response.status_code == 200, response.text
    return list(response.json())


async def settled(client: Any, member: Member, webhook: str) -> list[dict[str, Any]]:
    """The webhook's notices once none is pending (the receiver answers before it is noted)."""
    deadline = time.monotonic() + 5
    while True:
        shown = await deliveries(client, member, webhook)
        if all(d["state"] != "pending" for d in shown) or time.monotonic() > deadline:
            return shown
        await asyncio.sleep(0.05)


async def test_a_recall_reaches_the_holders_webhook_signed_within_seconds(
    client: Any, cast: Cast, delivering: None
) -> None:
    batch = await held_by_distributor(client, cast)
    with receiving() as holder, receiving() as producer:
        made = await hook(client, cast.distributor, holder.url, "recall")
        assert made["secret"].startswith("whsec_") and made["events"] == ["recall"]
        # The producer no longer holds the batch: its webhook hears nothing of the recall.
        await hook(client, cast.producer, producer.url, "recall", "inspection")
        started = time.monotonic()
        recalled = await recall(client, cast, batch["code"])
        [arrival] = await holder.arrived(1, within=5)
        assert arrival.at - started < 5
        assert signed_correctly(arrival, made["secret"])
        assert abs(int(arrival.headers["Webhook-Timestamp"]) - time.time()) < 60
        notice = json.loads(arrival.body)
        assert notice["type"] == "recall" and notice["agency"] == cast.distributor.id
        assert notice["recall"]["id"] == recalled["id"]
        assert notice["recall"]["severity"] == "class_1"
        assert [b["code"] for b in notice["batches"]] == [batch["code"]]
        assert notice["batches"][0]["held"] is True
        await asyncio.sleep(0.3)
        assert producer.arrivals == [] and len(holder.arrivals) == 1

    [shown] = await settled(client, cast.distributor, made["id"])
    assert shown["id"] == arrival.headers["Webhook-Id"]
    assert shown["state"] == "delivered" and shown["attempts"] == 1
    assert shown["delivered_at"] is not None and shown["acknowledged_at"] is None
    assert shown["last_status"] == 204 and shown["body"] == notice

    path = f"/api/v1/webhooks/deliveries/{shown['id']}/ack"
    other = await client.post(path, headers=cast.producer.headers)
    assert other.status_code == 404
    acked = await client.post(path, headers=cast.distributor.headers)
    assert acked.status_code == 200 and acked.json()["acknowledged_at"] is not None
    again = await client.post(path, headers=cast.distributor.headers)
    assert again.json()["acknowledged_at"] == acked.json()["acknowledged_at"]


async def test_a_receiver_that_is_down_gets_the_notice_once_it_is_back(
    client: Any, cast: Cast, delivering: None
) -> None:
    batch = await held_by_distributor(client, cast)
    port = free_port()
    url = f"http://127.0.0.1:{port}/hook"
    made = await hook(client, cast.distributor, url, "recall")
    await recall(client, cast, batch["id"])
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        shown = await deliveries(client, cast.distributor, made["id"])
        if shown and shown[0]["attempts"] >= 2:
            break
        await asyncio.sleep(0.1)
    [waiting] = shown
    assert waiting["state"] == "pending" and waiting["attempts"] >= 2
    assert waiting["last_status"] is None and "Connect" in waiting["last_error"]
    with receiving(port) as holder:
        arrivals = await holder.arrived(1, within=10)
    assert {a.headers["Webhook-Id"] for a in arrivals} == {waiting["id"]}
    assert all(signed_correctly(a, made["secret"]) for a in arrivals)
    [done] = await settled(client, cast.distributor, made["id"])
    assert done["state"] == "delivered" and done["attempts"] > waiting["attempts"]


async def test_webhooks_are_listed_without_secret_refused_off_https_and_deleted(
    client: Any, cast: Cast
) -> None:
    refused = await client.post(
        "/api/v1/webhooks",
        json={"url": "http://example.vn/hook", "events": ["recall"]},
        headers={**cast.distributor.headers, "Accept-Language": "en"},
    )
    assert refused.status_code == 422
    assert "https://" in refused.json()["detail"]
    made = await hook(client, cast.distributor, "https://hooks.example.vn/trace", "recall")
    listed = (await client.get("/api/v1/webhooks", headers=cast.distributor.headers)).json()
    assert listed == [{k: v for k, v in made.items() if k != "secret"}]
    assert (await client.get("/api/v1/webhooks", headers=cast.producer.headers)).json() == []
    gone = await client.delete(f"/api/v1/webhooks/{made['id']}", headers=cast.producer.headers)
    assert gone.status_code == 404
    gone = await client.delete(f"/api/v1/webhooks/{made['id']}", headers=cast.distributor.headers)
    assert gone.status_code == 204
    assert (await client.get("/api/v1/webhooks", headers=cast.distributor.headers)).json() == []


async def test_an_inspection_and_a_shoppers_report_reach_the_webhooks_that_want_them(
    client: Any, cast: Cast, ledger: Ledger, delivering: None
) -> None:
    batch = await held_by_distributor(client, cast)
    hanoi = await make_member(ledger, "Chi cục Hà Nội", AgencyKind.AUTHORITY, province="01")
    with receiving() as producer, receiving() as holder, receiving() as province:
        hooks = {
            "producer": await hook(client, cast.producer, producer.url, "inspection", "report"),
            "holder": await hook(client, cast.distributor, holder.url, "inspection"),
            "province": await hook(client, hanoi, province.url, "report"),
        }
        await record(client, cast.authority, batch["id"], "inspected", INSPECTION)
        sent = await send(client, batch["code"], fields())
        assert sent.status_code in (200, 201, 303), sent.text
        await producer.arrived(2, within=5)
        await holder.arrived(1, within=5)
        await province.arrived(1, within=5)
        await asyncio.sleep(0.3)
    arrived = {
        name: sorted(json.loads(a.body)["type"] for a in receiver.arrivals)
        for name, receiver in (("producer", producer), ("holder", holder), ("province", province))
    }
    assert arrived == {
        "producer": ["inspection", "report"],
        "holder": ["inspection"],
        "province": ["report"],
    }
    for name, receiver in (("producer", producer), ("holder", holder), ("province", province)):
        assert all(signed_correctly(a, hooks[name]["secret"]) for a in receiver.arrivals)
    [report] = [json.loads(a.body) for a in province.arrivals]
    assert report["batch"]["code"] == batch["code"] and report["report"]["problem"] == "fake_label"
    # The shopper's words and contact stay behind the reports API.
    assert CONTACT not in province.arrivals[0].body.decode()
    [inspection] = [json.loads(a.body) for a in holder.arrivals]
    assert inspection["inspection"]["laboratory"] == INSPECTION["laboratory"]
    assert inspection["record"]["inspector"] == cast.authority.id


async def test_a_notice_sent_but_not_noted_is_sent_again_under_the_same_id(
    client: Any, cast: Cast, ledger: Ledger, fast: Settings
) -> None:
    """The service stops after the POST, before it notes the answer: the lease runs out and
    the notice goes again, with the same Webhook-Id, so the receiver can drop the repeat."""
    batch = await held_by_distributor(client, cast)
    short = dataclasses.replace(fast, webhook_timeout_seconds=0.1)  # a lease of 0.3 s
    with receiving() as holder:
        made = await hook(client, cast.distributor, holder.url, "recall")
        await recall(client, cast, batch["id"])
        await queue_notices(ledger, Outbox(short.public_url))
        async with httpx.AsyncClient() as http:
            [claimed] = await claim_due(ledger, short)
            assert await claim_due(ledger, short) == []  # leased: nobody else takes it
            await attempt(http, claimed)  # answered, and then the service "dies"
            await asyncio.sleep(0.4)
            assert await deliver_due(ledger, short, http) == 1
        arrivals = await holder.arrived(2, within=5)
    assert len({a.headers["Webhook-Id"] for a in arrivals}) == 1
    [shown] = await deliveries(client, cast.distributor, made["id"])
    assert shown["state"] == "delivered" and shown["attempts"] == 1


async def test_two_workers_never_claim_the_same_notice(
    client: Any, cast: Cast, ledger: Ledger, fast: Settings
) -> None:
    with receiving() as holder:
        await hook(client, cast.distributor, holder.url, "recall")
        for lot in ("WH-A", "WH-B", "WH-C", "WH-D"):
            made = (await register(client, cast.producer, lot=lot))["batch"]
            shipped = {"to": cast.distributor.id, "quantity": kg("1")}
            await record(client, cast.producer, made["id"], "shipped", shipped)
            await recall(client, cast, made["id"])
        await queue_notices(ledger, Outbox(fast.public_url))
        first, second = await asyncio.gather(claim_due(ledger, fast), claim_due(ledger, fast))
    ids = [c.id for c in first + second]
    assert len(ids) == 4 and len(set(ids)) == 4


async def test_withdrawals_reach_the_authority_and_the_close_reaches_the_holders(
    client: Any, cast: Cast, delivering: None
) -> None:
    batch = await held_by_distributor(client, cast)
    with receiving() as holder, receiving() as office:
        holder_hook = await hook(client, cast.distributor, holder.url, "recall")
        office_hook = await hook(client, cast.authority, office.url, "recall")
        recalled = await recall(client, cast, batch["code"])
        [first] = await holder.arrived(1, within=5)
        assert json.loads(first.body)["type"] == "recall"
        base = f"/api/v1/recalls/{recalled['id']}"
        withdrawal = {"batch": batch["id"], "quantity": kg("1"), "note": "Đã rút khỏi quầy"}
        taken = await client.post(
            f"{base}/withdrawals", json=withdrawal, headers=cast.distributor.headers
        )
        assert taken.status_code == 201, taken.text
        [told] = await office.arrived(1, within=5)
        assert signed_correctly(told, office_hook["secret"])
        step = json.loads(told.body)
        assert step["type"] == "recall_step" and step["agency"] == cast.authority.id
        assert step["step"]["kind"] == "withdrawn" and step["step"]["quantity"] == kg("1")
        assert step["step"]["agency"] == cast.distributor.id
        assert step["recall"]["id"] == recalled["id"]
        closed = await client.post(
            f"{base}/close", json={"note": "Đã thu hồi hết"}, headers=cast.authority.headers
        )
        assert closed.status_code == 201, closed.text
        [_, ended] = await holder.arrived(2, within=5)
        assert json.loads(ended.body)["step"]["kind"] == "recall_closed"
        assert len(office.arrivals) == 1  # the authority is not told of its own close

    # Acknowledging the notice as a holder marks the recall's webhook notice acknowledged.
    acked = await client.post(f"{base}/acknowledge", headers=cast.distributor.headers)
    assert acked.status_code == 200 and acked.json()["acknowledged"] is True
    shown = await settled(client, cast.distributor, holder_hook["id"])
    by_type = {d["body"]["type"]: d for d in shown}
    assert by_type["recall"]["acknowledged_at"] == acked.json()["acknowledged_at"]
    assert by_type["recall_step"]["acknowledged_at"] is None
