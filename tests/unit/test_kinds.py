"""Event bodies as producers, authorities and EPCIS partners send them."""

from __future__ import annotations

import copy
from typing import Any

import msgspec
import pytest

from trace.domain.epcis import CBV, EPCIS_MAPPINGS, TRACE_VOC, epcis_disposition
from trace.domain.errors import InvalidBody, UnknownKind
from trace.domain.kinds import (
    BODY_TYPES,
    Certified,
    EventKind,
    Harvested,
    Inspected,
    Received,
    Registered,
    Sold,
    decode_body,
)
from trace.domain.quantity import Quantity, Unit
from trace.explain import field_name, problem_text

# An AggregationEvent captured from a partner's system (no other kind holds one whole).
PALLET_EVENT = (
    '{"type":"AggregationEvent","action":"ADD","eventTime":"2026-09-02T08:00:00+07:00",'
    '"eventTimeZoneOffset":"+07:00","parentID":"urn:epc:id:sscc:0614141.1234567890",'
    '"childQuantityList":[{"epcClass":"https://id.gs1.org/01/08936043123456/10/PT-2026-09",'
    '"quantity":26.0,"uom":"KGM"}],"bizStep":"packing"}'
)
PALLET_HASH = (
    "ni:///sha-256;8918eaf4413e17fe2ca3e02f61eedf6bdf1f63a82b60b58cda73abf2afbfc9b3?ver=CBV2.0"
)
PADDY_A = "5f0c2d1e-8b7a-4e3f-9c21-0a6b4d8e7f11"
PADDY_B = "a3e9b7c5-1d2f-4a60-8b4e-6c7d9e0f1a22"
RETAILER = "7c1d2e3f-4a5b-4c6d-8e9f-0a1b2c3d4e5f"
COOPERATIVE = "1b2c3d4e-5f60-4718-9a2b-3c4d5e6f7a8b"

EXAMPLES: dict[EventKind, dict[str, Any]] = {
    EventKind.REGISTERED: {
        "product": "Bưởi Phúc Trạch",
        "lot": "PT-2026-09",
        "gtin": "8936043123456",
        "origin": {"province": "42"},
        "quantity": {"value": "1200", "unit": "KGM"},
        "category": "Trái cây tươi",
        "area": "VN-HTOR-0012",
        "production_date": "2026-09-15",
        "expiry_date": "2026-11-15",
        "ocop_ref": "2345/QĐ-UBND",
    },
    EventKind.PLANTED: {
        "crop": "Lúa",
        "variety": "ST25",
        "area": "Cánh đồng lớn, thửa 12",
        "area_size": {"value": "3.5", "unit": "HAR"},
        "seed_source": "Giống xác nhận cấp 1",
    },
    EventKind.INPUT_APPLIED: {
        "input_kind": "pesticide",
        "product": "Anvil 5SC",
        "active_ingredient": "Hexaconazole 50 g/L",
        "dose": {"value": "1", "unit": "LTR", "per": "HAR"},
        "pre_harvest_interval_days": 7,
        "applied_to": "VN-HTOR-0012",
    },
    EventKind.HARVESTED: {"quantity": {"value": "1200.5", "unit": "KGM"}, "area": "VN-HTOR-0012"},
    EventKind.PROCESSED: {
        "process": "Rửa, lau khô, phân loại theo kích cỡ",
        "output_quantity": {"value": "1150", "unit": "KGM"},
    },
    EventKind.PACKED: {
        "package_type": "Hộp carton 10 kg",
        "count": 115,
        "quantity": {"value": "1150", "unit": "KGM"},
    },
    EventKind.INSPECTED: {
        "laboratory": "Trung tâm Kiểm nghiệm Nông lâm thủy sản Hà Tĩnh",
        "certificate_number": "KQ-2026-0456",
        "reference": "Thông tư 50/2016/TT-BYT; QCVN 8-2:2011/BYT",
        "samples": [
            {"code": "M-0456-1", "matrix": "Quả bưởi", "taken_at": "2026-09-20T08:15:00+07:00"}
        ],
        "analytes": [
            {
                "name": "Hexaconazole",
                "value": "<0.01",
                "limit": "0.1",
                "unit": "mg/kg",
                "method": "LC-MS/MS",
                "result": "conformant",
            },
            {
                "name": "Chì (Pb)",
                "value": "0.02",
                "limit": "0.1",
                "unit": "mg/kg",
                "method": "ICP-MS",
                "result": "conformant",
            },
        ],
        "result": "conformant",
    },
    EventKind.CERTIFIED: {
        "scheme": "ocop",
        "stars": 4,
        "issuer_level": "province",
        "issuer": "UBND tỉnh Hà Tĩnh",
        "certificate_number": "OCOP-42-2025-017",
        "decision_number": "2345/QĐ-UBND",
        "valid_from": "2025-12-01",
        "valid_until": "2028-12-01",
    },
    EventKind.SHIPPED: {
        "to": RETAILER,
        "quantity": {"value": "115", "unit": "XBX"},
        "destination": "Kho phân phối, Hà Nội",
    },
    EventKind.RECEIVED: {"from": COOPERATIVE, "quantity": {"value": "115", "unit": "XBX"}},
    EventKind.SOLD: {"quantity": {"value": "115", "unit": "XBX"}},
    EventKind.TRANSFORMED: {
        "process": "milling",
        "inputs": [
            {"batch": PADDY_A, "quantity": {"value": "5000", "unit": "KGM"}},
            {"batch": PADDY_B, "quantity": {"value": "4200.5", "unit": "KGM"}},
        ],
        "output_quantity": {"value": "6400", "unit": "KGM"},
        "description": "Xay xát, đánh bóng gạo ST25",
    },
    EventKind.RECALLED: {
        "reason": "Dư lượng Hexaconazole vượt giới hạn tối đa cho phép",
        "severity": "class_2",
        "scope": "Toàn bộ lô PT-2026-09 và các lô chế biến từ lô này",
        "effective_at": "2026-10-02T09:00:00+07:00",
        "decision_number": "88/QĐ-CCQLCL",
    },
    EventKind.CORRECTED: {
        "corrects": "3f" * 32,
        "reason": "Nhập nhầm khối lượng thu hoạch: đúng là 1250.5 kg",
    },
    EventKind.SERIALISED: {
        "run": "6f1c2b9e-3d4a-4f5b-8c7d-9e0f1a2b3c4d",
        "count": 400,
        "first": "7K3M9Q2XW4HJ8C",
        "last": "Q0ZR5T8VXB2N4A",
        "serials_sha256": "ab" * 32,
    },
    EventKind.EPCIS_EVENT: {"event": PALLET_EVENT, "event_hash": PALLET_HASH},
    EventKind.RECALL_NOTIFIED: {
        "recall": "5a" * 32,
        "note": "Đã gửi thông báo qua webhook và gọi điện cho 3 đại lý",
    },
    EventKind.WITHDRAWN: {
        "recall": "5a" * 32,
        "quantity": {"value": "120", "unit": "KGM"},
        "note": "Đã thu hồi khỏi quầy, niêm phong tại kho",
    },
    EventKind.RECALL_CLOSED: {
        "recall": "5a" * 32,
        "note": "Toàn bộ hàng đã thu hồi và tiêu huỷ theo biên bản 12/BB",
    },
}


def _with(kind: EventKind, **changes: Any) -> dict[str, Any]:
    body = copy.deepcopy(EXAMPLES[kind])
    body.update(changes)
    return body


def _rejected(kind: EventKind, body: object) -> InvalidBody:
    with pytest.raises(InvalidBody) as caught:
        decode_body(kind.value, body)
    assert caught.value.params["kind"] == kind.value
    assert caught.value.problems, "a refusal names at least one mistake"
    return caught.value


def _said(error: InvalidBody) -> dict[str, str]:
    """Each mistake of ``error`` by its field's path, as an English reader reads it."""
    return {problem.path: problem_text(problem, "en") for problem in error.problems}


def test_every_kind_has_a_body_type_and_an_example() -> None:
    assert set(BODY_TYPES) == set(EventKind) == set(EXAMPLES)


@pytest.mark.parametrize("kind", list(EventKind))
def test_example_body_decodes_to_its_kinds_struct(kind: EventKind) -> None:
    assert isinstance(decode_body(kind.value, EXAMPLES[kind]), BODY_TYPES[kind])


@pytest.mark.parametrize("kind", list(EventKind))
def test_decoded_body_encodes_back_to_the_same_json(kind: EventKind) -> None:
    decoded = decode_body(kind.value, EXAMPLES[kind])
    assert msgspec.json.decode(msgspec.json.encode(decoded)) == EXAMPLES[kind]


@pytest.mark.parametrize("kind", list(EventKind))
def test_unknown_field_is_rejected_and_named(kind: EventKind) -> None:
    error = _rejected(kind, _with(kind, colour="vàng"))
    assert _said(error)["body.colour"].startswith("colour is not a field of this event.")


@pytest.mark.parametrize(
    ("kind", "field"),
    [
        (EventKind.REGISTERED, "product"),
        (EventKind.REGISTERED, "lot"),
        (EventKind.REGISTERED, "origin"),
        (EventKind.PLANTED, "crop"),
        (EventKind.INPUT_APPLIED, "dose"),
        (EventKind.HARVESTED, "quantity"),
        (EventKind.PROCESSED, "process"),
        (EventKind.PACKED, "count"),
        (EventKind.INSPECTED, "laboratory"),
        (EventKind.INSPECTED, "result"),
        (EventKind.CERTIFIED, "certificate_number"),
        (EventKind.SHIPPED, "to"),
        (EventKind.RECEIVED, "from"),
        (EventKind.TRANSFORMED, "inputs"),
        (EventKind.RECALLED, "severity"),
        (EventKind.CORRECTED, "corrects"),
        (EventKind.CORRECTED, "reason"),
    ],
)
def test_missing_required_field_is_rejected_and_named(kind: EventKind, field: str) -> None:
    body = _with(kind)
    del body[field]
    error = _rejected(kind, body)
    assert _said(error) == {f"body.{field}": f"{field_name(f'body.{field}', 'en')} is missing."}


def test_body_that_is_not_an_object_is_rejected() -> None:
    _rejected(EventKind.HARVESTED, [{"value": "1", "unit": "KGM"}])


def test_unknown_kind_is_refused_with_its_name() -> None:
    with pytest.raises(UnknownKind) as caught:
        decode_body("watered", {})
    assert caught.value.params["kind"] == "watered"
    assert "harvested" in str(caught.value.params["known"])


def test_error_reason_names_the_field_path() -> None:
    error = _rejected(EventKind.HARVESTED, {"quantity": {"value": "abc", "unit": "KGM"}})
    assert _said(error) == {
        "body.quantity.value": 'Quantity › Value must be a number written as text, like "1200.5":'
        " no sign, at most 6 decimals."
    }


# --- quantities ---------------------------------------------------------------


def test_float_quantity_is_rejected() -> None:
    _rejected(EventKind.HARVESTED, {"quantity": {"value": 1200.5, "unit": "KGM"}})


def test_quantity_with_unit_inside_the_value_is_rejected() -> None:
    _rejected(EventKind.HARVESTED, {"quantity": "12kg"})
    _rejected(EventKind.HARVESTED, {"quantity": {"value": "12kg", "unit": "KGM"}})


@pytest.mark.parametrize(
    "value", ["-5", "+5", "1e3", "1E3", "0", "0.000", "01", ".5", "5.", "1.1234567", "1 200", ""]
)
def test_malformed_or_non_positive_quantity_is_rejected(value: str) -> None:
    _rejected(EventKind.HARVESTED, {"quantity": {"value": value, "unit": "KGM"}})


@pytest.mark.parametrize("value", ["1", "0.5", "1200.5", "999999999999.123456"])
def test_plain_positive_decimal_quantity_is_accepted(value: str) -> None:
    decoded = decode_body("harvested", {"quantity": {"value": value, "unit": "KGM"}})
    assert isinstance(decoded, Harvested)
    assert decoded.quantity == Quantity(value=value, unit=Unit.KILOGRAM)


@pytest.mark.parametrize("unit", ["kg", "KG", "kilogram", "HAR", ""])
def test_unit_outside_the_rec20_goods_list_is_rejected(unit: str) -> None:
    _rejected(EventKind.HARVESTED, {"quantity": {"value": "1", "unit": unit}})


# --- text, identifiers, times ----------------------------------------------------


@pytest.mark.parametrize("text", ["", "   ", "\t\n", "x" * 501])
def test_blank_or_overlong_product_name_is_rejected(text: str) -> None:
    _rejected(EventKind.REGISTERED, _with(EventKind.REGISTERED, product=text))


@pytest.mark.parametrize(
    "gtin", ["89360431234", "89360431234567890", "893604312345A", 8936043123456]
)
def test_gtin_of_wrong_shape_is_rejected(gtin: object) -> None:
    _rejected(EventKind.REGISTERED, _with(EventKind.REGISTERED, gtin=gtin))


def test_registration_without_gtin_is_accepted() -> None:
    body = _with(EventKind.REGISTERED)
    del body["gtin"]
    decoded = decode_body("registered", body)
    assert isinstance(decoded, Registered)
    assert decoded.gtin is None


@pytest.mark.parametrize("lot", ["LÔ-1", "lot 1", "A" * 21, ""])
def test_lot_outside_gs1_character_set_82_is_rejected(lot: str) -> None:
    _rejected(EventKind.REGISTERED, _with(EventKind.REGISTERED, lot=lot))


@pytest.mark.parametrize("origin", [{"province": "4"}, {"province": "42", "commune": "123"}, {}])
def test_malformed_origin_codes_are_rejected(origin: dict[str, str]) -> None:
    _rejected(EventKind.REGISTERED, _with(EventKind.REGISTERED, origin=origin))


def test_expiry_before_production_is_rejected() -> None:
    body = _with(EventKind.REGISTERED, production_date="2026-09-15", expiry_date="2026-09-01")
    _rejected(EventKind.REGISTERED, body)


def test_impossible_date_is_rejected() -> None:
    _rejected(EventKind.REGISTERED, _with(EventKind.REGISTERED, production_date="2026-02-30"))


def test_time_without_utc_offset_is_rejected() -> None:
    body = _with(EventKind.RECALLED, effective_at="2026-10-02T09:00:00")
    error = _rejected(EventKind.RECALLED, body)
    assert _said(error) == {
        "body.effective_at": "Effective from must be a time with its UTC offset, like "
        "2026-09-01T07:30:00+07:00."
    }


def test_sample_time_without_utc_offset_is_rejected() -> None:
    body = _with(EventKind.INSPECTED)
    body["samples"][0]["taken_at"] = "2026-09-20T08:15:00"
    _rejected(EventKind.INSPECTED, body)


def test_time_in_utc_is_accepted() -> None:
    decode_body("recalled", _with(EventKind.RECALLED, effective_at="2026-10-02T02:00:00Z"))


def test_agency_reference_must_be_a_lower_case_uuid() -> None:
    _rejected(EventKind.SHIPPED, _with(EventKind.SHIPPED, to="Siêu thị ABC"))
    _rejected(EventKind.SHIPPED, _with(EventKind.SHIPPED, to=RETAILER.upper()))


def test_received_uses_the_json_name_from() -> None:
    decoded = decode_body("received", EXAMPLES[EventKind.RECEIVED])
    assert isinstance(decoded, Received)
    assert decoded.from_ == COOPERATIVE
    _rejected(EventKind.RECEIVED, {"from_": COOPERATIVE})


def test_retail_sale_needs_no_buyer() -> None:
    decoded = decode_body("sold", {})
    assert isinstance(decoded, Sold)
    assert decoded.to is None


@pytest.mark.parametrize("record_hash", ["3F" * 32, "3f" * 31, "3f" * 33, "zz" * 32])
def test_correction_must_point_at_a_lower_case_sha256_hex(record_hash: str) -> None:
    _rejected(EventKind.CORRECTED, _with(EventKind.CORRECTED, corrects=record_hash))


# --- inputs ----------------------------------------------------------------------


def test_pesticide_without_pre_harvest_interval_is_rejected() -> None:
    body = _with(EventKind.INPUT_APPLIED)
    del body["pre_harvest_interval_days"]
    error = _rejected(EventKind.INPUT_APPLIED, body)
    assert list(_said(error)) == ["body.pre_harvest_interval_days"]


def test_fertiliser_needs_no_active_ingredient_or_interval() -> None:
    body = {
        "input_kind": "fertiliser",
        "product": "Phân NPK 16-16-8",
        "dose": {"value": "300", "unit": "KGM", "per": "HAR"},
        "applied_to": "VN-HTOR-0012",
    }
    decode_body("input_applied", body)


@pytest.mark.parametrize("days", [-1, 366, 7.0, "7", True])
def test_pre_harvest_interval_must_be_whole_days_in_range(days: object) -> None:
    _rejected(
        EventKind.INPUT_APPLIED, _with(EventKind.INPUT_APPLIED, pre_harvest_interval_days=days)
    )


@pytest.mark.parametrize("count", [0, -3, 1.5, "115", True])
def test_package_count_must_be_a_positive_integer(count: object) -> None:
    _rejected(EventKind.PACKED, _with(EventKind.PACKED, count=count))


# --- inspections -----------------------------------------------------------------


def test_conformant_result_with_a_non_conformant_analyte_is_rejected() -> None:
    body = _with(EventKind.INSPECTED)
    body["analytes"][0].update(value="0.35", result="non_conformant")
    error = _rejected(EventKind.INSPECTED, body)
    assert _said(error) == {
        "body.result": "Result cannot be conformant when an analyte is not: Hexaconazole. "
        "Set it to non_conformant."
    }


def test_non_conformant_result_with_a_non_conformant_analyte_is_accepted() -> None:
    body = _with(EventKind.INSPECTED, result="non_conformant")
    body["analytes"][0].update(value="0.35", result="non_conformant")
    decoded = decode_body("inspected", body)
    assert epcis_disposition(EventKind.INSPECTED, decoded) == f"{CBV}Disp-non_conformant"


def test_inspection_without_analytes_or_samples_is_rejected() -> None:
    _rejected(EventKind.INSPECTED, _with(EventKind.INSPECTED, analytes=[]))
    _rejected(EventKind.INSPECTED, _with(EventKind.INSPECTED, samples=[]))


@pytest.mark.parametrize("value", ["-0.1", "1e-3", "ND", "< 0.01", 0.02])
def test_malformed_analyte_value_is_rejected(value: object) -> None:
    body = _with(EventKind.INSPECTED)
    body["analytes"][1]["value"] = value
    _rejected(EventKind.INSPECTED, body)


def test_analyte_not_detected_may_be_zero() -> None:
    body = _with(EventKind.INSPECTED)
    body["analytes"][1]["value"] = "0"
    assert isinstance(decode_body("inspected", body), Inspected)


# --- certificates ----------------------------------------------------------------


@pytest.mark.parametrize("stars", [0, 2, 6, "4", 4.0])
def test_ocop_stars_outside_3_to_5_are_rejected(stars: object) -> None:
    _rejected(EventKind.CERTIFIED, _with(EventKind.CERTIFIED, stars=stars))


def test_ocop_certificate_without_stars_is_rejected() -> None:
    body = _with(EventKind.CERTIFIED)
    del body["stars"]
    _rejected(EventKind.CERTIFIED, body)


def test_ocop_certificate_without_issuer_level_is_rejected() -> None:
    body = _with(EventKind.CERTIFIED)
    del body["issuer_level"]
    _rejected(EventKind.CERTIFIED, body)


def test_vietgap_certificate_with_stars_is_rejected() -> None:
    body = _with(EventKind.CERTIFIED, scheme="vietgap")
    del body["issuer_level"]
    _rejected(EventKind.CERTIFIED, body)


def test_vietgap_certificate_without_stars_is_accepted() -> None:
    body = {
        "scheme": "vietgap",
        "certificate_number": "VietGAP-TT-11-0123",
        "issuer": "Tổ chức chứng nhận VietGAP",
        "valid_from": "2026-01-10",
        "valid_until": "2029-01-09",
    }
    decoded = decode_body("certified", body)
    assert isinstance(decoded, Certified)
    assert decoded.stars is None


def test_ocop_validity_longer_than_36_months_is_rejected() -> None:
    body = _with(EventKind.CERTIFIED, valid_from="2025-12-01", valid_until="2028-12-02")
    error = _rejected(EventKind.CERTIFIED, body)
    assert _said(error) == {
        "body.valid_until": "An OCOP certificate is valid for at most 36 months: Valid until "
        "must be on or before 2028-12-01."
    }


def test_ocop_validity_of_exactly_36_months_is_accepted() -> None:
    decode_body("certified", _with(EventKind.CERTIFIED, valid_until="2028-12-01"))


def test_ocop_36_months_from_a_leap_day_ends_on_the_last_day_of_february() -> None:
    decode_body(
        "certified", _with(EventKind.CERTIFIED, valid_from="2024-02-29", valid_until="2027-02-28")
    )
    late = _with(EventKind.CERTIFIED, valid_from="2024-02-29", valid_until="2027-03-01")
    _rejected(EventKind.CERTIFIED, late)


def test_certificate_ending_before_it_starts_is_rejected() -> None:
    body = _with(EventKind.CERTIFIED, valid_from="2026-01-10", valid_until="2026-01-10")
    _rejected(EventKind.CERTIFIED, body)


# --- transformations -------------------------------------------------------------


def test_transformation_listing_an_input_batch_twice_is_rejected() -> None:
    body = _with(EventKind.TRANSFORMED)
    body["inputs"][1]["batch"] = PADDY_A
    error = _rejected(EventKind.TRANSFORMED, body)
    assert _said(error) == {"body.inputs": "An input batch is listed more than once."}


def test_transformation_without_inputs_is_rejected() -> None:
    _rejected(EventKind.TRANSFORMED, _with(EventKind.TRANSFORMED, inputs=[]))


def test_transformation_input_without_quantity_is_rejected() -> None:
    body = _with(EventKind.TRANSFORMED)
    del body["inputs"][0]["quantity"]
    _rejected(EventKind.TRANSFORMED, body)


def test_splitting_takes_exactly_one_input() -> None:
    _rejected(EventKind.TRANSFORMED, _with(EventKind.TRANSFORMED, process="splitting"))
    one = _with(EventKind.TRANSFORMED, process="splitting")
    one["inputs"] = one["inputs"][:1]
    decode_body("transformed", one)


def test_merging_takes_at_least_two_inputs() -> None:
    body = _with(EventKind.TRANSFORMED, process="merging")
    body["inputs"] = body["inputs"][:1]
    _rejected(EventKind.TRANSFORMED, body)


def test_unknown_transformation_process_is_rejected() -> None:
    _rejected(EventKind.TRANSFORMED, _with(EventKind.TRANSFORMED, process="fermenting"))


# --- recalls ---------------------------------------------------------------------


@pytest.mark.parametrize("severity", ["high", "class_4", "CLASS_1", 1])
def test_recall_severity_outside_the_three_classes_is_rejected(severity: object) -> None:
    _rejected(EventKind.RECALLED, _with(EventKind.RECALLED, severity=severity))


def test_recall_reason_longer_than_2000_characters_is_rejected() -> None:
    _rejected(EventKind.RECALLED, _with(EventKind.RECALLED, reason="a" * 2001))


# --- EPCIS -----------------------------------------------------------------------


def test_every_kind_has_an_epcis_mapping() -> None:
    assert set(EPCIS_MAPPINGS) == set(EventKind)


def test_epcis_business_steps_are_cbv_or_our_namespace() -> None:
    for mapping in EPCIS_MAPPINGS.values():
        if mapping.biz_step is not None:
            assert mapping.biz_step.startswith((f"{CBV}BizStep-", f"{TRACE_VOC}BizStep-"))


def test_epcis_mapping_follows_the_design_table() -> None:
    registered = EPCIS_MAPPINGS[EventKind.REGISTERED]
    assert (registered.event_type, registered.action) == ("ObjectEvent", "ADD")
    assert registered.biz_step == f"{CBV}BizStep-commissioning"
    assert EPCIS_MAPPINGS[EventKind.TRANSFORMED].event_type == "TransformationEvent"
    assert EPCIS_MAPPINGS[EventKind.SOLD].biz_step == f"{CBV}BizStep-retail_selling"
    assert EPCIS_MAPPINGS[EventKind.RECALLED].disposition == f"{CBV}Disp-recalled"
    assert EPCIS_MAPPINGS[EventKind.CERTIFIED].body_field == "certificationInfo"
    assert EPCIS_MAPPINGS[EventKind.CORRECTED].body_field == "errorDeclaration"


def test_conformant_inspection_maps_to_the_conformant_disposition() -> None:
    decoded = decode_body("inspected", EXAMPLES[EventKind.INSPECTED])
    assert epcis_disposition(EventKind.INSPECTED, decoded) == f"{CBV}Disp-conformant"
    registered = decode_body("registered", EXAMPLES[EventKind.REGISTERED])
    assert isinstance(registered, Registered)
    assert epcis_disposition(EventKind.REGISTERED, registered) == f"{CBV}Disp-active"
