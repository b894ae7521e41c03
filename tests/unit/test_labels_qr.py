"""The fast mask choice makes exactly the symbol the qrcode library makes."""

from __future__ import annotations

import random
import string

import pytest
import qrcode
from qrcode.constants import ERROR_CORRECT_M

from trace.labels.qr import encode

ALPHABETS = [
    string.digits,
    string.ascii_uppercase + string.digits + " $%*+-./:",
    string.printable.strip(),
    "Bưởi Diễn Phú Thượng ặễộởữỹđ",
]


def library(text: str) -> tuple[int, tuple[bytes, ...]]:
    code = qrcode.QRCode(error_correction=ERROR_CORRECT_M, border=0)
    code.add_data(text)
    code.make(fit=True)
    return int(code.version), tuple(bytes(row) for row in code.modules)


@pytest.mark.parametrize("seed", range(4))
def test_same_version_mask_and_modules_as_the_library(seed: int) -> None:
    draw = random.Random(seed)
    versions = set()
    for _ in range(150):
        # Short URLs mostly, and some long texts for versions past 7 (version information).
        length = draw.choice([draw.randint(1, 120), draw.randint(120, 700)])
        alphabet = draw.choice(ALPHABETS)
        text = "".join(draw.choice(alphabet) for _ in range(length))
        symbol = encode(text)
        assert (symbol.version, symbol.rows) == library(text), text
        versions.add(symbol.version)
    assert max(versions) >= 10


def test_serial_urls_match_the_library() -> None:
    draw = random.Random(2026)
    for _ in range(300):
        serial = "".join(draw.choice("0123456789ABCDEFGHJKMNPQRSTVWXYZ") for _ in range(14))
        url = f"HTTPS://TRACE.EXAMPLE.VN/01/08936047000128/10/BD-2026-09/21/{serial}"
        symbol = encode(url)
        assert (symbol.version, symbol.rows) == library(url)
