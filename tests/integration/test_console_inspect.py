"""The officers' console reads the ledger in words: `GET /api/v1/console/search` and
`GET /api/v1/console/batches/{ref}/history`, by the session cookie, in both languages."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from tests.conftest import Cast
from tests.integration.helpers import kg, record, register
from tests.integration.test_inspector_access import INSPECTION
from trace.api.app import create_app
from trace.config import Settings
from trace.store.ledger import Ledger

SEARCH = "/api/v1/console/search"


@pytest.fixture
async def browser(settings: Settings, ledger: Ledger) -> AsyncIterator[httpx.AsyncClient]:
    """A browser's client over https (the service's public URL is, so its cookie is Secure)."""
    transport = httpx.ASGITransport(app=create_app(settings, ledger=ledger))
    async with httpx.AsyncClient(transport=transport, base_url="https://testserver") as http:
        yield http


async def _signed_in(client: httpx.AsyncClient, token: str) -> dict[str, str]:
    """Sign in to the console as the token's person; the client then holds the cookie."""
    answer = await client.post(
        "/api/v1/console/session", json={"token": token, "device": "Máy tính của Minh"}
    )
    assert answer.status_code == 201, answer.text
    return {"X-CSRF-Token": answer.json()["csrf"]}


async def _paddy(client: httpx.AsyncClient, cast: Cast) -> dict[str, Any]:
    made = await register(
        client, cast.producer, product="Thóc ST25", lot="THOC-1", quantity=kg("3000")
    )
    batch = made["batch"]
    shipped = await record(client, cast.producer, batch["id"], "shipped", {"to": cast.processor.id})
    wrong = shipped["record"]["record_hash"]
    await record(
        client, cast.producer, batch["id"], "corrected", {"corrects": wrong, "reason": "Gửi nhầm"}
    )
    await record(client, cast.authority, batch["id"], "inspected", INSPECTION)
    return dict(batch)


async def test_search_rows_name_the_producer_and_province_in_the_asked_language(
    browser: httpx.AsyncClient, cast: Cast
) -> None:
    client = browser
    batch = await _paddy(client, cast)
    await _signed_in(client, cast.authority.token)  # the cookie authenticates, no token sent
    answer = await client.get(SEARCH, params={"q": "thoc st25", "lang": "en"})
    assert answer.status_code == 200, answer.text
    row = answer.json()["batches"][0]
    assert answer.json()["lang"] == "en" and row["id"] == batch["id"]
    assert row["producer"] == "HTX Bưởi Diễn" and row["province"] == "Hà Nội"
    assert row["disposition"] == "conformant" and row["occurred"] == "1 Sep 2026"
    vietnamese = await client.get(SEARCH, params={"q": "thoc"}, headers={"Accept-Language": "vi"})
    assert vietnamese.json()["batches"][0]["disposition"] == "đạt"
    # The API's rules hold: a filter it cannot read is refused, in words.
    refused = await client.get(SEARCH, params={"occurred_from": "hôm qua", "lang": "en"})
    assert refused.status_code == 400 and "occurred_from" in refused.text


async def test_history_says_every_field_names_the_signer_and_sets_corrections_beside(
    browser: httpx.AsyncClient, cast: Cast
) -> None:
    client = browser
    batch = await _paddy(client, cast)
    await _signed_in(client, cast.authority.token)
    path = f"/api/v1/console/batches/{batch['code']}/history"
    english = (await client.get(path, params={"lang": "en"})).json()
    assert english["verdict"] == {
        "intact": True,
        "words": "Intact: the signatures and chain links of all 4 records check.",
        "faults": [],
    }
    first, shipped, correction, inspection = english["records"]
    assert first["kind_words"] == "Batch registered" and first["signer"] == "HTX Bưởi Diễn"
    assert first["occurred"] == "1 Sep 2026, 07:00 (UTC+7)"
    assert {"depth": 0, "label": "Quantity", "value": "3,000 kg"} in first["fields"]
    assert [line["value"] for line in shipped["fields"]] == ["Nhà máy xay"]  # a name, not an id
    assert shipped["corrected_by"] == [correction["seq"]] and correction["corrects"] == 2
    assert inspection["signer"] == "Chi cục QLCL"
    lines = {(line["depth"], line["label"], line["value"]) for line in inspection["fields"]}
    assert (1, "1.", None) in lines and (2, "Value", "0.01") in lines
    assert (0, "Result", "conformant") in lines
    vietnamese = (await client.get(path, headers={"Accept-Language": "vi"})).json()
    assert vietnamese["verdict"]["words"].startswith("Toàn vẹn")
    assert vietnamese["records"][0]["occurred"] == "07:00 01/09/2026 (UTC+7)"


async def test_only_inspectors_read_in_words(browser: httpx.AsyncClient, cast: Cast) -> None:
    client = browser
    batch = await _paddy(client, cast)
    assert (await client.get(SEARCH)).status_code == 401
    await _signed_in(client, cast.producer.token)
    assert (await client.get(SEARCH)).status_code == 403
    history = await client.get(f"/api/v1/console/batches/{batch['id']}/history")
    assert history.status_code == 403
    schema = (await client.get("/schema/openapi.json")).json()
    for route in (SEARCH, "/api/v1/console/batches/{ref}/history"):
        answer = schema["paths"][route]["get"]["responses"]["200"]["content"]
        assert "$ref" in answer["application/json"]["schema"]
