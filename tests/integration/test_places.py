"""The codes of an origin are listed with the names of the places (`/api/v1/places`), and a
new record naming no place is refused, saying where the codes are."""

from __future__ import annotations

import httpx
from vietnam_provinces import Province, Ward

from tests.conftest import Cast
from tests.integration.helpers import WHEN, register, stored
from trace.store.ledger import Ledger


async def test_the_provinces_are_listed_with_vietnamese_and_english_names(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get("/api/v1/places/provinces")
    assert response.status_code == 200
    assert "max-age" in response.headers["cache-control"]
    listed = response.json()
    # Every unit of the package's list, once, by code: 34 since 1 July 2025.
    assert len(listed) == len(list(Province.iter_all())) == 34
    assert [p["code"] for p in listed] == sorted(p["code"] for p in listed)
    by_code = {p["code"]: p for p in listed}
    assert by_code["01"] == {
        "code": "01",
        "name_vi": "Thành phố Hà Nội",
        "name_en": "Ha Noi City",
        "kind": "city",
        "communes": "/api/v1/places/provinces/01/communes",
    }
    assert by_code["79"]["name_en"] == "Ho Chi Minh City"
    assert (by_code["66"]["name_vi"], by_code["66"]["name_en"]) == ("Đắk Lắk", "Dak Lak Province")
    for place in listed:
        assert place["name_en"].isascii()


async def test_a_provinces_communes_are_listed_and_an_unknown_province_is_named(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get("/api/v1/places/provinces/01/communes")
    assert response.status_code == 200
    listed = response.json()
    assert len(listed) == len(list(Ward.iter_by_province(Province.from_code(1).code)))
    by_code = {p["code"]: p for p in listed}
    assert by_code["00091"]["name_vi"] == "Phường Phú Thượng"
    assert by_code["00091"]["name_en"] == "Phu Thuong Ward"
    assert {p["kind"] for p in listed} == {"ward", "commune"}
    zones = (await client.get("/api/v1/places/provinces/22/communes")).json()
    assert {
        "code": "07192",
        "name_vi": "Đặc khu Cô Tô",
        "name_en": "Co To Special Zone",
        "kind": "special_zone",
    } in zones
    for code, lang, words in (
        ("02", "vi", "Không có tỉnh/thành phố nào mang mã '02'."),
        ("x", "en", "No province has the code 'x'."),
    ):
        missing = await client.get(
            f"/api/v1/places/provinces/{code}/communes", headers={"Accept-Language": lang}
        )
        assert missing.status_code == 404
        assert missing.json()["detail"].startswith(words)
        assert "GET /api/v1/places/provinces" in missing.json()["detail"]


async def test_an_origin_naming_no_place_is_refused_with_where_to_find_the_codes(
    client: httpx.AsyncClient, cast: Cast, ledger: Ledger
) -> None:
    before = await stored(ledger)
    # 02 was Hà Giang's code until 1 July 2025; 00091 is a ward of Hà Nội, not of Huế.
    for origin, field, words in (
        (
            {"province": "02"},
            "body.origin.province",
            "Origin › Province code: no province has the code 02.",
        ),
        (
            {"province": "46", "commune": "00091"},
            "body.origin.commune",
            "Origin › Commune code: province 46 has no commune with the code 00091. Its "
            "communes: GET /api/v1/places/provinces/46/communes.",
        ),
    ):
        response = await client.post(
            "/api/v1/batches",
            json={"occurred_at": WHEN, "body": {"product": "Chè", "lot": "C-1", "origin": origin}},
            headers={**cast.producer.headers, "Accept-Language": "en"},
        )
        assert response.status_code == 422, response.text
        [error] = response.json()["errors"]
        assert error["field"] == field and error["detail"].startswith(words)
    assert await stored(ledger) == before
    made = await register(client, cast.producer, origin={"province": "46", "commune": "19768"})
    assert made["batch"]["lot"] == "BD-1"
