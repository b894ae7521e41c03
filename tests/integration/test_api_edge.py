"""The edge of every request: JSON bodies, media types and the characters text may hold.

Each refusal is a 4xx problem that names what is wrong, and changes nothing stored, on
SQLite and on PostgreSQL alike (security review of b0cfdce, findings 4 and 7).
"""

from __future__ import annotations

import base64
import json
import uuid
from typing import Any

import httpx
import msgspec
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import func, select

from tests.conftest import Cast, make_member
from tests.integration.helpers import WHEN, register, registration, stored
from trace.domain.agency import AgencyKind
from trace.domain.statement import Statement, encode_statement, sign_statement
from trace.store.append import Appended, append_unsigned, new_batch_id, request_fingerprint
from trace.store.custody import public_bytes
from trace.store.database import read_transaction
from trace.store.errors import IdempotencyConflict
from trace.store.ledger import Ledger
from trace.store.tables import agencies

JSON = {"Content-Type": "application/json"}


def problem(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert "Traceback" not in response.text
    return dict(response.json())


async def agency_count(ledger: Ledger) -> int:
    async with read_transaction(ledger.engine) as conn:
        return int((await conn.execute(select(func.count()).select_from(agencies))).scalar_one())


async def test_a_body_that_is_not_utf8_is_a_400_naming_the_byte(
    client: httpx.AsyncClient, cast: Cast, ledger: Ledger
) -> None:
    body = b'{"occurred_at": "\xff", "body": {}}'
    response = await client.post(
        "/api/v1/batches",
        content=body,
        headers={**cast.producer.headers, **JSON, "Accept-Language": "en"},
    )
    answer = problem(response, 400)
    assert answer["position"] == 17 and "UTF-8" in answer["detail"]
    assert await stored(ledger) == (0, 0)


def nested(depth: int) -> str:
    """JSON objects ``depth`` levels deep (the outermost included)."""
    return '{"a":' * depth + "1" + "}" * depth


async def test_json_nested_deeper_than_32_levels_is_refused_before_it_is_read(
    client: httpx.AsyncClient, cast: Cast, ledger: Ledger
) -> None:
    def request(depth: int) -> bytes:
        # The request object is the first level, its body the second.
        return f'{{"occurred_at": "{WHEN}", "body": {nested(depth - 1)}}}'.encode()

    headers = {**cast.producer.headers, **JSON, "Accept-Language": "en"}
    for depth in (33, 500, 10_000):
        response = await client.post("/api/v1/batches", content=request(depth), headers=headers)
        answer = problem(response, 400)
        assert answer["limit"] == 32 and "32 levels" in answer["detail"]
    # 32 levels are read: this body is then refused for what it says, not for its depth.
    response = await client.post("/api/v1/batches", content=request(32), headers=headers)
    assert problem(response, 422)["code"] == "invalid_body"
    assert await stored(ledger) == (0, 0)


async def test_a_client_signed_statement_nested_2000_levels_is_not_canonical(
    client: httpx.AsyncClient, ledger: Ledger
) -> None:
    key = Ed25519PrivateKey.generate()
    member = await make_member(ledger, "HTX Tự Ký", AgencyKind.PRODUCER, public_bytes(key))
    deep = "[" * 2000 + "]" * 2000
    statement = (
        f'{{"agency":"{member.id}","batch":"{uuid.uuid4()}","body":{{"deep":{deep}}},'
        f'"key":"{member.key_id}","kind":"registered","nonce":"{"0" * 32}",'
        f'"occurred_at":"{WHEN}","v":1}}'
    ).encode()
    signed = {
        "statement": base64.b64encode(statement).decode(),
        "signature": base64.b64encode(sign_statement(key, statement)).decode(),
        "key_id": member.key_id,
    }
    response = await client.post("/api/v1/records", json=signed, headers=member.headers)
    answer = problem(response, 400)
    assert answer["code"] == "not_canonical" and answer["reason"] == "too_deep"
    assert await stored(ledger) == (0, 0)


async def test_an_epcis_event_text_nested_2000_levels_is_an_invalid_body(
    client: httpx.AsyncClient, cast: Cast, ledger: Ledger
) -> None:
    batch = (await register(client, cast.producer))["batch"]["id"]
    before = await stored(ledger)
    body = {"event": "[" * 2000 + "]" * 2000, "event_hash": f"ni:///sha-256;{'0' * 64}?ver=CBV2.0"}
    response = await client.post(
        f"/api/v1/batches/{batch}/events",
        json={"kind": "epcis_event", "occurred_at": WHEN, "body": body},
        headers={**cast.producer.headers, "Accept-Language": "en"},
    )
    [error] = problem(response, 422)["errors"]
    assert error == {
        "field": "body.event",
        "detail": "EPCIS event nests more than 32 levels deep.",
    }
    assert await stored(ledger) == before


async def test_a_nul_in_an_agency_name_is_refused_on_both_databases_naming_the_field(
    client: httpx.AsyncClient, cast: Cast, ledger: Ledger
) -> None:
    before = await agency_count(ledger)
    response = await client.post(
        "/api/v1/agencies",
        json={"name": "HTX\x00Bưởi", "kind": "producer"},
        headers={**cast.operator.headers, "Accept-Language": "en"},
    )
    answer = problem(response, 400)
    assert answer["field"] == "name" and answer["character"] == "U+0000"
    assert "'name'" in answer["detail"]
    assert await agency_count(ledger) == before


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (registration(product="Bưởi\x00Diễn"), "body.product"),
        (registration(category="Trái\x07cây"), "body.category"),
        (
            registration(origin={"province": "01", "commune\x1b": "00091"}),
            "body.origin.commune\x1b",
        ),
    ],
)
async def test_control_characters_in_an_event_body_are_refused_naming_the_field(
    client: httpx.AsyncClient, cast: Cast, ledger: Ledger, body: dict[str, Any], field: str
) -> None:
    response = await client.post(
        "/api/v1/batches", json={"occurred_at": WHEN, "body": body}, headers=cast.producer.headers
    )
    assert problem(response, 400)["field"] == field
    assert await stored(ledger) == (0, 0)


async def test_prose_may_break_lines_and_hold_tabs(client: httpx.AsyncClient, cast: Cast) -> None:
    batch = (await register(client, cast.producer))["batch"]["id"]
    note = "Thu hoạch sáng sớm.\n\tTrời khô ráo."
    response = await client.post(
        f"/api/v1/batches/{batch}/events",
        json={"kind": "harvested", "occurred_at": WHEN, "body": {"quantity": _kg(), "note": note}},
        headers=cast.producer.headers,
    )
    assert response.status_code == 201, response.text
    assert response.json()["record"]["body"]["note"] == note


def _kg() -> dict[str, str]:
    return {"value": "12", "unit": "KGM"}


async def test_a_nul_in_a_client_signed_body_is_refused_by_its_kind(
    client: httpx.AsyncClient, ledger: Ledger
) -> None:
    key = Ed25519PrivateKey.generate()
    member = await make_member(ledger, "HTX Tự Ký", AgencyKind.PRODUCER, public_bytes(key))
    statement = Statement(
        v=1,
        batch=str(uuid.uuid4()),
        kind="registered",
        occurred_at=WHEN,
        agency=member.id,
        key=member.key_id,
        body=registration(product="Bưởi\x00Diễn"),
        nonce="0" * 32,
    )
    data = encode_statement(statement)
    signed = {
        "statement": base64.b64encode(data).decode(),
        "signature": base64.b64encode(sign_statement(key, data)).decode(),
        "key_id": member.key_id,
    }
    response = await client.post("/api/v1/records", json=signed, headers=member.headers)
    answer = problem(response, 422)
    assert answer["code"] == "invalid_body"
    assert [error["field"] for error in answer["errors"]] == ["body.product"]
    assert await stored(ledger) == (0, 0)


@pytest.mark.parametrize(
    ("path", "parameter"),
    [
        ("/api/v1/batches/BD%00", "ref"),
        ("/api/v1/batches/BD%00/records", "ref"),
        ("/api/v1/batches?q=b%00", "q"),
        ("/api/v1/agencies/%00", "agency_id"),
        ("/api/v1/recalls/%00/reach", "ref"),
    ],
)
async def test_a_nul_in_a_path_or_query_parameter_is_a_400_naming_it(
    client: httpx.AsyncClient, cast: Cast, path: str, parameter: str
) -> None:
    answer = problem(await client.get(path, headers=cast.operator.headers), 400)
    assert answer["field"] == parameter and answer["character"] == "U+0000"


REGISTRATION = json.dumps(registration(), ensure_ascii=False)
ORIGIN = '"origin": {"province": "01"}'


@pytest.mark.parametrize(
    ("text", "key"),
    [
        (
            f'{{"occurred_at": "{WHEN}", "occurred_at": "{WHEN}", "body": {REGISTRATION}}}',
            "occurred_at",
        ),
        (
            f'{{"occurred_at": "{WHEN}", "body": '
            f'{{"product": "Bưởi", "lot": "BD-1", "lot": "BD-2", {ORIGIN}}}}}',
            "lot",
        ),
        (
            f'{{"occurred_at": "{WHEN}", "body": '
            '{"product": "Bưởi", "lot": "BD-1", "origin": {"province": "01", "province": "79"}}}',
            "province",
        ),
    ],
)
async def test_a_key_repeated_in_any_object_of_a_body_is_a_400_naming_the_key(
    client: httpx.AsyncClient, cast: Cast, ledger: Ledger, text: str, key: str
) -> None:
    response = await client.post(
        "/api/v1/batches", content=text.encode(), headers={**cast.producer.headers, **JSON}
    )
    answer = problem(response, 400)
    assert answer["code"] == "bad_request" and answer["key"] == key
    assert f"'{key}'" in answer["detail"]
    assert await stored(ledger) == (0, 0)


@pytest.mark.parametrize(
    "content_type",
    ["text/plain", "application/x-www-form-urlencoded", "application/json; charset=latin-1"],
)
async def test_a_body_that_is_not_json_by_its_media_type_is_a_415_naming_what_is_accepted(
    client: httpx.AsyncClient, cast: Cast, ledger: Ledger, content_type: str
) -> None:
    body = msgspec.json.encode({"occurred_at": WHEN, "body": registration()})
    response = await client.post(
        "/api/v1/batches",
        content=body,
        headers={**cast.producer.headers, "Content-Type": content_type, "Accept-Language": "en"},
    )
    answer = problem(response, 415)
    assert answer["accepted"] == "application/json" and "application/json" in answer["detail"]
    assert await stored(ledger) == (0, 0)


async def test_epcis_capture_accepts_json_ld_and_names_both_types_when_refusing(
    client: httpx.AsyncClient, cast: Cast
) -> None:
    response = await client.post(
        "/epcis/capture",
        content=b'{"type": "EPCISDocument"}',
        headers={**cast.producer.headers, "Content-Type": "text/plain"},
    )
    answer = problem(response, 415)
    assert answer["type"] == "epcisException:UnsupportedMediaTypeException"
    assert answer["accepted"] == "application/json, application/ld+json"
    response = await client.post(
        "/epcis/capture",
        content=b'{"type": "EPCISDocument", "type": "EPCISQueryDocument"}',
        headers={**cast.producer.headers, "Content-Type": "application/ld+json"},
    )
    answer = problem(response, 400)
    assert answer["type"] == "epcisException:ValidationException" and answer["key"] == "type"


async def test_a_body_without_content_type_is_read_as_json(
    client: httpx.AsyncClient, cast: Cast
) -> None:
    body = msgspec.json.encode({"occurred_at": WHEN, "body": registration()})
    response = await client.post("/api/v1/batches", content=body, headers=cast.producer.headers)
    assert response.status_code == 201, response.text


async def test_an_empty_idempotency_key_is_a_400_naming_the_header(
    client: httpx.AsyncClient, cast: Cast, ledger: Ledger
) -> None:
    headers = {**cast.producer.headers, "Idempotency-Key": ""}
    response = await client.post(
        "/api/v1/batches", json={"occurred_at": WHEN, "body": registration()}, headers=headers
    )
    assert "Idempotency-Key" in problem(response, 400)["detail"]
    assert await stored(ledger) == (0, 0)


async def test_an_empty_idempotency_key_is_a_key_to_the_store(cast: Cast, ledger: Ledger) -> None:
    # Fuzzing found it: the key was written when empty but looked up only when not, so
    # its second use broke the table's unique key (a 500) instead of being compared.
    async def register(lot: str) -> Appended:
        body = registration(lot=lot)
        return await append_unsigned(
            ledger,
            cast.producer.actor,
            batch=new_batch_id(),
            kind="registered",
            occurred_at=WHEN,
            body=body,
            idempotency_key="",
            fingerprint=request_fingerprint("POST /api/v1/batches", {"body": body}),
        )

    assert not (await register("BD-1")).replayed
    with pytest.raises(IdempotencyConflict):
        await register("BD-2")
    assert await stored(ledger) == (1, 1)
