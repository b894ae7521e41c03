"""Every permission rule, end to end: the forbidden action gets 403 and stores nothing."""

from __future__ import annotations

import base64
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest

from tests.conftest import Cast, Member
from tests.integration.helpers import WHEN, kg, registration, stored
from trace.domain.statement import Statement, encode_statement, new_nonce, sign_statement
from trace.store.agencies import private_key
from trace.store.database import read_transaction
from trace.store.ledger import Ledger


class World:
    """The client, the agencies and a registered batch of the producer."""

    def __init__(self, client: httpx.AsyncClient, cast: Cast, ledger: Ledger) -> None:
        self.client, self.cast, self.ledger = client, cast, ledger

    async def register(self, member: Member, **body: Any) -> str:
        response = await self.client.post(
            "/api/v1/batches",
            json={"occurred_at": WHEN, "body": registration(**body)},
            headers=member.headers,
        )
        assert response.status_code == 201, response.text
        return str(response.json()["batch"]["id"])

    async def event(
        self, member: Member, batch: str, kind: str, body: dict[str, Any]
    ) -> httpx.Response:
        return await self.client.post(
            f"/api/v1/batches/{batch}/events",
            json={"kind": kind, "occurred_at": WHEN, "body": body},
            headers=member.headers,
        )

    async def ok(
        self, member: Member, batch: str, kind: str, body: dict[str, Any]
    ) -> dict[str, Any]:
        response = await self.event(member, batch, kind, body)
        assert response.status_code == 201, response.text
        return dict(response.json())

    async def signed(
        self,
        member: Member,
        *,
        batch: str,
        kind: str,
        body: dict[str, Any],
        agency: str | None = None,
    ) -> httpx.Response:
        """Post a statement signed on the client side with the member's key."""
        async with read_transaction(self.ledger.engine) as conn:
            secret = await private_key(self.ledger, conn, member.key_id)
        data = encode_statement(
            Statement(1, batch, kind, WHEN, agency or member.id, member.key_id, body, new_nonce())
        )
        return await self.client.post(
            "/api/v1/records",
            json={
                "statement": base64.b64encode(data).decode(),
                "signature": base64.b64encode(sign_statement(secret, data)).decode(),
                "key_id": member.key_id,
            },
            headers=member.headers,
        )


Attempt = Callable[[], Awaitable[httpx.Response]]
# A scenario makes whatever set-up it needs, then returns the forbidden attempt, not yet made.
Scenario = Callable[[World], Awaitable[Attempt]]


async def producer_records_inspection(w: World) -> Attempt:
    batch = await w.register(w.cast.producer)
    return lambda: w.event(
        w.cast.producer,
        batch,
        "inspected",
        {
            "laboratory": "Phòng thử nghiệm",
            "samples": [{"code": "M1"}],
            "analytes": [
                {
                    "name": "Pb",
                    "value": "0.01",
                    "limit": "0.1",
                    "unit": "mg/kg",
                    "method": "ICP-MS",
                    "result": "conformant",
                }
            ],
            "result": "conformant",
        },
    )


async def distributor_registers_batch(w: World) -> Attempt:
    return lambda: w.client.post(
        "/api/v1/batches",
        json={"occurred_at": WHEN, "body": registration()},
        headers=w.cast.distributor.headers,
    )


async def processor_records_recall(w: World) -> Attempt:
    batch = await w.register(w.cast.producer)
    return lambda: w.event(
        w.cast.processor, batch, "recalled", {"reason": "x", "severity": "class_1"}
    )


async def certifier_ships(w: World) -> Attempt:
    batch = await w.register(w.cast.producer)
    return lambda: w.event(w.cast.certifier, batch, "shipped", {"to": w.cast.distributor.id})


async def operator_records_harvest(w: World) -> Attempt:
    batch = await w.register(w.cast.producer)
    return lambda: w.event(w.cast.operator, batch, "harvested", {"quantity": kg("1")})


async def other_producer_records_harvest(w: World) -> Attempt:
    batch = await w.register(w.cast.producer)
    return lambda: w.event(w.cast.other_producer, batch, "harvested", {"quantity": kg("1")})


async def non_holder_ships(w: World) -> Attempt:
    batch = await w.register(w.cast.producer)
    return lambda: w.event(w.cast.distributor, batch, "shipped", {"to": w.cast.processor.id})


async def wrong_recipient_receives(w: World) -> Attempt:
    batch = await w.register(w.cast.producer)
    await w.ok(w.cast.producer, batch, "shipped", {"to": w.cast.processor.id})
    return lambda: w.event(w.cast.distributor, batch, "received", {"from": w.cast.producer.id})


async def recalled_batch_is_shipped(w: World) -> Attempt:
    batch = await w.register(w.cast.producer)
    await w.ok(w.cast.authority, batch, "recalled", {"reason": "Dư lượng", "severity": "class_1"})
    return lambda: w.event(w.cast.producer, batch, "shipped", {"to": w.cast.distributor.id})


async def another_agency_corrects(w: World) -> Attempt:
    batch = await w.register(w.cast.producer)
    record = await w.ok(w.cast.producer, batch, "harvested", {"quantity": kg("1")})
    return lambda: w.event(
        w.cast.authority,
        batch,
        "corrected",
        {
            "corrects": record["record"]["record_hash"],
            "reason": "sai số",
        },
    )


async def processor_uses_input_it_does_not_hold(w: World) -> Attempt:
    paddy = await w.register(w.cast.producer, product="Thóc", lot="T-1")
    rice = await w.register(w.cast.processor, product="Gạo", lot="G-1")
    return lambda: w.event(
        w.cast.processor,
        rice,
        "transformed",
        {
            "process": "milling",
            "inputs": [{"batch": paddy, "quantity": kg("100")}],
        },
    )


async def processor_uses_unknown_input(w: World) -> Attempt:
    rice = await w.register(w.cast.processor, product="Gạo", lot="G-1")
    return lambda: w.event(
        w.cast.processor,
        rice,
        "transformed",
        {
            "process": "milling",
            "inputs": [{"batch": str(uuid.uuid4()), "quantity": kg("100")}],
        },
    )


async def event_on_unregistered_batch(w: World) -> Attempt:
    return lambda: w.signed(
        w.cast.producer, batch=str(uuid.uuid4()), kind="harvested", body={"quantity": kg("1")}
    )


async def batch_registered_twice(w: World) -> Attempt:
    batch = await w.register(w.cast.producer)
    return lambda: w.signed(w.cast.producer, batch=batch, kind="registered", body=registration())


async def statement_names_another_agency(w: World) -> Attempt:
    batch = await w.register(w.cast.producer)
    return lambda: w.signed(
        w.cast.producer,
        batch=batch,
        kind="harvested",
        body={"quantity": kg("1")},
        agency=w.cast.other_producer.id,
    )


async def producer_creates_an_agency(w: World) -> Attempt:
    return lambda: w.client.post(
        "/api/v1/agencies",
        json={"name": "Giả mạo", "kind": "authority"},
        headers=w.cast.producer.headers,
    )


async def producer_makes_token_for_another_agency(w: World) -> Attempt:
    return lambda: w.client.post(
        f"/api/v1/agencies/{w.cast.authority.id}/tokens",
        json={"person": "kẻ gian"},
        headers=w.cast.producer.headers,
    )


async def producer_adds_key_to_another_agency(w: World) -> Attempt:
    return lambda: w.client.post(
        f"/api/v1/agencies/{w.cast.authority.id}/keys", json={}, headers=w.cast.producer.headers
    )


async def producer_revokes_another_agencys_key(w: World) -> Attempt:
    return lambda: w.client.post(
        f"/api/v1/agencies/{w.cast.authority.id}/keys/{w.cast.authority.key_id}/revoke",
        json={"reason": "phá"},
        headers=w.cast.producer.headers,
    )


RULES: list[tuple[Scenario, str, str]] = [
    (producer_records_inspection, "not_permitted", "kind_not_allowed_for_agency"),
    (distributor_registers_batch, "not_permitted", "kind_not_allowed_for_agency"),
    (processor_records_recall, "not_permitted", "kind_not_allowed_for_agency"),
    (certifier_ships, "not_permitted", "kind_not_allowed_for_agency"),
    (operator_records_harvest, "not_permitted", "kind_not_allowed_for_agency"),
    (other_producer_records_harvest, "not_permitted", "not_batch_producer"),
    (non_holder_ships, "not_permitted", "not_current_holder"),
    (wrong_recipient_receives, "not_permitted", "not_shipment_recipient"),
    (recalled_batch_is_shipped, "not_permitted", "batch_recalled"),
    (another_agency_corrects, "not_permitted", "not_original_recorder"),
    (processor_uses_input_it_does_not_hold, "not_permitted", "input_not_held"),
    (processor_uses_unknown_input, "not_permitted", "input_unknown"),
    (event_on_unregistered_batch, "not_permitted", "batch_not_registered"),
    (batch_registered_twice, "not_permitted", "batch_already_registered"),
    (statement_names_another_agency, "not_permitted", "statement_not_yours"),
    (producer_creates_an_agency, "forbidden", "operator_only"),
    (producer_makes_token_for_another_agency, "forbidden", "own_agency_only"),
    (producer_adds_key_to_another_agency, "forbidden", "own_agency_only"),
    (producer_revokes_another_agencys_key, "forbidden", "own_agency_only"),
]


@pytest.mark.parametrize(
    ("scenario", "code", "rule"), RULES, ids=[scenario.__name__ for scenario, _, _ in RULES]
)
async def test_forbidden_action_gets_403_and_stores_nothing(
    client: httpx.AsyncClient, cast: Cast, ledger: Ledger, scenario: Scenario, code: str, rule: str
) -> None:
    world = World(client, cast, ledger)
    attempt = await scenario(world)
    before = await stored(ledger)
    response = await attempt()
    assert response.status_code == 403, response.text
    problem = response.json()
    assert response.headers["content-type"].startswith("application/problem+json")
    assert problem["code"] == code and problem.get("rule") == rule
    assert problem["detail"] and problem["lang"] == "vi"
    assert await stored(ledger) == before


async def test_missing_or_unknown_token_gets_401(client: httpx.AsyncClient, cast: Cast) -> None:
    for headers in ({}, {"Authorization": "Bearer trc_nothing"}, {"Authorization": "Basic x"}):
        response = await client.post(
            "/api/v1/batches", json={"occurred_at": WHEN, "body": registration()}, headers=headers
        )
        assert response.status_code == 401
        assert response.headers["www-authenticate"].startswith("Bearer")
