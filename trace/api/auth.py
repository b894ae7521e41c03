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


def require_operator(actor: Actor) -> None:
    """Administrative actions on any agency belong to the operator."""
    if actor.agency_kind is not AgencyKind.OPERATOR:
        raise Forbidden("only the operator may do this", rule="operator_only")


def require_self_or_operator(actor: Actor, agency_id: str) -> None:
    """An agency manages its own keys and tokens; the operator manages everyone's."""
    if actor.agency_kind is not AgencyKind.OPERATOR and actor.agency_id != agency_id:
        raise Forbidden("an agency manages only its own keys and tokens", rule="own_agency_only")
