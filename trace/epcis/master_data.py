"""The master data an EPCIS document carries: names of the GLNs and GTINs its events name.

Master data travels beside the events, never inside them, so that each event keeps its
Event Hash ID (trace/domain/master_data.py). Only what is registered is carried: a code
nobody named is left for the reader to resolve. The agencies the ledger's own events name
as places are organisations with a name (a household is a person, and is not named).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from trace.domain.master_data import named_by
from trace.epcis.export import EXACT_JSON, agency_uri
from trace.store.database import Reads
from trace.store.master_data import master_data


async def vocabulary_of(
    conn: Reads, events: Sequence[str], public_url: str | None = None
) -> list[dict[str, Any]]:
    """The ``vocabularyList`` for ``events`` (JSON texts): empty when none names a code.

    With ``public_url``, the organisations the ledger's own events name as places
    (``{public_url}/agencies/{id}``) are given by name, address and province too.
    """
    decoded = [EXACT_JSON.decode(text) for text in events]
    prefix = agency_uri(public_url, "") if public_url else None
    named = named_by((event for event in decoded if isinstance(event, dict)), prefix)
    return await master_data(conn, named)
