"""Bearer-token authentication: a dependency that yields the acting agency."""

from __future__ import annotations

from typing import Any

from litestar import Request
from litestar.di import NamedDependency

from trace.domain.agency import AgencyKind
from trace.store.agencies import Actor, authenticate
from trace.store.errors import Forbidden, Unauthenticated
from trace.store.ledger import Ledger

LedgerDep = NamedDependency[Ledger]
ActorDep = NamedDependency[Actor]
InspectorDep = NamedDependency[Actor]

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
    """An inspector: a token of an inspecting agency (401 without one, 403 for others).

    Use it as the ``inspector`` dependency of every inspectors' query. (Issue 6 adds the
    token's scope and writes each query to the audit trail here.)
    """
    actor = await provide_actor(request)
    if actor.agency_kind not in INSPECTING_KINDS:
        raise Forbidden(
            "only inspectors (authorities, certifiers, the operator) may query this",
            rule="inspectors_only",
        )
    return actor


def require_operator(actor: Actor) -> None:
    """Administrative actions on any agency belong to the operator."""
    if actor.agency_kind is not AgencyKind.OPERATOR:
        raise Forbidden("only the operator may do this", rule="operator_only")


def require_self_or_operator(actor: Actor, agency_id: str) -> None:
    """An agency manages its own keys and tokens; the operator manages everyone's."""
    if actor.agency_kind is not AgencyKind.OPERATOR and actor.agency_id != agency_id:
        raise Forbidden("an agency manages only its own keys and tokens", rule="own_agency_only")
