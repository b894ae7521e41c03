"""Label layout: stock geometry, what the symbol holds, text that fits or is refused."""

from __future__ import annotations

import dataclasses
import itertools
import re
import unicodedata

import pytest
from PIL import Image, ImageChops

from tests.labels.samples import (
    GTIN,
    PADDY,
    POMELO,
    PUBLIC_URL,
    lot_label,
    serial_label,
    serials,
)
from trace.domain.identifiers import new_serial
from trace.labels.content import text_lines
from trace.labels.drawing import Label, Page, Placed, QrMark, ShapeMark, TextMark
from trace.labels.errors import LabelDoesNotFit
from trace.labels.fonts import face
from trace.labels.layout import compose
from trace.labels.png import render_png
from trace.labels.qr import QUIET_ZONE, batch_path, encode, label_url
from trace.labels.templates import MIN_MODULE_MM, TEMPLATES

ALL = list(TEMPLATES.values())
# The Vietnamese alphabet: 29 letters, and each of the 12 vowels with its 5 tones.
VOWELS = "aăâeêioôơuưy"
TONES = "\u0300\u0309\u0303\u0301\u0323"  # huyền, hỏi, ngã, sắc, nặng
LETTERS = "aăâbcdđeêghiklmnoôơpqrstuưvxy"
ALPHABET = "".join(
    dict.fromkeys(
        [
            *LETTERS,
            *(unicodedata.normalize("NFC", v + t) for v in VOWELS for t in TONES),
        ]
    )
)


def text_of(label: Label) -> str:
    return " ".join(m.text for m in label.marks if isinstance(m, TextMark))


@pytest.mark.parametrize("template", ALL, ids=lambda t: t.name)
def test_module_is_whole_printer_dots_within_gs1_limits(template) -> None:
    dots = template.module / template.dot
    assert abs(dots - round(dots)) < 1e-9
    assert MIN_MODULE_MM <= template.module <= 0.990
    # One dot fewer would fall under the minimum: the module is the smallest allowed.
    assert (round(dots) - 1) * template.dot < MIN_MODULE_MM


@pytest.mark.parametrize("template", [t for t in ALL if t.is_sheet], ids=lambda t: t.name)
def test_sheet_labels_lie_on_the_page_without_overlapping(template) -> None:
    width, height = template.page_size
    spots = template.positions()
    assert len(spots) == template.per_page
    for x, y in spots:
        assert x >= 0 and x + template.width <= width + 1e-9
        assert y >= 0 and y + template.height <= height + 1e-9
    rows = sorted({y for _, y in spots})
    columns = sorted({x for x, _ in spots})
    assert all(b - a >= template.height - 1e-9 for a, b in itertools.pairwise(rows))
    assert all(b - a >= template.width - 1e-9 for a, b in itertools.pairwise(columns))


def test_symbol_holds_a_lower_case_scheme_the_host_in_capitals_and_the_path_as_it_is() -> None:
    path = batch_path(code=PADDY.code, gtin=GTIN, lot="thoc-2026-01")
    assert label_url("HTTPS://Trace.Example.vn:8443/", path) == (
        "https://TRACE.EXAMPLE.VN:8443/01/08936047000128/10/thoc-2026-01"
    )
    assert label_url("http://host.vn/truy-xuat", "/b/X") == "http://HOST.VN/truy-xuat/b/X"


def test_the_host_in_capitals_keeps_the_symbol_one_version_smaller() -> None:
    path = batch_path(code=POMELO.code, gtin=GTIN, lot=POMELO.lot)
    assert encode(label_url(PUBLIC_URL, path)).version == 3
    assert encode(PUBLIC_URL + path).version == 4
    serial = batch_path(code=POMELO.code, gtin=GTIN, lot=POMELO.lot, serial=new_serial())
    assert encode(label_url(PUBLIC_URL, serial)).version == 4


def test_serial_needs_a_gtin() -> None:
    with pytest.raises(ValueError, match="GTIN"):
        batch_path(code=PADDY.code, gtin=None, lot=PADDY.lot, serial=new_serial())


@pytest.mark.parametrize("template", ALL, ids=lambda t: t.name)
@pytest.mark.parametrize("lang", ["vi", "en"])
@pytest.mark.parametrize("facts", [POMELO, PADDY], ids=["pomelo", "household"])
def test_every_fact_is_printed_on_every_template(template, lang, facts) -> None:
    label = lot_label(template, facts, lang)
    words = text_of(label).replace("\u00a0", " ")
    flat = re.sub(r"\s+", "", words)
    for fact in (facts.product, facts.producer, facts.origin, facts.lot, facts.code):
        assert re.sub(r"\s+", "", fact) in flat, fact
    if facts.production_date:
        day = facts.production_date
        # Day first in Vietnamese, as labels there are written; the month by name in English.
        assert (day.strftime("%d/%m/%Y") if lang == "vi" else "1 Sep 2026") in words
    quantity = "3 kg" if facts is POMELO else ("3.000 kg" if lang == "vi" else "3,000 kg")
    assert quantity in words
    stars = [m for m in label.marks if isinstance(m, ShapeMark)]
    assert len(stars) == (facts.ocop_stars or 0)
    if facts.household:
        assert ("Hộ sản xuất" if lang == "vi" else "Household farm") in words


@pytest.mark.parametrize("template", ALL, ids=lambda t: t.name)
def test_every_mark_stays_inside_the_label_and_off_the_quiet_zone(template) -> None:
    label = (
        lot_label(template) if template.name == "a4-5x13" else serial_label(template, serials(1)[0])
    )
    qr = next(m for m in label.marks if isinstance(m, QrMark))
    quiet = QUIET_ZONE * qr.module
    zone = (qr.x - quiet, qr.y - quiet, qr.x + qr.size + quiet, qr.y + qr.size + quiet)
    assert zone[0] >= -1e-3 and zone[1] >= -1e-3
    assert zone[2] <= label.width + 1e-3 and zone[3] <= label.height + 1e-3
    for mark in label.marks:
        if isinstance(mark, TextMark):
            font = face(mark.bold)
            mark.size * 25.4 / 72
            left, right = mark.x, mark.x + font.width(mark.text, mark.size)
            top, bottom = _ink_rows(mark)
            assert template.padding - 0.2 <= left and right <= label.width - template.padding
            assert top >= template.padding - 0.2 and bottom <= label.height - template.padding
            e = 1e-3  # a micrometre: rounding of printed coordinates
            overlaps = (
                left < zone[2] - e
                and right > zone[0] + e
                and top < zone[3] - e
                and bottom > zone[1] + e
            )
            assert not overlaps, f"{mark.text!r} is in the quiet zone"


def _ink_rows(mark: TextMark) -> tuple[float, float]:
    """Top and bottom of the ink of a line of text, from its glyphs' bounding boxes."""
    font = face(mark.bold)
    glyf = font.font["glyf"]
    order = font.font.getGlyphOrder()
    highs, lows = [0], [0]
    for glyph in font.glyphs(font.clean(mark.text)):
        outline = glyf[order[glyph]]
        if outline.numberOfContours:
            highs.append(outline.yMax)
            lows.append(outline.yMin)
    scale = mark.size * 25.4 / 72 / font.units_per_em
    return mark.y - max(highs) * scale, mark.y - min(lows) * scale


@pytest.mark.parametrize("template", ALL, ids=lambda t: t.name)
def test_text_that_cannot_fit_is_refused_not_cut(template) -> None:
    long = "Bưởi Diễn Phú Thượng loại đặc biệt " * 14
    facts = dataclasses.replace(POMELO, product=long[:500], producer=long[:300])
    with pytest.raises(LabelDoesNotFit) as caught:
        lot_label(template, facts)
    assert caught.value.params["what"] == "text"
    assert caught.value.params["template"] == template.name


def test_serialised_labels_are_refused_on_the_smallest_sheet_labels() -> None:
    with pytest.raises(LabelDoesNotFit) as caught:
        serial_label(TEMPLATES["a4-5x13"], "WMWMWMWMWMWMW0")
    assert caught.value.params["what"] == "symbol"
    assert caught.value.params["version"] == 4


def test_a_symbol_too_large_for_the_label_is_refused() -> None:
    template = TEMPLATES["roll-40x25-203"]
    url = "https://truy-xuat-nguon-goc.so-nong-nghiep-va-moi-truong.example.gov.vn/san-pham/ocop"
    symbol = encode(label_url(url, batch_path(code=POMELO.code, gtin=GTIN, lot=POMELO.lot)))
    with pytest.raises(LabelDoesNotFit) as caught:
        compose(POMELO, template, symbol, lang="vi", short_code=POMELO.code)
    assert caught.value.params["what"] == "symbol"
    assert caught.value.params["version"] == symbol.version


def test_product_name_is_largest_when_there_is_room() -> None:
    lines = text_lines(POMELO, "vi")
    assert lines[0].text == POMELO.product and lines[0].bold and lines[0].scale > 1


def _mask(ch: str, pixels: int) -> Image.Image:
    font = face().pillow(pixels)
    image = Image.new("1", (pixels * 3, pixels * 3), 0)
    from PIL import ImageDraw

    ImageDraw.Draw(image).text((pixels, pixels * 2), ch, font=font, fill=1, anchor="ls")
    return image


def test_every_vietnamese_letter_has_its_own_glyph_on_a_label() -> None:
    """The full alphabet with tones, upper and lower case, rendered as the PNG writer does.

    A letter the font lacked would be drawn as the missing-glyph box (.notdef):
    every letter's mask must differ from that box and from every other letter's.
    """
    letters = ALPHABET + ALPHABET.upper()
    assert len(ALPHABET) == 29 + 12 * 5
    # On a label: the PNG writer draws all of them, 30 to a line.
    marks = tuple(
        TextMark(3.0, 6.0 + 5.0 * n, 10.0, False, letters[i : i + 30])
        for n, i in enumerate(range(0, len(letters), 30))
    )
    page = Page(100.0, 40.0, (Placed(0, 0, Label(100.0, 40.0, marks, "", "alphabet")),))
    sheet = render_png(page, 300)
    assert Image.open(__import__("io").BytesIO(sheet)).getbbox() is not None
    pixels = 42  # 10 pt at 300 dpi
    missing = _mask("\ue000", pixels)  # a private-use character: no font has it
    masks = {}
    for ch in letters:
        assert ord(ch) in face().cmap, f"no glyph for {ch!r}"
        mask = _mask(ch, pixels)
        assert mask.getbbox() is not None, f"{ch!r} draws nothing"
        assert ImageChops.difference(mask, missing).getbbox() is not None, f"{ch!r} is a box"
        masks[ch] = mask.tobytes()
    # Each tone mark is drawn: no two letters share a mask (ặ is not ă, not a).
    assert len(set(masks.values())) == len(letters)
