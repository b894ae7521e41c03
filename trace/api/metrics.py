"""``/metrics``: the service's Prometheus metrics, for the networks allowed to read them.

The counts the workers keep (requests, refusals, page cache, appends, group commits,
pool use) come from ``trace/observe/metrics.py``; what the database knows is read at
each scrape, once, whichever worker answers: the log's size, the newest checkpoint's
size and age, the webhook outbox's backlog, and whether the database answered at all.

Who may read: clients in ``TRACE_METRICS_ALLOW`` (loopback by default), as the trusted
proxies report the client (``trace/api/clients.py``). A request that came through a
proxy the service does not trust (it carries a proxy's header) is refused whatever its
peer: a reverse proxy on the same machine must not open the metrics to everyone.
"""

from __future__ import annotations

import ipaddress
import time
from collections.abc import Iterable
from typing import Any

from litestar import Request, Response, get
from litestar.status_codes import HTTP_403_FORBIDDEN
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import func, select
from sqlalchemy.exc import DBAPIError

from trace.api.auth import LedgerDep
from trace.api.clients import client_address
from trace.api.problems import ANY, problem_answers
from trace.config import PROXY_HEADERS, Settings
from trace.domain.errors import DomainError
from trace.domain.texts import N_
from trace.notify.outbox import NAME as OUTBOX
from trace.notify.registry import DeliveryState
from trace.observe.metrics import exposition
from trace.store.database import read_transaction
from trace.store.ledger import Ledger
from trace.store.outage import is_unavailable
from trace.store.tables import checkpoints, log_head, projection_positions, webhook_deliveries

# The classic text format (0.0.4), which every Prometheus reads; the charset is added.
TEXT_FORMAT = "text/plain; version=0.0.4"


class MetricsForbidden(DomainError):
    """``/metrics`` was asked from a client outside ``TRACE_METRICS_ALLOW``."""

    code = "metrics_forbidden"
    words = N_(
        "The metrics are read only from the networks the operator allows "
        "(TRACE_METRICS_ALLOW; the machine itself by default). Scrape them from there."
    )


def may_read_metrics(request: Request[Any, Any, Any]) -> bool:
    """Whether the client of ``request`` is in ``TRACE_METRICS_ALLOW`` (see the module)."""
    settings: Settings = request.app.state.settings
    if not settings.trusted_proxies and any(name in request.headers for name in PROXY_HEADERS):
        return False
    try:
        address = ipaddress.ip_address(client_address(request))
    except ValueError:
        return False
    return any(address in network for network in settings.metrics_allow)


class _LedgerGauges(Collector):
    """What the database says at one scrape, as gauge families."""

    def __init__(self, families: list[GaugeMetricFamily]) -> None:
        self.families = families

    def collect(self) -> Iterable[GaugeMetricFamily]:
        return self.families


def _gauge(name: str, text: str, value: float) -> GaugeMetricFamily:
    return GaugeMetricFamily(name, text, value=value)


async def ledger_gauges(ledger: Ledger) -> list[GaugeMetricFamily]:
    """The database's gauges now; only ``trace_database_up 0`` when it cannot be read."""
    pending = DeliveryState.PENDING.value
    try:
        async with read_transaction(ledger.engine) as conn:
            size = int((await conn.execute(select(log_head.c.size))).scalar_one())
            newest = (
                await conn.execute(
                    select(checkpoints.c.size, checkpoints.c.signed_at_us)
                    .order_by(checkpoints.c.size.desc())
                    .limit(1)
                )
            ).first()
            backlog = (
                await conn.execute(
                    select(func.count(), func.min(webhook_deliveries.c.created_at_us)).where(
                        webhook_deliveries.c.state == pending
                    )
                )
            ).one()
            followed = (
                await conn.execute(
                    select(projection_positions.c.position).where(
                        projection_positions.c.name == OUTBOX
                    )
                )
            ).scalar()
    except DBAPIError as exc:
        if not is_unavailable(exc):
            raise
        return [_gauge("trace_database_up", "Whether the database answered this scrape.", 0)]
    now_us = time.time() * 1e6
    families = [
        _gauge("trace_database_up", "Whether the database answered this scrape.", 1),
        _gauge("trace_log_records", "Records in the log (its tree size).", size),
        _gauge(
            "trace_checkpoint_size",
            "Records the newest signed checkpoint covers.",
            newest.size if newest else 0,
        ),
        _gauge(
            "trace_checkpoint_records_behind",
            "Records in the log that the newest checkpoint does not cover yet.",
            size - (newest.size if newest else 0),
        ),
        _gauge(
            "trace_webhook_notices_pending",
            "Webhook notices waiting to be delivered (the outbox's backlog).",
            int(backlog[0]),
        ),
        _gauge(
            "trace_webhook_oldest_pending_age_seconds",
            "How long the oldest undelivered webhook notice has waited (0: none waits).",
            max(0.0, (now_us - backlog[1]) / 1e6) if backlog[1] is not None else 0.0,
        ),
        _gauge(
            "trace_webhook_records_behind",
            "Records in the log that the webhook outbox has not looked at yet.",
            max(0, size - int(followed or 0)),
        ),
    ]
    if newest is not None:
        families.append(
            _gauge(
                "trace_checkpoint_age_seconds",
                "Seconds since the newest checkpoint was signed.",
                max(0.0, (now_us - newest.signed_at_us) / 1e6),
            )
        )
    return families


@get(
    "/metrics",
    tags=["service"],
    media_type=TEXT_FORMAT,
    responses=problem_answers(*ANY, HTTP_403_FORBIDDEN),
)
async def metrics_endpoint(request: Request[Any, Any, Any], ledger: LedgerDep) -> Response[bytes]:
    """The service's metrics in the Prometheus text format (all workers together).

    Read from ``TRACE_METRICS_ALLOW`` only (the machine itself by default), else 403.
    """
    if not may_read_metrics(request):
        raise MetricsForbidden("the client may not read the metrics")
    gauges = await ledger_gauges(ledger)
    return Response(exposition(_LedgerGauges(gauges)), media_type=TEXT_FORMAT)
