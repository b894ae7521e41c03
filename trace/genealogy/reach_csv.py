"""A recall's reach as the table an officer opens in a spreadsheet: CSV, headed in words.

RFC 4180 CSV in UTF-8 with a byte-order mark, so that Excel opens Vietnamese names as
they are written; the header row is in the reader's language. One row per batch the
recall reaches, nearest first (the recalled batch at depth 0): who holds it (a household
by its commune and province, trace/genealogy/holders.py), to whom it is on the road, and
whether the recall stands for it, and what its holder withdrew (trace/domain/recall_flow.py).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence

from trace.domain.texts import N_
from trace.genealogy.holders import Holder
from trace.genealogy.reach import Reach, Reached
from trace.translation import say

BOM = "\ufeff"
MEDIA_TYPE = "text/csv"
# The columns, in order, as a reader calls them.
COLUMNS: Sequence[str] = (
    N_("Depth"),
    N_("Code"),
    N_("Product"),
    N_("Lot"),
    N_("GTIN"),
    N_("Held by"),
    N_("Holder's province"),
    N_("In transit to"),
    N_("Sold out"),
    N_("Recalled"),
    N_("Withdrawn"),
    N_("Provenance page"),
)
YES, NO = N_("yes"), N_("no")


def reach_csv(found: Reach, lang: str) -> bytes:
    """The reach as CSV with a BOM, headed in ``lang``."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([say(name, lang) for name in COLUMNS])
    recalled = not found.recall.corrected
    writer.writerows(_row(found, reached, recalled, lang) for reached in found.batches)
    return (BOM + out.getvalue()).encode()


def _row(found: Reach, reached: Reached, recalled: bool, lang: str) -> list[str]:
    batch = reached.batch
    return [
        str(reached.depth),
        batch.code,
        batch.product,
        batch.lot,
        batch.gtin or "",
        _shown(reached.holder),
        (reached.holder.province_name or "") if reached.holder else "",
        _shown(reached.in_transit_to),
        say(YES if batch.sold_out else NO, lang),
        say(YES if recalled else NO, lang),
        found.progress.withdrawn(batch.id),
        reached.page_url,
    ]


def _shown(holder: Holder | None) -> str:
    return holder.shown if holder else ""
