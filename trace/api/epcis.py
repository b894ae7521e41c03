"""EPCIS 2.0 REST binding under ``/epcis``: capture, capture jobs, event queries.

Paths are those of the binding's OpenAPI description below its base: ``/capture``
(``POST`` a document, ``OPTIONS`` for the limits), ``/capture/{captureID}`` and
``/events``. Capture takes a token of the agency whose key signs the records; queries
take an inspector's token and go to the inspectors' audit trail. Every answer names
the versions (``GS1-EPCIS-Version``, ``GS1-CBV-Version``); failures are problem+json
whose ``type`` is the standard's exception (``epcisException:ValidationException``...).
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

import msgspec
from litestar import Controller, Request, Response, get, post, route
from litestar.di import Provide
from litestar.enums import HttpMethod
from litestar.exceptions import HTTPException, ValidationException
from litestar.openapi import ResponseSpec
from litestar.params import Parameter
from litestar.status_codes import HTTP_413_REQUEST_ENTITY_TOO_LARGE

from trace.api.auth import ActorDep, InspectorDep, LedgerDep, provide_actor, provide_inspector
from trace.api.edge import read_json_body
from trace.api.problems import (
    ANY,
    BODY,
    TOKEN,
    on_domain_error,
    on_http_error,
    problem_answers,
)
from trace.config import Settings
from trace.domain.errors import DomainError
from trace.epcis import capture as capturing
from trace.epcis.errors import (
    EPCIS_EXCEPTIONS,
    CaptureLimitExceeded,
    InvalidEpcisDocument,
)
from trace.epcis.index import EpcisIndex
from trace.epcis.jobs import Behaviour, job_document, load_job
from trace.epcis.master_data import vocabulary_of
from trace.epcis.query import find_events, page_token, parse_query, query_document
from trace.store.database import read_transaction
from trace.store.projections import catch_up
from trace.translation import negotiate

VERSIONS = {
    "GS1-EPCIS-Version": "2.0.0",
    "GS1-EPCIS-Min": "2.0.0",
    "GS1-EPCIS-Max": "2.0.0",
    "GS1-CBV-Version": "2.0.0",
    "GS1-CBV-Min": "2.0.0",
    "GS1-CBV-Max": "2.0.0",
}
JSON_TYPES = ("application/json", "application/ld+json")

CaptureErrorBehaviour = Annotated[
    Behaviour,
    Parameter(
        header="GS1-Capture-Error-Behaviour",
        description="rollback (all or nothing, the default) or proceed (keep what passes).",
        required=False,
    ),
]


def _settings(request: Request[Any, Any, Any]) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def _limits(request: Request[Any, Any, Any]) -> dict[str, str]:
    return {
        "GS1-EPCIS-Capture-Limit": str(capturing.CAPTURE_LIMIT),
        "GS1-EPCIS-Capture-File-Size-Limit": str(capturing.CAPTURE_FILE_SIZE_LIMIT),
    }


def _as_epcis(request: Request[Any, Any, Any], response: Response[Any], code: str) -> Response[Any]:
    """The response with the standard's exception as its problem type, and the versions."""
    name, status = EPCIS_EXCEPTIONS.get(code, ("", 0))
    if name and isinstance(response.content, dict):
        response.content["type"] = f"epcisException:{name}"
        response.content["status"] = status
        response.status_code = status
    response.headers.update(VERSIONS)
    if status == HTTP_413_REQUEST_ENTITY_TOO_LARGE:
        response.headers.update(_limits(request))
    return response


def on_epcis_error(request: Request[Any, Any, Any], exc: DomainError) -> Response[Any]:
    """A domain failure on an EPCIS route, as the EPCIS exception it is."""
    return _as_epcis(request, on_domain_error(request, exc), exc.code)


def on_epcis_http_error(request: Request[Any, Any, Any], exc: HTTPException) -> Response[Any]:
    """A framework failure (bad header, body too large) as the EPCIS exception it is."""
    if exc.status_code == HTTP_413_REQUEST_ENTITY_TOO_LARGE:
        limit = request.route_handler.resolve_request_max_body_size()
        refused = CaptureLimitExceeded(
            f"the document is larger than {limit} bytes", limit=limit, what="bytes"
        )
        return on_epcis_error(request, refused)
    if isinstance(exc, ValidationException):
        return _as_epcis(request, on_http_error(request, exc), InvalidEpcisDocument.code)
    return _as_epcis(request, on_http_error(request, exc), "")


def _json(content: Any, status: int = 200, **headers: str) -> Response[bytes]:
    return Response(
        msgspec.json.encode(content),
        status_code=status,
        media_type="application/json",
        headers={**VERSIONS, **headers},
    )


class EpcisController(Controller):
    """`/epcis`: the EPCIS 2.0 capture and query interfaces."""

    path = "/epcis"
    tags = ["epcis"]
    exception_handlers = {DomainError: on_epcis_error, HTTPException: on_epcis_http_error}

    # Litestar registers a controller's handlers in the order of their names, and adds its
    # own OPTIONS handler (without the capture limits) to a path whose first one is not
    # OPTIONS: so this one's name sorts before "capture".
    @route(
        "/capture",
        http_method=HttpMethod.OPTIONS,
        status_code=204,
        responses={
            204: ResponseSpec(None, description="The limits, in headers."),
            **problem_answers(400),
        },
    )
    async def can_capture(self, request: Request[Any, Any, Any]) -> Response[None]:
        """Read what capture takes: versions, limits and error behaviours.

        Public. The answer is in its headers: ``GS1-EPCIS-Capture-Limit`` (events a
        document), ``GS1-EPCIS-Capture-File-Size-Limit`` (bytes), the EPCIS and CBV versions,
        and both capture error behaviours.
        """
        headers = {
            "Allow": "OPTIONS, POST",
            "GS1-Capture-Error-Behaviour": "all",
            **VERSIONS,
            **_limits(request),
        }
        return Response(None, status_code=204, headers=headers)

    @post(
        "/capture",
        dependencies={"actor": Provide(provide_actor)},
        request_max_body_size=capturing.CAPTURE_FILE_SIZE_LIMIT,
        status_code=202,
        responses={
            202: ResponseSpec(dict[str, Any], description="The capture job, finished."),
            **problem_answers(*ANY, *TOKEN, *BODY, 409, 422),
        },
    )
    async def capture(
        self,
        request: Request[Any, Any, Any],
        ledger: LedgerDep,
        actor: ActorDep,
        behaviour: CaptureErrorBehaviour = Behaviour.ROLLBACK,
    ) -> Response[bytes]:
        """Capture an EPCIS 2.0 JSON-LD document.

        An agency's token with the ``record`` scope; the document is an EPCISDocument or an
        EPCISQueryDocument. The answer is ``202`` with the capture job's ``Location``; the
        job is finished by then. A document that is not valid EPCIS 2.0 JSON, holds an
        identifier of no standard form, or is over the limits is refused whole (``400``,
        ``413``).
        """
        data = await request.body()
        read_json_body(data, request.content_type, JSON_TYPES)
        job = await capturing.capture(
            ledger, actor, data, behaviour=behaviour, base_url=_settings(request).public_url
        )
        lang = negotiate(request.headers.get("accept-language"))
        return _json(
            job_document(job, lang),
            202,
            Location=f"/epcis/capture/{job.id}",
            **_limits(request),
        )

    @get(
        "/capture/{capture_id:str}",
        dependencies={"actor": Provide(provide_actor)},
        responses={
            200: ResponseSpec(dict[str, Any], description="The capture job."),
            **problem_answers(*ANY, 401, 404),
        },
    )
    async def capture_job(
        self, request: Request[Any, Any, Any], ledger: LedgerDep, actor: ActorDep, capture_id: str
    ) -> Response[bytes]:
        """Read a capture job of the token's agency.

        Whether it succeeded, each refused event's error (RFC 9457) and the ids of the
        events captured.
        """
        async with read_transaction(ledger.engine) as conn:
            job = await load_job(conn, capture_id, actor.agency_id)
        return _json(job_document(job, negotiate(request.headers.get("accept-language"))))

    @get(
        "/events",
        dependencies={"inspector": Provide(provide_inspector)},
        tags=["inspectors"],
        responses={
            200: ResponseSpec(
                dict[str, Any],
                media_type="application/ld+json",
                description="An EPCISQueryDocument.",
            ),
            **problem_answers(*ANY, *TOKEN),
        },
    )
    async def events(
        self, request: Request[Any, Any, Any], ledger: LedgerDep, inspector: InspectorDep
    ) -> Response[bytes]:
        """Query EPCIS events with the standard query parameters (EPCIS 2.0 8.2.7.1).

        Inspectors only (``inspect`` scope); each query is written to the audit trail.
        Supported: eventType, GE_/LT_eventTime, GE_/LT_recordTime, EQ_action, EQ_bizStep,
        EQ_disposition, EQ_readPoint, EQ_bizLocation, EQ_eventID, MATCH_epc,
        MATCH_parentID, MATCH_inputEPC, MATCH_outputEPC, MATCH_anyEPC, MATCH_epcClass,
        MATCH_inputEPCClass, MATCH_outputEPCClass, MATCH_anyEPCClass, perPage (at most
        500) and nextPageToken; several values as ``a|b``. Other parameters are refused.
        The next page is in the ``Link`` header (``rel="next"``).
        """
        pairs = list(request.query_params.multi_items())
        params: dict[str, list[str]] = {}
        for name, value in pairs:
            params.setdefault(name, []).append(value)
        query = parse_query(params)
        # On the primary; a replica answers with what it has replayed.
        await catch_up(ledger, EpcisIndex(_settings(request).public_url))
        async with read_transaction(ledger.reader()) as conn:
            events, after = await find_events(conn, query)
            vocabulary = await vocabulary_of(conn, events, _settings(request).public_url)
        headers = dict(VERSIONS)
        if after is not None:
            kept = [(n, v) for n, v in pairs if n != "nextPageToken"]
            link = urlencode([*kept, ("nextPageToken", page_token(query, after))])
            headers["Link"] = f'</epcis/events?{link}>; rel="next"'
        document = query_document(events, vocabulary)
        return Response(document, media_type="application/ld+json", headers=headers)
