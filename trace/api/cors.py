"""Cross-origin reading of the machine formats (the CORS protocol of the Fetch standard).

A GS1-Conformant resolver "SHALL support CORS", and a web page anywhere may want to show
a batch's linkset, its EPCIS events or the resolver description. So, on the resolver's
paths and the EPCIS queries, every answer that is not an HTML page carries
``Access-Control-Allow-Origin: *`` (JSON, JSON-LD, the linkset, a problem, a redirect),
and a preflight ``OPTIONS`` is answered with the methods and headers allowed.

HTML pages are left out: they hold forms, and nothing is gained by letting another site
read them. ``*`` never lets a browser send cookies, so a console session is never used
by another site's script; a program reading the inspectors' EPCIS queries sends its
token in ``Authorization``, which the preflight allows.
"""

from __future__ import annotations

from litestar.datastructures import MutableScopeHeaders
from litestar.types import Message, Scope

# Paths whose machine answers any origin may read.
OPEN_PATHS = ("/01/", "/b/", "/.well-known/gs1resolver", "/epcis/events")
ALLOWED_HEADERS = "Accept, Accept-Language, Authorization, If-None-Match"
EXPOSED_HEADERS = "Content-Language, ETag, Link, Location, Retry-After"
# A day: a browser asks again at most once a day per URL.
PREFLIGHT_MAX_AGE = "86400"


def is_open(path: str) -> bool:
    """Whether the machine answers at ``path`` may be read by any web origin."""
    return path.startswith(OPEN_PATHS)


async def allow_cross_origin(message: Message, scope: Scope) -> None:
    """A ``before_send`` hook: the CORS headers of the answers on :data:`OPEN_PATHS`."""
    if message["type"] != "http.response.start" or not is_open(scope.get("path", "")):
        return
    headers = MutableScopeHeaders.from_message(message)
    if scope.get("method") == "OPTIONS":
        headers["Access-Control-Allow-Origin"] = "*"
        headers["Access-Control-Allow-Methods"] = headers.get("allow") or "GET, HEAD, OPTIONS"
        headers["Access-Control-Allow-Headers"] = ALLOWED_HEADERS
        headers["Access-Control-Max-Age"] = PREFLIGHT_MAX_AGE
        return
    content_type = headers.get("content-type") or ""
    # A 304 says nothing of what it validates; an HTML page stays same-origin.
    if message["status"] == 304 or content_type.startswith("text/html"):
        return
    headers["Access-Control-Allow-Origin"] = "*"
    headers["Access-Control-Expose-Headers"] = EXPOSED_HEADERS
