"""The times and dates a statement may hold: the window the ledger accepts and can always show.

Python's ``datetime`` reaches from year 1 to year 9999, so a time near either end cannot
even be moved to Vietnam's time zone, and every reader that shows or converts it would
fail. The ledger therefore accepts, and its readers show, only:

- instants (``occurred_at``, a sample's ``taken_at``, a recall's ``effective_at``) from
  1970-01-01T00:00:00Z up to, not including, 2200-01-01T00:00:00Z, written with a UTC
  offset of at most 14 hours either way (the range XML Schema allows a time zone, and so
  EPCIS's ``eventTimeZoneOffset``; every zone in use lies within it);
- calendar dates (production, expiry, validity of a certificate) from 1970-01-01 to
  2199-12-31;
- an ``occurred_at`` no later than one day after the ledger records the statement: a
  fact is recorded after it happens, and a day covers a device whose clock or time zone
  is wrong.

The window is wide for any real event and far from the edges, so a time inside it can be
converted to any zone, shifted by any validity period the kinds use and formatted by
every reader. Records stored before the window was enforced may lie outside it; readers
show such a record as one they cannot show (:mod:`trace.domain.facts`) and move on.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from types import MappingProxyType

import msgspec

from trace.domain.errors import DomainError
from trace.domain.statement import parse_time
from trace.domain.texts import N_

EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
END = datetime(2200, 1, 1, tzinfo=UTC)
FIRST_DAY = date(1970, 1, 1)
LAST_DAY = date(2199, 12, 31)
MAX_OFFSET = timedelta(hours=14)
CLOCK_SKEW = timedelta(days=1)
# The window in the OpenAPI description, as patterns a client or a fuzzer can read: the
# years 1970 to 2199 and offsets within ±14:00. The exact bounds are instants in UTC (an
# instant of 1970-01-01 east of Greenwich is still 1969 in UTC) and a real calendar day;
# the ledger checks those itself.
_YEARS = r"(?:19[7-9][0-9]|2[01][0-9]{2})-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12][0-9]|3[01])"
DAY_PATTERN = f"^{_YEARS}$"
TIME_PATTERN = (
    f"^{_YEARS}T(?:[01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](?:\\.[0-9]{{1,6}})?"
    r"(?:Z|[+-](?:0[0-9]|1[0-3]):[0-5][0-9]|[+-]14:00)$"
)
_EARLIEST_US = 0
_END_US = (END - EARLIEST) // timedelta(microseconds=1)


class TimeOutOfRange(DomainError):
    """A time or date lies outside the window the ledger accepts (or is in the future)."""

    code = "time_out_of_range"
    words = N_(
        "{field} = {value} is outside the times the ledger accepts: 1970-01-01 "
        "to 2199-12-31, with a UTC offset within ±14:00. Check the date and "
        "time and resend."
    )
    variants = MappingProxyType(
        {
            "future": N_(
                "{field} = {value} is in the future: an event is recorded "
                "after it happens. Check the device's date, time and time "
                "zone."
            ),
            "offset": N_(
                "The UTC offset of {field} = {value} is not a real one: it "
                "must lie between -14:00 and +14:00 (Vietnam is +07:00)."
            ),
        }
    )


def check_instant(moment: datetime, *, field: str) -> None:
    """Raise :class:`TimeOutOfRange` unless ``moment`` (aware) lies in the ledger's window."""
    offset = moment.utcoffset()
    if offset is None or abs(offset) > MAX_OFFSET:
        raise TimeOutOfRange(
            f"{field}: the UTC offset must be between -14:00 and +14:00",
            reason="offset",
            field=field,
            value=moment.isoformat(),
        )
    # Aware datetimes compare by their UTC instant without converting (no overflow).
    if not EARLIEST <= moment < END:
        raise TimeOutOfRange(
            f"{field}: {moment.isoformat()} is outside 1970-01-01 to 2199-12-31",
            reason="window",
            field=field,
            value=moment.isoformat(),
        )


def check_day(day: date, *, field: str) -> None:
    """Raise :class:`TimeOutOfRange` unless ``day`` lies in the ledger's window."""
    if not FIRST_DAY <= day <= LAST_DAY:
        raise TimeOutOfRange(
            f"{field}: {day.isoformat()} is outside 1970-01-01 to 2199-12-31",
            reason="window",
            field=field,
            value=day.isoformat(),
        )


def check_new_statement(occurred_at: str, body: msgspec.Struct, *, now: datetime) -> None:
    """Raise :class:`TimeOutOfRange` unless every time of a statement recorded at ``now``
    (its ``occurred_at`` and each date and time of its decoded ``body``) is acceptable."""
    check_new_statement_time(occurred_at, now=now)
    check_body_times(body)


def check_new_statement_time(occurred_at: str, *, now: datetime) -> None:
    """Raise unless ``occurred_at`` is an RFC 3339 time in the window, not ahead of ``now``
    (:class:`~trace.domain.errors.InvalidStatement` for its form, else
    :class:`TimeOutOfRange`)."""
    occurred = parse_time(occurred_at, field="occurred_at")
    check_instant(occurred, field="occurred_at")
    check_not_future(occurred, now, field="occurred_at")


def check_not_future(moment: datetime, now: datetime, *, field: str) -> None:
    """Raise :class:`TimeOutOfRange` if ``moment`` is more than a day after ``now``."""
    if moment > now + CLOCK_SKEW:
        raise TimeOutOfRange(
            f"{field}: {moment.isoformat()} is in the future",
            reason="future",
            field=field,
            value=moment.isoformat(),
        )


def instant_of_us(micros: int) -> datetime | None:
    """The UTC time ``micros`` microseconds after the epoch if it lies in the window, else None.

    For times the ledger wrote itself (``recorded_at_us``): only a change behind its back
    puts one outside the window, and the record hash then shows the change.
    """
    if not _EARLIEST_US <= micros < _END_US:
        return None
    return EARLIEST + timedelta(microseconds=micros)


def in_window(text: object) -> bool:
    """Whether ``text`` is an RFC 3339 time with an offset that lies in the window.

    For readers that pass stored times on as text (exports) without showing them.
    """
    if not isinstance(text, str):
        return False
    try:
        check_instant(parse_time(text, field="time"), field="time")
    except DomainError:
        return False
    return True


def body_times(value: object, path: str = "body") -> Iterator[tuple[str, date]]:
    """Every date and time in a decoded body, with the path of its field (``body.samples[0]…``).

    ``datetime`` is a ``date`` too: callers tell them apart with ``isinstance``.
    """
    if isinstance(value, date):
        yield path, value
    elif isinstance(value, msgspec.Struct):
        for name in value.__struct_fields__:
            yield from body_times(getattr(value, name), f"{path}.{name}")
    elif isinstance(value, (tuple, list)):
        for index, item in enumerate(value):
            yield from body_times(item, f"{path}[{index}]")


def check_body_times(body: msgspec.Struct) -> None:
    """Raise :class:`TimeOutOfRange` for the first date or time of ``body`` outside the window."""
    for path, value in body_times(body):
        if isinstance(value, datetime):
            check_instant(value, field=path)
        else:
            check_day(value, field=path)
