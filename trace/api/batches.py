"""Batches and their records: register, append (server-signed or client-signed), read, verify."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.di import Provide
from litestar.params import Parameter
from sqlalchemy.ext.asyncio import AsyncEngine

from trace.api import search
from trace.api.agencies import decode_b64
from trace.api.auth import (
    SESSION_COOKIE,
    ActorDep,
    InspectorDep,
    LedgerDep,
    ReaderDep,
    provide_actor,
    provide_inspector,
    provide_reader,
)
from trace.api.bulk import BulkIn, BulkOut, append_sent, bulk_out
from trace.api.parameters import SeqAfter
from trace.api.problems import ANY, BODY, TOKEN, problem_answers
from trace.api.schemas import (
    AppendedOut,
    BatchIn,
    BatchOut,
    ChainReportOut,
    EventIn,
    HistoryRecordOut,
    RecordOut,
    RecordPage,
    SignedIn,
)
from trace.api.search import SearchPageOut
from trace.domain.chain import FAULT_WORDS
from trace.domain.errors import NotPermitted
from trace.domain.kinds import EventKind, Scheme
from trace.domain.statement import is_uuid
from trace.search.query import Disposition, SortOrder
from trace.store.append import (
    Appended,
    SignedStatement,
    append,
    append_unsigned,
    new_batch_id,
    request_fingerprint,
)
from trace.store.audit import verify_batch
from trace.store.batches import find_batch
from trace.store.bundles import proof_bundles
from trace.store.database import read_transaction
from trace.store.errors import NotFound
from trace.store.ledger import Ledger
from trace.store.records import batch_records
from trace.translation import negotiate, say

IdempotencyKey = Annotated[
    str | None,
    Parameter(
        header="Idempotency-Key",
        description="Makes a retry return the first answer and write nothing new.",
        min_length=1,
        max_length=255,
        required=False,
    ),
]


def _answer(appended: Appended) -> Response[AppendedOut]:
    record, batch = appended.record, appended.batch
    body = AppendedOut(BatchOut.of(batch), RecordOut.of(record), appended.replayed)
    headers = {"Location": f"/api/v1/batches/{batch.id}/records?after={record.seq - 1}"}
    if appended.replayed:
        headers["Idempotent-Replayed"] = "true"
    return Response(body, status_code=201, headers=headers)


def _source(ledger: Ledger, request: Request[Any, Any, Any]) -> AsyncEngine:
    """Where a batch is read from: the primary for whoever acts for an agency (a token or a
    console session), who must see what they have just recorded; a replica for the public."""
    if "authorization" in request.headers or SESSION_COOKIE in request.cookies:
        return ledger.engine
    return ledger.reader()


class BatchController(Controller):
    """`/api/v1/batches`: the life of each batch as signed records."""

    path = "/api/v1/batches"
    tags = ["batches"]

    @post(
        "/",
        dependencies={"actor": Provide(provide_actor)},
        responses=problem_answers(*ANY, *TOKEN, *BODY, 409, 422),
    )
    async def register(
        self, ledger: LedgerDep, actor: ActorDep, data: BatchIn, idempotency_key: IdempotencyKey
    ) -> Response[AppendedOut]:
        """Register a new batch.

        A producer or processor (``record`` scope). The body is the batch's ``registered``
        event; the server signs it with the agency's custodial key, and the agency becomes
        the batch's producer and holder. The answer holds the batch (its ``id`` and public
        ``code``) and its first record. A GTIN's lot is registered once (409
        ``duplicate_lot``). With an ``Idempotency-Key``, a retry returns the first answer.
        """
        appended = await append_unsigned(
            ledger,
            actor,
            batch=new_batch_id(),
            kind="registered",
            occurred_at=data.occurred_at,
            body=data.body,
            idempotency_key=idempotency_key,
            # The new batch's id is the server's: a retry gets another one.
            fingerprint=request_fingerprint("POST /api/v1/batches", msgspec.to_builtins(data)),
        )
        return _answer(appended)

    @post(
        "/{ref:str}/events",
        dependencies={"actor": Provide(provide_actor)},
        responses=problem_answers(*ANY, *TOKEN, *BODY, 404, 409, 422),
    )
    async def record_event(
        self,
        ledger: LedgerDep,
        actor: ActorDep,
        ref: str,
        data: EventIn,
        idempotency_key: IdempotencyKey,
    ) -> Response[AppendedOut]:
        """Record an event of a batch, signed by the server with the agency's custodial key.

        ``kind`` chooses the body (one schema and one example per kind). The ledger's rules
        say who may record what: production steps and print runs the batch's producer;
        shipments, receipts and sales whoever holds the goods (a receipt, the agency the
        goods were shipped to); ``transformed`` a processor, from input batches it holds;
        inspections and recalls an authority; certificates an authority or a certifier; a
        correction the agency that recorded the corrected record. ``expected_version`` makes
        the append fail with 409 if another record came first. With an ``Idempotency-Key``,
        a retry returns the first answer and writes nothing new.
        """
        if is_uuid(ref):
            batch_id = ref  # the append itself finds out whether the batch exists
        else:
            async with read_transaction(ledger.engine) as conn:
                batch_id = (await find_batch(conn, ref)).id
        try:
            appended = await append_unsigned(
                ledger,
                actor,
                batch=batch_id,
                kind=data.kind,
                occurred_at=data.occurred_at,
                body=data.body,
                idempotency_key=idempotency_key,
                expected_version=data.expected_version,
                fingerprint=request_fingerprint(
                    "POST /api/v1/batches/{batch}/events",
                    {"batch": batch_id, **msgspec.to_builtins(data)},
                ),
            )
        except NotPermitted as exc:
            if exc.params.get("rule") == "batch_not_registered":
                raise NotFound(f"no batch {ref}", what="batch", id=ref) from exc
            raise
        return _answer(appended)

    @get(
        "/",
        dependencies={"inspector": Provide(provide_inspector)},
        tags=["inspectors"],
        responses=problem_answers(*ANY, *TOKEN, 422),
    )
    async def search(
        self,
        ledger: LedgerDep,
        inspector: InspectorDep,
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
    ) -> SearchPageOut:
        """Search batches.

        Inspectors only (authorities, certifiers and the operator, ``inspect`` scope); each
        query is written to the audit trail. Every filter given must hold. Times filter and
        sort by the batch's registration (when it occurred, when it was recorded); a date is
        its whole day in Vietnam. Pages stay exact while records are appended: no batch is
        listed twice or skipped.
        """
        return await search.search_batches(
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

    @get("/{ref:str}", responses=problem_answers(*ANY, 404))
    async def read(self, ledger: LedgerDep, request: Request[Any, Any, Any], ref: str) -> BatchOut:
        """Read a batch's current state, by id or public code.

        Public. Product, lot, producer, holder, whether it is in transit, recalled or sold
        out, its ``version`` (the ``seq`` of its last record) and its public page's path.
        """
        async with read_transaction(_source(ledger, request)) as conn:
            return BatchOut.of(await find_batch(conn, ref))

    @get(
        "/{ref:str}/records",
        dependencies={"reader": Provide(provide_reader)},
        responses=problem_answers(*ANY, 401, 404),
    )
    async def records(
        self,
        ledger: LedgerDep,
        reader: ReaderDep,
        request: Request[Any, Any, Any],
        ref: str,
        after: SeqAfter = 0,
        limit: Annotated[int, Parameter(ge=1, le=500)] = 100,
        proofs: Annotated[
            bool, Parameter(description="Give each record its proof bundle (default: yes).")
        ] = True,
    ) -> RecordPage:
        """Read a batch's history: its records in ``seq`` order.

        Each record holds its statement's bytes, signature, chain link and, unless
        ``proofs=false``, a proof bundle of its inclusion in the log's newest checkpoint.
        Public, like the pages built from it. ``after`` is a cursor: pass ``next_after`` to read
        on; records appended meanwhile come after it. An inspector's token, when sent, puts
        the query in the inspectors' audit trail.
        """
        source = _source(ledger, request)
        async with read_transaction(source) as conn:
            batch = await find_batch(conn, ref)
            page = await batch_records(conn, batch.id, after_seq=after, limit=limit + 1)
        more = len(page) > limit
        page = page[:limit]
        out = [HistoryRecordOut.of(r) for r in page]
        if proofs and page:
            origin = request.app.state.settings.log_origin
            bundles = await proof_bundles(ledger, origin, page, reads_from=source)
            for view, bundle in zip(out, bundles, strict=True):
                view.bundle = bundle
        return RecordPage(batch.id, out, page[-1].seq if more and page else None)

    @get("/{ref:str}/verify", responses=problem_answers(*ANY, 404))
    async def verify(
        self, ledger: LedgerDep, request: Request[Any, Any, Any], ref: str
    ) -> ChainReportOut:
        """Re-verify a batch's chain and signatures.

        Public. Checks the stored bytes now: each signature against its key (and the key's
        revocation), each record's link to the one before and each record hash. ``faults``
        names each problem in the reader's language.
        """
        batch, count, faults = await verify_batch(ledger, ref)
        lang = negotiate(request.headers.get("accept-language"))
        words = [say(FAULT_WORDS[f.fault], lang, seq=f.seq, position=f.position) for f in faults]
        return ChainReportOut.of(batch, count, faults, words)


class RecordController(Controller):
    """`/api/v1/records`: statements signed by the agency itself."""

    path = "/api/v1/records"
    tags = ["records"]
    dependencies = {"actor": Provide(provide_actor)}

    @post("/", responses=problem_answers(*ANY, *TOKEN, *BODY, 409, 422))
    async def submit(
        self, ledger: LedgerDep, actor: ActorDep, data: SignedIn, idempotency_key: IdempotencyKey
    ) -> Response[AppendedOut]:
        """Append a statement the agency signed itself.

        For agencies that keep their key on their own device: ``python -m trace sign``
        prints this body (the canonical statement's bytes, its Ed25519 signature and the key
        id); the server only verifies. The rules, ``expected_version`` and
        ``Idempotency-Key`` work as for server-signed events. The same signed statement sent
        again (a lost answer, a retry) is stored once: the resend is answered with its record,
        ``replayed`` and ``Idempotent-Replayed: true``, even without an ``Idempotency-Key``.
        """
        signed = SignedStatement(
            decode_b64(data.statement, field="statement"),
            decode_b64(data.signature, field="signature"),
            data.key_id,
        )
        appended = await append(
            ledger,
            actor,
            signed,
            idempotency_key=idempotency_key,
            fingerprint=request_fingerprint("POST /api/v1/records", msgspec.to_builtins(data)),
            expected_version=data.expected_version,
        )
        return _answer(appended)

    @post("/bulk", status_code=200, responses=problem_answers(*ANY, *TOKEN, *BODY))
    async def submit_all(
        self, ledger: LedgerDep, actor: ActorDep, request: Request[Any, Any, Any], data: BulkIn
    ) -> BulkOut:
        """Append a device's queue of statements the agency signed itself, in order.

        For a phone that signed events offline and sends them when the network returns: up
        to 500 statements, each as ``POST /api/v1/records`` takes it. Each gets its own
        result, in the order sent: ``status`` 201 with its ``record``, or the 4xx ``status``
        and the ``problem`` that ``POST /api/v1/records`` would answer for it alone. A
        refused statement changes nothing and stops none of the others (one that needed it
        is then refused on its own merits). A statement already recorded, the same bytes and
        signature, is answered with its record and ``replayed``: a queue sent again stores
        nothing new. The statements are written in groups, a few transactions for the whole
        queue; the answer comes once all of them are stored.
        """
        return bulk_out(request, await append_sent(ledger, actor, data))
