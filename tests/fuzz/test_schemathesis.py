"""Schemathesis over the service's own OpenAPI: no server error, no answer off its description.

Every operation of ``/schema/openapi.json`` is called, on SQLite and on PostgreSQL, with
cases Schemathesis generates from the description: positive cases (valid by the schema)
with random identifiers and with identifiers of what the demo and the test recorded, and
negative cases (each breaking the schema somewhere), with the bearer token of each role.
Each answer must be no 5xx, and must conform to what the description documents for its
operation: the status, the content type and the body schema (and the headers documented).

The run is bounded by ``TRACE_FUZZ_EXAMPLES`` examples per operation, role and kind of
case (default 15: about 6,600 requests and a minute and a half per database on two
cores). A longer run, outside the suite, about six minutes per database::

    TRACE_FUZZ_EXAMPLES=60 TRACE_REQUIRE_POSTGRES=1 python -m pytest tests/fuzz -q -s

The application runs in the test's own event loop (its database connections belong to
it); Hypothesis runs in a worker thread and hands each request to that loop.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import time
from collections import Counter
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import httpx
import schemathesis
from hypothesis import HealthCheck, Phase, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from schemathesis import checks
from schemathesis.generation import GenerationMode

from tests.conftest import Cast, Member, make_member
from tests.integration.helpers import kg, record, register
from trace.config import Settings
from trace.demo import load_demo
from trace.domain.agency import AgencyKind
from trace.opendata.export import CATALOG_FILE, PACKAGE_FILE
from trace.opendata.manifest import MANIFEST, SIGNATURE
from trace.store.ledger import Ledger

EXAMPLES = int(os.environ.get("TRACE_FUZZ_EXAMPLES", "15"))
ROLES = ("operator", "producer", "processor", "distributor", "authority", "certifier")
CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_schema_conformance,
    checks.response_headers_conformance,
]
BASE_URL = "http://testserver"


@dataclass
class Findings:
    """What the run met: requests by operation and status, and failures by kind."""

    statuses: dict[str, Counter[int]] = field(default_factory=dict)
    failures: dict[str, str] = field(default_factory=dict)

    @property
    def requests(self) -> int:
        return sum(sum(c.values()) for c in self.statuses.values())


def _request(arguments: dict[str, Any]) -> dict[str, Any]:
    """Schemathesis's arguments for ``requests`` as arguments for httpx."""
    out = {
        "method": arguments["method"],
        "url": arguments["url"],
        "headers": arguments.get("headers") or {},
        "params": arguments.get("params"),
    }
    if "json" in arguments:
        out["content"] = json.dumps(arguments["json"]).encode()
    elif arguments.get("data") is not None:
        out["content"] = arguments["data"]
    return out


async def _known(client: httpx.AsyncClient, cast: Cast, ledger: Ledger) -> dict[str, list[Any]]:
    """Identifiers that name something, by path parameter: so cases reach past a 404.

    Keys and tokens to revoke belong to an agency of their own, so the run does not take
    away the tokens and keys the roles act with.
    """
    batch = (await register(client, cast.producer, lot="FUZZ-1"))["batch"]
    await record(client, cast.producer, batch["id"], "harvested", {"quantity": kg("10")})
    recalled = await client.post(
        "/api/v1/recalls",
        json={"batch": batch["id"], "reason": "Dư lượng vượt ngưỡng", "severity": "class_2"},
        headers=cast.authority.headers,
    )
    assert recalled.status_code == 201, recalled.text
    spare = await make_member(ledger, "Đơn vị thử", AgencyKind.PRODUCER)
    tokens = await client.get(f"/api/v1/agencies/{spare.id}/tokens", headers=spare.headers)
    size = (await client.get("/healthz")).json()["log_size"]
    return {
        "ref": [batch["id"], batch["code"], str(recalled.json()["id"])],
        "agency_id": [spare.id, cast.producer.id, cast.authority.id],
        "key_id": [spare.key_id],
        "token_id": [t["id"] for t in tokens.json()],
        "position": [0, size - 1],
        "name": [PACKAGE_FILE, CATALOG_FILE, MANIFEST, SIGNATURE, "events.csv"],
    }


def _fixed_paths(operation: Any, known: dict[str, list[Any]]) -> list[dict[str, Any]]:
    names = [p.name for p in operation.path_parameters]
    if not names or any(name not in known for name in names):
        return []
    return [dict(zip(names, values, strict=True)) for values in itertools.product(
        *(known[name] for name in names)
    )][:6]  # fmt: skip


def _examples(
    strategy: Any,
    check: Callable[[Any], None],
) -> None:
    """Run ``check`` on ``EXAMPLES`` cases of ``strategy`` (generation only, no shrinking)."""

    @given(strategy)
    @hypothesis_settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    def run(case: Any) -> None:
        check(case)

    with suppress(Unsatisfiable):  # an operation without parameters has no negative case
        run()


def _fuzz(
    schema: Any,
    send: Callable[[dict[str, Any]], httpx.Response],
    roles: dict[str, Member],
    known: dict[str, list[Any]],
) -> Findings:
    findings = Findings()
    for result in schema.get_all_operations():
        operation = result.ok()
        statuses: Counter[int] = findings.statuses.setdefault(operation.label, Counter())
        strategies = [
            ("random", operation.as_strategy(generation_mode=GenerationMode.POSITIVE)),
            ("negative", operation.as_strategy(generation_mode=GenerationMode.NEGATIVE)),
        ]
        fixed = _fixed_paths(operation, known)
        if fixed:
            positive = GenerationMode.POSITIVE
            cases = [
                operation.as_strategy(generation_mode=positive, path_parameters=p) for p in fixed
            ]
            strategies.append(("known", st.one_of(cases)))
        for (role, member), (kind, strategy) in itertools.product(roles.items(), strategies):
            where = f"{operation.label} [{role}, {kind}]"
            _examples(strategy, partial(_call, send, member, statuses, findings, where))
    return findings


def _call(
    send: Callable[[dict[str, Any]], httpx.Response],
    member: Member,
    statuses: Counter[int],
    findings: Findings,
    where: str,
    case: Any,
) -> None:
    """Send ``case`` with ``member``'s token; keep the first failure of each kind."""
    arguments = case.as_transport_kwargs(base_url=BASE_URL, headers=member.headers)
    response = send(_request(arguments))
    statuses[response.status_code] += 1
    try:
        case.validate_response(response, checks=CHECKS)
    except (AssertionError, BaseExceptionGroup) as failure:
        text = str(failure)
        kind = text.split("\n\n")[1].strip() if "\n\n" in text else text
        label = where.split(" [")[0]
        findings.failures.setdefault(f"{label}: {kind[:200]}", f"{where} {text}")


async def test_schemathesis_finds_no_server_error_and_no_answer_off_the_description(
    client: httpx.AsyncClient, cast: Cast, ledger: Ledger, settings: Settings
) -> None:
    await load_demo(settings)
    known = await _known(client, cast, ledger)
    description = (await client.get("/schema/openapi.json")).json()
    schema = schemathesis.openapi.from_dict(description)
    loop = asyncio.get_running_loop()

    def send(arguments: dict[str, Any]) -> httpx.Response:
        return asyncio.run_coroutine_threadsafe(client.request(**arguments), loop).result()

    roles = {role: getattr(cast, role) for role in ROLES}
    started = time.monotonic()
    findings = await asyncio.to_thread(_fuzz, schema, send, roles, known)
    minutes = (time.monotonic() - started) / 60
    operations = len(findings.statuses)
    print(f"\nschemathesis: {operations} operations, {findings.requests} cases, {minutes:.1f} min")
    for label, statuses in findings.statuses.items():
        print(f"  {label}: {dict(sorted(statuses.items()))}")
    methods = {"get", "head", "post", "put", "patch", "delete", "options"}
    documented = sum(len(methods & set(item)) for item in description["paths"].values())
    assert operations == documented
    assert not findings.failures, "\n\n".join(findings.failures.values())
