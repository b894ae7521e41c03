"""Hypothesis strategies for what a client may send: event bodies of every kind, and times.

Bodies are drawn from the kinds' own declarations (the msgspec Structs of
trace/domain/kinds.py, read with ``msgspec.inspect``), so a new field or constraint is
fuzzed the day it is declared: text of any Unicode within its lengths and patterns,
numbers within their bounds, dates and times across the whole calendar (mostly inside the
ledger's window, sometimes far outside it), every enum value, optional fields present or
not. Fields that name other records (an agency, an input batch, a corrected record) are
drawn from what the test has, so that some of them are accepted.
"""

from __future__ import annotations

import re
import string
from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

import msgspec.inspect as mi
from hypothesis import strategies as st

from trace.domain.kinds import BODY_TYPES, EventKind

Strategy = st.SearchStrategy[Any]
# Field name -> strategy for fields whose values must name something that exists.
Overrides = Mapping[str, Strategy]

NOW = datetime.now(UTC)
# Mostly times a real event has (the last forty years, offsets within ±14:00); sometimes
# any time a calendar holds, with any offset.
_OFFSETS = st.integers(-14 * 60, 14 * 60).map(lambda m: timedelta(minutes=m))
RECENT_TIMES = st.builds(
    lambda back, offset: (NOW - back).astimezone(timezone(offset)),
    st.timedeltas(timedelta(0), timedelta(days=365 * 40)),
    _OFFSETS,
)
_ANY_TIMES = st.datetimes(
    min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30), timezones=st.timezones()
)
TIMES = st.one_of(RECENT_TIMES, RECENT_TIMES, RECENT_TIMES, _ANY_TIMES).map(
    lambda moment: moment.isoformat()
)
DATES = st.one_of(
    st.dates(date(1970, 1, 1), date(2199, 12, 31)),
    st.dates(date(2000, 1, 1), date(2040, 12, 31)),
    st.dates(),
).map(date.isoformat)
# Vietnamese as typed on phones (precomposed or not), and anything else Unicode has.
_VIETNAMESE = "ăâđêôơưàảãáạằẳẵắặầẩẫấậèẻẽéẹềểễếệìỉĩíịòỏõóọồổỗốộờởỡớợùủũúụừửữứựỳỷỹýỵ\u0300\u0301"
# Vietnamese as typed, or any character Unicode has (surrogates aside, as JSON requires).
_ALPHABETS = (
    st.sampled_from(string.ascii_letters + string.digits + " " + _VIETNAMESE),
    st.characters(codec="utf-8"),
)


def _text(info: mi.StrType) -> Strategy:
    lo, hi = info.min_length or 0, info.max_length
    pattern = info.pattern
    if pattern is not None and pattern.startswith("^"):
        # An anchored pattern is a format (a lot, a code, a decimal): draw from it.
        return st.from_regex(pattern, fullmatch=True).filter(
            lambda s: lo <= len(s) and (hi is None or len(s) <= hi)
        )
    drawn = st.one_of(
        *(st.text(alphabet, min_size=lo, max_size=min(hi or 60, 60)) for alphabet in _ALPHABETS)
    )
    if pattern is None:
        return drawn
    # An unanchored pattern asks for something somewhere (a visible character): one is
    # put in front of text that has none.
    return drawn.map(lambda s: s if re.search(pattern, s) else ("Đ" + s)[: hi or None])


# ``epcis`` is the partner's event a record was captured from (trace/epcis/creation.py):
# only capture fills it, with an event whose Event Hash ID it computes. Without it, a
# registration needs ``origin``, which the declaration leaves optional for capture's sake.
CAPTURE_ONLY = frozenset({"epcis"})
REQUIRED_OF_CLIENTS = frozenset({"origin"})


def strategy_of(info: mi.Type, overrides: Overrides, name: str = "") -> Strategy:
    """A strategy for JSON values of the msgspec type ``info`` (field ``name``)."""
    if name in overrides:
        return overrides[name]
    if isinstance(info, mi.Metadata):  # a description for the API's readers
        return strategy_of(info.type, overrides, name)
    if isinstance(info, mi.StructType):
        fields = [f for f in info.fields if f.name not in CAPTURE_ONLY]
        required = {
            f.encode_name: strategy_of(f.type, overrides, f.name)
            for f in fields
            if f.required or f.name in REQUIRED_OF_CLIENTS
        }
        optional = {
            f.encode_name: strategy_of(f.type, overrides, f.name)
            for f in fields
            if not (f.required or f.name in REQUIRED_OF_CLIENTS)
        }
        return st.fixed_dictionaries(required, optional=optional)
    if isinstance(info, mi.UnionType):
        kinds = [t for t in info.types if not isinstance(t, mi.NoneType)]
        return st.one_of(*(strategy_of(t, overrides, name) for t in kinds))
    if isinstance(info, mi.StrType):
        return _text(info)
    if isinstance(info, mi.IntType):
        lo = info.ge if info.ge is not None else (info.gt + 1 if info.gt is not None else -(2**40))
        hi = info.le if info.le is not None else (info.lt - 1 if info.lt is not None else 2**40)
        return st.integers(lo, hi)
    if isinstance(info, mi.BoolType):
        return st.booleans()
    if isinstance(info, mi.DateType):
        return DATES
    if isinstance(info, mi.DateTimeType):
        return TIMES
    if isinstance(info, mi.EnumType):
        return st.sampled_from([member.value for member in info.cls])
    if isinstance(info, mi.VarTupleType | mi.ListType):
        hi = min(info.max_length or 3, 3)
        item = strategy_of(info.item_type, overrides, name)
        return st.lists(item, min_size=info.min_length or 0, max_size=hi)
    raise TypeError(f"no strategy for {info!r} (field {name!r})")


def bodies(kind: EventKind, overrides: Overrides) -> Strategy:
    """Bodies of ``kind`` as a client sends them (JSON values), some of which it refuses."""
    return strategy_of(mi.type_info(BODY_TYPES[kind]), overrides)
