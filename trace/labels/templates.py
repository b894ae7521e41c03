"""Label stock: thermal rolls and A4 sheets, each with its physical geometry.

Module size. GS1 General Specifications §5.12.3.1 (symbol specification table 1,
trade items scanned at retail point of sale, which covers a shopper's phone)
sets the QR X-dimension between 0.396 mm and 0.990 mm. Labels use the smallest
whole number of printer dots that is at least 0.396 mm: a module that is not a
whole number of dots prints some columns one dot wider than others, which
readers tolerate badly. At 203 dpi (0.125 mm a dot) that is 4 dots, 0.500 mm;
at 300 dpi, 5 dots, 0.423 mm. A4 sheets are laid out on a 300 dpi grid, which
office printers at 300, 600 or 1200 dpi reproduce exactly.

Sheets follow the published geometry of the most common A4 label papers in
their sizes (24 labels of 63.5 × 33.9 mm, as Avery L7159 and its equivalents;
65 labels of 38.1 × 21.2 mm, as Avery L7651), so labels land on the die-cuts.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from trace.labels.drawing import MM_PER_INCH

# GS1 General Specifications §5.12.3.1, table 1: minimum QR X-dimension.
MIN_MODULE_MM = 0.396
A4 = (210.0, 297.0)


@dataclass(frozen=True, slots=True)
class Template:
    """A label stock: label size, print resolution and where labels sit on a page.

    Roll templates have one label per page (a thermal printer's driver feeds one
    label per page); sheet templates place ``columns`` × ``rows`` labels on A4.
    ``padding`` is the margin inside each label that holds no ink but the QR
    symbol's quiet zone: a thermal printer registers its die-cut labels to within about half a
    millimetre (1 mm padding), an office printer its sheets to about a millimetre (1.5 mm).
    """

    name: str
    width: float
    height: float
    dpi: int
    columns: int = 1
    rows: int = 1
    page: tuple[float, float] | None = None
    left: float = 0.0
    top: float = 0.0
    pitch_x: float = 0.0
    pitch_y: float = 0.0
    padding: float = 1.0

    @property
    def is_sheet(self) -> bool:
        """Whether labels come on A4 sheets rather than one per page on a roll."""
        return self.page is not None

    @property
    def page_size(self) -> tuple[float, float]:
        """Width and height of one page in millimetres."""
        return self.page or (self.width, self.height)

    @property
    def per_page(self) -> int:
        """Labels on one page."""
        return self.columns * self.rows

    @property
    def dot(self) -> float:
        """One printer dot in millimetres."""
        return MM_PER_INCH / self.dpi

    @property
    def module(self) -> float:
        """QR module size: the fewest whole dots at least :data:`MIN_MODULE_MM` wide."""
        dots = math.ceil(MIN_MODULE_MM / self.dot - 1e-9)
        return dots * self.dot

    def positions(self) -> list[tuple[float, float]]:
        """Top-left corners of the labels on a page, row by row."""
        return [
            (self.left + column * self.pitch_x, self.top + row * self.pitch_y)
            for row in range(self.rows)
            for column in range(self.columns)
        ]


def _roll(width: int, height: int, dpi: int) -> Template:
    return Template(f"roll-{width}x{height}-{dpi}", float(width), float(height), dpi)


TEMPLATES: dict[str, Template] = {
    t.name: t
    for t in (
        _roll(50, 30, 203),
        _roll(50, 30, 300),
        _roll(40, 25, 203),
        _roll(40, 25, 300),
        Template(
            "a4-3x8",
            63.5,
            33.9,
            300,
            columns=3,
            rows=8,
            page=A4,
            left=7.25,
            top=12.9,
            pitch_x=66.0,
            pitch_y=33.9,
            padding=1.5,
        ),
        Template(
            "a4-5x13",
            38.1,
            21.2,
            300,
            columns=5,
            rows=13,
            page=A4,
            left=4.75,
            top=10.7,
            pitch_x=40.6,
            pitch_y=21.2,
            padding=1.5,
        ),
    )
}
DEFAULT_TEMPLATE = "roll-50x30-203"
