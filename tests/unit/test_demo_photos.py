"""The demo's product photos: accepted as the console's photos are, and small on a phone."""

from __future__ import annotations

import hashlib
from collections.abc import Callable

import pytest
from PIL import Image

from trace.demo_photos import MEDIA_TYPE, PICTURES, photo_bytes
from trace.domain.photos import MAX_SIDE, check_photo

# The target for the product photo at phone width (issue 15, done-point 6).
PHONE_PHOTO_BYTES = 30 * 1024


@pytest.mark.parametrize("name", sorted(PICTURES))
def test_each_demo_photo_passes_the_photo_checks_and_is_small(name: str) -> None:
    data = photo_bytes(PICTURES[name])
    photo = check_photo(data, MEDIA_TYPE)
    assert photo.sha256 == hashlib.sha256(data).hexdigest()
    assert max(photo.width, photo.height) <= MAX_SIDE and photo.width >= 480
    assert len(data) <= PHONE_PHOTO_BYTES


@pytest.mark.parametrize("name", sorted(PICTURES))
def test_each_demo_photo_is_drawn_the_same_every_time(name: str) -> None:
    # The demo keeps a photo by its SHA-256: the same bytes each run are kept once.
    assert photo_bytes(PICTURES[name]) == photo_bytes(PICTURES[name])


def _colourful(draw: Callable[[], Image.Image]) -> int:
    """How many distinct colours the picture has at an eighth of its size."""
    colours = draw().reduce(8).getcolors(maxcolors=1 << 16)
    return len(colours or ())


@pytest.mark.parametrize("name", sorted(PICTURES))
def test_each_demo_photo_is_a_picture_not_a_blank(name: str) -> None:
    assert _colourful(PICTURES[name]) > 50
