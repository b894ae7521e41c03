"""A flow a cooperative's and a mill's own EPCIS systems send, with nothing registered first.

The cooperative commissions a lot of paddy and ships it to the mill; the mill receives it,
mills it with paddy from outside the ledger into two lots (rice and bran), packs the rice
on a pallet (an SSCC) and, in a later document, ships the pallet to a supermarket. The
ledger follows the chain: batches exist, custody moves, trace-back and a recall's reach
go from the paddy to both outputs, and the rice's page names product, lot, producer, place.
"""

from __future__ import annotations

from typing import Any

import httpx

from tests.conftest import Cast
from tests.integration.helpers import stored
from tests.integration.test_epcis_capture import capture, document, job_of, query
from trace.config import Settings
from trace.domain.event_hash import event_hash_id
from trace.store.ledger import Ledger


def gtin(first_twelve: str) -> str:
    """A GTIN-13 (as 14 digits) with its GS1 check digit, computed here, not by the ledger."""
    digits = [int(d) for d in first_twelve]
    total = sum(d * (3 if i % 2 else 1) for i, d in enumerate(digits))
    return "0" + first_twelve + str((10 - total % 10) % 10)


PADDY, RICE, BRAN, OUTSIDE = (gtin(f"89360470001{n}") for n in "1234")
COOP_SITE, MILL_SITE = "urn:epc:id:sgln:8936047.00001.0", "urn:epc:id:sgln:8936047.00002.0"
PALLET = "urn:epc:id:sscc:8936047.0000000001"


def lot(gtin_14: str, name: str) -> str:
    return f"https://id.gs1.org/01/{gtin_14}/10/{name}"


def kg(epc_class: str, amount: int) -> dict[str, Any]:
    return {"epcClass": epc_class, "quantity": amount, "uom": "KGM"}


def event(kind: str, when: str, site: str, **fields: Any) -> dict[str, Any]:
    return {
        "type": kind,
        "eventTime": f"2026-09-{when}:00+07:00",
        "eventTimeZoneOffset": "+07:00",
        "readPoint": {"id": site},
        **fields,
    }


def party(role: str, uri: str) -> list[dict[str, str]]:
    return [{"type": "possessing_party", role: uri}]


def flow(base: str, cast: Cast) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    coop, mill = f"{base}/agencies/{cast.producer.id}", f"{base}/agencies/{cast.processor.id}"
    shop = f"{base}/agencies/{cast.distributor.id}"
    paddy = lot(PADDY, "T-2609")
    coop_doc = document(
        event(
            "ObjectEvent",
            "01T06:00",
            COOP_SITE,
            action="ADD",
            bizStep="commissioning",
            disposition="active",
            bizLocation={"id": COOP_SITE},
            quantityList=[kg(paddy, 1000)],
        ),
        event(
            "ObjectEvent",
            "02T07:00",
            COOP_SITE,
            action="OBSERVE",
            bizStep="shipping",
            disposition="in_transit",
            quantityList=[kg(paddy, 1000)],
            sourceList=party("source", coop),
            destinationList=party("destination", mill),
        ),
    )
    mill_doc = document(
        event(
            "ObjectEvent",
            "02T15:00",
            MILL_SITE,
            action="OBSERVE",
            bizStep="receiving",
            disposition="in_progress",
            bizLocation={"id": MILL_SITE},
            quantityList=[kg(paddy, 1000)],
            sourceList=party("source", coop),
            destinationList=party("destination", mill),
        ),
        event(
            "TransformationEvent",
            "03T08:00",
            MILL_SITE,
            bizStep="commissioning",
            bizLocation={"id": MILL_SITE},
            inputQuantityList=[kg(paddy, 1000), kg(lot(OUTSIDE, "NGOAI-7"), 200)],
            outputQuantityList=[kg(lot(RICE, "G-2609"), 650), kg(lot(BRAN, "C-2609"), 250)],
        ),
        event(
            "AggregationEvent",
            "03T10:00",
            MILL_SITE,
            action="ADD",
            bizStep="packing",
            parentID=PALLET,
            childQuantityList=[kg(lot(RICE, "G-2609"), 650)],
        ),
    )
    later = document(
        event(
            "ObjectEvent",
            "04T06:00",
            MILL_SITE,
            action="OBSERVE",
            bizStep="shipping",
            disposition="in_transit",
            epcList=[PALLET],
            sourceList=party("source", mill),
            destinationList=party("destination", shop),
        )
    )
    return coop_doc, mill_doc, later


def ids(doc: dict[str, Any]) -> list[str]:
    return [event_hash_id(e, doc["@context"]) for e in doc["epcisBody"]["eventList"]]


async def page(client: httpx.AsyncClient, gtin_14: str, name: str, **params: str) -> Any:
    answer = await client.get(f"/01/{gtin_14}/10/{name}", params=params)
    assert answer.status_code == 200, answer.text
    return answer


async def test_a_cooperative_and_a_mill_start_and_follow_a_flow_by_epcis_alone(
    client: httpx.AsyncClient, cast: Cast, ledger: Ledger, settings: Settings
) -> None:
    coop_doc, mill_doc, later = flow(settings.public_url, cast)
    for member, doc in ((cast.producer, coop_doc), (cast.processor, mill_doc)):
        job = await job_of(client, member, await capture(client, member, doc))
        assert job["success"] is True, job["errors"]
        assert job["capturedEventIDs"] == ids(doc)
    # Sent again (a lost answer), nothing is recorded twice.
    after = await stored(ledger)
    again = await job_of(client, cast.processor, await capture(client, cast.processor, mill_doc))
    assert again["capturedEventIDs"] == ids(mill_doc) and await stored(ledger) == after
    job = await job_of(client, cast.processor, await capture(client, cast.processor, later))
    assert job["success"] is True, job["errors"]

    # Every event comes back once, as sent, under the ID a partner computes.
    for doc in (coop_doc, mill_doc, later):
        for sent, event_id in zip(doc["epcisBody"]["eventList"], ids(doc), strict=True):
            [back] = await query(client, cast, EQ_eventID=event_id)
            assert {k: v for k, v in back.items() if k not in ("eventID", "recordTime")} == sent
    paddy_events = await query(client, cast, MATCH_anyEPCClass=lot(PADDY, "T-2609"))
    assert [e["eventID"] for e in paddy_events] == [*ids(coop_doc), *ids(mill_doc)[:2]]
    [made] = await query(client, cast, MATCH_outputEPCClass=lot(BRAN, "C-2609"))
    assert made["eventID"] == ids(mill_doc)[1]

    paddy = (await page(client, PADDY, "T-2609", format="json")).json()
    rice = (await page(client, RICE, "G-2609", format="json")).json()
    bran = (await page(client, BRAN, "C-2609", format="json")).json()
    assert [e["kind"] for e in paddy["events"]] == ["registered", "shipped", "received"]
    assert [e["kind"] for e in rice["events"]] == [
        "registered",
        "transformed",
        "epcis_event",  # the pallet's packing, kept whole
        "shipped",  # the pallet, named by its SSCC alone, is the rice
    ]
    assert rice["batch"]["producer"] == "Nhà máy xay"
    assert rice["batch"]["origin"]["name"] == "GLN 8936047000029"
    assert paddy["batch"]["producer"] == "HTX Bưởi Diễn"
    # The bran's own page gives the transformation that made it, once, under the same ID.
    linked = (await page(client, BRAN, "C-2609", format="jsonld")).json()
    assert [e["eventID"] for e in linked["epcisBody"]["eventList"]] == [ids(mill_doc)[1]]
    rice_linked = (await page(client, RICE, "G-2609", format="jsonld")).json()
    assert [e["eventID"] for e in rice_linked["epcisBody"]["eventList"]] == [
        *ids(mill_doc)[1:],
        *ids(later),
    ]
    batch = lambda found: found["batch"]["id"]  # noqa: E731
    state = (await client.get(f"/api/v1/batches/{batch(rice)}")).json()
    assert state["holder_id"] == cast.processor.id and state["in_transit_to"] == cast.distributor.id

    # Trace-back and trace-forward follow the transformation; the outside paddy is not a batch.
    back = await client.get(
        f"/api/v1/batches/{batch(rice)}/trace",
        params={"direction": "upstream"},
        headers=cast.authority.headers,
    )
    assert {b["id"] for b in back.json()["batches"]} == {batch(rice), batch(paddy)}
    forward = await client.get(
        f"/api/v1/batches/{batch(paddy)}/trace", headers=cast.authority.headers
    )
    assert {b["id"] for b in forward.json()["batches"]} == {batch(p) for p in (paddy, rice, bran)}
    [edge] = [e for e in back.json()["edges"]]
    assert edge["process"] == "other" and edge["quantity"] == {"value": "1000", "unit": "KGM"}

    # A recall of the paddy reaches both lots milled from it, and their pages say so.
    recall = await client.post(
        "/api/v1/recalls",
        json={"batch": batch(paddy), "reason": "Vượt giới hạn cadimi", "severity": "class_1"},
        headers=cast.authority.headers,
    )
    assert recall.status_code == 201, recall.text
    reach = await client.get(recall.json()["reach"], headers=cast.authority.headers)
    assert {b["id"] for b in reach.json()["batches"]} == {batch(p) for p in (paddy, rice, bran)}

    # The shopper's page of the rice, in both languages: what, which lot, who, where, from what.
    for lang, words in (("vi", ("Xuất xứ",)), ("en", ("Origin",))):
        html = (await page(client, RICE, "G-2609", lang=lang)).text
        for shown in (f"GTIN {RICE}", "G-2609", "Nhà máy xay", "GLN 8936047000029", *words):
            assert shown in html, (lang, shown)
        assert f"GTIN {PADDY}" in html  # made from the cooperative's paddy
        assert 'id="recall-banner"' in html


async def test_a_document_that_creates_batches_keeps_nothing_when_one_event_is_refused(
    client: httpx.AsyncClient, cast: Cast, ledger: Ledger, settings: Settings
) -> None:
    coop_doc, _, _ = flow(settings.public_url, cast)
    # The shipment names a party outside the ledger (kept whole, custody unmoved); an event
    # about a lot no event made is refused, and with it the new lot.
    shipment = coop_doc["epcisBody"]["eventList"][1]
    shipment["destinationList"] = party("destination", "urn:epc:id:pgln:8936047.00099")
    stranger = event(
        "ObjectEvent",
        "02T08:00",
        COOP_SITE,
        action="OBSERVE",
        bizStep="inspecting",
        quantityList=[kg(lot(OUTSIDE, "NGOAI-7"), 5)],
    )
    coop_doc["epcisBody"]["eventList"].append(stranger)
    before = await stored(ledger)
    job = await job_of(client, cast.producer, await capture(client, cast.producer, coop_doc))
    assert job["success"] is False and job["capturedEventIDs"] == []
    assert [(e["eventIndex"], e["code"]) for e in job["errors"]] == [(2, "epcis_no_batch")]
    assert await stored(ledger) == before
    assert (await client.get(f"/01/{PADDY}/10/T-2609?format=json")).status_code == 404
    # With proceed, the commissioning and the shipment (kept whole) are kept, the stranger not.
    answer = await capture(client, cast.producer, coop_doc, behaviour="proceed")
    job = await job_of(client, cast.producer, answer)
    assert job["capturedEventIDs"] == ids(coop_doc)[:2]
    paddy = (await page(client, PADDY, "T-2609", format="json")).json()
    assert [e["kind"] for e in paddy["events"]] == ["registered", "epcis_event"]


async def test_an_input_of_the_ledger_without_a_quantity_it_can_keep_is_refused(
    client: httpx.AsyncClient, cast: Cast, ledger: Ledger, settings: Settings
) -> None:
    coop_doc, mill_doc, _ = flow(settings.public_url, cast)
    await job_of(client, cast.producer, await capture(client, cast.producer, coop_doc))
    transformation = mill_doc["epcisBody"]["eventList"][1]
    transformation["inputQuantityList"][0]["uom"] = "LBR"  # pounds: not a unit the ledger keeps
    before = await stored(ledger)
    job = await job_of(client, cast.processor, await capture(client, cast.processor, mill_doc))
    # The rice it would have made is not made, so the pallet packing it names nothing either.
    assert [(e["eventIndex"], e["code"]) for e in job["errors"]] == [
        (1, "epcis_input_quantity"),
        (2, "epcis_no_batch"),
    ]
    assert lot(PADDY, "T-2609") in job["errors"][0]["detail"]
    assert await stored(ledger) == before


async def test_a_lot_commissioned_by_epcis_takes_its_product_name_from_master_data(
    client: httpx.AsyncClient, cast: Cast, settings: Settings
) -> None:
    named = await client.put(
        f"/api/v1/agencies/{cast.producer.id}/products/{PADDY}",
        json={"name_vi": "Thóc ST25", "name_en": "ST25 paddy"},
        headers=cast.producer.headers,
    )
    assert named.status_code == 200, named.text
    commission = event(
        "ObjectEvent",
        "20T07:00",
        COOP_SITE,
        action="ADD",
        bizStep="commissioning",
        quantityList=[kg(lot(PADDY, "ST-1"), 900)],
    )
    job = await job_of(
        client, cast.producer, await capture(client, cast.producer, document(commission))
    )
    assert job["success"] is True, job["errors"]
    html = (await page(client, PADDY, "ST-1")).text
    assert "Thóc ST25" in html and f"GTIN {PADDY}" not in html
