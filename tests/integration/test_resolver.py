"""The GS1-Conformant resolver over HTTP: link types, methods, CORS, syntax errors, description.

What the GS1-Conformant resolver standard (1.2.0) asks, each checked as a client sees it
(trace/api/resolver.py cites the requirements).
"""

from __future__ import annotations

import json
from html import unescape
from pathlib import Path
from typing import Any

import httpx
import jsonschema

from tests.conftest import Cast
from tests.integration.helpers import record, register

GTIN = "8936047000128"
PATH = "/01/08936047000128/10/R-1"
PAGE = f"https://trace.example.vn{PATH}"
SCHEMA = Path(__file__).parent / "gs1" / "resolver-description-file-schema-1.2.0.json"
CERTIFICATE = {
    "scheme": "ocop",
    "certificate_number": "OCOP-01-2026-15",
    "issuer": "UBND thành phố Hà Nội",
    "issuer_level": "province",
    "stars": 4,
    "decision_number": "1234/QĐ-UBND",
    "valid_from": "2026-01-15",
    "valid_until": "2029-01-14",
}


async def _batch(client: httpx.AsyncClient, cast: Cast) -> dict[str, Any]:
    return dict((await register(client, cast.producer, gtin=GTIN, lot="R-1"))["batch"])


async def test_link_type_linkset_and_all_answer_with_the_linkset_without_a_redirect(
    client: httpx.AsyncClient, cast: Cast
) -> None:
    await _batch(client, cast)
    for link_type in ("linkset", "all"):
        # A browser's Accept: the query wins over content negotiation.
        answer = await client.get(
            PATH, params={"linkType": link_type}, headers={"Accept": "text/html,*/*;q=0.8"}
        )
        assert answer.status_code == 200, link_type
        assert answer.headers["content-type"].startswith("application/linkset+json")
        [links] = answer.json()["linkset"]
        assert links["anchor"] == PAGE
        assert links["https://gs1.org/voc/pip"][0]["href"] == PAGE
        # Exactly one default link: a title, and no other attribute.
        [default] = links["https://gs1.org/voc/defaultLink"]
        assert default == {"href": PAGE, "title": "Bưởi Diễn"}


async def test_a_gs1_link_type_redirects_to_that_link_with_the_query_passed_on(
    client: httpx.AsyncClient, cast: Cast
) -> None:
    batch = await _batch(client, cast)
    pip = await client.get(PATH, params={"linkType": "gs1:pip", "lang": "en"})
    assert pip.status_code == 307 and pip.headers["location"] == f"{PAGE}?lang=en"
    assert 'rel="linkset"' in pip.headers["link"]
    trace = await client.get(PATH, params={"linkType": "https://ref.gs1.org/voc/traceability"})
    assert trace.status_code == 307 and trace.headers["location"] == f"{PAGE}?format=jsonld"
    followed = await client.get(trace.headers["location"].removeprefix("https://trace.example.vn"))
    assert followed.json()["type"] == "EPCISDocument"
    # No certificate yet: no link of that type, and a 404 says where the links are.
    missing = await client.get(
        PATH, params={"linkType": "gs1:certificationInfo"}, headers={"Accept": "application/json"}
    )
    assert missing.status_code == 404
    assert missing.headers["content-type"].startswith("application/problem+json")
    assert "linkType=linkset" in missing.json()["detail"]
    await record(client, cast.certifier, batch["id"], "certified", CERTIFICATE)
    certified = await client.get(PATH, params={"linkType": "gs1:certificationInfo"})
    assert certified.status_code == 307
    assert certified.headers["location"] == f"{PAGE}#certificates"


async def test_a_link_type_the_resolver_does_not_have_is_a_404(
    client: httpx.AsyncClient, cast: Cast
) -> None:
    await _batch(client, cast)
    for link_type in ("gs1:nosuchlt", "schema:url", "pip"):
        answer = await client.get(
            PATH, params={"linkType": link_type}, headers={"Accept": "application/json"}
        )
        assert answer.status_code == 404, link_type
        assert answer.json()["code"] == "not_found" and link_type in answer.json()["detail"]
    page = await client.get(PATH, params={"linkType": "gs1:nosuchlt", "lang": "en"})
    assert page.status_code == 404 and "no link of type 'gs1:nosuchlt'" in unescape(page.text)
    # An unknown batch stays a 404 whatever the link type.
    unknown = "/01/08936047000128/10/NOPE"
    assert (await client.get(unknown, params={"linkType": "gs1:pip"})).status_code == 404


async def test_a_wrong_gtin_check_digit_is_a_400_naming_the_right_digit(
    client: httpx.AsyncClient,
) -> None:
    wrong = "/01/08936047000129/10/R-1"
    problem = await client.get(wrong, headers={"Accept": "application/json"})
    assert problem.status_code == 400
    assert problem.headers["content-type"].startswith("application/problem+json")
    body = problem.json()
    assert body["code"] == "invalid_identifier" and body["reason"] == "gtin_check_digit"
    assert body["expected"] == 8 and body["value"] == "08936047000129"
    english = await client.get(
        wrong, headers={"Accept": "application/json", "Accept-Language": "en"}
    )
    assert "it should be 8, not 9" in english.json()["detail"]
    page = await client.get(wrong, params={"lang": "en"})
    assert page.status_code == 400 and "it should be 8, not 9" in page.text
    assert "This is not a valid product code" in page.text
    vietnamese = await client.get(wrong)
    assert vietnamese.status_code == 400 and "phải là 8" in vietnamese.text
    # Any other path that is not a Digital Link of the ledger is a 400 too.
    for path in ("/01/abc/10/x", "/01/08936047000128", "/01/08936047000128/22/X/10/Y"):
        assert (await client.get(path)).status_code == 400, path


async def test_a_trailing_slash_leads_to_the_page(client: httpx.AsyncClient, cast: Cast) -> None:
    await _batch(client, cast)
    moved = await client.get(f"{PATH}/", params={"lang": "en"})
    assert moved.status_code == 308 and moved.headers["location"] == f"{PATH}?lang=en"


async def test_a_link_printed_in_capitals_before_still_resolves(
    client: httpx.AsyncClient, cast: Cast
) -> None:
    await _batch(client, cast)
    # What the labels held until this release: scheme and host in capitals, the path as is.
    printed = await client.get(f"HTTPS://TRACE.EXAMPLE.VN{PATH}")
    assert printed.status_code == 200 and "R-1" in printed.text


async def test_head_and_options_are_answered_on_the_resolver_paths(
    client: httpx.AsyncClient, cast: Cast
) -> None:
    await _batch(client, cast)
    for path in (PATH, f"{PATH}?linkType=linkset", "/.well-known/gs1resolver"):
        got = await client.get(path)
        head = await client.head(path)
        assert head.status_code == got.status_code == 200 and head.content == b"", path
        assert head.headers["content-type"] == got.headers["content-type"], path
        options = await client.options(path)
        assert options.status_code == 204, path
        allowed = {method.strip() for method in options.headers["allow"].split(",")}
        assert {"GET", "HEAD", "OPTIONS"} <= allowed, path
    redirect = await client.head(PATH, params={"linkType": "gs1:pip"})
    assert redirect.status_code == 307 and redirect.headers["location"] == PAGE


async def test_a_cors_preflight_is_answered_on_the_resolver_and_epcis_paths(
    client: httpx.AsyncClient, cast: Cast
) -> None:
    preflight = {
        "Origin": "https://shop.example",
        "Access-Control-Request-Method": "GET",
        "Access-Control-Request-Headers": "authorization",
    }
    for path in (PATH, "/.well-known/gs1resolver", "/epcis/events"):
        answer = await client.options(path, headers=preflight)
        assert answer.status_code == 204, path
        assert answer.headers["access-control-allow-origin"] == "*", path
        assert "GET" in answer.headers["access-control-allow-methods"], path
        assert "Authorization" in answer.headers["access-control-allow-headers"], path
    # The console's paths are not open to other origins.
    closed = await client.options("/api/v1/batches", headers=preflight)
    assert "access-control-allow-origin" not in closed.headers


async def test_machine_formats_allow_any_origin_and_html_pages_do_not(
    client: httpx.AsyncClient, cast: Cast
) -> None:
    batch = await _batch(client, cast)
    origin = {"Origin": "https://shop.example"}
    machine = [
        (PATH, "application/linkset+json"),
        (PATH, "application/ld+json"),
        (PATH, "application/json"),
        (f"/b/{batch['code']}", "application/json"),
        ("/.well-known/gs1resolver", "application/json"),
        ("/01/08936047000129/10/R-1", "application/json"),  # a problem
    ]
    for path, accept in machine:
        answer = await client.get(path, headers={**origin, "Accept": accept})
        assert answer.headers.get("access-control-allow-origin") == "*", (path, accept)
        assert "Link" in answer.headers["access-control-expose-headers"]
    redirect = await client.get(PATH, params={"linkType": "gs1:pip"}, headers=origin)
    assert redirect.headers["access-control-allow-origin"] == "*"
    events = await client.get("/epcis/events", headers={**origin, **cast.authority.headers})
    assert events.status_code == 200 and events.headers["access-control-allow-origin"] == "*"
    for path in (PATH, f"/b/{batch['code']}", "/01/08936047000129/10/R-1"):
        page = await client.get(path, headers={**origin, "Accept": "text/html"})
        assert page.headers["content-type"].startswith("text/html")
        assert "access-control-allow-origin" not in page.headers, path


async def test_the_resolver_description_validates_against_gs1_schema(
    client: httpx.AsyncClient, cast: Cast
) -> None:
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    answer = await client.get("/.well-known/gs1resolver")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("application/json")
    description = answer.json()
    validator = jsonschema.Draft7Validator(schema, format_checker=jsonschema.FormatChecker())
    assert [error.message for error in validator.iter_errors(description)] == []
    # Nothing the schema does not describe, at the top or in the contact.
    assert set(description) <= set(schema["properties"])
    assert set(description["contact"]) <= set(schema["properties"]["contact"]["properties"])
    assert description["resolverRoot"] == "https://trace.example.vn"
    assert description["supportedLinkType"] == [
        {"namespace": "https://gs1.org/voc/", "prefix": "gs1:"}
    ]
    # The contact is the agency that operates the service.
    assert description["contact"] == {"fn": "Vận hành"}
