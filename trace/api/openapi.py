"""What the OpenAPI description says that Litestar cannot derive from the handlers.

- **Each event kind's body**, from its Struct in ``trace/domain/kinds.py``, so that a
  client, a form or a fuzzer knows what a valid event is: ``EventIn`` is one variant per
  kind, told apart by ``kind`` (a discriminator), and ``BatchIn.body`` is a ``registered``
  body. Only the description changes: the handlers still read ``body`` as an object, and
  the domain checks it and words its refusals.
- **The characters text may hold** (``trace/domain/json_text.py``): the edge refuses a
  control character in any string of a body and in any path or query parameter
  (``trace/api/edge.py``), so every such string without a pattern of its own gets one.
- **The body of EPCIS capture**, which its handler reads itself: an EPCIS 2.0 document in
  JSON or JSON-LD (its events are checked by ``trace/epcis/document.py``); and the body of
  a photo sent, its bytes in one of the image types it takes.
- **The media types of answers whose type the request chooses**: labels (PDF, PNG, SVG),
  a genealogy drawn as SVG, the open-data catalogue and files, a photo, and the photo of a
  shopper's report (always JPEG: the service draws it again).
- **An example of each event kind** (``trace/api/examples.py``), on its body's schema, on
  its variant of ``EventIn`` and among the named examples of the request bodies.
- **Errors**: the problem details (:class:`trace.api.problems.Problem`) with every
  extension member, and the headers a problem answer carries (``Content-Language``;
  ``WWW-Authenticate`` on a 401, ``Retry-After`` on a 503).
- **What each operation's handler says of itself**: its summary (the docstring's first
  paragraph, one sentence) and description (the rest), and its security requirement, from
  the dependencies it takes (``TOKEN_USES`` in ``trace/api/auth.py``): a bearer token,
  required or optional, or none. Swagger UI shows its Authorize button for them.

The description is completed when it is first served (:class:`DescribedJson`,
:class:`DescribedSwagger`), not each time an application is made.
"""

from __future__ import annotations

import copy
import inspect
from typing import Any

import msgspec
from litestar import Litestar, Request
from litestar.handlers import HTTPRouteHandler
from litestar.openapi.plugins import JsonRenderPlugin, SwaggerRenderPlugin
from litestar.routes import HTTPRoute

from trace.api.auth import TOKEN_USES, TokenUse
from trace.api.examples import EXAMPLES
from trace.api.parameters import ExpectedVersion
from trace.api.problems import PROBLEM_JSON, Problem
from trace.domain.json_text import FORBIDDEN_CLASS
from trace.domain.kinds import BODY_TYPES, EventKind
from trace.domain.photos import FORMATS as PHOTO_MEDIA_TYPES
from trace.domain.photos import MAX_BYTES as MAX_PHOTO_BYTES
from trace.domain.report_photo import MEDIA_TYPE as REPORT_PHOTO_MEDIA_TYPE
from trace.domain.times import TIME_PATTERN
from trace.labels.make import MEDIA_TYPES as LABEL_MEDIA_TYPES
from trace.opendata.writers import MEDIA_TYPES as OPEN_DATA_MEDIA_TYPES

COMPONENTS = "#/components/schemas/"
# The kinds' Structs and their parts, named apart from the API's own messages.
KINDS_PREFIX = "kinds."

_BINARY = {"type": "string", "format": "binary"}
# Litestar leaves the bound of 0 out: the declaration's own schema says it all.
_EXPECTED_VERSION = msgspec.json.schema(ExpectedVersion | None)
# What the edge lets through in any string; a string with its own rule keeps it.
TEXT_PATTERN = f"^[^{FORBIDDEN_CLASS}]*$"
_TEXT_SET = {"pattern", "enum", "const", "format"}
_TIME = {
    "type": "string",
    "format": "date-time",
    "pattern": TIME_PATTERN,
    "description": "When it happened: RFC 3339 with a UTC offset, e.g. 2026-03-02T07:30:00+07:00.",
}
_JSON_TYPES = ("application/json", "application/ld+json")
# The outline of an EPCIS 2.0 document of the JSON binding (EPCIS 2.0 §11); capture checks
# the rest, event by event.
_EPCIS_DOCUMENT = {
    "title": "EPCISDocument",
    "type": "object",
    "required": ["@context", "type", "schemaVersion", "creationDate", "epcisBody"],
    "properties": {
        "@context": {},
        "type": {"enum": ["EPCISDocument", "EPCISQueryDocument"]},
        "schemaVersion": {"const": "2.0"},
        "creationDate": {"type": "string", "format": "date-time"},
        "epcisBody": {
            "type": "object",
            "properties": {"eventList": {"type": "array", "items": {"type": "object"}}},
        },
    },
}
_CHOSEN_MEDIA_TYPES: dict[tuple[str, str], list[str]] = {
    ("/api/v1/batches/{ref}/labels", "get"): sorted(LABEL_MEDIA_TYPES.values()),
    ("/api/v1/batches/{ref}/trace", "get"): ["application/json", "image/svg+xml"],
    ("/open-data", "get"): ["text/html", "application/ld+json"],
    ("/open-data", "head"): ["text/html", "application/ld+json"],
    ("/open-data/{name}", "get"): sorted(set(OPEN_DATA_MEDIA_TYPES.values())),
    ("/open-data/{name}", "head"): sorted(set(OPEN_DATA_MEDIA_TYPES.values())),
    ("/photos/{sha256}", "get"): sorted(PHOTO_MEDIA_TYPES),
    ("/photos/{sha256}", "head"): sorted(PHOTO_MEDIA_TYPES),
    ("/api/v1/reports/{report_id}/photo", "get"): [REPORT_PHOTO_MEDIA_TYPE],
}


BEARER = "bearer"
_BEARER_SCHEME = {
    "type": "http",
    "scheme": "bearer",
    "description": (
        "A token of an agency, shown once when it is made: `python -m trace agency add` or"
        " POST /api/v1/agencies/{agency_id}/tokens. Scopes (record, recall, inspect, admin)"
        " and the agency's kind decide what it may do. The producer console sends the"
        " `trace_session` cookie of POST /api/v1/console/session instead, and on every write"
        " the session's `csrf` value in the `X-CSRF-Token` header."
    ),
}
# A handler that may read a token (a public read that an inspector's token puts in the
# audit trail) accepts a request without one too: the empty requirement.
_SECURITY: dict[TokenUse, list[dict[str, list[str]]]] = {
    TokenUse.REQUIRED: [{BEARER: []}],
    TokenUse.OPTIONAL: [{BEARER: []}, {}],
}
_CONTENT_LANGUAGE = {
    "description": "The language of the problem's detail.",
    "required": True,
    "schema": {"type": "string"},
}
_PROBLEM_HEADERS = {
    "401": {
        "WWW-Authenticate": {
            "description": "The scheme to authenticate with (RFC 9110 §11.6.1).",
            "required": True,
            "schema": {"type": "string", "const": 'Bearer realm="trace"'},
        }
    },
    "503": {
        "Retry-After": {
            "description": "Seconds to wait before retrying (RFC 9110 §10.2.3).",
            "required": True,
            "schema": {"type": "string", "pattern": "^[0-9]+$"},
        }
    },
}


def _variant(kind: EventKind) -> str:
    return f"EventIn.{kind.value}"


def describe(spec: dict[str, Any], app: Litestar) -> dict[str, Any]:
    """Complete the OpenAPI ``spec`` of ``app`` in place (once: again, it changes nothing)."""
    components = spec.setdefault("components", {})
    schemas: dict[str, Any] = components.setdefault("schemas", {})
    if _variant(EventKind.REGISTERED) in schemas:
        return spec
    paths = spec.setdefault("paths", {})
    _describe_bodies(schemas)
    _describe_examples(paths, schemas)
    _describe_problems(paths, schemas)
    _describe_capture(spec, schemas)
    _describe_photo_upload(spec)
    _describe_text(spec, schemas)
    _describe_media_types(paths)
    _dedent_descriptions(schemas)
    components["securitySchemes"] = {BEARER: _BEARER_SCHEME}
    _describe_operations(paths, app)
    return spec


def _describe_bodies(schemas: dict[str, Any]) -> None:
    kinds = list(BODY_TYPES.items())
    refs, parts = msgspec.json.schema_components(
        [body for _, body in kinds], ref_template=f"{COMPONENTS}{KINDS_PREFIX}{{name}}"
    )
    for name, schema in parts.items():
        schemas[f"{KINDS_PREFIX}{name}"] = schema
    event = schemas["EventIn"]
    mapping = {}
    for (kind, _), body in zip(kinds, refs, strict=True):
        variant = copy.deepcopy(event)
        variant["title"] = f"EventIn ({kind.value})"
        variant["properties"]["kind"] = {"type": "string", "const": kind.value}
        variant["properties"]["body"] = body
        variant["properties"]["occurred_at"] = _TIME
        variant["properties"]["expected_version"] = _EXPECTED_VERSION
        variant["additionalProperties"] = False
        schemas[_variant(kind)] = variant
        mapping[kind.value] = f"{COMPONENTS}{_variant(kind)}"
    schemas["EventIn"] = {
        "title": "EventIn",
        "description": "An unsigned event; the server signs it with the agency's custodial key.",
        "oneOf": [{"$ref": ref} for ref in mapping.values()],
        "discriminator": {"propertyName": "kind", "mapping": mapping},
    }
    registered = refs[[kind for kind, _ in kinds].index(EventKind.REGISTERED)]
    schemas["SignedIn"]["properties"]["expected_version"] = _EXPECTED_VERSION
    schemas["BatchIn"]["properties"]["body"] = registered
    schemas["BatchIn"]["properties"]["occurred_at"] = _TIME
    schemas["BatchIn"]["additionalProperties"] = False


def _describe_examples(paths: dict[str, Any], schemas: dict[str, Any]) -> None:
    """Each kind's example on its body, on its variant of EventIn and on the operations."""
    for kind, example in EXAMPLES.items():
        body = schemas[_variant(kind)]["properties"]["body"]["$ref"].removeprefix(COMPONENTS)
        schemas[body]["examples"] = [copy.deepcopy(dict(example.body))]
        schemas[_variant(kind)]["examples"] = [example.event(kind)]
    registered = EXAMPLES[EventKind.REGISTERED]
    batch_in = {"occurred_at": registered.occurred_at, "body": copy.deepcopy(dict(registered.body))}
    schemas["BatchIn"]["examples"] = [batch_in]
    named = {
        "/api/v1/batches": {
            EventKind.REGISTERED.value: {"summary": registered.summary, "value": batch_in}
        },
        "/api/v1/batches/{ref}/events": {
            kind.value: {"summary": example.summary, "value": example.event(kind)}
            for kind, example in EXAMPLES.items()
            if kind is not EventKind.REGISTERED
        },
    }
    for path, examples in named.items():
        content = paths.get(path, {}).get("post", {}).get("requestBody", {}).get("content", {})
        for media in content.values():
            media["examples"] = examples


def _describe_problems(paths: dict[str, Any], schemas: dict[str, Any]) -> None:
    """The problem details with their extension members, and the headers of each answer."""
    _, parts = msgspec.json.schema_components([Problem], ref_template=f"{COMPONENTS}{{name}}")
    schemas["Problem"] = parts["Problem"]
    for item in paths.values():
        for operation in item.values():
            if not isinstance(operation, dict):
                continue
            for status, answer in operation.get("responses", {}).items():
                if PROBLEM_JSON in answer.get("content", {}):
                    headers = {"Content-Language": _CONTENT_LANGUAGE}
                    headers.update(_PROBLEM_HEADERS.get(status, {}))
                    answer["headers"] = headers


def _describe_operations(paths: dict[str, Any], app: Litestar) -> None:
    """Summary, description and security of each operation, from its handler."""
    for (path, method), handler in _handlers(app).items():
        operation = paths.get(path, {}).get(method)
        if operation is None:
            continue
        summary, description = _words(handler)
        operation["summary"] = summary
        operation["description"] = description
        use = _token_use(handler)
        if use is None:
            operation.pop("security", None)
        else:
            operation["security"] = _SECURITY[use]


def _handlers(app: Litestar) -> dict[tuple[str, str], HTTPRouteHandler]:
    """The handler of each operation the description holds, by path and method."""
    found = {}
    for route in app.routes:
        if not isinstance(route, HTTPRoute):
            continue
        for handler in route.route_handlers:
            if handler.resolve_include_in_schema():
                for method in handler.http_methods:
                    found[(route.path_format or "/", method.lower())] = handler
    return found


def _words(handler: HTTPRouteHandler) -> tuple[str, str]:
    """The summary (the docstring's first paragraph) and the description (the rest).

    Docstrings mark code as reStructuredText does (two backticks); Markdown's one is enough,
    and a summary, which tools show as plain text, reads better with one.
    """
    doc = (inspect.getdoc(handler.fn) or "").replace("``", "`")
    first, _, rest = doc.partition("\n\n")
    summary = handler.summary or " ".join(first.split()).removesuffix(".")
    return summary, handler.description or rest.strip()


def _token_use(handler: HTTPRouteHandler) -> TokenUse | None:
    """Whether the handler's dependencies need a bearer token, or may read one."""
    dependencies = handler.resolve_dependencies()
    uses = set()
    pending = list(handler.parsed_fn_signature.parameters)
    taken: set[str] = set()
    while pending:
        name = pending.pop()
        provider = dependencies.get(name)
        if provider is None or name in taken:
            continue
        taken.add(name)
        use = TOKEN_USES.get(provider.dependency)
        if use is not None:
            uses.add(use)
        pending.extend(provider.parsed_fn_signature.parameters)
    if TokenUse.REQUIRED in uses:
        return TokenUse.REQUIRED
    return TokenUse.OPTIONAL if uses else None


def _dedent_descriptions(schema: Any) -> None:
    """Docstrings made descriptions lose their indentation, which Markdown reads as code."""
    if isinstance(schema, list):
        for item in schema:
            _dedent_descriptions(item)
    elif isinstance(schema, dict):
        for key, value in schema.items():
            if key == "description" and isinstance(value, str):
                schema[key] = inspect.cleandoc(value)
            elif key != "examples":  # data, whose fields may be named "description" too
                _dedent_descriptions(value)


def _describe_capture(spec: dict[str, Any], schemas: dict[str, Any]) -> None:
    capture = spec.get("paths", {}).get("/epcis/capture", {}).get("post")
    if capture is not None:
        schemas["EPCISDocument"] = _EPCIS_DOCUMENT
        document = {"schema": {"$ref": f"{COMPONENTS}EPCISDocument"}}
        capture["requestBody"] = {
            "required": True,
            "content": {media_type: document for media_type in _JSON_TYPES},
        }


def _describe_photo_upload(spec: dict[str, Any]) -> None:
    upload = spec.get("paths", {}).get("/api/v1/photos", {}).get("post")
    if upload is not None:
        photo = {"schema": {**_BINARY, "maxLength": MAX_PHOTO_BYTES}}
        upload["requestBody"] = {
            "required": True,
            "description": "The photo's bytes, as the console prepares them.",
            "content": {media_type: photo for media_type in sorted(PHOTO_MEDIA_TYPES)},
        }


def _describe_text(spec: dict[str, Any], schemas: dict[str, Any]) -> None:
    """Every string the edge reads, without a pattern of its own, gets the edge's rule."""
    seen: set[str] = set()
    pending: list[Any] = []
    for item in spec.get("paths", {}).values():
        for operation in item.values():
            if not isinstance(operation, dict):
                continue
            for parameter in operation.get("parameters", []):
                if parameter.get("in") in ("path", "query"):
                    pending.append(parameter.get("schema", {}))
            for media in operation.get("requestBody", {}).get("content", {}).values():
                pending.append(media.get("schema", {}))
    while pending:
        schema = pending.pop()
        if isinstance(schema, list):
            pending.extend(schema)
            continue
        if not isinstance(schema, dict):
            continue
        ref = schema.get("$ref")
        if isinstance(ref, str) and ref.startswith(COMPONENTS) and ref not in seen:
            seen.add(ref)
            pending.append(schemas.get(ref.removeprefix(COMPONENTS)))
        if schema.get("type") == "string" and not _TEXT_SET.intersection(schema):
            schema["pattern"] = TEXT_PATTERN
        if schema.get("type") == "object" and schema.get("additionalProperties") is not False:
            schema.setdefault("propertyNames", {"pattern": TEXT_PATTERN})
        for key in ("properties", "patternProperties"):
            pending.extend(schema.get(key, {}).values())
        for key in ("items", "additionalProperties", "oneOf", "anyOf", "allOf", "prefixItems"):
            pending.append(schema.get(key))


def _describe_media_types(paths: dict[str, Any]) -> None:
    """Each media type the answer may have; a JSON one keeps the schema Litestar gave it."""
    for (path, method), media_types in _CHOSEN_MEDIA_TYPES.items():
        answer = paths.get(path, {}).get(method, {}).get("responses", {}).get("200")
        if answer is None:
            continue
        given = answer.get("content", {})
        content = {}
        for media_type in media_types:
            if given.get(media_type, {}).get("schema"):
                content[media_type] = given[media_type]
            elif media_type in _JSON_TYPES:
                content[media_type] = {"schema": {"type": "object"}}
            else:
                content[media_type] = {"schema": _BINARY}
        answer["content"] = content


class DescribedJson(JsonRenderPlugin):
    """``/schema/openapi.json``, completed (see the module's docstring)."""

    def render(self, request: Request[Any, Any, Any], openapi_schema: dict[str, Any]) -> bytes:
        """The description as JSON."""
        return super().render(request, describe(openapi_schema, request.app))


class DescribedSwagger(SwaggerRenderPlugin):
    """Swagger UI at ``/schema``, showing the completed description."""

    def render(self, request: Request[Any, Any, Any], openapi_schema: dict[str, Any]) -> bytes:
        """The Swagger UI page."""
        return super().render(request, describe(openapi_schema, request.app))
