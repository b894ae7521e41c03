"""The PDF writer, read back with a real PDF engine (pdfium) and with fontTools."""

from __future__ import annotations

import ctypes
import gc
import io
import re
import tracemalloc
import unicodedata
import zlib
from collections.abc import Iterator

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
import pytest
import qrcode
from fontTools.ttLib import TTFont
from pyzbar import pyzbar

from trace.labels.drawing import (
    MM_PER_POINT,
    Label,
    Page,
    Placed,
    QrMark,
    ShapeMark,
    TextMark,
)
from trace.labels.fonts import face
from trace.labels.pdf import PdfStream, pdf_chunks, write_pdf

VIETNAMESE = "Bưởi Diễn Phú Thượng – ặ ễ ộ ở ữ ỹ đ Ư Ơ Đ"
URL = "https://trace.example.vn/01/08936047000128/10/BD-2026-09"
DPI = 600
PX_MM = 25.4 / DPI


def _qr(data: str = URL) -> tuple[bytes, ...]:
    code = qrcode.QRCode(border=0)
    code.add_data(data)
    code.make()
    return tuple(bytes(int(dark) for dark in row) for row in code.get_matrix())


def _label(*marks: QrMark | TextMark | ShapeMark, width: float = 60, height: float = 40) -> Label:
    return Label(width=width, height=height, marks=marks, url=URL, title="thử")


def _page(width: float, height: float, *placed: Placed) -> Page:
    return Page(width=width, height=height, labels=placed)


def _pdf(pages: list[Page], title: str = "") -> bytes:
    out = io.BytesIO()
    assert write_pdf(pages, out, title=title) == len(pages)
    return out.getvalue()


def _number(pattern: bytes, data: bytes) -> int:
    found = re.search(pattern, data)
    assert found is not None, pattern
    return int(found[1])


def _offsets(data: bytes) -> dict[int, int]:
    """Object number -> offset, from the cross-reference table the trailer points at."""
    start = _number(rb"startxref\n(\d+)\n%%EOF\n$", data)
    head = re.match(rb"xref\n0 (\d+)\n", data[start:])
    assert head is not None
    size, entries = int(head[1]), start + head.end()
    found = {}
    for number in range(size):
        line = data[entries + 20 * number : entries + 20 * (number + 1)]
        assert re.fullmatch(rb"\d{10} \d{5} [nf]\r\n", line), line
        if number:
            assert line.endswith(b" 00000 n\r\n")
            found[number] = int(line[:10])
    assert data[entries + 20 * size :].startswith(b"trailer\n")
    return found


def _object(data: bytes, number: int) -> tuple[bytes, bytes | None]:
    """An object's dictionary and, for a stream, its decoded data."""
    offset = _offsets(data)[number]
    head = re.compile(rb"(\d+) 0 obj\n(<<.*?>>)\n(stream\n|endobj\n)", re.S).match(data, offset)
    assert head is not None and int(head[1]) == number
    if head[3] == b"endobj\n":
        return head[2], None
    length = _number(rb"/Length (\d+)", head[2])
    raw = data[head.end() : head.end() + length]
    assert data[head.end() + length :].startswith(b"\nendstream\nendobj\n")
    return head[2], zlib.decompress(raw)


def _font_files(data: bytes) -> dict[str, bytes]:
    """Every embedded font program by its BaseFont name."""
    found = {}
    for name, program in re.findall(rb"/FontName /(\S+) .*?/FontFile2 (\d+) 0 R", data):
        _, decoded = _object(data, int(program))
        assert decoded is not None
        found[name.decode()] = decoded
    return found


def test_page_sizes_read_back_within_a_hundredth_of_a_millimetre() -> None:
    sizes = [(100, 60), (210, 297), (50.8, 25.4), (62, 29.5), (101.6, 152.4)]
    data = _pdf([_page(w, h) for w, h in sizes])
    doc = pdfium.PdfDocument(data)
    assert len(doc) == len(sizes)
    for index, (width, height) in enumerate(sizes):
        got_w, got_h = doc[index].get_size()
        assert got_w * MM_PER_POINT == pytest.approx(width, abs=0.01)
        assert got_h * MM_PER_POINT == pytest.approx(height, abs=0.01)
    boxes = re.findall(rb"/MediaBox \[0 0 (\S+) (\S+)\]", data)
    assert boxes[1] == (b"595.2756", b"841.8898")
    for number in (n for box in boxes for n in box):
        assert re.fullmatch(rb"\d+(\.\d{0,3}[1-9])?", number), number


def test_qr_symbol_lands_where_it_was_placed() -> None:
    rows = _qr()
    mark = QrMark(x=3.1, y=2.6, module=0.5, rows=rows)
    text = TextMark(x=30, y=12, size=9, bold=False, text="Lô BD-2026-09")
    at = Placed(7.5, 4.25, _label(mark, text))
    data = _pdf([_page(100, 50, at)])
    page = pdfium.PdfDocument(data)[0]
    left, top = at.x + mark.x, at.y + mark.y
    right, bottom = left + mark.size, top + mark.size

    # As pixels: the dark box at 600 dpi, and the symbol still decodes.
    image = page.render(scale=DPI / 72).to_pil().convert("L")
    # Dark pixels left of the text, which starts at 37.5 mm.
    dark = image.point(lambda v: 255 if v < 128 else 0)
    box = dark.crop((0, 0, round(30 / PX_MM), image.height))
    found = box.getbbox()
    assert found is not None
    for got, want in zip(found, (left, top, right, bottom), strict=True):
        assert got * PX_MM == pytest.approx(want, abs=0.2)
    assert [symbol.data.decode() for symbol in pyzbar.decode(image.reduce(4))] == [URL]

    # As page objects: the QR path's bounds and the text's origin on its baseline.
    height = 50
    objects = list(page.get_objects())
    paths = [o for o in objects if o.type == pdfium_c.FPDF_PAGEOBJ_PATH]
    texts = [o for o in objects if o.type == pdfium_c.FPDF_PAGEOBJ_TEXT]
    assert len(paths) == 1 and len(texts) == 1
    x0, y0, x1, y1 = (v * MM_PER_POINT for v in paths[0].get_bounds())
    assert (x0, height - y1, x1, height - y0) == pytest.approx((left, top, right, bottom), abs=0.01)
    matrix = texts[0].get_matrix().get()
    assert matrix[4] * MM_PER_POINT == pytest.approx(at.x + text.x, abs=0.01)
    assert height - matrix[5] * MM_PER_POINT == pytest.approx(at.y + text.y, abs=0.01)


def test_every_module_edge_is_exact_and_the_runs_cover_the_symbol() -> None:
    rows = _qr()
    mark = QrMark(x=2.37, y=1.91, module=0.381, rows=rows)
    at = Placed(11.3, 7.7, _label(mark))
    data = _pdf([_page(80, 50, at)])
    _, content = _object(data, _number(rb"/Contents (\d+) 0 R", data))
    assert content is not None
    page_h = 50 / MM_PER_POINT
    dark: set[tuple[int, int]] = set()
    rects = re.findall(rb"(\S+) (\S+) (\S+) (\S+) re", content)
    assert len(rects) == len(mark.runs())
    for x, y, w, h in ((float(v) for v in rect) for rect in rects):
        col = round((x * MM_PER_POINT - at.x - mark.x) / mark.module)
        row = round(((page_h - y - h) * MM_PER_POINT - at.y - mark.y) / mark.module)
        length = round(w * MM_PER_POINT / mark.module)
        # Each edge within the 4-decimal rounding of x + col * module, so nothing accumulates.
        assert x == pytest.approx((at.x + mark.x + col * mark.module) / MM_PER_POINT, abs=1e-4)
        assert x + w == pytest.approx(
            (at.x + mark.x + (col + length) * mark.module) / MM_PER_POINT, abs=2e-4
        )
        assert y + h == pytest.approx(
            page_h - (at.y + mark.y + row * mark.module) / MM_PER_POINT, abs=2e-4
        )
        assert h == pytest.approx(mark.module / MM_PER_POINT, abs=2e-4)
        dark.update((row, c) for c in range(col, col + length))
    expected = {(r, c) for r, row in enumerate(rows) for c, v in enumerate(row) if v}
    assert dark == expected
    assert content.count(b"\nf\n") == 1
    assert content.startswith(b"q\n0 g\n") and content.endswith(b"\nQ")


@pytest.mark.parametrize("bold", [False, True])
def test_vietnamese_text_comes_back_exactly(bold: bool) -> None:
    decomposed = unicodedata.normalize("NFD", VIETNAMESE)
    assert decomposed != VIETNAMESE
    lines = [
        TextMark(x=4, y=10, size=8, bold=bold, text=VIETNAMESE),
        TextMark(x=4, y=20, size=8, bold=bold, text=decomposed),
    ]
    data = _pdf([_page(150, 30, Placed(0, 0, _label(*lines, width=150, height=30)))])
    page = pdfium.PdfDocument(data)[0]
    textpage = page.get_textpage()
    assert textpage.get_text_range().split("\r\n") == [VIETNAMESE, VIETNAMESE]

    # Each glyph sits where the font's own advances put it (as in the PNG and SVG writers).
    source = face(bold)
    origin_x, origin_y = ctypes.c_double(), ctypes.c_double()
    for index in (5, len(VIETNAMESE) - 1):
        assert pdfium_c.FPDFText_GetCharOrigin(
            textpage.raw, index, ctypes.byref(origin_x), ctypes.byref(origin_y)
        )
        expected = 4 + source.width(VIETNAMESE[:index], 8)
        assert origin_x.value * MM_PER_POINT == pytest.approx(expected, abs=0.01)
        assert (30 / MM_PER_POINT - origin_y.value) * MM_PER_POINT == pytest.approx(10, abs=0.01)

    # Only the face that is needed is embedded.
    assert re.findall(rb"/BaseFont /[A-Z]{6}\+(\S+) /Encoding", data) == [
        source.postscript_name.encode()
    ]


def test_fonts_appear_only_when_used_and_share_subsets_across_pages() -> None:
    qr_only = _pdf([_page(40, 40, Placed(0, 0, _label(QrMark(4, 4, 0.5, _qr()))))])
    assert b"/Font" not in qr_only
    assert pdfium.PdfDocument(qr_only)[0].get_textpage().get_text_range() == ""

    pages = [
        _page(60, 20, Placed(0, 0, _label(TextMark(2, 10, 9, False, "Xuất xứ")))),
        _page(60, 20, Placed(0, 0, _label(TextMark(2, 10, 9, True, "Hà Nội")))),
        _page(60, 20, Placed(0, 0, _label(TextMark(2, 10, 9, False, "Đắk Lắk")))),
    ]
    data = _pdf(pages)
    doc = pdfium.PdfDocument(data)
    assert [doc[i].get_textpage().get_text_range() for i in range(3)] == [
        "Xuất xứ",
        "Hà Nội",
        "Đắk Lắk",
    ]
    resources = re.findall(rb"/Resources (<<.*?>> >>|<< >>)", data)
    assert [r.count(b" 0 R") for r in resources] == [1, 1, 1]
    assert re.search(rb"/F0 \d+ 0 R", resources[0]) and re.search(rb"/F1 \d+ 0 R", resources[1])
    names = re.findall(rb"/BaseFont /([A-Z]{6})\+(\S+) /Encoding", data)
    assert sorted(n for _, n in names) == [b"NotoSans-Bold", b"NotoSans-Regular"]
    assert names[0][0] != names[1][0]


def test_same_pages_same_bytes_streamed_one_chunk_per_page() -> None:
    star = ShapeMark(((10, 30), (12, 34), (8, 34)))
    label = _label(QrMark(3, 3, 0.5, _qr()), TextMark(25, 8, 8, True, VIETNAMESE), star)
    pages = [_page(100, 60, Placed(5, 5, label), Placed(40, 20, label)), _page(50, 30)]

    pulled: list[int] = []

    def lazily() -> Iterator[Page]:
        for index, page in enumerate(pages):
            pulled.append(index)
            yield page

    chunks = []
    for chunk in pdf_chunks(lazily(), title="Nhãn lô BD-2026-09"):
        # A page's chunk comes out before the next page is even asked for.
        chunks.append(chunk)
        assert len(pulled) == min(len(chunks) - 1, len(pages))
    assert len(chunks) == len(pages) + 2
    assert chunks[0].startswith(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    assert chunks[-1].endswith(b"%%EOF\n")
    assert b"/Type /Page " in chunks[1] and b"/Type /Page " in chunks[2]

    whole = b"".join(chunks)
    assert whole == b"".join(pdf_chunks(pages, title="Nhãn lô BD-2026-09"))
    assert whole == _pdf(pages, title="Nhãn lô BD-2026-09")
    assert whole != _pdf(pages, title="Nhãn lô BD-2026-10")

    # The cross-reference table points at every object exactly.
    for number, offset in _offsets(whole).items():
        assert whole[offset:].startswith(b"%d 0 obj\n" % number)

    assert b"CreationDate" not in whole and b"ModDate" not in whole
    ident = re.findall(rb"/ID \[<([0-9A-F]{32})> <([0-9A-F]{32})>\]", whole)
    assert len(ident) == 1 and ident[0][0] == ident[0][1]
    info, _ = _object(whole, _number(rb"/Info (\d+) 0 R", whole))
    assert re.fullmatch(rb"<< /Producer \(trace labels\) /Title <FEFF[0-9A-F]+> >>", info)

    doc = pdfium.PdfDocument(whole)
    meta = doc.get_metadata_dict()
    assert meta["Title"] == "Nhãn lô BD-2026-09" and meta["Producer"] == "trace labels"
    assert len(doc) == 2


def test_stream_keeps_its_order_and_refuses_an_empty_document() -> None:
    stream = PdfStream()
    with pytest.raises(RuntimeError):
        stream.page(_page(10, 10))
    stream.start()
    assert stream.pages == 0
    with pytest.raises(ValueError, match="size"):
        stream.page(_page(0, 10))
    stream.page(_page(10, 10))
    assert stream.pages == 1
    stream.finish()
    with pytest.raises(RuntimeError):
        stream.finish()
    with pytest.raises(ValueError, match="at least one page"):
        write_pdf([], io.BytesIO())


class _Discard:
    def __init__(self) -> None:
        self.written = 0

    def write(self, data: bytes) -> int:
        self.written += len(data)
        return len(data)


def _many(count: int, rows: tuple[bytes, ...]) -> Iterator[Page]:
    star = ShapeMark(((5, 30), (6, 32), (8, 32), (6.5, 33), (7, 35), (5, 34), (3, 35)))
    for index in range(count):
        marks = (
            QrMark(3, 3, 0.5, rows),
            TextMark(20, 8, 7, True, "Bưởi Diễn Phú Thượng"),
            TextMark(20, 13, 6, False, f"Mã: 7K3M9Q{index:06d} – Hà Nội"),
            star,
        )
        yield _page(62, 40, Placed(1, 1, _label(*marks)))


def test_memory_stays_flat_however_many_pages() -> None:
    rows = _qr()
    write_pdf(_many(2, rows), _Discard())  # fonts, fontTools and caches load outside the count
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        assert write_pdf(_many(200, rows), _Discard()) == 200
        short_peak = tracemalloc.get_traced_memory()[1]

        # The long run page by page, to see what each page leaves behind.
        tracemalloc.reset_peak()
        stream = PdfStream()
        sink = _Discard()
        sink.write(stream.start())
        held = []
        for index, page in enumerate(_many(2000, rows), start=1):
            sink.write(stream.page(page))
            if index in (200, 2000):
                gc.collect()
                held.append(tracemalloc.get_traced_memory()[0])
        sink.write(stream.finish())
        long_peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    # Object offsets and a page number: a few dozen bytes a page, not the page.
    assert (held[1] - held[0]) / 1800 < 100, held
    assert long_peak < 30_000_000, long_peak
    assert long_peak - short_peak < 5_000_000, (short_peak, long_peak)


def test_embedded_font_is_a_subset_without_a_date_of_its_own(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    used = "Xuất xứ: Hà Nội"
    pages = [
        _page(60, 20, Placed(0, 0, _label(TextMark(2, 10, 9, False, used)))),
        _page(60, 20, Placed(0, 0, _label(TextMark(2, 10, 9, False, "ữ")))),
    ]
    # fontTools stamps "now" into head.modified unless told not to, and reads "now"
    # from SOURCE_DATE_EPOCH when it is set: two different "nows", the same bytes.
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "946684800")
    first = _pdf(pages)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "2000000000")
    assert _pdf(pages) == first

    source = face(False)
    (name, program), *others = _font_files(first).items()
    assert not others and name.endswith("+NotoSans-Regular")
    assert len(program) < len(source.data) / 5
    font = TTFont(io.BytesIO(program))
    assert font["head"].modified == source.font["head"].modified
    assert "GSUB" not in font and "GPOS" not in font
    glyf, source_glyf = font["glyf"], source.font["glyf"]
    # Glyph ids are kept, so the ids in the content streams still name the same outlines.
    for char in set(used + "ữ") - {" "}:
        gid = source.cmap[ord(char)]
        glyph = glyf[font.getGlyphName(gid)]
        original = source_glyf[source.font.getGlyphName(gid)]
        assert glyph.numberOfContours != 0, char
        assert glyph.getCoordinates(glyf) == original.getCoordinates(source_glyf), char
    for char in "QZqzЖж€@ỹ":
        gid = source.cmap[ord(char)]
        if gid < font["maxp"].numGlyphs:
            assert glyf[font.getGlyphName(gid)].numberOfContours == 0, char
