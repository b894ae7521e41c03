"""``/readyz``: whether this worker should be sent requests (``/healthz`` says it is alive)."""

from __future__ import annotations

from types import MappingProxyType
from typing import Annotated

import msgspec
from litestar import get

from trace.api.auth import LedgerDep
from trace.api.problems import ANY, problem_answers
from trace.domain.errors import DomainError
from trace.domain.texts import N_
from trace.store.readiness import check_readiness


class NotReady(DomainError):
    """A check of ``/readyz`` failed (``reason``: database, schema or keys)."""

    code = "not_ready"
    words = N_("The service is not ready: {detail}")
    variants = MappingProxyType(
        {
            "database": N_(
                "The service cannot reach its database. Check that the database is running "
                "and that TRACE_DATABASE_URL names it; the service keeps trying."
            ),
            "schema": N_(
                "The database schema is at {found}, and this version of the service needs "
                "{expected}. Run `python -m trace migrate`, then check again."
            ),
            "keys": N_(
                "The log's signing key does not open with this master key, so no checkpoint "
                "can be signed. Start the service with the master key this database was made "
                "with (TRACE_MASTER_KEY or master.key in the data directory)."
            ),
        }
    )


class Ready(msgspec.Struct):
    """The service can serve: its database answers, at the newest schema, keys open."""

    status: Annotated[str, msgspec.Meta(description="Always 'ready'.")]
    schema: Annotated[str, msgspec.Meta(description="The database's Alembic revision.")]
    log_size: Annotated[int, msgspec.Meta(description="Records in the log.")]


@get("/readyz", tags=["service"], responses=problem_answers(*ANY))
async def readyz(ledger: LedgerDep) -> Ready:
    """Whether this worker is ready for requests: a 503 problem names what is not.

    Public. Checks, in order: the database answers (``reason`` ``database``), its schema
    is the one this code needs (``schema``), the log's signing key opens under the master
    key (``keys``). Load balancers and orchestrators send traffic only while it is 200;
    ``/healthz`` is the liveness probe.
    """
    found = await check_readiness(ledger)
    if found.failed is not None:
        raise NotReady(
            found.detail,
            reason=found.failed,
            found=found.schema or "-",
            expected=found.expected,
        )
    return Ready("ready", found.schema or "", found.log_size)
