"""Bearer-token authentication: dependencies that yield the acting agency, and its scopes."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from enum import StrEnum
from types import MappingProxyType
from typing import Any

from litestar import Request
from litestar.di import NamedDependency

from trace.domain.agency import AgencyKind
from trace.domain.scopes import Scope
from trace.store.agencies import Actor, authenticate, require_scope
from trace.store.audit_trail import record_query
from trace.store.errors import Forbidden, Unauthenticated
from trace.store.ledger import Ledger

LedgerDep = NamedDependency[Ledger]
ActorDep = NamedDependency[Actor]
InspectorDep = NamedDependency[Actor]
ReaderDep = NamedDependency[Actor | None]

# Agencies whose people inspect: officials of authorities and certifiers, and the operator.
INSPECTING_KINDS = frozenset({AgencyKind.AUTHORITY, AgencyKind.CERTIFIER, AgencyKind.OPERATOR})


async def provide_ledger(request: Request[Any, Any, Any]) -> Ledger:
    """The process's ledger handle, made at start-up."""
    ledger: Ledger = request.app.state.ledger
    return ledger


async def provide_actor(request: Request[Any, Any, Any]) -> Actor:
    """The agency acting through the request's bearer token; 401 without a valid one."""
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


async def provide_reader(request: Request[Any, Any, Any]) -> Actor | None:
    """Whoever reads a public resource: nobody without a token, else the token's actor.

    A token sent must be valid (401 otherwise). An inspector's query is written to the audit
    trail even where the public may read without a token, so the trail holds every query an
    inspector made with their token.
    """
    if "authorization" not in request.headers:
        return None
    actor = await provide_actor(request)
    if actor.agency_kind in INSPECTING_KINDS and Scope.INSPECT in actor.scopes:
        await _audit(request, actor)
    return actor


async def _audit(request: Request[Any, Any, Any], actor: Actor) -> None:
    await record_query(
        request.app.state.ledger,
        actor,
        method=request.method,
        path=request.url.path,
        query=request.url.query,
    )


class TokenUse(StrEnum):
    """What an operation asks of the request's bearer token."""

    REQUIRED = "required"
    OPTIONAL = "optional"


# The dependencies that read the bearer token, and whether they need one: an operation's
# security requirement in the OpenAPI description follows from the dependencies its handler
# takes (trace/api/openapi.py), so a handler never declares it by hand.
TOKEN_USES: Mapping[Callable[..., Any], TokenUse] = MappingProxyType(
    {
        provide_actor: TokenUse.REQUIRED,
        provide_inspector: TokenUse.REQUIRED,
        provide_reader: TokenUse.OPTIONAL,
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
