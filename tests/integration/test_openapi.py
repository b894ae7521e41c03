"""The OpenAPI description says precisely what the service reads and answers.

Fuzzing, clients and forms are only as good as it: each event kind's body is described
by its Struct, every error answer is documented as problem+json, and every string the
edge reads says which characters it may hold.
"""

from __future__ import annotations

from typing import Any

import httpx
import jsonschema
import pytest

from tests.integration.helpers import WHEN, kg, registration
from trace.api.openapi import TEXT_PATTERN
from trace.domain.kinds import BODY_TYPES, EventKind

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
