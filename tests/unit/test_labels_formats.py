"""PNG, SVG and PDF labels read back with a real QR decoder, reproducible, at true size."""

from __future__ import annotations

import dataclasses
import hashlib
import io
import subprocess
import sys

import pypdfium2
import pytest
from PIL import Image

from tests.labels.reading import decode, decode_labels, pdf_pages, phone_view, png_image, svg_image
from tests.labels.samples import PADDY, POMELO, lot_label, page_of, serial_page, serials
from trace.labels.drawing import MM_PER_INCH, QrMark
from trace.labels.pdf import pdf_chunks
from trace.labels.png import render_png
from trace.labels.svg import render_svg
from trace.labels.templates import TEMPLATES

ROLLS = [t for t in TEMPLATES.values() if not t.is_sheet]
SHEETS = [t for t in TEMPLATES.values() if t.is_sheet]
ALL = list(TEMPLATES.values())


def _pdf(pages) -> bytes:
    return b"".join(pdf_chunks(pages))


def _images(fmt: str, page, dpi: int) -> Image.Image:
    if fmt == "png":
        return png_image(render_png(page, dpi))
    if fmt == "svg":
        return svg_image(render_svg(page), dpi)
    return pdf_pages(_pdf([page]), dpi)[0]


@pytest.mark.parametrize("fmt", ["png", "svg", "pdf"])
@pytest.mark.parametrize("template", ROLLS, ids=lambda t: t.name)
@pytest.mark.parametrize("facts", [POMELO, PADDY], ids=["gtin", "code"])
def test_roll_label_decodes_to_its_url_printed_and_through_a_phone(fmt, template, facts) -> None:
    label = lot_label(template, facts)
    image = _images(fmt, page_of(template, [label]), template.dpi)
    assert decode(image) == [label.url]
    assert decode(phone_view(image)) == [label.url]


# The 38.1 × 21.2 mm labels of a4-5x13 have no room for a serial's longer symbol
# and its code (test_labels_layout checks that they are refused).
SERIAL_STOCK = [t for t in ALL if t.name != "a4-5x13"]


@pytest.mark.parametrize("fmt", ["png", "svg", "pdf"])
@pytest.mark.parametrize("template", SERIAL_STOCK, ids=lambda t: t.name)
def test_serialised_labels_each_decode_to_their_own_serial(fmt, template) -> None:
    page, serials = serial_page(template)
    image = _images(fmt, page, template.dpi)
    urls = [placed.label.url for placed in page.labels]
    assert decode_labels(image, template, template.dpi) == urls
    # A phone frames one label at a time.
    scale = template.dpi / MM_PER_INCH
    for placed in page.labels:
        box = (placed.x, placed.y, placed.x + template.width, placed.y + template.height)
        one = image.crop(tuple(round(v * scale) for v in box))
        assert decode(phone_view(one)) == [placed.label.url]
    assert [url.rsplit("/", 1)[1] for url in urls] == serials


def test_png_is_one_bit_at_the_printers_resolution_and_true_size() -> None:
    for template in ROLLS:
        image = png_image(render_png(page_of(template, [lot_label(template)]), template.dpi))
        assert image.mode == "1"
        assert image.info["dpi"] == pytest.approx((template.dpi, template.dpi), abs=0.01)
        assert abs(image.width * MM_PER_INCH / template.dpi - template.width) <= 0.2
        assert abs(image.height * MM_PER_INCH / template.dpi - template.height) <= 0.2


def test_svg_declares_its_size_in_millimetres_and_needs_no_font() -> None:
    template = TEMPLATES["roll-50x30-203"]
    svg = render_svg(page_of(template, [lot_label(template)])).decode()
    assert 'width="50mm" height="30mm" viewBox="0 0 50 30"' in svg
    assert "<text" not in svg and "font-family" not in svg
    assert POMELO.product in svg  # in <title> and <desc>, for people and search


@pytest.mark.parametrize("template", ALL, ids=lambda t: t.name)
def test_pdf_page_and_every_label_sit_where_the_template_says(template) -> None:
    if template in SERIAL_STOCK:
        page, _ = serial_page(template)
    else:
        # Distinct lot labels, so zbar tells each label's position apart.
        facts = [
            dataclasses.replace(PADDY, code=c, lot=f"L-{n}")
            for n, c in enumerate(serials(template.per_page))
        ]
        page = page_of(template, [lot_label(template, f) for f in facts])
    data = _pdf([page, page])
    document = pypdfium2.PdfDocument(data)
    width, height = template.page_size
    assert len(document) == 2
    for index in range(2):
        w_pt, h_pt = document[index].get_size()
        assert abs(w_pt / 72 * MM_PER_INCH - width) <= 0.2
        assert abs(h_pt / 72 * MM_PER_INCH - height) <= 0.2
    document.close()
    dpi = 600
    image = pdf_pages(data, dpi)[0]
    px = dpi / MM_PER_INCH
    for (x, y), placed in zip(template.positions(), page.labels, strict=True):
        assert (placed.x, placed.y) == (x, y)
        box = (x, y, x + template.width, y + template.height)
        # The label cut out where the template says it is holds that label's own symbol.
        assert decode(image.crop(tuple(round(v * px) for v in box))) == [placed.label.url]
        qr = next(m for m in placed.label.marks if isinstance(m, QrMark))
        # The symbol's ink, looked for within half its quiet zone around where it should be:
        # the finder patterns reach its corners, so the ink's box is the symbol's edge.
        margin = 2 * qr.module
        window = (
            x + qr.x - margin,
            y + qr.y - margin,
            x + qr.x + qr.size + margin,
            y + qr.y + qr.size + margin,
        )
        crop = image.crop(tuple(round(v * px) for v in window))
        left, top, right, bottom = crop.point(lambda v: 255 if v < 128 else 0).getbbox()
        assert abs(window[0] + left / px - (x + qr.x)) <= 0.2
        assert abs(window[1] + top / px - (y + qr.y)) <= 0.2
        assert abs((right - left) / px - qr.size) <= 0.2
        assert abs((bottom - top) / px - qr.size) <= 0.2


def _digests(template_name: str) -> list[str]:
    template = TEMPLATES[template_name]
    page = page_of(template, [lot_label(template, POMELO)] * template.per_page)
    outputs = [render_png(page, template.dpi), render_svg(page), _pdf([page, page])]
    return [hashlib.sha256(data).hexdigest() for data in outputs]


@pytest.mark.parametrize("template", ["roll-40x25-203", "a4-3x8"])
def test_same_input_gives_byte_identical_files_in_another_process(template) -> None:
    here = _digests(template)
    assert here == _digests(template)
    script = (
        "import json, sys; from tests.unit.test_labels_formats import _digests;"
        f" print(json.dumps(_digests({template!r})))"
    )
    other = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        check=True,
        env={"PYTHONHASHSEED": "12345", "PATH": ""},
        cwd=str(__import__("tests.conftest", fromlist=["ROOT"]).ROOT),
    )
    assert __import__("json").loads(other.stdout) == here


def test_no_timestamp_or_machine_name_in_any_format() -> None:
    template = TEMPLATES["roll-50x30-203"]
    page = page_of(template, [lot_label(template)])
    for data in (render_png(page, 203), render_svg(page), _pdf([page])):
        for marker in (b"CreationDate", b"ModDate", b"tIME", b"2026-11", b"/tmp"):
            assert marker not in data
    image = Image.open(io.BytesIO(render_png(page, 203)))
    assert set(image.info) <= {"dpi"}
