"""Label pages as PDF, written by hand: streamed page by page and reproducible to the byte.

Each page goes out as soon as it is drawn and is then forgotten; the writer keeps
only object offsets, page object numbers and the glyphs used so far, so a run of
any length needs the same memory. The fonts come last: a subset of Noto Sans with
exactly the glyphs the document used, embedded as a CID-keyed TrueType font with
a ToUnicode map so that the Vietnamese text can be searched and copied.

The same pages always give the same bytes: no dates anywhere, a fixed zlib level,
subsets saved without fontTools' timestamp, a subset tag and a trailer ``/ID``
hashed from the content. (Byte-identical output assumes the same zlib and
fontTools versions; both are part of the environment, not of the pages.)
"""

from __future__ import annotations

import hashlib
import io
import math
import struct
import zlib
from array import array
from collections.abc import Iterable, Iterator
from typing import BinaryIO

from fontTools import subset
from fontTools.ttLib import TTFont

from trace.labels.drawing import (
    MM_PER_INCH,
    POINTS_PER_INCH,
    Page,
    Placed,
    QrMark,
    ShapeMark,
    TextMark,
    number,
)
from trace.labels.fonts import Face, face

__all__ = ["PdfStream", "pdf_chunks", "write_pdf"]

# Fixed, because the compressed bytes depend on it: part of what makes output reproducible.
ZLIB_LEVEL = 6
PRODUCER = "trace labels"

_CATALOG, _PAGES, _INFO = 1, 2, 3
# The second line is a comment with bytes above 127, so that tools treat the file as binary.
_HEADER = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n"
# ToUnicode CMaps may hold at most 100 entries per beginbfchar block.
_BFCHAR_BLOCK = 100
# FontDescriptor flag 3, Symbolic: glyphs are addressed by id and reach well beyond
# the Adobe standard Latin set that the Nonsymbolic flag would promise.
_SYMBOLIC = 4


def _pt(mm: float) -> float:
    return mm / MM_PER_INCH * POINTS_PER_INCH


def _utf16_hex(text: str) -> str:
    return text.encode("utf-16-be").hex().upper()


class _FontUse:
    """One face in one document: its Type0 font object and the glyphs drawn with it."""

    __slots__ = ("face", "glyphs", "number", "resource")

    def __init__(self, source: Face, number: int) -> None:
        self.face = source
        self.number = number
        self.resource = "/F1" if source.bold else "/F0"
        # Glyph id -> the character it was drawn for; becomes the W array and ToUnicode.
        self.glyphs: dict[int, str] = {}


class PdfStream:
    """Builds a PDF incrementally: bytes come out page by page, nothing per page is kept.

    Call :meth:`start` once, :meth:`page` for every page and :meth:`finish` once,
    and write the returned chunks in that order: object offsets count from the
    first byte of :meth:`start`.
    """

    def __init__(self, *, title: str = "") -> None:
        self._title = title
        # Byte offset of every object, indexed by object number (0 is the free head).
        self._offsets = array("Q", [0, 0, 0, 0])
        self._kids = array("Q")
        # Faces get their Type0 object number on first use, so an unused face leaves no gap.
        self._fonts: dict[bool, _FontUse] = {}
        self._position = 0
        self._digest = hashlib.sha256()
        self._parts: list[bytes] = []
        self._pending = 0
        self._state = "new"

    @property
    def pages(self) -> int:
        """Pages emitted so far."""
        return len(self._kids)

    def start(self) -> bytes:
        """The header, the catalog and the document information."""
        self._advance("new", "open")
        self._write(_HEADER)
        self._object(_CATALOG, b"<< /Type /Catalog /Pages %d 0 R >>" % _PAGES)
        info = f"<< /Producer ({PRODUCER})"
        if self._title:
            info += f" /Title <FEFF{_utf16_hex(self._title)}>"
        self._object(_INFO, (info + " >>").encode("ascii"))
        return self._flush()

    def page(self, page: Page) -> bytes:
        """One page: its content stream and its page dictionary."""
        self._advance("open", "open")
        if not (0 < page.width < math.inf and 0 < page.height < math.inf):
            raise ValueError(f"page size must be positive: {page.width} x {page.height} mm")
        width, height = _pt(page.width), _pt(page.height)
        used: set[bool] = set()
        content = "\n".join(self._draw(placed, height, used) for placed in page.labels)
        contents = self._allocate()
        self._stream(contents, content.encode("ascii"))
        fonts = "".join(
            f" {self._fonts[bold].resource} {self._fonts[bold].number} 0 R" for bold in sorted(used)
        )
        resources = f"<< /Font <<{fonts} >> >>" if fonts else "<< >>"
        page_object = self._allocate()
        box = f"[0 0 {number(width)} {number(height)}]"
        self._object(
            page_object,
            (
                f"<< /Type /Page /Parent {_PAGES} 0 R /MediaBox {box}"
                f" /Resources {resources} /Contents {contents} 0 R >>"
            ).encode("ascii"),
        )
        self._kids.append(page_object)
        return self._flush()

    def finish(self) -> bytes:
        """The font subsets, the page tree, the cross-reference table and the trailer."""
        self._advance("open", "done")
        if not self._kids:
            # PDF readers (pdfium among them) refuse a document without pages.
            raise ValueError("a PDF needs at least one page")
        for bold in sorted(self._fonts):
            self._font(self._fonts[bold])
        kids = " ".join(f"{kid} 0 R" for kid in self._kids)
        self._object(
            _PAGES, f"<< /Type /Pages /Kids [{kids}] /Count {len(self._kids)} >>".encode("ascii")
        )
        xref = self._position + self._pending
        size = len(self._offsets)
        # Each entry is exactly 20 bytes, its end of line included.
        table = [b"xref\n0 %d\n0000000000 65535 f\r\n" % size]
        table.extend(b"%010d 00000 n\r\n" % offset for offset in self._offsets[1:])
        self._write(b"".join(table))
        # The /ID is a digest of everything before the trailer: stable for the same pages.
        ident = self._digest.copy()
        ident.update(b"".join(self._parts))
        token = ident.hexdigest()[:32].upper()
        self._write(
            b"trailer\n<< /Size %d /Root %d 0 R /Info %d 0 R /ID [<%s> <%s>] >>\n"
            b"startxref\n%d\n%%%%EOF\n"
            % (size, _CATALOG, _INFO, token.encode(), token.encode(), xref)
        )
        return self._flush()

    # Drawing

    def _draw(self, placed: Placed, page_height: float, used: set[bool]) -> str:
        # Each label in its own graphics state, black fill (text too) set afresh.
        out = ["q\n0 g"]
        for mark in placed.label.marks:
            if isinstance(mark, QrMark):
                _qr(out, mark, placed.x, placed.y, page_height)
            elif isinstance(mark, TextMark):
                self._text(out, mark, placed.x, placed.y, page_height, used)
            else:
                _shape(out, mark, placed.x, placed.y, page_height)
        out.append("Q")
        return "\n".join(out)

    def _text(
        self,
        out: list[str],
        mark: TextMark,
        left: float,
        top: float,
        page_height: float,
        used: set[bool],
    ) -> None:
        source = face(mark.bold)
        text = source.clean(mark.text)
        if not text:
            return
        use = self._fonts.get(mark.bold)
        if use is None:
            use = self._fonts[mark.bold] = _FontUse(source, self._allocate())
        used.add(mark.bold)
        gids = source.glyphs(text)
        seen = use.glyphs
        for gid, char in zip(gids, text, strict=True):
            if gid not in seen:
                seen[gid] = char
        x = number(_pt(left + mark.x))
        y = number(page_height - _pt(top + mark.y))
        shown = struct.pack(f">{len(gids)}H", *gids).hex().upper()
        out.append(f"BT {use.resource} {number(mark.size)} Tf 1 0 0 1 {x} {y} Tm <{shown}> Tj ET")

    # Fonts

    def _font(self, use: _FontUse) -> None:
        source = use.face
        gids = sorted(use.glyphs)
        name = f"{_subset_tag(source.postscript_name, gids)}+{source.postscript_name}"
        descendant, descriptor, program, to_unicode = (self._allocate() for _ in range(4))
        scale = 1000 / source.units_per_em

        data = _subset(source, gids)
        self._stream(program, data, b" /Length1 %d" % len(data))

        head = source.font["head"]
        bbox = " ".join(number(v * scale) for v in (head.xMin, head.yMin, head.xMax, head.yMax))
        italic = number(float(source.font["post"].italicAngle))
        self._object(
            descriptor,
            (
                f"<< /Type /FontDescriptor /FontName /{name} /Flags {_SYMBOLIC}"
                f" /FontBBox [{bbox}] /ItalicAngle {italic}"
                f" /Ascent {number(source.ascent * scale)}"
                f" /Descent {number(source.descent * scale)}"
                f" /CapHeight {number(source.cap_height * scale)} /StemV {_stem(source, scale)}"
                f" /FontFile2 {program} 0 R >>"
            ).encode("ascii"),
        )
        self._object(
            descendant,
            (
                f"<< /Type /Font /Subtype /CIDFontType2 /BaseFont /{name}"
                " /CIDSystemInfo << /Registry (Adobe) /Ordering (Identity) /Supplement 0 >>"
                f" /FontDescriptor {descriptor} 0 R /W [{_widths(source, gids, scale)}]"
                " /CIDToGIDMap /Identity >>"
            ).encode("ascii"),
        )
        self._stream(to_unicode, _to_unicode(use.glyphs).encode("ascii"))
        self._object(
            use.number,
            (
                f"<< /Type /Font /Subtype /Type0 /BaseFont /{name} /Encoding /Identity-H"
                f" /DescendantFonts [{descendant} 0 R] /ToUnicode {to_unicode} 0 R >>"
            ).encode("ascii"),
        )

    # Bytes and objects

    def _advance(self, expected: str, then: str) -> None:
        if self._state != expected:
            raise RuntimeError(f"PdfStream is {self._state}: call start, page..., finish in order")
        self._state = then

    def _allocate(self) -> int:
        self._offsets.append(0)
        return len(self._offsets) - 1

    def _write(self, data: bytes) -> None:
        self._parts.append(data)
        self._pending += len(data)

    def _object(self, number: int, body: bytes) -> None:
        self._offsets[number] = self._position + self._pending
        self._write(b"%d 0 obj\n%s\nendobj\n" % (number, body))

    def _stream(self, number: int, data: bytes, extra: bytes = b"") -> None:
        packed = zlib.compress(data, ZLIB_LEVEL)
        self._object(
            number,
            b"<< /Length %d /Filter /FlateDecode%s >>\nstream\n%s\nendstream"
            % (len(packed), extra, packed),
        )

    def _flush(self) -> bytes:
        chunk = b"".join(self._parts)
        self._parts.clear()
        self._pending = 0
        self._position += len(chunk)
        self._digest.update(chunk)
        return chunk


def _qr(out: list[str], mark: QrMark, left: float, top: float, page_height: float) -> None:
    runs = mark.runs()
    if not runs:
        return
    # Every module edge is computed from its own index (x + col * module), not by adding
    # widths, so no rounding accumulates across the symbol and neighbours share edges.
    columns = max(len(row) for row in mark.rows)
    x0, y0, module = left + mark.x, top + mark.y, mark.module
    xs = [round(_pt(x0 + c * module), 4) for c in range(columns + 1)]
    ys = [round(page_height - _pt(y0 + r * module), 4) for r in range(len(mark.rows) + 1)]
    left_at = [number(x) for x in xs]
    # A run's rectangle starts at its bottom-left corner, which is the next row's top edge.
    bottom_at = [number(y) for y in ys[1:]]
    tall = [number(ys[r] - ys[r + 1]) for r in range(len(mark.rows))]
    wide: dict[tuple[int, int], str] = {}
    for row, col, length in runs:
        w = wide.get((col, length))
        if w is None:
            w = wide[col, length] = number(xs[col + length] - xs[col])
        out.append(f"{left_at[col]} {bottom_at[row]} {w} {tall[row]} re")
    out.append("f")


def _shape(out: list[str], mark: ShapeMark, left: float, top: float, page_height: float) -> None:
    if not mark.points:
        return
    for i, (x, y) in enumerate(mark.points):
        op = "m" if i == 0 else "l"
        out.append(f"{number(_pt(left + x))} {number(page_height - _pt(top + y))} {op}")
    out.append("h f")


def _subset_tag(name: str, gids: list[int]) -> str:
    # Different subsets in one file need different tags, so the face's name counts too.
    digest = hashlib.sha256(name.encode() + struct.pack(f">{len(gids)}H", *gids)).digest()
    return "".join(chr(ord("A") + b % 26) for b in digest[:6])


def _subset(source: Face, gids: list[int]) -> bytes:
    """A TrueType subset of ``source`` with ``gids`` (and .notdef) at their original ids."""
    # A fresh copy: subsetting works in place, and the face's font is shared.
    # recalcTimestamp=False: otherwise saving stamps today's date into head.modified.
    font = TTFont(io.BytesIO(source.data), recalcTimestamp=False)
    # PDF viewers do not shape text, so the layout tables go; deleted before subsetting
    # because the subsetter would otherwise decode them in full (most of its time).
    # TTFA only records ttfautohint's settings.
    for tag in ("GDEF", "GPOS", "GSUB", "TTFA"):
        if tag in font:
            del font[tag]
    options = subset.Options()
    options.retain_gids = True
    options.notdef_outline = True
    subsetter = subset.Subsetter(options)
    subsetter.populate(gids=gids)
    subsetter.subset(font)
    buffer = io.BytesIO()
    font.save(buffer)
    data: bytes = buffer.getvalue()
    return data


def _stem(source: Face, scale: float) -> str:
    # TrueType fonts do not state a stem width; the lower-case l is a single upright stem.
    gid = source.cmap.get(ord("l"))
    if gid is not None:
        glyph = source.font["glyf"][source.font.getGlyphName(gid)]
        if getattr(glyph, "numberOfContours", 0) > 0:
            return number((glyph.xMax - glyph.xMin) * scale)
    return "140" if source.bold else "80"


def _widths(source: Face, gids: list[int], scale: float) -> str:
    """The CIDFont ``W`` array: runs of consecutive glyph ids with their advances."""
    groups: list[str] = []
    run: list[str] = []
    first = previous = -2
    for gid in gids:
        if gid != previous + 1 and run:
            groups.append(f"{first} [{' '.join(run)}]")
            run = []
        if not run:
            first = gid
        run.append(number(source.advances[gid] * scale))
        previous = gid
    if run:
        groups.append(f"{first} [{' '.join(run)}]")
    return " ".join(groups)


def _to_unicode(glyphs: dict[int, str]) -> str:
    """A ToUnicode CMap from glyph ids (the CIDs, via Identity) to the characters drawn."""
    entries = [f"<{gid:04X}> <{_utf16_hex(glyphs[gid])}>" for gid in sorted(glyphs)]
    blocks = [
        f"{len(block)} beginbfchar\n" + "\n".join(block) + "\nendbfchar"
        for block in (entries[i : i + _BFCHAR_BLOCK] for i in range(0, len(entries), _BFCHAR_BLOCK))
    ]
    return "\n".join(
        [
            "/CIDInit /ProcSet findresource begin",
            "12 dict begin",
            "begincmap",
            "/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def",
            "/CMapName /Adobe-Identity-UCS def",
            "/CMapType 2 def",
            "1 begincodespacerange",
            "<0000> <FFFF>",
            "endcodespacerange",
            *blocks,
            "endcmap",
            "CMapName currentdict /CMap defineresource pop",
            "end",
            "end",
        ]
    )


def pdf_chunks(pages: Iterable[Page], *, title: str = "") -> Iterator[bytes]:
    """The document as chunks: the start, one chunk per page, the finish."""
    stream = PdfStream(title=title)
    yield stream.start()
    for page in pages:
        yield stream.page(page)
    yield stream.finish()


def write_pdf(pages: Iterable[Page], out: BinaryIO, *, title: str = "") -> int:
    """Write the document to a binary file object; return the number of pages (at least one)."""
    stream = PdfStream(title=title)
    out.write(stream.start())
    for page in pages:
        out.write(stream.page(page))
    out.write(stream.finish())
    return stream.pages
