"""Master data over HTTP: an agency names its GLNs and GTINs, nobody else may, and the names
reach the EPCIS documents (beside the events, whose IDs do not change) and the pages."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import Cast, make_member
from tests.integration.test_console_inspect import _signed_in
from tests.integration.test_epcis_capture import (
    capture,
    document,
    job_of,
    observation,
    official_schema,
    query,
)
from tests.integration.test_epcis_query import GTIN, day, registered
from tests.integration.test_opendata import export
from trace.api.app import create_app
from trace.config import Settings
from trace.demo import MILL_GLN, POMELO_GARDEN_GLN, load_demo
from trace.domain.agency import AgencyKind
from trace.domain.event_hash import event_hash_id
from trace.domain.master_data import BUSINESS_LOCATION, EPC_CLASS, MDA, READ_POINT
from trace.domain.scopes import Scope
from trace.store.agencies import create_token
from trace.store.database import read_transaction
from trace.store.ledger import Ledger
from trace.store.master_data import location_name, product_name

GLN = "8936047000012"  # the readPoint of the captured observation: urn:epc:id:sgln:8936047.00001.0
GARDEN = {
    "name_vi": "Vườn bưởi Phú Thượng",
    "name_en": "Phu Thuong pomelo garden",
    "address": "Thôn 3, Phú Thượng",
    "province": "01",
    "commune": "00091",
    "latitude": 21.0867,
    "longitude": 105.8123,
}
POMELO = {"name_vi": "Bưởi Diễn", "name_en": "Dien pomelo"}


async def _put(client: httpx.AsyncClient, member: Any, path: str, body: Any) -> httpx.Response:
    return await client.put(
        f"/api/v1/agencies/{member.id}/{path}", json=body, headers=member.headers
    )


async def _named(client: httpx.AsyncClient, cast: Cast) -> None:
    located = await _put(client, cast.producer, f"locations/{GLN}", GARDEN)
    assert located.status_code == 200, located.text
    product = await _put(client, cast.producer, f"products/{GTIN}", POMELO)
    assert product.status_code == 200, product.text


async def test_an_agency_registers_its_locations_and_products_and_anyone_reads_them(
    client: httpx.AsyncClient, cast: Cast, ledger: Ledger
) -> None:
    await _named(client, cast)
    listed = await client.get(f"/api/v1/agencies/{cast.producer.id}/locations")
    assert listed.status_code == 200, listed.text
    [garden] = listed.json()
    assert garden == {
        **GARDEN,
        "gln": GLN,
        "uri": f"https://id.gs1.org/414/{GLN}",
        "agency_id": cast.producer.id,
    }
    one = await client.get(f"/api/v1/products/{GTIN}")  # a GTIN-13 is read as its GTIN-14
    assert one.status_code == 200, one.text
    assert one.json()["gtin"] == "0" + GTIN and one.json()["name_en"] == "Dien pomelo"
    # Registering again renames; what is left out is cleared.
    renamed = {**GARDEN, "name_en": "Phu Thuong garden"}
    del renamed["latitude"], renamed["longitude"]
    again = await _put(client, cast.producer, f"locations/{GLN}", renamed)
    assert again.status_code == 200, again.text
    assert again.json()["latitude"] is None
    async with read_transaction(ledger.engine) as conn:
        assert await location_name(conn, GLN, "en") == "Phu Thuong garden"
        assert await product_name(conn, GTIN, "vi") == "Bưởi Diễn"
        assert await product_name(conn, "08936047000135", "vi") is None


async def test_another_agencys_code_a_wrong_check_digit_or_place_is_refused_and_changes_nothing(
    client: httpx.AsyncClient, cast: Cast, ledger: Ledger
) -> None:
    await _named(client, cast)
    refusals = [
        (cast.other_producer, f"locations/{GLN}", GARDEN, 409, "master_data_taken"),
        (cast.other_producer, f"products/{GTIN}", POMELO, 409, "master_data_taken"),
        (cast.producer, "locations/8936047000013", GARDEN, 422, "invalid_identifier"),
        (cast.producer, "products/8936047000129", POMELO, 422, "invalid_identifier"),
        (cast.producer, f"locations/{GLN}", {**GARDEN, "province": "99"}, 422, "unknown_place"),
        (cast.producer, f"locations/{GLN}", {**GARDEN, "commune": "26734"}, 422, "unknown_place"),
    ]
    for member, path, body, status, code in refusals:
        details = set()
        for lang in ("vi", "en"):
            answer = await client.put(
                f"/api/v1/agencies/{member.id}/{path}",
                json={**body, "name_vi": "Tên khác"},
                headers={**member.headers, "Accept-Language": lang},
            )
            assert answer.status_code == status, (path, answer.text)
            problem = answer.json()
            assert problem["code"] == code and problem["lang"] == lang, problem
            details.add(problem["detail"])
        assert len(details) == 2, details  # worded in each language
    taken = await client.put(
        f"/api/v1/agencies/{cast.other_producer.id}/locations/{GLN}",
        json=GARDEN,
        headers={**cast.other_producer.headers, "Accept-Language": "en"},
    )
    assert "registered by another agency" in taken.json()["detail"]
    async with read_transaction(ledger.engine) as conn:
        assert await location_name(conn, GLN, "vi") == GARDEN["name_vi"]
        assert await product_name(conn, GTIN, "vi") == POMELO["name_vi"]
    missing = await client.get("/api/v1/locations/8936047000029")
    assert missing.status_code == 404 and missing.json()["what"] == "location"


async def test_only_the_agencys_admin_the_operator_and_no_household_register(
    client: httpx.AsyncClient, cast: Cast, ledger: Ledger
) -> None:
    worker = await create_token(ledger, cast.producer.id, "Người ghi", {Scope.RECORD})
    no_admin = await client.put(
        f"/api/v1/agencies/{cast.producer.id}/products/{GTIN}",
        json=POMELO,
        headers={"Authorization": f"Bearer {worker}"},
    )
    assert no_admin.status_code == 403 and no_admin.json()["rule"] == "scope_admin"
    stranger = await client.put(
        f"/api/v1/agencies/{cast.producer.id}/products/{GTIN}",
        json=POMELO,
        headers=cast.other_producer.headers,
    )
    assert stranger.status_code == 403 and stranger.json()["rule"] == "own_agency_only"
    by_operator = await client.put(
        f"/api/v1/agencies/{cast.producer.id}/products/{GTIN}",
        json=POMELO,
        headers=cast.operator.headers,
    )
    assert by_operator.status_code == 200 and by_operator.json()["agency_id"] == cast.producer.id
    household = await make_member(ledger, "Nguyễn Văn A", AgencyKind.PRODUCER, household=True)
    refused = await _put(client, household, f"locations/{GLN}", GARDEN)
    assert refused.status_code == 403 and refused.json()["rule"] == "household_location"


def _vocabulary(vocabulary: list[dict[str, Any]]) -> dict[str, dict[str, list[Any]]]:
    """Each type's elements by id, each with its attributes' values by attribute name."""
    found: dict[str, dict[str, list[Any]]] = {}
    for kind in vocabulary:
        for element in kind["vocabularyElementList"]:
            values = [(a["id"].removeprefix(MDA), a["attribute"]) for a in element["attributes"]]
            found.setdefault(kind["type"], {})[element["id"]] = values  # type: ignore[assignment]
    return found


async def test_epcis_queries_carry_the_names_beside_events_whose_ids_do_not_change(
    client: httpx.AsyncClient, cast: Cast
) -> None:
    await registered(client, cast.producer, day(1), product="Bưởi", lot="BD-1", gtin=GTIN)
    job = await job_of(
        client, cast.producer, await capture(client, cast.producer, document(observation()))
    )
    before = await query(client, cast)
    await _named(client, cast)
    answer = await client.get("/epcis/events", headers=cast.authority.headers)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    official_schema().validate(body)
    results = body["epcisBody"]["queryResults"]["resultsBody"]
    assert results["eventList"] == before
    assert job["capturedEventIDs"][0] in [event["eventID"] for event in before]
    vocabulary = _vocabulary(results["vocabularyList"])
    place = vocabulary[READ_POINT]["urn:epc:id:sgln:8936047.00001.0"]
    assert ("name", {"@value": GARDEN["name_vi"], "@language": "vi"}) in place
    assert ("countryCode", "VN") in place and ("state", "Hà Nội") in place
    product = vocabulary[EPC_CLASS][f"https://id.gs1.org/01/0{GTIN}"]
    assert ("descriptionShort", {"@value": "Dien pomelo", "@language": "en"}) in product
    # The ledger's own events name agencies as places: an organisation by its name.
    producer = vocabulary[BUSINESS_LOCATION][
        f"https://trace.example.vn/agencies/{cast.producer.id}"
    ]
    assert ("name", "HTX Bưởi Diễn") in producer and ("state", "Hà Nội") in producer


async def test_a_household_named_as_a_place_is_given_no_master_data(
    client: httpx.AsyncClient, cast: Cast, ledger: Ledger
) -> None:
    household = await make_member(
        ledger, "Nguyễn Văn A", AgencyKind.PRODUCER, household=True, province="01"
    )
    await registered(client, household, day(1), product="Bưởi", lot="BD-1", gtin=GTIN)
    answer = await client.get("/epcis/events", headers=cast.authority.headers)
    body = answer.json()
    official_schema().validate(body)
    results = body["epcisBody"]["queryResults"]["resultsBody"]
    assert f"/agencies/{household.id}" in json.dumps(results["eventList"])
    assert "Nguyễn Văn A" not in answer.text and "vocabularyList" not in results


async def test_the_pages_epcis_document_has_the_product_in_its_header_and_validates(
    client: httpx.AsyncClient, cast: Cast
) -> None:
    await registered(client, cast.producer, day(1), product="Bưởi", lot="BD-1", gtin=GTIN)
    await _named(client, cast)
    page = await client.get(f"/01/0{GTIN}/10/BD-1", headers={"Accept": "application/ld+json"})
    assert page.status_code == 200, page.text
    document_ = page.json()
    official_schema().validate(document_)
    vocabulary = _vocabulary(document_["epcisHeader"]["epcisMasterData"]["vocabularyList"])
    assert list(vocabulary[EPC_CLASS]) == [f"https://id.gs1.org/01/0{GTIN}"]
    for event in document_["epcisBody"]["eventList"]:
        assert event["eventID"] == event_hash_id(event, document_["@context"])


async def test_the_shoppers_page_names_a_captured_events_place_or_says_its_gln(
    client: httpx.AsyncClient, cast: Cast
) -> None:
    await registered(client, cast.producer, day(1), product="Bưởi", lot="BD-1", gtin=GTIN)
    await job_of(
        client, cast.producer, await capture(client, cast.producer, document(observation()))
    )
    path = f"/01/0{GTIN}/10/BD-1"
    unnamed = await client.get(path, params={"lang": "en"})
    assert f"the location with GLN {GLN}" in unnamed.text
    await _named(client, cast)
    for lang, name in (("vi", GARDEN["name_vi"]), ("en", GARDEN["name_en"])):
        page = await client.get(path, params={"lang": lang})
        assert page.status_code == 200, page.text
        assert f'<span class="location">{name}</span>' in page.text


async def test_the_demo_names_its_garden_mill_and_products_and_its_documents_carry_them(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    await load_demo(settings)
    garden = await client.get(f"/api/v1/locations/{POMELO_GARDEN_GLN}")
    assert garden.status_code == 200 and garden.json()["name_vi"] == "Vườn bưởi Diễn Phú Thượng"
    mill = await client.get(f"/api/v1/locations/{MILL_GLN}")
    assert mill.status_code == 200 and mill.json()["province"] == "33"
    page = await client.get(
        "/01/08936047000128/10/BD-2026-09", headers={"Accept": "application/ld+json"}
    )
    document_ = page.json()
    official_schema().validate(document_)
    vocabulary = _vocabulary(document_["epcisHeader"]["epcisMasterData"]["vocabularyList"])
    pomelo = vocabulary[EPC_CLASS]["https://id.gs1.org/01/08936047000128"]
    assert ("descriptionShort", {"@value": "Phu Thuong Dien pomelo", "@language": "en"}) in pomelo


@pytest.fixture
async def browser(settings: Settings, ledger: Ledger) -> AsyncIterator[httpx.AsyncClient]:
    """A browser's client over https, as the console's Secure cookie needs."""
    transport = httpx.ASGITransport(app=create_app(settings, ledger=ledger))
    async with httpx.AsyncClient(transport=transport, base_url="https://testserver") as http:
        yield http


async def test_the_officers_history_says_where_a_captured_event_happened_by_name(
    browser: httpx.AsyncClient, cast: Cast
) -> None:
    client = browser
    batch = await registered(client, cast.producer, day(1), product="Bưởi", lot="BD-1", gtin=GTIN)
    await job_of(
        client, cast.producer, await capture(client, cast.producer, document(observation()))
    )
    await _signed_in(client, cast.authority.token)
    path = f"/api/v1/console/batches/{batch['id']}/history"

    async def place() -> dict[str, Any]:
        history = await client.get(path, params={"lang": "en"})
        assert history.status_code == 200, history.text
        [captured] = [r for r in history.json()["records"] if r["kind"] == "epcis_event"]
        return dict(captured["fields"][0])

    assert await place() == {"depth": 0, "label": "Place", "value": f"the location with GLN {GLN}"}
    await _named(client, cast)
    named = f"{GARDEN['name_en']} (GLN {GLN})"
    assert await place() == {"depth": 0, "label": "Place", "value": named}


async def test_the_open_data_epcis_document_names_the_products_of_its_batches_in_its_header(
    client: httpx.AsyncClient, cast: Cast, ledger: Ledger, tmp_path: Path
) -> None:
    await registered(client, cast.producer, day(1), product="Bưởi", lot="BD-1", gtin=GTIN)
    await _named(client, cast)
    other = {"name_vi": "Chè Thái", "name_en": "Thai tea"}
    # A product nobody's batch carries is not in the export.
    unused = await _put(client, cast.other_producer, "products/8936047000135", other)
    assert unused.status_code == 200, unused.text
    await export(ledger, tmp_path / "pkg")
    document_ = json.loads((tmp_path / "pkg" / "events.epcis.jsonld").read_text(encoding="utf-8"))
    official_schema().validate(document_)
    vocabulary = _vocabulary(document_["epcisHeader"]["epcisMasterData"]["vocabularyList"])
    assert list(vocabulary) == [EPC_CLASS]
    assert list(vocabulary[EPC_CLASS]) == [f"https://id.gs1.org/01/0{GTIN}"]
    for event in document_["epcisBody"]["eventList"]:
        assert event["eventID"] == event_hash_id(event, document_["@context"])
