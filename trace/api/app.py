"""The Litestar application: routes, dependencies, errors, OpenAPI with local assets."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib.resources import files

from litestar import Litestar, get
from litestar.config.compression import CompressionConfig
from litestar.datastructures import State
from litestar.di import Provide
from litestar.openapi import OpenAPIConfig
from litestar.static_files import create_static_files_router
from sqlalchemy import select

from trace.api.access import observe_requests
from trace.api.agencies import AgencyController
from trace.api.audit import AuditController
from trace.api.auth import LedgerDep, provide_ledger
from trace.api.batches import BatchController, RecordController
from trace.api.console import ROUTES as CONSOLE_ROUTES
from trace.api.console_inspect import ConsoleInspectController
from trace.api.console_session import ConsoleSessionController
from trace.api.cors import allow_cross_origin
from trace.api.device_keys import DeviceKeyController
from trace.api.edge import TraceRequest, check_parameters
from trace.api.epcis import EpcisController
from trace.api.epcis_queries import EpcisQueriesController, query_socket
from trace.api.genealogy import GenealogyController
from trace.api.head import drop_head_body
from trace.api.labels import LabelController
from trace.api.log import LogController
from trace.api.master_data import MasterDataController, MasterDataLookupController
from trace.api.metrics import metrics_endpoint
from trace.api.openapi import DescribedJson, DescribedSwagger
from trace.api.opendata import ROUTES as OPEN_DATA_ROUTES
from trace.api.pages import OWN_COMPRESSION
from trace.api.pages import ROUTES as PAGE_ROUTES
from trace.api.photos import ROUTES as PHOTO_ROUTES
from trace.api.places import PlaceController
from trace.api.problems import ANY, EXCEPTION_HANDLERS, problem_answers
from trace.api.readiness import readyz
from trace.api.recall_notices import RecallNoticeController
from trace.api.recall_workflow import RecallWorkflowController
from trace.api.recalls import RecallController
from trace.api.report_form import ROUTES as REPORT_FORM_ROUTES
from trace.api.reports import ReportController
from trace.api.resolver import ROUTES as RESOLVER_ROUTES
from trace.api.schemas import Health
from trace.api.tiles import ROUTES as TILE_ROUTES
from trace.api.webhooks import WebhookController
from trace.config import Settings, load_settings
from trace.notify.delivery import keep_delivering
from trace.observe.logs import configure_logging
from trace.observe.metrics import TALLY, worker_stopped
from trace.observe.pool import watch_pool
from trace.store.checkpoints import sign_checkpoint
from trace.store.database import read_transaction
from trace.store.ledger import Ledger, open_ledger
from trace.store.migrate import require_current_schema
from trace.store.outage import is_unavailable, report_failure
from trace.store.tables import log_head

ASSETS = "/schema/assets"
_log = logging.getLogger("trace.checkpoints")
# How often a worker writes what its requests counted to the shared metrics.
METRICS_FLUSH_SECONDS = 1.0


async def keep_checkpointing(ledger: Ledger, settings: Settings) -> None:
    """Sign a checkpoint every few seconds while records arrive (a no-op when none did)."""
    while True:
        await asyncio.sleep(settings.checkpoint_seconds)
        try:
            await sign_checkpoint(ledger, settings.log_origin)
        except Exception as exc:
            if is_unavailable(exc):
                report_failure(ledger.engine, exc)  # logged once per outage
                continue
            # Keep serving; the failure (a refused inconsistent tree above all) is logged
            # loudly and `python -m trace verify` names the cause.
            _log.exception("checkpoint not signed")


async def keep_metrics_written() -> None:
    """Write this worker's tallied counts to the metrics every second."""
    while True:
        await asyncio.sleep(METRICS_FLUSH_SECONDS)
        TALLY.flush()


@get("/healthz", tags=["service"], responses=problem_answers(*ANY))
async def healthz(ledger: LedgerDep) -> Health:
    """Whether the service is up and its database answers.

    Public. The answer holds the log's size, read from the database: a 503 means the
    database cannot be reached. Monitors and load balancers call it.
    """
    async with read_transaction(ledger.engine) as conn:
        size = (await conn.execute(select(log_head.c.size))).scalar_one()
    return Health("ok", size)


def create_app(settings: Settings | None = None, ledger: Ledger | None = None) -> Litestar:
    """The ASGI application; it opens its own ledger from ``settings`` unless one is given."""
    settings = settings or load_settings()

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        if ledger is not None:
            yield
            return
        own = open_ledger(settings)
        await require_current_schema(own.engine)
        app.state.ledger = own
        tasks = [
            asyncio.create_task(keep_checkpointing(own, settings)),
            asyncio.create_task(keep_delivering(own, settings)),
        ]
        if settings.metrics:
            watch_pool(own.engine)
            tasks.append(asyncio.create_task(keep_metrics_written()))
        try:
            yield
        finally:
            for task in tasks:
                task.cancel()
            await own.close()
            if settings.metrics:
                TALLY.flush()
                worker_stopped()

    swagger = DescribedSwagger(
        js_url=f"{ASSETS}/swagger-ui-bundle.js",
        css_url=f"{ASSETS}/swagger-ui.css",
        standalone_preset_js_url=f"{ASSETS}/swagger-ui-standalone-preset.js",
        favicon=f'<link rel="icon" type="image/png" href="{ASSETS}/favicon-32x32.png">',
        path="/",
    )
    app = Litestar(
        route_handlers=[
            healthz,
            readyz,
            *([metrics_endpoint] if settings.metrics else []),
            AgencyController,
            BatchController,
            RecordController,
            AuditController,
            LabelController,
            LogController,
            *TILE_ROUTES,
            GenealogyController,
            RecallNoticeController,
            RecallController,
            RecallWorkflowController,
            ReportController,
            WebhookController,
            EpcisController,
            EpcisQueriesController,
            query_socket,
            PlaceController,
            MasterDataController,
            MasterDataLookupController,
            *PHOTO_ROUTES,
            ConsoleSessionController,
            ConsoleInspectController,
            DeviceKeyController,
            *RESOLVER_ROUTES,
            *PAGE_ROUTES,
            *REPORT_FORM_ROUTES,
            *CONSOLE_ROUTES,
            *OPEN_DATA_ROUTES,
            create_static_files_router(
                path=ASSETS,
                # Swagger UI 5 (OpenAPI 3.1, which Litestar writes), from swagger-ui-py.
                directories=[str(files("swagger_ui") / "static")],
                include_in_schema=False,
            ),
        ],
        dependencies={"ledger": Provide(provide_ledger)},
        request_class=TraceRequest,
        before_send=[drop_head_body, allow_cross_origin],
        before_request=check_parameters,
        exception_handlers=EXCEPTION_HANDLERS,
        lifespan=[lifespan],
        state=State({"ledger": ledger, "settings": settings}),
        request_max_body_size=settings.max_body_bytes,
        # The service logs for itself (trace/observe/logs.py). Litestar's own logging set-up
        # would start a queue-listener thread for each application made, never stopped.
        logging_config=None,
        # Pages travel to phones on slow networks: gzip anything worth it. The public
        # pages compress their own, once per rendering (trace/api/pages.py).
        compression_config=CompressionConfig(
            backend="gzip", minimum_size=500, exclude_opt_key=OWN_COMPRESSION
        ),
        openapi_config=OpenAPIConfig(
            title="trace",
            version="1",
            description=(
                "Sổ cái truy xuất nguồn gốc có chữ ký / A signed traceability ledger. "
                "Errors are application/problem+json in the language of Accept-Language."
            ),
            path="/schema",
            render_plugins=[swagger, DescribedJson()],
        ),
    )
    # Around everything the application does with a request, errors and 404s included.
    app.asgi_handler = observe_requests(app.asgi_handler, settings)
    return app


def app_factory() -> Litestar:
    """Entry point for the ASGI server (reads the environment)."""
    settings = load_settings()
    configure_logging(settings.log_format)
    return create_app(settings)
