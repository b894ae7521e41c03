"""Numbers in requests: bounded by the columns they are compared with, and proofs that exist.

Security review of b0cfdce: integers of 2^63 and more (2^31 for an ``Integer`` column on
PostgreSQL) answered 500 (finding 4), and a consistency proof "from size 0" answered 200
with an empty proof, which RFC 9162 §2.1.4 does not define (finding 7).
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.conftest import Cast
from tests.integration.helpers import WHEN, register, stored
from trace.store.ledger import Ledger

BEYOND_INT64 = 2**63
BEYOND_INT32 = 2**31


def problem(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    return dict(response.json())


@pytest.mark.parametrize(
    ("path", "parameter"),
    [
        ("/api/v1/batches/{batch}/records?after={int32}", "after"),
        ("/api/v1/batches/{batch}/records?after={int64}", "after"),
        ("/api/v1/log/records?start={int64}&end={int64}", "start"),
        ("/api/v1/log/records/{int64}/bundle", "position"),
        ("/api/v1/log/proof/inclusion?position={int64}&size=1", "position"),
        ("/api/v1/log/proof/consistency?from=1&to={int64}", "to"),
        ("/api/v1/audit/inspector-queries?after={int64}", "after"),
    ],
)
async def test_integers_beyond_their_columns_range_are_a_400_naming_the_parameter(
    client: httpx.AsyncClient, cast: Cast, path: str, parameter: str
) -> None:
    batch = (await register(client, cast.producer))["batch"]["id"]
    url = path.format(batch=batch, int32=BEYOND_INT32, int64=BEYOND_INT64)
    answer = problem(await client.get(url, headers=cast.operator.headers), 400)
    assert answer["code"] == "bad_request" and parameter in answer["detail"]


async def test_the_openapi_shows_each_integer_parameters_bounds(client: httpx.AsyncClient) -> None:
    spec = (await client.get("/schema/openapi.json")).json()
    bounds = {}
    for path, item in spec["paths"].items():
        for operation in item.values():
            for parameter in operation.get("parameters", []):
                schema = parameter["schema"]
                if schema.get("type") == "integer":
                    bounds[(path, parameter["name"])] = schema.get("maximum")
    assert bounds[("/api/v1/batches/{ref}/records", "after")] == 2**31 - 1
    # Log positions and audit ids: BigInteger columns, bounded where JSON stays exact.
    assert bounds[("/api/v1/log/records/{position}/bundle", "position")] == 2**53 - 1
    assert bounds[("/api/v1/audit/inspector-queries", "after")] == 2**53 - 1
    unbounded = [where for where, maximum in bounds.items() if maximum is None]
    assert unbounded == []


async def test_an_expected_version_beyond_the_column_is_a_400(
    client: httpx.AsyncClient, cast: Cast, ledger: Ledger
) -> None:
    batch = (await register(client, cast.producer))["batch"]["id"]
    before = await stored(ledger)
    event = {
        "kind": "harvested",
        "occurred_at": WHEN,
        "body": {"quantity": {"value": "1", "unit": "KGM"}},
        "expected_version": BEYOND_INT64,
    }
    response = await client.post(
        f"/api/v1/batches/{batch}/events", json=event, headers=cast.producer.headers
    )
    assert "expected_version" in problem(response, 400)["detail"]
    assert await stored(ledger) == before


async def test_a_consistency_proof_from_size_0_is_refused_saying_why(
    client: httpx.AsyncClient, cast: Cast
) -> None:
    for lot in ("BD-1", "BD-2"):
        await register(client, cast.producer, lot=lot)
    response = await client.get(
        "/api/v1/log/proof/consistency?from=0&to=2", headers={"Accept-Language": "en"}
    )
    assert response.status_code == 422, response.text
    answer = response.json()
    assert answer["type"] == "urn:trace:problem:proof_range" and answer["reason"] == "from_empty"
    assert "RFC 9162" in answer["detail"] and "empty tree" in answer["detail"]
    response = await client.get("/api/v1/log/proof/consistency?from=2&to=1")
    assert response.status_code == 422 and response.json()["reason"] == "from_after_to"
    for old in (1, 2):
        response = await client.get(f"/api/v1/log/proof/consistency?from={old}&to=2")
        assert response.status_code == 200, response.text


async def test_the_openapi_says_a_consistency_proof_starts_at_size_1(
    client: httpx.AsyncClient,
) -> None:
    spec = (await client.get("/schema/openapi.json")).json()
    parameters = spec["paths"]["/api/v1/log/proof/consistency"]["get"]["parameters"]
    old = next(p for p in parameters if p["name"] == "from")
    assert old["schema"]["minimum"] == 1
