"""A recall's steps over HTTP: holders told, goods withdrawn per holder, closed; and the
notices a holder reads and acknowledges."""

from __future__ import annotations

import csv
import io
from typing import Any

from tests.conftest import Cast, make_member
from tests.integration.helpers import kg, record, register, stored
from trace.domain.agency import AgencyKind
from trace.store.ledger import Ledger

REASON = {"reason": "Vượt giới hạn cadimi", "severity": "class_1", "decision_number": "12/QĐ"}


async def _story(client: Any, cast: Cast) -> dict[str, str]:
    """Paddy P milled into rice R, R shipped to and received by the distributor; U apart."""
    paddy = (await register(client, cast.processor, product="Thóc ST25", lot="P-1"))["batch"]
    rice = (await register(client, cast.processor, product="Gạo ST25", lot="R-1"))["batch"]
    other = (await register(client, cast.processor, product="Gạo nếp", lot="U-1"))["batch"]
    milled = {"process": "milling", "inputs": [{"batch": paddy["id"], "quantity": kg("100")}]}
    await record(client, cast.processor, rice["id"], "transformed", milled)
    for batch in (rice, other):
        await record(client, cast.processor, batch["id"], "shipped", {"to": cast.distributor.id})
        received = {"from": cast.processor.id}
        await record(client, cast.distributor, batch["id"], "received", received)
    answer = await client.post(
        "/api/v1/recalls", json={"batch": paddy["id"], **REASON}, headers=cast.authority.headers
    )
    assert answer.status_code == 201, answer.text
    recall = answer.json()
    assert recall["state"] == "issued" and recall["steps"] == []
    return {
        "recall": str(recall["id"]),
        "hash": recall["record_hash"],
        "P": paddy["id"],
        "R": rice["id"],
        "R_code": rice["code"],
        "U": other["id"],
    }


async def test_holders_withdraw_the_authority_follows_and_closes_and_nothing_follows_a_close(
    client: Any, cast: Cast, ledger: Ledger
) -> None:
    ids = await _story(client, cast)
    base = f"/api/v1/recalls/{ids['recall']}"
    authority, distributor = cast.authority.headers, cast.distributor.headers

    notices = (await client.get("/api/v1/recalls/notices", headers=distributor)).json()
    (notice,) = notices["notices"]
    assert notice["recall"]["id"] == int(ids["recall"]) and notice["acknowledged"] is False
    assert notice["recall"]["decision_number"] == "12/QĐ" and notice["recall"]["state"] == "issued"
    assert [(b["id"], b["held"], b["withdrawn"]) for b in notice["batches"]] == [
        (ids["R"], True, "")
    ]
    assert notices["next_cursor"] is None
    mill = (await client.get("/api/v1/recalls/notices", headers=cast.processor.headers)).json()
    assert [b["id"] for b in mill["notices"][0]["batches"]] == [ids["P"]]
    assert (await client.get("/api/v1/recalls/notices", headers=cast.producer.headers)).json()[
        "notices"
    ] == []

    withdrawal = {"batch": ids["R_code"], "quantity": kg("40"), "note": "Đã rút khỏi quầy"}
    keyed = {**distributor, "Idempotency-Key": "rut-1"}
    first = await client.post(f"{base}/withdrawals", json=withdrawal, headers=keyed)
    assert first.status_code == 201, first.text
    step = first.json()
    assert step["kind"] == "withdrawn" and step["batch_id"] == ids["R"]
    assert step["quantity"] == kg("40") and step["agency"]["name"] == "Siêu thị"
    before = await stored(ledger)
    again = await client.post(f"{base}/withdrawals", json=withdrawal, headers=keyed)
    assert again.status_code == 201 and again.headers["idempotent-replayed"] == "true"
    assert again.json() == step and await stored(ledger) == before
    # Not the holder of R; not a batch the recall reaches: refused in words, nothing stored.
    for who, batch, rule in (
        (cast.processor, ids["R"], "not_current_holder"),
        (cast.distributor, ids["U"], "recall_does_not_reach_batch"),
    ):
        body = {"batch": batch, "quantity": kg("1")}
        refused = await client.post(f"{base}/withdrawals", json=body, headers=who.headers)
        assert refused.status_code == 403, refused.text
        assert refused.json()["rule"] == rule and refused.json()["detail"]
    assert await stored(ledger) == before

    told = await client.post(
        f"{base}/notified", json={"note": "Webhook và điện thoại"}, headers=authority
    )
    assert told.status_code == 201, told.text
    shown = told.json()
    assert shown["state"] == "withdrawing"
    assert [s["kind"] for s in shown["steps"]] == ["withdrawn", "recall_notified"]
    reach = (await client.get(f"{base}/reach", headers=authority)).json()
    by_id = {b["id"]: b for b in reach["batches"]}
    assert by_id[ids["R"]]["withdrawn"] is True and by_id[ids["P"]]["withdrawn"] is False
    assert by_id[ids["R"]]["withdrawals"][0]["quantity"] == kg("40")
    assert reach["counts"]["withdrawn"] == 1
    # The rice's page, under the banner of the paddy's recall, says it was taken off sale.
    page = await client.get(f"/b/{ids['R_code']}")
    assert "Siêu thị đã rút khỏi kinh doanh ngày" in page.text and 'class="withdrawn"' in page.text
    table = await client.get(
        f"{base}/reach", headers={**authority, "Accept": "text/csv", "Accept-Language": "vi"}
    )
    rows = list(csv.reader(io.StringIO(table.content.decode("utf-8-sig"))))
    column = rows[0].index("Đã rút khỏi kinh doanh")
    assert {row[1]: row[column] for row in rows[1:]} == {
        reach["batches"][0]["code"]: "",
        ids["R_code"]: "40 KGM",
    }

    ack = await client.post(f"{base}/acknowledge", headers=distributor)
    assert ack.status_code == 200 and ack.json()["acknowledged"] is True
    again_ack = await client.post(f"{base}/acknowledge", headers=distributor)
    assert again_ack.json()["acknowledged_at"] == ack.json()["acknowledged_at"]
    stranger = await client.post(f"{base}/acknowledge", headers=cast.producer.headers)
    assert stranger.status_code == 404

    other = await make_member(ledger, "Chi cục khác", AgencyKind.AUTHORITY)
    foreign = await client.post(f"{base}/close", json={"note": "Xong"}, headers=other.headers)
    assert foreign.status_code == 403 and foreign.json()["rule"] == "not_recall_authority"
    closed = await client.post(
        f"{base}/close", json={"note": "Đã tiêu huỷ toàn bộ"}, headers=authority
    )
    assert closed.status_code == 201 and closed.json()["state"] == "closed"
    late = await client.post(
        f"{base}/withdrawals", json={"batch": ids["R"], "quantity": kg("1")}, headers=distributor
    )
    assert late.status_code == 403 and late.json()["rule"] == "recall_closed"
    listed = await client.get("/api/v1/recalls", params={"state": "closed"}, headers=authority)
    assert [r["id"] for r in listed.json()["recalls"]] == [int(ids["recall"])]
    issued = await client.get("/api/v1/recalls", params={"state": "issued"}, headers=authority)
    assert issued.json()["recalls"] == []


async def test_a_step_signed_elsewhere_meets_the_same_rules(client: Any, cast: Cast) -> None:
    ids = await _story(client, cast)
    # A withdrawal naming no recall, sent to the batch's own events: refused in words.
    body = {"recall": "ab" * 32, "quantity": kg("5")}
    refused = await client.post(
        f"/api/v1/batches/{ids['R']}/events",
        json={"kind": "withdrawn", "occurred_at": "2026-09-02T08:00:00+07:00", "body": body},
        headers=cast.distributor.headers,
    )
    assert refused.status_code == 403 and refused.json()["rule"] == "recall_unknown"
    # The holder of P (the mill) records its withdrawal there, naming the recall's hash.
    await record(
        client, cast.processor, ids["P"], "withdrawn", {"recall": ids["hash"], "quantity": kg("60")}
    )
    shown = await client.get(f"/api/v1/recalls/{ids['recall']}", headers=cast.authority.headers)
    assert shown.json()["state"] == "withdrawing"
    assert shown.json()["steps"][0]["batch_id"] == ids["P"]
