"""Folding Vietnamese text for search: "Bưởi Diễn", typed as NFC or NFD, and "buoi dien" match.

Search compares text as people type it on any keyboard, with or without diacritics. Unicode
compatibility decomposition (NFKD, UAX #15) splits each letter from its marks ("ễ" becomes
"e", circumflex, tilde), whichever normalisation the text arrived in; the combining marks are
dropped; "đ" and "Đ", letters of their own that do not decompose, become "d"; and case is
folded (Unicode default case folding). So one folded string stands for every way of typing
a name.
"""

from __future__ import annotations

import re
import unicodedata

# Vietnamese "đ" (U+0111) and "Đ" (U+0110) are not "d" with a mark: NFKD leaves them whole.
_STROKED_D = str.maketrans({"đ": "d", "Đ": "d"})
_SEPARATORS = re.compile(r"[\W_]+")


def fold(text: str) -> str:
    """``text`` without diacritics, in folded case, its words separated by single spaces."""
    # Marks go before case folding (a compatibility form may decompose to a capital) and
    # again after it (folding "İ" gives "i" with a combining dot).
    folded = _strip_marks(_strip_marks(text).casefold().translate(_STROKED_D))
    return " ".join(_SEPARATORS.split(folded)).strip()


def _strip_marks(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def words(text: str) -> list[str]:
    """The distinct words of ``fold(text)``, in the order they first appear."""
    return list(dict.fromkeys(word for word in fold(text).split(" ") if word))
