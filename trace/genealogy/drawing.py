"""A walk drawn as an SVG an inspector can put in a report.

The drawing is layered left to right by generation: inputs on the left, what was made of
them on the right, one column per generation (a layered drawing in the manner of
Sugiyama et al., reduced to what a batch graph needs). Within a column, batches are
ordered by the mean row of the batches they connect to in the neighbouring column (the
barycentre heuristic, swept both ways twice), which keeps the lines of a split or a merge
from crossing without need. Each batch is a box with its product, lot and code and who
holds it; each edge carries its process and the input's quantity. Recalled batches are
red; the batch traced has a heavy blue frame. An edge that does not run left to right
(one closing a cycle, or joining two batches of one generation) is dashed.

The file stands alone, for a report to be read years later: no script, no external font,
image or style sheet. Text comes from the ledger (a product may be named ``<script>``),
so all of it is escaped, and characters XML 1.0 cannot hold are replaced. Text is
measured with Noto Sans' advance widths (the label typeface, trace/labels/fonts.py) and
set in Noto Sans where the reader has it, else in a sans-serif about as wide.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from xml.sax.saxutils import escape

from trace.domain.kinds import PROCESS_NAMES
from trace.domain.quantity import UNIT_NAMES
from trace.domain.texts import N_
from trace.genealogy.holders import Holder
from trace.genealogy.walk import Cut, Direction, Edge, Walk
from trace.labels.fonts import face
from trace.local_formats import number
from trace.store.batches import Batch
from trace.translation import say

# The drawing's title, by the way the walk went.
TITLES: Mapping[Direction, str] = {
    Direction.DOWNSTREAM: N_("Downstream trace from batch {code} ({product})"),
    Direction.UPSTREAM: N_("Upstream trace from batch {code} ({product})"),
}
MARGIN = 24
BOX_HEIGHT = 82
ROW_GAP = 28
COLUMN_GAP = 170
BOX_WIDTHS = (190.0, 300.0)
PAD = 10
TITLE_SIZE, TEXT_SIZE, SMALL_SIZE = 18.0, 12.0, 11.0
PRODUCT_SIZE = 14.0
LOOP_DEPTH = 56.0
BULGE = 72.0

FONT = "'Noto Sans', 'DejaVu Sans', 'Segoe UI', Arial, sans-serif"
STYLE = f"""
text {{ font-family: {FONT}; fill: #263238; }}
.title {{ font-size: {TITLE_SIZE}px; font-weight: bold; }}
.summary {{ font-size: 13px; fill: #455a64; }}
.cut {{ font-size: 13px; fill: #b71c1c; font-weight: bold; }}
.product {{ font-size: {PRODUCT_SIZE}px; font-weight: bold; }}
.line {{ font-size: {TEXT_SIZE}px; }}
.transit {{ font-size: {TEXT_SIZE}px; fill: #e65100; }}
.edge-label {{ font-size: {SMALL_SIZE}px; fill: #37474f; }}
.badge {{ font-size: 10px; font-weight: bold; fill: #ffffff; }}
.box {{ fill: #ffffff; stroke: #607d8b; stroke-width: 1.5; }}
.box.root {{ fill: #e3f2fd; stroke: #1565c0; stroke-width: 3.5; }}
.box.recalled {{ fill: #ffebee; stroke: #c62828; stroke-width: 2.5; }}
.box.root.recalled {{ stroke-width: 3.5; }}
.edge {{ fill: none; stroke: #78909c; stroke-width: 1.5; }}
.edge.against {{ stroke-dasharray: 6 4; }}
.label-back {{ fill: #ffffff; fill-opacity: 0.9; }}
"""

# XML 1.0 (section 2.2) allows tab, line feed and carriage return among the C0
# controls, and no surrogates or U+FFFE/U+FFFF.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _clean(text: str) -> str:
    return _NOT_XML.sub("\ufffd", unicodedata.normalize("NFC", text))


def _width(text: str, size: float, *, bold: bool = False) -> float:
    font = face(bold)
    units = sum(font.advances[g] for g in font.glyphs(font.clean(text)))
    return units * size / font.units_per_em


def _fit(text: str, size: float, width: float, *, bold: bool = False) -> str:
    """``text`` cut with an ellipsis to fit ``width`` pixels (one pass over its advances)."""
    text = _clean(text)
    font = face(bold)
    scale = size / font.units_per_em
    advances = [font.advances[g] * scale for g in font.glyphs(font.clean(text))]
    if sum(advances) <= width:
        return text
    room, used = width - _width("…", size, bold=bold), 0.0
    for index, advance in enumerate(advances):
        used += advance
        if used > room:
            return text[:index].rstrip() + "…"
    return text


def _num(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


def _text(x: float, y: float, words: str, css: str, anchor: str = "start") -> str:
    where = f'x="{_num(x)}" y="{_num(y)}"'
    middle = ' text-anchor="middle"' if anchor == "middle" else ""
    return f'<text {where} class="{css}"{middle}>{escape(_clean(words))}</text>'


@dataclass(frozen=True, slots=True)
class _Box:
    batch: Batch
    x: float
    y: float
    column: int


class _Drawing:
    """The parts of one drawing, laid out once."""

    def __init__(self, walk: Walk, holders: Mapping[str, Holder], lang: str) -> None:
        self.walk, self.holders, self.lang = walk, holders, lang
        self.columns = _columns(walk)
        self.order = _order(self.columns, walk.edges)
        self.box_width = self._box_width()
        self.header = 70.0 + (22.0 if walk.truncated else 0.0)
        tallest = max(len(rows) for rows in self.order)
        self.graph_height = tallest * (BOX_HEIGHT + ROW_GAP) - ROW_GAP
        self.boxes: dict[str, _Box] = {}
        for column, rows in enumerate(self.order):
            offset = (tallest - len(rows)) * (BOX_HEIGHT + ROW_GAP) / 2
            x = MARGIN + column * (self.box_width + COLUMN_GAP)
            for row, batch_id in enumerate(rows):
                y = self.header + offset + row * (BOX_HEIGHT + ROW_GAP)
                self.boxes[batch_id] = _Box(walk.batches[batch_id], x, y, column)
        # Room for edges against the flow: loops below the boxes, bulges right of a column.
        backwards = [(self.boxes[e.input].column, self.boxes[e.output].column) for e in walk.edges]
        self.loops = any(target < source for source, target in backwards)
        self.bulges = any(target == source for source, target in backwards)

    def lines(self, batch: Batch) -> tuple[str, str, str, str | None]:
        holder = self.holders.get(batch.holder_id)
        transit = None
        if batch.in_transit_to:
            to = self.holders.get(batch.in_transit_to)
            transit = say(
                "In transit to: {to}", self.lang, to=to.shown if to else batch.in_transit_to
            )
        return (
            batch.product,
            say("Lot {lot} · code {code}", self.lang, lot=batch.lot, code=batch.code),
            say("Held by: {holder}", self.lang, holder=holder.shown if holder else batch.holder_id),
            transit,
        )

    def _box_width(self) -> float:
        widest = 0.0
        badge = _width(say("RECALLED", self.lang), 10, bold=True) + 16
        for batch in self.walk.batches.values():
            product, *rest = self.lines(batch)
            extra = badge if batch.recalled else 0.0
            widest = max(
                widest,
                _width(product, PRODUCT_SIZE, bold=True) + extra,
                *(_width(line, TEXT_SIZE) for line in rest if line),
            )
        low, high = BOX_WIDTHS
        return min(high, max(low, widest + 2 * PAD))

    def render(self) -> str:
        edges, labels = self.edges()
        body = [*edges, *(self.box(box) for box in self.boxes.values()), *labels]
        graph_width = len(self.order) * (self.box_width + COLUMN_GAP) - COLUMN_GAP
        bottom = self.header + self.graph_height + (LOOP_DEPTH if self.loops else 0) + 28
        legend, legend_width, legend_height = self.legend(bottom)
        heading, heading_width = self.heading()
        graph_width += BULGE if self.bulges else 0
        width = 2 * MARGIN + max(graph_width, legend_width, heading_width)
        height = bottom + legend_height + MARGIN
        title = self.title()
        return (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            f'<svg xmlns="http://www.w3.org/2000/svg" width="{_num(width)}"'
            f' height="{_num(height)}" viewBox="0 0 {_num(width)} {_num(height)}"'
            f' lang="{self.lang}" role="img">\n'
            f"<title>{escape(_clean(title))}</title>\n"
            f"<desc>{escape(_clean(self.summary()))}</desc>\n"
            f"<defs><style>{STYLE}</style>"
            '<marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7"'
            ' markerHeight="7" orient="auto-start-reverse">'
            '<path d="M0 0L10 5L0 10z" fill="#78909c"/></marker></defs>\n'
            f'<rect width="{_num(width)}" height="{_num(height)}" fill="#ffffff"/>\n'
            + "\n".join([*heading, *body, *legend])
            + "\n</svg>\n"
        )

    def title(self) -> str:
        root = self.walk.root
        words = TITLES[self.walk.direction]
        return say(words, self.lang, code=root.code, product=_clean(root.product))

    def summary(self) -> str:
        return say(
            "{batches} batches · {edges} links · {generations} generations",
            self.lang,
            batches=len(self.walk.depths),
            edges=len(self.walk.edges),
            generations=self.walk.reached_depth,
        )

    def heading(self) -> tuple[list[str], float]:
        title, summary = self.title(), self.summary()
        parts = [
            _text(MARGIN, MARGIN + 16, title, "title"),
            _text(MARGIN, MARGIN + 36, summary, "summary"),
        ]
        width = max(_width(title, TITLE_SIZE, bold=True), _width(summary, 13))
        if self.walk.cut is not None:
            cut = (
                N_(
                    "The graph goes on beyond {depth} generations: trace again from the batches "
                    "in the outermost column."
                )
                if self.walk.cut is Cut.DEPTH
                else N_(
                    "The graph holds more than {limit} batches: only the nearest {limit} are drawn."
                )
            )
            words = say(cut, self.lang, depth=self.walk.depth, limit=len(self.walk.depths))
            parts.append(_text(MARGIN, MARGIN + 56, words, "cut"))
            width = max(width, _width(words, 13, bold=True))
        return parts, width

    def box(self, box: _Box) -> str:
        batch = box.batch
        product, lot, holder, transit = self.lines(batch)
        css = "box" + (" root" if batch.id == self.walk.root.id else "")
        css += " recalled" if batch.recalled else ""
        inner = self.box_width - 2 * PAD
        x, y = box.x, box.y
        parts = [
            f'<g id="batch-{batch.id}" data-depth="{self.walk.depths[batch.id]}">',
            f"<title>{escape(_clean(' · '.join(p for p in (product, lot, holder, transit) if p)))}"
            "</title>",
            f'<rect class="{css}" x="{_num(x)}" y="{_num(y)}" width="{_num(self.box_width)}"'
            f' height="{BOX_HEIGHT}" rx="6"/>',
        ]
        if batch.recalled:
            word = say("RECALLED", self.lang)
            badge = _width(word, 10, bold=True) + 10
            inner -= badge + 6
            left = x + self.box_width - PAD - badge
            parts.append(
                f'<rect x="{_num(left)}" y="{_num(y + 8)}" width="{_num(badge)}" height="16"'
                ' rx="3" fill="#c62828"/>'
            )
            parts.append(_text(left + badge / 2, y + 20, word, "badge", "middle"))
        parts.append(
            _text(x + PAD, y + 22, _fit(product, PRODUCT_SIZE, inner, bold=True), "product")
        )
        full = self.box_width - 2 * PAD
        parts.append(_text(x + PAD, y + 41, _fit(lot, TEXT_SIZE, full), "line"))
        parts.append(_text(x + PAD, y + 58, _fit(holder, TEXT_SIZE, full), "line"))
        if transit:
            parts.append(_text(x + PAD, y + 75, _fit(transit, TEXT_SIZE, full), "transit"))
        parts.append("</g>")
        return "".join(parts)

    def edges(self) -> tuple[list[str], list[str]]:
        """The edges' paths, and their labels (drawn last, above boxes and lines)."""
        ports = _ports(self.walk.edges, self.boxes)
        paths: list[str] = []
        placed: list[tuple[int, float, float, Edge]] = []
        for edge in self.walk.edges:
            source, target = self.boxes[edge.input], self.boxes[edge.output]
            if target.column > source.column:
                x0, x1 = source.x + self.box_width, target.x
                y0, y1 = ports[(edge, "out")], ports[(edge, "in")]
                bend = (x1 - x0) / 2
                curve = (x0, y0, x0 + bend, y0, x1 - bend, y1, x1, y1)
                # In the gap just before the target, where no box is.
                x = x1 - COLUMN_GAP / 2
                paths.append(_path(curve, against=False))
                placed.append((target.column, x, _y_at(curve, x), edge))
                continue
            curve = _against(source, target, self.box_width, self.header + self.graph_height)
            paths.append(_path(curve, against=True))
            x, y = _point(curve, 0.5)
            placed.append((-1 - target.column, x, y, edge))
        return paths, self.labels(placed)

    def labels(self, placed: list[tuple[int, float, float, Edge]]) -> list[str]:
        """Edge labels, pushed apart where two in one gap would overlap."""
        height = 2 * SMALL_SIZE + 8
        out: list[str] = []
        last: dict[int, float] = {}
        for group, x, y, edge in sorted(placed, key=lambda p: (p[0], p[2])):
            top = max(y - height / 2, last.get(group, float("-inf")) + 2)
            last[group] = top + height
            process = say(PROCESS_NAMES.get(edge.process, edge.process), self.lang)
            unit = say(UNIT_NAMES.get(edge.unit, edge.unit), self.lang)
            amount = f"{number(edge.quantity, self.lang)} {unit}"
            wide = max(_width(process, SMALL_SIZE), _width(amount, SMALL_SIZE)) + 8
            wide = min(wide, COLUMN_GAP - 16)
            process, amount = _fit(process, SMALL_SIZE, wide), _fit(amount, SMALL_SIZE, wide)
            out.append(
                f'<g class="edge-info" data-input="{edge.input}" data-output="{edge.output}">'
                f'<rect class="label-back" x="{_num(x - wide / 2)}" y="{_num(top)}"'
                f' width="{_num(wide)}" height="{_num(height)}" rx="3"/>'
                + _text(x, top + SMALL_SIZE + 2, process, "edge-label", "middle")
                + _text(x, top + 2 * SMALL_SIZE + 5, amount, "edge-label", "middle")
                + "</g>"
            )
        return out

    def legend(self, top: float) -> tuple[list[str], float, float]:
        """The legend below the graph: its parts, width and height."""
        pitch = 24.0
        parts = [_text(MARGIN, top + 14, say("Legend", self.lang), "product")]
        swatches = [
            ("box", N_("Batch")),
            ("box root", N_("The batch traced")),
            ("box recalled", N_("Recalled batch")),
        ]
        y = top + 26
        width = 0.0
        for css, legend in swatches:
            parts.append(
                f'<rect class="{css}" x="{MARGIN}" y="{_num(y)}" width="34" height="16" rx="3"/>'
            )
            words = say(legend, self.lang)
            parts.append(_text(MARGIN + 46, y + 13, words, "line"))
            width = max(width, _width(words, TEXT_SIZE))
            y += pitch
        lines = [(False, N_("Input batch → batch made: process and input quantity"))]
        if self.loops or self.bulges:
            lines.append(
                (True, N_("Link against the flow (closing a cycle, or within one generation)"))
            )
        for against, legend in lines:
            line = (MARGIN, y + 8, MARGIN + 12, y + 8, MARGIN + 22, y + 8, MARGIN + 34, y + 8)
            parts.append(_path(line, against=against))
            words = say(legend, self.lang)
            parts.append(_text(MARGIN + 46, y + 13, words, "line"))
            width = max(width, _width(words, TEXT_SIZE))
            y += pitch
        words = say(
            "Each column is a generation: inputs on the left, what was made on the right.",
            self.lang,
        )
        parts.append(_text(MARGIN, y + 13, words, "summary"))
        width = max(width + 46, _width(words, 13))
        return parts, width, y + 20 - top


def _columns(walk: Walk) -> dict[str, int]:
    """Each batch's column: its generation, counted from the left (inputs first)."""
    if walk.direction is Direction.DOWNSTREAM:
        return dict(walk.depths)
    deepest = walk.reached_depth
    return {batch: deepest - depth for batch, depth in walk.depths.items()}


def _order(columns: Mapping[str, int], edges: list[Edge]) -> list[list[str]]:
    """Batches per column, ordered to keep edges between neighbouring columns uncrossed."""
    order: list[list[str]] = [[] for _ in range(max(columns.values()) + 1)]
    for batch, column in columns.items():
        order[column].append(batch)
    neighbours: dict[str, list[str]] = {batch: [] for batch in columns}
    for edge in edges:
        neighbours[edge.input].append(edge.output)
        neighbours[edge.output].append(edge.input)
    for _ in range(2):
        for sweep in (range(1, len(order)), range(len(order) - 2, -1, -1)):
            for column in sweep:
                beside = column - 1 if sweep.step > 0 else column + 1
                rows = {batch: row for row, batch in enumerate(order[beside])}
                centre: dict[str, float] = {}
                for now, batch in enumerate(order[column]):
                    found = [rows[n] for n in neighbours[batch] if n in rows]
                    centre[batch] = sum(found) / len(found) if found else now
                order[column].sort(key=centre.__getitem__)
    return order


def _ports(edges: list[Edge], boxes: Mapping[str, _Box]) -> dict[tuple[Edge, str], float]:
    """Where each left-to-right edge leaves and enters its boxes: spread along the sides."""
    sides: dict[tuple[str, str], list[tuple[float, Edge]]] = {}
    for edge in edges:
        source, target = boxes[edge.input], boxes[edge.output]
        if target.column <= source.column:
            continue
        sides.setdefault((edge.input, "out"), []).append((target.y, edge))
        sides.setdefault((edge.output, "in"), []).append((source.y, edge))
    ports: dict[tuple[Edge, str], float] = {}
    for (batch, side), found in sides.items():
        found.sort(key=lambda item: (item[0], item[1].position))
        top = boxes[batch].y
        for index, (_, edge) in enumerate(found):
            ports[(edge, side)] = top + BOX_HEIGHT * (index + 1) / (len(found) + 1)
    return ports


_Curve = tuple[float, float, float, float, float, float, float, float]


def _against(source: _Box, target: _Box, width: float, floor: float) -> _Curve:
    """An edge that does not run left to right: it loops below every box (``floor``)."""
    x0, y0 = source.x + width / 2, source.y + BOX_HEIGHT
    x1, y1 = target.x + width / 2 + 12, target.y + BOX_HEIGHT
    if source.column == target.column:
        # Within a generation: out of the right side and back into the right side.
        x0, y0 = source.x + width, source.y + BOX_HEIGHT * 0.75
        x1, y1 = target.x + width, target.y + BOX_HEIGHT * 0.25
        return (x0, y0, x0 + BULGE - 12, y0, x1 + BULGE - 12, y1, x1, y1)
    # A cubic reaches three quarters of the way to its control points' height.
    low = floor + LOOP_DEPTH
    return (x0, y0, x0, low, x1, low, x1, y1)


def _path(curve: _Curve, *, against: bool) -> str:
    x0, y0, c1x, c1y, c2x, c2y, x1, y1 = (_num(v) for v in curve)
    css = "edge against" if against else "edge"
    return (
        f'<path class="{css}" d="M{x0} {y0}C{c1x} {c1y} {c2x} {c2y} {x1} {y1}"'
        ' marker-end="url(#arrow)"/>'
    )


def _point(curve: _Curve, t: float) -> tuple[float, float]:
    """The point at ``t`` of a cubic Bézier curve."""
    x0, y0, c1x, c1y, c2x, c2y, x1, y1 = curve
    u = 1 - t
    a, b, c, d = u * u * u, 3 * u * u * t, 3 * u * t * t, t * t * t
    return a * x0 + b * c1x + c * c2x + d * x1, a * y0 + b * c1y + c * c2y + d * y1


def _y_at(curve: _Curve, x: float) -> float:
    """The height of a left-to-right curve where it crosses ``x`` (its x only grows)."""
    low, high = 0.0, 1.0
    for _ in range(30):
        middle = (low + high) / 2
        if _point(curve, middle)[0] < x:
            low = middle
        else:
            high = middle
    return _point(curve, (low + high) / 2)[1]


def draw(walk: Walk, holders: Mapping[str, Holder], lang: str) -> str:
    """The SVG document of ``walk`` with labels in ``lang`` ("vi" or "en")."""
    return _Drawing(walk, holders, lang).render()
