"""The service's log on standard output: one JSON object a line, or text for a person.

Each request gets one line (:class:`AccessLog`), written with a single ``write`` to the
standard output's file descriptor: workers share it, and a write of one line (well under
``PIPE_BUF``) to a pipe is never interleaved with another's. The service's other messages
(``trace.*`` loggers: a checkpoint not signed, an unexpected error with its reference)
go to the same place in the same format (:func:`configure_logging`).

``TRACE_LOG_FORMAT=json`` (the default) is for a collector (journald, Loki, Elasticsearch):
``time`` (UTC, RFC 3339), ``level``, ``logger``, ``message`` on every line; a request's line
adds ``method``, ``route`` (the template, as in the metrics), ``path``, ``status``,
``duration_ms``, ``request_id``, ``client`` and, for an answer that is a problem, its
``problem`` type. ``text`` writes the same on one readable line.
"""

from __future__ import annotations

import logging
import os
import sys
from datetime import UTC, datetime
from typing import Any

import msgspec

_encode = msgspec.json.Encoder().encode
_OUT = 1  # standard output's file descriptor
# Attributes every LogRecord has: what is left is what the caller passed in ``extra``.
_STANDARD = frozenset(logging.makeLogRecord({}).__dict__) | {"message", "asctime"}


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _level(status: int) -> str:
    return "error" if status >= 500 else "warning" if status >= 400 else "info"


class AccessLog:
    """Writes one line per request, in the configured format."""

    def __init__(self, log_format: str, out: int = _OUT) -> None:
        self.json = log_format == "json"
        self.out = out

    def request(
        self,
        *,
        method: str,
        route: str,
        path: str,
        status: int,
        seconds: float,
        request_id: str,
        client: str,
        problem: str | None,
    ) -> None:
        """Write the line of one answered request."""
        if self.json:
            line: dict[str, Any] = {
                "time": _now(),
                "level": _level(status),
                "logger": "trace.access",
                "message": "request",
                "method": method,
                "route": route,
                "path": path,
                "status": status,
                "duration_ms": round(seconds * 1000, 3),
                "request_id": request_id,
                "client": client,
            }
            if problem is not None:
                line["problem"] = problem
            data = _encode(line) + b"\n"
        else:
            said = f" problem={problem}" if problem else ""
            data = (
                f"{_now()} {method} {path} {status} {seconds * 1000:.1f}ms "
                f"client={client} id={request_id}{said}\n"
            ).encode("utf-8", "replace")
        os.write(self.out, data)


class JsonFormatter(logging.Formatter):
    """A log record as one JSON object, with whatever the caller passed in ``extra``."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC)
            .isoformat(timespec="milliseconds")
            .replace("+00:00", "Z"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        for name, value in record.__dict__.items():
            if name not in _STANDARD and not name.startswith("_"):
                line[name] = value if isinstance(value, (str, int, float, bool)) else str(value)
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return _encode(line).decode()


class _Stdout(logging.StreamHandler):  # type: ignore[type-arg]
    """Standard output as it is when each record is written (a test may replace it)."""

    def __init__(self) -> None:
        super().__init__(sys.stdout)

    def emit(self, record: logging.LogRecord) -> None:
        self.stream = sys.stdout
        super().emit(record)


def configure_logging(log_format: str) -> None:
    """Send the ``trace`` loggers' records (info and above) to standard output."""
    handler = _Stdout()
    if log_format == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
    logger = logging.getLogger("trace")
    for old in [h for h in logger.handlers if isinstance(h, _Stdout)]:
        logger.removeHandler(old)
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False
