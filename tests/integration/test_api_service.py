"""Service-wide behaviour: problem+json errors, body limits, OpenAPI and its offline docs."""

from __future__ import annotations

import re

import httpx

from tests.conftest import Cast
from tests.integration.helpers import WHEN, registration, stored
from trace.store.ledger import Ledger


async def test_health_answers_with_log_size(client: httpx.AsyncClient) -> None:
    response = await client.get("/healthz")
    assert response.status_code == 200 and response.json() == {"status": "ok", "log_size": 0}


async def test_oversized_body_gets_413_problem_and_stores_nothing(
    client: httpx.AsyncClient, cast: Cast, ledger: Ledger
) -> None:
    huge = registration(category="x" * 100_000)
    response = await client.post(
        "/api/v1/batches",
        json={"occurred_at": WHEN, "body": huge},
        headers={**cast.producer.headers, "Accept-Language": "en"},
    )
    assert response.status_code == 413
    assert response.headers["content-type"].startswith("application/problem+json")
    assert "too large" in response.json()["detail"]
    assert await stored(ledger) == (0, 0)


async def test_malformed_json_is_a_problem_not_a_stack_trace(
    client: httpx.AsyncClient, cast: Cast
) -> None:
    response = await client.post(
        "/api/v1/batches",
        content=b'{"occurred_at": ',
        headers={**cast.producer.headers, "Content-Type": "application/json"},
    )
    assert response.status_code == 400
    assert response.json()["code"] == "bad_request"
    assert "Traceback" not in response.text


async def test_unknown_route_is_a_404_problem_in_vietnamese_by_default(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get("/api/v1/nothing-here")
    assert response.status_code == 404
    assert response.headers["content-language"] == "vi"
    assert "Không tìm thấy" in response.json()["detail"]


async def test_accept_language_picks_english(client: httpx.AsyncClient) -> None:
    response = await client.get(
        "/api/v1/batches/nope", headers={"Accept-Language": "fr;q=0.9, en;q=0.8, vi;q=0.1"}
    )
    assert response.json()["lang"] == "en" and "No batch" in response.json()["detail"]


async def test_openapi_types_every_request_and_response(client: httpx.AsyncClient) -> None:
    spec = (await client.get("/schema/openapi.json")).json()
    operations = [op for path in spec["paths"].values() for op in path.values()]
    assert len(operations) >= 10
    for operation in operations:
        responses = operation["responses"]
        success = [code for code in responses if code.startswith("2")]
        assert success, operation["operationId"]
        for code in success:
            if code != "204":  # No Content
                assert "content" in responses[code], operation["operationId"]
        for media_type, body in operation.get("requestBody", {}).get("content", {}).items():
            if media_type.startswith("image/"):  # a photo's bytes
                assert body["schema"]["format"] == "binary", operation["operationId"]
            else:
                assert media_type in ("application/json", "application/ld+json")
                assert "$ref" in body["schema"], operation["operationId"]
    schemas = spec["components"]["schemas"]
    for name in ("AppendedOut", "RecordOut", "SignedIn", "EventIn", "AgencyIn", "ChainReportOut"):
        assert name in schemas


async def test_interactive_docs_make_no_external_request(client: httpx.AsyncClient) -> None:
    page = await client.get("/schema")
    assert page.status_code == 200
    urls = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert urls, "the docs page loads its assets"
    for url in urls:
        assert url.startswith("/schema/assets/"), url
        assert (await client.get(url)).status_code == 200
    assert "://" not in " ".join(urls)


async def test_revoked_token_no_longer_authenticates(client: httpx.AsyncClient, cast: Cast) -> None:
    url = f"/api/v1/agencies/{cast.producer.id}/tokens"
    listed = (await client.get(url, headers=cast.producer.headers)).json()
    assert [t["person"] for t in listed] == ["admin"] and "token" not in listed[0]
    made = await client.post(url, json={"person": "Chị Lan"}, headers=cast.producer.headers)
    token = made.json()["token"]
    listed = (await client.get(url, headers=cast.producer.headers)).json()
    lan = next(t for t in listed if t["person"] == "Chị Lan")
    revoked = await client.post(f"{url}/{lan['id']}/revoke", headers=cast.operator.headers)
    assert revoked.status_code == 200
    assert next(t for t in revoked.json() if t["id"] == lan["id"])["revoked_at"]
    response = await client.post(
        "/api/v1/batches",
        json={"occurred_at": WHEN, "body": registration()},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 401
