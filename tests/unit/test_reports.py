"""A shopper's report form checked field by field, and their photo drawn again without the
place, phone and time a camera writes into it."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from trace.domain.report_photo import MAX_BYTES, MAX_SIDE, clean_photo
from trace.domain.reports import (
    MAX_CONTACT,
    MAX_TEXT,
    ReportInvalid,
    ReportProblem,
    check_report,
    is_phone_number,
)
from trace.translation import say

GPS_IFD, MAKE, MODEL, ORIENTATION = 0x8825, 0x010F, 0x0110, 0x0112


def camera_photo(
    size: tuple[int, int] = (2000, 1500), *, orientation: int = 1, fmt: str = "JPEG"
) -> bytes:
    """A photo as a phone's camera writes it: its GPS position, make, model, orientation."""
    image = Image.new("RGB", size, (200, 40, 40))
    image.paste((30, 30, 220), (0, 0, size[0] // 4, size[1]))  # a blue band on the left
    exif = Image.Exif()
    exif[MAKE], exif[MODEL], exif[ORIENTATION] = "Acme", "Phone 7", orientation
    exif[GPS_IFD] = {1: "N", 2: (21.0, 1.0, 30.0), 3: "E", 4: (105.0, 51.0, 0.0)}
    out = io.BytesIO()
    image.save(out, fmt, exif=exif, comment=b"owner: Nguyen Van A" if fmt == "JPEG" else None)
    return out.getvalue()


def fields_of(error: ReportInvalid) -> list[str]:
    return [problem.path for problem in error.problems]


def test_a_filled_form_gives_its_problem_words_and_contact_tidied() -> None:
    draft = check_report("spoiled", "  Bưởi bị thối ruột\r\nmua ở chợ Hôm   \n", " 0912  345 678 ")
    assert draft.problem is ReportProblem.SPOILED
    assert draft.text == "Bưởi bị thối ruột\nmua ở chợ Hôm"
    assert draft.contact == "0912 345 678"
    assert check_report("other", "Hỏi thêm", "").contact is None


def test_every_mistake_of_the_form_is_named_with_its_field() -> None:
    with pytest.raises(ReportInvalid) as caught:
        check_report("tasty", "\u0000 \n ", "call me")
    assert fields_of(caught.value) == ["problem", "text", "contact"]
    worded = [say(p.words, "vi", **p.params) for p in caught.value.problems]
    assert worded[0] == "Hãy chọn sản phẩm có vấn đề gì."
    assert str(MAX_TEXT) in worded[1] and "0912 345 678" in worded[2]


def test_the_words_and_the_contact_are_bounded() -> None:
    with pytest.raises(ReportInvalid) as caught:
        check_report("other", "x" * (MAX_TEXT + 1), "a@b.vn" + "1" * MAX_CONTACT)
    assert fields_of(caught.value) == ["text", "contact"]
    assert caught.value.problems[0].params == {"limit": MAX_TEXT, "count": MAX_TEXT + 1}
    assert check_report("other", "x" * MAX_TEXT, "").text == "x" * MAX_TEXT


@pytest.mark.parametrize(
    ("contact", "readable"),
    [
        ("0912 345 678", True),
        ("+84 912-345-678", True),
        ("(024) 3826 4567", True),
        ("ten.ho@example.vn", True),
        ("1234567", False),  # too few digits for a phone number
        ("0912 345 678 9012 3456", False),  # more than E.164's 15 digits
        ("ten@example", False),
        ("gọi cho tôi", False),
    ],
)
def test_a_contact_is_a_phone_number_or_an_email_address(contact: str, readable: bool) -> None:
    if readable:
        assert check_report("other", "x", contact).contact == contact
    else:
        with pytest.raises(ReportInvalid):
            check_report("other", "x", contact)
    assert is_phone_number("0912345678") and not is_phone_number("ten@example.vn")


def test_the_photo_is_drawn_again_without_gps_camera_or_comment_and_made_smaller() -> None:
    sent = camera_photo()
    assert Image.open(io.BytesIO(sent)).getexif().get_ifd(GPS_IFD)  # the test's premise
    clean = clean_photo(sent)
    kept = Image.open(io.BytesIO(clean.data))
    assert clean.media_type == "image/jpeg" and kept.format == "JPEG"
    assert (clean.width, clean.height) == kept.size == (MAX_SIDE, 960)
    assert not kept.getexif() and "comment" not in kept.info and "icc_profile" not in kept.info
    assert b"Acme" not in clean.data and b"Exif" not in clean.data and b"Nguyen" not in clean.data


def test_a_photo_taken_sideways_is_turned_upright_before_its_orientation_is_dropped() -> None:
    # EXIF orientation 6: the camera's pixels must be turned 90° clockwise to be seen.
    clean = clean_photo(camera_photo((800, 600), orientation=6))
    kept = Image.open(io.BytesIO(clean.data)).convert("RGB")
    assert kept.size == (600, 800)
    red, _, blue = kept.getpixel((300, 50))  # the band on the left is now on top
    assert blue > 150 and red < 100


def test_a_png_or_webp_becomes_a_jpeg_and_transparency_lies_on_white() -> None:
    image = Image.new("RGBA", (200, 100), (0, 0, 0, 0))
    out = io.BytesIO()
    image.save(out, "PNG")
    clean = clean_photo(out.getvalue())
    assert Image.open(io.BytesIO(clean.data)).convert("RGB").getpixel((10, 10)) >= (250, 250, 250)
    webp = io.BytesIO()
    Image.new("RGB", (300, 200), (0, 128, 0)).save(webp, "WEBP")
    assert clean_photo(webp.getvalue()).media_type == "image/jpeg"


def test_what_is_not_a_photo_or_too_large_is_refused_with_what_to_do() -> None:
    for data, words in [
        (b"%PDF-1.7 not a photo", "JPEG, PNG or WebP"),
        (camera_photo()[:2000], "JPEG, PNG or WebP"),  # cut short
        (b"\xff\xd8\xff" + b"\x00" * MAX_BYTES, "at most 8 MB"),
    ]:
        with pytest.raises(ReportInvalid) as caught:
            clean_photo(data)
        [problem] = caught.value.problems
        assert problem.path == "photo"
        assert words in say(problem.words, "en", **problem.params)


@pytest.mark.parametrize("side", [8_000, 14_000])
def test_a_photo_of_too_many_pixels_is_refused_before_it_is_decoded(side: int) -> None:
    # A small file that claims side × side pixels (a decompression bomb's trick): above our
    # bound (64 million), and above Pillow's own (196 million).
    out = io.BytesIO()
    Image.new("1", (side, side)).save(out, "PNG")
    assert len(out.getvalue()) < 200_000
    with pytest.raises(ReportInvalid) as caught:
        clean_photo(out.getvalue())
    [problem] = caught.value.problems
    assert problem.path == "photo" and problem.params == {"limit": 50}
    assert "more than 50 million pixels" in say(problem.words, "en", **problem.params)
