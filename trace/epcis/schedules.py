"""Query schedules of EPCIS subscriptions: when a scheduled subscription reports.

EPCIS 2.0 (section 8.2.5.3, and the REST binding's ``schedule`` object) schedules a query
like a cron job, with the fields ``second``, ``minute``, ``hour``, ``dayOfMonth``, ``month``
and ``dayOfWeek``. Each field is a list of elements separated by commas; an element is a
number, a range ``[a-b]``, or (as the binding's own example ``"0/30"`` writes it) a start
and a step ``a/b``. Days of the week run from 1 (Monday) to 7 (Sunday).

A field left out matches every value when it is coarser than the finest field given, and
only its first value when finer: ``{"hour": "1", "minute": "5"}`` runs at 01:05:00 each
day, not during every second of that minute. Times are UTC: the binding names no zone.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from trace.domain.record import from_us, to_us

# Finest first; each with its range.
FIELDS: tuple[tuple[str, int, int], ...] = (
    ("second", 0, 59),
    ("minute", 0, 59),
    ("hour", 0, 23),
    ("dayOfMonth", 1, 31),
    ("month", 1, 12),
    ("dayOfWeek", 1, 7),
)
_RANGES = {name: (low, high) for name, low, high in FIELDS}
_TIME_OF_DAY = ("second", "minute", "hour")
_ELEMENT = re.compile(r"(\d+)|\[(\d+)-(\d+)\]|(\d+)/(\d+)", re.ASCII)
# Far enough for any schedule that can match (29 February comes every 4 years, or 8).
_SEARCH_DAYS = 366 * 8


class InvalidSchedule(ValueError):
    """A schedule field is not a list of numbers, ranges or steps within its range."""

    def __init__(self, field: str, written: str) -> None:
        low, high = _RANGES.get(field, (0, 0))
        super().__init__(f"{field}: {written!r} is not a schedule value from {low} to {high}")
        self.field, self.written, self.low, self.high = field, written, low, high


@dataclass(frozen=True, slots=True)
class Schedule:
    """The values each field matches."""

    seconds: frozenset[int]
    minutes: frozenset[int]
    hours: frozenset[int]
    days_of_month: frozenset[int]
    months: frozenset[int]
    days_of_week: frozenset[int]

    def matches(self, moment: datetime) -> bool:
        """Whether the schedule runs at ``moment`` (UTC, whole seconds)."""
        return (
            moment.second in self.seconds
            and moment.minute in self.minutes
            and moment.hour in self.hours
            and self._day(moment)
        )

    def _day(self, moment: datetime) -> bool:
        return (
            moment.month in self.months
            and moment.day in self.days_of_month
            and moment.isoweekday() in self.days_of_week
        )

    def next_after(self, at_us: int) -> int:
        """The first moment after ``at_us`` at which the schedule runs, in microseconds."""
        start = from_us(at_us).astimezone(UTC).replace(microsecond=0) + timedelta(seconds=1)
        day = start.replace(hour=0, minute=0, second=0)
        for _ in range(_SEARCH_DAYS):
            if self._day(day):
                found = self._first_time(day, start)
                if found is not None:
                    return to_us(found)
            day += timedelta(days=1)
        raise InvalidSchedule("dayOfMonth", "no day matches")

    def _first_time(self, day: datetime, start: datetime) -> datetime | None:
        """The first time of ``day`` the schedule runs at, from ``start`` on."""
        for hour in sorted(
            h for h in self.hours if day.replace(hour=h, minute=59, second=59) >= start
        ):
            for minute in sorted(self.minutes):
                if day.replace(hour=hour, minute=minute, second=59) < start:
                    continue
                for second in sorted(self.seconds):
                    moment = day.replace(hour=hour, minute=minute, second=second)
                    if moment >= start:
                        return moment
        return None


def _values(field: str, written: str) -> frozenset[int]:
    low, high = _RANGES[field]
    values: set[int] = set()
    for element in written.replace(" ", "").split(","):
        match = _ELEMENT.fullmatch(element)
        if match is None:
            raise InvalidSchedule(field, written)
        if match[1] is not None:
            first, last, step = int(match[1]), int(match[1]), 1
        elif match[2] is not None:
            first, last, step = int(match[2]), int(match[3]), 1
        else:
            first, last, step = int(match[4]), high, int(match[5])
        if not low <= first <= last <= high or step < 1:
            raise InvalidSchedule(field, written)
        values.update(range(first, last + 1, step))
    return frozenset(values)


def parse_schedule(fields: Mapping[str, str]) -> Schedule:
    """The schedule of the binding's ``schedule`` object; :class:`InvalidSchedule` if wrong."""
    unknown = set(fields) - set(_RANGES)
    if unknown:
        name = sorted(unknown)[0]
        raise InvalidSchedule(name, fields[name])
    if not fields:
        raise InvalidSchedule("second", "")
    finest = min(i for i, (name, _, _) in enumerate(FIELDS) if name in fields)
    chosen: dict[str, frozenset[int]] = {}
    for index, (name, low, high) in enumerate(FIELDS):
        if name in fields:
            chosen[name] = _values(name, fields[name])
        elif index < finest and name in _TIME_OF_DAY:
            chosen[name] = frozenset({low})
        else:
            chosen[name] = frozenset(range(low, high + 1))
    return Schedule(
        chosen["second"],
        chosen["minute"],
        chosen["hour"],
        chosen["dayOfMonth"],
        chosen["month"],
        chosen["dayOfWeek"],
    )
