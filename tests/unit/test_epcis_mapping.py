"""Ledger records as EPCIS 2.0 events, and EPCIS events read back into ledger kinds."""

from __future__ import annotations

import copy
import json
import unicodedata
from decimal import Decimal
from typing import Any

import msgspec
import pytest

from tests.reference_hash import reference_hash_ids
from tests.unit.test_kinds import COOPERATIVE, EXAMPLES, PADDY_A, PADDY_B, RETAILER
from trace.domain.canonical import canonical_bytes
from trace.domain.epc import canonical_identifier, check_identifier
from trace.domain.epcis import TRACE_VOC
from trace.domain.errors import InvalidBody, InvalidIdentifier
from trace.domain.event_hash import context_prefixes, event_hash_id
from trace.domain.kinds import EventKind, decode_body
from trace.epcis.capture import ascii_json
from trace.epcis.document import read_document
from trace.epcis.errors import InvalidEpcisDocument
from trace.epcis.export import CONTEXT, Setting, ledger_event
from trace.epcis.mapping import candidate

BASE = "https://trace.example.vn"
PRODUCER = "0b1c2d3e-4f50-4617-8a9b-0c1d2e3f4a5b"
POMELO = "https://id.gs1.org/01/08936043123456/10/PT-2026-09"
CLASSES = {PADDY_A: f"{BASE}/b/7K3M9Q2XW4HJ8C", PADDY_B: f"{BASE}/b/Q0ZR5T8VXB2N4A"}
SETTING = Setting(base_url=BASE, batch_class=POMELO, classes=CLASSES)
WHEN = "2026-09-20T08:15:00+07:00"
PREFIXES = context_prefixes(CONTEXT)
# Kinds a capture can record: the others are made by the ledger itself (labels, corrections),
# are captured events already, or name a recall by its record hash.
RECALL_STEPS = [EventKind.RECALL_NOTIFIED, EventKind.WITHDRAWN, EventKind.RECALL_CLOSED]
CAPTURED_KINDS = [
    kind
    for kind in EventKind
    if kind not in (EventKind.CORRECTED, EventKind.SERIALISED, EventKind.EPCIS_EVENT)
    and kind not in RECALL_STEPS
]


def export(kind: EventKind, body: dict[str, Any]) -> dict[str, Any]:
    return ledger_event(
        kind,
        decode_body(kind.value, body),
        occurred_at=WHEN,
        agency=PRODUCER,
        recorded_at_us=1_790_000_000_000_000,
        setting=SETTING,
    )


def batch_of(uri: str) -> str | None:
    return next((batch for batch, known in CLASSES.items() if known == uri), None)


NUMBERS = msgspec.json.Encoder(decimal_format="number")


def read_back(event: dict[str, Any]) -> tuple[EventKind, dict[str, Any]] | None:
    """The event as a capture reads it (from JSON text) and what it reads back into."""
    exact = msgspec.json.Decoder(float_hook=Decimal).decode(NUMBERS.encode(event))
    return candidate(exact, PREFIXES, base_url=BASE, batch_of=batch_of)


def as_document(*events: dict[str, Any]) -> bytes:
    return NUMBERS.encode(
        {
            "@context": CONTEXT,
            "type": "EPCISDocument",
            "schemaVersion": "2.0",
            "creationDate": WHEN,
            "epcisBody": {"eventList": list(events)},
        }
    )


@pytest.mark.parametrize("kind", CAPTURED_KINDS)
def test_an_exported_record_reads_back_into_the_same_kind_and_body(kind: EventKind) -> None:
    event = export(kind, EXAMPLES[kind])
    found = read_back(event)
    assert found is not None
    assert found[0] is kind
    assert decode_body(kind.value, found[1]) == decode_body(kind.value, EXAMPLES[kind])
    assert export(kind, found[1])["eventID"] == event["eventID"]


@pytest.mark.parametrize("kind", [*CAPTURED_KINDS, EventKind.SERIALISED, *RECALL_STEPS])
def test_every_exported_event_is_a_valid_epcis_document_event(kind: EventKind) -> None:
    setting = Setting(BASE, POMELO, CLASSES, serials=["https://id.gs1.org/01/08936043123456/21/A1"])
    event = ledger_event(
        kind,
        decode_body(kind.value, EXAMPLES[kind]),
        occurred_at=WHEN,
        agency=PRODUCER,
        recorded_at_us=0,
        setting=setting,
    )
    read_document(as_document(event))
    assert event["eventID"] == event_hash_id(event, CONTEXT)
    assert event["readPoint"] == {"id": f"{BASE}/agencies/{PRODUCER}"}


def test_each_body_field_has_a_place_in_the_event() -> None:
    shipped = export(EventKind.SHIPPED, EXAMPLES[EventKind.SHIPPED])
    assert shipped["destinationList"] == [
        {"type": "possessing_party", "destination": f"{BASE}/agencies/{RETAILER}"}
    ]
    assert shipped["quantityList"] == [{"epcClass": POMELO, "quantity": 115, "uom": "XBX"}]
    assert shipped["trace:destination"] == "Kho phân phối, Hà Nội"
    received = export(EventKind.RECEIVED, EXAMPLES[EventKind.RECEIVED])
    assert received["sourceList"][0]["source"] == f"{BASE}/agencies/{COOPERATIVE}"
    assert received["bizLocation"] == {"id": f"{BASE}/agencies/{PRODUCER}"}
    milled = export(EventKind.TRANSFORMED, EXAMPLES[EventKind.TRANSFORMED])
    assert [e["epcClass"] for e in milled["inputQuantityList"]] == list(CLASSES.values())
    assert milled["outputQuantityList"] == [{"epcClass": POMELO, "quantity": 6400, "uom": "KGM"}]
    registered = export(EventKind.REGISTERED, EXAMPLES[EventKind.REGISTERED])
    # A code's leading zeros are part of it: published as a URI, never as bare digits.
    assert registered["ilmd"]["trace:origin"] == {"trace:province": f"{TRACE_VOC}province-42"}
    certified = export(EventKind.CERTIFIED, EXAMPLES[EventKind.CERTIFIED])
    assert certified["certificationInfo"] == f"{BASE}/certificates/ocop/OCOP-42-2025-017"
    assert certified["trace:stars"] == 4
    inspected = export(EventKind.INSPECTED, EXAMPLES[EventKind.INSPECTED])
    assert inspected["disposition"] == "https://ref.gs1.org/cbv/Disp-conformant"
    assert inspected["trace:samples"][0]["trace:matrix"] == "Quả bưởi"


@pytest.mark.parametrize(
    "change",
    [
        lambda e: e.update(bizTransactionList=[{"bizTransaction": "urn:uuid:1"}]),
        lambda e: e.update({"example:colour": "vàng"}),
        lambda e: e.update(readPoint={"id": "urn:epc:id:sgln:8936043.00001.0"}),
        lambda e: e.update(disposition="damaged"),
        lambda e: e["sourceList"].append({"type": "owning_party", "source": "urn:uuid:2"}),
    ],
)
def test_an_event_with_anything_the_kind_has_no_field_for_exports_to_another_hash(
    change: Any,
) -> None:
    event = export(EventKind.SHIPPED, EXAMPLES[EventKind.SHIPPED])
    changed = copy.deepcopy(event)
    change(changed)
    found = read_back(changed)
    if found is not None:  # read back, it is not the event that was sent
        assert export(found[0], found[1])["eventID"] != event_hash_id(changed, CONTEXT)


def test_declarations_labels_and_captured_events_are_not_read_back() -> None:
    event = export(EventKind.HARVESTED, EXAMPLES[EventKind.HARVESTED])
    declared = {**event, "errorDeclaration": {"declarationTime": WHEN}}
    assert read_back(declared) is None
    labels = ledger_event(
        EventKind.SERIALISED,
        decode_body("serialised", EXAMPLES[EventKind.SERIALISED]),
        occurred_at=WHEN,
        agency=PRODUCER,
        recorded_at_us=0,
        setting=SETTING,
    )
    assert read_back(labels) is None


def test_a_withdrawal_is_holding_recalled_goods_and_is_not_read_back() -> None:
    withdrawn = export(EventKind.WITHDRAWN, EXAMPLES[EventKind.WITHDRAWN])
    assert withdrawn["bizStep"] == "https://ref.gs1.org/cbv/BizStep-holding"
    assert withdrawn["disposition"] == "https://ref.gs1.org/cbv/Disp-recalled"
    assert withdrawn["quantityList"][0]["uom"] == "KGM"
    assert read_back(withdrawn) is None


def test_a_kept_event_is_given_back_as_captured_with_its_hash_and_record_time() -> None:
    body = decode_body("epcis_event", EXAMPLES[EventKind.EPCIS_EVENT])
    event = ledger_event(
        EventKind.EPCIS_EVENT,
        body,
        occurred_at=WHEN,
        agency=PRODUCER,
        recorded_at_us=1_790_000_000_000_000,
        setting=SETTING,
    )
    sent = json.loads(EXAMPLES[EventKind.EPCIS_EVENT]["event"])
    assert {k: v for k, v in event.items() if k not in ("eventID", "recordTime")} == sent
    assert event["eventID"] == EXAMPLES[EventKind.EPCIS_EVENT]["event_hash"]
    assert event["recordTime"] == "2026-09-21T14:13:20.000000Z"


def test_a_kept_event_whose_hash_is_not_its_own_is_refused() -> None:
    zero = "ni:///sha-256;" + "0" * 64 + "?ver=CBV2.0"
    wrong = {**EXAMPLES[EventKind.EPCIS_EVENT], "event_hash": zero}
    with pytest.raises(InvalidBody):
        decode_body("epcis_event", wrong)
    with pytest.raises(InvalidBody):
        decode_body("epcis_event", {**wrong, "event": "[1, 2]"})


def test_text_of_any_normal_form_and_numbers_are_kept_as_captured() -> None:
    nfd = unicodedata.normalize("NFD", "Bưởi Diễn 🍊")
    event = {"example:note": nfd, "example:temperature": Decimal("26.0")}
    text = ascii_json(event)
    assert text.isascii()
    # The statement's canonical form NFC-normalises its strings: ASCII text passes unchanged.
    assert json.loads(canonical_bytes({"event": text}))["event"] == text
    kept = msgspec.json.Decoder(float_hook=Decimal).decode(text)
    assert kept["example:note"] == nfd and str(kept["example:temperature"]) == "26.0"


@pytest.mark.parametrize(
    ("urn", "link"),
    [
        ("urn:epc:id:sgtin:8936043.012345.A1", "https://id.gs1.org/01/08936043123456/21/A1"),
        ("urn:epc:class:lgtin:8936043.012345.PT-2026-09", POMELO),
        ("urn:epc:idpat:sgtin:8936043.012345.*", "https://id.gs1.org/01/08936043123456"),
        ("https://example.vn/01/8936043123456/10/PT-2026-09?x=1", POMELO),
        ("urn:epc:id:sgln:8936047.00001.0", "https://id.gs1.org/414/8936047000012"),
    ],
)
def test_an_epc_and_its_digital_link_have_one_canonical_form(urn: str, link: str) -> None:
    check_identifier(urn)
    assert canonical_identifier(urn) == link


@pytest.mark.parametrize(
    "identifier",
    [
        "urn:epc:id:sgtin:8936043.01234.A1",
        "urn:epc:id:sgtin:89.0123456789A.1",
        "urn:epc:id:crate:1.2",
        "urn:epc:class:lgtin:8936043.012345",
        "https://id.gs1.org/01/08936043123457/10/X",
        "https://id.gs1.org/414/8936047000013",
    ],
)
def test_an_identifier_of_no_standard_form_is_refused(identifier: str) -> None:
    with pytest.raises(InvalidIdentifier):
        check_identifier(identifier)


def test_other_uris_are_identifiers_as_written() -> None:
    for uri in (
        "urn:uuid:0f8e4c1a-3b7d-4e2f-9a6c-5d1b2e3f4a5b",
        "urn:epc:id:gid:95100000.12345.400",
    ):
        check_identifier(uri)
        assert canonical_identifier(uri) == uri


def test_a_structural_error_names_where_it_is() -> None:
    event = export(EventKind.HARVESTED, EXAMPLES[EventKind.HARVESTED])
    event["eventTimeZoneOffset"] = "+7"
    with pytest.raises(InvalidEpcisDocument) as caught:
        read_document(as_document(event))
    assert "$.epcisBody.eventList[0].eventTimeZoneOffset" in caught.value.detail


def test_gs1s_reference_tool_recomputes_the_event_hash_id_of_every_kind() -> None:
    # One event of every kind the ledger exports, all in one document, as a partner gets them.
    setting = Setting(BASE, POMELO, CLASSES, serials=["https://id.gs1.org/01/08936043123456/21/A1"])
    events = [
        ledger_event(
            kind,
            decode_body(kind.value, EXAMPLES[kind]),
            occurred_at=WHEN,
            agency=PRODUCER,
            recorded_at_us=0,
            setting=setting,
        )
        for kind in [*CAPTURED_KINDS, EventKind.SERIALISED]
    ]
    events.append(export(EventKind.SOLD, {**EXAMPLES[EventKind.SOLD], "last": True}))
    assert events[-1]["trace:last"] == "true"  # the reference tool would hash a boolean True
    sold = read_back(events[-1])
    assert sold is not None and sold[1]["last"] is True
    document = json.loads(as_document(*events))
    assert reference_hash_ids(document) == [event["eventID"] for event in events]
