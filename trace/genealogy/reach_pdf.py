"""A recall's reach as the printable document an officer files: A4 pages, as PDF.

The authority's name, the decision (number, day in Vietnam, reason, severity in words with
what its class means, scope, the recall's state), then the table of every batch the recall
reaches with who holds it, to whom it is on the road and what its holder withdrew, page
after page with the header row repeated and each page numbered. Set in Noto Sans by the
labels' PDF writer (trace/labels/pdf.py), which embeds the font's subset with a ToUnicode
map: the Vietnamese text can be searched, copied and read back. Text too wide for its
column is cut with an ellipsis; the reason and the scope wrap at spaces.
"""

from __future__ import annotations

import io
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime

from trace.domain.recall_flow import STATE_NAMES
from trace.domain.texts import N_
from trace.genealogy.holders import Holder
from trace.genealogy.reach import Reach, Reached
from trace.genealogy.recall_words import SEVERITY_MEANINGS, severity_words
from trace.labels.drawing import Label, Page, Placed, ShapeMark, TextMark
from trace.labels.fonts import face
from trace.local_formats import day
from trace.translation import say

MEDIA_TYPE = "application/pdf"
A4_WIDTH, A4_HEIGHT, MARGIN = 210.0, 297.0, 15.0  # millimetres
TITLE_SIZE, TEXT_SIZE, TABLE_SIZE = 13.0, 9.5, 8.0  # points
LINE, ROW = 5.0, 5.2  # millimetres from baseline to baseline
RULE = 0.25  # millimetres: the thickness of the table's rules

TITLE = N_("LIST OF BATCHES REACHED BY A RECALL")
AUTHORITY = N_("Issuing authority: {name}")
DECISION = N_("Decision number: {number}")
NO_DECISION = N_("no decision number recorded")
DECIDED = N_("Date of the decision: {day}")
REASON = N_("Reason: {reason}")
SEVERITY = N_("Severity: {severity}. {meaning}")
SCOPE = N_("Scope: {scope}")
RECALLED_BATCH = N_("Recalled batch: {product}, lot {lot} ({code})")
COUNTS = N_("{batches} batches reached, held by {holders} agencies; {in_transit} in transit.")
WITHDRAWN = N_("This recall was withdrawn by a correction: its banner no longer shows.")
TRUNCATED = N_("The reach is longer than this list; ask the service for the rest.")
PAGE = N_("Page {page} of {pages}")
STATE = N_("State of the recall: {state}")


@dataclass(frozen=True, slots=True)
class Column:
    """A column of the table: its heading, its width in millimetres."""

    heading: str
    width: float


COLUMNS: Sequence[Column] = (
    Column(N_("Depth"), 10.0),
    Column(N_("Code"), 30.0),
    Column(N_("Product"), 32.0),
    Column(N_("Lot"), 24.0),
    Column(N_("Held by"), 36.0),
    Column(N_("In transit to"), 26.0),
    Column(N_("Withdrawn"), 22.0),
)


def reach_pdf(found: Reach, authority: Holder | None, lang: str) -> bytes:
    """The document, in ``lang``."""
    # Imported here: the labels' PDF writer loads fontTools, which only this answer needs.
    from trace.labels.pdf import write_pdf

    heading = list(_heading(found, authority, lang))
    first_rows = int((A4_HEIGHT - 2 * MARGIN - len(heading) * LINE - 3 * ROW) // ROW)
    later_rows = int((A4_HEIGHT - 2 * MARGIN - 3 * ROW) // ROW)
    rows = [_row(reached, found.progress.withdrawn(reached.batch.id)) for reached in found.batches]
    chunks = [rows[:first_rows]]
    chunks += [rows[i : i + later_rows] for i in range(first_rows, len(rows), later_rows)]
    out = io.BytesIO()
    pages = [
        _page(heading if number == 1 else [], chunk, number, len(chunks), lang)
        for number, chunk in enumerate(chunks, start=1)
    ]
    write_pdf(pages, out, title=say(TITLE, lang))
    return out.getvalue()


def _heading(found: Reach, authority: Holder | None, lang: str) -> Iterator[tuple[str, bool]]:
    """The lines above the table, each with whether it is bold."""
    recall, body = found.recall, found.recall.body
    yield say(TITLE, lang), True
    yield say(AUTHORITY, lang, name=authority.shown if authority else recall.authority), True
    number = body.decision_number or say(NO_DECISION, lang)
    yield say(DECISION, lang, number=number), True
    yield say(DECIDED, lang, day=day(datetime.fromisoformat(recall.occurred_at), lang)), False
    severity = body.severity.value
    meaning = say(SEVERITY_MEANINGS[severity], lang)
    words = severity_words(severity, lang)
    yield from _wrapped(say(SEVERITY, lang, severity=words, meaning=meaning))
    yield from _wrapped(say(REASON, lang, reason=body.reason))
    if body.scope:
        yield from _wrapped(say(SCOPE, lang, scope=body.scope))
    batch = recall.batch
    yield (
        say(RECALLED_BATCH, lang, product=batch.product, lot=batch.lot, code=batch.code),
        False,
    )
    holders = {r.holder.id for r in found.batches if r.holder}
    transit = sum(1 for r in found.batches if r.in_transit_to)
    yield (
        say(COUNTS, lang, batches=len(found.batches), holders=len(holders), in_transit=transit),
        False,
    )
    yield say(STATE, lang, state=say(STATE_NAMES[found.progress.state], lang)), True
    if recall.corrected:
        yield say(WITHDRAWN, lang), True
    if found.truncated:
        yield say(TRUNCATED, lang), True
    yield "", False


def _wrapped(text: str) -> Iterator[tuple[str, bool]]:
    """``text`` broken at spaces into lines that fit the page."""
    width, font = A4_WIDTH - 2 * MARGIN, face(False)
    line = ""
    for word in text.split():
        tried = f"{line} {word}" if line else word
        if line and font.width(tried, TEXT_SIZE) > width:
            yield line, False
            line = word
        else:
            line = tried
    yield line, False


def _row(reached: Reached, withdrawn: str) -> tuple[str, ...]:
    batch = reached.batch
    return (
        str(reached.depth),
        batch.code,
        batch.product,
        batch.lot,
        reached.holder.shown if reached.holder else "",
        reached.in_transit_to.shown if reached.in_transit_to else "",
        withdrawn,
    )


def _page(
    heading: list[tuple[str, bool]],
    rows: list[tuple[str, ...]],
    number: int,
    pages: int,
    lang: str,
) -> Page:
    """One A4 page: the heading (the first page only), the table's rows, the page's number."""
    marks: list[TextMark | ShapeMark] = []
    y = MARGIN
    for line, (text, bold) in enumerate(heading):
        y += LINE
        size = TITLE_SIZE if line == 0 else TEXT_SIZE
        if text:
            marks.append(TextMark(MARGIN, y, size, bold, text))
    y += ROW
    marks += _cells([say(c.heading, lang) for c in COLUMNS], y, bold=True)
    marks.append(_rule(y + 1.5))
    for row in rows:
        y += ROW
        marks += _cells(row, y, bold=False)
    marks.append(_rule(y + 1.5))
    footer = say(PAGE, lang, page=number, pages=pages)
    marks.append(TextMark(MARGIN, A4_HEIGHT - MARGIN / 2, TABLE_SIZE, False, footer))
    label = Label(A4_WIDTH, A4_HEIGHT, tuple(marks), "", footer)
    return Page(A4_WIDTH, A4_HEIGHT, (Placed(0.0, 0.0, label),))


def _cells(texts: Sequence[str], y: float, *, bold: bool) -> list[TextMark | ShapeMark]:
    marks: list[TextMark | ShapeMark] = []
    x = MARGIN
    for column, text in zip(COLUMNS, texts, strict=True):
        shown = _fitted(text, column.width - 1.5, bold)
        if shown:
            marks.append(TextMark(x, y, TABLE_SIZE, bold, shown))
        x += column.width
    return marks


def _fitted(text: str, width: float, bold: bool) -> str:
    """``text``, cut with an ellipsis where it is wider than ``width`` millimetres."""
    font = face(bold)
    if font.width(text, TABLE_SIZE) <= width:
        return text
    while text and font.width(text + "…", TABLE_SIZE) > width:
        text = text[:-1]
    return text.rstrip() + "…"


def _rule(y: float) -> ShapeMark:
    left, right = MARGIN, A4_WIDTH - MARGIN
    return ShapeMark(((left, y), (right, y), (right, y + RULE), (left, y + RULE)))
