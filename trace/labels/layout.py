"""Where everything goes on one label.

The QR symbol sits at the left, its quiet zone inside the label, with the
short code (the batch code, or the serial of a serialised label) under it so a
person can type it when a camera fails. The text column fills the rest. Text
is set at the largest size, at most :data:`MAX_TEXT_PT`, at which every line
fits. Lines wrap at spaces and never inside a word; a word wider than the
column makes the whole text smaller. No-break spaces join words that belong
together (a label's name and its value's first word, "Xuất xứ: Thái":
trace/labels/content.py): they are kept together at every size before any size
is tried with them apart. Below :data:`MIN_TEXT_PT` the label is refused with
:class:`LabelDoesNotFit`, naming the word that does not fit and the fact it
belongs to, rather than cut: nothing disappears silently and no word is split.

Minimum size: 5 pt text has a 1.76 mm em and a lower-case height of about
0.95 mm, which is 7 dots at 203 dpi, the fewest in which the stacked marks of
Vietnamese letters (ặ, ễ, ộ) stay apart on a thermal print. At 300 dpi and
finer, 4.5 pt (:data:`MIN_TEXT_PT_FINE`) still gives 10 dots of lower case.
"""

from __future__ import annotations

import itertools
import math
import re
from functools import cache, lru_cache

from trace.domain.identifiers import BATCH_CODE_ALPHABET
from trace.labels.content import NBSP, LabelFacts, Line, text_lines
from trace.labels.drawing import MM_PER_POINT, Label, Mark, QrMark, ShapeMark, TextMark
from trace.labels.errors import LabelDoesNotFit
from trace.labels.fonts import face
from trace.labels.qr import QUIET_ZONE, Symbol
from trace.labels.templates import Template

MIN_TEXT_PT = 5.0
MIN_TEXT_PT_FINE = 4.5
MAX_TEXT_PT = 9.0
_STEP_PT = 0.25
MAX_CODE_PT = 7.0
# Line box and baseline as fractions of the em. Noto Sans' ascent is 1.069 em
# (a stacked mark over a capital) and its descent 0.293 em; lower-case marks stay
# under 0.95 em, so 1.25 em lines keep marks and descenders apart.
LINE_BOX = 1.25
BASELINE = 1.0
_MIN_COLUMN_MM = 8.0
# Space between the code under the symbol and the text column.
_GUTTER_MM = 1.0
# Lines before it are the product name and the producer (see content.text_lines).
_FIRST_OCOP_LINE = 2
# The fact each line of content.text_lines shows, in its order: the one a refusal names.
_LINE_FACTS = ("product", "producer", "origin", "lot", "dates")


def _snap_up(value: float, step: float) -> float:
    return math.ceil(value / step - 1e-9) * step


def words(text: str, *, bound: bool = True) -> list[str]:
    """The words of ``text``: what spaces separate. While ``bound``, words joined by a
    no-break space count as one; else every space separates."""
    return [word for word in re.split(" " if bound else f"[ {NBSP}]", text) if word]


def wrap(text: str, size: float, bold: bool, width: float, *, bound: bool = True) -> list[str]:
    """``text`` broken at its spaces (``bound``: at its ordinary spaces only) into lines
    no wider than ``width`` mm at ``size`` points, never inside a word.

    A word wider than ``width`` stands on a line of its own, wider than ``width``:
    :func:`too_wide` finds such a word first, and the text is set smaller instead.
    """
    font = face(bold)
    lines: list[str] = []
    current = ""
    for word in words(font.clean(text), bound=bound):
        candidate = f"{current} {word}" if current else word
        if current and font.width(candidate, size) > width:
            # A separator dot does not end a line: the break already separates.
            lines.append(current.removesuffix(" ·"))
            candidate = "" if word == "·" else word
        current = candidate
    if current:
        lines.append(current)
    return lines


def too_wide(
    lines: list[Line], size: float, width: float, *, bound: bool = True
) -> tuple[int, str] | None:
    """The first word of ``lines`` (as :func:`words` counts them) wider than ``width`` mm
    at ``size`` points, with the index of its line: no line break can make it fit."""
    for index, line in enumerate(lines):
        font = face(line.bold)
        for word in words(font.clean(line.text), bound=bound):
            if font.width(word, size * line.scale) > width + 1e-9:
                return index, word
    return None


def _stars(x: float, baseline: float, diameter: float, count: int) -> list[ShapeMark]:
    marks = []
    outer, inner = diameter / 2, diameter / 2 * 0.382
    for n in range(count):
        cx, cy = x + outer + n * diameter * 1.15, baseline - outer
        points = []
        for k in range(10):
            radius = outer if k % 2 == 0 else inner
            angle = math.pi / 2 + k * math.pi / 5
            points.append(
                (round(cx + radius * math.cos(angle), 4), round(cy - radius * math.sin(angle), 4))
            )
        marks.append(ShapeMark(tuple(points)))
    return marks


def _set_text(
    lines: list[Line],
    stars: int | None,
    size: float,
    x: float,
    top: float,
    width: float,
    *,
    bound: bool,
) -> tuple[list[Mark], float] | None:
    """Text marks at ``size`` and the height they take, or None if a word or the stars
    cannot fit the column's width.

    The OCOP mark ("OCOP" and its stars) goes at the end of the first line from
    the origin on with room for it, or on a line of its own.
    """
    if too_wide(lines, size, width, bound=bound) is not None:
        return None
    bold = face(True)
    em = size * MM_PER_POINT
    ocop_width = 0.0
    diameter = bold.cap_height / bold.units_per_em * em * 1.25
    if stars:
        ocop_width = bold.width("OCOP ", size) + stars * diameter * 1.15
        if ocop_width > width:
            return None
    marks: list[Mark] = []
    y = top
    for index, line in enumerate(lines):
        line_size = size * line.scale
        line_em = line_size * MM_PER_POINT
        for piece in wrap(line.text, line_size, line.bold, width, bound=bound):
            baseline = y + BASELINE * line_em
            marks.append(TextMark(x, round(baseline, 4), line_size, line.bold, piece))
            used = face(line.bold).width(piece + " · ", line_size)
            if stars and index >= _FIRST_OCOP_LINE and used + ocop_width <= width:
                marks.extend(_ocop(x + used, baseline, size, diameter, stars))
                stars = None
            y += LINE_BOX * line_em
    if stars:
        marks.extend(_ocop(x, y + BASELINE * em, size, diameter, stars))
        y += LINE_BOX * em
    return marks, y - top


def _ocop(x: float, baseline: float, size: float, diameter: float, stars: int) -> list[Mark]:
    start = x + face(True).width("OCOP ", size)
    return [
        TextMark(round(x, 4), round(baseline, 4), size, True, "OCOP"),
        *_stars(start, baseline, diameter, stars),
    ]


def compose(
    facts: LabelFacts,
    template: Template,
    symbol: Symbol,
    *,
    lang: str,
    short_code: str,
) -> Label:
    """Lay out one label of ``template`` showing ``facts`` and ``symbol``."""
    module, dot, pad = template.module, template.dot, template.padding
    quiet = QUIET_ZONE * module
    # The quiet zone may overlap the padding: both are blank.
    qx = qy = _snap_up(max(pad, quiet), dot)
    side = symbol.modules * module
    # A tenth of a millimetre more: a thermal print spreads a little into the quiet zone.
    code_top = qy + side + quiet + 0.1
    column_x = qx + side + quiet
    bottom = template.height - pad
    code = _set_code(
        short_code, pad, column_x - _GUTTER_MM, code_top, bottom, min_text_size(template)
    )
    if code is None:
        raise LabelDoesNotFit(
            f"a version {symbol.version} QR symbol with {module:.3f} mm modules and its code"
            f" do not fit a {template.width:g} x {template.height:g} mm label",
            template=template.name,
            what="symbol",
            reason="symbol",
            version=symbol.version,
        )
    text = _text_column(facts, template, lang, round(column_x, 6))
    marks: list[Mark] = [QrMark(round(qx, 4), round(qy, 4), module, symbol.rows), *code, *text]
    return Label(
        template.width, template.height, tuple(marks), symbol.text, f"{facts.product} · {facts.lot}"
    )


@lru_cache(maxsize=64)
def _text_column(
    facts: LabelFacts, template: Template, lang: str, column_x: float
) -> tuple[Mark, ...]:
    # Cached: every label of a serialised run has the same text beside a new symbol.
    pad = template.padding
    column_width = template.width - pad - column_x
    available = template.height - 2 * pad
    smallest = min_text_size(template)
    # Words joined by no-break spaces stay together while that fits at some size, and the
    # product name is set larger than the rest while that fits.
    for bound, lines in itertools.product(
        (True, False), (text_lines(facts, lang), text_lines(facts, lang, product_scale=1.0))
    ):
        size = MAX_TEXT_PT
        while column_width >= _MIN_COLUMN_MM and size >= smallest - 1e-9:
            placed = _set_text(
                lines, facts.ocop_stars, size, column_x, pad, column_width, bound=bound
            )
            if placed is not None and placed[1] <= available + 1e-9:
                return tuple(placed[0])
            size -= _STEP_PT
    if column_width >= _MIN_COLUMN_MM:
        _refuse_a_word_too_wide(facts, template, lang, column_width)
    raise LabelDoesNotFit(
        f"the text of batch {facts.code} does not fit a {template.width:g} x"
        f" {template.height:g} mm label at {smallest:g} pt or more",
        template=template.name,
        what="text",
        reason="text",
        minimum=f"{smallest:g}",
    )


def _refuse_a_word_too_wide(
    facts: LabelFacts, template: Template, lang: str, column_width: float
) -> None:
    """Refuse the label, naming the word and its fact, if a word is wider than the column
    even at the smallest size: a smaller size cannot help, a larger template or a shorter
    text can."""
    smallest = min_text_size(template)
    lines = text_lines(facts, lang, product_scale=1.0)
    found = too_wide(lines, smallest, column_width, bound=False)
    if found is None:
        return
    index, word = found
    fact = _LINE_FACTS[index] if index < len(_LINE_FACTS) else "text"
    raise LabelDoesNotFit(
        f"the word {word!r} ({fact}) of batch {facts.code} is wider than a line of a"
        f" {template.width:g} x {template.height:g} mm label at {smallest:g} pt",
        template=template.name,
        what="text",
        reason="word",
        field=fact,
        value=word,
        minimum=f"{smallest:g}",
    )


@cache
def _code_ink() -> tuple[float, float]:
    # Every code is made of these symbols: their reach above and below the baseline.
    return face().ink(BATCH_CODE_ALPHABET)


def min_text_size(template: Template) -> float:
    """The smallest text size legible at the template's print resolution, in points."""
    return MIN_TEXT_PT_FINE if template.dpi >= 300 else MIN_TEXT_PT


def _set_code(
    code: str, left: float, right: float, top: float, bottom: float, smallest: float
) -> list[Mark] | None:
    """The short code centred under the symbol: one line, or two halves if one is too wide.

    A wider code may need a smaller size or two lines where a narrower one does
    not; a serialised run is checked with its widest serial (``labels.make``).
    """
    font = face()
    half = (len(code) + 1) // 2
    for pieces in ([code], [code[:half], code[half:]]):
        size = MAX_CODE_PT
        while size >= smallest - 1e-9:
            em = size * MM_PER_POINT
            above, below = _code_ink()
            cap = above * em
            widths = [font.width(piece, size) for piece in pieces]
            height = cap + (len(pieces) - 1) * LINE_BOX * em + below * em
            if max(widths) <= right - left and top + height <= bottom + 1e-9:
                centre = (left + right) / 2
                return [
                    TextMark(
                        round(centre - width / 2, 4),
                        round(top + cap + n * LINE_BOX * em, 4),
                        size,
                        False,
                        piece,
                    )
                    for n, (piece, width) in enumerate(zip(pieces, widths, strict=True))
                ]
            size -= _STEP_PT
    return None
