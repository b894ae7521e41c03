"""What a reader may show of a stored statement: the fact it states, or why it cannot.

Records are immutable, so whatever a stored statement holds stays in the ledger: bytes
changed behind the ledger's back, a body of a kind this version does not know, or a
time outside the window (:mod:`trace.domain.times`) recorded before the window was
enforced. Every reader (pages, API answers, projections, exports) reads statements
through :func:`read_fact` and shows an :class:`Unreadable` record as such instead of
failing. Whether the record is intact is another question, answered by
:func:`trace.domain.chain.verify_chain`: a record can be intact and still unreadable.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

import msgspec

from trace.domain.errors import DomainError
from trace.domain.kinds import EventKind, decode_body
from trace.domain.statement import Statement, parse_statement, parse_time
from trace.domain.texts import N_
from trace.domain.times import TimeOutOfRange, check_body_times, check_instant


class RecordUnreadable(DomainError):
    """A record asked for by its id exists but cannot be shown (see :func:`read_fact`)."""

    code = "record_unreadable"
    words = N_(
        "The record at position {position} is in the ledger but its content "
        "cannot be read. Run `python -m trace verify` to find out whether it "
        "was altered."
    )


class Unshown(StrEnum):
    """Why a reader cannot show a stored statement."""

    # The bytes are not a statement this version knows (changed, or an unknown kind).
    MALFORMED = "malformed"
    # A time or date lies outside the window the ledger accepts.
    OUT_OF_RANGE = "out_of_range"


@dataclass(frozen=True, slots=True)
class Fact:
    """A stored statement a reader can show: its envelope, kind, decoded body and time."""

    statement: Statement
    kind: EventKind
    body: msgspec.Struct
    occurred_at: datetime


@dataclass(frozen=True, slots=True)
class Unreadable:
    """A stored statement a reader cannot show as it is, and why.

    ``statement`` is there if its envelope parses, and ``body`` if its body decodes too
    (only a time is out of range). Readers that publish events leave such a record out;
    readers that warn (a recall's banner, its reach) still heed its kind and body, so that a
    recall recorded with a wrong time still warns every shopper it reaches.
    """

    reason: Unshown
    detail: str
    statement: Statement | None = None
    body: msgspec.Struct | None = None


def read_fact(data: bytes, statement: Statement | None = None) -> Fact | Unreadable:
    """The fact ``data`` states, or :class:`Unreadable`; never raises for any bytes.

    ``statement``, when given, is ``data`` already parsed (chain verification parses it).
    """
    body = None
    try:
        statement = statement or parse_statement(data)
        body = decode_body(statement.kind, statement.body)
        occurred = parse_time(statement.occurred_at, field="occurred_at")
        check_instant(occurred, field="occurred_at")
        check_body_times(body)
    except TimeOutOfRange as exc:
        return Unreadable(Unshown.OUT_OF_RANGE, exc.detail, statement, body)
    except DomainError as exc:
        return Unreadable(Unshown.MALFORMED, exc.detail, statement, body)
    except (ValueError, ArithmeticError, RecursionError) as exc:
        # Bytes nobody checked may break a decoder in ways no rule names: a reader must
        # still show the record (as unreadable) rather than fail on it.
        return Unreadable(Unshown.MALFORMED, f"{type(exc).__name__}: {exc}", statement, body)
    return Fact(statement, EventKind(statement.kind), body, occurred)
