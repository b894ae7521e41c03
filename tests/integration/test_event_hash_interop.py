"""One Event Hash ID per record, the one GS1's reference tool computes (issue 17).

The demo is loaded once per database. Every event it publishes, through the inspectors'
query interface, the public pages (JSON-LD) and the open-data export, is hashed again by
``epcis-event-hash-generator`` (:mod:`tests.reference_hash`): each ID must be the one we
published, and a record must have one ID on every surface. Then a document whose
``@context`` redefines a protected term is sent to capture, and every page of
``/epcis/events`` must still answer and still be readable JSON-LD.
"""

from __future__ import annotations

import base64
import csv
import json
import secrets
import shutil
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from pyld import jsonld
from sqlalchemy import select

from tests.conftest import REQUIRE_POSTGRES
from tests.integration.test_epcis_capture import EXAMPLES, observation
from tests.integration.test_epcis_capture import document as epcis_document
from tests.reference_hash import offline_documents, reference_hash_ids
from trace.api.app import create_app
from trace.config import Settings
from trace.demo import load_demo
from trace.domain.event_hash import document_events, event_hash_id
from trace.epcis.vocabulary import BIZ_STEPS, DISPOSITIONS, PARTY_TYPES, TRANSACTION_TYPES
from trace.opendata.export import Site, cut_package
from trace.store.agencies import create_token
from trace.store.batches import all_batches
from trace.store.custody import MasterKey
from trace.store.database import connect, read_transaction
from trace.store.ledger import Ledger
from trace.store.tables import agencies

HOSTILE = EXAMPLES / "WithFullCombinationOfFields__transformation_event_all_possible_fields.jsonld"
POMELO_CLASS = "https://id.gs1.org/01/08936047000128/10/BD-2026-09"
CBV_TERMS = BIZ_STEPS | DISPOSITIONS | PARTY_TYPES | TRANSACTION_TYPES


@dataclass
class Published:
    """The demo's ledger, an HTTP client for it, and what it publishes on each surface."""

    ledger: Ledger
    http: httpx.AsyncClient
    inspector: dict[str, str]
    producer: dict[str, str]
    query: dict[str, Any] = field(default_factory=dict)
    pages: list[dict[str, Any]] = field(default_factory=list)
    opendata: dict[str, Any] = field(default_factory=dict)
    rows: list[dict[str, str]] = field(default_factory=list)


def _events(document: dict[str, Any]) -> list[dict[str, Any]]:
    return [dict(event) for event, _ in document_events(document)]


async def _database(request: pytest.FixtureRequest, folder: Path) -> tuple[str, Any]:
    if request.param == "sqlite":
        path = folder / "trace.sqlite3"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        return f"sqlite:///{path}", None
    server = request.getfixturevalue("postgres")
    if server.error is not None:
        if REQUIRE_POSTGRES:
            pytest.fail(server.error + " (TRACE_REQUIRE_POSTGRES=1)")
        pytest.skip(server.error)
    return await server.create(), server


async def _token(ledger: Ledger, kind: str) -> dict[str, str]:
    async with read_transaction(ledger.engine) as conn:
        agency = (
            await conn.execute(select(agencies.c.id).where(agencies.c.kind == kind).limit(1))
        ).scalar_one()
    return {"Authorization": f"Bearer {await create_token(ledger, agency, 'Kiểm thử')}"}


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
async def published(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Published]:
    folder = tmp_path_factory.mktemp(f"interop-{request.param}")
    url, server = await _database(request, folder)
    key = base64.b64encode(secrets.token_bytes(32)).decode()
    settings = Settings(
        database_url=url,
        data_dir=folder / "data",
        public_url="https://trace.example.vn",
        master_key_b64=key,
        max_body_bytes=256 * 1024,
    )
    await load_demo(settings)
    ledger = Ledger(engine=connect(url), master_key=MasterKey(base64.b64decode(key)))
    transport = httpx.ASGITransport(app=create_app(settings, ledger=ledger))
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            seen = Published(
                ledger, http, await _token(ledger, "authority"), await _token(ledger, "producer")
            )
            answer = await http.get("/epcis/events?perPage=500", headers=seen.inspector)
            assert answer.status_code == 200 and "link" not in answer.headers
            seen.query = answer.json()
            async with read_transaction(ledger.engine) as conn:
                batches = await all_batches(conn)
            for batch in batches:
                page = await http.get(batch.public_path, params={"format": "jsonld"})
                assert page.status_code == 200, page.text
                seen.pages.append(page.json())
            out = folder / "open-data"
            await cut_package(ledger, out, Site.of("trace.example.vn/log", settings.public_url))
            seen.opendata = json.loads((out / "events.epcis.jsonld").read_text(encoding="utf-8"))
            with (out / "events.csv").open(encoding="utf-8-sig", newline="") as rows:
                seen.rows = list(csv.DictReader(rows))
            yield seen
    finally:
        await ledger.close()
        if server is not None:
            await server.drop(url)


def _surfaces(published: Published) -> Iterator[tuple[str, dict[str, Any]]]:
    yield "/epcis/events", published.query
    for page in published.pages:
        yield "public page", page
    yield "open data", published.opendata


async def test_every_event_the_demo_publishes_has_the_reference_tools_hash_id(
    published: Published,
) -> None:
    checked = 0
    for surface, document in _surfaces(published):
        events = _events(document)
        ours = [event["eventID"] for event in events]
        assert reference_hash_ids(document) == ours, surface
        assert ours == [event_hash_id(e, document["@context"]) for e in events], surface
        checked += len(events)
    assert checked >= 3 * 30  # the demo's 30 records, on three surfaces


async def test_a_record_has_one_event_id_on_the_query_the_pages_and_open_data(
    published: Published,
) -> None:
    full = {event["eventID"]: event for event in _events(published.query)}
    assert len(full) == len(published.rows) == 30
    # The events table names each record's full event beside its position and record hash.
    assert {row["event_id"] for row in published.rows} == set(full)
    for page in published.pages:
        for event in _events(page):
            assert event == full[event["eventID"]]
    given = _events(published.opendata)
    assert len(given) == len(full)
    whole = [event for event in given if event["eventID"] in full]
    redacted = [event for event in given if event["eventID"] not in full]
    assert whole and redacted
    for event in whole:  # nothing left out: the same event, so the same ID
        assert event == full[event["eventID"]]
        assert "trace:position" not in event and "trace:recordHash" not in event
    for event in redacted:  # a household or an unshown field left out: it points to the full
        origin = full[event["trace:redactedFrom"]]
        assert set(event) - {"trace:redactedFrom"} <= set(origin)
        assert {k: v for k, v in event.items() if k != "trace:redactedFrom"} != origin
    # EQ_eventID with an open-data event's ID (or the full one it names) finds the event.
    for event in (whole[0], redacted[0]):
        wanted = event.get("trace:redactedFrom", event["eventID"])
        answer = await published.http.get(
            "/epcis/events", params={"EQ_eventID": wanted}, headers=published.inspector
        )
        found = _events(answer.json())
        assert [e["eventID"] for e in found] == [wanted]


def _leaves(value: Any, key: str = "") -> Iterator[tuple[str, Any]]:
    if isinstance(value, dict):
        for name, item in value.items():
            yield from _leaves(item, name)
    elif isinstance(value, list):
        for item in value:
            yield from _leaves(item, key)
    else:
        yield key, value


def _read_two_ways(text: str) -> bool:
    """Text one implementation hashes as a number or a CBV URI and another as written."""
    try:
        number = float(text)
    except ValueError:
        return text in CBV_TERMS
    return str(int(number) if number.is_integer() else number) != text


async def test_no_published_extension_value_can_be_hashed_two_ways(
    published: Published,
) -> None:
    for surface, document in _surfaces(published):
        for event in _events(document):
            for key, value in _leaves(event):
                if key.startswith("trace:") and isinstance(value, str):
                    assert not _read_two_ways(value), (surface, key, value)


def _readable(document: dict[str, Any]) -> None:
    """JSON-LD expansion, as a partner's processor does it (the standard context offline)."""
    jsonld.expand(document, {"documentLoader": offline_documents})


async def test_a_context_that_redefines_a_protected_term_is_refused_and_spoils_no_page(
    published: Published,
) -> None:
    if not HOSTILE.exists():
        pytest.skip(f"the GS1 example is not at {HOSTILE} (../shared is absent)")
    http, headers = published.http, published.producer | {"Content-Type": "application/ld+json"}
    # A document's own context, confined to its event, is kept.
    own = epcis_document(observation(POMELO_CLASS, **{"ext:grade": "A"}))
    own["@context"] = [*own["@context"], {"ext": "https://example.vn/ext/"}]
    kept = await http.post("/epcis/capture", content=json.dumps(own), headers=headers)
    assert kept.status_code == 202, kept.text
    job = (await http.get(kept.headers["location"], headers=published.producer)).json()
    assert job["success"] is True, job["errors"]
    # GS1's example redefines cbvmda at the document's top; another event does it inside.
    inside = epcis_document(
        observation(POMELO_CLASS, **{"@context": {"eventTime": "https://x.vn/t"}})
    )
    for hostile, where, term in (
        (HOSTILE.read_bytes(), "$.@context", "cbvmda"),
        (json.dumps(inside).encode(), "$.epcisBody.eventList[0].@context", "eventTime"),
    ):
        refused = await http.post("/epcis/capture", content=hostile, headers=headers)
        assert refused.status_code == 400, refused.text
        problem = refused.json()
        assert problem["type"] == "epcisException:ValidationException"
        assert problem["code"] == "epcis_protected_term"
        assert where in problem["detail"] and term in problem["detail"]
    url: str | None = "/epcis/events?perPage=7"
    pages = 0
    while url is not None:
        answer = await http.get(url, headers=published.inspector)
        assert answer.status_code == 200, answer.text
        page = answer.json()
        _readable(page)
        # The kept event's own context is the page's: the reference tool reads it there.
        assert reference_hash_ids(page) == [event["eventID"] for event in _events(page)]
        pages += 1
        link = answer.headers.get("link")
        url = link.split(";")[0].strip("<>") if link else None
    assert pages == 5  # 31 events: the demo's 30 and the one kept
