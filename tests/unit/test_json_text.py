"""What JSON the ledger reads at all: nesting depth and the characters text may hold."""

from __future__ import annotations

import json

import msgspec
import pytest
from hypothesis import given
from hypothesis import strategies as st

from trace.domain.canonical import canonical_bytes, normalise, parse_canonical
from trace.domain.errors import BrokenRule, NotCanonical
from trace.domain.event_hash import event_hash_id
from trace.domain.json_text import MAX_DEPTH, misplaced_character, nesting_depth
from trace.domain.kinds import EpcisEvent, Name, Prose

EVENT = {
    "type": "ObjectEvent",
    "action": "OBSERVE",
    "eventTime": "2026-09-02T09:00:00+07:00",
    "eventTimeZoneOffset": "+07:00",
    "epcList": ["urn:epc:id:sgtin:8936047.000012.1"],
    "bizStep": "inspecting",
}

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(), inner, max_size=3),
    max_leaves=20,
)


def depth_of(value: object) -> int:
    if isinstance(value, dict):
        return 1 + max(map(depth_of, value.values()), default=0)
    if isinstance(value, list):
        return 1 + max(map(depth_of, value), default=0)
    return 0


@given(json_values)
def test_nesting_depth_counts_arrays_and_objects_whatever_the_strings_hold(value: object) -> None:
    assert nesting_depth(json.dumps(value)) == depth_of(value)


def test_brackets_inside_strings_and_escaped_quotes_are_not_counted() -> None:
    assert nesting_depth(r'{"a": "[[[{{\"]]]", "b": ["\\", "]"]}') == 2


def test_nesting_depth_stops_counting_past_its_limit() -> None:
    assert nesting_depth("[" * 100_000 + "]" * 100_000) == MAX_DEPTH + 1


def test_normalise_refuses_values_nested_deeper_than_the_limit_without_recursing_on() -> None:
    value: object = 1
    for _ in range(MAX_DEPTH):
        value = [value]
    assert normalise(value) == value
    for _ in range(5000):  # deep enough to exhaust Python's stack if recursed into
        value = {"a": value}
    with pytest.raises(NotCanonical) as refused:
        canonical_bytes(value)
    assert refused.value.params["reason"] == "too_deep"


def test_parse_canonical_refuses_deep_bytes_before_decoding_them() -> None:
    data = b'{"a":' + b"[" * 5000 + b"]" * 5000 + b"}"
    with pytest.raises(NotCanonical) as refused:
        parse_canonical(data)
    assert refused.value.params["reason"] == "too_deep"


def test_misplaced_characters_are_found_with_the_path_of_their_field() -> None:
    assert misplaced_character({"a": [{"b": "ok\n\t"}]}) is None
    assert misplaced_character({"a": [{"b": "x\x00"}]}) == ("a[0].b", "\x00")
    assert misplaced_character({"a": {"k\x1f": 1}}) == ("a.k\x1f", "\x1f")
    assert misplaced_character(["\ud800"]) == ("[0]", "\ud800")
    assert misplaced_character("\x7f") is None


@pytest.mark.parametrize("kind", [Name, Prose])
def test_text_of_a_body_holds_no_control_character_but_tab_and_line_breaks(kind: object) -> None:
    for good in ("Bưởi Diễn", " leading", "two\nlines", "tab\there", "\u00a0nbsp"):
        assert msgspec.convert(good, kind) == good
    for bad in ("a\x00b", "bell\x07", "esc\x1b[0m", "  ", "\n\t"):
        with pytest.raises(msgspec.ValidationError):
            msgspec.convert(bad, kind)


def test_an_epcis_event_text_with_a_control_character_is_an_invalid_body() -> None:
    event = {**EVENT, "readPoint": {"id": "urn:epc:id:sgln:8936047.00001.0\x00"}}
    body = {"event": json.dumps(event), "event_hash": event_hash_id(event)}
    with pytest.raises(msgspec.ValidationError) as refused:
        msgspec.convert(body, EpcisEvent)
    broken = refused.value.__cause__
    assert isinstance(broken, BrokenRule) and broken.field == "event"
    assert "U+0000" in str(broken.params["character"])
    clean = {"event": json.dumps(EVENT), "event_hash": event_hash_id(EVENT)}
    assert msgspec.convert(clean, EpcisEvent).event_hash == clean["event_hash"]
