"""Canonical bytes: one byte string per fact, whatever device typed it."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from trace.domain.canonical import MAX_SAFE_INTEGER, canonical_bytes, parse_canonical
from trace.domain.errors import NotCanonical
from trace.domain.statement import Statement, encode_statement, statement_hash

NFC = "Bưởi Diễn"
NFD = unicodedata.normalize("NFD", NFC)


def _statement(product: str) -> Statement:
    return Statement(
        v=1,
        batch="6f1c2a52-0a7e-4c33-9d55-0d4f6a1e2b3c",
        kind="registered",
        occurred_at="2026-03-02T07:30:00+07:00",
        agency="0b9d8c7e-6f5a-4b3c-9d2e-1f0a9b8c7d6e",
        key="0123456789abcdef",
        body={"product": product, "lot": "BD-1", "origin": {"province": "01"}},
        nonce="00112233445566778899aabbccddeeff",
    )


def test_nfd_and_nfc_text_give_the_same_statement_hash() -> None:
    assert NFC != NFD
    assert statement_hash(encode_statement(_statement(NFD))) == statement_hash(
        encode_statement(_statement(NFC))
    )


def test_keys_are_sorted_and_output_is_compact_utf8() -> None:
    assert (
        canonical_bytes({"b": 1, "a": [True, None, "ơ"]}) == '{"a":[true,null,"ơ"],"b":1}'.encode()
    )


def test_floats_are_refused() -> None:
    with pytest.raises(NotCanonical) as caught:
        canonical_bytes({"quantity": 1.5})
    assert caught.value.params["reason"] == "float"


def test_integers_beyond_2_to_the_53_are_refused() -> None:
    canonical_bytes({"n": MAX_SAFE_INTEGER})
    with pytest.raises(NotCanonical):
        canonical_bytes({"n": MAX_SAFE_INTEGER + 1})


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b'{"b":1,"a":2}', "form"),
        (b'{"a": 2}', "whitespace"),
        (b'{"a":"' + NFD.encode() + b'"}', "not_nfc"),
        (b'{"a":1,"a":1}', "form"),
        (b'{"a":"\\u0062"}', "form"),
        (b"[1,2]", None),
        (b"\xff", None),
        (b'{"a":"\xc3"}', "not_json"),
        (b'{"a":1.0}', None),
    ],
)
def test_non_canonical_bytes_are_refused_with_a_reason(data: bytes, reason: str | None) -> None:
    with pytest.raises(NotCanonical) as caught:
        parse_canonical(data)
    if reason is not None:
        assert caught.value.params["reason"] == reason


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-MAX_SAFE_INTEGER, max_value=MAX_SAFE_INTEGER)
    | st.text(),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=12,
)


@given(st.dictionaries(st.text(max_size=8), json_values, max_size=5))
def test_canonical_bytes_parse_back_and_re_encode_identically(value: dict[str, object]) -> None:
    try:
        data = canonical_bytes(value)
    except NotCanonical:
        return  # two keys equal after NFC: refused, which is the rule
    assert canonical_bytes(parse_canonical(data)) == data
