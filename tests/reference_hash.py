"""GS1's reference implementation of the EPCIS Event Hash ID, run over whole documents.

``epcis-event-hash-generator`` (PyPI, installed by ``requirements-test.txt``) is what
partners recompute our Event Hash IDs with. It is run here through its Python API,
offline: the JSON-LD contexts it may need are served from files (its own copies of the
EPCIS 2.0 context, or the shared fixtures'), and any other remote context is refused
rather than fetched. Its module-level state (the prefixes it gathers from a document's
``@context``, pyld's document loader) is reset around each run, so one document cannot
change how the next is hashed.
"""

from __future__ import annotations

import copy
import importlib.resources
import json
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from pyld import jsonld

# Importing the package sets pyld's global loader to one that may go online: undo it.
_LOADER_BEFORE = jsonld.get_document_loader()
from epcis_event_hash_generator import hash_generator, json_to_py  # noqa: E402

jsonld.set_document_loader(_LOADER_BEFORE)

_PACKAGE = "epcis_event_hash_generator"
# The EPCIS 2.0 contexts the package ships, by the URLs documents name them with.
_SHIPPED = {
    "https://gs1.github.io/EPCIS/epcis-context.jsonld": (
        "14b10c9d3e92d35f577bfc610fe5ec15aa2941124987919389d7cd9998516861.jsonld"
    ),
    "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld": (
        "e532647e8eb371379b8b0e8602d8981c8566bc60f7351f22c76a5bc865962008.jsonld"
    ),
}
_SHIPPED["https://ref.gs1.org/standards/epcis/epcis-context.jsonld"] = _SHIPPED[
    "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"
]


class RemoteContextRefused(Exception):
    """A document names a remote context the reference run has no copy of."""


def offline_documents(url: str, options: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """pyld's document loader, offline: the EPCIS 2.0 contexts from files, nothing else."""
    name = _SHIPPED.get(url)
    if name is None:
        raise RemoteContextRefused(f"no offline copy of the JSON-LD context {url}")
    text = importlib.resources.files(_PACKAGE).joinpath(name).read_text(encoding="utf-8")
    return {
        "contentType": "application/ld+json",
        "contextUrl": None,
        "documentUrl": url,
        "document": json.loads(text),
    }


@contextmanager
def _isolated() -> Iterator[None]:
    before = jsonld.get_document_loader()
    jsonld.set_document_loader(offline_documents)
    json_to_py._namespaces = {}
    try:
        yield
    finally:
        json_to_py._namespaces = {}
        jsonld.set_document_loader(before)


def _as_capture_document(document: Mapping[str, Any]) -> dict[str, Any]:
    """The tool reads ``epcisBody.eventList``: a query document's results are moved there."""
    plain = copy.deepcopy(dict(document))
    if plain.get("type") == "EPCISQueryDocument":
        events = plain["epcisBody"]["queryResults"]["resultsBody"]["eventList"]
        plain["type"] = "EPCISDocument"
        plain["epcisBody"] = {"eventList": events}
    return plain


def reference_prehashes(document: Mapping[str, Any]) -> list[str]:
    """The reference tool's pre-hash string of each event of ``document``, in order."""
    plain = _as_capture_document(document)
    count = len(plain["epcisBody"].get("eventList") or [plain["epcisBody"].get("event")])
    with _isolated():
        events = json_to_py.event_list_from_epcis_document_json(plain)
        prehashes: list[str] = hash_generator.derive_prehashes_from_events(events)
    # The tool logs and skips an event it cannot read: a short list would misalign the IDs.
    if len(prehashes) != count:
        raise AssertionError(f"the reference tool hashed {len(prehashes)} of {count} events")
    return prehashes


def reference_hash_ids(document: Mapping[str, Any]) -> list[str]:
    """The reference tool's Event Hash ID of each event of ``document`` (sha-256), in order."""
    ids: list[str] = hash_generator.calculate_hashes_from_pre_hashes(
        reference_prehashes(document), "sha256"
    )
    return ids
