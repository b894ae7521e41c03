"""Agencies' keys at the edge: one owner per public key, revocation times in a sane window.

Security review of b0cfdce, finding 4: a key registered twice answered 500 (the database's
unique key id), and a key revoked "from" year 1 was revoked and then answered 500, as did
every read of its agency afterwards.
"""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta

import httpx
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import func, select, update

from tests.conftest import Cast
from trace.domain.record import to_us
from trace.store.custody import public_bytes
from trace.store.database import read_transaction, write_transaction
from trace.store.ledger import Ledger
from trace.store.tables import agencies, agency_keys


def new_public_key() -> str:
    return base64.b64encode(public_bytes(Ed25519PrivateKey.generate())).decode()


async def counts(ledger: Ledger) -> tuple[int, int]:
    """How many agencies and keys exist: a refusal must move neither."""
    async with read_transaction(ledger.engine) as conn:
        made = (await conn.execute(select(func.count()).select_from(agencies))).scalar_one()
        keys = (await conn.execute(select(func.count()).select_from(agency_keys))).scalar_one()
    return int(made), int(keys)


async def test_an_external_key_registered_again_is_a_409_naming_the_key(
    client: httpx.AsyncClient, cast: Cast, ledger: Ledger
) -> None:
    public_key = new_public_key()
    agency = {"name": "HTX Tự Ký", "kind": "producer", "public_key": public_key}
    first = await client.post("/api/v1/agencies", json=agency, headers=cast.operator.headers)
    assert first.status_code == 201, first.text
    key_id = first.json()["key_id"]
    before = await counts(ledger)
    again = {**agency, "name": "HTX Khác"}
    for lang, words in (("en", "already registered"), ("vi", "đã được đăng ký")):
        headers = {**cast.operator.headers, "Accept-Language": lang}
        response = await client.post("/api/v1/agencies", json=again, headers=headers)
        assert response.status_code == 409, response.text
        answer = response.json()
        assert answer["type"] == "urn:trace:problem:key_registered" and answer["key"] == key_id
        assert words in answer["detail"] and key_id in answer["detail"]
    assert await counts(ledger) == before


async def test_a_key_added_that_another_agency_holds_is_a_409_and_adds_nothing(
    client: httpx.AsyncClient, cast: Cast, ledger: Ledger
) -> None:
    public_key = new_public_key()
    url = f"/api/v1/agencies/{cast.producer.id}/keys"
    added = await client.post(url, json={"public_key": public_key}, headers=cast.producer.headers)
    assert added.status_code == 201, added.text
    before = await counts(ledger)
    for owner in (cast.producer, cast.processor):
        for rotate in (False, True):
            response = await client.post(
                f"/api/v1/agencies/{owner.id}/keys",
                json={"public_key": public_key, "rotate": rotate},
                headers=owner.headers,
            )
            assert response.status_code == 409, response.text
            assert response.json()["key"] == added.json()["key_id"]
    assert await counts(ledger) == before
    # A refused rotation retired nothing: the producer still signs with its custodial key.
    keys = await client.get(f"/api/v1/agencies/{cast.producer.id}", headers=cast.producer.headers)
    custodial = next(k for k in keys.json()["keys"] if k["key_id"] == cast.producer.key_id)
    assert custodial["retired_at"] is None


async def test_a_revocation_outside_the_epoch_to_now_window_is_refused_before_anything_changes(
    client: httpx.AsyncClient, cast: Cast
) -> None:
    agency = f"/api/v1/agencies/{cast.producer.id}"
    url = f"{agency}/keys/{cast.producer.key_id}/revoke"
    tomorrow = (datetime.now(UTC) + timedelta(days=1)).isoformat()
    for moment in ("0001-01-01T00:00:00+07:00", "1969-12-31T23:59:59Z", tomorrow):
        response = await client.post(
            url,
            json={"reason": "lost phone", "revoked_from": moment},
            headers={**cast.operator.headers, "Accept-Language": "en"},
        )
        assert response.status_code == 422, response.text
        answer = response.json()
        assert answer["code"] == "revocation_out_of_range"
        assert "1970-01-01T00:00:00Z" in answer["detail"] and "now" in answer["detail"]
    read = await client.get(agency, headers=cast.operator.headers)
    assert read.status_code == 200
    key = next(k for k in read.json()["keys"] if k["key_id"] == cast.producer.key_id)
    assert key["revoked_at"] is None and key["retired_at"] is None
    # The epoch itself is in the window.
    response = await client.post(
        url,
        json={"reason": "lost phone", "revoked_from": "1970-01-01T00:00:00Z"},
        headers=cast.operator.headers,
    )
    assert response.status_code == 200, response.text
    assert response.json()["revoked_at"] == "1970-01-01T00:00:00Z"
    assert response.json()["revoked_at_us"] == 0


async def test_an_agency_whose_key_was_revoked_from_year_1_before_the_window_still_reads(
    client: httpx.AsyncClient, cast: Cast, ledger: Ledger
) -> None:
    year_1 = to_us(datetime(1, 1, 1, tzinfo=UTC))
    async with write_transaction(ledger.engine) as conn:
        await conn.execute(
            update(agency_keys)
            .where(agency_keys.c.key_id == cast.producer.key_id)
            .values(revoked_at_us=year_1 - 7 * 3600 * 1_000_000, revocation_reason="lost")
        )
    response = await client.get(
        f"/api/v1/agencies/{cast.producer.id}", headers=cast.operator.headers
    )
    assert response.status_code == 200, response.text
    key = next(k for k in response.json()["keys"] if k["key_id"] == cast.producer.key_id)
    assert key["revoked_at"] is None and key["revoked_at_us"] == year_1 - 7 * 3600 * 1_000_000
