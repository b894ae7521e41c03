"""Labels as 1-bit PNG images at the printer's resolution.

Thermal printers print dots that are either burnt or not, so the image has one
bit a pixel, QR modules are whole numbers of pixels (:mod:`trace.labels.templates`),
and text is drawn without anti-aliasing. The PNG carries its resolution (pHYs),
so it prints at its true size, and nothing else: no time, no software name.
"""

from __future__ import annotations

import io

from PIL import Image, ImageDraw

from trace.labels.drawing import MM_PER_INCH, POINTS_PER_INCH, Page, QrMark, ShapeMark, TextMark
from trace.labels.fonts import face


def render_png(page: Page, dpi: int) -> bytes:
    """One page (a roll label or a sheet) as a 1-bit PNG at ``dpi``."""
    scale = dpi / MM_PER_INCH
    size = (round(page.width * scale), round(page.height * scale))
    image = Image.new("1", size, 1)
    draw = ImageDraw.Draw(image)
    draw.fontmode = "1"
    for placed in page.labels:
        for mark in placed.label.marks:
            if isinstance(mark, QrMark):
                # One rounding for the corner and whole-pixel modules keep every module equal.
                left = round((placed.x + mark.x) * scale)
                top = round((placed.y + mark.y) * scale)
                module = max(1, round(mark.module * scale))
                for row, column, length in mark.runs():
                    x0, y0 = left + column * module, top + row * module
                    draw.rectangle((x0, y0, x0 + length * module - 1, y0 + module - 1), fill=0)
            elif isinstance(mark, TextMark):
                font = face(mark.bold).pillow(mark.size * dpi / POINTS_PER_INCH)
                draw.text(
                    ((placed.x + mark.x) * scale, (placed.y + mark.y) * scale),
                    face(mark.bold).clean(mark.text),
                    font=font,
                    fill=0,
                    anchor="ls",
                )
            elif isinstance(mark, ShapeMark):
                draw.polygon(
                    [((placed.x + x) * scale, (placed.y + y) * scale) for x, y in mark.points],
                    fill=0,
                )
    out = io.BytesIO()
    image.save(out, format="PNG", dpi=(dpi, dpi), optimize=False, compress_level=9)
    return out.getvalue()
