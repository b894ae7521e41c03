"""Batches and their records: register, append (server-signed or client-signed), read, verify."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, Response, get, post
from litestar.di import Provide
from litestar.params import Parameter

from trace.api.agencies import decode_b64
from trace.api.auth import ActorDep, LedgerDep, provide_actor
from trace.api.schemas import (
    AppendedOut,
    BatchIn,
    BatchOut,
    ChainReportOut,
    EventIn,
    RecordOut,
    RecordPage,
    SignedIn,
)
from trace.catalogue import message, negotiate
from trace.domain.errors import NotPermitted
from trace.domain.statement import is_uuid
from trace.store.append import Appended, SignedStatement, append, append_unsigned, new_batch_id
from trace.store.audit import verify_batch
from trace.store.batches import find_batch
from trace.store.database import read_transaction
from trace.store.errors import NotFound
from trace.store.records import batch_records

IdempotencyKey = Annotated[
    str | None,
    Parameter(
        header="Idempotency-Key",
        description="Makes a retry return the first answer and write nothing new.",
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


class BatchController(Controller):
    """`/api/v1/batches`: the life of each batch as signed records."""

    path = "/api/v1/batches"
    tags = ["batches"]

    @post("/", dependencies={"actor": Provide(provide_actor)})
    async def register(
        self, ledger: LedgerDep, actor: ActorDep, data: BatchIn, idempotency_key: IdempotencyKey
    ) -> Response[AppendedOut]:
        """Register a new batch: the server signs its `registered` event for the producer."""
        appended = await append_unsigned(
            ledger,
            actor,
            batch=new_batch_id(),
            kind="registered",
            occurred_at=data.occurred_at,
            body=data.body,
            idempotency_key=idempotency_key,
        )
        return _answer(appended)

    @post("/{ref:str}/events", dependencies={"actor": Provide(provide_actor)})
    async def record_event(
        self,
        ledger: LedgerDep,
        actor: ActorDep,
        ref: str,
        data: EventIn,
        idempotency_key: IdempotencyKey,
    ) -> Response[AppendedOut]:
        """Append an event that the server signs with the agency's custodial key."""
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
            )
        except NotPermitted as exc:
            if exc.params.get("rule") == "batch_not_registered":
                raise NotFound(f"no batch {ref}", what="batch", id=ref) from exc
            raise
        return _answer(appended)

    @get("/{ref:str}")
    async def read(self, ledger: LedgerDep, ref: str) -> BatchOut:
        """A batch's current state, by id or public code."""
        async with read_transaction(ledger.engine) as conn:
            return BatchOut.of(await find_batch(conn, ref))

    @get("/{ref:str}/records")
    async def records(
        self,
        ledger: LedgerDep,
        ref: str,
        after: Annotated[int, Parameter(ge=0, description="Return records with seq > after.")] = 0,
        limit: Annotated[int, Parameter(ge=1, le=500)] = 100,
    ) -> RecordPage:
        """The batch's records in ``seq`` order, with statements, signatures and chain links."""
        async with read_transaction(ledger.engine) as conn:
            batch = await find_batch(conn, ref)
            page = await batch_records(conn, batch.id, after_seq=after, limit=limit + 1)
        more = len(page) > limit
        page = page[:limit]
        return RecordPage(
            batch.id, [RecordOut.of(r) for r in page], page[-1].seq if more and page else None
        )

    @get("/{ref:str}/verify")
    async def verify(
        self, ledger: LedgerDep, request: Request[Any, Any, Any], ref: str
    ) -> ChainReportOut:
        """Re-verify the batch's chain and signatures from the stored bytes."""
        batch, count, faults = await verify_batch(ledger, ref)
        lang = negotiate(request.headers.get("accept-language"))
        words = [
            message(f"fault.{f.fault.value}", lang, seq=f.seq, position=f.position) for f in faults
        ]
        return ChainReportOut.of(batch, count, faults, words)


class RecordController(Controller):
    """`/api/v1/records`: statements signed by the agency itself."""

    path = "/api/v1/records"
    tags = ["records"]
    dependencies = {"actor": Provide(provide_actor)}

    @post("/")
    async def submit(
        self, ledger: LedgerDep, actor: ActorDep, data: SignedIn, idempotency_key: IdempotencyKey
    ) -> Response[AppendedOut]:
        """Append a client-signed statement (`python -m trace sign` produces this body)."""
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
            expected_version=data.expected_version,
        )
        return _answer(appended)
