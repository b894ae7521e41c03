"""What a partner's EPCIS event creates: lots, serialised groups, quantities and places."""

from __future__ import annotations

import itertools
from decimal import Decimal
from typing import Any

import pytest

from trace.domain.event_hash import EPCIS_PREFIXES, canonical_value
from trace.domain.places import place_text
from trace.epcis.creation import Creation
from trace.epcis.errors import InputQuantityUnknown
from trace.epcis.subjects import BatchRef, identifiers, serial_lot

HASH = "ni:///sha-256;c794227acf3a4d9be9ba1f8340425782f88a0f4e3f35b533a8bf8f1bc206a379?ver=CBV2.0"
BASE = "https://trace.example.vn"
ME = "0b7f6c1e-2d3a-4b5c-8d9e-0f1a2b3c4d5e"


def creation(known: dict[str, BatchRef] | None = None) -> Creation:
    counter = itertools.count(1)
    return Creation(
        BASE,
        ME,
        "https://trace.example/voc/",
        known if known is not None else {},
        lambda: f"00000000-0000-4000-8000-{next(counter):012d}",
    )


def made(event: dict[str, Any], found: Creation) -> list[Any]:
    return found.made(event, EPCIS_PREFIXES, identifiers(event, EPCIS_PREFIXES), HASH)


def test_a_gln_is_shown_by_its_number_and_other_places_as_written() -> None:
    gln = canonical_value("urn:epc:id:sgln:8936047.00001.0", EPCIS_PREFIXES)
    assert place_text(gln) == "GLN 8936047000012"
    assert place_text(f"{gln}/254/kho-2") == "GLN 8936047000012 / kho-2"
    assert place_text("https://example.vn/vuon-7") == "https://example.vn/vuon-7"


def test_serialised_items_take_the_ilmd_lot_number_else_the_events_hash() -> None:
    assert serial_lot({}, EPCIS_PREFIXES, HASH) == "C794227ACF3A"
    named = {"ilmd": {"cbvmda:lotNumber": "L-26"}}
    assert serial_lot(named, EPCIS_PREFIXES, HASH) == "L-26"
    not_a_lot = {"ilmd": {"cbvmda:lotNumber": "lô 26"}}  # not GS1 character set 82
    assert serial_lot(not_a_lot, EPCIS_PREFIXES, HASH) == "C794227ACF3A"


def test_an_add_makes_a_batch_per_lot_and_per_gtin_of_items_counted() -> None:
    event = {
        "type": "ObjectEvent",
        "action": "ADD",
        "epcList": [
            "urn:epc:id:sgtin:8936047.000011.1",
            "urn:epc:id:sgtin:8936047.000011.2",
            "urn:epc:id:sscc:8936047.0000000001",
        ],
        "quantityList": [
            {"epcClass": "urn:epc:class:lgtin:8936047.000012.T-1", "quantity": Decimal("12.50")},
            {"epcClass": "urn:epc:class:lgtin:8936047.000013.T-2", "quantity": 3, "uom": "LBR"},
        ],
        "readPoint": {"id": "urn:epc:id:sgln:8936047.00001.0"},
    }
    found = creation()
    records = made(event, found)
    assert [(r.kind.value, r.batch.gtin, r.batch.lot) for r in records] == [
        ("registered", "08936047000128", "T-1"),
        ("registered", "08936047000135", "T-2"),
        ("registered", "08936047000111", "C794227ACF3A"),
    ]
    assert records[0].body["quantity"] == {"value": "12.5", "unit": "H87"}
    assert "quantity" not in records[1].body  # pounds: the event keeps what the ledger cannot
    assert records[2].body["quantity"] == {"value": "2", "unit": "H87"}
    assert records[2].body["place"] == "https://id.gs1.org/414/8936047000012"
    assert records[2].body["product"] == "GTIN 08936047000111"
    # Later events find the items: the creation remembered them.
    assert found.known["https://id.gs1.org/01/08936047000111/21/2"] == records[2].batch


def test_an_observation_or_a_declared_error_makes_nothing() -> None:
    event = {
        "type": "ObjectEvent",
        "action": "OBSERVE",
        "quantityList": [{"epcClass": "urn:epc:class:lgtin:8936047.000012.T-1", "quantity": 1}],
    }
    assert made(event, creation()) == []
    declared = {**event, "action": "ADD", "errorDeclaration": {"declarationTime": "2026-09-01"}}
    assert made(declared, creation()) == []


def test_a_known_input_needs_a_quantity_the_ledger_keeps() -> None:
    paddy = BatchRef("00000000-0000-4000-8000-00000000aaaa", "08936047000111", "P-1", "")
    event = {
        "type": "TransformationEvent",
        "inputQuantityList": [{"epcClass": paddy.epc_class(BASE), "quantity": 5, "uom": "LBR"}],
        "outputQuantityList": [{"epcClass": "urn:epc:class:lgtin:8936047.000012.G-1"}],
    }
    with pytest.raises(InputQuantityUnknown):
        made(event, creation({paddy.epc_class(BASE): paddy}))
