"""The demo's product photos, drawn with Pillow when the demo is made.

A shopper's page leads with the product's photo (Circular 02/2024/TT-BKHCN lists the
product's image among what a consumer is shown), so every demo product has one: a pomelo,
a sack and a bowl of rice, ripe paddy, a bunch of choy sum. They are drawn, not copied from
anywhere, at twice their size and scaled down for smooth edges, then encoded as WebP
without metadata: small enough for a phone on a slow network, and accepted as the console's
photos are (trace/domain/photos.py). The same code draws the same bytes, so a photo is kept
once under its SHA-256 however often the demo runs.
"""

from __future__ import annotations

import io
import math
import random
from collections.abc import Callable, Sequence

from PIL import Image, ImageDraw, ImageFilter

WIDTH, HEIGHT = 640, 480
_SCALE = 2  # drawn at twice the size, then scaled down: smooth edges without antialiasing
_QUALITY = 78
MEDIA_TYPE = "image/webp"

Colour = tuple[int, int, int]
Point = tuple[float, float]


def _background(top: Colour, bottom: Colour) -> Image.Image:
    """A vertical gradient from ``top`` to ``bottom``."""
    column = Image.new("RGB", (1, 256))
    for y in range(256):
        column.putpixel((0, y), _mix(top, bottom, y / 255))
    return column.resize((WIDTH * _SCALE, HEIGHT * _SCALE), Image.Resampling.BICUBIC)


def _speckles(seed: int) -> random.Random:
    """Where a drawing's grains and speckles fall: the same every time, never a secret."""
    return random.Random(seed)  # noqa: S311 - a picture's scatter, not a key


def _mix(a: Colour, b: Colour, t: float) -> Colour:
    return (
        round(a[0] + (b[0] - a[0]) * t),
        round(a[1] + (b[1] - a[1]) * t),
        round(a[2] + (b[2] - a[2]) * t),
    )


def _shadow(image: Image.Image, box: Sequence[float], strength: int = 90) -> None:
    """A soft shadow on the ground under ``box``."""
    layer = Image.new("L", image.size, 0)
    ImageDraw.Draw(layer).ellipse(box, fill=strength)
    layer = layer.filter(ImageFilter.GaussianBlur(14 * _SCALE))
    image.paste((40, 30, 20), (0, 0), layer)


def _shaded_ellipse(image: Image.Image, box: Sequence[float], light: Colour, dark: Colour) -> None:
    """An ellipse lit from the upper left: ``light`` there, ``dark`` at the far edge."""
    left, top, right, bottom = (round(v) for v in box)
    size = (right - left, bottom - top)
    # Pillow's radial gradient is 0 at its centre and 255 at its edge: centred up and left
    # of the ellipse's centre, it is the light falling on a sphere.
    gradient = Image.radial_gradient("L").resize((size[0] * 2, size[1] * 2))
    gradient = gradient.crop(
        (round(size[0] * 0.7), round(size[1] * 0.68), round(size[0] * 1.7), round(size[1] * 1.68))
    )
    lit = Image.composite(Image.new("RGB", size, dark), Image.new("RGB", size, light), gradient)
    mask = Image.new("L", size, 0)
    ImageDraw.Draw(mask).ellipse((0, 0, size[0] - 1, size[1] - 1), fill=255)
    image.paste(lit, (left, top), mask)


def _leaf(
    draw: ImageDraw.ImageDraw,
    base: Point,
    length: float,
    angle: float,
    width: float,
    fill: Colour,
    vein: Colour,
    *,
    round_: float = 1.0,
) -> None:
    """A leaf from ``base``, ``length`` long, turned ``angle`` degrees from east; ``round_``
    under 1 makes it blunter (a cabbage leaf rather than a blade of grass)."""
    turn = math.radians(angle)
    cos, sin = math.cos(turn), math.sin(turn)
    steps = 24
    outline: list[Point] = []
    for side in (1, -1):
        for i in range(steps + 1):
            t = i / steps if side == 1 else 1 - i / steps
            along, across = (
                t * length,
                side * width * math.sin(math.pi * t) ** round_ * (1 - 0.3 * t),
            )
            outline.append(
                (base[0] + along * cos - across * sin, base[1] + along * sin + across * cos)
            )
    draw.polygon(outline, fill=fill)
    tip = (base[0] + length * 0.92 * cos, base[1] + length * 0.92 * sin)
    draw.line([base, tip], fill=vein, width=max(2, round(width / 9)))


def _s(*values: float) -> list[float]:
    """Coordinates of the 640 × 480 picture, on the canvas drawn at twice the size."""
    return [v * _SCALE for v in values]


def pomelo() -> Image.Image:
    """A Diễn pomelo with its leaves, and a half cut open to show its pale segments."""
    image = _background((250, 244, 222), (226, 214, 178))
    draw = ImageDraw.Draw(image)
    draw.rectangle(_s(0, 350, 640, 480), fill=(205, 170, 120))
    draw.rectangle(_s(0, 350, 640, 356), fill=(186, 150, 102))
    _shadow(image, _s(120, 330, 420, 385))
    _shaded_ellipse(image, _s(140, 105, 400, 360), (246, 224, 110), (176, 150, 40))
    _shaded_ellipse(image, _s(205, 78, 335, 190), (244, 222, 108), (196, 170, 56))
    rng = _speckles(15)
    for _ in range(260):  # the oil glands of the peel
        x, y = rng.uniform(160, 380), rng.uniform(120, 345)
        if ((x - 270) / 125) ** 2 + ((y - 232) / 123) ** 2 < 0.9:
            draw.ellipse(_s(x, y, x + 2.2, y + 2.2), fill=(214, 188, 70))
    draw.line(_s(270, 82, 276, 52), fill=(96, 72, 40), width=7 * _SCALE)
    _leaf(
        draw,
        (276 * _SCALE, 58 * _SCALE),
        150 * _SCALE,
        -20,
        36 * _SCALE,
        (62, 128, 58),
        (120, 170, 90),
    )
    _leaf(
        draw,
        (272 * _SCALE, 60 * _SCALE),
        130 * _SCALE,
        200,
        30 * _SCALE,
        (48, 108, 48),
        (104, 156, 80),
    )
    # The cut half, seen from above: rind, white pith, segments.
    _shadow(image, _s(360, 350, 600, 400))
    cx, cy, rx, ry = 482, 330, 112, 58
    draw.ellipse(_s(cx - rx, cy - ry + 14, cx + rx, cy + ry + 14), fill=(196, 168, 60))
    draw.ellipse(_s(cx - rx, cy - ry, cx + rx, cy + ry), fill=(232, 206, 96))
    draw.ellipse(_s(cx - rx + 9, cy - ry + 6, cx + rx - 9, cy + ry - 6), fill=(250, 246, 232))
    segments = 12
    for i in range(segments):
        start = 360 / segments * i + 2
        draw.pieslice(
            _s(cx - rx + 22, cy - ry + 14, cx + rx - 22, cy + ry - 14),
            start,
            start + 360 / segments - 4,
            fill=(248, 214, 196) if i % 2 else (244, 204, 184),
        )
    draw.ellipse(_s(cx - 9, cy - 5, cx + 9, cy + 5), fill=(250, 246, 232))
    return image


def rice() -> Image.Image:
    """A sack of milled rice and a bowl heaped with its grains."""
    image = _background((236, 242, 232), (212, 222, 204))
    draw = ImageDraw.Draw(image)
    draw.rectangle(_s(0, 370, 640, 480), fill=(150, 110, 72))
    draw.rectangle(_s(0, 370, 640, 376), fill=(128, 92, 58))
    _shadow(image, _s(90, 350, 380, 405))
    sack = [
        (110, 380),
        (96, 240),
        (120, 130),
        (160, 96),
        (300, 96),
        (336, 130),
        (360, 240),
        (346, 380),
    ]
    draw.polygon(_s(*[v for point in sack for v in point]), fill=(222, 196, 150))
    draw.polygon(
        _s(112, 380, 100, 240, 122, 136, 150, 110, 140, 250, 150, 380), fill=(204, 176, 128)
    )
    # The tied neck of the sack and its cord.
    draw.polygon(
        _s(170, 100, 150, 52, 200, 70, 230, 46, 262, 70, 312, 52, 290, 100), fill=(214, 186, 138)
    )
    draw.rectangle(_s(176, 92, 286, 106), fill=(150, 40, 36))
    # A green label band with an ear of rice.
    draw.rounded_rectangle(_s(140, 200, 318, 300), radius=14 * _SCALE, fill=(46, 112, 64))
    draw.line(_s(229, 286, 224, 220), fill=(244, 214, 110), width=3 * _SCALE)
    for i in range(6):
        ear_y = 226 + i * 9
        for side in (-1, 1):
            ear_x = 226 + side * 9
            draw.ellipse(_s(ear_x - 5, ear_y - 3, ear_x + 5, ear_y + 4), fill=(244, 214, 110))
    # The bowl and its heap of grains.
    _shadow(image, _s(370, 380, 600, 420))
    draw.ellipse(_s(390, 262, 590, 330), fill=(250, 250, 246))
    rng = _speckles(2506)
    for _ in range(420):
        x, y = rng.uniform(398, 582), rng.uniform(252, 318)
        if ((x - 490) / 96) ** 2 + ((y - 294) / 44) ** 2 < 1:
            turn = rng.uniform(0, math.pi)
            dx, dy = 5 * math.cos(turn), 2.4 * math.sin(turn)
            draw.line(_s(x - dx, y - dy, x + dx, y + dy), fill=(226, 224, 214), width=4 * _SCALE)
            draw.line(
                _s(x - dx * 0.7, y - dy * 0.7, x + dx * 0.5, y + dy * 0.5),
                fill=(255, 255, 252),
                width=2 * _SCALE,
            )
    draw.chord(_s(380, 230, 600, 410), 0, 180, fill=(40, 86, 150))
    draw.chord(_s(380, 230, 600, 410), 0, 180, outline=(28, 64, 118), width=3 * _SCALE)
    draw.line(_s(396, 344, 584, 344), fill=(236, 240, 246), width=4 * _SCALE)
    draw.rectangle(_s(460, 398, 520, 412), fill=(32, 72, 128))
    return image


def paddy() -> Image.Image:
    """Ripe ST25 paddy bending over its field, under a morning sky."""
    image = _background((150, 198, 236), (236, 236, 214))
    draw = ImageDraw.Draw(image)
    draw.ellipse(_s(500, 50, 570, 120), fill=(255, 238, 170))
    draw.rectangle(_s(0, 300, 640, 480), fill=(204, 174, 74))
    rng = _speckles(25)
    for row in range(6):  # the field behind: rows of ripe ears, smaller towards the horizon
        y = 300 + row * row * 4 + 6
        for x in range(-10, 650, 14 + row * 3):
            tint = _mix((222, 180, 70), (176, 140, 48), rng.uniform(0, 1))
            draw.ellipse(_s(x, y - 4 - row, x + 10 + row * 2, y + 2 + row), fill=tint)
    for stalk in range(6):
        foot = 50 + stalk * 108 + rng.uniform(-14, 14)
        _stalk(draw, rng, foot, 500, 300 + rng.uniform(-40, 20), 1 if stalk % 2 else -1)
    return image


def _stalk(
    draw: ImageDraw.ImageDraw, rng: random.Random, x: float, y: float, height: float, side: int
) -> None:
    """One rice stalk from (``x``, ``y``) up ``height``, its panicle bending to ``side``."""
    top = (x + side * 14, y - height)
    draw.line(_s(x, y, *top), fill=(138, 136, 58), width=5 * _SCALE)
    for turn in (-110, -70):
        _leaf(
            draw,
            (x * _SCALE, (y - 60) * _SCALE),
            (150 + rng.uniform(-20, 20)) * _SCALE,
            turn + side * 8,
            8 * _SCALE,
            (150, 156, 64),
            (128, 134, 52),
        )
    # The panicle droops from the top of the stem, heavy with grain.
    previous = top
    for i in range(1, 26):
        t = i / 25
        px = top[0] + side * 46 * math.sin(t * math.pi / 2)
        py = top[1] - 8 * t + 120 * t**1.6
        draw.line(_s(*previous, px, py), fill=(170, 138, 50), width=2 * _SCALE)
        previous = (px, py)
        for offset in (-1, 1):
            gx, gy = px + offset * 6 * (1 - t / 2), py + rng.uniform(-2, 2)
            draw.ellipse(
                _s(gx - 4, gy - 6, gx + 4, gy + 6), fill=(232, 186, 64), outline=(190, 142, 40)
            )


def choy_sum() -> Image.Image:
    """A bunch of choy sum (cải ngọt) tied with straw, on a chopping board."""
    image = _background((244, 240, 230), (226, 220, 204))
    draw = ImageDraw.Draw(image)
    board = _s(30, 250, 610, 450)
    draw.rounded_rectangle(board, radius=24 * _SCALE, fill=(200, 156, 100))
    draw.rounded_rectangle(board, radius=24 * _SCALE, outline=(168, 124, 78), width=3 * _SCALE)
    _shadow(image, _s(80, 330, 600, 420))
    rng = _speckles(102)
    base = (70, 350)
    for i in range(8):
        angle = -24 + i * 5 + rng.uniform(-2, 2)
        length = 470 + rng.uniform(-40, 30)
        turn = math.radians(angle)
        stem_end = (
            base[0] + length * 0.5 * math.cos(turn),
            base[1] + length * 0.5 * math.sin(turn),
        )
        draw.line(_s(*base, *stem_end), fill=(196, 228, 164), width=12 * _SCALE)
        leaf_at = (base[0] + length * 0.3 * math.cos(turn), base[1] + length * 0.3 * math.sin(turn))
        shade = rng.uniform(0, 1)
        _leaf(
            draw,
            (leaf_at[0] * _SCALE, leaf_at[1] * _SCALE),
            length * 0.7 * _SCALE,
            angle,
            (46 + rng.uniform(-6, 6)) * _SCALE,
            _mix((70, 146, 60), (42, 108, 42), shade),
            (176, 214, 146),
            round_=0.55,
        )
        if i % 3 == 1:  # a few yellow flower buds among the leaves
            tip = (base[0] + length * math.cos(turn), base[1] + length * math.sin(turn))
            for _ in range(5):
                fx, fy = tip[0] + rng.uniform(-12, 4), tip[1] + rng.uniform(-10, 10)
                draw.ellipse(_s(fx - 5, fy - 5, fx + 5, fy + 5), fill=(246, 210, 60))
    draw.polygon(_s(110, 330, 128, 326, 136, 398, 118, 402), fill=(214, 180, 96))
    return image


# What draws the photo of each demo product.
PICTURES: dict[str, Callable[[], Image.Image]] = {
    "pomelo": pomelo,
    "rice": rice,
    "paddy": paddy,
    "choy_sum": choy_sum,
}


def photo_bytes(draw: Callable[[], Image.Image]) -> bytes:
    """The picture ``draw`` makes, scaled to 640 × 480 and encoded as WebP, no metadata."""
    picture = draw().resize((WIDTH, HEIGHT), Image.Resampling.LANCZOS)
    sink = io.BytesIO()
    picture.save(sink, "WEBP", quality=_QUALITY, method=6)
    return sink.getvalue()
