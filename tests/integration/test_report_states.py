"""Shoppers' reports as a queue: their readers mark them looked at, closed or turned into an
inspection; nobody else can, and a refused change leaves the report as it was."""

from __future__ import annotations

from typing import Any

import httpx

from tests.conftest import Cast
from tests.integration.helpers import record, register
from tests.integration.test_shopper_reports import HANOI, authority, fields, readable, send
from tests.unit.test_kinds import EXAMPLES
from trace.domain.kinds import EventKind
from trace.store.ledger import Ledger


async def test_readers_move_a_report_through_its_states_and_others_cannot(
    client: httpx.AsyncClient, cast: Cast, ledger: Ledger
) -> None:
    inspector = await authority(ledger, "Chi cục Quản lý chất lượng Hà Nội", HANOI)
    batch = (await register(client, cast.producer))["batch"]
    other = (await register(client, cast.producer, lot="BD-2"))["batch"]
    for code in (batch["code"], batch["code"]):
        sent = await send(client, code, fields())
        assert sent.status_code in (200, 303), sent.text
    first, second = (await readable(client, inspector))["reports"]
    assert first["state"] == "new" and first["state_changed_by"] is None

    async def patch(member: Any, number: int, body: dict[str, Any]) -> httpx.Response:
        return await client.patch(f"/api/v1/reports/{number}", json=body, headers=member.headers)

    looked = await patch(cast.producer, first["id"], {"state": "looked_at", "note": "Đã xem"})
    assert looked.status_code == 200, looked.text
    shown = looked.json()
    assert shown["state"] == "looked_at" and shown["state_changed_by"] == "HTX Bưởi Diễn"
    assert shown["state_note"] == "Đã xem" and shown["state_changed_at"]
    assert looked.headers["cache-control"] == "no-store"

    # Another agency: the report does not exist for it; a bad change is refused in words.
    stranger = await patch(cast.distributor, first["id"], {"state": "closed"})
    assert stranger.status_code == 404
    inspected = await record(
        client, inspector, batch["id"], "inspected", EXAMPLES[EventKind.INSPECTED]
    )
    elsewhere = await record(
        client, inspector, other["id"], "inspected", EXAMPLES[EventKind.INSPECTED]
    )
    for body, reason in (
        ({"state": "inspection"}, "inspection_needed"),
        ({"state": "closed", "inspection": inspected["record"]["position"]}, "inspection_only"),
        (
            {"state": "inspection", "inspection": elsewhere["record"]["position"]},
            "not_an_inspection",
        ),
        ({"state": "new"}, "new"),
    ):
        refused = await patch(inspector, second["id"], body)
        assert refused.status_code == 422, (body, refused.text)
        assert refused.json()["reason"] == reason and refused.json()["detail"]
    assert (await readable(client, inspector, state="new"))["reports"] == [second]

    turned = await patch(
        inspector,
        second["id"],
        {"state": "inspection", "inspection": inspected["record"]["position"]},
    )
    assert turned.status_code == 200, turned.text
    assert turned.json()["inspection"] == inspected["record"]["position"]
    assert turned.json()["state_changed_by"] == "Chi cục Quản lý chất lượng Hà Nội"
    queue = await readable(client, cast.producer, state="inspection")
    assert [r["id"] for r in queue["reports"]] == [second["id"]]
    assert (await readable(client, cast.producer, state="new"))["reports"] == []
