"""A request with several mistakes is refused once, naming each, in the reader's language.

A producer filling a form sends everything at once; the answer must say every field that
is wrong, by the name the form gives it, with what it should hold, so that one correction
is enough. Nothing refused is stored.
"""

from __future__ import annotations

from typing import Any

import httpx

from tests.conftest import Cast
from tests.integration.helpers import WHEN, register, stored
from trace.domain.quantity import Unit
from trace.store.ledger import Ledger

# Three wrong fields of a batch registration: a lot with accents and a space, a province
# code of three digits, and a unit that is not a code ("kg" where UN/ECE says KGM).
THREE_WRONG = {
    "occurred_at": WHEN,
    "body": {
        "product": "Bưởi Diễn",
        "lot": "Lô số 1",
        "origin": {"province": "101"},
        "quantity": {"value": "1200.5", "unit": "kg"},
    },
}


def _errors(answer: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {error["field"]: error for error in answer["errors"]}


async def test_three_wrong_fields_get_one_answer_naming_each_in_vietnamese(
    client: httpx.AsyncClient, cast: Cast, ledger: Ledger
) -> None:
    before = await stored(ledger)
    response = await client.post("/api/v1/batches", json=THREE_WRONG, headers=cast.producer.headers)
    assert response.status_code == 422
    answer = response.json()
    assert answer["code"] == "invalid_body" and answer["lang"] == "vi"
    assert response.headers["content-language"] == "vi"
    errors = _errors(answer)
    assert set(errors) == {"body.lot", "body.origin.province", "body.quantity.unit"}
    assert answer["count"] == 3
    # Each field by its name on the form, in Vietnamese, with what to write.
    assert errors["body.lot"]["detail"].startswith("Số lô phải là từ 1 đến 20 ký tự")
    assert errors["body.origin.province"]["detail"].startswith(
        "Xuất xứ › Mã tỉnh/thành phố phải là mã tỉnh/thành phố gồm 2 chữ số"
    )
    assert "GET /api/v1/places/provinces" in errors["body.origin.province"]["detail"]
    unit = errors["body.quantity.unit"]
    assert unit["detail"].startswith("Số lượng › Đơn vị phải là một trong các giá trị: KGM (kg)")
    assert unit["accepted"] == [member.value for member in Unit]
    for code in unit["accepted"]:
        assert code in unit["detail"]
    # The whole answer reads in one language: the detail repeats each mistake on its line.
    lines = answer["detail"].splitlines()
    assert lines[0] == "Một số thông tin của sự kiện cần sửa; từng trường được nêu bên dưới."
    assert lines[1:] == [f"- {error['detail']}" for error in answer["errors"]]
    for english in ("must", "Expected", "Invalid", "field", "got"):
        assert english not in answer["detail"]
    assert await stored(ledger) == before


async def test_three_wrong_fields_in_english_on_request(
    client: httpx.AsyncClient, cast: Cast
) -> None:
    response = await client.post(
        "/api/v1/batches",
        json=THREE_WRONG,
        headers={**cast.producer.headers, "Accept-Language": "en-GB,en;q=0.8"},
    )
    assert response.status_code == 422
    answer = response.json()
    assert answer["lang"] == "en"
    errors = _errors(answer)
    assert errors["body.lot"]["detail"].startswith("Lot number must be 1 to 20 letters")
    assert errors["body.origin.province"]["detail"].startswith(
        "Origin › Province code must be the province's 2-digit code"
    )
    assert errors["body.quantity.unit"]["detail"] == (
        "Quantity › Unit must be one of: KGM (kg), GRM (g), TNE (t), LTR (L), MLT (mL), "
        "H87 (pcs), XBX (boxes), XBG (bags), XSA (sacks), XCT (cartons), XBO (bottles), "
        "XCR (crates)."
    )


async def test_a_missing_field_an_unknown_one_and_a_broken_rule_are_named_together(
    client: httpx.AsyncClient, cast: Cast
) -> None:
    """Beside wrong values: a field left out, a field the kind does not have (a typo), and
    a rule across fields (a use-by date before the production date) in one answer."""
    batch = (await register(client, cast.producer))["batch"]
    response = await client.post(
        f"/api/v1/batches/{batch['id']}/events",
        json={
            "kind": "harvested",
            "occurred_at": "2026-09-01 07:00",
            "body": {"quantiti": {"value": "5", "unit": "KGM"}},
        },
        headers={**cast.producer.headers, "Accept-Language": "en"},
    )
    assert response.status_code == 422
    errors = _errors(response.json())
    assert errors["occurred_at"]["detail"] == (
        "When it happened must be a time with its UTC offset, like 2026-09-01T07:30:00+07:00."
    )
    assert errors["body.quantiti"]["detail"].startswith(
        "quantiti is not a field of this event. Its fields are: quantity"
    )
    assert errors["body.quantity"]["detail"] == "Quantity is missing."
    # A rule across fields speaks once the fields it reads are each right: first the
    # quantity's own (above zero), then the body's (use-by date after production date).
    body = {
        "product": "Bưởi Diễn",
        "lot": "BD-2",
        "origin": {"province": "01"},
        "quantity": {"value": "0", "unit": "KGM"},
        "production_date": "2026-09-01",
        "expiry_date": "2026-08-01",
    }
    said = []
    for _ in range(2):
        registered = await client.post(
            "/api/v1/batches",
            json={"occurred_at": WHEN, "body": body},
            headers={**cast.producer.headers, "Accept-Language": "en"},
        )
        assert registered.status_code == 422, registered.text
        said.append({error["field"]: error["detail"] for error in registered.json()["errors"]})
        body["quantity"] = {"value": "12", "unit": "KGM"}
    assert said == [
        {"body.quantity.value": "Quantity › Value must be greater than zero."},
        {"body.expiry_date": "Use-by date must be after the production date."},
    ]


async def test_the_frameworks_refusals_are_worded_too_never_in_the_parsers_english(
    client: httpx.AsyncClient, cast: Cast
) -> None:
    """What Litestar refuses before a handler runs (a parameter, the envelope of a body) is
    named field by field from the same catalogue, and the parser's own words stay out."""
    batch = (await register(client, cast.producer))["batch"]["id"]
    answers = [
        await client.post(
            "/api/v1/batches",
            json={"occurred_at": 5, "body": "quả bưởi", "extra": 1},
            headers=cast.producer.headers,
        ),
        await client.get(f"/api/v1/batches/{batch}/records?after=-5"),
        await client.get("/api/v1/log/proof/inclusion?position=a&size=1"),
        await client.post(
            f"/api/v1/batches/{batch}/label-runs",
            json={"count": "mười"},
            headers=cast.producer.headers,
        ),
    ]
    details = []
    for answer in answers:
        assert answer.status_code == 400, answer.text
        problem = answer.json()
        assert problem["code"] == "bad_request" and problem["lang"] == "vi"
        assert problem["detail"].startswith("Một số phần của yêu cầu cần sửa")
        for parser in ("Expected", "Object", "got", "`"):
            assert parser not in problem["detail"]
        details.append({error["field"]: error["detail"] for error in problem["errors"]})
    # msgspec stops at the first mistake of a body; all three are named.
    assert details[0] == {
        "occurred_at": "Thời điểm diễn ra phải là một chuỗi ký tự.",
        "body": "Chi tiết phải là một đối tượng JSON.",
        "extra": "extra không phải là trường của yêu cầu này. Các trường của nó: occurred_at, "
        "body.",
    }
    assert details[1] == {"after": "after phải ít nhất là 0."}
    assert details[2] == {"position": "position phải là một số nguyên."}
    # A parameter of a request, not a field of an event, keeps the name the client gave it.
    assert details[3] == {"count": "count phải là một số nguyên."}
