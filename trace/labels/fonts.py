"""The typeface printed on labels: Noto Sans, from the ``pymupdf-fonts`` package.

Pillow's built-in bitmap font has no glyph for ư, ơ, ặ, ễ or đ, so labels use
Noto Sans Regular and Bold (SIL Open Font License 1.1), which cover the whole
Vietnamese alphabet with precomposed letters. The package ships the TrueType
files inside Python modules, so ``pip install -r requirements.txt`` is all a
machine needs; no system font is looked up.

Text is laid out with the font's own advance widths (no kerning), so the
PNG, SVG and PDF writers all place every glyph at the same spot.
"""

from __future__ import annotations

import io
import unicodedata
from functools import cache, cached_property
from typing import Any

from fontTools.pens.svgPathPen import SVGPathPen
from fontTools.ttLib import TTFont
from PIL import ImageFont

from trace.labels.drawing import MM_PER_POINT

# pymupdf-fonts' short names for Noto Sans Regular and Bold.
_SOURCES = {False: "notos", True: "notosbo"}
REPLACEMENT = "\ufffd"


class Face:
    """One TrueType face: its bytes, metrics, character map and glyph outlines."""

    def __init__(self, data: bytes, *, bold: bool) -> None:
        self.data = data
        self.bold = bold
        # recalcTimestamp=False: saving a subset must not stamp today's date into it.
        self.font = TTFont(io.BytesIO(data), recalcTimestamp=False, lazy=False)
        self.units_per_em: int = self.font["head"].unitsPerEm
        self.ascent: int = self.font["hhea"].ascent
        self.descent: int = self.font["hhea"].descent
        self.cap_height: int = self.font["OS/2"].sCapHeight
        self.cmap: dict[int, int] = {
            code: self.font.getGlyphID(name) for code, name in self.font.getBestCmap().items()
        }
        order = self.font.getGlyphOrder()
        metrics = self.font["hmtx"].metrics
        self.advances: list[int] = [metrics[name][0] for name in order]
        self.postscript_name: str = self.font["name"].getDebugName(6) or "NotoSans"
        self._outlines: dict[int, str] = {}

    def clean(self, text: str) -> str:
        """``text`` in NFC, with every character the face cannot draw replaced by U+FFFD."""
        text = unicodedata.normalize("NFC", text)
        return "".join(ch if ord(ch) in self.cmap else REPLACEMENT for ch in text)

    def glyphs(self, text: str) -> list[int]:
        """Glyph ids of already :meth:`clean` ``text``."""
        return [self.cmap[ord(ch)] for ch in text]

    def width(self, text: str, size: float) -> float:
        """Advance width of ``text`` set at ``size`` points, in millimetres."""
        units = sum(self.advances[g] for g in self.glyphs(self.clean(text)))
        return units * size / self.units_per_em * MM_PER_POINT

    def ink(self, text: str) -> tuple[float, float]:
        """How far ``text``'s glyphs reach above and below the baseline, in ems."""
        glyf = self.font["glyf"]
        order = self.font.getGlyphOrder()
        tops, bottoms = [0], [0]
        for glyph in self.glyphs(self.clean(text)):
            outline = glyf[order[glyph]]
            if outline.numberOfContours:
                tops.append(outline.yMax)
                bottoms.append(-outline.yMin)
        return max(tops) / self.units_per_em, max(bottoms) / self.units_per_em

    def outline(self, glyph: int) -> str:
        """The glyph's outline as SVG path data in font units (y up), cached."""
        found = self._outlines.get(glyph)
        if found is None:
            name = self.font.getGlyphName(glyph)
            pen = SVGPathPen(self._glyph_set, ntos=_units)
            self._glyph_set[name].draw(pen)
            found = self._outlines[glyph] = pen.getCommands()
        return found

    @cached_property
    def _glyph_set(self) -> Any:
        return self.font.getGlyphSet()

    def pillow(self, pixels: float) -> ImageFont.FreeTypeFont:
        """A Pillow font of this face with an em of ``pixels`` pixels."""
        return _pillow_font(self.bold, round(pixels, 3))


def _units(value: float) -> str:
    # Outline coordinates are whole font units; "%g" keeps SVG free of "-0" and ".0".
    return f"{value:g}"


@cache
def face(bold: bool = False) -> Face:
    """Noto Sans Regular or Bold, loaded once per process."""
    # Imported here: the package decompresses each font when its module loads.
    import pymupdf_fonts

    return Face(pymupdf_fonts.myfont(_SOURCES[bold]), bold=bold)


@cache
def _pillow_font(bold: bool, pixels: float) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(
        io.BytesIO(face(bold).data), pixels, layout_engine=ImageFont.Layout.BASIC
    )
