"""What every request leaves behind: its id, its line in the log, its count in the metrics.

:func:`observe_requests` wraps the application's whole request handling (after routing
and the error handlers: a 404 of an unknown address and a 500 are seen like the rest).
Each request gets an id: the client's ``X-Request-Id`` when it sends a sane one (a
reverse proxy's, to follow one request through both logs), else a new one; the answer
carries it back in ``X-Request-Id``, the log line holds it, and so does the log of an
unexpected error. Requests are counted by route *template* (``/b/{code:str}``), never by
raw path, so that the metrics' label values stay few whatever addresses clients make up.
"""

from __future__ import annotations

import itertools
import os
import re
import secrets
from time import perf_counter
from typing import Any

from litestar.enums import ScopeType
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from trace.api.clients import UNKNOWN, forwarded_client
from trace.config import Settings
from trace.observe.logs import AccessLog
from trace.observe.metrics import TALLY, UNMATCHED

HEADER = b"x-request-id"
# Where the id and the problem code of a request are kept (its scope's state).
REQUEST_ID = "request_id"
PROBLEM = "problem"
# A client's id is kept if it is short and plain: it goes into logs and headers as is.
_SANE = re.compile(rb"[A-Za-z0-9._:@/+=-]{1,128}")


# A fresh id is this process's random prefix and its count of requests: unique across the
# workers and restarts of a deployment, and a fifth of the cost of 8 random bytes each time.
_PREFIX = secrets.token_hex(4)
_COUNT = itertools.count(1)


def _new_process() -> None:
    """A forked worker takes a prefix of its own."""
    global _PREFIX, _COUNT
    _PREFIX, _COUNT = secrets.token_hex(4), itertools.count(1)


os.register_at_fork(after_in_child=_new_process)


def new_request_id() -> str:
    """A fresh id: 16 hexadecimal digits (more after four thousand million requests)."""
    return f"{_PREFIX}{next(_COUNT):08x}"


def request_id_of(scope: Scope | dict[str, Any]) -> str | None:
    """The id given to the request of ``scope``, if it was seen by :func:`observe_requests`."""
    state = scope.get("state")
    return state.get(REQUEST_ID) if isinstance(state, dict) else None


def observe_requests(inner: ASGIApp, settings: Settings) -> ASGIApp:
    """``inner`` with each HTTP request given an id, logged and counted as configured."""
    log = AccessLog(settings.log_format) if settings.access_log else None
    tally = TALLY if settings.metrics else None
    trusted, proxy_header = settings.trusted_proxies, settings.proxy_header.encode()

    async def observed(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP:
            await inner(scope, receive, send)
            return
        start = perf_counter()
        given = None
        for name, value in scope["headers"]:
            if name == HEADER:
                given = value
                break
        request_id = given.decode("ascii") if given and _SANE.fullmatch(given) else new_request_id()
        scope["state"][REQUEST_ID] = request_id
        echoed = (HEADER, request_id.encode("ascii"))
        status = 500

        async def sending(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message["headers"], echoed]
            await send(message)

        try:
            await inner(scope, receive, sending)
        finally:
            seconds = perf_counter() - start
            route = scope.get("path_template") or UNMATCHED
            problem = scope["state"].get(PROBLEM)
            if tally is not None:
                tally.request(scope["method"], route, str(status), seconds)
                if problem is not None:
                    tally.refusal(problem)
            if log is not None:
                client = scope.get("client")
                peer = client[0] if client else UNKNOWN
                if trusted:
                    forwarded = [
                        value.decode("latin-1")
                        for name, value in scope["headers"]
                        if name == proxy_header
                    ]
                    peer = forwarded_client(peer, forwarded, trusted, settings.proxy_header)
                log.request(
                    method=scope["method"],
                    route=route,
                    path=scope["path"],
                    status=status,
                    seconds=seconds,
                    request_id=request_id,
                    client=peer,
                    problem=f"urn:trace:problem:{problem}" if problem else None,
                )

    return observed
