"""A photo a signed statement names by its SHA-256: checked as sent, never re-encoded.

The producer's phone resizes the photo and removes its metadata before it signs the
statement that names it, so the hash is the phone's and the photo is covered by the
signature. The service therefore only reads the bytes, and refuses a photo that is not
as the console prepares it:

- it decodes whole (Pillow) and is of the format its media type says;
- its long side is at most :data:`MAX_SIDE` pixels;
- it holds no metadata. Every block of the file is walked, by its format's structure:

  - **JPEG** (ITU-T T.81 Annex B; JFIF, ECMA TR/98): segments up to EOI, the entropy-coded
    data of each scan skipped (a 0xFF byte there is followed by 0x00 or a restart marker).
    Allowed: the coding segments, APP0 ``JFIF``, and APP2 ``ICC_PROFILE`` (the colours, in
    one or more segments). Refused: APP1 (EXIF, XMP), APP13 (IPTC, Photoshop), every other
    APPn (MPF, Adobe, vendors' blocks), COM, and anything after EOI.
  - **PNG** (ISO/IEC 15948, W3C PNG Third Edition §5): chunks up to IEND. Allowed: the
    critical chunks and those that say how to show the pixels (colour space, gamma,
    transparency, background, pixel size). Refused: eXIf, tEXt, iTXt, zTXt, tIME, every
    other chunk (a vendor's or an animation's), and anything after IEND.
  - **WebP** (RFC 9649, the RIFF container): chunks of the RIFF ``WEBP`` form. Allowed:
    VP8, VP8L, VP8X, ALPH, ICCP. Refused: EXIF, XMP, ANIM/ANMF (an animation), every other
    chunk, and bytes outside the RIFF size.

A refusal is a :class:`PhotoRefused` whose ``reason`` says which check failed, in words that
say what to do.
"""

from __future__ import annotations

import hashlib
import io
import struct
import warnings
from dataclasses import dataclass
from types import MappingProxyType

from PIL import Image, UnidentifiedImageError

from trace.domain.errors import DomainError
from trace.domain.texts import N_

MAX_SIDE = 1280
MAX_BYTES = 2 * 1024 * 1024

# The media types a photo may be sent as, and the Pillow format of each.
FORMATS = MappingProxyType({"image/jpeg": "JPEG", "image/png": "PNG", "image/webp": "WEBP"})


class PhotoRefused(DomainError):
    """A photo is not as the console prepares it (``reason`` names the check); nothing is kept."""

    code = "photo_refused"
    words = N_("The photo is refused: {detail}")
    variants = MappingProxyType(
        {
            "not_an_image": N_(
                "The photo cannot be read as a {format} image: it is damaged or not an "
                "image. Take or choose the photo again in the console and resend it."
            ),
            "wrong_format": N_(
                "The photo is a {found} image but was sent as {value}. Send it with the "
                "Content-Type of its format: image/jpeg, image/png or image/webp."
            ),
            "too_large": N_(
                "The photo is {width} × {height} pixels; its long side may be at most {limit} "
                "pixels. The console makes it smaller; send the photo as the console prepares it."
            ),
            "animated": N_(
                "The photo is animated ({block}). Send one still photo, as the console prepares it."
            ),
            "exif": N_(
                "The photo still holds its metadata (EXIF: GPS position, camera, time "
                "taken). The console removes it; send the photo as the console prepares it."
            ),
            "xmp": N_(
                "The photo still holds its metadata (XMP: owner, editing history, sometimes "
                "the GPS position). The console removes it; send the photo as the console "
                "prepares it."
            ),
            "iptc": N_(
                "The photo still holds its metadata (IPTC: owner, caption, place). The "
                "console removes it; send the photo as the console prepares it."
            ),
            "comment": N_(
                "The photo holds a comment ({block}), which may name its owner or its "
                "camera. The console removes it; send the photo as the console prepares it."
            ),
            "text": N_(
                "The photo holds text ({block}: author, software, description). The console "
                "removes it; send the photo as the console prepares it."
            ),
            "time": N_(
                "The photo holds the time it was made ({block}). The console removes it; "
                "send the photo as the console prepares it."
            ),
            "other_block": N_(
                "The photo holds a block this service does not take ({block}), which may "
                "carry metadata. The console removes it; send the photo as the console "
                "prepares it."
            ),
            "trailing": N_(
                "The photo has {count} bytes after its end, which may hide metadata or "
                "another picture. The console removes them; send the photo as the console "
                "prepares it."
            ),
        }
    )


@dataclass(frozen=True, slots=True)
class Photo:
    """A photo that passed every check: its name (SHA-256, lower-case hex), type and size."""

    sha256: str
    media_type: str
    width: int
    height: int


def check_photo(data: bytes, media_type: str) -> Photo:
    """The photo ``data`` sent as ``media_type`` (one of :data:`FORMATS`), if it passes every
    check of this module; :class:`PhotoRefused` otherwise."""
    expected = FORMATS[media_type]
    found = _sniff(data)
    if found is None:
        raise _refused("not_an_image", format=expected)
    if found != expected:
        raise _refused("wrong_format", found=found, value=media_type)
    _BLOCK_WALKS[found](data)
    width, height = _decode(data, found)
    return Photo(hashlib.sha256(data).hexdigest(), media_type, width, height)


def _refused(reason: str, **params: object) -> PhotoRefused:
    return PhotoRefused(f"photo refused: {reason} {params}", reason=reason, **params)


def _sniff(data: bytes) -> str | None:
    """The format ``data`` begins as (its signature), else None."""
    if data.startswith(b"\xff\xd8\xff"):
        return "JPEG"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "PNG"
    if len(data) >= 12 and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "WEBP"
    return None


def _decode(data: bytes, expected: str) -> tuple[int, int]:
    """Width and height, after Pillow decoded every pixel; the size is checked first, from
    the header, so that a small file cannot make the decoder fill a huge picture."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=[expected]) as image:
                width, height = image.size
                if max(width, height) > MAX_SIDE:
                    raise _refused("too_large", width=width, height=height, limit=MAX_SIDE)
                frames = int(getattr(image, "n_frames", 1))
                if frames != 1:
                    raise _refused("animated", block=f"{frames} frames")
                image.load()
                if image.getexif():
                    raise _refused("exif")
    except PhotoRefused:
        raise
    except (
        OSError,
        SyntaxError,
        ValueError,
        UnidentifiedImageError,
        Image.DecompressionBombError,
        Warning,
    ) as exc:
        raise _refused("not_an_image", format=expected) from exc
    return width, height


def _printable(kind: bytes) -> str:
    """A chunk's four-character code as text: its letters, or its bytes in hex."""
    if all(0x20 <= byte < 0x7F for byte in kind):
        return kind.decode("ascii")
    return kind.hex()


# --- JPEG: ITU-T T.81 Annex B (markers and segments) ---

_SOI, _EOI, _SOS = 0xD8, 0xD9, 0xDA
_RESTARTS = range(0xD0, 0xD8)
# Frame headers (SOF0-SOF15 but for DHT, JPG and DAC), tables, restart interval, scan,
# number of lines, hierarchical progression and expansion: the picture itself.
_CODING = frozenset(range(0xC0, 0xD0)) | {0xDA, 0xDB, 0xDC, 0xDD, 0xDE, 0xDF}
_APP0, _APP1, _APP2, _APP13, _COM = 0xE0, 0xE1, 0xE2, 0xED, 0xFE


def _jpeg_blocks(data: bytes) -> None:
    at = 2  # after SOI
    end = len(data)
    while True:
        if at >= end or data[at] != 0xFF:
            raise _refused("not_an_image", format="JPEG")
        while at < end and data[at] == 0xFF:  # fill bytes (B.1.1.2)
            at += 1
        if at >= end:
            raise _refused("not_an_image", format="JPEG")
        marker = data[at]
        at += 1
        if marker == _EOI:
            break
        if marker in _RESTARTS or marker == _SOI:
            continue
        if at + 2 > end:
            raise _refused("not_an_image", format="JPEG")
        (length,) = struct.unpack_from(">H", data, at)
        segment = data[at + 2 : at + length]
        _jpeg_segment(marker, segment)
        at += length
        if marker == _SOS:
            at = _after_scan(data, at)
    if at != end:
        raise _refused("trailing", count=end - at)


def _jpeg_segment(marker: int, segment: bytes) -> None:
    if marker in _CODING:
        return
    block = f"JPEG APP{marker - _APP0}" if 0xE0 <= marker <= 0xEF else f"JPEG 0x{marker:02X}"
    if marker == _APP0 and segment.startswith(b"JFIF\x00"):
        return
    if marker == _APP2 and segment.startswith(b"ICC_PROFILE\x00"):
        return
    if marker == _APP1:
        raise _refused("xmp" if segment.startswith(b"http://ns.adobe.com/") else "exif")
    if marker == _APP13:
        raise _refused("iptc")
    if marker == _COM:
        raise _refused("comment", block="JPEG COM")
    raise _refused("other_block", block=block)


def _after_scan(data: bytes, at: int) -> int:
    """Where the marker after a scan's entropy-coded data begins (B.1.1.5)."""
    end = len(data)
    while True:
        at = data.find(b"\xff", at)
        if at < 0 or at + 1 >= end:
            raise _refused("not_an_image", format="JPEG")
        following = data[at + 1]
        if following == 0x00 or following in _RESTARTS:
            at += 2
            continue
        if following == 0xFF:  # a fill byte before the marker
            at += 1
            continue
        return at


# --- PNG: ISO/IEC 15948 (W3C PNG Third Edition §5.3, chunk layout) ---

_PNG_SHOWN = frozenset(
    {
        b"IHDR", b"PLTE", b"IDAT", b"IEND",
        b"cHRM", b"gAMA", b"iCCP", b"sBIT", b"sRGB", b"cICP", b"mDCV", b"cLLI",
        b"bKGD", b"hIST", b"tRNS", b"pHYs", b"sPLT",
    }
)  # fmt: skip
_PNG_REFUSED = MappingProxyType(
    {b"eXIf": "exif", b"tEXt": "text", b"iTXt": "text", b"zTXt": "text", b"tIME": "time"}
)
_PNG_ANIMATION = frozenset({b"acTL", b"fcTL", b"fdAT"})


def _png_blocks(data: bytes) -> None:
    at, end = 8, len(data)
    while True:
        if at + 12 > end:
            raise _refused("not_an_image", format="PNG")
        length, kind = struct.unpack_from(">I4s", data, at)
        at += 12 + length
        if at > end:
            raise _refused("not_an_image", format="PNG")
        name = _printable(kind)
        if kind in _PNG_REFUSED:
            reason = _PNG_REFUSED[kind]
            raise _refused(reason, **({} if reason == "exif" else {"block": f"PNG {name}"}))
        if kind in _PNG_ANIMATION:
            raise _refused("animated", block=f"PNG {name}")
        if kind not in _PNG_SHOWN:
            raise _refused("other_block", block=f"PNG {name}")
        if kind == b"IEND":
            break
    if at != end:
        raise _refused("trailing", count=end - at)


# --- WebP: RFC 9649 §2 (the RIFF container) ---

_WEBP_SHOWN = frozenset({b"VP8 ", b"VP8L", b"VP8X", b"ALPH", b"ICCP"})


def _webp_blocks(data: bytes) -> None:
    (size,) = struct.unpack_from("<I", data, 4)
    end = 8 + size
    if end > len(data):
        raise _refused("not_an_image", format="WEBP")
    at = 12
    while at < end:
        if at + 8 > end:
            raise _refused("not_an_image", format="WEBP")
        kind, length = struct.unpack_from("<4sI", data, at)
        at += 8 + length + (length & 1)  # chunks are padded to an even size
        name = _printable(kind).strip()
        if kind == b"EXIF":
            raise _refused("exif")
        if kind == b"XMP ":
            raise _refused("xmp")
        if kind in (b"ANIM", b"ANMF"):
            raise _refused("animated", block=f"WebP {name}")
        if kind not in _WEBP_SHOWN:
            raise _refused("other_block", block=f"WebP {name}")
    if at != end:
        raise _refused("not_an_image", format="WEBP")
    if end != len(data):
        raise _refused("trailing", count=len(data) - end)


_BLOCK_WALKS = MappingProxyType({"JPEG": _jpeg_blocks, "PNG": _png_blocks, "WEBP": _webp_blocks})
