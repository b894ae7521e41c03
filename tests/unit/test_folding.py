"""Folding for search: every way of typing a Vietnamese name folds to the same words."""

from __future__ import annotations

import unicodedata

import pytest

from trace.domain.folding import fold, words


@pytest.mark.parametrize("form", ["NFC", "NFD", "NFKC", "NFKD"])
def test_every_normalisation_of_a_name_folds_alike(form: str) -> None:
    assert fold(unicodedata.normalize(form, "Bưởi Diễn")) == "buoi dien"


def test_text_typed_without_diacritics_folds_to_itself() -> None:
    assert fold("buoi dien") == fold("Bưởi Diễn") == fold("BƯỞI DIỄN") == "buoi dien"


def test_stroked_d_folds_to_d_in_both_cases() -> None:
    assert fold("Đặc sản đồng bằng") == "dac san dong bang"
    assert fold("ĐĐđđ") == "dddd"


def test_every_vietnamese_vowel_loses_its_marks() -> None:
    vowels = "aàảãáạăằẳẵắặâầẩẫấậeèẻẽéẹêềểễếệiìỉĩíịoòỏõóọôồổỗốộơờởỡớợuùủũúụưừửữứựyỳỷỹýỵ"
    folded = fold(vowels + vowels.upper())
    assert set(folded) == set("aeiouy")


def test_punctuation_and_spacing_become_single_spaces() -> None:
    assert fold("  Gạo ST25 — thơm,dẻo!! ") == "gao st25 thom deo"
    assert fold("Chè_Thái\tNguyên\n") == "che thai nguyen"
    assert fold("—") == ""


def test_compatibility_forms_fold_to_their_plain_letters() -> None:
    assert fold("ﬁ") == "fi"  # the fi ligature
    assert fold("Ｇạｏ") == "gao"  # full-width letters
    assert fold("İ") == "i"  # whose case folding adds a combining dot


def test_words_are_distinct_and_in_order() -> None:
    assert words("Bưởi Diễn, bưởi diễn Phú Thượng") == ["buoi", "dien", "phu", "thuong"]
    assert words(" , ") == []
