"""What a label is made of, in physical units, before any file format.

A :class:`Label` is a list of marks placed in millimetres from its top-left
corner (y grows downwards, as on paper and in SVG). A :class:`Page` places
labels on a sheet. The PNG, SVG and PDF writers draw the same marks, so the
three formats agree to the printer dot.
"""

from __future__ import annotations

from dataclasses import dataclass

MM_PER_INCH = 25.4
POINTS_PER_INCH = 72.0
MM_PER_POINT = MM_PER_INCH / POINTS_PER_INCH


def number(value: float) -> str:
    """A coordinate for a file: at most four decimals, no trailing zeros, never ``-0``."""
    text = f"{value:.4f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


@dataclass(frozen=True, slots=True)
class QrMark:
    """A QR symbol: ``rows`` of dark (1) and light (0) modules, without the quiet zone.

    ``x`` and ``y`` are the top-left corner of the first module; the quiet zone
    (4 modules, ISO/IEC 18004) lies around it inside the label and holds nothing.
    """

    x: float
    y: float
    module: float
    rows: tuple[bytes, ...]

    @property
    def size(self) -> float:
        """Width (and height) of the symbol without its quiet zone, in millimetres."""
        return self.module * len(self.rows)

    def runs(self) -> list[tuple[int, int, int]]:
        """Dark modules as horizontal runs ``(row, first column, length)``, top to bottom."""
        found: list[tuple[int, int, int]] = []
        for r, row in enumerate(self.rows):
            c, n = 0, len(row)
            while c < n:
                if row[c]:
                    start = c
                    while c < n and row[c]:
                        c += 1
                    found.append((r, start, c - start))
                else:
                    c += 1
        return found


@dataclass(frozen=True, slots=True)
class TextMark:
    """One line of text: its left end at ``x``, its baseline at ``y``, ``size`` in points."""

    x: float
    y: float
    size: float
    bold: bool
    text: str


@dataclass(frozen=True, slots=True)
class ShapeMark:
    """A filled polygon (the OCOP stars), its corners in millimetres."""

    points: tuple[tuple[float, float], ...]


Mark = QrMark | TextMark | ShapeMark


@dataclass(frozen=True, slots=True)
class Label:
    """One label: its size and its marks; ``url`` is what its QR symbol holds."""

    width: float
    height: float
    marks: tuple[Mark, ...]
    url: str
    title: str


@dataclass(frozen=True, slots=True)
class Placed:
    """A label on a page, its top-left corner at ``x``, ``y`` millimetres."""

    x: float
    y: float
    label: Label


@dataclass(frozen=True, slots=True)
class Page:
    """One page (a roll label or an A4 sheet) and the labels on it."""

    width: float
    height: float
    labels: tuple[Placed, ...]
