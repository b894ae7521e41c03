"""Configuration, read once at start-up from the environment into one typed object."""

from __future__ import annotations

import ipaddress
import os
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

DEFAULT_DATA_DIR = "var"
DEFAULT_MAX_BODY_BYTES = 256 * 1024
IpNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
# The headers a reverse proxy may name the client in (trace/api/clients.py).
PROXY_HEADERS = ("x-forwarded-for", "forwarded")
LOG_FORMATS = ("json", "text")
# The fewest connections a worker's pool is given, whatever the budget: a request may need a
# second connection while the background tasks (checkpoints, webhooks) hold one.
MIN_POOL = 4
LOOPBACK: tuple[IpNetwork, ...] = (
    ipaddress.ip_network("127.0.0.0/8"),
    ipaddress.ip_network("::1/128"),
)


@dataclass(frozen=True)
class Settings:
    """Everything the service and the CLI read from the environment."""

    database_url: str
    data_dir: Path
    public_url: str
    master_key_b64: str | None
    max_body_bytes: int
    log_origin: str = "trace.localhost/log"
    checkpoint_seconds: float = 2.0
    token_cache_seconds: float = 2.0
    # Public pages: lookups a minute per client (0: no limit), and the server's worker
    # count, over which the limit is shared (each worker allows its part).
    page_rate_per_minute: int = 120
    workers: int = 1
    # PostgreSQL connections the whole service may hold, shared out among its workers: each
    # worker's pool gets its part, less the one connection its page reads listen on
    # (docs/operations.md, "The connection budget"). A request finding every connection of
    # its worker lent out waits for one rather than failing.
    database_connections: int = 80
    # PostgreSQL streaming replicas of the primary that serve the public reads (pages,
    # proofs, search, history, genealogy, EPCIS queries: docs/replicas.md), each held to the
    # same budget as the primary; and how long a replica may trail a change the primary has
    # told of before reads leave it for the primary.
    read_database_urls: tuple[str, ...] = ()
    replica_max_lag_seconds: float = 10.0
    # Keep rendered pages and batch look-ups while the log state holds (0: render every
    # request, to measure or debug rendering).
    page_cache: bool = True
    # Reverse proxies whose word on the client's address is believed (addresses or CIDR
    # blocks; none by default), and the one header they write it in.
    trusted_proxies: tuple[IpNetwork, ...] = ()
    proxy_header: str = "x-forwarded-for"
    # Webhooks (trace/notify/): plain http to 127.0.0.1 or localhost only when allowed
    # (tests, development); how often the outbox is looked at; the first retry's delay,
    # doubled at each failure up to an hour; when a notice is given up; each POST's limit.
    webhook_allow_loopback: bool = False
    webhook_poll_seconds: float = 0.5
    webhook_retry_seconds: float = 10.0
    webhook_give_up_seconds: float = 86400.0
    webhook_timeout_seconds: float = 10.0
    # Observability (docs/operations.md): Prometheus metrics at /metrics, readable from
    # the networks named (loopback by default); the directory the workers of one
    # deployment share their counts in (emptied at start); the log's format on standard
    # output and whether each request gets a line.
    metrics: bool = True
    metrics_dir: Path | None = None
    metrics_allow: tuple[IpNetwork, ...] = LOOPBACK
    log_format: str = "json"
    access_log: bool = True

    @property
    def pool_size(self) -> int:
        """Connections one worker's pool may open: its part of the budget, less its listener."""
        return max(MIN_POOL, self.database_connections // self.workers - 1)

    @property
    def replica_pool_size(self) -> int:
        """Connections one worker may open to each replica: its part of that server's budget.

        Nothing listens on a replica (a hot standby takes no ``LISTEN``), so the whole part.
        """
        return max(MIN_POOL, self.database_connections // self.workers)

    @property
    def is_embedded(self) -> bool:
        """True when the database is the embedded SQLite file."""
        return self.database_url.startswith("sqlite")


def load_settings(environ: dict[str, str] | None = None) -> Settings:
    """Read ``TRACE_*`` variables (see README, "Configuration")."""
    env = dict(os.environ if environ is None else environ)
    data_dir = Path(env.get("TRACE_DATA_DIR", DEFAULT_DATA_DIR))
    url = env.get("TRACE_DATABASE_URL") or f"sqlite:///{data_dir / 'trace.sqlite3'}"
    public_url = env.get("TRACE_PUBLIC_URL", "http://127.0.0.1:8000").rstrip("/")
    # C2SP tlog-checkpoint: the origin is a schema-less URL naming the log.
    origin = env.get("TRACE_LOG_ORIGIN") or f"{urlsplit(public_url).netloc}/log"
    return Settings(
        database_url=url,
        data_dir=data_dir,
        public_url=public_url,
        master_key_b64=env.get("TRACE_MASTER_KEY") or None,
        max_body_bytes=int(env.get("TRACE_MAX_BODY_BYTES", DEFAULT_MAX_BODY_BYTES)),
        log_origin=origin,
        checkpoint_seconds=float(env.get("TRACE_CHECKPOINT_SECONDS", "2")),
        token_cache_seconds=float(env.get("TRACE_TOKEN_CACHE_SECONDS", "2")),
        page_rate_per_minute=int(env.get("TRACE_PAGE_RATE", "120")),
        workers=max(1, int(env.get("TRACE_WORKERS", "1"))),
        database_connections=int(env.get("TRACE_DATABASE_CONNECTIONS", "80")),
        read_database_urls=_read_urls(env.get("TRACE_READ_DATABASE_URL", ""), url),
        replica_max_lag_seconds=float(env.get("TRACE_READ_MAX_LAG_SECONDS", "10")),
        page_cache=env.get("TRACE_PAGE_CACHE", "1") != "0",
        trusted_proxies=parse_networks(env.get("TRACE_TRUSTED_PROXIES", "")),
        proxy_header=_proxy_header(env.get("TRACE_PROXY_HEADER", PROXY_HEADERS[0])),
        webhook_allow_loopback=env.get("TRACE_WEBHOOK_ALLOW_LOOPBACK", "0") == "1",
        webhook_poll_seconds=float(env.get("TRACE_WEBHOOK_POLL_SECONDS", "0.5")),
        webhook_retry_seconds=float(env.get("TRACE_WEBHOOK_RETRY_SECONDS", "10")),
        webhook_give_up_seconds=float(env.get("TRACE_WEBHOOK_GIVE_UP_SECONDS", "86400")),
        webhook_timeout_seconds=float(env.get("TRACE_WEBHOOK_TIMEOUT_SECONDS", "10")),
        metrics=env.get("TRACE_METRICS", "1") != "0",
        metrics_dir=Path(env.get("TRACE_METRICS_DIR") or data_dir / "metrics"),
        metrics_allow=_metrics_allow(env.get("TRACE_METRICS_ALLOW")),
        log_format=_log_format(env.get("TRACE_LOG_FORMAT", "json")),
        access_log=env.get("TRACE_ACCESS_LOG", "1") != "0",
    )


def parse_networks(text: str) -> tuple[IpNetwork, ...]:
    """Addresses and CIDR blocks separated by commas or spaces (``10.0.0.5, 10.1.0.0/16``)."""
    networks: list[IpNetwork] = []
    for item in text.replace(",", " ").split():
        try:
            networks.append(ipaddress.ip_network(item, strict=False))
        except ValueError:
            raise ValueError(
                f"TRACE_TRUSTED_PROXIES: {item!r} is not an IP address or CIDR block "
                "(write e.g. 127.0.0.1, 10.0.0.0/8 or ::1)"
            ) from None
    return tuple(networks)


def _read_urls(text: str, primary: str) -> tuple[str, ...]:
    """The replicas' URLs, separated by commas or spaces; only beside a PostgreSQL primary."""
    urls = tuple(text.replace(",", " ").split())
    for url in urls:
        if not url.startswith(("postgresql:", "postgres:", "postgresql+asyncpg:")):
            raise ValueError(
                f"TRACE_READ_DATABASE_URL: {url.split('@')[-1]!r} is not a PostgreSQL URL "
                "(write postgresql://user@host:port/database for each streaming replica)"
            )
    if urls and primary.startswith("sqlite"):
        raise ValueError(
            "TRACE_READ_DATABASE_URL names replicas, but TRACE_DATABASE_URL is SQLite: "
            "read replicas are PostgreSQL streaming replicas of a PostgreSQL primary"
        )
    return urls


def _metrics_allow(text: str | None) -> tuple[IpNetwork, ...]:
    if text is None or not text.strip():
        return LOOPBACK
    try:
        return parse_networks(text)
    except ValueError as exc:
        raise ValueError(str(exc).replace("TRACE_TRUSTED_PROXIES", "TRACE_METRICS_ALLOW")) from None


def _log_format(name: str) -> str:
    chosen = name.strip().lower()
    if chosen not in LOG_FORMATS:
        raise ValueError(
            f"TRACE_LOG_FORMAT: {name!r} is not one of {', '.join(LOG_FORMATS)} "
            "(json for a log collector, text for a person at a terminal)"
        )
    return chosen


def _proxy_header(name: str) -> str:
    header = name.strip().lower()
    if header not in PROXY_HEADERS:
        raise ValueError(
            f"TRACE_PROXY_HEADER: {name!r} is not one of {', '.join(PROXY_HEADERS)} "
            "(the header your reverse proxy writes the client's address in)"
        )
    return header
