"""Every error as an RFC 9457 problem+json response, in the reader's language.

This is the one place where failures are mapped to HTTP statuses.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Sequence
from typing import Annotated, Any

import msgspec
from litestar import Request, Response
from litestar.exceptions import (
    HTTPException,
    MethodNotAllowedException,
    NotFoundException,
    ValidationException,
)
from litestar.openapi import ResponseSpec
from litestar.status_codes import (
    HTTP_400_BAD_REQUEST,
    HTTP_401_UNAUTHORIZED,
    HTTP_403_FORBIDDEN,
    HTTP_404_NOT_FOUND,
    HTTP_405_METHOD_NOT_ALLOWED,
    HTTP_409_CONFLICT,
    HTTP_413_REQUEST_ENTITY_TOO_LARGE,
    HTTP_415_UNSUPPORTED_MEDIA_TYPE,
    HTTP_422_UNPROCESSABLE_ENTITY,
    HTTP_500_INTERNAL_SERVER_ERROR,
    HTTP_503_SERVICE_UNAVAILABLE,
)

from trace.api.refusals import validation_problems
from trace.domain.errors import DomainError, FieldProblem, error_type
from trace.domain.texts import N_
from trace.explain import problem_text
from trace.store.outage import RETRY_AFTER_SECONDS, is_unavailable, report_failure
from trace.translation import negotiate, say

PROBLEM_JSON = "application/problem+json"
_log = logging.getLogger("trace.api")

STATUS: dict[str, int] = {
    "not_canonical": HTTP_400_BAD_REQUEST,
    "invalid_statement": HTTP_422_UNPROCESSABLE_ENTITY,
    "invalid_body": HTTP_422_UNPROCESSABLE_ENTITY,
    "invalid_contact": HTTP_422_UNPROCESSABLE_ENTITY,
    "unknown_place": HTTP_422_UNPROCESSABLE_ENTITY,
    "master_data_taken": HTTP_409_CONFLICT,
    "invalid_webhook": HTTP_422_UNPROCESSABLE_ENTITY,
    "report_state_refused": HTTP_422_UNPROCESSABLE_ENTITY,
    "time_out_of_range": HTTP_422_UNPROCESSABLE_ENTITY,
    "record_unreadable": HTTP_409_CONFLICT,
    "unknown_kind": HTTP_422_UNPROCESSABLE_ENTITY,
    "invalid_signature": HTTP_422_UNPROCESSABLE_ENTITY,
    "invalid_identifier": HTTP_422_UNPROCESSABLE_ENTITY,
    "not_permitted": HTTP_403_FORBIDDEN,
    "forbidden": HTTP_403_FORBIDDEN,
    "csrf_missing": HTTP_403_FORBIDDEN,
    "unauthenticated": HTTP_401_UNAUTHORIZED,
    "not_found": HTTP_404_NOT_FOUND,
    "tile_path": HTTP_404_NOT_FOUND,
    "version_conflict": HTTP_409_CONFLICT,
    "duplicate_lot": HTTP_409_CONFLICT,
    "contention": HTTP_409_CONFLICT,
    "idempotency_conflict": HTTP_422_UNPROCESSABLE_ENTITY,
    "key_not_usable": HTTP_422_UNPROCESSABLE_ENTITY,
    "not_migrated": HTTP_503_SERVICE_UNAVAILABLE,
    "proof_range": HTTP_422_UNPROCESSABLE_ENTITY,
    "proof_invalid": HTTP_422_UNPROCESSABLE_ENTITY,
    "note_invalid": HTTP_422_UNPROCESSABLE_ENTITY,
    "checkpoint_invalid": HTTP_422_UNPROCESSABLE_ENTITY,
    "unknown_witness": HTTP_422_UNPROCESSABLE_ENTITY,
    "unknown_checkpoint": HTTP_409_CONFLICT,
    "log_inconsistent": HTTP_409_CONFLICT,
    "label_does_not_fit": HTTP_422_UNPROCESSABLE_ENTITY,
    "photo_refused": HTTP_422_UNPROCESSABLE_ENTITY,
    "label_request_invalid": HTTP_422_UNPROCESSABLE_ENTITY,
    "key_registered": HTTP_409_CONFLICT,
    "revocation_out_of_range": HTTP_422_UNPROCESSABLE_ENTITY,
    "bad_request": HTTP_400_BAD_REQUEST,
    "unsupported_media_type": HTTP_415_UNSUPPORTED_MEDIA_TYPE,
    "unavailable": HTTP_503_SERVICE_UNAVAILABLE,
    "too_many_statements": HTTP_413_REQUEST_ENTITY_TOO_LARGE,
    "not_ready": HTTP_503_SERVICE_UNAVAILABLE,
    "metrics_forbidden": HTTP_403_FORBIDDEN,
}

_UNSET = msgspec.UNSET
Unset = msgspec.UnsetType


def _said(description: str) -> msgspec.Meta:
    return msgspec.Meta(description=description)


class FieldError(msgspec.Struct, omit_defaults=True):
    """One mistake of a request that has several (a form's fields), in ``errors``."""

    field: Annotated[str, _said("Where: the field's path, e.g. body.quantity.unit.")]
    detail: Annotated[str, _said("What is wrong and what to do, in the reader's language.")]
    accepted: (
        Annotated[list[str], _said("The values the field takes, where they are few.")] | Unset
    ) = _UNSET
    minimum: Annotated[int, _said("The least the field takes.")] | Unset = _UNSET
    maximum: Annotated[int, _said("The most the field takes.")] | Unset = _UNSET


class Problem(msgspec.Struct, omit_defaults=True):
    """An error as RFC 9457 problem details, worded in the reader's language (``lang``).

    ``code`` names the failure for programs. The members after ``lang`` are RFC 9457
    extension members, present when the failure has them. This one declaration is both
    what the OpenAPI description documents and the list of the parameters a failure may
    show: the others (a batch's id, a sender...) stay in the log and in ``detail``.
    """

    type: Annotated[
        str, _said("urn:trace:problem:{code}; under /epcis, epcisException:{name} (EPCIS 2.0).")
    ]
    title: Annotated[str, _said("The code in words, the same in every language.")]
    status: Annotated[int, msgspec.Meta(ge=400, le=599, description="The HTTP status.")]
    detail: Annotated[str, _said("What went wrong and what to do, for a person to read.")]
    code: Annotated[str, _said("The failure, for programs: e.g. version_conflict.")]
    lang: Annotated[str, _said("The language of detail (Accept-Language): vi or en.")]
    reason: Annotated[str, _said("Which check failed, for programs.")] | Unset = _UNSET
    kind: Annotated[str, _said("The event kind refused.")] | Unset = _UNSET
    rule: Annotated[str, _said("The rule that refused the request.")] | Unset = _UNSET
    current: Annotated[int, _said("The batch's version now (version_conflict).")] | Unset = _UNSET
    expected: Annotated[int | str, _said("What the check expected.")] | Unset = _UNSET
    key: Annotated[str, _said("The Idempotency-Key, key id or header concerned.")] | Unset = _UNSET
    what: Annotated[str, _said("What was not found: batch, agency, key, record...")] | Unset = (
        _UNSET
    )
    id: Annotated[str, _said("The identifier that names nothing.")] | Unset = _UNSET
    field: Annotated[str, _said("The field or parameter refused.")] | Unset = _UNSET
    gtin: Annotated[str, _said("The GTIN of a lot already registered.")] | Unset = _UNSET
    lot: Annotated[str, _said("The lot already registered with that GTIN.")] | Unset = _UNSET
    value: Annotated[str, _said("The value refused.")] | Unset = _UNSET
    template: Annotated[str, _said("The label template concerned.")] | Unset = _UNSET
    version: Annotated[int, _said("The QR symbol's version that does not fit.")] | Unset = _UNSET
    minimum: Annotated[str, _said("The smallest text size needed, in points.")] | Unset = _UNSET
    accepted: Annotated[str, _said("The media types this address reads.")] | Unset = _UNSET
    limit: Annotated[int, _said("The limit the request went over.")] | Unset = _UNSET
    width: Annotated[int, _said("The photo's width in pixels.")] | Unset = _UNSET
    height: Annotated[int, _said("The photo's height in pixels.")] | Unset = _UNSET
    position: Annotated[int, _said("Where in the input the fault is.")] | Unset = _UNSET
    character: Annotated[str, _said("The character refused, described.")] | Unset = _UNSET
    seconds: Annotated[int, _said("Seconds to wait before retrying.")] | Unset = _UNSET
    count: Annotated[int, _said("How many mistakes the request holds.")] | Unset = _UNSET
    errors: (
        Annotated[list[FieldError], _said("Each mistake, where the request holds several.")] | Unset
    ) = _UNSET


# The parameters of a failure shown to the client as extension members: those Problem
# declares beside the members every problem has.
_ENVELOPE = frozenset({"type", "title", "status", "detail", "code", "lang"})
_EXPOSED = (
    frozenset(field.encode_name for field in msgspec.structs.fields(Problem))
    - _ENVELOPE
    - {"errors"}
)
_FIELD_EXPOSED = frozenset(field.encode_name for field in msgspec.structs.fields(FieldError)) - {
    "field",
    "detail",
}


_ANSWERS = {
    HTTP_400_BAD_REQUEST: "The request cannot be read: a parameter or the body is malformed.",
    HTTP_401_UNAUTHORIZED: "No valid bearer token or console session.",
    HTTP_403_FORBIDDEN: (
        "The token's agency or scopes may not do this, or a console write lacks its "
        "X-CSRF-Token (csrf_missing)."
    ),
    HTTP_404_NOT_FOUND: "Nothing has this identifier.",
    HTTP_409_CONFLICT: "The request conflicts with what is recorded; read again and retry.",
    HTTP_413_REQUEST_ENTITY_TOO_LARGE: "The body is larger than the service takes.",
    HTTP_415_UNSUPPORTED_MEDIA_TYPE: "The body is not of a media type this address reads.",
    HTTP_422_UNPROCESSABLE_ENTITY: "The request is well-formed but what it says is refused.",
    HTTP_503_SERVICE_UNAVAILABLE: "The database cannot be reached; retry after Retry-After.",
}
# Every operation reads its parameters (400) and, but for the label templates, the database.
ANY = (HTTP_400_BAD_REQUEST, HTTP_503_SERVICE_UNAVAILABLE)
# An operation that needs a bearer token, and may refuse its agency or scopes.
TOKEN = (HTTP_401_UNAUTHORIZED, HTTP_403_FORBIDDEN)
# An operation that reads a JSON body.
BODY = (HTTP_400_BAD_REQUEST, HTTP_413_REQUEST_ENTITY_TOO_LARGE, HTTP_415_UNSUPPORTED_MEDIA_TYPE)


def problem_answers(*statuses: int) -> dict[int, ResponseSpec]:
    """The problem+json answers an operation gives, for its OpenAPI description."""
    return {
        status: ResponseSpec(
            data_container=Problem,
            media_type=PROBLEM_JSON,
            description=_ANSWERS[status],
            generate_examples=False,
        )
        for status in sorted(set(statuses))
    }


class MethodNotAllowed(DomainError):
    """The address has no handler for the request's method (405)."""

    code = "method_not_allowed"
    words = N_("This method is not allowed on this address.")


class TooLarge(DomainError):
    """The request body is larger than the service takes (413)."""

    code = "too_large"
    words = N_("The request body is too large (at most {limit} bytes). Send less data.")


class Unavailable(DomainError):
    """The database cannot be reached (503)."""

    code = "unavailable"
    words = N_(
        "The service cannot reach its database just now. Retry in {seconds} seconds. "
        "Nothing was lost: what was recorded is kept, and a write retried with the same "
        "Idempotency-Key is never recorded twice."
    )


class Internal(DomainError):
    """A failure of the service itself (500)."""

    code = "internal"
    words = N_(
        "Server error. No data was changed; retry, or report it to the operator with "
        "reference {reference}."
    )


def problem(
    request: Request[Any, Any, Any],
    status: int,
    code: str,
    *,
    problems: Sequence[FieldProblem] = (),
    **params: object,
) -> Response[dict[str, Any]]:
    """A problem+json response for ``code``, worded in the language the request asks for.

    A failure with several mistakes (``problems``) names each in ``detail``, one a line,
    and lists them in ``errors``, each with its field's path.
    """
    content = problem_content(request, status, code, problems=problems, **params)
    # For the request's log line and the refusals' count (trace/api/access.py).
    request.scope["state"]["problem"] = code
    headers = {"Content-Language": content["lang"]}
    if status == HTTP_401_UNAUTHORIZED:
        headers["WWW-Authenticate"] = 'Bearer realm="trace"'
    return Response(content, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def problem_content(
    request: Request[Any, Any, Any],
    status: int,
    code: str,
    *,
    problems: Sequence[FieldProblem] = (),
    **params: object,
) -> dict[str, Any]:
    """The members of the problem :func:`problem` answers (a :class:`Problem`), for an
    answer that holds several (one per statement of a bulk append)."""
    lang = negotiate(request.headers.get("accept-language"))
    detail = say(error_type(code).words_for(params), lang, **params)
    errors = [_field_error(found, lang) for found in problems]
    if errors:
        detail = "\n".join([detail, *(f"- {error['detail']}" for error in errors)])
    content: dict[str, Any] = {
        "type": f"urn:trace:problem:{code}",
        "title": code.replace("_", " "),
        "status": status,
        "detail": detail,
        "code": code,
        "lang": lang,
    }
    content.update({k: v for k, v in params.items() if k in _EXPOSED})
    if errors:
        content["errors"] = errors
    return content


def _field_error(found: FieldProblem, lang: str) -> dict[str, Any]:
    """One mistake of several, as ``errors`` lists it: where, what, and the values allowed."""
    error: dict[str, Any] = {"field": found.path, "detail": problem_text(found, lang)}
    for name in _FIELD_EXPOSED:
        value = found.params.get(name)
        if isinstance(value, tuple):
            error[name] = [choice for choice, _ in value]
        elif isinstance(value, int):
            error[name] = value
    return error


def on_domain_error(request: Request[Any, Any, Any], exc: DomainError) -> Response[dict[str, Any]]:
    """Map a domain or store failure to its status and message."""
    return problem(
        request, status_of(exc), exc.code, problems=exc.problems, detail=exc.detail, **exc.params
    )


def status_of(exc: DomainError) -> int:
    """The HTTP status of a domain or store failure."""
    return STATUS.get(exc.code, HTTP_400_BAD_REQUEST)


def domain_problem(request: Request[Any, Any, Any], exc: DomainError) -> Problem:
    """The problem :func:`on_domain_error` answers for ``exc``, as a :class:`Problem`."""
    content = problem_content(
        request, status_of(exc), exc.code, problems=exc.problems, detail=exc.detail, **exc.params
    )
    return msgspec.convert(content, Problem)


def on_http_error(request: Request[Any, Any, Any], exc: HTTPException) -> Response[dict[str, Any]]:
    """Map the framework's own errors (validation, 404, 405, 413) to problem+json."""
    if isinstance(exc, ValidationException):
        found = validation_problems(request, exc)
        return problem(
            request,
            HTTP_400_BAD_REQUEST,
            "bad_request",
            problems=found,
            reason="fields",
            count=len(found),
            detail=str(exc.detail),
        )
    if isinstance(exc, NotFoundException):
        return problem(
            request, HTTP_404_NOT_FOUND, "not_found", what="resource", id=request.url.path
        )
    if isinstance(exc, MethodNotAllowedException):
        # RFC 9110 §15.5.6: a 405 names the methods the address has.
        answer = problem(request, HTTP_405_METHOD_NOT_ALLOWED, "method_not_allowed")
        # The framework lists a WebSocket handler at the same address as "websocket": an
        # upgrade of GET, not a method of its own.
        named = str((exc.headers or {}).get("allow", "")).split(",")
        methods = [m.strip() for m in named if m.strip() and m.strip().lower() != "websocket"]
        answer.headers["Allow"] = ", ".join(methods)
        return answer
    if exc.status_code == HTTP_413_REQUEST_ENTITY_TOO_LARGE:
        # An address may take more than the service's limit (a photo): its own limit.
        limit = request.route_handler.resolve_request_max_body_size()
        return problem(request, HTTP_413_REQUEST_ENTITY_TOO_LARGE, "too_large", limit=limit)
    return problem(request, exc.status_code, "bad_request", reason="unreadable")


def unavailable(request: Request[Any, Any, Any]) -> Response[dict[str, Any]]:
    """503: the database cannot be reached; retry after a few seconds."""
    seconds = RETRY_AFTER_SECONDS
    answer = problem(request, HTTP_503_SERVICE_UNAVAILABLE, "unavailable", seconds=seconds)
    answer.headers["Retry-After"] = str(seconds)
    return answer


def on_unexpected(request: Request[Any, Any, Any], exc: Exception) -> Response[dict[str, Any]]:
    """Log the unexpected failure with a reference the user can quote; never show a trace.

    A failure that means the database cannot be reached is no defect: a 503 with
    ``Retry-After``, logged once per outage (trace/store/outage.py).
    """
    if is_unavailable(exc):
        ledger = request.app.state.get("ledger")
        if ledger is not None:
            report_failure(ledger.engine, exc)
        return unavailable(request)
    reference = secrets.token_hex(4)
    _log.exception(
        "unhandled error %s on %s %s",
        reference,
        request.method,
        request.url.path,
        extra={"reference": reference, "request_id": request.scope["state"].get("request_id")},
    )
    return problem(request, HTTP_500_INTERNAL_SERVER_ERROR, "internal", reference=reference)


EXCEPTION_HANDLERS: dict[Any, Any] = {
    DomainError: on_domain_error,
    HTTPException: on_http_error,
    Exception: on_unexpected,
}
