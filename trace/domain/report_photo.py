"""A shopper's photo, drawn again without what a phone writes into it.

A phone's camera writes the place the photo was taken (EXIF GPS), the phone's make and
serial, the time and sometimes the owner's name into the file. A shopper who sends a photo
of a spoiled product means to send the picture, not that. So the service does not keep the
file it was sent: it decodes the pixels (Pillow), turns them upright as the EXIF orientation
says (CIPA DC-008, tag 0x0112), makes the long side at most :data:`MAX_SIDE` pixels, and
encodes a new JPEG (ITU-T T.81) from the pixels alone, with no EXIF, XMP, IPTC, ICC profile
or comment. Unlike the producers' photos (trace/domain/photos.py), nobody signs this one, so
nothing forbids drawing it again.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass
from types import MappingProxyType

from PIL import Image, ImageOps, UnidentifiedImageError

from trace.domain.errors import FieldProblem
from trace.domain.reports import ReportInvalid
from trace.domain.texts import N_

MAX_BYTES = 8 * 1024 * 1024
# A 50-megapixel camera's photo: more than a phone's, far less than a decompression bomb.
MAX_PIXELS = 50_000_000
MAX_SIDE = 1280
QUALITY = 80
MEDIA_TYPE = "image/jpeg"
ACCEPTED = MappingProxyType({"image/jpeg": "JPEG", "image/png": "PNG", "image/webp": "WEBP"})

NOT_A_PHOTO = N_(
    "This file cannot be read as a photo. Choose a JPEG, PNG or WebP photo, or send the "
    "report without one."
)
TOO_MANY_BYTES = N_(
    "The photo is {size} MB; it may be at most {limit} MB. Choose a smaller photo, or send "
    "the report without one."
)
TOO_MANY_PIXELS = N_(
    "The photo has more than {limit} million pixels. Choose a smaller photo, or send the "
    "report without one."
)


@dataclass(frozen=True, slots=True)
class CleanPhoto:
    """A photo drawn again from its pixels alone: JPEG bytes and their size in pixels."""

    data: bytes
    media_type: str
    width: int
    height: int


def clean_photo(data: bytes) -> CleanPhoto:
    """The pixels of the JPEG, PNG or WebP photo ``data``, upright, at most :data:`MAX_SIDE`
    pixels long, as a new JPEG holding nothing else.

    Raises :class:`ReportInvalid` naming the field ``photo`` and what to do.
    """
    if len(data) > MAX_BYTES:
        megabytes = f"{len(data) / 1024 / 1024:.1f}"
        raise _refused(TOO_MANY_BYTES, size=megabytes, limit=MAX_BYTES // 1024 // 1024)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=list(ACCEPTED.values())) as image:
                width, height = image.size
                if width * height > MAX_PIXELS:
                    raise _refused(TOO_MANY_PIXELS, limit=MAX_PIXELS // 1_000_000)
                # A JPEG is decoded at the smallest scale at least MAX_SIDE long: faster.
                image.draft("RGB", (MAX_SIDE, MAX_SIDE))
                upright = ImageOps.exif_transpose(image)
                pixels = _flattened(upright)
    except ReportInvalid:
        raise
    except (Image.DecompressionBombWarning, Image.DecompressionBombError) as exc:
        # Pillow's own bound (about 89 million pixels) is met before ours is looked at.
        raise _refused(TOO_MANY_PIXELS, limit=MAX_PIXELS // 1_000_000) from exc
    except (
        OSError,
        SyntaxError,
        ValueError,
        UnidentifiedImageError,
        Warning,
    ) as exc:
        raise _refused(NOT_A_PHOTO) from exc
    pixels.thumbnail((MAX_SIDE, MAX_SIDE), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    # Only the pixels: Pillow writes EXIF, ICC or a comment only when it is given them.
    pixels.save(out, format="JPEG", quality=QUALITY, optimize=True, progressive=True)
    return CleanPhoto(out.getvalue(), MEDIA_TYPE, pixels.width, pixels.height)


def _flattened(image: Image.Image) -> Image.Image:
    """``image`` as plain RGB pixels, transparency laid on white; a new image either way,
    so that nothing of the file it came from (its ``info``) is carried along."""
    if image.mode in ("RGBA", "LA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        ground = Image.new("RGB", rgba.size, (255, 255, 255))
        ground.paste(rgba, mask=rgba.getchannel("A"))
        return ground
    plain = Image.new("RGB", image.size)
    plain.paste(image.convert("RGB"))
    return plain


def _refused(words: str, **params: object) -> ReportInvalid:
    refused = ReportInvalid("photo refused", reason="photo")
    refused.problems = (FieldProblem("photo", words, params),)
    return refused
