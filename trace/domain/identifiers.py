"""Identifiers: GTINs, GS1 Digital Link paths and short public batch codes.

Three kinds of identifier address a batch from the outside world:

* **GTIN** (GTIN-8, -12, -13 or -14). The check digit is the GS1 standard mod-10
  check digit, GS1 General Specifications section 7.9.1 ("Standard check digit
  calculations for GS1 data structures"). Every GTIN is stored and compared in
  its 14-digit form (left-padded with zeros), as GS1 keys are.
* **GS1 Digital Link path** (GS1 Digital Link Standard: URI Syntax, release
  1.x): ``/01/{gtin14}/10/{lot}`` or ``/01/{gtin14}/10/{lot}/21/{serial}``.
  Lot (AI 10) and serial (AI 21) are ``X..20`` fields: 1 to 20 characters of
  the GS1 AI encodable character set 82 (General Specifications figure 7.11-1),
  and the characters of that set that are not URI "unreserved" are
  percent-encoded in the path. Vietnamese letters and spaces are not in set 82,
  so a lot such as "LÔ 1/2" is rejected rather than silently transliterated:
  the lot printed on the pack must be the lot in the ledger.
* **Batch code**, for products without a GTIN (``/b/{code}``): 13 random
  symbols of Crockford's base32 alphabet (no I, L, O, U) followed by Crockford's
  mod-37 check symbol, 14 characters in all. See ``new_batch_code``.

Why no library: ``biip`` (PyPI, Apache-2.0, no runtime dependencies) was
evaluated at 5.2.0. It parses GTINs and whole Digital Link URIs well, but it is
deliberately lenient where this ledger must be strict: it needs an absolute
URI, skips any path prefix, accepts other qualifiers (AI 22, AI 235) and query
parameters, and ignores unknown ones, so every rule below would still have to be
written on top of it. What it would save is the check-digit sum and a character
class; those are a few lines, written here against the specification and tested
against GS1's published examples.
"""

from __future__ import annotations

import re
import secrets
import unicodedata
from dataclasses import dataclass
from urllib.parse import quote, unquote_to_bytes

from trace.domain.errors import InvalidIdentifier

# --- GTIN -------------------------------------------------------------------

GTIN_LENGTHS = frozenset({8, 12, 13, 14})
GTIN14_LENGTH = 14

# str.isdigit() would let "٣" or "３" through, and int() would then read them.
_ASCII_DIGITS = frozenset("0123456789")


def _is_ascii_digits(text: str) -> bool:
    return bool(text) and all(char in _ASCII_DIGITS for char in text)


def gtin_check_digit(body: str) -> int:
    """Return the GS1 mod-10 check digit for ``body``, a GS1 key without its check digit.

    GS1 General Specifications 7.9.1: from the rightmost digit leftwards the
    weights are 3, 1, 3, 1, ...; the check digit brings the weighted sum up to a
    multiple of ten.
    """
    if not _is_ascii_digits(body):
        raise InvalidIdentifier(
            f"a GS1 key body must be ASCII digits, got {body!r}", value=body, reason="digits"
        )
    total = sum(
        int(digit) * (3 if position % 2 == 0 else 1)
        for position, digit in enumerate(reversed(body))
    )
    return (10 - total % 10) % 10


def validate_gtin(value: str) -> str:
    """Return ``value`` as a 14-digit GTIN if it is a valid GTIN-8, -12, -13 or -14.

    Raises ``InvalidIdentifier`` with ``reason`` "length", "digits" or "check_digit".
    """
    if len(value) not in GTIN_LENGTHS:
        raise InvalidIdentifier(
            f"a GTIN has 8, 12, 13 or 14 digits, got {len(value)} characters",
            value=value,
            reason="length",
        )
    if not _is_ascii_digits(value):
        raise InvalidIdentifier(
            f"a GTIN is made of the digits 0-9 only, got {value!r}", value=value, reason="digits"
        )
    expected = gtin_check_digit(value[:-1])
    if int(value[-1]) != expected:
        raise InvalidIdentifier(
            f"GTIN check digit should be {expected}, got {value[-1]}",
            value=value,
            reason="check_digit",
            expected=expected,
        )
    return value.zfill(GTIN14_LENGTH)


def is_valid_gtin(value: str) -> bool:
    """Tell whether ``value`` is a valid GTIN-8, -12, -13 or -14."""
    try:
        validate_gtin(value)
    except InvalidIdentifier:
        return False
    return True


# --- GS1 Digital Link -------------------------------------------------------

AI_GTIN = "01"
AI_LOT = "10"
AI_SERIAL = "21"
# The only path shape the ledger issues and resolves; order is the standard's
# qualifier order for AI 01 (AI 22 and AI 235 are not used here).
_PATH_AIS = (AI_GTIN, AI_LOT, AI_SERIAL)
AI_VALUE_MAX_LENGTH = 20

CHARACTER_SET_82 = frozenset(
    "!\"%&'()*+,-./0123456789:;<=>?ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz"
)

# RFC 3986 pchar without "%": what may appear unencoded in a path segment.
_RAW_SEGMENT_CHARS = frozenset(
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~!$&'()*+,;=:@"
)
_STRAY_PERCENT = re.compile(r"%(?![0-9A-Fa-f]{2})")


def _check_ai_value(value: str, ai: str) -> None:
    if not value:
        raise InvalidIdentifier(f"AI {ai} must not be empty", value=value, reason="empty", ai=ai)
    outside = sorted(set(value) - CHARACTER_SET_82)
    if outside:
        raise InvalidIdentifier(
            f"AI {ai} allows only GS1 character set 82, got {''.join(outside)!r}",
            value=value,
            reason="characters",
            ai=ai,
        )
    if len(value) > AI_VALUE_MAX_LENGTH:
        raise InvalidIdentifier(
            f"AI {ai} holds at most {AI_VALUE_MAX_LENGTH} characters, got {len(value)}",
            value=value,
            reason="too_long",
            ai=ai,
        )


@dataclass(frozen=True, slots=True)
class DigitalLink:
    """A GTIN with its lot and optional serial, as a GS1 Digital Link path addresses it.

    Construction validates every part and stores the GTIN in its 14-digit form,
    so any instance can be turned into a path, and equal identifiers compare equal.
    """

    gtin: str
    lot: str
    serial: str | None = None

    def __post_init__(self) -> None:
        # Frozen, so the normalised GTIN is written past the dataclass guard.
        object.__setattr__(self, "gtin", validate_gtin(self.gtin))
        _check_ai_value(self.lot, AI_LOT)
        if self.serial is not None:
            _check_ai_value(self.serial, AI_SERIAL)

    def path(self) -> str:
        """Return the Digital Link path, values percent-encoded, without scheme or host."""
        pairs = [(AI_GTIN, self.gtin), (AI_LOT, self.lot)]
        if self.serial is not None:
            pairs.append((AI_SERIAL, self.serial))
        # safe="" leaves only RFC 3986 unreserved characters bare; of set 82 that
        # is letters, digits, "-", "." and "_", as the Digital Link standard asks.
        return "".join(f"/{ai}/{quote(value, safe='')}" for ai, value in pairs)


def _decode_segment(raw: str, ai: str) -> str:
    unexpected = sorted(set(raw) - _RAW_SEGMENT_CHARS - {"%"})
    if unexpected:
        raise InvalidIdentifier(
            f"AI {ai} value has characters that must be percent-encoded: {''.join(unexpected)!r}",
            value=raw,
            reason="encoding",
            ai=ai,
        )
    if _STRAY_PERCENT.search(raw):
        raise InvalidIdentifier(
            f"AI {ai} value has a '%' not followed by two hex digits",
            value=raw,
            reason="encoding",
            ai=ai,
        )
    decoded = unquote_to_bytes(raw)
    try:
        return decoded.decode("ascii")
    except UnicodeDecodeError:
        # Set 82 is a subset of ASCII, so any other byte is a character outside it.
        raise InvalidIdentifier(
            f"AI {ai} allows only GS1 character set 82, got non-ASCII text",
            value=raw,
            reason="characters",
            ai=ai,
        ) from None


def parse_digital_link_path(path: str) -> DigitalLink:
    """Parse ``/01/{gtin}/10/{lot}[/21/{serial}]`` into a ``DigitalLink``.

    ``path`` is the raw, still percent-encoded request path (in ASGI,
    ``scope["raw_path"]``): decoding it first would turn an encoded "/" in a lot
    into a separator. The GTIN may have 8, 12, 13 or 14 digits. Anything else
    raises ``InvalidIdentifier``.
    """
    if not path.startswith("/"):
        raise InvalidIdentifier(
            "a Digital Link path starts with '/'", value=path, reason="structure"
        )
    segments = path[1:].split("/")
    if len(segments) % 2:
        raise InvalidIdentifier(
            "a Digital Link path is a sequence of /{AI}/{value} pairs",
            value=path,
            reason="structure",
        )
    values: list[str] = []
    for index in range(0, len(segments), 2):
        ai, raw = segments[index], segments[index + 1]
        if ai not in _PATH_AIS:
            raise InvalidIdentifier(
                f"AI {ai!r} is not used in this ledger's Digital Links (01, 10, 21)",
                value=path,
                reason="unknown_ai",
                ai=ai,
            )
        expected = _PATH_AIS[len(values)] if len(values) < len(_PATH_AIS) else None
        if ai != expected:
            raise InvalidIdentifier(
                f"expected AI {expected or 'nothing'} here, got AI {ai}",
                value=path,
                reason="order",
                ai=ai,
            )
        values.append(_decode_segment(raw, ai))
    if len(values) < 2:
        raise InvalidIdentifier(
            "a Digital Link path needs a GTIN (AI 01) and a lot (AI 10)",
            value=path,
            reason="structure",
        )
    return DigitalLink(*values)


# --- Batch codes --------------------------------------------------------------

# Crockford's base32: digits and upper-case letters without I, L, O and U, so a
# code read aloud or copied by hand has no look-alike pairs.
BATCH_CODE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
BATCH_CODE_PAYLOAD_LENGTH = 13
BATCH_CODE_LENGTH = BATCH_CODE_PAYLOAD_LENGTH + 1
_PAYLOAD_BITS = 5 * BATCH_CODE_PAYLOAD_LENGTH
_CHECK_MODULUS = 37

# What people type: O for 0 and I or L for 1, as Crockford's decoding rules say.
_TYPED_LOOKALIKES = str.maketrans({"O": "0", "I": "1", "L": "1"})
# Spaces and every dash a phone keyboard or autocorrect may produce.
_TYPED_SEPARATORS = re.compile(r"[\s\-\u2010-\u2015\u2212]+")


def _payload_value(payload: str) -> int:
    value = 0
    for symbol in payload:
        value = value * 32 + BATCH_CODE_ALPHABET.index(symbol)
    return value


def new_batch_code() -> str:
    """Return a fresh random batch code (see :func:`new_code`)."""
    return new_code()


def new_serial() -> str:
    """Return a fresh random serial for a serialised label, made like a batch code.

    GS1 AI (21) takes up to 20 characters; 14 Crockford symbols carry about
    64.8 random bits, and the check symbol catches a mistyped serial.
    """
    return new_code()


def new_code() -> str:
    """Return a fresh random code: 13 payload symbols and one check symbol.

    The payload is 65 bits from ``secrets``. Crockford's check symbol is the
    payload value mod 37; values 32 to 36 would need the symbols ``*~$=U``,
    which are awkward on a label and in a URL, so payloads whose value mod 37
    is 32 or more are drawn again. That keeps log2(2**65 * 32/37), about 64.8
    bits, of randomness, and every code uses only the 32 letters and digits.
    """
    while True:
        value = secrets.randbits(_PAYLOAD_BITS)
        check = value % _CHECK_MODULUS
        if check < len(BATCH_CODE_ALPHABET):
            break
    payload = "".join(
        BATCH_CODE_ALPHABET[(value >> shift) & 31] for shift in range(_PAYLOAD_BITS - 5, -1, -5)
    )
    return payload + BATCH_CODE_ALPHABET[check]


def normalise_batch_code(text: str) -> str:
    """Return the canonical form of a batch code as a person typed it.

    Case, spaces and dashes are ignored, O reads as 0 and I or L as 1. Raises
    ``InvalidIdentifier`` with ``reason`` "characters", "length" or
    "check_digit"; the check symbol catches any single mistyped character and
    any swap of two neighbours before the code reaches a database.
    """
    # NFKC folds full-width letters and digits from CJK or phone keyboards to ASCII.
    compact = _TYPED_SEPARATORS.sub("", unicodedata.normalize("NFKC", text))
    canonical = compact.upper().translate(_TYPED_LOOKALIKES) if compact.isascii() else compact
    outside = sorted(set(canonical) - set(BATCH_CODE_ALPHABET))
    if outside:
        raise InvalidIdentifier(
            f"a batch code uses only {BATCH_CODE_ALPHABET}, got {''.join(outside)!r}",
            value=text,
            reason="characters",
        )
    if len(canonical) != BATCH_CODE_LENGTH:
        raise InvalidIdentifier(
            f"a batch code has {BATCH_CODE_LENGTH} characters, got {len(canonical)}",
            value=text,
            reason="length",
        )
    check = _payload_value(canonical[:-1]) % _CHECK_MODULUS
    if check >= len(BATCH_CODE_ALPHABET) or canonical[-1] != BATCH_CODE_ALPHABET[check]:
        raise InvalidIdentifier(
            "batch code check symbol does not match: a character is mistyped",
            value=text,
            reason="check_digit",
        )
    return canonical
