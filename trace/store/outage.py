"""When the database cannot be reached: which failures mean it, and one log line per outage.

A refused or lost connection, PostgreSQL shutting down or starting up or out of
connections, an SQLite file that cannot be opened, stays locked past its timeout, or
whose disk fails: none of these is a defect of the request that met it. The service
answers them with 503 and ``Retry-After`` (``trace/api/problems.py``), and the outage is
logged twice, when it begins and when the database answers again, however many requests
and background tasks meet it meanwhile. Every database difference is kept here:
PostgreSQL's errors are told by their SQLSTATE (class 08, "connection exception";
57P01-57P03, shutdown and start-up; 53300, too many connections), SQLite's by their
primary result code (https://sqlite.org/rescode.html).
"""

from __future__ import annotations

import errno
import logging
import socket
import sqlite3
import time
from dataclasses import dataclass, field
from weakref import WeakKeyDictionary

import asyncpg
from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.ext.asyncio import AsyncEngine

RETRY_AFTER_SECONDS = 5

_log = logging.getLogger("trace.database")

_POSTGRES_STATES = frozenset({"57P01", "57P02", "57P03", "53300"})
_SQLITE_CODES = frozenset(
    {
        sqlite3.SQLITE_BUSY,
        sqlite3.SQLITE_LOCKED,
        sqlite3.SQLITE_READONLY,
        sqlite3.SQLITE_IOERR,
        sqlite3.SQLITE_FULL,
        sqlite3.SQLITE_CANTOPEN,
    }
)
_NETWORK_ERRNOS = frozenset(
    {
        errno.ECONNREFUSED,
        errno.ECONNRESET,
        errno.ECONNABORTED,
        errno.EPIPE,
        errno.ETIMEDOUT,
        errno.ENETDOWN,
        errno.ENETUNREACH,
        errno.EHOSTDOWN,
        errno.EHOSTUNREACH,
    }
)


class ReplicaUnavailable(Exception):
    """A read replica could not be reached; noted against the replica, not the primary."""


def is_unavailable(exc: BaseException) -> bool:
    """Whether ``exc`` means that the database cannot be reached now (so: retry later)."""
    if isinstance(exc, PoolTimeout | ReplicaUnavailable):
        return True  # every pooled connection is busy or being made: the database lags
    if isinstance(exc, DBAPIError):
        return bool(exc.connection_invalidated) or _driver_unavailable(exc.orig)
    return _driver_unavailable(exc)


def _driver_unavailable(exc: BaseException | None) -> bool:
    if exc is None:
        return False
    if isinstance(exc, sqlite3.Error):
        code = getattr(exc, "sqlite_errorcode", None)
        return code is not None and code & 0xFF in _SQLITE_CODES
    # asyncpg's errors carry ``sqlstate``; SQLAlchemy's adaptation of them ``pgcode``.
    state = getattr(exc, "sqlstate", None) or getattr(exc, "pgcode", None)
    if isinstance(state, str) and (state.startswith("08") or state in _POSTGRES_STATES):
        return True
    if isinstance(exc, asyncpg.InterfaceError):
        return "closed" in str(exc)  # "connection is closed", "... was closed in the middle"
    if isinstance(exc, ConnectionError | TimeoutError | socket.gaierror):
        return True
    if isinstance(exc, OSError):
        # asyncio names no errno when every address of a host refused: "Multiple exceptions".
        return exc.errno in _NETWORK_ERRNOS or str(exc).startswith("Multiple exceptions")
    return isinstance(exc.__cause__, OSError | asyncpg.PostgresError) and _driver_unavailable(
        exc.__cause__
    )


@dataclass
class Outage:
    """One outage of one database: since when, and how many failures met it."""

    since: float = field(default_factory=time.monotonic)
    failures: int = 0


# Only the engines whose database is down now, so the check on every transaction's success
# is one test of an empty dict.
_DOWN: WeakKeyDictionary[Engine, Outage] = WeakKeyDictionary()


def report_failure(engine: AsyncEngine, exc: BaseException) -> None:
    """Note that ``engine``'s database could not be reached; log it if an outage begins."""
    if isinstance(exc, ReplicaUnavailable):
        return  # the replica's outage was noted where it met it (database.read_transaction)
    outage = _DOWN.get(engine.sync_engine)
    if outage is None:
        outage = _DOWN[engine.sync_engine] = Outage()
        _log.error(
            "the database cannot be reached (%s: %s); answering 503 until it answers again",
            type(exc).__name__,
            exc,
        )
    outage.failures += 1


def report_success(engine: AsyncEngine) -> None:
    """Note that ``engine``'s database answered; log it if that ends an outage."""
    if not _DOWN:
        return
    outage = _DOWN.pop(engine.sync_engine, None)
    if outage is not None:
        _log.warning(
            "the database answers again after %.1f s; %d failures met the outage",
            time.monotonic() - outage.since,
            outage.failures,
        )


def is_down(engine: AsyncEngine) -> bool:
    """Whether an outage of ``engine``'s database is going on, as far as this process knows."""
    return engine.sync_engine in _DOWN


def down_for(engine: AsyncEngine) -> float | None:
    """Seconds since this process saw ``engine``'s database go down, or None if it is up."""
    outage = _DOWN.get(engine.sync_engine)
    return None if outage is None else time.monotonic() - outage.since
