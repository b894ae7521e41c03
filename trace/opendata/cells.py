"""Cell values of the datasets: times, the statement envelope, and the public part of a body.

An event's body goes out field by field from a list per kind. Fields a person types
freely and that may name people (notes, descriptions, a shipment's destination
address, a seed's source, a correction's reason) are left out; agencies a body names
(``to``, ``from``) go through the household rule of :mod:`trace.opendata.parties`.
Stored statements are decoded leniently: an export reports what the ledger holds,
and ``python -m trace verify`` is what judges it.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from types import MappingProxyType
from typing import Any

import msgspec

from trace.domain.errors import DomainError
from trace.domain.identifiers import DigitalLink
from trace.domain.times import in_window, instant_of_us
from trace.opendata.parties import UNKNOWN, Party

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class Envelope(msgspec.Struct, frozen=True):
    """The parts of a stored statement an export reads (unknown fields ignored)."""

    kind: str
    occurred_at: str
    agency: str
    body: dict[str, Any]


_ENVELOPE = msgspec.json.Decoder(Envelope)


def envelope(statement: bytes | memoryview) -> Envelope | None:
    """The statement's envelope, or None if the stored bytes no longer parse.

    An ``occurred_at`` outside the ledger's window (trace/domain/times.py), stored
    before the window was enforced, is given as empty text: no reader of the export
    can be asked to convert it.
    """
    try:
        parsed = _ENVELOPE.decode(statement)
    except (msgspec.DecodeError, UnicodeDecodeError):
        return None
    if not in_window(parsed.occurred_at):
        return Envelope(parsed.kind, "", parsed.agency, parsed.body)
    return parsed


@lru_cache(maxsize=4096)
def _minute(minutes: int) -> str:
    return (EPOCH + timedelta(minutes=minutes)).isoformat()[:17]  # "YYYY-MM-DDTHH:MM:"


def utc_text(micros: int) -> str | None:
    """``2026-09-01T00:00:00.123456Z``: exact microseconds, so the record hash can be redone.

    None for a time outside the ledger's window, which only a change behind its back
    stores (and `verify-export` then reports the record).
    """
    if instant_of_us(micros) is None:
        return None
    # Records come in time order: the minute's text is made once for all of its records.
    seconds, fraction = divmod(micros, 1_000_000)
    minutes, second = divmod(seconds, 60)
    return f"{_minute(minutes)}{second:02d}.{fraction:06d}Z"


def utc_micros(text: str) -> int:
    """The inverse of :func:`utc_text`."""
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return (moment - EPOCH) // timedelta(microseconds=1)


def link_path(gtin: str | None, lot: str | None) -> str | None:
    """The GS1 Digital Link path ``/01/{gtin14}/10/{lot}`` of a batch with a GTIN, else None."""
    if not gtin or not lot:
        return None
    try:
        return DigitalLink(gtin, lot).path()
    except DomainError:
        return None


def page_url(public_url: str, code: str | None, gtin: str | None, lot: str | None) -> str:
    """The batch's public page: by its Digital Link with a GTIN, else by its code."""
    return public_url + (link_path(gtin, lot) or f"/b/{code}")


# The fields of each kind's body that an export shows (trace/domain/kinds.py). A photo is
# shown by its name (SHA-256): its bytes are at /photos/{name}.
PUBLIC_FIELDS: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {
        "registered": (
            "product",
            "lot",
            "gtin",
            "origin",
            "quantity",
            "category",
            "area",
            "production_date",
            "expiry_date",
            "ocop_ref",
            "photo",
            "brand",
            "pack_size",
            "standards",
            # The label's storage instruction (Circular 02/2024), shown on the public page.
            "storage",
        ),
        "planted": ("crop", "variety", "area", "area_size", "photo"),
        "input_applied": (
            "input_kind",
            "product",
            "active_ingredient",
            "dose",
            "applied_to",
            "pre_harvest_interval_days",
        ),
        "harvested": ("quantity", "area", "photo"),
        "processed": ("process", "output_quantity"),
        "packed": ("package_type", "count", "quantity"),
        "inspected": (
            "laboratory",
            "result",
            "certificate_number",
            "reference",
            "samples",
            "analytes",
        ),
        "certified": (
            "scheme",
            "certificate_number",
            "issuer",
            "valid_from",
            "valid_until",
            "issuer_level",
            "stars",
            "decision_number",
            "scope",
        ),
        "shipped": ("to", "quantity"),
        "received": ("from", "quantity"),
        "sold": ("to", "quantity", "last"),
        "transformed": ("process", "inputs", "output_quantity"),
        "recalled": ("reason", "severity", "scope", "effective_at", "decision_number"),
        "corrected": ("corrects",),
        "serialised": ("run", "count", "first", "last", "serials_sha256"),
        # A captured EPCIS event may carry anything; its hash ID names it without its content.
        "epcis_event": ("event_hash",),
        # A recall's steps: which recall, and what was withdrawn; notes stay out, as a
        # correction's reason does (free text may name people).
        "recall_notified": ("recall",),
        "withdrawn": ("recall", "quantity"),
        "recall_closed": ("recall",),
    }
)
# Body fields that name another agency.
PARTY_FIELDS = ("to", "from")


def counterparty(body: Mapping[str, Any], parties: Mapping[str, Party]) -> Party | None:
    """The other agency a shipment, receipt or sale names, as the export shows it."""
    for name in PARTY_FIELDS:
        agency = body.get(name)
        if isinstance(agency, str):
            return parties.get(agency, UNKNOWN)
    return None


def public_body(kind: str, body: Mapping[str, Any], parties: Mapping[str, Party]) -> dict[str, Any]:
    """The fields of ``body`` an export shows; an agency a household is named by None."""
    shown: dict[str, Any] = {}
    for name in PUBLIC_FIELDS.get(kind, ()):
        if name not in body:
            continue
        value = body[name]
        if name in PARTY_FIELDS and isinstance(value, str):
            value = parties.get(value, UNKNOWN).id
        shown[name] = value
    return shown


def quantity(body: Mapping[str, Any]) -> tuple[str | None, str | None]:
    """The body's quantity (or output quantity) as decimal text and unit code."""
    amount = body.get("quantity") or body.get("output_quantity")
    if isinstance(amount, dict):
        value, unit = amount.get("value"), amount.get("unit")
        return (value if isinstance(value, str) else None, unit if isinstance(unit, str) else None)
    return None, None


def text(value: Any) -> str | None:
    """``value`` if it is text, else None (a tampered body may hold anything)."""
    return value if isinstance(value, str) else None
