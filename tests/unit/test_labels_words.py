"""Labels never break a word: every province and the longest communes, on every template.

The lines are read back from the layout step, the text marks the PNG, SVG and PDF writers
draw, and compared with the words of the label's text as trace/labels/content.py writes
it: each printed word must be a whole word of that text, in its order, and none left out.
"""

from __future__ import annotations

import dataclasses
import re

import pytest

from tests.labels.samples import PADDY, POMELO, lot_label
from trace.domain.agency import AgencyKind
from trace.domain.places import commune_name, communes, province_name, provinces
from trace.explain import failure_text
from trace.labels.content import LabelFacts, text_lines
from trace.labels.drawing import Label, QrMark, TextMark
from trace.labels.errors import LabelDoesNotFit
from trace.labels.facts import producer_line
from trace.labels.fonts import face
from trace.labels.layout import MAX_TEXT_PT, min_text_size, wrap
from trace.labels.templates import TEMPLATES, Template
from trace.store.agencies import Agency

ALL = list(TEMPLATES.values())
SPACES = re.compile("[ \u00a0]+")
# The label's name for the origin, in each language: it keeps its value's first word.
ORIGIN = {"vi": "xứ:", "en": "Origin:"}


def household(commune: str, province: str) -> Agency:
    """A household producer, which a label names by its commune and province only."""
    return Agency("a", "Nguyễn Văn A", AgencyKind.PRODUCER, True, province, commune)


def longest_communes(count: int) -> list[tuple[str, str]]:
    """The ``count`` communes whose names are widest in print, with their provinces' codes."""
    found = [(c.code, p.code) for p in provinces() for c in communes(p.code) or ()]
    found.sort(key=lambda pair: (-face().width(commune_name(pair[0]), 5), pair[0]))
    return found[:count]


def printed_lines(label: Label, facts: LabelFacts) -> list[TextMark]:
    """The text column's lines as laid out: not the code under the symbol, nor "OCOP"."""
    qr = next(m for m in label.marks if isinstance(m, QrMark))
    return [
        m
        for m in label.marks
        if isinstance(m, TextMark)
        and m.x >= qr.x + qr.size
        and not (facts.ocop_stars and m.text == "OCOP")
    ]


def written_words(facts: LabelFacts, lang: str) -> list[str]:
    """The words of the label's text, as content.text_lines writes it, in order."""
    text = " ".join(face().clean(line.text) for line in text_lines(facts, lang))
    return SPACES.split(text)


def assert_no_word_broken(template: Template, facts: LabelFacts, lang: str) -> None:
    label = lot_label(template, facts, lang)
    lines = printed_lines(label, facts)
    column = template.width - template.padding - lines[0].x
    words = written_words(facts, lang)
    whole = set(words)
    printed: list[str] = []
    for line in lines:
        assert face(line.bold).width(line.text, line.size) <= column + 1e-6, line.text
        pieces = SPACES.split(line.text)
        for piece in pieces:
            assert piece in whole, f"{piece!r} of {line.text!r} is not a whole word"
        # The origin's name is never the last word of a line: its value's first word follows.
        assert pieces[-1] != ORIGIN[lang], line.text
        printed += pieces
    # Every word, in order; only a separator dot may fall away at a line's end.
    assert [w for w in printed if w != "·"] == [w for w in words if w != "·"]


@pytest.mark.parametrize("template", ALL, ids=lambda t: t.name)
@pytest.mark.parametrize("lang", ["vi", "en"])
def test_every_province_as_origin_keeps_every_word_whole(template: Template, lang: str) -> None:
    assert len(provinces()) == 34
    for province in provinces():
        for facts in (POMELO, PADDY):
            origin = dataclasses.replace(facts, origin=province_name(province.code))
            assert_no_word_broken(template, origin, lang)


@pytest.mark.parametrize("template", ALL, ids=lambda t: t.name)
def test_the_longest_communes_of_a_household_keep_every_word_whole(template: Template) -> None:
    for commune, province in longest_communes(20):
        facts = dataclasses.replace(
            PADDY,
            producer=producer_line(household(commune, province)),
            origin=province_name(province),
        )
        assert_no_word_broken(template, facts, "vi")


def test_thai_nguyen_breaks_before_nguyen_not_inside_it() -> None:
    # The label of issue 15: "Thái Nguyê" / "n" on roll-50x30-203.
    facts = dataclasses.replace(PADDY, origin="Thái Nguyên")
    label = lot_label(TEMPLATES["roll-50x30-203"], facts)
    texts = [SPACES.sub(" ", m.text) for m in printed_lines(label, facts)]
    origin = next(n for n, text in enumerate(texts) if text.startswith("Xuất xứ:"))
    assert texts[origin : origin + 2] in (["Xuất xứ: Thái", "Nguyên"], ["Xuất xứ: Thái Nguyên"])


def test_a_line_breaks_at_spaces_and_a_word_wider_than_the_line_stays_whole() -> None:
    text = "Hợp tác xã Nông nghiệp Dịch vụ Tổng hợp Sản xuất và Tiêu thụ Bưởi Diễn Phú Thượng"
    lines = wrap(text, 6, False, 20.0)
    assert len(lines) > 1
    assert " ".join(lines) == text
    assert all(face().width(line, 6) <= 20.0 for line in lines)
    long_word = "Bưởi" * 30
    assert wrap(f"Bưởi {long_word} Diễn", 6, True, 15.0) == ["Bưởi", long_word, "Diễn"]


def test_words_joined_by_no_break_spaces_part_only_when_asked() -> None:
    text = "Lô:\u00a0HTX-BUOI-2026-09-001"
    width = face().width("HTX-BUOI-2026-09-001", 5) + 0.1
    assert wrap(text, 5, False, width) == [text]
    assert wrap(text, 5, False, width, bound=False) == ["Lô:", "HTX-BUOI-2026-09-001"]


def test_a_long_lot_parts_from_its_name_rather_than_being_refused() -> None:
    # "Lô: HTX-BUOI-2026-09-01" is wider than roll-40x25-203's column at 5 pt; the lot alone
    # is not.
    facts = dataclasses.replace(POMELO, lot="HTX-BUOI-2026-09-01")
    label = lot_label(TEMPLATES["roll-40x25-203"], facts)
    lines = printed_lines(label, facts)
    texts = [m.text for m in lines]
    lot = texts.index("HTX-BUOI-2026-09-01")
    assert texts[lot - 1] == "Lô:" and lines[lot].size == min_text_size(TEMPLATES["roll-40x25-203"])


def test_a_word_too_wide_at_the_largest_size_is_set_smaller_whole() -> None:
    word = "Bưởi" * 6
    facts = dataclasses.replace(POMELO, product=word)
    template = TEMPLATES["roll-50x30-203"]
    assert face(True).width(word, MAX_TEXT_PT) > template.width / 2
    label = lot_label(template, facts)
    line = next(m for m in printed_lines(label, facts) if m.text == word)
    assert min_text_size(template) <= line.size < MAX_TEXT_PT


@pytest.mark.parametrize(
    ("field", "change", "word"),
    [
        ("product", {"product": "Bưởi " + "Diễn" * 12}, "Diễn" * 12),
        ("producer", {"producer": "HTX " + "PhúThượng" * 5}, "PhúThượng" * 5),
        ("lot", {"lot": "BUOIDIENPHUTHUONG-09"}, "BUOIDIENPHUTHUONG-09"),
    ],
)
def test_a_word_wider_than_a_line_at_the_minimum_is_refused_naming_it(
    field: str, change: dict[str, str], word: str
) -> None:
    facts = dataclasses.replace(POMELO, **change)
    template = TEMPLATES["roll-40x25-203"]
    with pytest.raises(LabelDoesNotFit) as caught:
        lot_label(template, facts)
    params = caught.value.params
    assert (params["what"], params["reason"], params["field"]) == ("text", "word", field)
    assert (params["value"], params["template"], params["minimum"]) == (word, template.name, "5")
    english, vietnamese = failure_text(caught.value, "en"), failure_text(caught.value, "vi")
    assert english != vietnamese
    for text in (english, vietnamese):
        assert word in text and "roll-40x25-203" in text and "a4-3x8" in text
    assert "never breaks a word" in english and "không bao giờ" in vietnamese
    # The larger template the refusal names takes it, the word whole on one line.
    label = lot_label(TEMPLATES["a4-3x8"], facts)
    assert any(word in SPACES.split(m.text) for m in printed_lines(label, facts))
