"""GTINs, GS1 Digital Link paths and batch codes, as people and scanners meet them."""

from __future__ import annotations

import secrets
import string
from collections.abc import Iterator

import pytest
from hypothesis import given
from hypothesis import strategies as st

from trace.domain.errors import InvalidIdentifier
from trace.domain.identifiers import (
    BATCH_CODE_ALPHABET,
    BATCH_CODE_LENGTH,
    CHARACTER_SET_82,
    DigitalLink,
    gtin_check_digit,
    is_valid_gtin,
    new_batch_code,
    normalise_batch_code,
    parse_digital_link_path,
    validate_gtin,
)

# Vietnamese (GS1 prefix 893) GTIN-13s whose check digits were worked by hand:
# 893123456789 -> weighted sum 133 -> 7; 893500000001 -> 56 -> 4.
VN_GTIN = "8931234567897"
VN_GTIN14 = "0" + VN_GTIN


def reason_of(excinfo: pytest.ExceptionInfo[InvalidIdentifier]) -> object:
    return excinfo.value.params["reason"]


# --- GTIN ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("gtin", "as_gtin14"),
    [
        ("8931234567897", "08931234567897"),  # Vietnam, hand-computed
        ("8935000000014", "08935000000014"),  # Vietnam, hand-computed
        ("4006381333931", "04006381333931"),  # the common EAN-13 textbook example
        ("036000291452", "00036000291452"),  # the common UPC-A textbook example
        ("9501101531000", "09501101531000"),  # GS1 General Specifications example
        ("95012346", "00000095012346"),  # GS1 GTIN-8 example
        ("614141123452", "00614141123452"),  # GS1 Digital Link example GTIN-12
        ("09506000134352", "09506000134352"),  # GS1 Digital Link example GTIN-14
    ],
)
def test_published_and_vietnamese_gtins_are_valid_and_padded_to_14(
    gtin: str, as_gtin14: str
) -> None:
    assert validate_gtin(gtin) == as_gtin14
    assert is_valid_gtin(gtin)
    assert gtin_check_digit(gtin[:-1]) == int(gtin[-1])


def test_gtin_with_wrong_check_digit_is_rejected() -> None:
    with pytest.raises(InvalidIdentifier) as excinfo:
        validate_gtin("8931234567890")
    assert reason_of(excinfo) == "check_digit"
    assert excinfo.value.params["expected"] == 7
    assert not is_valid_gtin("4006381333932")


@pytest.mark.parametrize("gtin", ["", "1234567", "89312345678", "893123456789712", "0" * 20])
def test_gtin_of_unsupported_length_is_rejected(gtin: str) -> None:
    with pytest.raises(InvalidIdentifier) as excinfo:
        validate_gtin(gtin)
    assert reason_of(excinfo) == "length"
    assert not is_valid_gtin(gtin)


@pytest.mark.parametrize(
    "gtin",
    [
        "893123456789X",
        "893 23456789 ",
        "-893123456789",
        "８９３１２３４５６７８９７",  # full-width digits
        "٨٩٣١٢٣٤٥٦٧٨٩٧",  # Arabic-Indic digits: str.isdigit() says yes
    ],
)
def test_gtin_with_anything_but_ascii_digits_is_rejected(gtin: str) -> None:
    with pytest.raises(InvalidIdentifier) as excinfo:
        validate_gtin(gtin)
    assert reason_of(excinfo) == "digits"


@pytest.mark.parametrize("body", ["", "89312345678a", "²"])
def test_check_digit_of_non_digit_body_is_refused(body: str) -> None:
    with pytest.raises(InvalidIdentifier) as excinfo:
        gtin_check_digit(body)
    assert reason_of(excinfo) == "digits"


@given(st.text(alphabet="0123456789", min_size=13, max_size=13))
def test_any_single_digit_error_in_a_gtin_is_caught(body: str) -> None:
    gtin = body + str(gtin_check_digit(body))
    for position in range(len(gtin)):
        for digit in "0123456789":
            if digit != gtin[position]:
                assert not is_valid_gtin(gtin[:position] + digit + gtin[position + 1 :])


# --- GS1 Digital Link ---------------------------------------------------------


def test_digital_link_path_for_lot_abc_12() -> None:
    link = DigitalLink(gtin=VN_GTIN, lot="ABC-12")
    assert link.path() == "/01/08931234567897/10/ABC-12"
    assert parse_digital_link_path("/01/8931234567897/10/ABC-12") == link


def test_digital_link_path_with_serial_keeps_qualifier_order() -> None:
    link = DigitalLink(gtin=VN_GTIN14, lot="L1", serial="0001")
    assert link.path() == "/01/08931234567897/10/L1/21/0001"
    assert parse_digital_link_path(link.path()) == link


def test_reserved_characters_in_a_lot_are_percent_encoded_and_round_trip() -> None:
    link = DigitalLink(gtin=VN_GTIN, lot="LO-1/2", serial="A&B?(x)")
    assert link.path() == "/01/08931234567897/10/LO-1%2F2/21/A%26B%3F%28x%29"
    assert parse_digital_link_path(link.path()) == link


@pytest.mark.parametrize("gtin", ["95012346", "614141123452", "8931234567897", "08931234567897"])
def test_parsed_gtin_of_any_length_is_normalised_to_14_digits(gtin: str) -> None:
    link = parse_digital_link_path(f"/01/{gtin}/10/LOT1")
    assert link.gtin == gtin.zfill(14)
    assert link == DigitalLink(gtin=gtin.zfill(14), lot="LOT1")


def test_equivalent_percent_encodings_parse_to_the_same_lot() -> None:
    expected = DigitalLink(gtin=VN_GTIN, lot="A/B!")
    assert parse_digital_link_path("/01/8931234567897/10/A%2FB%21") == expected
    assert parse_digital_link_path("/01/8931234567897/10/A%2fB!") == expected
    assert parse_digital_link_path("/01/8931234567897/10/%41%2FB!") == expected


def test_vietnamese_lot_lo_1_2_is_rejected_when_built() -> None:
    with pytest.raises(InvalidIdentifier) as excinfo:
        DigitalLink(gtin=VN_GTIN, lot="LÔ 1/2")
    assert reason_of(excinfo) == "characters"
    assert excinfo.value.params["ai"] == "10"


def test_vietnamese_lot_lo_1_2_is_rejected_when_parsed() -> None:
    with pytest.raises(InvalidIdentifier) as excinfo:
        parse_digital_link_path("/01/8931234567897/10/L%C3%94%201%2F2")
    assert reason_of(excinfo) == "characters"


@pytest.mark.parametrize("lot", ["LO 1", "A~B", "A#B", "A@B", "a\tb", "Ô"])
def test_lot_outside_character_set_82_is_rejected(lot: str) -> None:
    with pytest.raises(InvalidIdentifier) as excinfo:
        DigitalLink(gtin=VN_GTIN, lot=lot)
    assert reason_of(excinfo) == "characters"


def test_lot_of_21_characters_is_rejected_and_20_accepted() -> None:
    assert DigitalLink(gtin=VN_GTIN, lot="L" * 20).lot == "L" * 20
    with pytest.raises(InvalidIdentifier) as excinfo:
        parse_digital_link_path("/01/8931234567897/10/" + "L" * 21)
    assert reason_of(excinfo) == "too_long"


def test_too_long_serial_is_rejected() -> None:
    with pytest.raises(InvalidIdentifier) as excinfo:
        DigitalLink(gtin=VN_GTIN, lot="L1", serial="9" * 21)
    assert reason_of(excinfo) == "too_long"
    assert excinfo.value.params["ai"] == "21"


@pytest.mark.parametrize(
    "path", ["/01/8931234567897/10/", "/01/8931234567897/10//21/1", "/01/8931234567897/10/A/21/"]
)
def test_empty_lot_or_serial_is_rejected(path: str) -> None:
    with pytest.raises(InvalidIdentifier) as excinfo:
        parse_digital_link_path(path)
    assert reason_of(excinfo) == "empty"


def test_empty_serial_is_rejected_when_built() -> None:
    with pytest.raises(InvalidIdentifier) as excinfo:
        DigitalLink(gtin=VN_GTIN, lot="L1", serial="")
    assert reason_of(excinfo) == "empty"


@pytest.mark.parametrize(
    ("path", "reason"),
    [
        ("/01/8931234567897/21/7/10/L1", "order"),
        ("/10/L1/01/8931234567897", "order"),
        ("/01/8931234567897/10/L1/10/L2", "order"),
        ("/01/8931234567897/10/L1/21/7/21/8", "order"),
        ("/01/8931234567897/22/A/10/L1", "unknown_ai"),
        ("/01/8931234567897/10/L1/17/261231", "unknown_ai"),
        ("/00/106141412345678908", "unknown_ai"),
        ("/01/8931234567897/lot/L1", "unknown_ai"),
        ("/01/8931234567897", "structure"),
        ("/01/8931234567897/10/L1/", "structure"),
        ("01/8931234567897/10/L1", "structure"),
        ("", "structure"),
        ("/", "structure"),
        ("/gtin/01/8931234567897/10/L1", "structure"),
    ],
)
def test_malformed_digital_link_path_is_rejected(path: str, reason: str) -> None:
    with pytest.raises(InvalidIdentifier) as excinfo:
        parse_digital_link_path(path)
    assert reason_of(excinfo) == reason


@pytest.mark.parametrize(
    "path",
    [
        "/01/8931234567897/10/L 1",
        "/01/8931234567897/10/L1?exp=261231",
        "/01/8931234567897/10/L1#x",
        "/01/8931234567897/10/L<1>",
        '/01/8931234567897/10/L"1',
        "/01/8931234567897/10/LÔ1",
        "/01/8931234567897/10/L%G1",
        "/01/8931234567897/10/L%2",
        "/01/8931234567897/10/50%",
    ],
)
def test_badly_encoded_digital_link_value_is_rejected(path: str) -> None:
    with pytest.raises(InvalidIdentifier) as excinfo:
        parse_digital_link_path(path)
    assert reason_of(excinfo) == "encoding"


@pytest.mark.parametrize(
    ("path", "reason"),
    [
        ("/01/8931234567890/10/L1", "check_digit"),
        ("/01/89312345678/10/L1", "length"),
        ("/01/893123456789X/10/L1", "digits"),
    ],
)
def test_digital_link_with_invalid_gtin_is_rejected(path: str, reason: str) -> None:
    with pytest.raises(InvalidIdentifier) as excinfo:
        parse_digital_link_path(path)
    assert reason_of(excinfo) == reason


def test_character_set_82_has_82_ascii_characters() -> None:
    assert len(CHARACTER_SET_82) == 82
    assert all(char.isascii() and char.isprintable() for char in CHARACTER_SET_82)
    assert not CHARACTER_SET_82 & set(" #$@[\\]^`{|}~")


gtins = st.text(alphabet="0123456789", min_size=13, max_size=13).map(
    lambda body: body + str(gtin_check_digit(body))
)
ai_values = st.text(alphabet=sorted(CHARACTER_SET_82), min_size=1, max_size=20)


@given(gtin=gtins, lot=ai_values, serial=st.none() | ai_values)
def test_parse_of_built_path_gives_back_the_same_link(
    gtin: str, lot: str, serial: str | None
) -> None:
    link = DigitalLink(gtin=gtin, lot=lot, serial=serial)
    path = link.path()
    assert set(path) <= set(string.ascii_letters + string.digits + "-._%/")
    assert parse_digital_link_path(path) == link


# --- Batch codes ----------------------------------------------------------------


def crockford_check(payload: str) -> str:
    # Written apart from the module so the known-answer test below is independent.
    value = int("".join(f"{BATCH_CODE_ALPHABET.index(c):05b}" for c in payload), 2)
    return (BATCH_CODE_ALPHABET + "*~$=U")[value % 37]


KNOWN_CODE = "0123456789ABCA"  # payload value mod 37 is 10, i.e. "A"


def test_known_batch_code_has_crockford_check_symbol() -> None:
    assert crockford_check(KNOWN_CODE[:-1]) == "A"
    assert normalise_batch_code(KNOWN_CODE) == KNOWN_CODE


def test_new_batch_code_has_fixed_length_and_unambiguous_alphabet() -> None:
    for _ in range(1000):
        code = new_batch_code()
        assert len(code) == BATCH_CODE_LENGTH == 14
        assert set(code) <= set(BATCH_CODE_ALPHABET)
        assert not set(code) & set("ILOU")
        assert code[-1] == crockford_check(code[:-1])
        assert normalise_batch_code(code) == code


def test_ten_thousand_batch_codes_are_distinct() -> None:
    codes = {new_batch_code() for _ in range(10_000)}
    assert len(codes) == 10_000


def test_every_payload_position_takes_every_symbol() -> None:
    # With 65 random bits spread over 13 symbols, 10,000 codes show all 32 symbols
    # in each position; a missing one (odds about 32 * (31/32)**10000) means a
    # position is stuck or biased.
    codes = [new_batch_code() for _ in range(10_000)]
    for position in range(BATCH_CODE_LENGTH - 1):
        assert {code[position] for code in codes} == set(BATCH_CODE_ALPHABET)


def test_payloads_needing_a_special_check_symbol_are_drawn_again(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # 32 mod 37 would need "*"; 10 mod 37 is "A".
    draws: Iterator[int] = iter([32, 10])
    monkeypatch.setattr(secrets, "randbits", lambda bits: next(draws))
    assert new_batch_code() == "000000000000AA"


@pytest.mark.parametrize(
    "typed",
    [
        "0123456789abca",
        "0123-4567-89AB-CA",
        "  0123 4567 89ab ca ",
        "O123456789ABCA",
        "o123456789abca",
        "0I23456789ABCA",
        "0l23456789ABCA",
        "0L23456789ABCA",
        "0123–4567—89AB‑CA",  # en dash, em dash, non-breaking hyphen from autocorrect
        "０１２３４５６７８９ＡＢＣＡ",  # full-width keyboard
        "0123\u00a04567\u00a089ABCA",
    ],
)
def test_typed_variants_of_a_batch_code_normalise_to_canonical_form(typed: str) -> None:
    assert normalise_batch_code(typed) == KNOWN_CODE


@pytest.mark.parametrize(
    ("typed", "reason"),
    [
        ("0123456789ABC", "length"),
        ("0123456789ABCAA", "length"),
        ("", "length"),
        ("0123456789ABCU", "characters"),
        ("0123456789ABC*", "characters"),
        ("0123456789ABÇA", "characters"),
        ("0123_4567_89ABCA", "characters"),
        ("0123456789ABCB", "check_digit"),
    ],
)
def test_malformed_batch_code_is_rejected(typed: str, reason: str) -> None:
    with pytest.raises(InvalidIdentifier) as excinfo:
        normalise_batch_code(typed)
    assert reason_of(excinfo) == reason


def test_every_single_mistyped_character_and_neighbour_swap_is_caught() -> None:
    for _ in range(30):
        code = new_batch_code()
        for position in range(BATCH_CODE_LENGTH):
            for symbol in BATCH_CODE_ALPHABET:
                if symbol != code[position]:
                    typo = code[:position] + symbol + code[position + 1 :]
                    with pytest.raises(InvalidIdentifier):
                        normalise_batch_code(typo)
        for position in range(BATCH_CODE_LENGTH - 1):
            a, b = code[position], code[position + 1]
            if a != b:
                swapped = code[:position] + b + a + code[position + 2 :]
                with pytest.raises(InvalidIdentifier):
                    normalise_batch_code(swapped)
