"""A batch's full history: records in seq order, each with a proof bundle that checks offline."""

from __future__ import annotations

import itertools
import json

import httpx

from tests.conftest import Cast
from tests.integration.helpers import kg, record, register
from trace.domain.bundle import verify_bundle
from trace.domain.note import parse_verifier_key


async def history(client: httpx.AsyncClient, ref: str, **params: object) -> dict[str, object]:
    response = await client.get(f"/api/v1/batches/{ref}/records", params=params)
    assert response.status_code == 200, response.text
    return dict(response.json())


async def test_each_record_comes_with_a_bundle_that_verifies_against_the_pinned_log_key(
    client: httpx.AsyncClient, cast: Cast
) -> None:
    batch = (await register(client, cast.producer))["batch"]
    for value in ("1", "2", "3"):
        await record(client, cast.producer, batch["id"], "harvested", {"quantity": kg(value)})
    log_key = parse_verifier_key((await client.get("/api/v1/log/key")).text.splitlines()[0])
    page = await history(client, batch["code"])
    records = page["records"]
    assert isinstance(records, list) and [r["seq"] for r in records] == [1, 2, 3, 4]
    for before, after in itertools.pairwise(records):
        assert after["prev"] == before["record_hash"]
    checkpoints = set()
    for view in records:
        bundle = view["bundle"]
        assert bundle["format"] == "trace.proof-bundle/v1"
        assert bundle["statement"] == view["statement"] and bundle["signature"] == view["signature"]
        verified = verify_bundle(json.dumps(bundle).encode(), log_key=log_key)
        assert verified.record.seq == view["seq"] and verified.record.position == view["position"]
        assert verified.record.record_hash == view["record_hash"] and verified.log_key_pinned
        checkpoints.add(bundle["checkpoint"])
    assert len(checkpoints) == 1  # one checkpoint, covering every record of the page


async def test_pages_continue_with_next_after_and_records_appended_meanwhile(
    client: httpx.AsyncClient, cast: Cast
) -> None:
    batch = (await register(client, cast.producer))["batch"]["id"]
    for value in ("1", "2"):
        await record(client, cast.producer, batch, "harvested", {"quantity": kg(value)})
    first = await history(client, batch, limit=2)
    assert [r["seq"] for r in first["records"]] == [1, 2] and first["next_after"] == 2
    await record(client, cast.producer, batch, "packed", {"package_type": "Thùng", "count": 4})
    rest = await history(client, batch, after=first["next_after"], limit=2)
    assert [r["seq"] for r in rest["records"]] == [3, 4] and rest["next_after"] is None
    assert rest["records"][1]["kind"] == "packed" and rest["records"][1]["bundle"] is not None
    assert rest["records"][1]["bundle"]["inclusion"]["tree_size"] > rest["records"][1]["position"]


async def test_proofs_can_be_left_out_and_the_history_stays_public(
    client: httpx.AsyncClient, cast: Cast
) -> None:
    batch = (await register(client, cast.producer))["batch"]["id"]
    bare = await history(client, batch, proofs="false")
    assert bare["records"][0]["bundle"] is None and bare["records"][0]["statement"]
    with_token = await client.get(
        f"/api/v1/batches/{batch}/records", headers=cast.distributor.headers
    )
    assert with_token.status_code == 200
    wrong = await client.get(
        f"/api/v1/batches/{batch}/records", headers={"Authorization": "Bearer trc_unknown"}
    )
    assert wrong.status_code == 401  # a token sent must be a valid one
