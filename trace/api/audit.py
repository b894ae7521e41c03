"""`GET /api/v1/audit/inspector-queries`: the operator reads the inspectors' audit trail."""

from __future__ import annotations

from typing import Annotated

import msgspec
from litestar import Controller, get
from litestar.di import Provide
from litestar.params import Parameter

from trace.api.auth import ActorDep, LedgerDep, provide_actor, require_operator
from trace.api.parameters import AuditAfter
from trace.api.problems import ANY, TOKEN, problem_answers
from trace.api.schemas import iso
from trace.store.audit_trail import MAX_PAGE, InspectorQuery, read_queries


class InspectorQueryOut(msgspec.Struct):
    """Who (agency, token, person) asked what (method, path, query string) and when."""

    id: int
    at: str | None
    at_us: int
    agency_id: str
    token_id: str
    person: str
    method: str
    path: str
    query: str

    @classmethod
    def of(cls, entry: InspectorQuery) -> InspectorQueryOut:
        """The view of ``entry``; ``at`` in RFC 3339 UTC to the microsecond."""
        return cls(
            entry.id,
            iso(entry.at_us),
            entry.at_us,
            entry.agency_id,
            entry.token_id,
            entry.person,
            entry.method,
            entry.path,
            entry.query,
        )


class InspectorQueryPage(msgspec.Struct):
    """Entries in the order they were written; ``next_after`` continues (None: the end)."""

    entries: list[InspectorQueryOut]
    next_after: int | None


class AuditController(Controller):
    """The audit trails the operator reads."""

    path = "/api/v1/audit"
    tags = ["audit"]
    dependencies = {"actor": Provide(provide_actor)}

    @get("/inspector-queries", responses=problem_answers(*ANY, *TOKEN))
    async def inspector_queries(
        self,
        ledger: LedgerDep,
        actor: ActorDep,
        after: AuditAfter = 0,
        limit: Annotated[int, Parameter(ge=1, le=MAX_PAGE)] = 100,
    ) -> InspectorQueryPage:
        """Read every query inspectors made, oldest first.

        The operator's ``admin`` token only. Each entry says who asked (agency, token,
        person), what (method, path, query string) and when; ``next_after`` continues.
        """
        require_operator(actor)
        entries = await read_queries(ledger, after=after, limit=limit)
        following = entries[-1].id if len(entries) == limit else None
        return InspectorQueryPage([InspectorQueryOut.of(e) for e in entries], following)
