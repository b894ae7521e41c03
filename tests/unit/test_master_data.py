"""Master data in the domain: GLNs checked, codes found however an event writes them, and
the EPCIS vocabulary list of what is registered."""

from __future__ import annotations

import pytest

from trace.domain.errors import InvalidIdentifier
from trace.domain.master_data import (
    BUSINESS_LOCATION,
    EPC_CLASS,
    MDA,
    READ_POINT,
    Location,
    Product,
    gln_of,
    gtin_of,
    named_by,
    validate_gln,
    vocabulary_list,
)

# GS1 General Specifications' example GLN 0614141000005 (check digit 5); a Vietnamese one.
GLN = "8936047000012"
SGLN = "urn:epc:id:sgln:8936047.00001.0"
GTIN = "08936047000128"


def test_a_gln_is_thirteen_digits_with_its_check_digit() -> None:
    assert validate_gln(GLN) == GLN
    assert validate_gln("0614141000005") == "0614141000005"
    for wrong, reason in (
        ("8936047000013", "gln_check_digit"),
        ("893604700001", "length"),
        ("89360470000١2", "digits"),
    ):
        with pytest.raises(InvalidIdentifier) as refused:
            validate_gln(wrong)
        assert refused.value.params["reason"] == reason


def test_a_gln_is_found_written_as_digital_link_or_sgln_but_not_with_an_extension() -> None:
    assert gln_of(SGLN) == GLN
    assert gln_of(f"https://id.gs1.org/414/{GLN}") == GLN
    assert gln_of(f"https://example.vn/414/{GLN}?x=1") == GLN
    assert gln_of("urn:epc:id:sgln:8936047.00001.7") is None  # a sub-location
    assert gln_of("https://trace.example/agencies/1") is None


def test_a_gtin_is_found_in_an_epc_a_class_a_lot_or_a_pattern() -> None:
    for written in (
        f"https://id.gs1.org/01/{GTIN}/10/BD-1",
        f"https://id.gs1.org/01/{GTIN}/21/7",
        "urn:epc:id:sgtin:8936047.000012.7",
        "urn:epc:class:lgtin:8936047.000012.BD-1",
        "urn:epc:idpat:sgtin:8936047.000012.*",
    ):
        assert gtin_of(written) == GTIN, written
    assert gtin_of("https://trace.example/b/ABC") is None


def _location() -> Location:
    return Location(
        GLN,
        "a",
        "Vườn bưởi Phú Thượng",
        "Phu Thuong pomelo garden",
        "01",
        "Thôn 3",
        "00091",
        21.08,
        105.8,
        0,
    )


def test_the_vocabulary_names_each_place_as_the_events_write_it_and_each_product_by_gtin() -> None:
    events = [
        {
            "type": "ObjectEvent",
            "readPoint": {"id": SGLN},
            "bizLocation": {"id": f"https://id.gs1.org/414/{GLN}"},
            "quantityList": [{"epcClass": f"https://id.gs1.org/01/{GTIN}/10/BD-1"}],
            "sourceList": [{"type": "location", "source": "urn:epc:id:sgln:0614141.00002.0"}],
        }
    ]
    named = named_by(events)
    assert named.glns == {GLN, "0614141000029"}
    assert named.gtins == (GTIN,)
    product = Product(GTIN, "a", "Bưởi Diễn", "Dien pomelo", 0)
    vocabulary = vocabulary_list(named, {GLN: _location()}, {GTIN: product})
    by_type = {v["type"]: v["vocabularyElementList"] for v in vocabulary}
    assert set(by_type) == {READ_POINT, BUSINESS_LOCATION, EPC_CLASS}
    assert [e["id"] for e in by_type[READ_POINT]] == [SGLN]
    # The unregistered source has no element: nothing is said of a code nobody named.
    assert [e["id"] for e in by_type[BUSINESS_LOCATION]] == [f"https://id.gs1.org/414/{GLN}"]
    attributes = by_type[BUSINESS_LOCATION][0]["attributes"]
    names = [a["attribute"] for a in attributes if a["id"] == MDA + "name"]
    assert names == [
        {"@value": "Vườn bưởi Phú Thượng", "@language": "vi"},
        {"@value": "Phu Thuong pomelo garden", "@language": "en"},
    ]
    values = {a["id"].removeprefix(MDA): a["attribute"] for a in attributes}
    assert values["countryCode"] == "VN" and values["state"] == "Hà Nội"
    assert values["city"] == "Phường Phú Thượng" and values["latitude"] == 21.08
    [pomelo] = by_type[EPC_CLASS]
    assert pomelo["id"] == f"https://id.gs1.org/01/{GTIN}"
    assert {"@value": "Dien pomelo", "@language": "en"} in [
        a["attribute"] for a in pomelo["attributes"]
    ]


def test_nothing_registered_gives_an_empty_vocabulary() -> None:
    assert vocabulary_list(named_by([{"readPoint": {"id": SGLN}}]), {}, {}) == []
