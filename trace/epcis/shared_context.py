"""One ``@context`` for a document of events: the contexts captured events brought, hoisted.

A captured event keeps the context its document gave it (``trace/epcis/capture.py``), so
that it means the same alone. Given back inside a query document or a public page, that
context could stay on the event, where JSON-LD confines it; but GS1's reference Event
Hash implementation reads only the document's ``@context`` for prefixes and hashes an
event's own ``@context`` as if it were data, so a partner recomputing the ID would get
another one. So the events' contexts are moved up into the document's, as long as no two
of them (or the ledger's own) give one prefix two meanings; an event whose context would
clash keeps it (and is the one case where the reference tool disagrees).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import msgspec

from trace.epcis.contexts import ProtectedTermRedefined, check_context
from trace.epcis.export import CONTEXT, EXACT_JSON

_ENCODE = msgspec.json.Encoder(decimal_format="number")
_MARK = b'"@context"'


def _entries(context: Any) -> list[Any]:
    return context if isinstance(context, list) else [context]


def _merges(terms: dict[str, Any], urls: list[str], context: Any) -> bool:
    """Add ``context``'s terms and remote contexts; False (nothing added) on a clash."""
    entries = _entries(context)
    if not all(isinstance(entry, str | Mapping) for entry in entries):
        return False
    try:
        check_context("$", context)
    except ProtectedTermRedefined:
        return False  # kept before capture checked contexts: it must not reach the others
    added = {k: v for entry in entries if isinstance(entry, Mapping) for k, v in entry.items()}
    if any(key in terms and terms[key] != value for key, value in added.items()):
        return False
    terms.update(added)
    urls.extend(e for e in entries if isinstance(e, str) and e not in urls)
    return True


def shared_context(events: Sequence[str]) -> tuple[list[Any], list[msgspec.Raw]]:
    """The document's ``@context`` and its events (JSON texts), contexts hoisted if they can be."""
    urls: list[str] = [entry for entry in CONTEXT if isinstance(entry, str)]
    terms: dict[str, Any] = {}
    for entry in CONTEXT:
        if isinstance(entry, Mapping):
            terms.update(entry)
    written: list[msgspec.Raw] = []
    for text in events:
        raw = text.encode()
        if _MARK in raw:
            event: dict[str, Any] = EXACT_JSON.decode(raw)
            if "@context" in event and _merges(terms, urls, event["@context"]):
                del event["@context"]
                raw = _ENCODE.encode(event)
        written.append(msgspec.Raw(raw))
    return [*urls, terms], written
