"""The times a statement may hold, and readers that answer whatever a stored record holds.

The ledger accepts times from 1970-01-01 to 2199-12-31 with a UTC offset within ±14:00,
and an ``occurred_at`` at most a day ahead of its clock (trace/domain/times.py); anything
else is a 422 that stores nothing. Records stored before that window was enforced, or
changed behind the ledger's back, stay in it for ever: every reader (pages in each
format, the API, projections, EPCIS, open data, labels, the audit) must answer for them,
showing a record it cannot show as such.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import update

from tests.conftest import Cast
from tests.integration.helpers import WHEN, kg, record, register, registration, stored
from tests.integration.readers import read_everything
from tests.integration.test_epcis_capture import capture, document, job_of, observation
from tests.integration.test_tamper import rewrite_statement, tamper
from tests.integration.unchecked import append_unchecked
from trace.config import Settings
from trace.store.append import new_batch_id
from trace.store.ledger import Ledger
from trace.store.tables import records

GTIN = "08936047000128"
OTHER_GTIN = "08936047000135"

# (what is sent, the field the answer names): each is outside the window.
OUTSIDE = [
    ({"occurred_at": "0001-01-01T00:00:00+07:00"}, "occurred_at"),
    ({"occurred_at": "9999-12-31T23:59:59-12:00"}, "occurred_at"),
    ({"occurred_at": "1969-12-31T23:59:59Z"}, "occurred_at"),
    ({"occurred_at": "2026-09-01T07:00:00+14:01"}, "occurred_at"),
    ({"occurred_at": "2026-09-01T07:00:00-23:59"}, "occurred_at"),
    ({"body": {"production_date": "0001-01-01"}}, "body.production_date"),
    ({"body": {"expiry_date": "9999-12-31"}}, "body.expiry_date"),
    ({"body": {"expiry_date": "2200-01-01"}}, "body.expiry_date"),
]


def _problem(response: httpx.Response) -> dict[str, Any]:
    assert response.headers["content-type"].startswith("application/problem+json")
    return dict(response.json())


@pytest.mark.parametrize(("change", "field"), OUTSIDE)
async def test_a_time_outside_the_window_is_refused_and_stores_nothing(
    client: httpx.AsyncClient,
    ledger: Ledger,
    cast: Cast,
    change: dict[str, Any],
    field: str,
) -> None:
    before = await stored(ledger)
    request = {"occurred_at": WHEN, "body": registration()}
    request["occurred_at"] = change.get("occurred_at", WHEN)
    request["body"].update(change.get("body", {}))
    response = await client.post(
        "/api/v1/batches",
        json=request,
        headers={**cast.producer.headers, "Accept-Language": "en"},
    )
    assert response.status_code == 422, response.text
    problem = _problem(response)
    assert problem["code"] == "time_out_of_range"
    assert problem["field"] == field
    assert "1970-01-01" in problem["detail"] or "-14:00" in problem["detail"]
    assert await stored(ledger) == before


async def test_an_event_in_the_future_is_refused_naming_the_devices_clock(
    client: httpx.AsyncClient, ledger: Ledger, cast: Cast
) -> None:
    batch = (await register(client, cast.producer))["batch"]
    before = await stored(ledger)
    tomorrow = (datetime.now(UTC) + timedelta(days=2)).isoformat(timespec="seconds")
    response = await client.post(
        f"/api/v1/batches/{batch['id']}/events",
        json={"kind": "harvested", "occurred_at": tomorrow, "body": {"quantity": kg("1")}},
        headers=cast.producer.headers,
    )
    assert response.status_code == 422, response.text
    problem = _problem(response)
    assert (problem["code"], problem["reason"], problem["field"]) == (
        "time_out_of_range",
        "future",
        "occurred_at",
    )
    assert "thiết bị" in problem["detail"]  # the device's clock, in Vietnamese by default
    assert await stored(ledger) == before


async def test_times_in_nested_bodies_are_checked_too(
    client: httpx.AsyncClient, ledger: Ledger, cast: Cast
) -> None:
    batch = (await register(client, cast.producer))["batch"]
    before = await stored(ledger)
    inspection = {
        "laboratory": "Phòng thí nghiệm",
        "samples": [{"code": "S1", "taken_at": "9999-12-31T23:59:59-12:00"}],
        "analytes": [
            {
                "name": "Chì",
                "value": "0.01",
                "unit": "mg/kg",
                "method": "ICP-MS",
                "result": "conformant",
            }
        ],
        "result": "conformant",
    }
    response = await client.post(
        f"/api/v1/batches/{batch['id']}/events",
        json={"kind": "inspected", "occurred_at": WHEN, "body": inspection},
        headers=cast.authority.headers,
    )
    assert response.status_code == 422, response.text
    assert _problem(response)["field"] == "body.samples[0].taken_at"
    recall = {
        "reason": "Vượt dư lượng",
        "severity": "class_2",
        "effective_at": "0001-01-01T00:00:00Z",
    }
    response = await client.post(
        "/api/v1/recalls", json={"batch": batch["id"], **recall}, headers=cast.authority.headers
    )
    assert response.status_code == 422, response.text
    assert _problem(response)["field"] == "body.effective_at"
    assert await stored(ledger) == before


async def test_the_edges_of_the_window_are_accepted(client: httpx.AsyncClient, cast: Cast) -> None:
    body = registration(production_date="1970-01-01", expiry_date="2199-12-31")
    for occurred_at in (
        "1970-01-01T00:00:00Z",
        "2026-09-01T07:00:00+14:00",
        "2026-09-01T07:00:00-12:00",
    ):
        response = await client.post(
            "/api/v1/batches",
            json={
                "occurred_at": occurred_at,
                "body": {**body, "lot": f"L{len(occurred_at)}{occurred_at[-3:]}"},
            },
            headers=cast.producer.headers,
        )
        assert response.status_code == 201, response.text


async def _strange_ledger(client: httpx.AsyncClient, ledger: Ledger, cast: Cast) -> dict[str, str]:
    """Batches whose records a ledger from before the window would have accepted.

    A (the producer's, with a GTIN): harvests in year 1 and year 9999, a packing with an
    offset of +23:59, a VietGAP certificate valid from year 1 to 9999, a failed inspection
    whose sample was taken in 9999, and a recall dated year 1. B: registered in year 1 with
    dates of year 1 and 9999. C: the processor's, made from A in a record dated 9999.
    """
    producer, authority = cast.producer.actor, cast.authority.actor
    a = (await register(client, cast.producer, gtin=GTIN, lot="A-1"))["batch"]["id"]

    async def unchecked(actor: Any, batch: str, kind: str, when: str, body: dict[str, Any]) -> None:
        await append_unchecked(ledger, actor, batch=batch, kind=kind, occurred_at=when, body=body)

    await unchecked(producer, a, "harvested", "0001-01-01T00:00:00+07:00", {"quantity": kg("5")})
    await unchecked(producer, a, "harvested", "9999-12-31T23:59:59-12:00", {"quantity": kg("6")})
    await unchecked(
        producer, a, "packed", "2026-09-01T07:00:00+23:59", {"package_type": "túi", "count": 2}
    )
    await unchecked(
        cast.certifier.actor,
        a,
        "certified",
        WHEN,
        {
            "scheme": "vietgap",
            "certificate_number": "VG-0001",
            "issuer": "Trung tâm chứng nhận",
            "valid_from": "0001-01-01",
            "valid_until": "9999-12-31",
        },
    )
    await unchecked(
        authority,
        a,
        "inspected",
        WHEN,
        {
            "laboratory": "Phòng thí nghiệm",
            "samples": [{"code": "S1", "taken_at": "9999-12-31T23:59:59-23:59"}],
            "analytes": [
                {
                    "name": "Chlorpyrifos",
                    "value": "0.5",
                    "unit": "mg/kg",
                    "method": "GC-MS",
                    "result": "non_conformant",
                    "limit": "0.05",
                }
            ],
            "result": "non_conformant",
        },
    )
    await record(client, cast.producer, a, "shipped", {"to": cast.processor.id})
    await record(client, cast.processor, a, "received", {"from": cast.producer.id})
    b = new_batch_id()
    await unchecked(
        producer,
        b,
        "registered",
        "0001-01-01T00:00:00+14:00",
        registration(
            product="Chè năm xưa",
            lot="B-1",
            gtin=OTHER_GTIN,
            production_date="0001-01-01",
            expiry_date="9999-12-31",
        ),
    )
    c = (await register(client, cast.processor, product="Bưởi sấy", lot="C-1"))["batch"]["id"]
    await unchecked(
        cast.processor.actor,
        c,
        "transformed",
        "9999-12-31T23:59:59-12:00",
        {"process": "drying", "inputs": [{"batch": a, "quantity": kg("5")}]},
    )
    await unchecked(
        authority,
        a,
        "recalled",
        "0001-01-01T00:00:00Z",
        {
            "reason": "Dư lượng thuốc bảo vệ thực vật vượt mức",
            "severity": "class_1",
            "effective_at": "0001-01-01T00:00:00+14:00",
        },
    )
    return {"a": a, "b": b, "c": c}


async def test_records_stored_before_the_window_break_no_reader(
    client: httpx.AsyncClient, ledger: Ledger, cast: Cast, settings: Settings
) -> None:
    ids = await _strange_ledger(client, ledger, cast)
    recall = (await client.get(f"/api/v1/batches/{ids['a']}/records?proofs=false")).json()
    recall_id = next(r["position"] for r in recall["records"] if r["kind"] == "recalled")
    failures = await read_everything(
        client,
        ledger,
        settings,
        inspector=cast.authority.headers,
        operator=cast.operator.headers,
        producers={ids["a"]: cast.producer.headers, ids["b"]: cast.producer.headers},
        recalls=[recall_id],
    )
    assert failures == []

    # The records are intact: the verdict says so, and each shows as one the page cannot
    # show as it is, at the time it was recorded, with a word on why.
    page = await client.get(f"/01/{GTIN}/10/A-1", headers={"Accept-Language": "en"})
    assert page.status_code == 200
    assert (await client.get(f"/api/v1/batches/{ids['a']}/verify")).json()["intact"] is True
    assert page.text.count("outside the range the ledger accepts") == 6
    # A recall dated year 1 still warns: on its batch and on what was made from it.
    assert 'id="recall-banner"' in page.text
    made = (await client.get(f"/api/v1/batches/{ids['c']}")).json()["public_path"]
    assert 'id="recall-banner"' in (await client.get(made)).text
    reach = (
        await client.get(f"/api/v1/recalls/{recall_id}/reach", headers=cast.authority.headers)
    ).json()
    assert ids["c"] in {b["id"] for b in reach["batches"]}
    # Its certificate, valid "from year 1 to 9999", is not shown as a certificate.
    assert "VG-0001" not in page.text.split('id="timeline"')[0]

    # EPCIS gives the events it can state and moves past the others.
    events = (await client.get("/epcis/events?perPage=500", headers=cast.authority.headers)).json()
    times = [
        e["eventTime"] for e in events["epcisBody"]["queryResults"]["resultsBody"]["eventList"]
    ]
    assert times and all(t[:4] not in ("0001", "9999") for t in times)


async def test_records_changed_behind_the_ledgers_back_break_no_reader(
    client: httpx.AsyncClient, ledger: Ledger, cast: Cast, settings: Settings
) -> None:
    a = (await register(client, cast.producer, gtin=GTIN, lot="A-2"))["batch"]["id"]
    for value in ("1", "2", "3", "4"):
        await record(client, cast.producer, a, "harvested", {"quantity": kg(value)})
    # Bytes that are not UTF-8, bytes that are not JSON, a kind no version knows, and a
    # recording time no calendar holds.
    await rewrite_statement(ledger, a, 2, b'"harvested"', b'"harv\xff\xfe"')
    await rewrite_statement(ledger, a, 3, b'"body":{', b'"body":[{')
    await rewrite_statement(ledger, a, 4, b'"harvested"', b'"teleported"')
    history = (await client.get(f"/api/v1/batches/{a}/records?proofs=false")).json()["records"]
    await tamper(
        ledger,
        update(records)
        .where(records.c.position == history[-1]["position"])
        .values(recorded_at_us=2**62),
    )
    failures = await read_everything(
        client,
        ledger,
        settings,
        inspector=cast.authority.headers,
        operator=cast.operator.headers,
        producers={a: cast.producer.headers},
        intact=False,
    )
    assert failures == []
    page = await client.get(f"/01/{GTIN}/10/A-2", headers={"Accept-Language": "en"})
    assert page.status_code == 200
    assert page.text.count("Damaged record") == 3


@pytest.mark.parametrize(
    ("event_time", "offset", "status"),
    [
        # Outside the window, but an EPCIS event: the one event is refused in the job.
        ("0001-01-01T00:00:00Z", "+00:00", 202),
        ("2099-01-01T00:00:00+07:00", "+07:00", 202),
        # No calendar holds these in UTC: no Event Hash ID, so the document is refused; and
        # the EPCIS schema allows no zone beyond ±14:00.
        ("2026-09-02T09:00:00+07:00", "+23:00", 400),
        ("0001-01-01T00:00:00+07:00", "-05:00", 400),
        ("9999-12-31T23:59:59.9995-12:00", "-12:00", 400),
    ],
)
async def test_a_captured_event_outside_the_window_is_refused(
    client: httpx.AsyncClient,
    ledger: Ledger,
    cast: Cast,
    event_time: str,
    offset: str,
    status: int,
) -> None:
    await register(client, cast.producer, gtin=GTIN.removeprefix("0"), lot="BD-1")
    before = await stored(ledger)
    late = observation(eventTime=event_time, eventTimeZoneOffset=offset)
    answer = await capture(client, cast.producer, document(late), behaviour="proceed")
    assert answer.status_code == status, answer.text
    if status == 202:
        job = await job_of(client, cast.producer, answer)
        assert job["capturedEventIDs"] == []
        assert [e["title"] for e in job["errors"]] == ["time out of range"]
    else:
        assert answer.json()["code"] == "epcis_invalid_document"
    assert await stored(ledger) == before


@pytest.mark.parametrize("value", ["0001-01-01", "9999-12-31", "0001-01-01T00:00:00+07:00"])
async def test_a_search_time_outside_the_window_is_a_400_naming_the_years(
    client: httpx.AsyncClient, cast: Cast, value: str
) -> None:
    answer = await client.get(
        "/api/v1/batches",
        params={"occurred_from": value},
        headers={**cast.authority.headers, "Accept-Language": "en"},
    )
    assert answer.status_code == 400, answer.text
    assert "from 1970 to 2199" in answer.json()["detail"]
