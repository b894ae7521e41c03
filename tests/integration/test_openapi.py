"""The OpenAPI description says precisely what the service reads and answers.

Fuzzing, clients and forms are only as good as it: each event kind's body is described
by its Struct, with an example the service accepts; every error answer is documented as
problem+json; every string the edge reads says which characters it may hold; every
operation says what it does and whether it needs a bearer token, as the service behaves.
"""

from __future__ import annotations

import json
import re
from typing import Any

import httpx
import jsonschema
import pytest

from tests.conftest import Cast, Member
from tests.integration.helpers import WHEN, kg, register, registration
from trace.api.examples import PLACEHOLDERS
from trace.api.openapi import TEXT_PATTERN
from trace.domain.kinds import BODY_TYPES, EventKind, InputKind, Severity
from trace.domain.quantity import Unit
from trace.domain.rules import RECORDERS

PROBLEM = "#/components/schemas/Problem"


@pytest.fixture
async def spec(client: httpx.AsyncClient) -> dict[str, Any]:
    return dict((await client.get("/schema/openapi.json")).json())


def validator(spec: dict[str, Any], component: str) -> jsonschema.Draft202012Validator:
    """A validator of ``component`` that resolves the description's own references."""
    schema = {"$ref": f"#/components/schemas/{component}", "components": spec["components"]}
    return jsonschema.Draft202012Validator(schema)


def operations(spec: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    verbs = {"get", "head", "post", "put", "patch", "delete", "options"}
    return [
        (path, method, operation)
        for path, item in spec["paths"].items()
        for method, operation in item.items()
        if method in verbs
    ]


async def test_each_event_kind_is_a_variant_of_event_in_with_its_own_body(
    spec: dict[str, Any],
) -> None:
    event_in = spec["components"]["schemas"]["EventIn"]
    mapping = event_in["discriminator"]["mapping"]
    assert event_in["discriminator"]["propertyName"] == "kind"
    assert set(mapping) == {kind.value for kind in EventKind}
    for kind, body in BODY_TYPES.items():
        variant = spec["components"]["schemas"][f"EventIn.{kind.value}"]
        assert variant["properties"]["kind"]["const"] == kind.value
        assert variant["properties"]["body"] == {
            "$ref": f"#/components/schemas/kinds.{body.__name__}"
        }
    batch_in = spec["components"]["schemas"]["BatchIn"]["properties"]["body"]
    assert batch_in == {"$ref": "#/components/schemas/kinds.Registered"}


async def test_the_described_event_accepts_what_the_service_accepts_and_no_more(
    spec: dict[str, Any], client: httpx.AsyncClient, cast: Any
) -> None:
    events = validator(spec, "EventIn")
    batch_in = validator(spec, "BatchIn")
    good = {"occurred_at": WHEN, "body": registration()}
    batch_in.validate(good)
    created = await client.post("/api/v1/batches", json=good, headers=cast.producer.headers)
    assert created.status_code == 201, created.text
    harvest = {"kind": "harvested", "occurred_at": WHEN, "body": {"quantity": kg("12")}}
    events.validate(harvest)
    batch = created.json()["batch"]["id"]
    recorded = await client.post(
        f"/api/v1/batches/{batch}/events", json=harvest, headers=cast.producer.headers
    )
    assert recorded.status_code == 201, recorded.text
    for bad in (
        {**harvest, "body": {"quantity": kg("12"), "colour": "green"}},  # unknown field
        {**harvest, "kind": "picked"},  # no such kind
        {**harvest, "body": {"quantity": {"value": "1.5e3", "unit": "KGM"}}},  # not decimal
        {**harvest, "body": {"quantity": kg("12"), "note": "nul\x00"}},  # a control character
        {**harvest, "expected_version": -1},
    ):
        assert not events.is_valid(bad), bad
        refused = await client.post(
            f"/api/v1/batches/{batch}/events", json=bad, headers=cast.producer.headers
        )
        assert 400 <= refused.status_code < 500, (bad, refused.text)


async def test_every_error_answer_is_documented_as_problem_json(spec: dict[str, Any]) -> None:
    for path, method, operation in operations(spec):
        responses = operation["responses"]
        where = f"{method.upper()} {path}"
        assert "400" in responses, where
        if path not in ("/api/v1/label-templates", "/epcis/capture") or method == "post":
            assert "503" in responses, where
        for status, response in responses.items():
            if status.startswith(("4", "5")):
                content = response["content"]
                assert list(content) == ["application/problem+json"], (where, status)
                assert content["application/problem+json"]["schema"] == {"$ref": PROBLEM}


async def test_every_string_the_edge_reads_says_it_holds_no_control_character(
    spec: dict[str, Any],
) -> None:
    schemas = spec["components"]["schemas"]
    assert schemas["AgencyIn"]["properties"]["name"]["pattern"] == TEXT_PATTERN
    for path, _, operation in operations(spec):
        for parameter in operation.get("parameters", []):
            schema = parameter["schema"]
            strings = [schema, *schema.get("oneOf", [])]
            for string in strings:
                if string.get("type") == "string" and parameter["in"] != "header":
                    assert "pattern" in string or "enum" in string or "format" in string, (
                        path,
                        parameter["name"],
                    )


def _operation(spec: dict[str, Any], path: str, method: str = "post") -> dict[str, Any]:
    return dict(spec["paths"][path][method])


def _examples(spec: dict[str, Any], path: str) -> dict[str, Any]:
    content = _operation(spec, path)["requestBody"]["content"]["application/json"]
    return {name: example["value"] for name, example in content["examples"].items()}


def _with_ids(example: dict[str, Any], ids: dict[str, str]) -> dict[str, Any]:
    """The example with each placeholder replaced by the real identifier it stands for."""
    text = json.dumps(example)
    for name, value in ids.items():
        text = text.replace(PLACEHOLDERS[name], value)
    return dict(json.loads(text))


# Who records each kind in the test's story of one pomelo batch (and one rice batch).
_RECORDER = {
    EventKind.INSPECTED: "authority",
    EventKind.RECALLED: "authority",
    EventKind.CERTIFIED: "certifier",
    EventKind.RECEIVED: "distributor",
    EventKind.SOLD: "distributor",
    EventKind.TRANSFORMED: "processor",
    EventKind.RECALL_NOTIFIED: "authority",
    EventKind.WITHDRAWN: "distributor",
    EventKind.RECALL_CLOSED: "authority",
}
# In the order of the batch's life: the shipment before its receipt, the recall and its
# steps last.
_POMELO = [
    EventKind.PLANTED,
    EventKind.INPUT_APPLIED,
    EventKind.HARVESTED,
    EventKind.PROCESSED,
    EventKind.PACKED,
    EventKind.INSPECTED,
    EventKind.CERTIFIED,
    EventKind.CORRECTED,
    EventKind.SERIALISED,
    EventKind.EPCIS_EVENT,
    EventKind.SHIPPED,
    EventKind.RECEIVED,
    EventKind.SOLD,
    EventKind.RECALLED,
    EventKind.RECALL_NOTIFIED,
    EventKind.WITHDRAWN,
    EventKind.RECALL_CLOSED,
]


async def test_every_example_as_served_is_accepted_from_the_agency_that_may_record_its_kind(
    spec: dict[str, Any], client: httpx.AsyncClient, cast: Cast
) -> None:
    registrations = _examples(spec, "/api/v1/batches")
    events = _examples(spec, "/api/v1/batches/{ref}/events")
    assert set(registrations) == {EventKind.REGISTERED.value}
    assert set(events) == {kind.value for kind in EventKind} - {EventKind.REGISTERED.value}
    assert set(_POMELO) | {EventKind.TRANSFORMED} == {EventKind(kind) for kind in events}
    for kind, example in events.items():
        variant = spec["components"]["schemas"][f"EventIn.{kind}"]
        assert variant["examples"] == [example]
        validator(spec, "EventIn").validate(example)

    async def post(member: Member, path: str, body: dict[str, Any]) -> dict[str, Any]:
        answer = await client.post(path, json=body, headers=member.headers)
        assert answer.status_code == 201, (path, body, answer.text)
        return dict(answer.json())

    batch = (await post(cast.producer, "/api/v1/batches", registrations["registered"]))["batch"]
    ids = {"producer": cast.producer.id, "distributor": cast.distributor.id}
    for kind in _POMELO:
        member: Member = getattr(cast, _RECORDER.get(kind, "producer"))
        assert member.actor.agency_kind in RECORDERS[kind], kind
        path = f"/api/v1/batches/{batch['id']}/events"
        recorded = await post(member, path, _with_ids(events[kind.value], ids))
        if kind is EventKind.HARVESTED:
            ids["harvest_record"] = recorded["record"]["record_hash"]
        if kind is EventKind.RECALLED:
            ids["recall_record"] = recorded["record"]["record_hash"]
    paddies = [
        (await register(client, cast.processor, product="Thóc ST25", lot=f"THOC-{n}"))["batch"]
        for n in (1, 2)
    ]
    ids |= {"input_batch_1": paddies[0]["id"], "input_batch_2": paddies[1]["id"]}
    rice = (await register(client, cast.processor, product="Gạo ST25", lot="GAO-1"))["batch"]
    milled = _with_ids(events["transformed"], ids)
    await post(cast.processor, f"/api/v1/batches/{rice['id']}/events", milled)
    history = await client.get(f"/api/v1/batches/{batch['id']}/records", params={"proofs": False})
    kinds = [record["kind"] for record in history.json()["records"]]
    assert kinds == ["registered", *(kind.value for kind in _POMELO)]


async def test_body_fields_say_their_formats_and_enumerations(spec: dict[str, Any]) -> None:
    schemas = spec["components"]["schemas"]

    def field(component: str, name: str) -> dict[str, Any]:
        schema = dict(schemas[component]["properties"][name])
        ref = schema.get("$ref") or next(
            (s["$ref"] for s in schema.get("anyOf", []) if "$ref" in s), None
        )
        if ref is not None:
            return dict(schemas[ref.removeprefix("#/components/schemas/")])
        plain = [s for s in schema.get("anyOf", [schema]) if s.get("type") != "null"]
        return dict(plain[0])

    assert field("kinds.Certified", "valid_from")["format"] == "date"
    assert field("kinds.Registered", "expiry_date")["format"] == "date"
    assert field("kinds.Sample", "taken_at")["format"] == "date-time"
    assert field("kinds.Recalled", "effective_at")["format"] == "date-time"
    assert field("EventIn.harvested", "occurred_at")["format"] == "date-time"
    assert field("BatchIn", "occurred_at")["format"] == "date-time"
    assert field("kinds.Quantity", "unit")["enum"] == sorted(Unit)
    assert field("kinds.Recalled", "severity")["enum"] == sorted(Severity)
    assert field("kinds.InputApplied", "input_kind")["enum"] == sorted(InputKind)
    assert field("kinds.Quantity", "value")["pattern"].startswith("^(?:0|[1-9]")
    assert field("EventIn.harvested", "kind") == {"const": "harvested", "type": "string"}


_ONE_SENTENCE = re.compile(r"^[A-Z][^\n]*[^.]$")


async def test_every_operation_has_a_one_sentence_summary_and_a_description(
    spec: dict[str, Any],
) -> None:
    for path, method, operation in operations(spec):
        where = f"{method.upper()} {path}"
        summary = operation.get("summary", "")
        assert _ONE_SENTENCE.match(summary), (where, summary)
        assert ". " not in summary and len(summary) <= 100, (where, summary)
        description = operation.get("description", "")
        assert len(description.split()) >= 5, (where, description)
        assert description.rstrip().endswith("."), (where, description)


# Signing in to the console: the credential (a token, a pairing code) is in the body, so
# these operations declare no security scheme and still answer 401 to a wrong one.
_SIGN_IN = frozenset({"POST /api/v1/console/session", "POST /api/v1/console/session/pair"})


def _known_path(path: str, known: dict[str, str]) -> str:
    return re.sub(r"{(\w+)}", lambda m: known[m.group(1)], path)


async def test_operations_that_need_a_token_declare_the_bearer_scheme_as_the_service_acts(
    spec: dict[str, Any], client: httpx.AsyncClient, cast: Cast
) -> None:
    scheme = spec["components"]["securitySchemes"]["bearer"]
    assert scheme["type"] == "http" and scheme["scheme"] == "bearer"
    batch = (await register(client, cast.producer))["batch"]
    tokens = await client.get(
        f"/api/v1/agencies/{cast.producer.id}/tokens", headers=cast.producer.headers
    )
    known = {
        "ref": batch["id"],
        "agency_id": cast.producer.id,
        "key_id": cast.producer.key_id,
        "token_id": tokens.json()[0]["id"],
        "capture_id": "00000000-0000-4000-8000-000000000000",
        "position": "0",
        "name": "datapackage.json",
        "province": "01",
        "sha256": "0" * 64,
        "session_id": "0123456789abcdef",
        "report_id": "1",
        "webhook_id": "00000000-0000-4000-8000-000000000000",
        "delivery_id": "00000000-0000-4000-8000-000000000000",
        "subscription_id": "00000000-0000-4000-8000-000000000000",
        "level": "0",
        "index": "000.p/1",
        "gln": "8936047000012",
        "gtin": "08936047000128",
    }
    required = optional = public = 0
    for path, method, operation in operations(spec):
        where = f"{method.upper()} {path}"
        security = operation.get("security")
        request = {"method": method.upper(), "url": _known_path(path, known)}
        if method == "post":
            request["json"] = {}
        anonymous = await client.request(**request)
        forged = await client.request(**request, headers={"Authorization": "Bearer forged"})
        if security == [{"bearer": []}]:
            required += 1
            assert anonymous.status_code == 401, (where, anonymous.text)
            assert forged.status_code == 401, (where, forged.text)
        elif security == [{"bearer": []}, {}]:
            optional += 1
            assert anonymous.status_code != 401, (where, anonymous.text)
            assert forged.status_code == 401, (where, forged.text)
        else:
            public += 1
            assert security is None, where
            assert anonymous.status_code != 401, (where, anonymous.text)
            assert forged.status_code != 401, (where, forged.text)
        authenticates = security is not None or where in _SIGN_IN
        assert ("401" in operation["responses"]) == authenticates, where
    assert required and optional and public
