"""The command line's words for a record: fields, units, severities, places and times."""

from __future__ import annotations

from trace.cli.words import day_words, fields_in_words, kind_words, time_words

MILL = "6f1c2a3b-0000-4000-8000-000000000001"


def named(agency: str) -> str:
    return {MILL: "Công ty Cổ phần Lương thực Hưng Yên"}.get(agency, agency)


def test_every_field_of_a_recall_is_said_in_words_in_both_languages() -> None:
    body = {"reason": "Vượt giới hạn cadimi", "severity": "class_1", "decision_number": "125/QĐ"}
    assert list(fields_in_words(body, "vi", named)) == [
        "    Lý do: Vượt giới hạn cadimi",
        "    Mức độ: Cấp 1: có thể gây hại nghiêm trọng",
        "    Số quyết định: 125/QĐ",
    ]
    assert list(fields_in_words(body, "en", named))[1] == (
        "    Severity: Class 1: may cause serious harm"
    )


def test_quantities_agencies_places_and_lists_are_named() -> None:
    body = {
        "to": MILL,
        "quantity": {"value": "3000.5", "unit": "KGM"},
        "origin": {"province": "33"},
        "inputs": [{"batch": "b-1", "quantity": {"value": "2", "unit": "TNE"}}],
        "process": "milling",
    }
    lines = list(fields_in_words(body, "vi", named))
    assert lines[0].endswith(": Công ty Cổ phần Lương thực Hưng Yên")
    assert lines[1] == "    Số lượng: 3.000,5 kg"
    assert lines[3] == "      Mã tỉnh/thành phố: Hưng Yên (33)"
    assert lines[4].endswith(":") and lines[5] == "      1."
    assert lines[-1].endswith(": Xay xát")
    english = list(fields_in_words(body, "en", named))
    assert english[1] == "    Quantity: 3,000.5 kg" and english[-1] == "    Process: Milling"


def test_kinds_and_times_are_said_in_vietnams_zone() -> None:
    assert kind_words("input_applied", "vi") != "input_applied"
    assert kind_words("input_applied", "en") == "Inputs applied"
    assert kind_words("no_such_kind", "en") == "no_such_kind"
    assert time_words("2026-06-10T23:30:00Z", "vi") == "06:30 11/06/2026 (UTC+7)"
    assert time_words("2026-06-10T23:30:00Z", "en") == "11 Jun 2026, 06:30 (UTC+7)"
    assert day_words("2026-06-10T23:30:00+00:00", "vi") == "11/06/2026"
    assert time_words("2026-06-10", "en") == "10 Jun 2026"
    assert time_words("not a time", "en") == "not a time"


def test_a_captured_epcis_event_is_said_in_one_line_not_as_its_json() -> None:
    event = (
        '{"type": "ObjectEvent", "action": "ADD", "bizStep": "commissioning",'
        ' "eventTime": "2026-09-20T07:00:00+07:00", "epcList": ["urn:epc:id:sgtin:1.2.3"]}'
    )
    body = {"epcis": {"event": event, "event_hash": "ni:///sha-256;00?ver=CBV2.0"}}
    lines = list(fields_in_words(body, "vi", str))
    assert "ObjectEvent ADD · commissioning · 07:00 20/09/2026" in "\n".join(lines)
    assert not any("epcList" in line for line in lines)
