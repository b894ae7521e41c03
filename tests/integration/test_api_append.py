"""The append API: server-signed and client-signed events, idempotency, versions, refusals."""

from __future__ import annotations

import base64
import itertools
import unicodedata
import uuid
from typing import Any

import msgspec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from tests.conftest import Cast
from tests.integration.helpers import WHEN, kg, register, registration, stored
from trace.domain.statement import encode_statement, parse_statement, statement_hash
from trace.store.ledger import Ledger


async def test_registered_batch_is_readable_by_id_and_code(client: Any, cast: Cast) -> None:
    created = await register(client, cast.producer, gtin="8936047000128")
    batch = created["batch"]
    assert batch["version"] == 1 and batch["gtin"] == "08936047000128"
    assert batch["public_path"] == "/01/08936047000128/10/BD-1"
    for ref in (batch["id"], batch["code"], batch["code"].lower()):
        response = await client.get(f"/api/v1/batches/{ref}")
        assert response.status_code == 200 and response.json()["id"] == batch["id"]
    record = created["record"]
    assert record["seq"] == 1 and record["prev"] == "00" * 32 and record["kind"] == "registered"


async def test_records_come_back_in_order_with_links_and_verify(client: Any, cast: Cast) -> None:
    batch = (await register(client, cast.producer))["batch"]["id"]
    for value in ("10", "20", "30"):
        response = await client.post(
            f"/api/v1/batches/{batch}/events",
            json={"kind": "harvested", "occurred_at": WHEN, "body": {"quantity": kg(value)}},
            headers=cast.producer.headers,
        )
        assert response.status_code == 201, response.text
    page = (await client.get(f"/api/v1/batches/{batch}/records?limit=2")).json()
    assert [r["seq"] for r in page["records"]] == [1, 2] and page["next_after"] == 2
    rest = (await client.get(f"/api/v1/batches/{batch}/records?after=2")).json()
    chain = page["records"] + rest["records"]
    assert [r["seq"] for r in chain] == [1, 2, 3, 4]
    for before, after in itertools.pairwise(chain):
        assert after["prev"] == before["record_hash"]
    report = (await client.get(f"/api/v1/batches/{batch}/verify")).json()
    assert report["intact"] is True and report["records"] == 4


async def test_nfd_text_is_stored_as_nfc_and_hashes_like_nfc(client: Any, cast: Cast) -> None:
    nfd = unicodedata.normalize("NFD", "Bưởi Diễn")
    record = (await register(client, cast.producer, product=nfd))["record"]
    stored_bytes = base64.b64decode(record["statement"])
    assert "Bưởi Diễn".encode() in stored_bytes
    assert nfd.encode() not in stored_bytes
    signed = parse_statement(stored_bytes)
    for product in ("Bưởi Diễn", nfd):
        typed = msgspec.structs.replace(signed, body={**signed.body, "product": product})
        assert statement_hash(encode_statement(typed)).hex() == record["statement_hash"]


async def test_retry_with_same_idempotency_key_returns_first_record_and_stores_nothing(
    client: Any, cast: Cast, ledger: Ledger
) -> None:
    batch = (await register(client, cast.producer))["batch"]["id"]
    request = {"kind": "harvested", "occurred_at": WHEN, "body": {"quantity": kg("5")}}
    headers = {**cast.producer.headers, "Idempotency-Key": "harvest-2026-09-01"}
    first = await client.post(f"/api/v1/batches/{batch}/events", json=request, headers=headers)
    before = await stored(ledger)
    again = await client.post(f"/api/v1/batches/{batch}/events", json=request, headers=headers)
    assert again.status_code == first.status_code == 201
    assert again.json()["record"] == first.json()["record"]
    assert again.json()["replayed"] is True and again.headers["Idempotent-Replayed"] == "true"
    assert await stored(ledger) == before


async def test_same_idempotency_key_with_another_body_is_refused(
    client: Any, cast: Cast, ledger: Ledger
) -> None:
    batch = (await register(client, cast.producer))["batch"]["id"]
    headers = {**cast.producer.headers, "Idempotency-Key": "k1"}
    url = f"/api/v1/batches/{batch}/events"
    body = {"kind": "harvested", "occurred_at": WHEN, "body": {"quantity": kg("5")}}
    assert (await client.post(url, json=body, headers=headers)).status_code == 201
    before = await stored(ledger)
    body["body"] = {"quantity": kg("6")}
    refused = await client.post(url, json=body, headers=headers)
    assert refused.status_code == 422
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert refused.json()["code"] == "idempotency_conflict"
    assert await stored(ledger) == before


async def test_retrying_a_registration_with_its_idempotency_key_returns_the_first_batch(
    client: Any, cast: Cast, ledger: Ledger
) -> None:
    request = {"occurred_at": WHEN, "body": registration(gtin="8936047000128")}
    headers = {**cast.producer.headers, "Idempotency-Key": "register-bd-1"}
    first = await client.post("/api/v1/batches", json=request, headers=headers)
    assert first.status_code == 201, first.text
    before = await stored(ledger)
    again = await client.post("/api/v1/batches", json=request, headers=headers)
    assert again.status_code == 201, again.text
    assert again.json()["batch"]["id"] == first.json()["batch"]["id"]
    assert again.json()["record"] == first.json()["record"]
    assert again.json()["replayed"] is True and again.headers["Idempotent-Replayed"] == "true"
    assert await stored(ledger) == before
    request["body"] = registration(gtin="8936047000128", lot="BD-2")
    other = await client.post("/api/v1/batches", json=request, headers=headers)
    assert other.status_code == 422 and other.json()["code"] == "idempotency_conflict"
    assert await stored(ledger) == before


async def test_an_idempotency_key_covers_the_expected_version_and_the_route_sent(
    client: Any, cast: Cast, ledger: Ledger
) -> None:
    batch = (await register(client, cast.producer))["batch"]["id"]
    headers = {**cast.producer.headers, "Idempotency-Key": "harvest-1"}
    url = f"/api/v1/batches/{batch}/events"
    body = {"kind": "harvested", "occurred_at": WHEN, "body": {"quantity": kg("5")}}
    first = await client.post(url, json={**body, "expected_version": 1}, headers=headers)
    assert first.status_code == 201, first.text
    before = await stored(ledger)
    again = await client.post(url, json={**body, "expected_version": 1}, headers=headers)
    assert again.status_code == 201 and again.json()["record"] == first.json()["record"]
    unversioned = await client.post(url, json=body, headers=headers)
    assert unversioned.status_code == 422
    assert unversioned.json()["code"] == "idempotency_conflict"
    elsewhere = await client.post(
        "/api/v1/batches", json={"occurred_at": WHEN, "body": registration()}, headers=headers
    )
    assert elsewhere.status_code == 422 and elsewhere.json()["code"] == "idempotency_conflict"
    assert await stored(ledger) == before


async def test_stale_expected_version_gets_409_with_current_version(
    client: Any, cast: Cast, ledger: Ledger
) -> None:
    batch = (await register(client, cast.producer))["batch"]["id"]
    url = f"/api/v1/batches/{batch}/events"
    ok = {"kind": "harvested", "occurred_at": WHEN, "body": {"quantity": kg("5")}}
    assert (
        await client.post(url, json={**ok, "expected_version": 1}, headers=cast.producer.headers)
    ).status_code == 201
    before = await stored(ledger)
    stale = await client.post(
        url, json={**ok, "expected_version": 1}, headers=cast.producer.headers
    )
    assert stale.status_code == 409
    assert stale.json()["current"] == 2 and stale.json()["code"] == "version_conflict"
    assert await stored(ledger) == before


async def test_invalid_bodies_are_refused_in_the_readers_language(
    client: Any, cast: Cast, ledger: Ledger
) -> None:
    before = await stored(ledger)
    for body, lang, words in (
        ({"product": "Bưởi", "lot": "L1"}, "vi", "- Chưa điền Xuất xứ."),
        (
            {"product": "Bưởi", "lot": "L1", "origin": {"province": "01"}, "x": 1},
            "en",
            "- x is not a field of this event. Its fields are: product, lot, origin,",
        ),
    ):
        response = await client.post(
            "/api/v1/batches",
            json={"occurred_at": WHEN, "body": body},
            headers={**cast.producer.headers, "Accept-Language": lang},
        )
        assert response.status_code == 422
        assert response.headers["content-language"] == lang
        assert words in response.json()["detail"]
    naive = await client.post(
        "/api/v1/batches",
        json={"occurred_at": "2026-09-01T07:00:00", "body": registration()},
        headers=cast.producer.headers,
    )
    assert naive.status_code == 422 and naive.json()["code"] == "invalid_statement"
    assert naive.json()["errors"] == [
        {
            "field": "occurred_at",
            "detail": "Thời điểm diễn ra phải là thời điểm kèm độ lệch so với UTC, như "
            "2026-09-01T07:30:00+07:00.",
        }
    ]
    assert await stored(ledger) == before


async def test_floats_in_a_body_are_refused(client: Any, cast: Cast, ledger: Ledger) -> None:
    batch = (await register(client, cast.producer))["batch"]["id"]
    before = await stored(ledger)
    response = await client.post(
        f"/api/v1/batches/{batch}/events",
        json={
            "kind": "harvested",
            "occurred_at": WHEN,
            "body": {"quantity": {"value": 12.5, "unit": "KGM"}},
        },
        headers={**cast.producer.headers, "Accept-Language": "en"},
    )
    # Named where it is, with how to write it: a decimal string.
    assert response.status_code == 422 and response.json()["code"] == "invalid_body"
    [error] = response.json()["errors"]
    assert error["field"] == "body.quantity.value"
    assert error["detail"] == (
        'Quantity › Value must be a number written as text, like "1200.5": no sign, at most 6 '
        "decimals."
    )
    assert await stored(ledger) == before


async def test_duplicate_gtin_and_lot_is_refused(client: Any, cast: Cast) -> None:
    await register(client, cast.producer, gtin="8936047000128", lot="L-7")
    response = await client.post(
        "/api/v1/batches",
        json={"occurred_at": WHEN, "body": registration(gtin="08936047000128", lot="L-7")},
        headers=cast.producer.headers,
    )
    assert response.status_code == 409 and response.json()["code"] == "duplicate_lot"


async def test_wrong_gtin_check_digit_is_refused(client: Any, cast: Cast) -> None:
    response = await client.post(
        "/api/v1/batches",
        json={"occurred_at": WHEN, "body": registration(gtin="8936047000129")},
        headers={**cast.producer.headers, "Accept-Language": "en"},
    )
    assert response.status_code == 422 and response.json()["code"] == "invalid_body"
    assert response.json()["errors"] == [
        {
            "field": "body.gtin",
            "detail": "GTIN: the check digit of 8936047000129 is wrong. Compare it with the "
            "code on the package.",
        }
    ]


async def test_an_agency_without_a_custodial_key_is_told_to_sign_itself(
    client: Any, ledger: Ledger
) -> None:
    from tests.conftest import make_member
    from trace.domain.agency import AgencyKind

    external = await make_member(
        ledger,
        "HTX tự ký",
        AgencyKind.PRODUCER,
        public_key=Ed25519PrivateKey.generate().public_key().public_bytes_raw(),
    )
    response = await client.post(
        "/api/v1/batches",
        json={"occurred_at": WHEN, "body": registration()},
        headers={**external.headers, "Accept-Language": "en"},
    )
    assert response.status_code == 422
    assert "python -m trace sign" in response.json()["detail"]


async def test_unknown_batch_id_in_a_url_is_a_404_problem(client: Any, cast: Cast) -> None:
    response = await client.post(
        f"/api/v1/batches/{uuid.uuid4()}/events",
        json={"kind": "harvested", "occurred_at": WHEN, "body": {"quantity": kg("1")}},
        headers=cast.producer.headers,
    )
    assert response.status_code == 404 and response.json()["code"] == "not_found"


async def test_a_record_garbled_in_the_database_is_shown_and_reported_not_a_500(
    client: Any, cast: Cast, ledger: Ledger
) -> None:
    from sqlalchemy import update

    from trace.store.tables import records

    batch = (await register(client, cast.producer))["batch"]["id"]
    async with ledger.engine.begin() as conn:
        if conn.dialect.name == "sqlite":
            await conn.exec_driver_sql("DROP TRIGGER records_no_update")
        else:
            await conn.exec_driver_sql("ALTER TABLE records DISABLE TRIGGER records_append_only")
        await conn.execute(update(records).values(statement=b"\xffnot json"))
    page = await client.get(f"/api/v1/batches/{batch}/records")
    assert page.status_code == 200 and page.json()["records"][0]["kind"] == ""
    report = (
        await client.get(f"/api/v1/batches/{batch}/verify", headers={"Accept-Language": "en"})
    ).json()
    assert report["intact"] is False
    assert "record 1 was changed after it was signed" in [f["message"] for f in report["faults"]]
