"""EPCIS 2.0 capture over HTTP: the GS1 examples, capture jobs, rollback and proceed, refusals."""

from __future__ import annotations

import copy
import json
import os
import re
from pathlib import Path
from typing import Any

import httpx
import jsonschema
import pytest

from tests.conftest import ROOT, Cast
from tests.integration.helpers import WHEN, kg, record, register, stored
from tests.reference_hash import reference_hash_ids
from trace.config import Settings
from trace.domain.event_hash import event_hash_id
from trace.epcis.capture import CAPTURE_FILE_SIZE_LIMIT, CAPTURE_LIMIT
from trace.store.ledger import Ledger

FIXTURES = Path(os.environ.get("TRACE_FIXTURES", ROOT.parent / "shared" / "fixtures"))
EXAMPLES = FIXTURES / "epcis" / "examples"
SCHEMA = FIXTURES / "epcis" / "schema" / "EPCIS-JSON-Schema.json"
ABSENT = f"the GS1 EPCIS examples and schema are not at {FIXTURES} (../shared is absent)"
CONTEXT = "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"
URI = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*:\S+")
GTIN = "8936047000128"
POMELO_CLASS = f"https://id.gs1.org/01/0{GTIN}/10/BD-1"

# The ledger holds nothing before each example: an ObjectEvent ADD or a TransformationEvent
# creates the batches it names, and other events refer to what was created. Refused, as
# EPCIS 2.0 lets a repository refuse an event it cannot accept (a capture job error of type
# epcisException:ValidationException, code epcis_no_batch; docs/epcis.md): an event about
# objects that no event of the ledger made and that it does not make. With the default
# GS1-Capture-Error-Behaviour, rollback, nothing of such a document is kept. Each document
# with the indexes of its refused events and why.
_NEVER_MADE = "ships and receives SGTINs 0614141.107346.2017 and .2018 that no event made"
REFUSED: dict[str, tuple[list[int], str]] = {
    "EPCISQueryDocument.jsonld": ([0, 1], _NEVER_MADE),
    "Example_9.6.1-ObjectEvent-with-pseudo-SBDH-headers.jsonld": ([0, 1], _NEVER_MADE),
    "Example_9.6.1-ObjectEvent.jsonld": ([0, 1], _NEVER_MADE),
    "Example_9.6.1-with-comment.jsonld": ([0, 1], _NEVER_MADE),
    "WithDigitalLinkID__Example_9.6.1-ObjectEventWithDigitalLink.jsonld": ([0, 1], _NEVER_MADE),
    "WithErrorDeclaration__Example_9.6.1-ObjectEvent-with-error-declaration.jsonld": (
        [0, 1],
        "declares wrong, and re-sends, events about SGTINs no event made",
    ),
    "Example_9.6.2-ObjectEvent.jsonld": ([0], "receives LGTIN 4012345.012345.998877, never made"),
    "WithDigitalLinkID__Example_9.6.2-ObjectEventWithDigitalLink.jsonld": (
        [0],
        "receives the LGTIN 04012345123456 lot 998877, never made",
    ),
    "Example_9.6.3-AggregationEvent.jsonld": ([0], "packs SGTINs and lots no event made"),
    "WithDigitalLinkID__Example_9.6.3-AggregationEventWithDigitalLink.jsonld": (
        [0],
        "packs SGTINs and lots no event made",
    ),
    "WithErrorDeclaration__ErrorDeclarationAndCorrectiveEvent.jsonld": (
        [0],
        "declares wrong a transformation the ledger never held (the corrective event that "
        "follows it is accepted alone with proceed: see below)",
    ),
    "WithFullCombinationOfFields__aggregation_event_all_possible_fields.jsonld": (
        [0],
        "aggregates SGTINs and lots no event made",
    ),
    "WithFullCombinationOfFields__association_event_all_possible_fields.jsonld": (
        [0],
        "associates a sensor with items no event made (ADD creates the association only)",
    ),
    "WithFullCombinationOfFields__object_event_all_possible_fields.jsonld": (
        [0],
        "an ADD that declares itself wrong (errorDeclaration) creates nothing",
    ),
    "WithFullCombinationOfFields__transaction_event_all_possible_fields.jsonld": (
        [0],
        "ties items no event made to a purchase order (ADD of a transaction creates nothing)",
    ),
}
# Accepted, each event creating the batch of its outputs: one lot of the four serialised
# SGTINs of GTIN 04012345778892 (their inputs are from outside the ledger).
CREATES = {
    "Example_9.6.4-TransformationEvent.jsonld": ["04012345778892"],
    "WithDigitalLinkID__Example_9.6.4-TransformationEventWithDigitalLink.jsonld": [
        "04012345778892"
    ],
}

# Refused whole (400, epcis_protected_term): its @context redefines cbvmda, a term the
# EPCIS 2.0 context protects, which no JSON-LD processor reading our pages could accept.
NAMES_PROTECTED_TERM = {
    "WithFullCombinationOfFields__transformation_event_all_possible_fields.jsonld"
}

# GS1's reference tool gives these another Event Hash ID than the algorithm, and this ledger:
# it hashes a sensor report's booleanValue as Python's "True" and leaves CURIEs of prefixes
# only the standard context declares (cbvmda:, cbv:) unexpanded (docs/formats.md).
NAMES_REFERENCE_DIFFERS = {
    f"WithFullCombinationOfFields__{kind}_event_all_possible_fields.jsonld"
    for kind in ("aggregation", "association", "object", "transaction")
}


def _examples() -> list[Any]:
    if not EXAMPLES.is_dir():
        return [pytest.param("", marks=pytest.mark.skip(reason=ABSENT))]
    return sorted(path.name for path in EXAMPLES.glob("*.jsonld"))


# The schema's "format": "uri" (identifiers, and the names of extensions), which jsonschema
# checks only with a checker for it: an absolute URI has a scheme and no spaces.
URI_FORMAT = jsonschema.FormatChecker()
URI_FORMAT.checks("uri")(lambda value: not isinstance(value, str) or bool(URI.fullmatch(value)))


def official_schema() -> jsonschema.Draft7Validator:
    """The official EPCIS 2.0 JSON Schema, its URI formats checked; skips without ../shared."""
    if not SCHEMA.exists():
        pytest.skip(ABSENT)
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    return jsonschema.Draft7Validator(schema, format_checker=URI_FORMAT)


def _events(document: dict[str, Any]) -> list[dict[str, Any]]:
    body = document["epcisBody"]
    if document["type"] == "EPCISQueryDocument":
        return list(body["queryResults"]["resultsBody"]["eventList"])
    return list(body["eventList"])


def document(*events: dict[str, Any]) -> dict[str, Any]:
    """An EPCISDocument of ``events``."""
    return {
        "@context": [CONTEXT],
        "type": "EPCISDocument",
        "schemaVersion": "2.0",
        "creationDate": "2026-09-01T08:00:00+07:00",
        "epcisBody": {"eventList": list(events)},
    }


def observation(epc_class: str = POMELO_CLASS, **fields: Any) -> dict[str, Any]:
    """An ObjectEvent of another system about ``epc_class`` (no ledger kind holds it whole)."""
    return {
        "type": "ObjectEvent",
        "action": "OBSERVE",
        "eventTime": "2026-09-02T09:00:00+07:00",
        "eventTimeZoneOffset": "+07:00",
        "quantityList": [{"epcClass": epc_class, "quantity": 12.5, "uom": "KGM"}],
        "bizStep": "inspecting",
        "readPoint": {"id": "urn:epc:id:sgln:8936047.00001.0"},
        **fields,
    }


async def capture(
    client: httpx.AsyncClient, member: Any, body: Any, behaviour: str | None = None
) -> httpx.Response:
    headers = {**member.headers, "Content-Type": "application/ld+json"}
    if behaviour is not None:
        headers["GS1-Capture-Error-Behaviour"] = behaviour
    content = body if isinstance(body, bytes) else json.dumps(body).encode()
    return await client.post("/epcis/capture", content=content, headers=headers)


async def job_of(client: httpx.AsyncClient, member: Any, answer: httpx.Response) -> Any:
    assert answer.status_code == 202, answer.text
    job = await client.get(answer.headers["location"], headers=member.headers)
    assert job.status_code == 200, job.text
    return job.json()


async def query(client: httpx.AsyncClient, cast: Cast, **params: str) -> list[dict[str, Any]]:
    answer = await client.get("/epcis/events", params=params, headers=cast.authority.headers)
    assert answer.status_code == 200, answer.text
    return list(answer.json()["epcisBody"]["queryResults"]["resultsBody"]["eventList"])


@pytest.mark.parametrize("name", _examples())
async def test_every_gs1_example_creates_what_it_names_or_is_refused_with_its_reason(
    client: httpx.AsyncClient, cast: Cast, ledger: Ledger, name: str
) -> None:
    schema = official_schema()
    data = (EXAMPLES / name).read_bytes()
    source = json.loads(data)
    before = await stored(ledger)
    assert before == (0, 0)  # no lot registered first
    if name in NAMES_PROTECTED_TERM:
        refused = await capture(client, cast.processor, data)
        assert refused.status_code == 400, refused.text
        assert refused.json()["code"] == "epcis_protected_term"
        assert "cbvmda" in refused.json()["detail"]
        assert await stored(ledger) == before
        return
    assert (name in REFUSED) != (name in CREATES), "every example is listed once"
    job = await job_of(client, cast.processor, await capture(client, cast.processor, data))
    expected = [event_hash_id(event, source["@context"]) for event in _events(source)]
    if name not in NAMES_REFERENCE_DIFFERS:
        assert reference_hash_ids(source) == expected  # what a partner recomputes
    if name in REFUSED:
        assert job["success"] is False and job["capturedEventIDs"] == []
        assert {error["type"] for error in job["errors"]} == {"epcisException:ValidationException"}
        assert {error["code"] for error in job["errors"]} == {"epcis_no_batch"}
        assert [error["eventIndex"] for error in job["errors"]] == REFUSED[name][0]
        assert "ObjectEvent" in job["errors"][0]["detail"]  # what to send first
        assert await stored(ledger) == before  # rollback: nothing of the document was written
        return
    assert job["success"] is True, job["errors"]
    assert job["capturedEventIDs"] == expected
    for sent, event_id in zip(_events(source), expected, strict=True):
        found = await query(client, cast, EQ_eventID=event_id)
        assert len(found) == 1, f"{event_id} came back {len(found)} times"
        [event] = found
        assert [e.message for e in schema.iter_errors(event | {"@context": CONTEXT})] == []
        assert event["eventID"] == event_id == event_hash_id(event, source["@context"])
        # Exactly as sent: only the ledger's name for it and its record time are its own.
        mine = {"eventID", "recordTime", "@context"}
        assert {k: v for k, v in event.items() if k not in mine} == {
            k: v for k, v in sent.items() if k not in mine
        }
        answer = await client.get(
            "/epcis/events", params={"EQ_eventID": event_id}, headers=cast.authority.headers
        )
        assert [e.message for e in schema.iter_errors(answer.json())] == []
        # A given eventID that is not the hash still finds the event.
        if sent.get("eventID") not in (None, event_id):
            again = await query(client, cast, EQ_eventID=sent["eventID"])
            assert [e["eventID"] for e in again] == [event_id]
    # The serialised items made together are one lot, named after the event (docs/epcis.md).
    lot = expected[0].removeprefix("ni:///sha-256;")[:12].upper()
    for gtin in CREATES[name]:
        page = await client.get(f"/01/{gtin}/10/{lot}?format=json")
        assert page.status_code == 200, page.text
        assert page.json()["batch"]["product"] == f"GTIN {gtin}"
        assert page.json()["batch"]["origin"]["name"] == "GLN 4012345000016"
        assert [e["kind"] for e in page.json()["events"]] == ["registered"]


# What a refused example names that a commissioning ObjectEvent can make: serialised items
# and lots of trade items (GTINs), in either spelling. Made first, by the partner's own
# commissioning, every refused example is then accepted exactly as GS1 published it.
_SERIAL = re.compile(r"urn:epc:id:sgtin:[^\s\"]+|https://id\.gs1\.org/01/\d{14}/21/[^\s\"/]+")
_LOT = re.compile(r"urn:epc:class:lgtin:[^\s\"]+|https://id\.gs1\.org/01/\d{14}/10/[^\s\"/]+")


def commissioning(source: dict[str, Any]) -> dict[str, Any]:
    """An ADD ObjectEvent making every trade item and lot ``source``'s events name."""
    text = json.dumps(_events(source))
    serials = sorted(set(_SERIAL.findall(text)))
    lots = sorted(set(_LOT.findall(text)))
    made: dict[str, Any] = {
        "type": "ObjectEvent",
        "action": "ADD",
        "bizStep": "commissioning",
        "eventTime": "2005-01-01T00:00:00.000+01:00",
        "eventTimeZoneOffset": "+01:00",
        "epcList": serials,
        "readPoint": {"id": "urn:epc:id:sgln:0614141.00777.0"},
    }
    if lots:
        made["quantityList"] = [{"epcClass": lot, "quantity": 100, "uom": "KGM"} for lot in lots]
    return document(made)


@pytest.mark.parametrize("name", sorted(REFUSED))
async def test_a_refused_example_is_accepted_as_published_once_what_it_names_is_made(
    client: httpx.AsyncClient, cast: Cast, name: str
) -> None:
    if not EXAMPLES.is_dir():
        pytest.skip(ABSENT)
    source = json.loads((EXAMPLES / name).read_bytes())
    made = await job_of(
        client, cast.processor, await capture(client, cast.processor, commissioning(source))
    )
    assert made["success"] is True, made["errors"]
    job = await job_of(client, cast.processor, await capture(client, cast.processor, source))
    expected = [event_hash_id(event, source["@context"]) for event in _events(source)]
    assert job["success"] is True, job["errors"]
    assert job["capturedEventIDs"] == expected
    if name not in NAMES_REFERENCE_DIFFERS:
        assert reference_hash_ids(source) == expected
    for event_id in expected:
        assert [e["eventID"] for e in await query(client, cast, EQ_eventID=event_id)] == [event_id]


async def test_a_corrective_event_after_a_refused_declaration_is_kept_with_proceed(
    client: httpx.AsyncClient, cast: Cast, ledger: Ledger
) -> None:
    name = "WithErrorDeclaration__ErrorDeclarationAndCorrectiveEvent.jsonld"
    if not EXAMPLES.is_dir():
        pytest.skip(ABSENT)
    source = json.loads((EXAMPLES / name).read_bytes())
    answer = await capture(client, cast.processor, source, behaviour="proceed")
    job = await job_of(client, cast.processor, answer)
    declared, corrective = (event_hash_id(e, source["@context"]) for e in _events(source))
    assert job["capturedEventIDs"] == [corrective]
    assert [(e["eventIndex"], e["code"]) for e in job["errors"]] == [(0, "epcis_no_batch")]
    # The corrective transformation made its output: the serialised item AGHFG's lot.
    [event] = await query(client, cast, MATCH_outputEPC="urn:epc:id:sgtin:4012345.033333.AGHFG")
    assert event["eventID"] == corrective
    # Now that the ledger holds the item, the declaration is kept beside it.
    again = await job_of(client, cast.processor, await capture(client, cast.processor, source))
    assert again["success"] is True and again["capturedEventIDs"] == [declared, corrective]


async def test_a_capture_answers_202_with_its_job_and_the_standard_headers(
    client: httpx.AsyncClient, cast: Cast
) -> None:
    await register(client, cast.producer, gtin=GTIN, lot="BD-1")
    answer = await capture(client, cast.producer, document(observation()))
    assert answer.status_code == 202
    assert answer.headers["location"].startswith("/epcis/capture/")
    assert answer.headers["gs1-epcis-version"] == "2.0.0"
    assert answer.headers["gs1-cbv-version"] == "2.0.0"
    assert answer.headers["gs1-epcis-capture-limit"] == str(CAPTURE_LIMIT)
    assert answer.headers["gs1-epcis-capture-file-size-limit"] == str(CAPTURE_FILE_SIZE_LIMIT)
    job = await job_of(client, cast.producer, answer)
    assert job["errors"] == []
    assert job["running"] is False and job["success"] is True
    assert job["captureErrorBehaviour"] == "rollback"
    assert job["captureID"] == answer.headers["location"].rsplit("/", 1)[1]
    options = await client.options("/epcis/capture")
    assert options.status_code == 204
    assert options.headers["gs1-capture-error-behaviour"] == "all"
    assert options.headers["gs1-epcis-capture-limit"] == str(CAPTURE_LIMIT)


async def test_rollback_keeps_nothing_and_proceed_keeps_what_passes(
    client: httpx.AsyncClient, cast: Cast, ledger: Ledger
) -> None:
    await register(client, cast.producer, gtin=GTIN, lot="BD-1")
    good = observation()
    stranger = observation("https://id.gs1.org/01/08936047000128/10/NOT-HERE")
    both = document(good, stranger)
    before = await stored(ledger)
    rolled_back = await job_of(client, cast.producer, await capture(client, cast.producer, both))
    assert rolled_back["success"] is False and rolled_back["capturedEventIDs"] == []
    assert [e["eventIndex"] for e in rolled_back["errors"]] == [1]
    assert "Gửi trước sự kiện" in rolled_back["errors"][0]["detail"]
    assert await stored(ledger) == before
    assert await query(client, cast, EQ_eventID=event_hash_id(good)) == []
    answer = await capture(client, cast.producer, both, behaviour="proceed")
    proceeded = await job_of(client, cast.producer, answer)
    assert proceeded["success"] is False and proceeded["captureErrorBehaviour"] == "proceed"
    assert proceeded["capturedEventIDs"] == [event_hash_id(good)]
    assert [e["eventIndex"] for e in proceeded["errors"]] == [1]
    assert (await stored(ledger))[0] == before[0] + 1
    english = await client.get(
        answer.headers["location"], headers={**cast.producer.headers, "Accept-Language": "en"}
    )
    assert "does not create one" in english.json()["errors"][0]["detail"]


async def test_a_document_sent_again_is_not_recorded_twice(
    client: httpx.AsyncClient, cast: Cast, ledger: Ledger
) -> None:
    await register(client, cast.producer, gtin=GTIN, lot="BD-1")
    sent = document(observation(), observation(bizStep="sampling"))
    first = await job_of(client, cast.producer, await capture(client, cast.producer, sent))
    after_first = await stored(ledger)
    again = await job_of(client, cast.producer, await capture(client, cast.producer, sent))
    assert again["success"] is True
    assert again["capturedEventIDs"] == first["capturedEventIDs"]
    assert await stored(ledger) == after_first


async def test_the_event_kept_is_the_event_sent_named_by_its_hash(
    client: httpx.AsyncClient, cast: Cast
) -> None:
    batch = (await register(client, cast.producer, gtin=GTIN, lot="BD-1"))["batch"]
    sent = observation(
        eventID="urn:uuid:0f8e4c1a-3b7d-4e2f-9a6c-5d1b2e3f4a5b",
        **{"example:note": "Bưởi đạt chuẩn", "example:temperature": 26.0},
    )
    body = document(sent)
    body["@context"] = [CONTEXT, {"example": "https://example.vn/epcis/"}]
    job = await job_of(client, cast.producer, await capture(client, cast.producer, body))
    hash_id = event_hash_id(sent, body["@context"])
    assert job["capturedEventIDs"] == [hash_id]
    answer = await client.get(
        "/epcis/events",
        params={"EQ_eventID": "urn:uuid:0f8e4c1a-3b7d-4e2f-9a6c-5d1b2e3f4a5b"},
        headers=cast.authority.headers,
    )
    given = answer.json()
    [event] = _events(given)
    assert event["eventID"] == hash_id == event_hash_id(event, given["@context"])
    assert event["example:note"] == "Bưởi đạt chuẩn" and event["example:temperature"] == 26.0
    # The context the event came with is the answer's, where every reader looks for it.
    assert "@context" not in event
    assert given["@context"][-1]["example"] == "https://example.vn/epcis/"
    records = (await client.get(f"/api/v1/batches/{batch['id']}/records")).json()["records"]
    assert [r["kind"] for r in records] == ["registered", "epcis_event"]
    page = await client.get(f"/b/{batch['code']}")
    assert "Sự kiện EPCIS" in page.text


async def test_an_event_in_the_ledgers_own_form_is_recorded_as_its_kind(
    client: httpx.AsyncClient, cast: Cast
) -> None:
    batch = (await register(client, cast.producer, gtin=GTIN, lot="BD-1"))["batch"]
    await record(client, cast.producer, batch["id"], "harvested", {"quantity": kg("120")})
    [harvest] = await query(client, cast, EQ_bizStep="https://trace.example/voc/BizStep-harvesting")
    # A partner's system writes a shipment the way the ledger exports one.
    base = "https://trace.example.vn"
    shipment = {
        "type": "ObjectEvent",
        "action": "OBSERVE",
        "eventTime": "2026-09-03T07:00:00+07:00",
        "eventTimeZoneOffset": "+07:00",
        "quantityList": [{"epcClass": POMELO_CLASS, "quantity": 100, "uom": "KGM"}],
        "bizStep": "shipping",
        "disposition": "in_transit",
        "readPoint": {"id": f"{base}/agencies/{cast.producer.id}"},
        "sourceList": [
            {"type": "possessing_party", "source": f"{base}/agencies/{cast.producer.id}"}
        ],
        "destinationList": [
            {"type": "possessing_party", "destination": f"{base}/agencies/{cast.distributor.id}"}
        ],
    }
    body = document(shipment)
    body["@context"] = [CONTEXT, {"trace": "https://trace.example/voc/"}]
    job = await job_of(client, cast.producer, await capture(client, cast.producer, body))
    assert job["success"] is True, job["errors"]
    records = (await client.get(f"/api/v1/batches/{batch['id']}/records")).json()["records"]
    assert [r["kind"] for r in records] == ["registered", "harvested", "shipped"]
    state = (await client.get(f"/api/v1/batches/{batch['id']}")).json()
    assert state["in_transit_to"] == cast.distributor.id
    [shipped] = await query(client, cast, EQ_bizStep="shipping")
    assert shipped["eventID"] == job["capturedEventIDs"][0] == event_hash_id(shipment)
    assert harvest["eventID"] != shipped["eventID"]


async def test_a_registration_in_the_ledgers_form_creates_its_batch(
    client: httpx.AsyncClient, cast: Cast
) -> None:
    base = "https://trace.example.vn"
    here = f"{base}/agencies/{cast.producer.id}"
    registration = {
        "type": "ObjectEvent",
        "action": "ADD",
        "eventTime": WHEN,
        "eventTimeZoneOffset": "+07:00",
        "quantityList": [{"epcClass": POMELO_CLASS, "quantity": 900, "uom": "KGM"}],
        "bizStep": "https://ref.gs1.org/cbv/BizStep-commissioning",
        "disposition": "https://ref.gs1.org/cbv/Disp-active",
        "readPoint": {"id": here},
        "bizLocation": {"id": here},
        "ilmd": {
            "trace:product": "Bưởi Diễn",
            "trace:lot": "BD-1",
            # A code is written as a URI (docs/formats.md), its leading zero is kept.
            "trace:origin": {"trace:province": "https://trace.example/voc/province-01"},
            "trace:gtin": GTIN,
        },
    }
    body = document(registration)
    body["@context"] = [CONTEXT, {"trace": "https://trace.example/voc/"}]
    job = await job_of(client, cast.producer, await capture(client, cast.producer, body))
    assert job["success"] is True, job["errors"]
    page = await client.get("/01/08936047000128/10/BD-1?format=json")
    assert page.status_code == 200
    assert page.json()["batch"]["product"] == "Bưởi Diễn"
    assert [e["kind"] for e in page.json()["events"]] == ["registered"]


@pytest.mark.parametrize(
    ("broken", "where"),
    [
        (lambda d: d["epcisBody"]["eventList"][0].pop("eventTime"), "eventTime"),
        (lambda d: d["epcisBody"]["eventList"][0].update(action="LOOK"), "action"),
        (lambda d: d["epcisBody"]["eventList"][0].update(eventTimeZoneOffset="7"), "Offset"),
        (lambda d: d["epcisBody"]["eventList"][0].update(bizstep="shipping"), "bizstep"),
        (lambda d: d["epcisBody"]["eventList"][0].update(bizStep="shiping"), "bizStep"),
        (lambda d: d["epcisBody"]["eventList"][0]["quantityList"][0].update(lot="1"), "lot"),
        (lambda d: d["epcisBody"]["eventList"][0].pop("quantityList"), "quantityList"),
        (lambda d: d.pop("@context"), "@context"),
        (lambda d: d.update(schemaVersion="two"), "schemaVersion"),
    ],
)
async def test_a_document_the_schema_refuses_is_refused_whole(
    client: httpx.AsyncClient, cast: Cast, ledger: Ledger, broken: Any, where: str
) -> None:
    await register(client, cast.producer, gtin=GTIN, lot="BD-1")
    sent = document(observation(), observation(bizStep="sampling"))
    broken(sent)
    if SCHEMA.exists():  # the official schema refuses it too
        assert list(official_schema().iter_errors(sent)) != []
    before = await stored(ledger)
    answer = await capture(client, cast.producer, sent, behaviour="proceed")
    assert answer.status_code == 400
    assert answer.headers["content-type"].startswith("application/problem+json")
    problem = answer.json()
    assert problem["type"] == "epcisException:ValidationException"
    assert where in problem["detail"]
    assert await stored(ledger) == before


async def test_an_extension_event_type_is_refused_as_it_has_no_event_hash_id(
    client: httpx.AsyncClient, cast: Cast, ledger: Ledger
) -> None:
    # The schema lets a document carry event types of its own (named by a URI); the Event
    # Hash ID (CBV 2.0 section 8.9) is defined for the five standard ones, and every event
    # of the ledger is named by it, so such a document is refused whole.
    await register(client, cast.producer, gtin=GTIN, lot="BD-1")
    sent = document(observation(type="https://example.vn/epcis/PalletEvent"))
    if SCHEMA.exists():
        assert list(official_schema().iter_errors(sent)) == []
    before = await stored(ledger)
    answer = await capture(client, cast.producer, sent)
    assert answer.status_code == 400 and "PalletEvent" in answer.json()["detail"]
    assert answer.json()["type"] == "epcisException:ValidationException"
    assert await stored(ledger) == before


@pytest.mark.parametrize(
    "identifier",
    [
        "urn:epc:id:sgtin:8936047.00012.LOT",  # 12 digits where a GTIN needs 13
        "urn:epc:id:pallet:8936047.1",  # no such scheme
        "https://id.gs1.org/01/08936047000129/10/BD-1",  # wrong check digit
    ],
)
async def test_an_identifier_of_no_standard_form_is_refused(
    client: httpx.AsyncClient, cast: Cast, ledger: Ledger, identifier: str
) -> None:
    await register(client, cast.producer, gtin=GTIN, lot="BD-1")
    before = await stored(ledger)
    sent = document(observation(), observation(epcList=[identifier]))
    answer = await capture(client, cast.producer, sent, behaviour="proceed")
    assert answer.status_code == 400 and identifier in answer.json()["detail"]
    assert answer.json()["type"] == "epcisException:ValidationException"
    assert await stored(ledger) == before


async def test_too_many_events_or_too_many_bytes_are_refused_with_413(
    client: httpx.AsyncClient, cast: Cast
) -> None:
    await register(client, cast.producer, gtin=GTIN, lot="BD-1")
    many = document(*[observation(bizStep="sampling")] * (CAPTURE_LIMIT + 1))
    answer = await capture(client, cast.producer, many)
    assert answer.status_code == 413
    assert answer.json()["type"] == "epcisException:CaptureLimitExceededException"
    assert answer.headers["gs1-epcis-capture-limit"] == str(CAPTURE_LIMIT)
    # Past the capture's own size limit; other routes keep the service's (64 KiB here).
    padded = observation(bizStep="sampling", **{"trace:note": "x" * 20_000})
    big = json.dumps(document(*[padded] * 420)).encode()
    assert len(big) > CAPTURE_FILE_SIZE_LIMIT
    answer = await capture(client, cast.producer, big)
    assert answer.status_code == 413
    assert answer.json()["type"] == "epcisException:CaptureLimitExceededException"
    limit = str(CAPTURE_FILE_SIZE_LIMIT)
    assert answer.headers["gs1-epcis-capture-file-size-limit"] == limit


async def test_a_document_of_500_events_larger_than_other_bodies_is_captured(
    client: httpx.AsyncClient, cast: Cast, settings: Settings
) -> None:
    await register(client, cast.producer, gtin=GTIN, lot="BD-1")
    events = [
        observation(bizStep="sampling", eventTime=f"2026-09-02T09:{i // 60:02}:{i % 60:02}+07:00")
        for i in range(CAPTURE_LIMIT)
    ]
    data = json.dumps(document(*events)).encode()
    assert len(data) > settings.max_body_bytes  # the service's limit for other bodies
    job = await job_of(client, cast.producer, await capture(client, cast.producer, data))
    assert job["success"] is True, job["errors"]
    assert len(job["capturedEventIDs"]) == CAPTURE_LIMIT


async def test_capture_needs_the_agencys_token_and_its_record_scope(
    client: httpx.AsyncClient, cast: Cast
) -> None:
    sent = json.dumps(document(observation())).encode()
    anonymous = await client.post("/epcis/capture", content=sent)
    assert anonymous.status_code == 401
    assert anonymous.json()["type"] == "epcisException:SecurityException"
    inspector = await client.post(
        "/api/v1/agencies/" + cast.authority.id + "/tokens",
        json={"person": "Thanh tra", "scopes": ["inspect"]},
        headers=cast.authority.headers,
    )
    assert inspector.status_code == 201, inspector.text
    token = {"Authorization": f"Bearer {inspector.json()['token']}"}
    refused = await client.post("/epcis/capture", content=sent, headers=token)
    assert refused.status_code == 403


async def test_a_stranger_to_the_batch_and_its_capture_job_are_kept_apart(
    client: httpx.AsyncClient, cast: Cast
) -> None:
    await register(client, cast.producer, gtin=GTIN, lot="BD-1")
    answer = await capture(client, cast.other_producer, document(observation()))
    job = await job_of(client, cast.other_producer, answer)
    assert job["success"] is False
    assert job["errors"][0]["type"] == "epcisException:SecurityException"
    other = await client.get(answer.headers["location"], headers=cast.producer.headers)
    assert other.status_code == 404


async def test_a_body_that_is_not_json_is_refused_with_415(
    client: httpx.AsyncClient, cast: Cast
) -> None:
    answer = await client.post(
        "/epcis/capture",
        content=b"<epcis:EPCISDocument/>",
        headers={**cast.producer.headers, "Content-Type": "application/xml"},
    )
    assert answer.status_code == 415
    assert answer.json()["type"] == "epcisException:UnsupportedMediaTypeException"


async def test_a_shipment_to_an_unknown_party_stays_an_epcis_event(
    client: httpx.AsyncClient, cast: Cast
) -> None:
    batch = (await register(client, cast.producer, gtin=GTIN, lot="BD-1"))["batch"]
    shipment = observation(
        bizStep="shipping",
        disposition="in_transit",
        destinationList=[{"type": "owning_party", "destination": "urn:epc:id:pgln:8936047.00099"}],
    )
    job = await job_of(
        client, cast.producer, await capture(client, cast.producer, document(shipment))
    )
    assert job["success"] is True
    state = (await client.get(f"/api/v1/batches/{batch['id']}")).json()
    assert state["in_transit_to"] is None
    records = (await client.get(f"/api/v1/batches/{batch['id']}/records")).json()["records"]
    assert records[-1]["kind"] == "epcis_event"
    assert copy.deepcopy(shipment) == shipment
