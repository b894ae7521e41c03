"""The window of times a statement may hold, and reading any stored bytes without failing."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from trace.domain.canonical import canonical_bytes
from trace.domain.errors import NotCanonical
from trace.domain.facts import Fact, Unreadable, Unshown, read_fact
from trace.domain.kinds import Inspected, decode_body
from trace.domain.times import (
    TimeOutOfRange,
    body_times,
    check_day,
    check_instant,
    check_new_statement,
    in_window,
    instant_of_us,
)

NOW = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
BATCH = "6f1c2d3e-4a5b-4c6d-8e7f-0a1b2c3d4e5f"
AGENCY = "0b9d8c7a-6b5c-4d3e-8f2a-1b2c3d4e5f6a"


def statement(occurred_at: str, kind: str = "harvested", body: Any = None) -> bytes:
    return canonical_bytes(
        {
            "v": 1,
            "batch": BATCH,
            "kind": kind,
            "occurred_at": occurred_at,
            "agency": AGENCY,
            "key": "1a2b3c4d5e6f7a8b",
            "body": {"quantity": {"value": "1", "unit": "KGM"}} if body is None else body,
            "nonce": "00112233445566778899aabbccddeeff",
        }
    )


@pytest.mark.parametrize(
    "moment",
    [
        datetime(1970, 1, 1, tzinfo=UTC),
        datetime(2199, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
        datetime(2026, 9, 1, 7, tzinfo=timezone(timedelta(hours=14))),
        datetime(2026, 9, 1, 7, tzinfo=timezone(-timedelta(hours=14))),
    ],
)
def test_the_ends_of_the_window_are_in_it(moment: datetime) -> None:
    check_instant(moment, field="occurred_at")


@pytest.mark.parametrize(
    ("moment", "reason"),
    [
        (datetime(1969, 12, 31, 23, 59, 59, tzinfo=UTC), "window"),
        (datetime(2200, 1, 1, tzinfo=UTC), "window"),
        (datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=7))), "window"),
        (datetime(9999, 12, 31, 23, 59, tzinfo=timezone(-timedelta(hours=12))), "window"),
        (datetime(2026, 9, 1, 7, tzinfo=timezone(timedelta(hours=14, minutes=1))), "offset"),
    ],
)
def test_times_past_the_ends_are_refused_saying_why(moment: datetime, reason: str) -> None:
    with pytest.raises(TimeOutOfRange) as refused:
        check_instant(moment, field="occurred_at")
    assert refused.value.params["reason"] == reason
    assert refused.value.params["field"] == "occurred_at"


def test_dates_have_the_same_window() -> None:
    check_day(date(1970, 1, 1), field="d")
    check_day(date(2199, 12, 31), field="d")
    for day in (date(1969, 12, 31), date(2200, 1, 1), date(1, 1, 1), date(9999, 12, 31)):
        with pytest.raises(TimeOutOfRange):
            check_day(day, field="d")


def test_a_new_statement_may_not_have_happened_more_than_a_day_ahead() -> None:
    body = decode_body("harvested", {"quantity": {"value": "1", "unit": "KGM"}})
    check_new_statement((NOW + timedelta(hours=23)).isoformat(), body, now=NOW)
    with pytest.raises(TimeOutOfRange) as refused:
        check_new_statement((NOW + timedelta(hours=25)).isoformat(), body, now=NOW)
    assert refused.value.params["reason"] == "future"


def test_body_times_are_named_by_their_path() -> None:
    body = decode_body(
        "inspected",
        {
            "laboratory": "Lab",
            "samples": [{"code": "S1"}, {"code": "S2", "taken_at": "2026-09-01T07:00:00+07:00"}],
            "analytes": [
                {
                    "name": "Pb",
                    "value": "0.1",
                    "unit": "mg/kg",
                    "method": "m",
                    "result": "conformant",
                }
            ],
            "result": "conformant",
        },
    )
    assert isinstance(body, Inspected)
    found = list(body_times(body))
    assert [path for path, _ in found] == ["body.samples[1].taken_at"]


def test_instants_of_stored_microseconds_outside_the_window_are_none() -> None:
    assert instant_of_us(0) == datetime(1970, 1, 1, tzinfo=UTC)
    assert instant_of_us(-1) is None
    assert instant_of_us(2**62) is None
    assert in_window("2026-09-01T07:00:00+07:00")
    assert not in_window("0001-01-01T00:00:00+07:00")
    assert not in_window("not a time")


def test_a_record_outside_the_window_is_read_as_such_with_its_body() -> None:
    fact = read_fact(statement("0001-01-01T00:00:00+07:00"))
    assert isinstance(fact, Unreadable)
    assert fact.reason is Unshown.OUT_OF_RANGE
    assert fact.statement is not None and fact.body is not None
    assert isinstance(read_fact(statement("2026-09-01T07:00:00+07:00")), Fact)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=400))
def test_any_bytes_are_read_without_failing(data: bytes) -> None:
    assert isinstance(read_fact(data), Fact | Unreadable)


JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**53) + 1, 2**53 - 1) | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=20,
)
TIMES = st.datetimes(
    min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30), timezones=st.timezones()
).map(lambda moment: moment.isoformat())


@settings(max_examples=300, deadline=None)
@given(
    occurred_at=TIMES | st.text(max_size=30),
    kind=st.sampled_from(["harvested", "certified", "inspected", "recalled", "teleported"]),
    body=JSON,
)
def test_any_signed_shape_of_statement_is_read_without_failing(
    occurred_at: str, kind: str, body: Any
) -> None:
    try:
        data = statement(occurred_at, kind, body)
    except NotCanonical:  # no canonical bytes at all: nothing a ledger could store
        assume(False)
    assert isinstance(read_fact(data), Fact | Unreadable)
