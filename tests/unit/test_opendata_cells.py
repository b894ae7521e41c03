"""What of a statement reaches open data: key fields yes, free text and households no."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from trace.domain.kinds import EventKind
from trace.opendata.cells import (
    PUBLIC_FIELDS,
    counterparty,
    envelope,
    public_body,
    quantity,
    utc_micros,
    utc_text,
)
from trace.opendata.datasets import DATASETS
from trace.opendata.parties import public_party

SHOP = "11111111-1111-4111-8111-111111111111"
FAMILY = "22222222-2222-4222-8222-222222222222"
PARTIES = {
    SHOP: public_party(SHOP, "Siêu thị Hà Thành", "distributor", False, "01", None),
    FAMILY: public_party(FAMILY, "Nguyễn Văn Tâm", "producer", True, "01", "00091"),
}


def test_every_kind_has_a_list_of_public_fields() -> None:
    assert set(PUBLIC_FIELDS) == {kind.value for kind in EventKind}


def test_free_text_that_may_name_people_is_left_out() -> None:
    shipped = {
        "to": SHOP,
        "quantity": {"value": "5", "unit": "KGM"},
        "destination": "Số 12 phố Huế",
    }
    assert public_body("shipped", shipped, PARTIES) == {"to": SHOP, "quantity": shipped["quantity"]}
    planted = {"crop": "Lúa", "area": "R-1", "seed_source": "ông Ba", "note": "gọi 0912345678"}
    assert public_body("planted", planted, PARTIES) == {"crop": "Lúa", "area": "R-1"}
    corrected = {"corrects": "ab" * 32, "reason": "Anh Tâm nhập nhầm"}
    assert public_body("corrected", corrected, PARTIES) == {"corrects": "ab" * 32}
    transformed = {"process": "milling", "inputs": [], "description": "theo lời chị Hoa"}
    assert "description" not in public_body("transformed", transformed, PARTIES)


def test_a_household_named_by_a_body_becomes_nobody() -> None:
    body = {"from": FAMILY}
    assert public_body("received", body, PARTIES) == {"from": None}
    other = counterparty(body, PARTIES)
    assert other is not None and other.id is None and other.name is None and other.household
    assert other.commune == "00091"
    assert counterparty({"to": SHOP}, PARTIES) == PARTIES[SHOP]
    assert counterparty({"quantity": {"value": "1", "unit": "KGM"}}, PARTIES) is None


def test_quantities_are_decimal_text_with_their_unit() -> None:
    assert quantity({"quantity": {"value": "12.5", "unit": "KGM"}}) == ("12.5", "KGM")
    assert quantity({"output_quantity": {"value": "3", "unit": "TNE"}}) == ("3", "TNE")
    assert quantity({"quantity": 12}) == (None, None) and quantity({}) == (None, None)


def test_a_statement_that_no_longer_parses_has_no_envelope() -> None:
    assert envelope(b"{not json") is None
    assert envelope(b'{"kind":"harvested"}') is None
    good = b'{"agency":"a","body":{},"kind":"harvested","occurred_at":"2026-09-01T07:00:00+07:00"}'
    parsed = envelope(good)
    assert parsed is not None and parsed.kind == "harvested"


# The ledger's window of times, 1970 to 2199 (trace/domain/times.py).
@given(st.integers(min_value=0, max_value=7_258_118_399_999_999))
def test_recorded_times_keep_every_microsecond(micros: int) -> None:
    text = utc_text(micros)
    assert text is not None and text.endswith("Z") and utc_micros(text) == micros


# As far as Python's datetime goes and beyond: only a change behind the ledger's back.
@given(
    st.integers(max_value=-1) | st.integers(min_value=7_258_118_400_000_000),
)
def test_a_recorded_time_outside_the_window_has_no_text(micros: int) -> None:
    assert utc_text(micros) is None


def test_every_field_is_documented_in_both_languages_once() -> None:
    for dataset in DATASETS.values():
        names = dataset.field_names
        assert len(set(names)) == len(names), dataset.name
        assert set(dataset.primary_key) <= set(names)
        for field in dataset.fields:
            assert field.vi.strip() and field.en.strip() and field.vi != field.en, field.name
            assert field.type in {
                "string",
                "integer",
                "number",
                "boolean",
                "date",
                "datetime",
                "object",
                "array",
            }
