"""Each error the description documents is what the service sends, status by status.

For a few representative operations (register a batch, record an event, print labels, an
inclusion proof, the inspectors' search), every error status the description documents
is provoked for real, and the answer is checked against the description: the status, the
media type, the body against the documented schema (the problem with its members) and
the documented headers. A 503 comes from a database that cannot be reached: an SQLite
path that is a folder, a PostgreSQL port nobody listens on.
"""

from __future__ import annotations

import base64
import dataclasses
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
import jsonschema
import pytest

from tests.browser.harness import free_port
from tests.conftest import Cast
from tests.integration.helpers import WHEN, kg, register, registration
from trace.api.app import create_app
from trace.config import Settings
from trace.store.custody import MasterKey
from trace.store.database import connect
from trace.store.ledger import Ledger

REGISTER = ("post", "/api/v1/batches")
RECORD = ("post", "/api/v1/batches/{ref}/events")
LABELS = ("get", "/api/v1/batches/{ref}/labels")
INCLUSION = ("get", "/api/v1/log/proof/inclusion")
SEARCH = ("get", "/api/v1/batches")
Operation = tuple[str, str]
Send = Callable[[httpx.AsyncClient], Awaitable[httpx.Response]]


@pytest.fixture
async def spec(client: httpx.AsyncClient) -> dict[str, Any]:
    return dict((await client.get("/schema/openapi.json")).json())


@pytest.fixture
async def unreachable(
    settings: Settings, backend: str, tmp_path: Path, master_key_b64: str
) -> AsyncIterator[httpx.AsyncClient]:
    """The service over a database it cannot reach."""
    if backend == "sqlite":
        folder = tmp_path / "a-folder-not-a-database"
        folder.mkdir()
        url = f"sqlite:///{folder}"
    else:
        url = f"postgresql://postgres@127.0.0.1:{free_port()}/trace"
    ledger = Ledger(engine=connect(url), master_key=MasterKey(base64.b64decode(master_key_b64)))
    app = create_app(dataclasses.replace(settings, database_url=url), ledger=ledger)
    transport = httpx.ASGITransport(app=app)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            yield http
    finally:
        await ledger.close()


def documented_errors(spec: dict[str, Any], operation: Operation) -> set[int]:
    method, path = operation
    responses = spec["paths"][path][method]["responses"]
    return {int(status) for status in responses if status[0] in "45"}


def check_documented(
    spec: dict[str, Any], operation: Operation, answer: httpx.Response, status: int
) -> None:
    """The answer has ``status`` and is what the description documents for it."""
    method, path = operation
    where = f"{method.upper()} {path} {status}"
    assert answer.status_code == status, (where, answer.text)
    documented = spec["paths"][path][method]["responses"][str(status)]
    media_type = answer.headers["content-type"].split(";")[0]
    assert list(documented["content"]) == [media_type], where
    schema = {**documented["content"][media_type]["schema"], "components": spec["components"]}
    jsonschema.Draft202012Validator(schema).validate(answer.json())
    for name, header in documented["headers"].items():
        assert name.lower() in answer.headers or not header["required"], (where, name)
        value = answer.headers.get(name)
        if value is not None:
            jsonschema.Draft202012Validator(header["schema"]).validate(value)
    assert answer.json()["status"] == status, where


def _json(body: object) -> dict[str, Any]:
    return {"json": body}


async def test_every_documented_error_of_representative_operations_is_what_is_sent(
    spec: dict[str, Any],
    client: httpx.AsyncClient,
    unreachable: httpx.AsyncClient,
    cast: Cast,
    settings: Settings,
) -> None:
    batch = (await register(client, cast.producer, lot="BD-1", gtin="8936047000128"))["batch"]
    events = f"/api/v1/batches/{batch['id']}/events"
    labels = f"/api/v1/batches/{batch['id']}/labels"
    harvest = {"kind": "harvested", "occurred_at": WHEN, "body": {"quantity": kg("12")}}
    too_large = b'{"occurred_at": "' + b"9" * settings.max_body_bytes + b'"}'
    producer, other = cast.producer.headers, cast.other_producer.headers
    as_text = {**producer, "Content-Type": "text/plain"}
    as_json = {**producer, "Content-Type": "application/json"}

    def post(path: str, headers: dict[str, str] | None = None, **kw: Any) -> Send:
        return lambda http: http.post(path, headers=headers, **kw)

    def get(path: str, headers: dict[str, str] | None = None, **params: Any) -> Send:
        return lambda http: http.get(path, headers=headers, params=params)

    registration_in = {"occurred_at": WHEN, "body": registration(lot="BD-2")}
    cases: list[tuple[Operation, int, Send]] = [
        (REGISTER, 400, post("/api/v1/batches", as_json, content=b'{"occurred_at":')),
        (REGISTER, 401, post("/api/v1/batches", None, **_json(registration_in))),
        (
            REGISTER,
            403,
            post("/api/v1/batches", cast.distributor.headers, **_json(registration_in)),
        ),
        (
            REGISTER,
            409,
            post(
                "/api/v1/batches",
                producer,
                **_json({"occurred_at": WHEN, "body": registration(gtin="8936047000128")}),
            ),
        ),
        (REGISTER, 413, post("/api/v1/batches", as_json, content=too_large)),
        (REGISTER, 415, post("/api/v1/batches", as_text, content=b"{}")),
        (
            REGISTER,
            422,
            post(
                "/api/v1/batches",
                producer,
                **_json({**registration_in, "occurred_at": "2300-01-01T00:00:00+07:00"}),
            ),
        ),
        (REGISTER, 503, post("/api/v1/batches", producer, **_json(registration_in))),
        (RECORD, 400, post(events, producer, **_json({**harvest, "occurred_at": 7}))),
        (RECORD, 401, post(events, {"Authorization": "Bearer forged"}, **_json(harvest))),
        (RECORD, 403, post(events, other, **_json(harvest))),
        (RECORD, 404, post("/api/v1/batches/B-NOWHERE/events", producer, **_json(harvest))),
        (RECORD, 409, post(events, producer, **_json({**harvest, "expected_version": 7}))),
        (RECORD, 413, post(events, as_json, content=too_large)),
        (RECORD, 415, post(events, as_text, content=b"{}")),
        (RECORD, 422, post(events, producer, **_json({**harvest, "body": {"quantity": 12}}))),
        (RECORD, 503, post(events, producer, **_json(harvest))),
        (LABELS, 400, get(labels, producer, count="many")),
        (LABELS, 401, get(labels)),
        (LABELS, 403, get(labels, other)),
        (LABELS, 404, get("/api/v1/batches/B-NOWHERE/labels", producer)),
        (LABELS, 422, get(labels, producer, template="roll-1x1-9")),
        (LABELS, 503, get(labels, producer)),
        (INCLUSION, 400, get("/api/v1/log/proof/inclusion", position=0)),
        (INCLUSION, 422, get("/api/v1/log/proof/inclusion", position=0, size=999)),
        (INCLUSION, 503, get("/api/v1/log/proof/inclusion", position=0, size=1)),
        (SEARCH, 400, get("/api/v1/batches", cast.authority.headers, limit="all")),
        (SEARCH, 401, get("/api/v1/batches")),
        (SEARCH, 403, get("/api/v1/batches", producer)),
        (SEARCH, 422, get("/api/v1/batches", cast.authority.headers, gtin="8936047000129")),
        (SEARCH, 503, get("/api/v1/batches", cast.authority.headers)),
    ]
    provoked: dict[Operation, set[int]] = {}
    for operation, status, send in cases:
        answer = await send(unreachable if status == 503 else client)
        check_documented(spec, operation, answer, status)
        provoked.setdefault(operation, set()).add(status)
    for operation, statuses in provoked.items():
        assert statuses == documented_errors(spec, operation), operation


async def test_a_problem_shows_the_members_its_failure_has(
    spec: dict[str, Any], client: httpx.AsyncClient, cast: Cast
) -> None:
    batch = (await register(client, cast.producer))["batch"]
    conflict = await client.post(
        f"/api/v1/batches/{batch['id']}/events",
        json={
            "kind": "harvested",
            "occurred_at": WHEN,
            "body": {"quantity": kg("12")},
            "expected_version": 5,
        },
        headers={**cast.producer.headers, "Accept-Language": "en"},
    )
    check_documented(spec, RECORD, conflict, 409)
    problem = conflict.json()
    assert problem["code"] == "version_conflict" and problem["lang"] == "en"
    assert (problem["current"], problem["expected"]) == (1, 5)
    assert re.fullmatch(r"urn:trace:problem:version_conflict", problem["type"])
    documented = set(spec["components"]["schemas"]["Problem"]["properties"])
    assert set(problem) <= documented
    future = await client.post(
        "/api/v1/batches",
        json={"occurred_at": "2300-01-01T00:00:00+07:00", "body": registration(lot="BD-9")},
        headers=cast.producer.headers,
    )
    check_documented(spec, REGISTER, future, 422)
    assert future.json()["reason"] == "window" and future.json()["field"] == "occurred_at"
    assert set(future.json()) <= documented
