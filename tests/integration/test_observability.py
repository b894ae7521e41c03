"""Metrics, the request log and readiness, on both databases, as an operator meets them.

``/metrics`` is read with prometheus-client's own parser, before and after requests, and
each count must move by exactly what the requests did; each request's log line is JSON
holding the id its answer carries; ``/readyz`` says which check fails.
"""

from __future__ import annotations

import dataclasses
import json
import secrets

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import text

from tests.conftest import Cast
from tests.integration.helpers import WHEN, register, registration
from trace.api.app import create_app
from trace.config import Settings, parse_networks
from trace.store.checkpoints import sign_checkpoint
from trace.store.custody import MasterKey
from trace.store.database import connect, write_transaction
from trace.store.ledger import Ledger
from trace.store.migrate import head_revision

GTIN = "08936047000128"
Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


async def _scrape(client: httpx.AsyncClient) -> Samples:
    answer = await client.get("/metrics")
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("text/plain; version=0.0.4")
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(answer.text)
        for sample in family.samples
    }


def _value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


async def test_metrics_parse_and_their_counts_move_with_the_requests(
    client: httpx.AsyncClient, cast: Cast, ledger: Ledger, settings: Settings
) -> None:
    before = await _scrape(client)
    for _ in range(3):
        assert (await client.get("/healthz")).status_code == 200
    batch = (await register(client, cast.producer, gtin=GTIN, lot="OBS-1"))["batch"]
    twice = await client.post(
        "/api/v1/batches",
        json={"occurred_at": WHEN, "body": registration(gtin=GTIN, lot="OBS-1")},
        headers=cast.producer.headers,
    )
    assert twice.status_code == 409
    page = f"/b/{batch['code']}"
    assert (await client.get(page)).status_code == 200
    assert (await client.get(page)).status_code == 200
    assert (await client.get("/no/such/address/" + "x" * 40)).status_code == 404
    await sign_checkpoint(ledger, settings.log_origin)
    after = await _scrape(client)

    def moved(name: str, **labels: str) -> float:
        return _value(after, name, **labels) - _value(before, name, **labels)

    count = "trace_http_request_duration_seconds_count"
    assert moved(count, method="GET", route="/healthz", status="200") == 3
    assert moved(count, method="POST", route="/api/v1/batches", status="201") == 1
    assert moved(count, method="POST", route="/api/v1/batches", status="409") == 1
    assert moved(count, method="GET", route="/b/{code}", status="200") == 2
    # An address that names nothing is one label value, not its path.
    assert moved(count, method="GET", route="unmatched", status="404") == 1
    assert not any("/no/such" in str(labels) for _, labels in after)
    assert (
        moved(
            "trace_http_request_duration_seconds_sum", method="GET", route="/healthz", status="200"
        )
        > 0
    )
    assert moved("trace_appends_total") == 1
    assert moved("trace_append_refusals_total", code="duplicate_lot") == 1
    assert moved("trace_refusals_total", code="duplicate_lot") == 1
    assert moved("trace_refusals_total", code="not_found") == 1
    assert moved("trace_group_commit_statements_count") == 2
    assert moved("trace_page_cache_total", result="miss") == 1
    assert moved("trace_page_cache_total", result="hit") == 1
    assert _value(after, "trace_database_up") == 1
    assert _value(after, "trace_log_records") == _value(after, "trace_checkpoint_size") == 1
    assert _value(after, "trace_checkpoint_records_behind") == 0
    assert 0 <= _value(after, "trace_checkpoint_age_seconds") < 60
    assert _value(after, "trace_webhook_notices_pending") == 0


async def test_each_request_logs_one_json_line_with_the_id_its_answer_carries(
    client: httpx.AsyncClient, capfd: pytest.CaptureFixture[str]
) -> None:
    capfd.readouterr()
    mine = await client.get("/healthz")
    given = await client.get("/api/v1/batches/none", headers={"X-Request-Id": "proxy-7f3a:1"})
    odd = await client.get("/healthz", headers={"X-Request-Id": "two words\tand a tab"})
    lines = [json.loads(line) for line in capfd.readouterr().out.splitlines() if line]
    assert len(lines) == 3
    new_id = mine.headers["x-request-id"]
    assert len(new_id) == 16 and lines[0]["request_id"] == new_id
    assert lines[0] | {"time": "", "duration_ms": 0} == {
        "time": "",
        "level": "info",
        "logger": "trace.access",
        "message": "request",
        "method": "GET",
        "route": "/healthz",
        "path": "/healthz",
        "status": 200,
        "duration_ms": 0,
        "request_id": new_id,
        "client": "127.0.0.1",
    }
    # A sane id from a proxy is kept, and an error's line names its problem type.
    assert given.headers["x-request-id"] == "proxy-7f3a:1" == lines[1]["request_id"]
    assert (lines[1]["status"], lines[1]["problem"]) == (404, "urn:trace:problem:not_found")
    assert lines[1]["route"] == "/api/v1/batches/{ref}"
    # One that could break a log line is replaced.
    assert odd.headers["x-request-id"] != "two words\tand a tab"
    assert lines[2]["request_id"] == odd.headers["x-request-id"]


async def test_metrics_are_refused_outside_the_allowed_networks(
    client: httpx.AsyncClient, settings: Settings, ledger: Ledger
) -> None:
    # Through a proxy the service does not trust: refused, whatever the peer.
    proxied = await client.get("/metrics", headers={"X-Forwarded-For": "198.51.100.7"})
    assert proxied.status_code == 403
    assert proxied.json()["code"] == "metrics_forbidden"
    assert "TRACE_METRICS_ALLOW" in proxied.json()["detail"]
    elsewhere = dataclasses.replace(settings, metrics_allow=parse_networks("10.0.0.0/8"))
    transport = httpx.ASGITransport(app=create_app(elsewhere, ledger=ledger))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as other:
        assert (await other.get("/metrics")).status_code == 403
    off = dataclasses.replace(settings, metrics=False)
    transport = httpx.ASGITransport(app=create_app(off, ledger=ledger))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as other:
        assert (await other.get("/metrics")).status_code == 404


async def test_readyz_names_what_is_not_ready(
    client: httpx.AsyncClient, settings: Settings, ledger: Ledger
) -> None:
    ready = await client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json() == {"status": "ready", "schema": head_revision(), "log_size": 0}

    # The log's key exists; a process with another master key cannot open it.
    await sign_checkpoint(ledger, settings.log_origin)
    stranger = Ledger(
        engine=connect(settings.database_url),
        master_key=MasterKey(secrets.token_bytes(32)),
    )
    try:
        transport = httpx.ASGITransport(app=create_app(settings, ledger=stranger))
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as other:
            keys = await other.get("/readyz", headers={"Accept-Language": "en"})
    finally:
        await stranger.close()
    assert keys.status_code == 503
    assert (keys.json()["code"], keys.json()["reason"]) == ("not_ready", "keys")
    assert "master key" in keys.json()["detail"]

    # A database behind this code's schema (as before `migrate` on an upgrade).
    async with write_transaction(ledger.engine) as conn:
        await conn.execute(text("UPDATE alembic_version SET version_num = '0001'"))
    behind = await client.get("/readyz", headers={"Accept-Language": "vi"})
    assert behind.status_code == 503
    problem = behind.json()
    assert (problem["reason"], problem["expected"]) == ("schema", head_revision())
    assert "python -m trace migrate" in problem["detail"] and "0001" in problem["detail"]
    assert behind.headers["content-type"] == "application/problem+json"
    # Alive all the same: /healthz is the liveness probe.
    assert (await client.get("/healthz")).status_code == 200
