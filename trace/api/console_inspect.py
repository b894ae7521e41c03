"""`/api/v1/console/search` and `/api/v1/console/batches/{ref}/history`: the officers' console
reads the ledger in words.

The same search and the same history as the inspectors' API (``GET /api/v1/batches``,
``GET /api/v1/batches/{ref}/records``), said as an officer reads them in the request's
language (``?lang=``, else Accept-Language): agencies and provinces by name, kinds and
dispositions in words, times in Vietnam's zone, every field of every event under its form's
name, and the integrity verdict of the batch's chain. Inspectors only (``inspect`` scope),
by a token or the console's session cookie; every query is in the inspectors' audit trail.
"""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, get
from litestar.di import Provide
from litestar.params import Parameter

from trace.api import search
from trace.api.auth import InspectorDep, LedgerDep, provide_inspector
from trace.api.console_inspect_schemas import (
    FoundOut,
    FoundPageOut,
    HistoryOut,
    agencies_named,
    batches_named,
    history_of,
    record_gln,
)
from trace.api.problems import ANY, TOKEN, problem_answers
from trace.api.schemas import RecordOut
from trace.domain.chain import verify_chain
from trace.domain.kinds import EventKind, Scheme
from trace.genealogy.holders import load_holders
from trace.search.query import Disposition, SortOrder
from trace.store.agencies import key_statuses
from trace.store.batches import batch_names, find_batch
from trace.store.database import read_transaction
from trace.store.master_data import locations_of
from trace.store.records import batch_records
from trace.translation import chosen

LANG = Parameter(
    pattern=r"^[a-z]{2,3}$", description="The answer's language (vi, en); else Accept-Language."
)


def _lang(request: Request[Any, Any, Any], asked: str | None) -> str:
    return chosen(asked, request.headers.get("accept-language"))


class ConsoleInspectController(Controller):
    """The officers' console's reading of the ledger, in words."""

    path = "/api/v1/console"
    tags = ["console", "inspectors"]
    dependencies = {"inspector": Provide(provide_inspector)}

    @get("/search", responses=problem_answers(*ANY, *TOKEN, 422))
    async def search(
        self,
        ledger: LedgerDep,
        inspector: InspectorDep,
        request: Request[Any, Any, Any],
        producer: Annotated[str | None, search.PRODUCER] = None,
        q: Annotated[str | None, search.PRODUCT_WORDS] = None,
        gtin: Annotated[str | None, search.GTIN] = None,
        lot: Annotated[str | None, search.LOT] = None,
        province: Annotated[str | None, search.PROVINCE] = None,
        occurred_from: Annotated[str | None, search.TIME] = None,
        occurred_to: Annotated[str | None, search.TIME] = None,
        recorded_from: Annotated[str | None, search.TIME] = None,
        recorded_to: Annotated[str | None, search.TIME] = None,
        kind: Annotated[EventKind | None, search.KIND] = None,
        disposition: Annotated[Disposition | None, search.DISPOSITION] = None,
        ocop_stars: Annotated[int | None, search.STARS] = None,
        certification: Annotated[Scheme | None, search.CERTIFICATION] = None,
        sort: SortOrder = SortOrder.RECORDED_DESC,
        cursor: Annotated[str | None, search.CURSOR] = None,
        limit: Annotated[int, search.LIMIT] = 50,
        lang: Annotated[str | None, LANG] = None,
    ) -> FoundPageOut:
        """Search batches, each row in words.

        The filters, paging and rules of ``GET /api/v1/batches``; each batch is given with
        its producer by name, its province by name, the day it was registered as
        happening, its disposition in words and the certificates valid today.
        """
        page = await search.search_batches(
            ledger,
            producer=producer,
            q=q,
            gtin=gtin,
            lot=lot,
            province=province,
            occurred_from=occurred_from,
            occurred_to=occurred_to,
            recorded_from=recorded_from,
            recorded_to=recorded_to,
            kind=kind,
            disposition=disposition,
            ocop_stars=ocop_stars,
            certification=certification,
            sort=sort,
            cursor=cursor,
            limit=limit,
        )
        async with read_transaction(ledger.engine) as conn:
            producers = await load_holders(conn, (hit.producer_id for hit in page.batches))
        language = _lang(request, lang)
        rows = [FoundOut.of(hit, producers.get(hit.producer_id), language) for hit in page.batches]
        return FoundPageOut(language, rows, page.next_cursor)

    @get("/batches/{ref:str}/history", responses=problem_answers(*ANY, *TOKEN, 404))
    async def history(
        self,
        ledger: LedgerDep,
        inspector: InspectorDep,
        request: Request[Any, Any, Any],
        ref: str,
        lang: Annotated[str | None, LANG] = None,
    ) -> HistoryOut:
        """Read a batch's whole history in words, with its integrity verdict.

        By id or public code. Every record oldest first: its kind in words, when it
        happened and was recorded (Vietnam's time), who signed it by name, every field of its
        body under its form's name (a field within a field, or an item of a list, one
        ``depth`` further in), and the record numbers a correction corrects or is corrected
        by. ``verdict`` re-verifies the chain now, as ``GET /api/v1/batches/{ref}/verify``.
        """
        async with read_transaction(ledger.engine) as conn:
            batch = await find_batch(conn, ref)
            chain = await batch_records(conn, batch.id)
            keys = await key_statuses(conn, {r.key_id for r in chain})
            records = [RecordOut.of(r) for r in chain]
            holders = await load_holders(conn, agencies_named(records, batch))
            inputs = await batch_names(conn, batches_named(records))
            places = await locations_of(conn, filter(None, map(record_gln, records)))
        faults = verify_chain(
            batch.id, chain, keys, head_seq=batch.version, head_hash=batch.head_hash
        )
        return history_of(batch, records, faults, holders, inputs, _lang(request, lang), places)
