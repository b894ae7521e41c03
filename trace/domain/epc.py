"""EPC URIs and GS1 Digital Link URIs, and the one form in which they are compared.

Two spellings name the same object: the EPC pure-identity URN of the EPC Tag Data
Standard (TDS 2.0 section 6), ``urn:epc:id:sgtin:0614141.107346.2017``, and the GS1
Digital Link URI (Digital Link 1.2 section 4.11), ``https://id.gs1.org/01/10614141073464/21/2017``.
:func:`canonical_identifier` writes both alike, as the EPCIS Event Hash ID does
(CBV 2.0 section 8.9, rules 17 and 18): EPC URNs become Digital Links, and every Digital
Link is constrained to ``https://id.gs1.org`` with its primary key and its finest
qualifier only. The ledger's EPCIS index stores identifiers in this form, so a query may
name an object either way.

A URN under ``urn:epc:`` that names no scheme of the TDS, or whose digits do not add up
to the key's length, is not an EPC (:func:`check_identifier`); other URIs (``urn:uuid:``,
``https://`` addresses of other registries) are kept as they are written.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from urllib.parse import urlsplit

from trace.domain.errors import InvalidIdentifier
from trace.domain.identifiers import gtin_check_digit

DIGITAL_LINK_ROOT = "https://id.gs1.org/"
EPC_PREFIX = "urn:epc:"
PATTERN_PREFIX = "urn:epc:idpat:"


def _key(body: str) -> str:
    """A GS1 key: ``body`` followed by its mod-10 check digit."""
    return body + str(gtin_check_digit(body))


def _gtin(company_prefix: str, item_reference: str) -> str:
    # The EPC item reference starts with the GTIN's indicator digit (TDS 2.0 section 6.3.1).
    return _key(item_reference[:1] + company_prefix + item_reference[1:])


Build = Callable[[re.Match[str]], str]

# TDS 2.0 section 6 and Digital Link 1.2 section 4.11: each scheme's URN body, how many
# digits its company prefix and reference hold together (None: the prefix alone, 6 to 12),
# and the Digital Link path it becomes. A pattern URI ends in ``.*`` and names the class
# above its serial.
_EPC_TO_DIGITAL_LINK: tuple[tuple[re.Pattern[str], int | None, Build], ...] = tuple(
    (re.compile(pattern, re.ASCII), digits, build)
    for pattern, digits, build in (
        (r"id:sgtin:(\d+)\.(\d+)\.(.+)", 13, lambda m: f"01/{_gtin(m[1], m[2])}/21/{m[3]}"),
        (r"id:sscc:(\d+)\.(\d+)", 17, lambda m: f"00/{_key(m[2][:1] + m[1] + m[2][1:])}"),
        (r"id:sgln:(\d+)\.(\d*)\.0", 12, lambda m: f"414/{_key(m[1] + m[2])}"),
        (r"id:sgln:(\d+)\.(\d*)\.(.+)", 12, lambda m: f"414/{_key(m[1] + m[2])}/254/{m[3]}"),
        (r"id:grai:(\d+)\.(\d*)\.(.+)", 12, lambda m: f"8003/0{_key(m[1] + m[2])}{m[3]}"),
        (r"id:giai:(\d+)\.(.+)", None, lambda m: f"8004/{m[1]}{m[2]}"),
        (r"id:gsrn:(\d+)\.(\d+)", 17, lambda m: f"8018/{_key(m[1] + m[2])}"),
        (r"id:gsrnp:(\d+)\.(\d+)", 17, lambda m: f"8017/{_key(m[1] + m[2])}"),
        (r"id:gdti:(\d+)\.(\d*)\.(.+)", 12, lambda m: f"253/{_key(m[1] + m[2])}{m[3]}"),
        (r"id:cpi:(\d+)\.([^.]+)\.(.+)", None, lambda m: f"8010/{m[1]}{m[2]}/8011/{m[3]}"),
        (r"id:sgcn:(\d+)\.(\d*)\.(\d+)", 12, lambda m: f"255/{_key(m[1] + m[2])}{m[3]}"),
        (r"id:ginc:(\d+)\.(.+)", None, lambda m: f"401/{m[1]}{m[2]}"),
        (r"id:gsin:(\d+)\.(\d+)", 16, lambda m: f"402/{_key(m[1] + m[2])}"),
        (r"id:pgln:(\d+)\.(\d*)", 12, lambda m: f"417/{_key(m[1] + m[2])}"),
        (
            r"id:itip:(\d+)\.(\d+)\.(\d\d)\.(\d\d)\.(.+)",
            13,
            lambda m: f"8006/{_gtin(m[1], m[2])}{m[3]}{m[4]}/21/{m[5]}",
        ),
        (r"id:upui:(\d+)\.(\d+)\.(.+)", 13, lambda m: f"01/{_gtin(m[1], m[2])}/235/{m[3]}"),
        (r"class:lgtin:(\d+)\.(\d+)\.(.+)", 13, lambda m: f"01/{_gtin(m[1], m[2])}/10/{m[3]}"),
        (r"idpat:sgtin:(\d+)\.(\d+)\.\*", 13, lambda m: f"01/{_gtin(m[1], m[2])}"),
        (r"idpat:grai:(\d+)\.(\d*)\.\*", 12, lambda m: f"8003/0{_key(m[1] + m[2])}"),
        (r"idpat:gdti:(\d+)\.(\d*)\.\*", 12, lambda m: f"253/{_key(m[1] + m[2])}"),
        (r"idpat:sgcn:(\d+)\.(\d*)\.\*", 12, lambda m: f"255/{_key(m[1] + m[2])}"),
        (r"idpat:cpi:(\d+)\.([^.]+)\.\*", None, lambda m: f"8010/{m[1]}{m[2]}"),
        (
            r"idpat:itip:(\d+)\.(\d+)\.(\d\d)\.(\d\d)\.\*",
            13,
            lambda m: f"8006/{_gtin(m[1], m[2])}{m[3]}{m[4]}",
        ),
    )
)
# Schemes of the TDS that have no Digital Link (US DoD, aerospace, containers, vessels,
# the general identifier): valid EPCs, compared as written.
_OTHER_SCHEMES = re.compile(r"(?:id|idpat):(?:gid|usdod|adi|bic|imovn):\S+", re.ASCII)
_COMPANY_PREFIX_DIGITS = range(6, 13)


def epc_to_digital_link(urn: str) -> str | None:
    """The Digital Link URI of an EPC URN, or None if ``urn`` is not one the TDS translates."""
    if not urn.startswith(EPC_PREFIX):
        return None
    for pattern, digits, build in _EPC_TO_DIGITAL_LINK:
        match = pattern.fullmatch(urn, len(EPC_PREFIX))
        if match is None:
            continue
        company = len(match[1])
        if company not in _COMPANY_PREFIX_DIGITS:
            return None
        if digits is not None and company + len(match[2]) != digits:
            return None
        return DIGITAL_LINK_ROOT + build(match)
    return None


# Rule 18 (III): each primary key, the syntax of its value, and the qualifiers that make
# it finer, finest first. Other qualifiers (AI 22, a GTIN's lot beside its serial) are dropped.
_PRIMARY_KEYS: Mapping[str, tuple[re.Pattern[str], tuple[str, ...]]] = {
    ai: (re.compile(syntax, re.ASCII), finer)
    for ai, syntax, finer in (
        ("00", r"\d{18}", ()),
        ("01", r"\d{8}|\d{12,14}", ("21", "235", "10")),
        ("253", r"\d{13}.{0,17}", ()),
        ("255", r"\d{13,25}", ()),
        ("401", r".{1,30}", ()),
        ("402", r"\d{17}", ()),
        ("414", r"\d{13}", ("254",)),
        ("417", r"\d{13}", ()),
        ("8003", r"\d{14}.{0,16}", ()),
        ("8004", r".{1,30}", ()),
        ("8006", r"\d{18}", ("21", "10")),
        ("8010", r".{1,30}", ("8011",)),
        ("8017", r"\d{18}", ()),
        ("8018", r"\d{18}", ()),
    )
}
_DROPPED_QUALIFIERS = frozenset({"22"})
# Keys whose last digit is a mod-10 check digit over the whole value.
_CHECKED_KEYS = frozenset({"00", "01", "402", "414", "417", "8017", "8018"})


def _key_path(uri: str) -> list[str] | None:
    """``[primary, value, qualifier, value]`` of a Digital Link, finest qualifier only."""
    segments = urlsplit(uri).path.strip("/").split("/")
    for start in range(len(segments) - 1):  # a custom domain may put a path before the key
        primary, value = segments[start], segments[start + 1]
        if primary not in _PRIMARY_KEYS or not _PRIMARY_KEYS[primary][0].fullmatch(value):
            continue
        finer = _PRIMARY_KEYS[primary][1]
        rest = segments[start + 2 :]
        pairs = dict(zip(rest[::2], rest[1::2], strict=False))
        if len(rest) % 2 or not set(pairs) <= set(finer) | _DROPPED_QUALIFIERS:
            continue
        path = [primary, value.zfill(14) if primary == "01" else value]
        for qualifier in finer:
            if qualifier in pairs:
                path += [qualifier, pairs[qualifier]]
                break
        return path
    return None


def constrain_digital_link(uri: str) -> str:
    """Rule 18: ``https://id.gs1.org``, no query, the finest key only; other URIs unchanged."""
    path = _key_path(uri)
    return uri if path is None else DIGITAL_LINK_ROOT + "/".join(path)


def canonical_identifier(text: str) -> str:
    """The form in which identifiers are hashed and compared: EPC URNs as Digital Links."""
    if text.startswith(EPC_PREFIX):
        return epc_to_digital_link(text) or text
    if text.startswith(("https://", "http://")):
        return constrain_digital_link(text)
    return text


def is_pattern(text: str) -> bool:
    """True for an EPC pattern URI (``urn:epc:idpat:...``), which names every EPC below it."""
    return text.startswith(PATTERN_PREFIX)


def check_identifier(text: str) -> None:
    """Raise :class:`InvalidIdentifier` for an EPC URN of no TDS form or a wrong check digit."""
    if text.startswith(EPC_PREFIX):
        if epc_to_digital_link(text) is None and not _OTHER_SCHEMES.fullmatch(
            text, len(EPC_PREFIX)
        ):
            raise InvalidIdentifier(
                f"{text!r} is not an EPC URI of the EPC Tag Data Standard",
                value=text,
                reason="epc_form",
            )
        return
    if not text.startswith(("https://", "http://")):
        return
    path = _key_path(text)
    if path is None or path[0] not in _CHECKED_KEYS:
        return
    value = path[1]
    if int(value[-1]) != gtin_check_digit(value[:-1]):
        raise InvalidIdentifier(
            f"the check digit of GS1 key {value} (AI {path[0]}) in {text!r} is wrong",
            value=text,
            reason="check_digit",
        )
