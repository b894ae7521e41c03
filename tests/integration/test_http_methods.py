"""HTTP methods at the edge: Allow on every 405, and HEAD answered like GET.

Security review of b0cfdce, finding 7: 405s without ``Allow`` (RFC 9110 §15.5.6), and 405
to HEAD on the public pages (RFC 9110 §9.3.2).
"""

from __future__ import annotations

import re

import httpx
import pytest

from tests.conftest import Cast
from tests.integration.helpers import register

GTIN = "8936047000128"
# What differs between two answers to the same request by nature, not by method.
_PER_ANSWER = {"date", "content-length", "x-request-id"}


async def test_every_405_names_the_methods_of_its_address(client: httpx.AsyncClient) -> None:
    spec = (await client.get("/schema/openapi.json")).json()
    assert len(spec["paths"]) >= 30
    for template, item in spec["paths"].items():
        path = re.sub(r"\{[^}]+\}", "x", template)
        documented = {method.upper() for method in item if method != "parameters"}
        # PATCH is only a report's method (its state), and a report has no PUT.
        unused = "PUT" if "PATCH" in documented else "PATCH"
        assert unused not in documented, template
        response = await client.request(unused, path)
        assert response.status_code == 405, (template, response.text)
        assert response.headers["content-type"].startswith("application/problem+json")
        allowed = {m.strip() for m in response.headers["allow"].split(",")}
        assert documented <= allowed, (template, allowed)
        assert allowed - documented <= {"OPTIONS", "HEAD"}, (template, allowed)


async def test_a_405_on_a_public_page_names_get_and_head(client: httpx.AsyncClient) -> None:
    response = await client.post("/b/ZZZZZZZZZZZZZZ")
    assert response.status_code == 405
    assert {"GET", "HEAD"} <= {m.strip() for m in response.headers["allow"].split(",")}


def _comparable(headers: httpx.Headers) -> dict[str, str]:
    return {name: value for name, value in headers.items() if name not in _PER_ANSWER}


@pytest.mark.parametrize("accept", ["text/html", "application/json"])
async def test_head_on_public_pages_is_answered_like_get_without_a_body(
    client: httpx.AsyncClient, cast: Cast, accept: str
) -> None:
    batch = (await register(client, cast.producer, gtin=GTIN, lot="BD-9"))["batch"]
    paths = [
        f"/b/{batch['code']}",
        f"/b/{batch['code'].lower()}",  # a redirect
        "/b/ZZZZZZZZZZZZZZ",  # not found
        f"/01/0{GTIN}/10/BD-9",
        f"/check?code={batch['code']}",
        "/.well-known/gs1resolver",
        "/robots.txt",
    ]
    for path in paths:
        headers = {"Accept": accept, "Accept-Encoding": "gzip"}
        # The first JSON page signs a checkpoint, which moves every page's ETag: ask twice.
        await client.get(path, headers=headers)
        got = await client.get(path, headers=headers)
        head = await client.head(path, headers=headers)
        assert head.status_code == got.status_code != 405, path
        assert _comparable(head.headers) == _comparable(got.headers), path
        assert head.content == b"", path
        if "content-length" in got.headers:
            assert head.headers["content-length"] == got.headers["content-length"], path


async def test_head_on_the_open_data_catalogue_and_files_is_answered_like_get(
    client: httpx.AsyncClient, cast: Cast
) -> None:
    await register(client, cast.producer)
    for path in ("/open-data/", "/open-data/datapackage.json", "/open-data/nothing.csv"):
        got = await client.get(path)
        head = await client.head(path)
        assert head.status_code == got.status_code != 405, path
        assert _comparable(head.headers) == _comparable(got.headers), path
        assert head.content == b"", path
