"""An organisation's contact: given at creation, changed by the agency itself, checked as
given, and shown on its pages; a household's never is.

Circular 02/2024/TT-BKHCN lists the producer's name and address among what a consumer is
shown; the issue adds its phone and website where given (issue 15).
"""

from __future__ import annotations

from datetime import date
from typing import Any

import httpx

from tests.conftest import Cast, make_member
from tests.integration.helpers import register
from trace.domain.agency import AgencyKind
from trace.domain.contact import Contact
from trace.domain.scopes import Scope
from trace.public.view import build_view
from trace.store.agencies import create_token
from trace.store.batches import find_batch
from trace.store.database import read_transaction
from trace.store.ledger import Ledger

CONTACT = {
    "phone": "+84 24 3999 0412",
    "address": "Thôn Phú Thượng, phường Phú Thượng, Hà Nội",
    "website": "https://buoidien.example/gioi-thieu",
}


def _errors(answer: dict[str, Any]) -> dict[str, str]:
    return {error["field"]: error["detail"] for error in answer["errors"]}


async def _contact_of(client: httpx.AsyncClient, member: Any, agency_id: str) -> dict[str, Any]:
    response = await client.get(f"/api/v1/agencies/{agency_id}", headers=member.headers)
    assert response.status_code == 200, response.text
    agency = response.json()["agency"]
    return {name: agency[name] for name in ("phone", "address", "website")}


async def test_an_organisation_is_created_with_its_contact_and_shows_it(
    client: httpx.AsyncClient, cast: Cast
) -> None:
    response = await client.post(
        "/api/v1/agencies",
        json={"name": "HTX Bưởi Phú Thượng", "kind": "producer", "province": "01", **CONTACT},
        headers=cast.operator.headers,
    )
    assert response.status_code == 201, response.text
    made = response.json()["agency"]
    assert {name: made[name] for name in CONTACT} == CONTACT
    assert await _contact_of(client, cast.operator, made["id"]) == CONTACT


async def test_an_agency_without_a_contact_shows_none(
    client: httpx.AsyncClient, cast: Cast
) -> None:
    assert await _contact_of(client, cast.producer, cast.producer.id) == {
        "phone": None,
        "address": None,
        "website": None,
    }


async def test_the_agency_sets_its_own_contact_and_a_part_left_out_is_cleared(
    client: httpx.AsyncClient, cast: Cast
) -> None:
    path = f"/api/v1/agencies/{cast.producer.id}/contact"
    first = await client.put(path, json=CONTACT, headers=cast.producer.headers)
    assert first.status_code == 200, first.text
    assert {name: first.json()[name] for name in CONTACT} == CONTACT
    second = await client.put(path, json={"phone": "0912 345 678"}, headers=cast.producer.headers)
    assert second.status_code == 200, second.text
    assert await _contact_of(client, cast.producer, cast.producer.id) == {
        "phone": "0912 345 678",
        "address": None,
        "website": None,
    }
    # The operator may set anyone's.
    by_operator = await client.put(path, json=CONTACT, headers=cast.operator.headers)
    assert by_operator.status_code == 200, by_operator.text
    assert await _contact_of(client, cast.producer, cast.producer.id) == CONTACT


async def test_another_agency_or_a_token_without_admin_cannot_change_a_contact(
    client: httpx.AsyncClient, cast: Cast, ledger: Ledger
) -> None:
    path = f"/api/v1/agencies/{cast.producer.id}/contact"
    await client.put(path, json=CONTACT, headers=cast.producer.headers)
    stranger = await client.put(
        path, json={"phone": "0900 000 000"}, headers=cast.other_producer.headers
    )
    assert stranger.status_code == 403, stranger.text
    assert stranger.json()["rule"] == "own_agency_only"
    worker = await create_token(ledger, cast.producer.id, "Người ghi", {Scope.RECORD})
    no_admin = await client.put(
        path, json={"phone": "0900 000 000"}, headers={"Authorization": f"Bearer {worker}"}
    )
    assert no_admin.status_code == 403, no_admin.text
    assert no_admin.json()["rule"] == "scope_admin"
    assert await _contact_of(client, cast.producer, cast.producer.id) == CONTACT


async def test_a_wrong_phone_and_website_are_refused_naming_each_in_both_languages(
    client: httpx.AsyncClient, cast: Cast
) -> None:
    path = f"/api/v1/agencies/{cast.producer.id}/contact"
    await client.put(path, json=CONTACT, headers=cast.producer.headers)
    wrong = {"phone": "gọi 0912-345-678", "website": "buoidien.example"}
    expected = {
        "vi": ("một số điện thoại: chữ số và dấu cách", "bắt đầu bằng http:// hoặc https://"),
        "en": ("a phone number: digits and spaces", "starts with http:// or https://"),
    }
    for lang, (phone, website) in expected.items():
        headers = {**cast.producer.headers, "Accept-Language": lang}
        response = await client.put(path, json=wrong, headers=headers)
        assert response.status_code == 400, response.text
        errors = _errors(response.json())
        assert set(errors) == {"phone", "website"}
        assert phone in errors["phone"] and website in errors["website"]
    # The same words at creation; nothing was changed or made.
    created = await client.post(
        "/api/v1/agencies",
        json={"name": "HTX Sai", "kind": "producer", **wrong},
        headers={**cast.operator.headers, "Accept-Language": "vi"},
    )
    assert created.status_code == 400 and set(_errors(created.json())) == {
        "phone",
        "website",
    }
    assert await _contact_of(client, cast.producer, cast.producer.id) == CONTACT


async def test_the_page_view_gives_an_organisations_contact_and_never_a_households(
    client: httpx.AsyncClient, cast: Cast, ledger: Ledger
) -> None:
    contact = Contact(**CONTACT)
    await client.put(
        f"/api/v1/agencies/{cast.producer.id}/contact", json=CONTACT, headers=cast.producer.headers
    )
    farmer = await make_member(
        ledger,
        "Hộ ông Nguyễn Văn Thắng",
        AgencyKind.PRODUCER,
        household=True,
        province="33",
        commune="12364",
        contact=contact,
    )
    organisation = (await register(client, cast.producer))["batch"]["id"]
    household = (await register(client, farmer, lot="THOC-1"))["batch"]["id"]
    silent = (await register(client, cast.other_producer, lot="CHE-1"))["batch"]["id"]
    async with read_transaction(ledger.engine) as conn:
        views = [
            await build_view(conn, await find_batch(conn, batch), today=date(2026, 9, 2))
            for batch in (organisation, household, silent)
        ]
    assert [view.producer_contact for view in views] == [contact, None, None]


async def test_a_households_contact_is_read_only_by_itself_and_the_operator(
    client: httpx.AsyncClient, cast: Cast, ledger: Ledger
) -> None:
    farmer = await make_member(
        ledger,
        "Hộ bà Trần Thị Huệ",
        AgencyKind.PRODUCER,
        household=True,
        province="33",
        commune="12361",
        contact=Contact(phone="0912 000 361", address="Thôn Hoa, xã Tiên Hoa, Hưng Yên"),
    )
    given = {"phone": "0912 000 361", "address": "Thôn Hoa, xã Tiên Hoa, Hưng Yên", "website": None}
    hidden = {"phone": None, "address": None, "website": None}
    assert await _contact_of(client, farmer, farmer.id) == given
    assert await _contact_of(client, cast.operator, farmer.id) == given
    assert await _contact_of(client, cast.distributor, farmer.id) == hidden
    # An organisation's contact is for anyone to read.
    await client.put(
        f"/api/v1/agencies/{cast.producer.id}/contact", json=CONTACT, headers=cast.producer.headers
    )
    assert await _contact_of(client, cast.distributor, cast.producer.id) == CONTACT
