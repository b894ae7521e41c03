"""Opaque cursors for keyset pagination: where the next page starts, and of which query.

A page ends at a row whose sort key and log position are known; the next page is the rows
after that pair in the query's order. Sort keys never change once a batch is registered
(when it was recorded, when it occurred, its product's name) and positions are unique, so
the pair names one place in the order for good: rows registered meanwhile fall before or
after it and no row that existed at the first page is seen twice or skipped.

The cursor is base64url (RFC 4648 §5, unpadded) of a 12-byte check followed by the pair as
JSON. The check is SHA-256 over the query's fingerprint (its filters and sort) and the pair,
so a cursor that was cut short, edited, or taken from another query is refused. It is a
check, not a secret: a cursor made by hand can only ask for a page of the same query, which
its maker may ask for anyway.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
from types import MappingProxyType

import msgspec

from trace.domain.errors import DomainError
from trace.domain.texts import N_

_CONTEXT = b"trace/search-cursor/v1\n"
_CHECK = 12
_MAX_LENGTH = 2048
_BASE64URL = re.compile(r"[A-Za-z0-9_-]*")

SortKey = int | str
_pair = msgspec.json.Decoder(tuple[int | str, int])


class BadCursor(DomainError):
    """A cursor that this service did not make for this query."""

    code = "bad_cursor"
    words = N_("The page cursor is not valid: {detail}. Search again from the first page.")
    variants = MappingProxyType(
        {
            "mismatch": N_(
                "The page cursor does not belong to this query (it was "
                "edited or cut short, or the filters or sort changed). "
                "Search again from the first page."
            ),
            "malformed": N_(
                "The page cursor is damaged: it is not one this service "
                "made. Pass the previous page's next_cursor as it is, or "
                "search again from the first page."
            ),
        }
    )


def encode_cursor(fingerprint: bytes, key: SortKey, position: int) -> str:
    """The cursor of the row with sort value ``key`` at ``position`` in query ``fingerprint``."""
    pair = msgspec.json.encode((key, position))
    raw = _check(fingerprint, pair) + pair
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def decode_cursor(
    text: str, fingerprint: bytes, key_type: type[int] | type[str]
) -> tuple[SortKey, int]:
    """The (sort value, position) ``text`` holds; raise :class:`BadCursor` unless it is ours.

    ``key_type`` is the type of the query's sort value (int for times, str for names).
    """
    if len(text) > _MAX_LENGTH or not _BASE64URL.fullmatch(text):
        raise BadCursor("the cursor is not base64url", reason="malformed")
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        raise BadCursor("the cursor is not base64url", reason="malformed") from None
    check, pair = raw[:_CHECK], raw[_CHECK:]
    if len(check) != _CHECK or not hmac.compare_digest(check, _check(fingerprint, pair)):
        raise BadCursor("the cursor does not belong to this query", reason="mismatch")
    try:
        key, position = _pair.decode(pair)
    except msgspec.DecodeError:
        raise BadCursor("the cursor's content is malformed", reason="malformed") from None
    if type(key) is not key_type or position < 0:
        raise BadCursor("the cursor's content is malformed", reason="malformed")
    return key, position


def fingerprint(*parts: object) -> bytes:
    """The identity of a query: a digest of its filters and sort, in a fixed order."""
    return hashlib.sha256(msgspec.json.encode(parts)).digest()


def _check(fingerprint: bytes, pair: bytes) -> bytes:
    return hashlib.sha256(_CONTEXT + fingerprint + pair).digest()[:_CHECK]
