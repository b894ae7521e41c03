"""Smaller copies of a photo for phones: the widths and formats a page offers in ``srcset``.

A photo is kept as it was signed (:mod:`trace.domain.photos`): up to 1,280 pixels on its
long side, in the format the phone sent. A shopper's phone shows it a few hundred CSS pixels
wide, so the page offers copies made from it (HTML Living Standard §4.8.4.3, "srcset" and
"sizes"; the browser picks the smallest that covers the width times the screen's pixel
ratio), in AVIF and WebP where the browser takes them (``<picture>`` with typed sources),
the signed original being the fallback every browser shows.

A copy is not what was signed: it is named by the original's SHA-256, its width and its
format, and the page links the original for anyone who checks the hash. Making one is
deterministic for a given Pillow, so its bytes and ETag stay put between workers.
"""

from __future__ import annotations

import io
from types import MappingProxyType

from PIL import Image

# The widths offered: a phone's column at 1×, 2× and 3×, and a small one for lists.
WIDTHS = (240, 480, 720, 960)
# Format → (media type, Pillow's encoder options), best first: the order of the <source>s.
# The qualities give about the same look (a photo at phone width, judged by eye); AVIF's
# speed 6 keeps a 960-pixel copy under a second of CPU.
FORMATS = MappingProxyType(
    {
        "avif": ("image/avif", {"quality": 50, "speed": 6}),
        "webp": ("image/webp", {"quality": 70, "method": 6}),
    }
)


def copy_path(sha256: str, width: int, fmt: str) -> str:
    """Where the copy of photo ``sha256``, ``width`` pixels wide in ``fmt``, is served."""
    return f"/photos/{sha256}/{width}.{fmt}"


def offered_widths(original_width: int) -> tuple[int, ...]:
    """The copy widths smaller than the original (a copy is never larger than its source)."""
    return tuple(width for width in WIDTHS if width < original_width)


def make_copy(data: bytes, width: int, fmt: str) -> bytes:
    """The photo ``data`` scaled to ``width`` pixels wide, encoded as ``fmt``.

    The aspect ratio is kept, and transparency where the photo has it. Raises
    :class:`ValueError` for a width or format not offered, or not smaller than the photo.
    """
    if width not in WIDTHS or fmt not in FORMATS:
        raise ValueError(f"no copy {width} wide as {fmt}")
    with Image.open(io.BytesIO(data)) as image:
        if image.width <= width:
            raise ValueError(f"the photo is only {image.width} pixels wide")
        height = max(1, round(image.height * width / image.width))
        clear = image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info
        scaled = image.convert("RGBA" if clear else "RGB").resize(
            (width, height), Image.Resampling.LANCZOS
        )
    out = io.BytesIO()
    scaled.save(out, format=fmt.upper(), **FORMATS[fmt][1])
    return out.getvalue()
