"""Labels as SVG for print shops: vector, true size in millimetres, text as outlines.

Text is drawn from Noto Sans' own glyph outlines (one ``<path>`` per glyph in
``<defs>``, placed with ``<use>``), so the file prints the same on a machine
without the font, as print shops ask ("convert text to outlines"). The words
stay readable to people and search in ``<title>`` and ``<desc>``.
"""

from __future__ import annotations

from xml.sax.saxutils import escape

from trace.labels.drawing import MM_PER_POINT, Page, QrMark, ShapeMark, TextMark, number
from trace.labels.fonts import face


def _qr(mark: QrMark) -> str:
    # Module units inside the group: each run is "M col row h len v1 h-len z".
    path = "".join(f"M{c} {r}h{n}v1h-{n}z" for r, c, n in mark.runs())
    return (
        f'<path transform="translate({number(mark.x)} {number(mark.y)})'
        f' scale({number(mark.module)})" shape-rendering="crispEdges" d="{path}"/>'
    )


def _text(mark: TextMark, used: dict[tuple[bool, int], str]) -> str:
    font = face(mark.bold)
    scale = number(mark.size * MM_PER_POINT / font.units_per_em)
    parts = [
        f'<g transform="translate({number(mark.x)} {number(mark.y)}) scale({scale} -{scale})">'
    ]
    advance = 0
    for glyph in font.glyphs(font.clean(mark.text)):
        if font.outline(glyph):
            ref = used.setdefault((mark.bold, glyph), f"{'b' if mark.bold else 'r'}{glyph}")
            x = f' x="{advance}"' if advance else ""
            parts.append(f'<use xlink:href="#{ref}"{x}/>')
        advance += font.advances[glyph]
    parts.append("</g>")
    return "".join(parts)


def render_svg(page: Page) -> bytes:
    """One page (a roll label or a sheet) as an SVG document sized in millimetres."""
    used: dict[tuple[bool, int], str] = {}
    body: list[str] = []
    words: list[str] = []
    for placed in page.labels:
        body.append(f'<g transform="translate({number(placed.x)} {number(placed.y)})">')
        for mark in placed.label.marks:
            if isinstance(mark, QrMark):
                body.append(_qr(mark))
            elif isinstance(mark, TextMark):
                body.append(_text(mark, used))
                words.append(mark.text)
            elif isinstance(mark, ShapeMark):
                points = " ".join(f"{number(x)},{number(y)}" for x, y in mark.points)
                body.append(f'<polygon points="{points}"/>')
        body.append("</g>")
    titles = dict.fromkeys(placed.label.title for placed in page.labels)
    urls = dict.fromkeys(placed.label.url for placed in page.labels)
    defs = "".join(
        f'<path id="{ref}" d="{face(bold).outline(glyph)}"/>'
        for (bold, glyph), ref in sorted(used.items())
    )
    width, height = number(page.width), number(page.height)
    head = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink"'
        f' width="{width}mm" height="{height}mm" viewBox="0 0 {width} {height}">'
        f"<title>{escape(' / '.join(titles))}</title>"
        f"<desc>{escape(' | '.join([*urls, *dict.fromkeys(words)]))}</desc>"
        f"<defs>{defs}</defs>"
        f'<rect width="{width}" height="{height}" fill="#fff"/>'
    )
    return (head + "".join(body) + "</svg>\n").encode()
