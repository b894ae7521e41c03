"""A phone's queue of statements signed offline with the agency's device key.

The phone may send a statement twice (a lost answer, a retry): the same signed statement
is stored once, and the resend gets the first answer. ``POST /api/v1/records/bulk`` sends
the queue at once: one result per statement, in order, each the record or the problem
``POST /api/v1/records`` would answer for it alone.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import dataclasses
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from tests.conftest import Cast, Member, make_member
from tests.integration.helpers import WHEN, kg, register, registration, stored
from trace.api.app import create_app
from trace.api.bulk import MAX_STATEMENTS
from trace.config import Settings
from trace.domain.agency import AgencyKind
from trace.domain.statement import Statement, encode_statement, new_nonce, sign_statement
from trace.store.custody import MasterKey, public_bytes
from trace.store.database import connect
from trace.store.ledger import Ledger

BULK = "/api/v1/records/bulk"


@dataclasses.dataclass(frozen=True)
class Device:
    """A producer's phone: the agency, and the device key it signs with offline."""

    member: Member
    secret: Ed25519PrivateKey

    def sign(
        self, batch: str, kind: str, body: dict[str, Any], occurred_at: str = WHEN
    ) -> dict[str, Any]:
        """A statement signed on the phone, as ``POST /api/v1/records`` takes it."""
        data = encode_statement(
            Statement(
                v=1,
                batch=batch,
                kind=kind,
                occurred_at=occurred_at,
                agency=self.member.id,
                key=self.member.key_id,
                body=body,
                nonce=new_nonce(),
            )
        )
        signature = sign_statement(self.secret, data)
        return {
            "statement": base64.b64encode(data).decode(),
            "signature": base64.b64encode(signature).decode(),
            "key_id": self.member.key_id,
        }


@pytest.fixture
async def device(ledger: Ledger) -> Device:
    secret = Ed25519PrivateKey.generate()
    member = await make_member(
        ledger, "HTX Bưởi Điện Thoại", AgencyKind.PRODUCER, public_key=public_bytes(secret)
    )
    return Device(member, secret)


def forged(signed: dict[str, Any]) -> dict[str, Any]:
    """``signed`` with one bit of its signature changed."""
    signature = bytearray(base64.b64decode(signed["signature"]))
    signature[0] ^= 1
    return {**signed, "signature": base64.b64encode(bytes(signature)).decode()}


async def send(client: httpx.AsyncClient, device: Device, body: dict[str, Any]) -> httpx.Response:
    return await client.post("/api/v1/records", json=body, headers=device.member.headers)


async def bulk(
    client: httpx.AsyncClient, device: Device, statements: list[dict[str, Any]], lang: str = "vi"
) -> list[dict[str, Any]]:
    response = await client.post(
        BULK,
        json={"records": statements},
        headers={**device.member.headers, "Accept-Language": lang},
    )
    assert response.status_code == 200, response.text
    results = response.json()["results"]
    assert len(results) == len(statements)
    return list(results)


async def test_a_resent_statement_is_answered_with_its_record_and_stored_once(
    client: httpx.AsyncClient, ledger: Ledger, device: Device
) -> None:
    batch = str(uuid.uuid4())
    for signed in (
        device.sign(batch, "registered", registration(lot="LAI-1")),
        device.sign(batch, "harvested", {"quantity": kg("40")}),
    ):
        first = await send(client, device, signed)
        assert first.status_code == 201 and first.json()["replayed"] is False
        assert "Idempotent-Replayed" not in first.headers
        before = await stored(ledger)
        again = await send(client, device, signed)
        assert again.status_code == 201, again.text
        assert again.headers["Idempotent-Replayed"] == "true" and again.json()["replayed"] is True
        assert again.json()["record"] == first.json()["record"]
        assert await stored(ledger) == before


async def test_a_resend_after_the_device_key_is_revoked_still_gets_its_record(
    client: httpx.AsyncClient, ledger: Ledger, device: Device
) -> None:
    batch = str(uuid.uuid4())
    signed = device.sign(batch, "registered", registration(lot="LAI-2"))
    first = await send(client, device, signed)
    assert first.status_code == 201, first.text
    revoked = await client.post(
        f"/api/v1/agencies/{device.member.id}/keys/{device.member.key_id}/revoke",
        json={"reason": "Điện thoại bị mất"},
        headers=device.member.headers,
    )
    assert revoked.status_code == 200, revoked.text
    before = await stored(ledger)
    again = await send(client, device, signed)
    assert again.status_code == 201 and again.json()["replayed"] is True
    assert again.json()["record"] == first.json()["record"]
    new = await send(client, device, device.sign(batch, "harvested", {"quantity": kg("1")}))
    assert new.status_code == 422 and new.json()["reason"] == "revoked"
    assert await stored(ledger) == before


async def test_the_same_statement_with_another_signature_is_refused_not_replayed(
    client: httpx.AsyncClient, ledger: Ledger, device: Device
) -> None:
    signed = device.sign(str(uuid.uuid4()), "registered", registration(lot="LAI-3"))
    assert (await send(client, device, signed)).status_code == 201
    before = await stored(ledger)
    refused = await send(client, device, forged(signed))
    assert refused.status_code == 422 and refused.json()["code"] == "invalid_signature"
    assert await stored(ledger) == before


async def test_identical_statements_sent_at_once_are_stored_once(
    client: httpx.AsyncClient, ledger: Ledger, device: Device, settings: Settings
) -> None:
    batch = str(uuid.uuid4())
    assert (await send(client, device, device.sign(batch, "registered", registration()))).is_success
    before = await stored(ledger)
    harvest = device.sign(batch, "harvested", {"quantity": kg("7")})
    # The same process (one writer queue) and another (a second ledger, its own queue).
    async with second_service(settings) as other:
        answers = await asyncio.gather(
            *(send(http, device, harvest) for http in (client, client, other, other))
        )
    assert [a.status_code for a in answers] == [201] * 4, [a.text for a in answers]
    assert sorted(a.json()["replayed"] for a in answers) == [False, True, True, True]
    assert len({a.json()["record"]["position"] for a in answers}) == 1
    assert await stored(ledger) == (before[0] + 1, before[1] + 1)


@dataclasses.dataclass
class _Queue:
    """A phone's queue with one of each: accepted, replayed, refused for each reason."""

    statements: list[dict[str, Any]]
    batch: str
    accepted: list[int]


async def _mixed_queue(client: httpx.AsyncClient, device: Device, cast: Cast) -> _Queue:
    batch = str(uuid.uuid4())
    unregistered = str(uuid.uuid4())
    earlier = device.sign(batch, "registered", registration(lot="HANG-DOI-1"))
    assert (await send(client, device, earlier)).status_code == 201
    others = (await register(client, cast.other_producer, lot="CUA-NGUOI-KHAC"))["batch"]["id"]
    tomorrow = (datetime.now(UTC) + timedelta(days=3)).isoformat(timespec="seconds")
    statements = [
        earlier,  # 0: sent before, its answer lost
        device.sign(batch, "harvested", {"quantity": kg("120")}),  # 1
        forged(device.sign(batch, "harvested", {"quantity": kg("5")})),  # 2: bad signature
        device.sign(others, "harvested", {"quantity": kg("9")}),  # 3: another agency's batch
        device.sign(batch, "harvested", {"quantity": kg("8")}, occurred_at=tomorrow),  # 4
        forged(device.sign(unregistered, "registered", registration(lot="HANG-DOI-2"))),  # 5
        device.sign(unregistered, "harvested", {"quantity": kg("3")}),  # 6: needs 5
        device.sign(
            batch, "packed", {"package_type": "thùng", "count": 10, "quantity": kg("100")}
        ),  # 7
    ]
    return _Queue(statements, batch, accepted=[1, 7])


async def test_each_statement_of_a_queue_gets_its_own_result_in_order(
    client: httpx.AsyncClient, ledger: Ledger, device: Device, cast: Cast
) -> None:
    queue = await _mixed_queue(client, device, cast)
    before = await stored(ledger)
    results = await bulk(client, device, queue.statements, lang="en")
    statuses = [r["status"] for r in results]
    assert statuses == [201, 201, 422, 403, 422, 422, 403, 201], results
    assert [r.get("replayed") for r in results if r["status"] == 201] == [True, False, False]
    codes = [r["problem"]["code"] for r in results if r["status"] != 201]
    assert codes == [
        "invalid_signature",
        "not_permitted",
        "time_out_of_range",
        "invalid_signature",
        "not_permitted",
    ]
    assert results[6]["problem"]["rule"] == "batch_not_registered"
    # The new records, in the order sent, and nothing of the refused ones.
    assert await stored(ledger) == (before[0] + 2, before[1] + 2)
    new = [results[i]["record"] for i in queue.accepted]
    assert [(r["batch"], r["seq"]) for r in new] == [(queue.batch, 2), (queue.batch, 3)]
    assert new[0]["position"] < new[1]["position"]
    assert [r["statement"] for r in new] == [queue.statements[i]["statement"] for i in (1, 7)]
    # Each refusal is the problem the statement alone gets, in the reader's language.
    for i, result in enumerate(results):
        if result["status"] == 201:
            continue
        alone = await client.post(
            "/api/v1/records",
            json=queue.statements[i],
            headers={**device.member.headers, "Accept-Language": "en"},
        )
        assert alone.status_code == result["status"]
        assert alone.json() == result["problem"] and result["problem"]["lang"] == "en"
    report = (await client.get(f"/api/v1/batches/{queue.batch}/verify")).json()
    assert report["intact"] is True and report["records"] == 3 and report["faults"] == []


async def test_a_queue_sent_twice_stores_nothing_new_and_is_answered_replayed(
    client: httpx.AsyncClient, ledger: Ledger, device: Device
) -> None:
    batch = str(uuid.uuid4())
    statements = [
        device.sign(batch, "registered", registration(lot="GUI-LAI")),
        *(device.sign(batch, "harvested", {"quantity": kg(str(n))}) for n in range(1, 6)),
    ]
    first = await bulk(client, device, statements)
    assert [(r["status"], r["replayed"]) for r in first] == [(201, False)] * 6
    assert [r["record"]["seq"] for r in first] == [1, 2, 3, 4, 5, 6]
    before = await stored(ledger)
    again = await bulk(client, device, statements)
    assert [(r["status"], r["replayed"]) for r in again] == [(201, True)] * 6
    assert [r["record"] for r in again] == [r["record"] for r in first]
    assert await stored(ledger) == before
    # Sent at once, twice over: each statement is still stored once.
    both = await asyncio.gather(
        *(bulk(client, device, statements) for _ in range(2)),
    )
    assert all(r["replayed"] for answer in both for r in answer)
    assert await stored(ledger) == before


async def test_a_queue_longer_than_a_group_is_stored_in_the_order_sent(
    settings: Settings, ledger: Ledger, device: Device
) -> None:
    roomy = create_app(dataclasses.replace(settings, max_body_bytes=1024 * 1024), ledger=ledger)
    batches = [str(uuid.uuid4()) for _ in range(3)]
    statements = [device.sign(b, "registered", registration(lot=f"DAI-{i}")) for i, b in
                  enumerate(batches)]  # fmt: skip
    statements += [
        device.sign(batches[n % 3], "harvested", {"quantity": kg(str(n + 1))}) for n in range(150)
    ]
    transport = httpx.ASGITransport(app=roomy)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        results = await bulk(http, device, statements)
        assert all(r["status"] == 201 and not r["replayed"] for r in results)
        positions = [r["record"]["position"] for r in results]
        assert positions == sorted(positions) and len(set(positions)) == len(positions)
        for b in batches:
            report = (await http.get(f"/api/v1/batches/{b}/verify")).json()
            assert report["intact"] is True and report["records"] == 51


async def test_more_statements_than_the_limit_are_refused_naming_it(
    client: httpx.AsyncClient, ledger: Ledger, device: Device
) -> None:
    before = await stored(ledger)
    junk = {"statement": "e30=", "signature": "AA==", "key_id": device.member.key_id}
    response = await client.post(
        BULK, json={"records": [junk] * (MAX_STATEMENTS + 1)}, headers=device.member.headers
    )
    assert response.status_code == 413
    assert response.headers["content-type"].startswith("application/problem+json")
    problem = response.json()
    assert problem["code"] == "too_many_statements" and problem["lang"] == "vi"
    assert problem["limit"] == MAX_STATEMENTS and problem["count"] == MAX_STATEMENTS + 1
    assert str(MAX_STATEMENTS) in problem["detail"]
    assert await stored(ledger) == before


async def test_a_statement_that_is_not_base64_is_refused_alone(
    client: httpx.AsyncClient, ledger: Ledger, device: Device
) -> None:
    batch = str(uuid.uuid4())
    good = device.sign(batch, "registered", registration(lot="B64"))
    results = await bulk(client, device, [{**good, "statement": "không phải base64"}, good])
    assert results[0]["status"] == 422 and results[0]["problem"]["field"] == "statement"
    assert results[1]["status"] == 201


async def test_the_queue_needs_the_agencys_bearer_token(
    client: httpx.AsyncClient, ledger: Ledger, device: Device
) -> None:
    before = await stored(ledger)
    statement = device.sign(str(uuid.uuid4()), "registered", registration(lot="KHONG-THE"))
    response = await client.post(BULK, json={"records": [statement]})
    assert response.status_code == 401 and response.json()["code"] == "unauthenticated"
    assert await stored(ledger) == before


@contextlib.asynccontextmanager
async def second_service(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """The service as a second process runs it: its own ledger handle and writer queue."""
    ledger = Ledger(
        engine=connect(settings.database_url),
        master_key=MasterKey(base64.b64decode(settings.master_key_b64)),
    )
    app = create_app(settings, ledger=ledger)
    try:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://testserver"
        ) as http:
            yield http
    finally:
        await ledger.close()
