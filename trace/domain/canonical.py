"""Canonical JSON bytes for statements.

One fact must have exactly one byte string, so that its SHA-256 and signature
are stable whatever device typed it. The canonical form is:

- UTF-8 JSON (RFC 8259) with no insignificant whitespace;
- object keys sorted by Unicode code point, no duplicate keys;
- every string (keys included) in Unicode Normalization Form C (UAX #15),
  because Vietnamese typed on different devices arrives as NFC or NFD;
- no floating-point numbers (quantities are decimal strings) and integers of
  magnitude below 2^53, so that every JSON implementation reads them exactly;
- strings escaped minimally: ``"`` and ``\\`` and control characters below
  U+0020 only (as ``\\n``, ``\\t``, ... or ``\\u00XX``), everything else literal;
- arrays and objects nested at most ``MAX_DEPTH`` (32) levels deep
  (``trace/domain/json_text.py``), so that reading a statement never recurses without bound.
"""

from __future__ import annotations

import unicodedata
from typing import Any

import msgspec

from trace.domain.errors import NotCanonical
from trace.domain.json_text import MAX_DEPTH, nesting_depth

MAX_SAFE_INTEGER = 2**53 - 1

_encoder = msgspec.json.Encoder(order="sorted")


def normalise(value: Any) -> Any:
    """Return ``value`` with every string NFC-normalised; reject what JSON cannot hold exactly.

    Arrays and objects nested deeper than ``MAX_DEPTH`` are refused, so the recursion is
    bounded whatever the caller passes.
    """
    return _normalise(value, 0)


def _too_deep() -> NotCanonical:
    return NotCanonical(
        f"arrays and objects nest more than {MAX_DEPTH} levels deep",
        reason="too_deep",
        limit=MAX_DEPTH,
    )


def _normalise(value: Any, depth: int) -> Any:
    if isinstance(value, str):
        return unicodedata.normalize("NFC", value)
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int):
        if abs(value) > MAX_SAFE_INTEGER:
            raise NotCanonical("integer too large for canonical JSON", reason="large_integer")
        return value
    if isinstance(value, float):
        raise NotCanonical(
            "floating-point numbers are not allowed; write quantities as decimal strings",
            reason="float",
        )
    if isinstance(value, dict | list | tuple) and depth >= MAX_DEPTH:
        raise _too_deep()
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for key, item in value.items():
            if not isinstance(key, str):
                raise NotCanonical("object keys must be strings", reason="key_type")
            nkey = unicodedata.normalize("NFC", key)
            if nkey in out:
                raise NotCanonical(
                    f"duplicate key {nkey!r} after normalisation", reason="duplicate"
                )
            out[nkey] = _normalise(item, depth + 1)
        return out
    if isinstance(value, (list, tuple)):
        return [_normalise(item, depth + 1) for item in value]
    raise NotCanonical(f"value of type {type(value).__name__} is not JSON", reason="type")


def canonical_bytes(value: Any) -> bytes:
    """Encode ``value`` (JSON-compatible builtins) in the canonical form above."""
    return _encoder.encode(normalise(value))


def parse_canonical(data: bytes) -> dict[str, Any]:
    """Decode canonical bytes of a JSON object; raise :class:`NotCanonical` on any other form."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise NotCanonical(f"not valid UTF-8 JSON: {exc}", reason="not_json") from exc
    # Counted before decoding: the decoder itself recurses once per level.
    if nesting_depth(text) > MAX_DEPTH:
        raise _too_deep()
    try:
        decoded = msgspec.json.decode(data)
    except msgspec.DecodeError as exc:
        raise NotCanonical(f"not valid UTF-8 JSON: {exc}", reason="not_json") from exc
    if not isinstance(decoded, dict):
        raise NotCanonical("a statement must be a JSON object", reason="not_object")
    expected = canonical_bytes(decoded)
    if expected != data:
        raise NotCanonical(
            "bytes differ from the canonical form (sorted keys, no spaces, NFC text, "
            "minimal escapes, no duplicate keys)",
            reason=_difference(decoded, data),
        )
    return decoded


def _difference(decoded: Any, data: bytes) -> str:
    """Name the most likely reason why ``data`` is not canonical, for the error message."""
    if not _is_nfc(decoded):
        return "not_nfc"
    if b"\n" in data or b": " in data or b", " in data or data[:1].isspace():
        return "whitespace"
    return "form"


def _is_nfc(value: Any) -> bool:
    if isinstance(value, str):
        return unicodedata.is_normalized("NFC", value)
    if isinstance(value, dict):
        return all(_is_nfc(k) and _is_nfc(v) for k, v in value.items())
    if isinstance(value, list):
        return all(_is_nfc(v) for v in value)
    return True
