"""Query schedules of EPCIS subscriptions run when the standard's cron-like fields say."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from trace.domain.record import from_us, to_us
from trace.epcis.schedules import InvalidSchedule, parse_schedule


def next_run(fields: dict[str, str], after: str) -> str:
    moment = datetime.fromisoformat(after).replace(tzinfo=UTC)
    return from_us(parse_schedule(fields).next_after(to_us(moment))).strftime("%Y-%m-%d %H:%M:%S")


def test_hour_and_minute_run_once_a_day_at_that_minute_s_start() -> None:
    assert next_run({"hour": "1", "minute": "5"}, "2026-09-01T00:00:00") == "2026-09-01 01:05:00"
    assert next_run({"hour": "1", "minute": "5"}, "2026-09-01T01:05:00") == "2026-09-02 01:05:00"


def test_steps_ranges_and_lists_are_understood() -> None:
    assert next_run({"second": "0/30"}, "2026-09-01T00:00:10") == "2026-09-01 00:00:30"
    assert next_run({"minute": "[10-12]"}, "2026-09-01T00:11:00") == "2026-09-01 00:12:00"
    assert next_run({"hour": "3,20"}, "2026-09-01T04:00:00") == "2026-09-01 20:00:00"


def test_days_of_week_run_from_monday_as_1() -> None:
    # 1 September 2026 is a Tuesday; the next Sunday (7) is the 6th.
    assert next_run({"dayOfWeek": "7"}, "2026-09-01T12:00:00") == "2026-09-06 00:00:00"


def test_29_february_is_found_years_ahead() -> None:
    fields = {"month": "2", "dayOfMonth": "29"}
    assert next_run(fields, "2026-03-01T00:00:00") == "2028-02-29 00:00:00"


def test_a_schedule_no_day_matches_is_refused_rather_than_run_never() -> None:
    with pytest.raises(InvalidSchedule):
        parse_schedule({"month": "2", "dayOfMonth": "30"}).next_after(0)


def test_a_run_every_second_is_the_next_second() -> None:
    assert next_run({"second": "0/1"}, "2026-09-01T23:59:58") == "2026-09-01 23:59:59"
    assert next_run({"second": "0/1"}, "2026-09-01T23:59:59") == "2026-09-02 00:00:00"


@pytest.mark.parametrize(
    "fields", [{"minute": "60"}, {"hour": "x"}, {"dayOfWeek": "0"}, {}, {"week": "1"}]
)
def test_values_outside_their_range_are_refused(fields: dict[str, str]) -> None:
    with pytest.raises(InvalidSchedule):
        parse_schedule(fields)
