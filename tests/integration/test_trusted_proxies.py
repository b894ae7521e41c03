"""Per-client limits behind a reverse proxy: the proxy's word is taken only from a trusted one.

Behind nginx every connection comes from nginx: 140 shoppers scanning within a minute were
one client to the page limit (120 a minute, bursts of 30), and 103 of them were refused.
"""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx

from tests.conftest import Cast
from tests.integration.helpers import register
from trace.api.app import create_app
from trace.config import Settings, parse_networks
from trace.store.ledger import Ledger

NGINX = "10.0.0.2"
SHOPPERS = [f"203.0.113.{n}" for n in range(1, 141)]
PAGE = "/b/ZZZZZZZZZZZZZZ"  # a code that names nothing: a 404 page, counted like any page


@asynccontextmanager
async def _through(
    settings: Settings, ledger: Ledger, peer: str, trusted: str
) -> AsyncIterator[httpx.AsyncClient]:
    """A client whose connections come from ``peer``, to a service trusting ``trusted``."""
    limited = dataclasses.replace(
        settings, page_rate_per_minute=120, trusted_proxies=parse_networks(trusted)
    )
    app = create_app(limited, ledger=ledger)
    transport = httpx.ASGITransport(app=app, client=(peer, 40000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield http


async def _statuses(http: httpx.AsyncClient, forwarded: list[str]) -> list[int]:
    return [
        (await http.get(PAGE, headers={"X-Forwarded-For": value})).status_code
        for value in forwarded
    ]


async def test_140_shoppers_through_a_trusted_proxy_are_140_clients(
    settings: Settings, ledger: Ledger
) -> None:
    async with _through(settings, ledger, NGINX, "10.0.0.0/24") as nginx:
        statuses = await _statuses(nginx, SHOPPERS)
    assert statuses.count(404) == 140 and 429 not in statuses


async def test_the_header_from_a_peer_that_is_not_trusted_is_ignored(
    settings: Settings, ledger: Ledger
) -> None:
    # No proxy trusted (the default): the header is anyone's to write.
    async with _through(settings, ledger, NGINX, "") as direct:
        statuses = await _statuses(direct, SHOPPERS)
    assert statuses[0] == 404 and statuses.count(429) >= 100


async def test_a_made_up_left_most_address_does_not_evade_the_limit(
    settings: Settings, ledger: Ledger
) -> None:
    # One shopper writes a new address on each request; nginx appends the real one.
    spoofed = [f"{shopper}, 198.51.100.77" for shopper in SHOPPERS]
    async with _through(settings, ledger, NGINX, "10.0.0.0/24") as nginx:
        statuses = await _statuses(nginx, spoofed)
    assert statuses[0] == 404 and statuses.count(429) >= 100


async def test_scans_through_a_trusted_proxy_are_counted_per_shopper(
    settings: Settings, ledger: Ledger, client: httpx.AsyncClient, cast: Cast
) -> None:
    batch = (await register(client, cast.producer, gtin="8936047000128", lot="P-1"))["batch"]
    run = await client.post(
        f"/api/v1/batches/{batch['id']}/label-runs",
        json={"count": 1},
        headers=cast.producer.headers,
    )
    path = f"/01/08936047000128/10/P-1/21/{run.json()['first_serial']}"

    async def devices() -> int:
        async with ledger.engine.connect() as conn:
            return int((await conn.exec_driver_sql("SELECT count(*) FROM label_scans")).scalar())

    # Three shoppers through nginx are three devices; through an untrusted peer, one more.
    for trusted, counted in (("10.0.0.0/24", 3), ("", 4)):
        async with _through(settings, ledger, NGINX, trusted) as nginx:
            for shopper in ("203.0.113.1", "203.0.113.2", "198.51.100.3"):
                page = await nginx.get(path, headers={"X-Forwarded-For": shopper})
                assert page.status_code == 200
        assert await devices() == counted
