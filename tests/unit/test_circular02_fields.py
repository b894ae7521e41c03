"""What Circular 02/2024/TT-BKHCN asks a consumer be shown, as the ledger takes it: a
registration's brand, pack size, standards and storage, and an organisation's contact.
Each mistake is named in Vietnamese and in English."""

from __future__ import annotations

from typing import Any

import msgspec
import pytest

from trace.domain.canonical import canonical_bytes
from trace.domain.contact import Contact, InvalidContact, contact_of
from trace.domain.errors import InvalidBody
from trace.domain.kinds import MAX_STANDARDS, Registered, decode_body
from trace.explain import failure_text, problem_text

RICE = {
    "product": "Gạo ST25 Hưng Yên",
    "lot": "GAO-2026-06",
    "origin": {"province": "33"},
    "quantity": {"value": "6300", "unit": "KGM"},
}
CIRCULAR_02 = {
    "brand": "Gạo Phố Hiến",
    "pack_size": {"value": "1.5", "unit": "KGM"},
    "standards": ["VietGAP", "TCVN 11888:2017 (gạo trắng)"],
    "storage": "Nơi khô ráo, thoáng mát",
}


def _said(body: dict[str, Any]) -> dict[str, tuple[str, str]]:
    """Each mistake of a registration by its field's path, in Vietnamese and English."""
    with pytest.raises(InvalidBody) as caught:
        decode_body("registered", body)
    return {
        problem.path: (problem_text(problem, "vi"), problem_text(problem, "en"))
        for problem in caught.value.problems
    }


def test_a_registration_with_brand_pack_size_standards_and_storage_decodes() -> None:
    body = decode_body("registered", {**RICE, **CIRCULAR_02})
    assert isinstance(body, Registered)
    assert body.brand == "Gạo Phố Hiến" and body.storage == "Nơi khô ráo, thoáng mát"
    assert body.pack_size is not None and body.pack_size.value == "1.5"
    assert body.standards == ("VietGAP", "TCVN 11888:2017 (gạo trắng)")
    assert msgspec.json.decode(msgspec.json.encode(body)) == {**RICE, **CIRCULAR_02}


def test_a_registration_without_them_encodes_as_before() -> None:
    # Records signed before these fields existed keep their bytes: nothing is added.
    body = decode_body("registered", RICE)
    assert isinstance(body, Registered) and body.standards == () and body.brand is None
    assert canonical_bytes(msgspec.to_builtins(body)) == canonical_bytes(RICE)


def test_a_standard_listed_twice_is_refused_whatever_its_case_and_spaces() -> None:
    said = _said({**RICE, "standards": ["VietGAP", "TCVN 11888:2017", " vietgap "]})
    assert said == {
        "body.standards": (
            "Tiêu chuẩn áp dụng ghi vietgap hai lần; mỗi tiêu chuẩn chỉ ghi một lần.",
            "Standards applied names vietgap twice; list each standard once.",
        )
    }


def test_more_standards_than_a_label_can_list_are_refused() -> None:
    many = [f"TCVN {number}:2017" for number in range(MAX_STANDARDS + 1)]
    assert _said({**RICE, "standards": many}) == {
        "body.standards": (
            f"Tiêu chuẩn áp dụng chỉ được liệt kê tối đa {MAX_STANDARDS} mục.",
            f"Standards applied may list at most {MAX_STANDARDS}.",
        )
    }
    assert isinstance(decode_body("registered", {**RICE, "standards": many[:-1]}), Registered)


def test_a_blank_standard_or_storage_is_refused() -> None:
    said = _said({**RICE, "standards": ["VietGAP", "  "], "storage": " "})
    assert set(said) == {"body.standards[1]", "body.storage"}
    assert said["body.standards[1]"][0].startswith("Tiêu chuẩn áp dụng #2 phải là chuỗi")
    assert said["body.storage"][1].startswith("Storage conditions must be text with")


def test_a_pack_larger_than_the_whole_batch_is_refused() -> None:
    said = _said({**RICE, "pack_size": {"value": "63000", "unit": "KGM"}})
    assert said == {
        "body.pack_size": (
            "Định lượng mỗi gói lớn hơn cả lô hàng (6300 KGM); hãy kiểm tra lại đơn vị và "
            "các chữ số.",
            "Net quantity of one pack is more than the whole batch (6300 KGM); check the unit "
            "and digits.",
        )
    }


def test_a_pack_in_another_unit_than_the_batch_is_accepted() -> None:
    # 400 gift boxes of 3 kg: the units differ, so the sizes cannot be compared.
    boxes = {**RICE, "quantity": {"value": "400", "unit": "XBX"}}
    body = decode_body("registered", {**boxes, "pack_size": {"value": "3", "unit": "KGM"}})
    assert isinstance(body, Registered)


def test_a_pack_size_of_zero_is_refused() -> None:
    said = _said({**RICE, "pack_size": {"value": "0", "unit": "KGM"}})
    assert list(said) == ["body.pack_size.value"]


def test_a_contact_is_taken_trimmed_and_blank_parts_are_absent() -> None:
    assert contact_of(" +84 24 3999 0412 ", "  ", "https://htx.example/gioi-thieu") == Contact(
        phone="+84 24 3999 0412", website="https://htx.example/gioi-thieu"
    )
    assert contact_of(None, None, None).empty


@pytest.mark.parametrize("phone", ["0912-345-678", "gọi 0912 345 678", "12", "+84 (24) 3999"])
def test_a_phone_of_other_signs_than_digits_spaces_and_plus_is_refused(phone: str) -> None:
    with pytest.raises(InvalidContact) as caught:
        contact_of(phone)
    assert [p.path for p in caught.value.problems] == ["phone"]


@pytest.mark.parametrize(
    "website",
    [
        "htx.example",
        "ftp://htx.example",
        "https://htx",
        "https://htx example.vn",
        "https://htx.vn/\x00",
    ],
)
def test_a_website_that_is_not_an_http_address_is_refused(website: str) -> None:
    with pytest.raises(InvalidContact) as caught:
        contact_of(website=website)
    assert [p.path for p in caught.value.problems] == ["website"]


def test_a_refused_contact_says_what_to_write_in_both_languages() -> None:
    with pytest.raises(InvalidContact) as caught:
        contact_of("12ab", "Phường Cầu Giấy, Hà Nội", "www.htx.example")
    assert failure_text(caught.value, "vi").splitlines() == [
        "Thông tin liên hệ cần sửa; từng trường được nêu bên dưới.",
        "- phone phải là một số điện thoại: chữ số và dấu cách, có thể bắt đầu bằng dấu +.",
        "- website phải là một địa chỉ web bắt đầu bằng http:// hoặc https://.",
    ]
    assert failure_text(caught.value, "en").splitlines() == [
        "The contact details need correcting; each field is named below.",
        "- phone must be a phone number: digits and spaces, an optional leading +.",
        "- website must be a web address that starts with http:// or https://.",
    ]
