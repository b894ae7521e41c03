"""Reading labels back the way a phone does: rasterise, then decode with zbar.

zbar comes from Debian's libzbar0 (installed by scripts/setup-system). Without
it the tests that need it skip, naming it, unless TRACE_REQUIRE_TOOLS=1 (CI),
which makes them fail.
"""

from __future__ import annotations

import io
import os

import pypdfium2
import pytest
import resvg_py
from PIL import Image, ImageFilter

from trace.labels.drawing import MM_PER_INCH
from trace.labels.templates import Template

REQUIRE_TOOLS = os.environ.get("TRACE_REQUIRE_TOOLS") == "1"


def _zbar():  # type: ignore[no-untyped-def]
    try:
        from pyzbar import pyzbar
    except ImportError as exc:  # pyzbar raises ImportError when libzbar0 is missing
        message = f"the zbar QR decoder is not installed (libzbar0): {exc}"
        if REQUIRE_TOOLS:
            pytest.fail(message + " (TRACE_REQUIRE_TOOLS=1)")
        pytest.skip(message)
    return pyzbar


def decode(image: Image.Image) -> list[str]:
    """Every QR symbol zbar finds in ``image``, as text, in reading order."""
    pyzbar = _zbar()
    found = pyzbar.decode(image.convert("L"), symbols=[pyzbar.ZBarSymbol.QRCODE])
    return [item.data.decode() for item in sorted(found, key=lambda f: (f.rect.top, f.rect.left))]


def phone_view(image: Image.Image) -> Image.Image:
    """A stand-in for a phone camera's frame: a third of the print's resolution, a little blur.

    Then what a phone's decoder does before looking for symbols: it upsamples the
    frame (bicubic, 4×) and binarises it at mid-grey. zbar itself does neither, and
    without them it cannot read 203-dpi modules at 1.3 pixels each.
    """
    grey = image.convert("L")
    small = grey.resize((round(grey.width / 3), round(grey.height / 3)), Image.Resampling.LANCZOS)
    blurred = small.filter(ImageFilter.GaussianBlur(0.5))
    large = blurred.resize((blurred.width * 4, blurred.height * 4), Image.Resampling.BICUBIC)
    return large.point(lambda value: 255 if value > 128 else 0)


def png_image(data: bytes) -> Image.Image:
    """A PNG file as an image."""
    return Image.open(io.BytesIO(data))


def pdf_pages(data: bytes, dpi: float) -> list[Image.Image]:
    """Every page of a PDF rendered by PDFium at ``dpi``, in grey."""
    document = pypdfium2.PdfDocument(data)
    try:
        return [
            document[index].render(scale=dpi / 72, grayscale=True).to_pil()
            for index in range(len(document))
        ]
    finally:
        document.close()


def svg_image(data: bytes, dpi: float) -> Image.Image:
    """An SVG rendered by resvg at ``dpi``, on white, with no system font available."""
    png = resvg_py.svg_to_bytes(
        svg_string=data.decode(), dpi=dpi, background="#ffffff", skip_system_fonts=True
    )
    return Image.open(io.BytesIO(bytes(png)))


def decode_labels(image: Image.Image, template: Template, dpi: float) -> list[str]:
    """The symbol of each label position of a page, label by label, as a phone frames them.

    Positions without a label read as nothing. zbar looking at a whole A4 sheet of
    65 symbols at once now and then misses one; a phone never sees a whole sheet.
    """
    scale = dpi / MM_PER_INCH
    found = []
    for x, y in template.positions():
        box = (x, y, x + template.width, y + template.height)
        found.extend(decode(image.crop(tuple(round(v * scale) for v in box))))
    return found
