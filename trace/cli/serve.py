"""`serve`, `migrate` and `demo`: running the service and preparing its database."""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import sys
from pathlib import Path
from typing import Any

from trace.config import Settings, load_settings
from trace.observe.metrics import use_directory
from trace.store.custody import load_master_key
from trace.store.ledger import open_ledger
from trace.store.migrate import head_revision, migrate, require_current_schema
from trace.translation import both

ROOT = Path(__file__).resolve().parents[2]


def register(commands: Any) -> None:
    """Add the commands of this module."""
    p = commands.add_parser("serve", help="chạy dịch vụ / run the service")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--workers", type=int, default=1)
    p.add_argument(
        "--demo", action="store_true", help="nạp dữ liệu mẫu trước / load the demo data first"
    )
    p.set_defaults(run=run_serve)
    p = commands.add_parser("migrate", help="cập nhật cấu trúc CSDL / migrate the database")
    p.set_defaults(run=run_migrate)
    p = commands.add_parser("demo", help="nạp dữ liệu mẫu / load the demo data")
    p.set_defaults(run=run_demo)


def run_migrate(args: argparse.Namespace) -> int:
    """Migrate the configured database to the newest schema."""
    settings = load_settings()
    prepare(settings, create_master_key=True)
    print(both("The database is at the newest schema ({revision}).", revision=head_revision()))
    return 0


def prepare(settings: Settings, *, create_master_key: bool) -> None:
    """Migrate the database and make sure the master key exists."""
    load_master_key(settings.data_dir, settings.master_key_b64, create=create_master_key)
    migrate(settings.database_url)


def run_demo(args: argparse.Namespace) -> int:
    """Fill the database with the Vietnamese demo (idempotent)."""
    from trace.demo import load_demo

    settings = load_settings()
    if settings.is_embedded:
        prepare(settings, create_master_key=True)
    for line in asyncio.run(load_demo(settings)):
        print(line)
    return 0


def run_serve(args: argparse.Namespace) -> int:
    """Start the ASGI server; an embedded database is migrated first, PostgreSQL must be."""
    settings = load_settings()
    if settings.is_embedded:
        prepare(settings, create_master_key=True)
    else:
        asyncio.run(_check_schema(settings))
    if args.demo:
        run_demo(args)
    if not port_free(args.host, args.port):
        # Granian listens with SO_REUSEPORT: a second server on a busy port would start
        # quietly and share the port's connections with whatever holds it.
        print(
            both(
                "Something else is listening on port {port} of {host}. Stop it, or run with "
                "another --port.",
                host=args.host,
                port=args.port,
            ),
            file=sys.stderr,
        )
        return 2
    from granian import Granian
    from granian.constants import Interfaces

    url = f"http://{args.host}:{args.port}"
    print(both("The service is running at {url}", url=url), flush=True)
    # The workers import the app by name; our root must come before the standard library's
    # `trace` module on their path too.
    os.environ["PYTHONPATH"] = os.pathsep.join(
        filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])
    )
    sys.path.insert(0, str(ROOT))
    # Each worker enforces its share of the public pages' rate limit.
    os.environ["TRACE_WORKERS"] = str(args.workers)
    if settings.metrics and settings.metrics_dir is not None:
        # The workers write their metrics to files there; last run's counts are gone.
        use_directory(settings.metrics_dir)
    Granian(
        "trace.api.app:app_factory",
        factory=True,
        interface=Interfaces.ASGI,
        address=args.host,
        port=args.port,
        workers=args.workers,
        working_dir=ROOT,
        log_access=False,
    ).serve()
    return 0


def port_free(host: str, port: int) -> bool:
    """Whether nothing listens on ``host:port`` (connections closing there do not count)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror:
        return True  # the server will say what is wrong with the host
    family, kind, proto, _, address = infos[0]
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(address)
        except OSError:
            return False
    return True


async def _check_schema(settings: Settings) -> None:
    ledger = open_ledger(settings)
    try:
        await require_current_schema(ledger.engine)
    finally:
        await ledger.close()
