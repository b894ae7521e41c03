"""Where the readers of a shopper's report have got with it: its state.

A report arrives ``new``. Its readers (the authority of the batch's province, the batch's
producer) mark it ``looked_at``, ``closed``, or ``inspection`` when it led to an
inspection: then it names the `inspected` record of the report's batch by its log
position. The last change is kept with its time, the agency that made it and a note; a
report is not a record, and its state is not signed (trace/store/report_states.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from types import MappingProxyType

from trace.domain.errors import DomainError
from trace.domain.texts import N_

MAX_NOTE = 2000


class ReportState(StrEnum):
    """How far a report has been dealt with."""

    NEW = "new"
    LOOKED_AT = "looked_at"
    CLOSED = "closed"
    INSPECTION = "inspection"


# The states a reader may set; ``new`` is only where a report starts.
SETTABLE = frozenset({ReportState.LOOKED_AT, ReportState.CLOSED, ReportState.INSPECTION})

# What a reader calls each state: English here, translated where shown.
REPORT_STATE_NAMES: Mapping[str, str] = MappingProxyType(
    {
        ReportState.NEW: N_("new"),
        ReportState.LOOKED_AT: N_("looked at"),
        ReportState.CLOSED: N_("closed"),
        ReportState.INSPECTION: N_("turned into an inspection"),
    }
)


class ReportStateRefused(DomainError):
    """A change of a report's state that cannot be made as asked."""

    code = "report_state_refused"
    words = N_("The report's state was not changed: {detail}")
    variants = MappingProxyType(
        {
            "new": N_("A report cannot be set back to new; set looked_at, closed or inspection."),
            "inspection_needed": N_(
                "To mark a report as turned into an inspection, give the log position of "
                "the 'inspected' record in 'inspection'."
            ),
            "inspection_only": N_(
                "'inspection' names an inspection only with the state inspection; leave "
                "it out for {state}."
            ),
            "not_an_inspection": N_(
                "Position {position} is not an 'inspected' record of the report's batch; "
                "give the position of the inspection of that batch."
            ),
            "note_too_long": N_("Shorten the note to at most {limit} characters."),
        }
    )


def check_state_change(state: ReportState, inspection: int | None, note: str | None) -> None:
    """Raise :class:`ReportStateRefused` unless ``state`` with ``inspection`` and ``note``
    is a change a reader may ask for (whether the inspection exists is the store's to check)."""
    if state not in SETTABLE:
        raise ReportStateRefused("a report cannot be set back to new", reason="new")
    if state is ReportState.INSPECTION and inspection is None:
        raise ReportStateRefused("the inspection's position is missing", reason="inspection_needed")
    if state is not ReportState.INSPECTION and inspection is not None:
        raise ReportStateRefused(
            "an inspection is named only with the state inspection",
            reason="inspection_only",
            state=state.value,
        )
    if note is not None and len(note) > MAX_NOTE:
        raise ReportStateRefused("the note is too long", reason="note_too_long", limit=MAX_NOTE)
