"""EPCIS 2.0 queries over HTTP: every record as its event, the standard filters, pages."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from tests.conftest import Cast
from tests.integration.helpers import kg, stored
from tests.integration.test_epcis_capture import (
    CONTEXT,
    capture,
    document,
    job_of,
    observation,
    official_schema,
)
from trace.domain.event_hash import event_hash_id
from trace.store.ledger import Ledger

BASE = "https://trace.example.vn"
GTIN = "8936047000128"
POMELO = f"https://id.gs1.org/01/0{GTIN}/10/BD-1"
TRACE = [CONTEXT, {"trace": "https://trace.example/voc/"}]


def day(n: int) -> str:
    return f"2026-09-{n:02d}T07:00:00+07:00"


async def at(client: Any, member: Any, batch: str, kind: str, body: Any, when: str) -> Any:
    answer = await client.post(
        f"/api/v1/batches/{batch}/events",
        json={"kind": kind, "occurred_at": when, "body": body},
        headers=member.headers,
    )
    assert answer.status_code == 201, answer.text
    return answer.json()


async def registered(client: Any, member: Any, when: str, **body: Any) -> dict[str, Any]:
    answer = await client.post(
        "/api/v1/batches",
        json={"occurred_at": when, "body": {"origin": {"province": "01"}, **body}},
        headers=member.headers,
    )
    assert answer.status_code == 201, answer.text
    return dict(answer.json()["batch"])


@dataclass
class Story:
    """A pomelo lot from planting to sale, a paddy lot milled into rice, and what was said."""

    pomelo: dict[str, Any]
    paddy: dict[str, Any]
    rice: dict[str, Any]
    harvest_hash: str


async def story(client: httpx.AsyncClient, cast: Cast) -> Story:
    producer, processor = cast.producer, cast.processor
    pomelo = await registered(
        client, producer, day(1), product="Bưởi Diễn", lot="BD-1", gtin=GTIN, quantity=kg("900")
    )
    pid = pomelo["id"]
    await at(client, producer, pid, "planted", {"crop": "Bưởi", "area": "A-1"}, day(2))
    dose = {"value": "2", "unit": "KGM", "per": "HAR"}
    applied = {"input_kind": "fertiliser", "product": "NPK", "dose": dose, "applied_to": "A-1"}
    await at(client, producer, pid, "input_applied", applied, day(3))
    harvest = await at(client, producer, pid, "harvested", {"quantity": kg("880")}, day(4))
    await at(client, producer, pid, "processed", {"process": "Rửa, phân loại"}, day(5))
    packed = {"package_type": "Thùng", "count": 40, "quantity": kg("860")}
    await at(client, producer, pid, "packed", packed, day(6))
    run = await client.post(
        f"/api/v1/batches/{pid}/label-runs", json={"count": 2}, headers=producer.headers
    )
    assert run.status_code in (200, 201), run.text
    certificate = {
        "scheme": "vietgap",
        "certificate_number": "VG-01/2026",
        "issuer": "Trung tâm Chứng nhận",
        "valid_from": "2026-01-01",
        "valid_until": "2028-12-31",
    }
    await at(client, cast.certifier, pid, "certified", certificate, day(7))
    analyte = {
        "name": "Cadimi",
        "value": "0.01",
        "unit": "mg/kg",
        "method": "ICP-MS",
        "result": "conformant",
    }
    inspection = {
        "laboratory": "Phòng thí nghiệm",
        "samples": [{"code": "M-1"}],
        "analytes": [analyte],
        "result": "conformant",
    }
    await at(client, cast.authority, pid, "inspected", inspection, day(8))
    await at(client, producer, pid, "shipped", {"to": cast.distributor.id}, day(9))
    await at(client, cast.distributor, pid, "received", {"from": producer.id}, day(10))
    await at(client, cast.distributor, pid, "sold", {"quantity": kg("10")}, day(11))
    correction = {"corrects": harvest["record"]["record_hash"], "reason": "Cân nhầm"}
    await at(client, producer, pid, "corrected", correction, day(12))
    paddy = await registered(client, processor, day(1), product="Thóc", lot="T-1")
    rice = await registered(client, processor, day(2), product="Gạo", lot="G-1")
    milling = {"process": "milling", "inputs": [{"batch": paddy["id"], "quantity": kg("500")}]}
    await at(client, processor, rice["id"], "transformed", milling, day(3))
    recall = {"reason": "Cadimi", "severity": "class_2"}
    await at(client, cast.authority, paddy["id"], "recalled", recall, day(4))
    return Story(pomelo, paddy, rice, harvest["record"]["record_hash"])


async def events(client: httpx.AsyncClient, cast: Cast, **params: str) -> list[dict[str, Any]]:
    answer = await client.get("/epcis/events", params=params, headers=cast.authority.headers)
    assert answer.status_code == 200, answer.text
    assert answer.headers["gs1-epcis-version"] == "2.0.0"
    return list(answer.json()["epcisBody"]["queryResults"]["resultsBody"]["eventList"])


async def test_every_record_is_an_epcis_event_named_by_its_hash_that_the_schema_accepts(
    client: httpx.AsyncClient, cast: Cast, ledger: Ledger
) -> None:
    schema = official_schema()
    await story(client, cast)
    answer = await client.get(
        "/epcis/events", params={"perPage": "500"}, headers=cast.authority.headers
    )
    assert answer.headers["content-type"].startswith("application/ld+json")
    body = answer.json()
    assert [e.message for e in schema.iter_errors(body)] == []
    found = body["epcisBody"]["queryResults"]["resultsBody"]["eventList"]
    assert len(found) == (await stored(ledger))[0]
    for event in found:
        assert event["eventID"] == event_hash_id(event, body["@context"])
    types = {event["type"] for event in found}
    assert types == {"ObjectEvent", "TransformationEvent"}
    steps = [
        event["bizStep"].rsplit("-", 1)[-1] for event in found if "errorDeclaration" not in event
    ]
    assert steps[:13] == [
        "commissioning",
        "planting",
        "applying_inputs",
        "harvesting",
        "processing",
        "packing",
        "commissioning",
        "certifying",
        "inspecting",
        "shipping",
        "receiving",
        "retail_selling",
        "commissioning",
    ]


async def test_each_kind_carries_its_body_in_standard_fields_and_the_ledgers_namespace(
    client: httpx.AsyncClient, cast: Cast
) -> None:
    await story(client, cast)
    [shipped] = await events(client, cast, EQ_bizStep="shipping")
    producer = f"{BASE}/agencies/{cast.producer.id}"
    distributor = f"{BASE}/agencies/{cast.distributor.id}"
    assert shipped["readPoint"] == {"id": producer} and "bizLocation" not in shipped
    assert shipped["sourceList"] == [{"type": "possessing_party", "source": producer}]
    assert shipped["destinationList"] == [{"type": "possessing_party", "destination": distributor}]
    assert shipped["disposition"] == "https://ref.gs1.org/cbv/Disp-in_transit"
    [received] = await events(client, cast, EQ_bizLocation=distributor)
    assert received["bizStep"] == "https://ref.gs1.org/cbv/BizStep-receiving"
    [inspected] = await events(client, cast, EQ_disposition="conformant")
    assert inspected["trace:laboratory"] == "Phòng thí nghiệm"
    assert inspected["trace:analytes"][0]["trace:name"] == "Cadimi"
    [certified] = await events(
        client, cast, EQ_bizStep="https://trace.example/voc/BizStep-certifying"
    )
    assert certified["certificationInfo"] == f"{BASE}/certificates/vietgap/VG-01%2F2026"
    [milled] = await events(client, cast, eventType="TransformationEvent")
    assert milled["trace:process"] == "milling"
    assert milled["inputQuantityList"][0]["quantity"] == 500
    [registered_pomelo] = await events(client, cast, MATCH_epcClass=POMELO, EQ_action="ADD")
    assert registered_pomelo["ilmd"]["trace:product"] == "Bưởi Diễn"
    assert registered_pomelo["quantityList"] == [
        {"epcClass": POMELO, "quantity": 900, "uom": "KGM"}
    ]


async def test_a_correction_declares_the_corrected_event_erroneous(
    client: httpx.AsyncClient, cast: Cast
) -> None:
    await story(client, cast)
    harvest, declared = await events(
        client, cast, EQ_bizStep="https://trace.example/voc/BizStep-harvesting"
    )
    assert await events(client, cast, EQ_eventID=harvest["eventID"]) == [harvest, declared]
    assert "errorDeclaration" not in harvest
    assert {k: v for k, v in declared.items() if k not in ("errorDeclaration", "recordTime")} == {
        k: v for k, v in harvest.items() if k != "recordTime"
    }
    declaration = declared["errorDeclaration"]
    assert declaration["reason"] == "https://ref.gs1.org/cbv/ER-incorrect_data"
    assert declaration["trace:reason"] == "Cân nhầm"
    assert declaration["declarationTime"] == day(12)
    assert declared["recordTime"] > harvest["recordTime"]


async def test_identifiers_match_written_as_urn_digital_link_or_pattern(
    client: httpx.AsyncClient, cast: Cast
) -> None:
    told = await story(client, cast)
    by_link = await events(client, cast, MATCH_epcClass=POMELO)
    by_urn = await events(client, cast, MATCH_epcClass="urn:epc:class:lgtin:8936047.000012.BD-1")
    # Every pomelo event but the labelling (items, not the class), with the harvest's correction.
    assert by_link == by_urn and len(by_link) == 12
    [labels] = await events(client, cast, MATCH_epc="urn:epc:idpat:sgtin:8936047.000012.*")
    assert labels["action"] == "ADD" and len(labels["epcList"]) == 2
    item = labels["epcList"][0]
    assert await events(client, cast, MATCH_anyEPC=item) == [labels]
    assert await events(client, cast, MATCH_epcClass=item) == []
    paddy = f"{BASE}/b/{told.paddy['code']}"
    assert len(await events(client, cast, MATCH_epcClass=paddy)) == 2  # registered, recalled
    [milled] = await events(client, cast, MATCH_inputEPCClass=paddy)
    assert milled["type"] == "TransformationEvent"
    assert len(await events(client, cast, MATCH_anyEPCClass=paddy)) == 3
    rice = f"{BASE}/b/{told.rice['code']}"
    assert await events(client, cast, MATCH_outputEPCClass=rice) == [milled]
    together = await events(client, cast, MATCH_epcClass=f"{paddy}|{rice}")
    assert len(together) == 3


async def test_times_steps_and_types_select_exactly(client: httpx.AsyncClient, cast: Cast) -> None:
    await story(client, cast)
    everything = await events(client, cast, perPage="500")
    window = await events(
        client, cast, GE_eventTime="2026-09-04T00:00:00Z", LT_eventTime="2026-09-06T07:00:00+07:00"
    )
    # The harvest, the washing, the harvest again as declared erroneous, the paddy's recall.
    assert [e["eventTime"] for e in window] == [day(4), day(5), day(4), day(4)]
    middle = everything[len(everything) // 2]
    later = await events(client, cast, GE_recordTime=middle["recordTime"], perPage="500")
    earlier = await events(client, cast, LT_recordTime=middle["recordTime"], perPage="500")
    assert earlier + later == everything and later[0] == middle
    by_urn = await events(client, cast, EQ_bizStep="urn:epcglobal:cbv:bizstep:shipping")
    assert by_urn == await events(client, cast, EQ_bizStep="shipping") and len(by_urn) == 1
    recalled = await events(client, cast, EQ_disposition="recalled|in_transit")
    assert len(recalled) == 2
    observed = await events(
        client, cast, eventType="ObjectEvent", EQ_action="OBSERVE", perPage="500"
    )
    assert {e["type"] for e in observed} == {"ObjectEvent"} and len(observed) == 12


async def test_pages_follow_the_link_and_stay_exact_while_records_arrive(
    client: httpx.AsyncClient, cast: Cast
) -> None:
    told = await story(client, cast)
    everything = await events(client, cast, perPage="500")
    seen: list[str] = []
    url: str | None = "/epcis/events?perPage=4"
    pages = 0
    while url is not None:
        answer = await client.get(url, headers=cast.authority.headers)
        assert answer.status_code == 200, answer.text
        page = answer.json()["epcisBody"]["queryResults"]["resultsBody"]["eventList"]
        assert len(page) <= 4
        seen.extend(event["eventID"] + event["recordTime"] for event in page)
        pages += 1
        if pages == 2:  # a record appended while paging comes on a later page, once
            await at(
                client, cast.producer, told.pomelo["id"], "processed", {"process": "Bọc"}, day(20)
            )
        link = answer.headers.get("link")
        url = link.split(";")[0].strip("<>") if link else None
    assert len(seen) == len(set(seen)) == len(everything) + 1
    assert seen[: len(everything)] == [e["eventID"] + e["recordTime"] for e in everything]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"EQ_fruit": "buoi"}, "EQ_fruit"),
        ({"WD_bizLocation": "urn:epc:id:sgln:0614141.00777.0"}, "WD_bizLocation"),
        ({"GE_eventTime": "2026-09-01T07:00:00"}, "GE_eventTime"),
        ({"GE_eventTime": "yesterday"}, "GE_eventTime"),
        ({"perPage": "0"}, "perPage"),
        ({"EQ_action": "JUMP"}, "EQ_action"),
        ({"EQ_bizStep": ""}, "EQ_bizStep"),
        ({"nextPageToken": "not-a-token"}, "nextPageToken"),
    ],
)
async def test_a_parameter_not_supported_or_malformed_is_refused(
    client: httpx.AsyncClient, cast: Cast, params: dict[str, str], field: str
) -> None:
    answer = await client.get("/epcis/events", params=params, headers=cast.authority.headers)
    assert answer.status_code == 400
    problem = answer.json()
    assert problem["type"] == "epcisException:QueryParameterException"
    assert problem["field"] == field


async def test_a_page_token_serves_only_its_own_query(
    client: httpx.AsyncClient, cast: Cast
) -> None:
    await story(client, cast)
    first = await client.get(
        "/epcis/events", params={"perPage": "2"}, headers=cast.authority.headers
    )
    token = first.headers["link"].split("nextPageToken=")[1].split(">")[0]
    other = await client.get(
        "/epcis/events",
        params={"perPage": "2", "eventType": "ObjectEvent", "nextPageToken": token},
        headers=cast.authority.headers,
    )
    assert other.status_code == 400 and other.json()["field"] == "nextPageToken"


async def test_only_inspectors_query_events(client: httpx.AsyncClient, cast: Cast) -> None:
    assert (await client.get("/epcis/events")).status_code == 401
    producer = await client.get("/epcis/events", headers=cast.producer.headers)
    assert producer.status_code == 403
    assert producer.json()["type"] == "epcisException:SecurityException"
    for inspector in (cast.authority, cast.certifier, cast.operator):
        answer = await client.get("/epcis/events", headers=inspector.headers)
        assert answer.status_code == 200


async def test_a_captured_event_and_a_recorded_one_are_answered_alike(
    client: httpx.AsyncClient, cast: Cast
) -> None:
    await registered(client, cast.producer, day(1), product="Bưởi", lot="BD-1", gtin=GTIN)
    job = await job_of(
        client, cast.producer, await capture(client, cast.producer, document(observation()))
    )
    [kept] = await events(client, cast, EQ_eventID=job["capturedEventIDs"][0])
    assert kept["bizStep"] == "inspecting" and kept["readPoint"]["id"].startswith("urn:epc:id:sgln")
    assert await events(client, cast, EQ_readPoint="https://id.gs1.org/414/8936047000012") == [kept]


async def test_the_public_pages_epcis_document_names_each_event_by_its_hash(
    client: httpx.AsyncClient, cast: Cast
) -> None:
    await story(client, cast)
    page = await client.get("/01/08936047000128/10/BD-1", headers={"Accept": "application/ld+json"})
    document = page.json()
    for event in document["epcisBody"]["eventList"]:
        assert event["eventID"] == event_hash_id(event, document["@context"])
