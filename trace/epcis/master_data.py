"""The master data an EPCIS document carries: names of the GLNs and GTINs its events name.

Master data travels beside the events, never inside them, so that each event keeps its
Event Hash ID (trace/domain/master_data.py). Only what is registered is carried: a code
nobody named is left for the reader to resolve.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from trace.domain.master_data import named_by
from trace.epcis.export import EXACT_JSON
from trace.store.database import Reads
from trace.store.master_data import master_data


async def vocabulary_of(conn: Reads, events: Sequence[str]) -> list[dict[str, Any]]:
    """The ``vocabularyList`` for ``events`` (JSON texts): empty when none names a code."""
    decoded = [EXACT_JSON.decode(text) for text in events]
    return await master_data(conn, named_by(event for event in decoded if isinstance(event, dict)))
