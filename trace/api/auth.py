"""Authentication: dependencies that yield the acting agency, and its scopes.

Programs send a bearer token (``Authorization: Bearer trc_…``). People in the producer
console send the session cookie instead (trace/store/sessions.py), and with every write
(POST, PUT, PATCH, DELETE) the session's CSRF value in the ``X-CSRF-Token`` header: a page
of another site can make the browser send the cookie, but cannot read the value to send
with it. A request with an ``Authorization`` header is judged by it alone.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable, Mapping
from enum import StrEnum
from types import MappingProxyType
from typing import Any

from litestar import Request
from litestar.di import NamedDependency

from trace.domain.agency import AgencyKind
from trace.domain.errors import DomainError
from trace.domain.scopes import Scope
from trace.domain.texts import N_
from trace.store.agencies import Actor, authenticate, require_scope
from trace.store.audit_trail import record_query
from trace.store.errors import Forbidden, Unauthenticated
from trace.store.ledger import Ledger
from trace.store.sessions import Session, open_session

LedgerDep = NamedDependency[Ledger]
ActorDep = NamedDependency[Actor]
InspectorDep = NamedDependency[Actor]
ReaderDep = NamedDependency[Actor | None]
SessionDep = NamedDependency[Session]

SESSION_COOKIE = "trace_session"
CSRF_HEADER = "X-CSRF-Token"
# RFC 9110 §9.2.1: the methods that change nothing need no CSRF value.
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

# Agencies whose people inspect: officials of authorities and certifiers, and the operator.
INSPECTING_KINDS = frozenset({AgencyKind.AUTHORITY, AgencyKind.CERTIFIER, AgencyKind.OPERATOR})


async def provide_ledger(request: Request[Any, Any, Any]) -> Ledger:
    """The process's ledger handle, made at start-up."""
    ledger: Ledger = request.app.state.ledger
    return ledger


class CsrfMissing(DomainError):
    """A console write came with the session cookie but without the session's CSRF value."""

    code = "csrf_missing"
    words = N_(
        "This change was refused because it did not come from an open page of the console "
        "(its check value is missing or old). Reload the console and try again; nothing "
        "was changed."
    )


async def provide_actor(request: Request[Any, Any, Any]) -> Actor:
    """The agency acting through the request's bearer token or console session; 401 without.

    Without an ``Authorization`` header, the session cookie stands for the session's token
    (a write needs the session's ``X-CSRF-Token`` too: 403 otherwise).
    """
    if "authorization" not in request.headers and SESSION_COOKIE in request.cookies:
        return (await provide_session(request)).actor
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthenticated("missing bearer token")
    return await authenticate(request.app.state.ledger, token.strip())


async def provide_inspector(request: Request[Any, Any, Any]) -> Actor:
    """An inspector: a token of an inspecting agency with the ``inspect`` scope.

    401 without a valid token, 403 for another agency's or a token without the scope. Use it
    as the ``inspector`` dependency of every inspectors' query: it writes the query to the
    inspectors' audit trail before the query is answered (and before its parameters are
    checked, so refused queries are in the trail too).
    """
    actor = await provide_actor(request)
    if actor.agency_kind not in INSPECTING_KINDS:
        raise Forbidden(
            "only inspectors (authorities, certifiers, the operator) may query this",
            rule="inspectors_only",
        )
    require_scope(actor, Scope.INSPECT)
    await _audit(request, actor)
    return actor


async def provide_recall_reader(request: Request[Any, Any, Any]) -> Actor:
    """Who may read the list of recalls: an inspector (``inspect`` scope) or an authority's
    token that may issue them (``recall``); 401 without a token, 403 otherwise. The query is
    written to the inspectors' audit trail, as every inspector's is.
    """
    actor = await provide_actor(request)
    if actor.agency_kind not in INSPECTING_KINDS:
        raise Forbidden(
            "only inspectors (authorities, certifiers, the operator) may query this",
            rule="inspectors_only",
        )
    if Scope.RECALL not in actor.scopes:
        require_scope(actor, Scope.INSPECT)
    await _audit(request, actor)
    return actor


async def provide_reader(request: Request[Any, Any, Any]) -> Actor | None:
    """Whoever reads a public resource: nobody without a token, else the token's actor.

    A token sent must be valid (401 otherwise). An inspector's query is written to the audit
    trail even where the public may read without a token, so the trail holds every query an
    inspector made with their token.
    """
    if "authorization" not in request.headers:
        if SESSION_COOKIE not in request.cookies:
            return None
        try:
            actor = (await provide_session(request)).actor
        except Unauthenticated:
            return None  # a stale cookie never stops a public read
    else:
        actor = await provide_actor(request)
    if actor.agency_kind in INSPECTING_KINDS and Scope.INSPECT in actor.scopes:
        await _audit(request, actor)
    return actor


async def provide_session(request: Request[Any, Any, Any]) -> Session:
    """The console session of the request's cookie; 401 without an open one.

    A write (any method but GET, HEAD, OPTIONS) must send the session's CSRF value in
    ``X-CSRF-Token`` (compared in constant time): 403 ``csrf_missing`` otherwise.
    """
    known = request.state.get("console_session")
    if isinstance(known, Session):
        return known
    secret = request.cookies.get(SESSION_COOKIE, "")
    if not secret:
        raise Unauthenticated("no console session cookie", reason="session")
    session = await open_session(request.app.state.ledger, secret)
    if request.method not in SAFE_METHODS:
        sent = request.headers.get(CSRF_HEADER, "")
        if not hmac.compare_digest(sent.encode(), session.csrf.encode()):
            raise CsrfMissing(
                f"{CSRF_HEADER} missing or wrong", reason="mismatch" if sent else "missing"
            )
    request.state.console_session = session
    return session


async def _audit(request: Request[Any, Any, Any], actor: Actor) -> None:
    await record_query(
        request.app.state.ledger,
        actor,
        method=request.method,
        path=request.url.path,
        query=request.url.query,
    )


class TokenUse(StrEnum):
    """What an operation asks of the request's bearer token (or console session)."""

    REQUIRED = "required"
    OPTIONAL = "optional"


# The dependencies that read the bearer token, and whether they need one: an operation's
# security requirement in the OpenAPI description follows from the dependencies its handler
# takes (trace/api/openapi.py), so a handler never declares it by hand.
TOKEN_USES: Mapping[Callable[..., Any], TokenUse] = MappingProxyType(
    {
        provide_actor: TokenUse.REQUIRED,
        provide_inspector: TokenUse.REQUIRED,
        provide_recall_reader: TokenUse.REQUIRED,
        provide_reader: TokenUse.OPTIONAL,
        provide_session: TokenUse.REQUIRED,
    }
)


def require_operator(actor: Actor) -> None:
    """Administrative actions on any agency belong to the operator, through an ``admin`` token."""
    if actor.agency_kind is not AgencyKind.OPERATOR:
        raise Forbidden("only the operator may do this", rule="operator_only")
    require_scope(actor, Scope.ADMIN)


def require_self_or_operator(actor: Actor, agency_id: str) -> None:
    """An agency manages its own keys and tokens; the operator manages everyone's (``admin``)."""
    if actor.agency_kind is not AgencyKind.OPERATOR and actor.agency_id != agency_id:
        raise Forbidden("an agency manages only its own keys and tokens", rule="own_agency_only")
    require_scope(actor, Scope.ADMIN)
