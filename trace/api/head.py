"""HEAD answered like GET (RFC 9110 §9.3.2): the same status and headers, without the body.

The public pages and files are declared for both methods (:data:`GET_AND_HEAD`): their
handler runs as for GET, and :func:`drop_head_body` keeps the body from being sent, so the
headers (length, ETag, encoding, links) are exactly those of the GET answer.
"""

from __future__ import annotations

from litestar.enums import HttpMethod
from litestar.types import Message, Scope

GET_AND_HEAD = [HttpMethod.GET, HttpMethod.HEAD]


async def drop_head_body(message: Message, scope: Scope) -> None:
    """A ``before_send`` hook: the body of an answer to HEAD is not sent."""
    if message["type"] == "http.response.body" and scope.get("method") == "HEAD":
        message["body"] = b""
