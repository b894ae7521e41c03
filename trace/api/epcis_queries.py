"""EPCIS 2.0 REST binding under ``/epcis/queries``: named queries and their subscriptions.

``POST /queries`` saves a query of ``GET /events``'s parameters under a name;
``/queries/{name}/events`` answers its events page by page, or, upgraded to a WebSocket
with ``stream=true`` or a schedule, sends each new match as it is recorded; and
``/queries/{name}/subscriptions`` pushes them to a webhook (trace/epcis/subscriptions.py).
Everything here is an inspector's, as ``/events`` is: a token of an authority, a
certifier or the operator with the ``inspect`` scope, each use written to the audit
trail. Queries and subscriptions belong to the token's agency.
"""

from __future__ import annotations

import asyncio
from typing import Annotated, Any
from urllib.parse import urlencode

import msgspec
from litestar import Controller, Request, Response, WebSocket, delete, get, post, websocket
from litestar.di import Provide
from litestar.exceptions import HTTPException, WebSocketDisconnect
from litestar.openapi import ResponseSpec
from litestar.params import Parameter
from sqlalchemy import select

from trace.api.auth import INSPECTING_KINDS, InspectorDep, LedgerDep, provide_inspector
from trace.api.epcis import VERSIONS, on_epcis_error, on_epcis_http_error
from trace.api.problems import ANY, BODY, TOKEN, problem_answers
from trace.config import Settings
from trace.domain.errors import DomainError
from trace.domain.record import now_us
from trace.domain.scopes import Scope
from trace.epcis.errors import InvalidQueryParameter
from trace.epcis.index import EpcisIndex, event_micros
from trace.epcis.named_queries import (
    NAME_PATTERN,
    PAGING,
    NamedQuery,
    create_query,
    list_queries,
    load_query,
)
from trace.epcis.query import MAX_PER_PAGE, find_events, page_token
from trace.epcis.schedules import Schedule
from trace.epcis.subscription_notices import matching_events, query_document
from trace.epcis.subscriptions import (
    InvalidSubscription,
    check_controls,
    create_subscription,
    delete_query,
    delete_subscription,
    find_subscription,
    list_subscriptions,
)
from trace.store.agencies import Actor, authenticate, require_scope
from trace.store.audit_trail import record_query
from trace.store.database import read_transaction
from trace.store.errors import Forbidden, Unauthenticated
from trace.store.ledger import Ledger
from trace.store.projections import catch_up
from trace.store.tables import log_head

QueryName = Annotated[
    str,
    Parameter(
        pattern=NAME_PATTERN, max_length=64, description="The query's name, as it was saved."
    ),
]
SubscriptionId = Annotated[
    str, Parameter(max_length=36, description="The subscription's id (subscriptionID).")
]
_SCHEDULE_FIELDS = ("second", "minute", "hour", "dayOfMonth", "month", "dayOfWeek")
_SOCKET_CONTROLS = frozenset({"stream", "reportIfEmpty", "initialRecordTime", *_SCHEDULE_FIELDS})


class QueryIn(msgspec.Struct, forbid_unknown_fields=True):
    """A query to save: its name and the parameters of ``GET /epcis/events``."""

    name: Annotated[str, msgspec.Meta(pattern=NAME_PATTERN, max_length=64)]
    query: Annotated[
        dict[str, str | list[str]],
        msgspec.Meta(
            description="Parameters of GET /epcis/events (without perPage, nextPageToken): "
            "a string, or a list of strings for several values."
        ),
    ]


class QueryOut(msgspec.Struct):
    """A saved query, as the binding writes it."""

    name: str
    query: dict[str, str | list[str]]

    @classmethod
    def of(cls, named: NamedQuery) -> QueryOut:
        """The API view of ``named``."""
        definition = named.definition()
        return cls(definition["name"], definition["query"])


class ScheduleIn(msgspec.Struct, forbid_unknown_fields=True, rename="camel"):
    """When a scheduled subscription reports (UTC), each field as cron writes it."""

    second: str | None = None
    minute: str | None = None
    hour: str | None = None
    day_of_month: str | None = None
    month: str | None = None
    day_of_week: str | None = None

    def fields(self) -> dict[str, str]:
        """The fields given, by their names in the binding."""
        given = msgspec.to_builtins(self)
        return {k: str(v) for k, v in given.items() if v is not None}


class SubscriptionIn(msgspec.Struct, forbid_unknown_fields=True, rename="camel"):
    """A webhook subscription: where to, signed with what, and when."""

    dest: Annotated[str, msgspec.Meta(min_length=8, max_length=2000)]
    signature_token: Annotated[str, msgspec.Meta(max_length=512)] | None = None
    stream: bool | None = None
    schedule: ScheduleIn | None = None
    report_if_empty: bool = False
    initial_record_time: Annotated[str, msgspec.Meta(max_length=40)] | None = None


class SubscriptionOut(msgspec.Struct, omit_defaults=True, rename="camel"):
    """A subscription, as the binding describes it (never its signatureToken)."""

    subscription_id: str = msgspec.field(name="subscriptionID")
    query_name: str = ""
    dest: str = ""
    created_at: str = ""
    stream: bool | None = None
    schedule: dict[str, str] | None = None
    report_if_empty: bool | None = None
    initial_record_time: str | None = None
    last_notified_at: str | None = None


def _settings(request: Request[Any, Any, Any]) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def _json(content: Any, status: int = 200, **headers: str) -> Response[bytes]:
    return Response(
        msgspec.json.encode(content),
        status_code=status,
        media_type="application/json",
        headers={**VERSIONS, **headers},
    )


def _initial(written: str | None) -> int | None:
    if written is None:
        return None
    try:
        return event_micros(written)
    except ValueError:
        raise InvalidSubscription(
            f"initialRecordTime {written!r}", rule="time", field="initialRecordTime"
        ) from None


class EpcisQueriesController(Controller):
    """`/epcis/queries`: named queries, their events, and subscriptions to them."""

    path = "/epcis/queries"
    tags = ["epcis", "inspectors"]
    dependencies = {"inspector": Provide(provide_inspector)}
    exception_handlers = {DomainError: on_epcis_error, HTTPException: on_epcis_http_error}

    @post(
        "/",
        status_code=201,
        responses={
            201: ResponseSpec(QueryOut, description="The saved query."),
            **problem_answers(*ANY, *TOKEN, *BODY, 409),
        },
    )
    async def save(
        self, ledger: LedgerDep, inspector: InspectorDep, data: QueryIn
    ) -> Response[bytes]:
        """Save a named query (the binding's ``POST /queries``).

        ``query`` holds parameters of ``GET /epcis/events``, each a string or a list of
        strings; they are checked now, and a parameter that ``/epcis/events`` would refuse
        is refused here (``400 QueryParameterException``). A name the agency already uses
        is ``409``. The answer's ``Location`` reads the query.
        """
        named = await create_query(ledger, inspector.agency_id, data.name, data.query)
        return _json(QueryOut.of(named), 201, Location=f"/epcis/queries/{named.name}")

    @get(
        "/",
        responses={
            200: ResponseSpec(list[QueryOut], description="The queries."),
            **problem_answers(*ANY, *TOKEN),
        },
    )
    async def queries(self, ledger: LedgerDep, inspector: InspectorDep) -> Response[bytes]:
        """List your agency's named queries.

        By name, each with its parameters as saved; other agencies' queries are not shown.
        """
        found = await list_queries(ledger, inspector.agency_id)
        return _json([QueryOut.of(named) for named in found])

    @get(
        "/{name:str}",
        responses={
            200: ResponseSpec(QueryOut, description="The query."),
            **problem_answers(*ANY, *TOKEN, 404),
        },
    )
    async def query(
        self, ledger: LedgerDep, inspector: InspectorDep, name: QueryName
    ) -> Response[bytes]:
        """Read one of your agency's named queries.

        Its name and parameters, as ``POST /epcis/queries`` saved them; ``404`` if your
        agency has no query of that name.
        """
        return _json(QueryOut.of(await load_query(ledger, inspector.agency_id, name)))

    @delete("/{name:str}", status_code=204, responses=problem_answers(*ANY, *TOKEN, 404))
    async def forget(self, ledger: LedgerDep, inspector: InspectorDep, name: QueryName) -> None:
        """Delete a named query and end every subscription to it.

        Notices of its subscriptions still waiting in the outbox are dropped, not sent.
        """
        await delete_query(ledger, inspector.agency_id, name)

    @get(
        "/{name:str}/events",
        responses={
            200: ResponseSpec(
                dict[str, Any],
                media_type="application/ld+json",
                description="An EPCISQueryDocument.",
            ),
            **problem_answers(*ANY, *TOKEN, 404),
        },
    )
    async def events(
        self,
        request: Request[Any, Any, Any],
        ledger: LedgerDep,
        inspector: InspectorDep,
        name: QueryName,
        per_page: Annotated[
            int | None, Parameter(query="perPage", ge=1, description="At most 500.")
        ] = None,
        next_page_token: Annotated[
            str | None, Parameter(query="nextPageToken", max_length=200)
        ] = None,
    ) -> Response[bytes]:
        """Read the events of a named query, in log order, page by page.

        The next page is in the ``Link`` header: the answer ``GET /epcis/events`` gives
        with the query's parameters, which no other parameter changes here. Sent with
        ``Upgrade: websocket`` and ``stream=true`` (or schedule parameters: ``second``,
        ``minute``, ``hour``, ``dayOfMonth``, ``month``, ``dayOfWeek``; with
        ``reportIfEmpty``, ``initialRecordTime``), it becomes a WebSocket subscription:
        each message is an EPCISQueryDocument of new matching events.
        """
        named = await load_query(ledger, inspector.agency_id, name)
        paging: dict[str, list[str]] = {}
        for field, value in request.query_params.multi_items():
            if field in _SOCKET_CONTROLS:
                raise InvalidSubscription(f"{field} needs a WebSocket", rule="stream_or_schedule")
            if field not in PAGING:
                reason = "only perPage and nextPageToken go with a saved query's events"
                raise InvalidQueryParameter(f"{field}: {reason}", field=field, reason=reason)
            paging.setdefault(field, []).append(value)
        query = named.event_query(paging)
        await catch_up(ledger, EpcisIndex(_settings(request).public_url))
        async with read_transaction(ledger.engine) as conn:
            events, after = await find_events(conn, query)
        headers = dict(VERSIONS)
        if after is not None:
            kept = [(n, v) for n, v in paging.items() if n != "nextPageToken"]
            link = urlencode(
                [*((n, v[-1]) for n, v in kept), ("nextPageToken", page_token(query, after))]
            )
            headers["Link"] = f'</epcis/queries/{name}/events?{link}>; rel="next"'
        body = query_document(name, None, events)
        return Response(body, media_type="application/ld+json", headers=headers)

    @post(
        "/{name:str}/subscriptions",
        status_code=201,
        responses={
            201: ResponseSpec(SubscriptionOut, description="The subscription."),
            **problem_answers(*ANY, *TOKEN, *BODY, 404),
        },
    )
    async def subscribe(
        self,
        request: Request[Any, Any, Any],
        ledger: LedgerDep,
        inspector: InspectorDep,
        name: QueryName,
        data: SubscriptionIn,
    ) -> Response[bytes]:
        """Subscribe a webhook to a named query (EPCIS 2.0 REST binding).

        ``dest`` is an ``https://`` address; ``signatureToken`` a secret you make (16 to
        512 characters): each notice is signed with it, in ``GS1-Signature``. Either
        ``"stream": true`` (each new matching event, as it is recorded) or a ``schedule``
        (UTC; with ``reportIfEmpty``, a report even when nothing is new).
        ``initialRecordTime`` also sends the matching events recorded since then. Refusals
        are ``400 SubscriptionControlsException``.
        """
        schedule = None if data.schedule is None else data.schedule.fields()
        made = await create_subscription(
            ledger,
            inspector.agency_id,
            name,
            dest=data.dest,
            token=data.signature_token,
            stream=data.stream,
            schedule=schedule,
            report_if_empty=data.report_if_empty,
            initial_record_us=_initial(data.initial_record_time),
            allow_loopback=_settings(request).webhook_allow_loopback,
        )
        location = f"/epcis/queries/{name}/subscriptions/{made.id}"
        return _json(made.described(), 201, Location=location)

    @get(
        "/{name:str}/subscriptions",
        responses={
            200: ResponseSpec(list[SubscriptionOut], description="The subscriptions."),
            **problem_answers(*ANY, *TOKEN, 404),
        },
    )
    async def subscriptions(
        self, ledger: LedgerDep, inspector: InspectorDep, name: QueryName
    ) -> Response[bytes]:
        """List the webhook subscriptions of a named query.

        Those in use, oldest first, as the binding describes them (never their tokens).
        """
        found = await list_subscriptions(ledger, inspector.agency_id, name)
        return _json([s.described() for s in found])

    @get(
        "/{name:str}/subscriptions/{subscription_id:str}",
        responses={
            200: ResponseSpec(SubscriptionOut, description="The subscription."),
            **problem_answers(*ANY, *TOKEN, 404),
        },
    )
    async def subscription(
        self,
        ledger: LedgerDep,
        inspector: InspectorDep,
        name: QueryName,
        subscription_id: SubscriptionId,
    ) -> Response[bytes]:
        """Read one subscription of a named query.

        As the binding describes it, with ``lastNotifiedAt``: when a notice last reached
        ``dest`` with a 2xx answer.
        """
        found = await find_subscription(ledger, inspector.agency_id, name, subscription_id)
        return _json(found.described())

    @delete(
        "/{name:str}/subscriptions/{subscription_id:str}",
        status_code=204,
        responses=problem_answers(*ANY, *TOKEN, 404),
    )
    async def unsubscribe(
        self,
        ledger: LedgerDep,
        inspector: InspectorDep,
        name: QueryName,
        subscription_id: SubscriptionId,
    ) -> None:
        """Unsubscribe a webhook from a named query.

        No new notice is queued for it, and those still waiting are dropped.
        """
        await delete_subscription(ledger, inspector.agency_id, name, subscription_id)


async def _socket_inspector(socket: WebSocket[Any, Any, Any]) -> Actor:
    """The inspector of a WebSocket's handshake (bearer token), written to the audit trail."""
    ledger: Ledger = socket.app.state.ledger
    scheme, _, token = socket.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthenticated("missing bearer token")
    actor = await authenticate(ledger, token.strip())
    if actor.agency_kind not in INSPECTING_KINDS:
        raise Forbidden("only inspectors may query this", rule="inspectors_only")
    require_scope(actor, Scope.INSPECT)
    await record_query(ledger, actor, method="GET", path=socket.url.path, query=socket.url.query)
    return actor


def _socket_plan(params: dict[str, str]) -> tuple[Schedule | None, bool, int | None]:
    """The WebSocket's schedule (``None`` for a stream), reportIfEmpty, initialRecordTime."""
    unknown = set(params) - _SOCKET_CONTROLS
    if unknown:
        raise InvalidSubscription(f"unknown {sorted(unknown)}", rule="stream_or_schedule")
    schedule = {k: params[k] for k in _SCHEDULE_FIELDS if k in params} or None
    stream = None if "stream" not in params else params["stream"].lower() == "true"
    report = params.get("reportIfEmpty", "false").lower() == "true"
    plan = check_controls(stream=stream, schedule=schedule, report_if_empty=report)
    return plan, report, _initial(params.get("initialRecordTime"))


class _Listening:
    """What the client sends is read (and ignored) so that its closing is seen at once."""

    def __init__(self, socket: WebSocket[Any, Any, Any]) -> None:
        self.socket = socket
        self.task = asyncio.ensure_future(socket.receive_data(mode="text"))

    async def closed_within(self, seconds: float) -> bool:
        """Wait up to ``seconds``; whether the client closed the socket meanwhile."""
        done, _ = await asyncio.wait({self.task}, timeout=seconds)
        if not done:
            return False
        if self.task.exception() is not None:
            return True
        self.task = asyncio.ensure_future(self.socket.receive_data(mode="text"))
        return False

    def stop(self) -> None:
        """Stop listening."""
        self.task.cancel()


@websocket("/epcis/queries/{name:str}/events")
async def query_socket(socket: WebSocket[Any, Any, Any], name: str) -> None:
    """A WebSocket subscription to a named query (the binding's ``GET .../events`` upgraded).

    With ``stream=true``, each message is an EPCISQueryDocument of the query's events
    recorded since the last one (from the handshake, or from ``initialRecordTime``); with
    a schedule, one message at each run, with ``reportIfEmpty`` even when nothing is new.
    A refused handshake is closed with code 1008 and the problem's ``code`` as its reason.
    """
    ledger: Ledger = socket.app.state.ledger
    settings: Settings = socket.app.state.settings
    try:
        inspector = await _socket_inspector(socket)
        named = await load_query(ledger, inspector.agency_id, name)
        plan, report_if_empty, initial_us = _socket_plan(dict(socket.query_params))
        query = named.event_query()
    except DomainError as refused:
        await socket.close(code=1008, reason=refused.code)
        return
    # Positions follow commit order: what commits after this read is at ``size`` or after,
    # so the client, accepted only then, misses nothing it causes once connected.
    async with read_transaction(ledger.engine) as conn:
        size = int((await conn.execute(select(log_head.c.size))).scalar_one())
    await socket.accept()
    index = EpcisIndex(settings.public_url)
    cursor = 0 if initial_us is not None else size
    due = None if plan is None else plan.next_after(now_us())
    listening = _Listening(socket)
    try:
        while True:
            wait = settings.webhook_poll_seconds
            if due is not None:
                wait = max(0.0, min(wait, (due - now_us()) / 1_000_000))
            if await listening.closed_within(wait):
                return
            if due is not None and now_us() < due:
                continue
            reached = await catch_up(ledger, index)
            async with read_transaction(ledger.engine) as conn:
                found = await matching_events(
                    conn, query, start=cursor, end=reached, initial_us=initial_us
                )
            cursor = max(cursor, reached)
            for start in range(0, len(found), MAX_PER_PAGE):
                chunk = [event for _, event in found[start : start + MAX_PER_PAGE]]
                await socket.send_text(query_document(name, None, chunk).decode())
            if due is not None:
                if not found and report_if_empty:
                    await socket.send_text(query_document(name, None, []).decode())
                due = plan.next_after(now_us()) if plan is not None else None
    except WebSocketDisconnect:
        return
    finally:
        listening.stop()
