"""Schemathesis over the service's own OpenAPI: no server error, no answer off its description.

Every operation of ``/schema/openapi.json`` is called, on SQLite and on PostgreSQL, with
cases Schemathesis generates from the description: positive cases (valid by the schema)
with random identifiers and with identifiers of what the demo and the test recorded, and
negative cases (each breaking the schema somewhere), with the bearer token of each role.
Each answer must be no 5xx, and must conform to what the description documents for its
operation: the status, the content type and the body schema (and the headers documented).

Random cases are mostly refused, which tests the refusals but not what lies past them. So a
second pass builds valid events of every kind from the same description: for each kind, its
variant of the request body, sent to a batch in the state that kind needs by the agency that
may record it, with what a real client looks up filled in (a province and commune from
``/api/v1/places``, the ids of the batches and agencies it names, a GTIN's check digit, a
time not yet to come). Each kind must be appended at least once; the run prints how many.

The run is bounded by ``TRACE_FUZZ_EXAMPLES`` examples per operation, role and kind of
case (default 5, so that the suite stays within its time: about two minutes per database on
two cores with the rest of the suite beside it); the valid pass takes at least 8 per event
kind, the same cases every run. A longer run, outside the suite, about six minutes per
database::

    TRACE_FUZZ_EXAMPLES=60 TRACE_REQUIRE_POSTGRES=1 python -m pytest tests/fuzz -q -s -n 0

The application runs in the test's own event loop (its database connections belong to
it); Hypothesis runs in a worker thread and hands each request to that loop.
"""

from __future__ import annotations

import asyncio
import copy
import io
import itertools
import json
import os
import random
import time
from collections import Counter
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from PIL import Image
from schemathesis import checks
from schemathesis.generation import GenerationMode

from tests.conftest import Cast, Member, make_member
from tests.integration.helpers import kg, record, register
from trace.api.examples import EXAMPLES as KIND_EXAMPLES
from trace.config import Settings
from trace.demo import load_demo
from trace.domain.agency import AgencyKind
from trace.domain.event_hash import event_hash_id
from trace.domain.identifiers import gtin_check_digit
from trace.domain.kinds import EventKind
from trace.domain.places import communes, provinces
from trace.opendata.export import CATALOG_FILE, PACKAGE_FILE
from trace.opendata.manifest import MANIFEST, SIGNATURE
from trace.store.ledger import Ledger

EXAMPLES = int(os.environ.get("TRACE_FUZZ_EXAMPLES", "5"))
# The valid pass's cases per kind: the same every run (derandomised), and enough that each
# kind is appended at least once; a longer run's TRACE_FUZZ_EXAMPLES raises it too.
VALID_EXAMPLES = max(EXAMPLES, 8)
ROLES = ("operator", "producer", "processor", "distributor", "authority", "certifier")
CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_schema_conformance,
    checks.response_headers_conformance,
]
BASE_URL = "http://testserver"
# The operations that append a server-signed event: a batch's registration, its events.
_APPENDS = ("POST /api/v1/batches ", "POST /api/v1/batches/{ref}/events ")


@dataclass
class Findings:
    """What the run met: requests by operation and status, and failures by kind."""

    statuses: dict[str, Counter[int]] = field(default_factory=dict)
    failures: dict[str, str] = field(default_factory=dict)
    # Events the ledger accepted (201), by kind: valid cases, not only refusals.
    appended: Counter[str] = field(default_factory=Counter)

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


async def _photo(client: httpx.AsyncClient, member: Member) -> str:
    """The name of a photo sent as the console sends it (the same bytes each time)."""
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (90, 140, 40)).save(out, "JPEG")
    headers = {**member.headers, "Content-Type": "image/jpeg"}
    sent = await client.post("/api/v1/photos", content=out.getvalue(), headers=headers)
    assert sent.status_code == 201, sent.text
    return str(sent.json()["sha256"])


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
        "sha256": [await _photo(client, cast.producer)],
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
    *,
    derandomize: bool = False,
    examples: int = EXAMPLES,
) -> None:
    """Run ``check`` on ``examples`` cases of ``strategy`` (generation only, no shrinking);
    ``derandomize``: the same cases on every run."""

    @given(strategy)
    @hypothesis_settings(
        max_examples=examples,
        derandomize=derandomize,
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
    if response.status_code == 201 and where.startswith(_APPENDS):
        sent = arguments.get("json")
        kind = sent.get("kind", "registered") if isinstance(sent, dict) else "?"
        findings.appended[str(kind)] += 1
    try:
        case.validate_response(response, checks=CHECKS)
    except (AssertionError, BaseExceptionGroup) as failure:
        text = str(failure)
        kind = text.split("\n\n")[1].strip() if "\n\n" in text else text
        label = where.split(" [")[0]
        findings.failures.setdefault(f"{label}: {kind[:200]}", f"{where} {text}")


@dataclass
class Valid:
    """How a valid event of one kind is made: who sends it, to which batch, and what a
    client fills in that the description cannot say (references, a place, a past time)."""

    member: Member
    ref: str | None  # the batch; None for a registration (POST /api/v1/batches)
    fill: Callable[[dict[str, Any], random.Random], None] = lambda body, _: None


def _in_the_past(text: str, now: datetime) -> str:
    """``text``, a time the description allows, moved into a past year if it is to come."""
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if moment <= now:
        return text
    year = 1971 + moment.year % 55
    return moment.replace(year=year, day=min(moment.day, 28)).isoformat()


def _place(body: dict[str, Any], chance: random.Random) -> None:
    province = chance.choice(provinces()).code
    origin: dict[str, Any] = {"province": province}
    if chance.random() < 0.5:
        origin["commune"] = chance.choice(communes(province) or ()).code
    body["origin"] = origin
    gtin = body.get("gtin")
    if isinstance(gtin, str) and gtin.isdigit():
        body["gtin"] = gtin[:-1] + str(gtin_check_digit(gtin[:-1]))


async def _valid_plans(client: httpx.AsyncClient, cast: Cast) -> dict[EventKind, Valid]:
    """A batch in the state each kind needs, and how each kind's references are filled."""

    async def fresh(member: Member, lot: str) -> str:
        batch = (await register(client, member, lot=lot))["batch"]["id"]
        await record(client, member, batch, "harvested", {"quantity": kg("500")})
        return str(batch)

    producer, processor = cast.producer, cast.processor
    photo = await _photo(client, producer)
    batches = {kind: await fresh(producer, f"VALID-{n}") for n, kind in enumerate(EventKind)}
    corrected = batches[EventKind.CORRECTED]
    records = (await client.get(f"/api/v1/batches/{corrected}/records")).json()["records"]
    harvest = next(r["record_hash"] for r in records if r["kind"] == "harvested")
    in_transit = batches[EventKind.RECEIVED]
    await record(client, producer, in_transit, "shipped", {"to": cast.distributor.id})
    inputs = [await fresh(processor, f"VALID-IN-{n}") for n in range(3)]
    # A recall's steps name it by its record's hash: each on a batch recalled for it.
    recalls = {}
    for kind in (EventKind.RECALL_NOTIFIED, EventKind.WITHDRAWN, EventKind.RECALL_CLOSED):
        recalled = await client.post(
            "/api/v1/recalls",
            json={"batch": batches[kind], "reason": "Vượt giới hạn", "severity": "class_2"},
            headers=cast.authority.headers,
        )
        recalls[kind] = recalled.json()["record_hash"]

    def names_recall(kind: EventKind) -> Callable[[dict[str, Any], random.Random], None]:
        def fill(body: dict[str, Any], _: random.Random) -> None:
            body["recall"] = recalls[kind]

        return fill

    output = (await register(client, processor, lot="VALID-OUT"))["batch"]["id"]

    def pictures(body: dict[str, Any], _: random.Random) -> None:
        # A client names a photo it sent before (POST /api/v1/photos).
        if "photo" in body:
            body["photo"] = photo

    def registers(body: dict[str, Any], chance: random.Random) -> None:
        _place(body, chance)
        pictures(body, chance)

    def corrects(body: dict[str, Any], _: random.Random) -> None:
        body["corrects"] = harvest

    def ships(body: dict[str, Any], _: random.Random) -> None:
        body["to"] = cast.distributor.id

    def receives(body: dict[str, Any], _: random.Random) -> None:
        body["from"] = producer.id

    def transforms(body: dict[str, Any], chance: random.Random) -> None:
        wanted = 1 if body.get("process") == "splitting" else chance.randint(2, len(inputs))
        made = body.get("inputs") or []
        quantity = made[0]["quantity"] if made else kg("100")
        body["inputs"] = [
            {"batch": batch, "quantity": quantity} for batch in chance.sample(inputs, wanted)
        ]

    def stores(body: dict[str, Any], chance: random.Random) -> None:
        event = json.loads(KIND_EXAMPLES[EventKind.EPCIS_EVENT].body["event"])
        event["eventTime"] = f"20{chance.randint(10, 25)}-0{chance.randint(1, 9)}-15T08:00:00Z"
        body["event"] = json.dumps(event, ensure_ascii=False)
        body["event_hash"] = event_hash_id(event)

    return {
        EventKind.REGISTERED: Valid(producer, None, registers),
        EventKind.PLANTED: Valid(producer, batches[EventKind.PLANTED], pictures),
        EventKind.HARVESTED: Valid(producer, batches[EventKind.HARVESTED], pictures),
        EventKind.INSPECTED: Valid(cast.authority, batches[EventKind.INSPECTED]),
        EventKind.CERTIFIED: Valid(cast.certifier, batches[EventKind.CERTIFIED]),
        EventKind.RECALLED: Valid(cast.authority, batches[EventKind.RECALLED]),
        EventKind.CORRECTED: Valid(producer, corrected, corrects),
        EventKind.SHIPPED: Valid(producer, batches[EventKind.SHIPPED], ships),
        EventKind.RECEIVED: Valid(cast.distributor, in_transit, receives),
        EventKind.TRANSFORMED: Valid(processor, output, transforms),
        EventKind.EPCIS_EVENT: Valid(producer, batches[EventKind.EPCIS_EVENT], stores),
        **{
            kind: Valid(member, batches[kind], names_recall(kind))
            for kind, member in (
                (EventKind.RECALL_NOTIFIED, cast.authority),
                (EventKind.WITHDRAWN, producer),
                (EventKind.RECALL_CLOSED, cast.authority),
            )
        },
        **{
            kind: Valid(producer, batches[kind])
            for kind in (
                EventKind.INPUT_APPLIED,
                EventKind.PROCESSED,
                EventKind.PACKED,
                EventKind.SOLD,
                EventKind.SERIALISED,
            )
        },
    }


def _of_kind(description: dict[str, Any], kind: EventKind) -> Any:
    """The service's description with ``EventIn`` narrowed to the variant of ``kind``."""
    narrowed = copy.deepcopy(description)
    narrowed["components"]["schemas"]["EventIn"] = {
        "$ref": f"#/components/schemas/EventIn.{kind.value}"
    }
    return schemathesis.openapi.from_dict(narrowed)


def _fuzz_valid(
    description: dict[str, Any],
    send: Callable[[dict[str, Any]], httpx.Response],
    plans: dict[EventKind, Valid],
    findings: Findings,
) -> None:
    now = datetime.now(UTC)
    for kind, plan in plans.items():
        schema = _of_kind(description, kind)
        if plan.ref is None:
            operation = schema["/api/v1/batches"]["POST"]
            strategy = operation.as_strategy(generation_mode=GenerationMode.POSITIVE)
        else:
            operation = schema["/api/v1/batches/{ref}/events"]["POST"]
            strategy = operation.as_strategy(
                generation_mode=GenerationMode.POSITIVE, path_parameters={"ref": plan.ref}
            )
        statuses = findings.statuses.setdefault(f"{operation.label} (valid)", Counter())
        chance = random.Random(kind.value)

        def check(
            case: Any,
            plan: Valid = plan,
            kind: EventKind = kind,
            chance: random.Random = chance,
            operation: Any = operation,
            statuses: Counter[int] = statuses,
        ) -> None:
            case.body.pop("expected_version", None)
            case.body["occurred_at"] = _in_the_past(case.body["occurred_at"], now)
            plan.fill(case.body["body"], chance)
            where = f"{operation.label} [valid {kind.value}]"
            _call(send, plan.member, statuses, findings, where, case)

        _examples(strategy, check, derandomize=True, examples=VALID_EXAMPLES)


@pytest.fixture
def backend() -> str:
    """This file fuzzes SQLite; test_schemathesis_postgres.py the same on PostgreSQL, as a file
    of its own so that the two runs, the suite's longest, go to two test processes at once."""
    return "sqlite"


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
    plans = await _valid_plans(client, cast)
    started = time.monotonic()
    findings = await asyncio.to_thread(_fuzz, schema, send, roles, known)
    await asyncio.to_thread(_fuzz_valid, description, send, plans, findings)
    minutes = (time.monotonic() - started) / 60
    operations = len(findings.statuses)
    print(f"\nschemathesis: {operations} operations, {findings.requests} cases, {minutes:.1f} min")
    for label, statuses in findings.statuses.items():
        print(f"  {label}: {dict(sorted(statuses.items()))}")
    appended = sum(findings.appended.values())
    print(f"  valid appends: {appended}, by kind: {dict(findings.appended.most_common())}")
    methods = {"get", "head", "post", "put", "patch", "delete", "options"}
    documented = sum(len(methods & set(item)) for item in description["paths"].values())
    assert operations == documented + 2  # and the two of the valid pass
    assert not findings.failures, "\n\n".join(findings.failures.values())
    assert set(findings.appended) == {kind.value for kind in EventKind}, findings.appended
