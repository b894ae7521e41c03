"""What a label prints of a packing record."""

from __future__ import annotations

from trace.domain.kinds import Packed, decode_body
from trace.labels.facts import per_package


def packed(value: str, count: int) -> Packed:
    body = decode_body(
        "packed",
        {"package_type": "túi", "count": count, "quantity": {"value": value, "unit": "KGM"}},
    )
    assert isinstance(body, Packed)
    return body


def test_the_net_quantity_of_one_package_is_the_total_over_the_count() -> None:
    each = per_package(packed("12", 24))
    assert each is not None and (each.value, each.unit.value) == ("0.5", "KGM")


def test_a_package_of_less_than_a_thousandth_of_its_unit_prints_no_net_quantity() -> None:
    # Found by the property test of issue 12: 0.001 kg in 1,000 bags rounded to "0", which
    # no quantity may be, and the label answered 500.
    assert per_package(packed("0.001", 1000)) is None
