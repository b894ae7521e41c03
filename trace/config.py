"""Configuration, read once at start-up from the environment into one typed object."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

DEFAULT_DATA_DIR = "var"
DEFAULT_MAX_BODY_BYTES = 256 * 1024


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
    # Keep rendered pages and batch look-ups while the log state holds (0: render every
    # request, to measure or debug rendering).
    page_cache: bool = True

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
        page_cache=env.get("TRACE_PAGE_CACHE", "1") != "0",
    )
