"""What every request must be before a handler reads it: the edge's checks, in one place.

- **JSON bodies.** Every request body is decoded here: by :class:`TraceRequest` for the
  handlers that take ``data``, and by :func:`read_json_body` for EPCIS capture, which
  reads its bytes itself. A body is refused unless its media type is JSON (``415``, naming
  the types the address accepts; no ``Content-Type`` at all is read as JSON), it is UTF-8
  (RFC 8259 §8.1), it nests at most ``MAX_DEPTH`` levels, no object repeats a key at any
  depth (RFC 8259 §4 leaves duplicates to the reader; last-one-wins would let two readers
  of one request see two requests), and no string holds a forbidden character
  (``trace/domain/json_text.py``; the error names the field).
- **Photos.** ``POST /api/v1/photos`` reads its body as bytes: its media type must be one of
  the image types it takes (``415`` otherwise, :func:`photo_media_type`); the bytes are
  checked by ``trace/domain/photos.py``.
- **Parameters.** Path and query parameters hold no control character (``check_parameters``,
  run before every handler): PostgreSQL refuses U+0000 in text and SQLite does not, so
  without this a look-up by such a name would answer differently on the two databases.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from types import MappingProxyType
from typing import Any, NoReturn

from litestar import Request
from litestar.types import Empty

from trace.domain.errors import DomainError
from trace.domain.json_text import (
    MAX_DEPTH,
    describe_character,
    misplaced_character,
    nesting_depth,
)
from trace.domain.texts import N_

JSON = "application/json"


class MalformedRequest(DomainError):
    """The body or a parameter cannot be read (``reason`` says why); nothing was done."""

    code = "bad_request"
    words = N_("The request is invalid: {detail}")
    variants = MappingProxyType(
        {
            "not_utf8": N_(
                "The request body is not valid UTF-8 (at byte {position}). "
                "Send JSON encoded in UTF-8."
            ),
            "too_deep": N_(
                "The JSON of the request nests more than {limit} levels "
                "deep. No request of this service needs that many: check the "
                "data you send."
            ),
            "duplicate_key": N_(
                "The key '{key}' appears twice in one JSON object, so which "
                "value was meant cannot be known. Keep it once and resend."
            ),
            "not_json": N_(
                "The request body is not valid JSON (line {line}, column {column}). Check its "
                "brackets, commas and quotes."
            ),
            "fields": N_("Some parts of the request need correcting; each is named below."),
            "unreadable": N_(
                "The request cannot be read. Check its address, headers and body against the "
                "API's description (/schema)."
            ),
            "not_a_number": N_(
                "The request body holds a number JSON does not carry (NaN, Infinity, or more "
                "than 4,300 digits). Send numbers as decimal strings."
            ),
            "forbidden_character": N_(
                "The field '{field}' holds the character {character} (a "
                "control character, or half of a UTF-16 pair), which cannot "
                "be stored. Remove it and resend."
            ),
        }
    )


class UnsupportedMediaType(DomainError):
    """The body is not of a media type the address reads (RFC 9110 §15.5.16)."""

    code = "unsupported_media_type"
    words = N_(
        "This address accepts bodies of type {accepted}, not {value}. Send the "
        "header 'Content-Type: application/json'."
    )
    variants = MappingProxyType(
        {
            "photo": N_(
                "This address accepts photos of type {accepted}, not {value}. Send the photo "
                "as the console prepares it, with the Content-Type of its format."
            ),
        }
    )


def _check_media_type(content_type: tuple[str, dict[str, str]], accepted: Sequence[str]) -> None:
    media_type, options = content_type
    charset = options.get("charset", "utf-8").lower()
    if (media_type and media_type not in accepted) or charset not in ("utf-8", "utf8"):
        given = media_type or "?"
        if charset not in ("utf-8", "utf8"):
            given = f"{given}; charset={charset}"
        raise UnsupportedMediaType(
            f"the body is {given}; this address accepts {', '.join(accepted)}",
            value=given,
            accepted=", ".join(accepted),
        )


def photo_media_type(content_type: tuple[str, dict[str, str]], accepted: Sequence[str]) -> str:
    """The media type of a photo's body, one of ``accepted``; :class:`UnsupportedMediaType`
    otherwise (no ``Content-Type`` at all included: a photo's bytes say nothing of it)."""
    media_type = content_type[0].lower()
    if media_type not in accepted:
        given = media_type or "?"
        raise UnsupportedMediaType(
            f"the body is {given}; this address accepts {', '.join(accepted)}",
            reason="photo",
            value=given,
            accepted=", ".join(accepted),
        )
    return media_type


def _unique(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """A JSON object's members as a dict; refuse a name that comes twice."""
    members = dict(pairs)
    if len(members) != len(pairs):
        seen: set[str] = set()
        for name, _ in pairs:
            if name in seen:
                raise MalformedRequest(
                    f"the key {name!r} appears twice in one object",
                    reason="duplicate_key",
                    key=name,
                )
            seen.add(name)
    return members


def _no_constant(name: str) -> NoReturn:
    raise MalformedRequest(f"{name} is not a JSON number", reason="not_a_number")


def read_json_body(
    data: bytes, content_type: tuple[str, dict[str, str]], accepted: Sequence[str] = (JSON,)
) -> Any:
    """The JSON value of a request body after every check above; :class:`MalformedRequest` or
    :class:`UnsupportedMediaType` otherwise."""
    _check_media_type(content_type, accepted)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise MalformedRequest(
            f"the body is not UTF-8 at byte {exc.start}", reason="not_utf8", position=exc.start
        ) from exc
    if nesting_depth(text) > MAX_DEPTH:
        raise MalformedRequest(
            f"the body nests more than {MAX_DEPTH} levels deep", reason="too_deep", limit=MAX_DEPTH
        )
    try:
        value = json.loads(text, object_pairs_hook=_unique, parse_constant=_no_constant)
    except json.JSONDecodeError as exc:
        raise MalformedRequest(
            str(exc), reason="not_json", line=exc.lineno, column=exc.colno
        ) from exc
    except ValueError as exc:  # a number of more than 4300 digits
        raise MalformedRequest(str(exc), reason="not_a_number") from exc
    misplaced = misplaced_character(value)
    if misplaced is not None:
        _refuse_character(*misplaced)
    return value


def _refuse_character(field: str, character: str) -> NoReturn:
    shown = describe_character(character)
    raise MalformedRequest(
        f"{field} holds the character {shown}",
        reason="forbidden_character",
        field=field,
        character=shown,
    )


class TraceRequest(Request[Any, Any, Any]):
    """The application's request: its JSON body is read by :func:`read_json_body`."""

    async def json(self) -> Any:
        """The request's JSON body, checked at the edge (see the module's docstring)."""
        if self._json is Empty:
            if self._connection_state.json is Empty:
                # Kept with the connection, so that an error handler reads the same body.
                self._connection_state.json = read_json_body(await self.body(), self.content_type)
            self._json = self._connection_state.json
        return self._json


def body_read(request: Request[Any, Any, Any]) -> Any:
    """The JSON body :meth:`TraceRequest.json` read for ``request``, or ``Empty``."""
    return request._connection_state.json


async def check_parameters(request: Request[Any, Any, Any]) -> None:
    """Refuse a path or query parameter that holds a character text may not hold."""
    for name, value in request.path_params.items():
        if isinstance(value, str):
            misplaced = misplaced_character(value, name)
            if misplaced is not None:
                _refuse_character(*misplaced)
    for name, value in request.query_params.multi_items():
        misplaced = misplaced_character(name, name) or misplaced_character(value, name)
        if misplaced is not None:
            _refuse_character(*misplaced)
