"""`/api/v1/log`: the transparency log's checkpoints, keys, proofs, leaves and cosignatures."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.di import Provide
from litestar.openapi import ResponseSpec
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from trace.api.auth import ActorDep, LedgerDep, provide_actor, require_operator
from trace.api.parameters import (
    LeafEnd,
    LeafStart,
    NewSize,
    OldSize,
    Position,
    TreeSize,
)
from trace.api.problems import ANY, BODY, TOKEN, problem_answers
from trace.api.schemas import b64
from trace.domain.bundle import ProofBundle, build_bundle, encode_bundle
from trace.domain.checkpoint import parse_checkpoint_text
from trace.domain.merkle import ProofRangeError
from trace.domain.note import verifier_key_string
from trace.store.checkpoints import (
    add_cosignature,
    covering_checkpoint,
    latest_checkpoint,
    log_signer,
    log_verifier_key,
    sign_checkpoint,
    witness_keys,
)
from trace.store.database import read_transaction
from trace.store.ledger import Ledger
from trace.store.records import load_record
from trace.store.tables import agency_keys, log_head, records
from trace.store.tree import prove_consistency, prove_inclusion

# Litestar adds "; charset=utf-8" to every text/* type.
TEXT = "text/plain"
MAX_LEAVES = 1000


class InclusionProofOut(msgspec.Struct):
    """RFC 6962 audit path of the leaf at ``position`` in the tree of ``size`` leaves."""

    position: int
    size: int
    leaf: str
    hashes: list[str]


class ConsistencyProofOut(msgspec.Struct, rename={"old": "from", "new": "to"}):
    """RFC 6962 consistency proof between two tree sizes."""

    old: int
    new: int
    hashes: list[str]


class LeafOut(msgspec.Struct):
    """One leaf of the log with what a mirror needs to re-verify it."""

    position: int
    record_hash: str
    batch: str
    seq: int
    recorded_at_us: int
    prev: str
    statement: str
    signature: str
    key_id: str


class CosignatureIn(msgspec.Struct, forbid_unknown_fields=True):
    """A witness's cosignature line for a checkpoint text (origin, size, root lines)."""

    checkpoint: str
    cosignature: str


class CosignatureOut(msgspec.Struct):
    """The accepted cosignature's timestamp."""

    size: int
    timestamp: int


def _origin(request: Request[Any, Any, Any]) -> str:
    return str(request.app.state.settings.log_origin)


async def _check_size(conn: AsyncConnection, size: int) -> None:
    current = int((await conn.execute(select(log_head.c.size))).scalar_one())
    if size > current:
        raise ProofRangeError(
            f"the log has {current} leaves, not {size}",
            reason="size",
            expected=f"at most {current}",
            found=size,
        )


async def _holding(ledger: Ledger, size: int) -> AsyncEngine:
    """The database to prove against a tree of ``size`` leaves: the request's reader when it
    has that many, else the primary (a replica may not have replayed the checkpoint a client
    read elsewhere)."""
    reader = ledger.reader()
    if reader is ledger.engine:
        return reader
    async with read_transaction(reader) as conn:
        current = int((await conn.execute(select(log_head.c.size))).scalar_one())
    return reader if current >= size else ledger.engine


def _check_sizes(old: int, new: int) -> None:
    """RFC 9162 §2.1.4 proves that a tree of ``old`` leaves, 0 < old <= new, grew into ``new``."""
    if old < 1:
        raise ProofRangeError(
            "there is no consistency proof from the empty tree", reason="from_empty", found=old
        )
    if old > new:
        raise ProofRangeError(
            f"from {old} is larger than to {new}", reason="from_after_to", found=old, expected=new
        )


class LogController(Controller):
    """The log as RFC 6962 / C2SP clients, mirrors and witnesses read it."""

    path = "/api/v1/log"
    tags = ["log"]

    @get("/checkpoint", media_type=TEXT, responses=problem_answers(*ANY, 409))
    async def checkpoint(self, ledger: LedgerDep, request: Request[Any, Any, Any]) -> str:
        """Read the log's newest signed checkpoint.

        Public. A C2SP signed note (origin, tree size, root hash) signed by the log's key,
        with the cosignatures of the witnesses that checked it; one is signed first if there
        is none yet.
        """
        latest = await latest_checkpoint(ledger, reads_from=ledger.reader())
        if latest is None:
            await sign_checkpoint(ledger, _origin(request))
            latest = await latest_checkpoint(ledger)
        assert latest is not None
        return latest.note

    @post(
        "/checkpoint",
        media_type=TEXT,
        status_code=201,
        dependencies={"actor": Provide(provide_actor)},
        responses=problem_answers(*ANY, *TOKEN, 409),
    )
    async def sign_now(
        self, ledger: LedgerDep, actor: ActorDep, request: Request[Any, Any, Any]
    ) -> str:
        """Sign a checkpoint of the log now.

        The operator's ``admin`` token only. The service signs one every few seconds while
        records arrive (``TRACE_CHECKPOINT_SECONDS``); this is for a client that cannot wait.
        """
        require_operator(actor)
        await sign_checkpoint(ledger, _origin(request))
        latest = await latest_checkpoint(ledger)
        assert latest is not None
        return latest.note

    @get("/key", media_type=TEXT, responses=problem_answers(*ANY))
    async def key(self, ledger: LedgerDep, request: Request[Any, Any, Any]) -> str:
        """Read the log's verifier key and the witnesses' keys.

        Public. One key a line, as C2SP signed notes write them: the log's first, then the
        key of each witness whose cosignatures the log accepts.
        """
        signer = await log_signer(ledger, _origin(request))
        lines = [log_verifier_key(signer)]
        lines += [verifier_key_string(w) for w in await witness_keys(ledger)]
        return "\n".join(lines) + "\n"

    @get("/proof/inclusion", responses=problem_answers(*ANY, 422))
    async def inclusion(
        self,
        ledger: LedgerDep,
        position: Position,
        size: TreeSize,
    ) -> InclusionProofOut:
        """Prove that a record is in the log with its RFC 6962 audit path.

        Public. The hashes prove that the leaf at ``position`` is in the tree of ``size``
        leaves (at most the log's size); check them against a signed checkpoint of that size.
        """
        async with read_transaction(await _holding(ledger, size)) as conn:
            await _check_size(conn, size)
            proof = await prove_inclusion(conn, position, size)
            leaf = (
                await conn.execute(
                    select(records.c.record_hash).where(records.c.position == position)
                )
            ).scalar_one()
        return InclusionProofOut(position, size, bytes(leaf).hex(), [b64(h) for h in proof])

    @get("/proof/consistency", responses=problem_answers(*ANY, 422))
    async def consistency(
        self,
        ledger: LedgerDep,
        old: OldSize,
        new: NewSize,
    ) -> ConsistencyProofOut:
        """Prove that the log only grew with an RFC 6962 consistency proof.

        Public. The hashes prove that the tree of ``from`` leaves is a prefix of the tree of
        ``to`` leaves (1 <= from <= to <= the log's size).
        """
        _check_sizes(old, new)
        async with read_transaction(await _holding(ledger, new)) as conn:
            await _check_size(conn, new)
            proof = await prove_consistency(conn, old, new)
        return ConsistencyProofOut(old, new, [b64(h) for h in proof])

    @get("/records", responses=problem_answers(*ANY))
    async def leaves(
        self,
        ledger: LedgerDep,
        start: LeafStart,
        end: LeafEnd,
    ) -> list[LeafOut]:
        """Read the log's leaves with their records, for mirrors.

        Public. Leaves ``[start, end)``, at most 1000 at a time, each with its record: hash,
        chain link, statement bytes, signature and key id.
        """
        end = min(end, start + MAX_LEAVES)
        async with read_transaction(ledger.reader()) as conn:
            rows = (
                await conn.execute(
                    select(records)
                    .where(records.c.position >= start, records.c.position < end)
                    .order_by(records.c.position)
                )
            ).all()
        return [
            LeafOut(
                r.position,
                bytes(r.record_hash).hex(),
                r.batch_id,
                r.seq,
                r.recorded_at_us,
                bytes(r.prev).hex(),
                b64(bytes(r.statement)),
                b64(bytes(r.signature)),
                r.key_id,
            )
            for r in rows
        ]

    @get(
        "/records/{position:int}/bundle",
        media_type="application/json",
        responses={
            200: ResponseSpec(ProofBundle, description="The record's proof bundle."),
            **problem_answers(*ANY, 404, 409, 422),
        },
    )
    async def bundle(
        self, ledger: LedgerDep, request: Request[Any, Any, Any], position: Position
    ) -> Response[bytes]:
        """Read everything needed to check one record offline.

        Public. A proof bundle: the record, its statement and signature, the agency's public
        key, the inclusion proof (C2SP tlog-proof) and the signed checkpoint it leads to;
        ``python -m trace verify-bundle`` checks it.
        """
        latest, source = await covering_checkpoint(
            ledger, _origin(request), position, ledger.reader()
        )
        size = latest.checkpoint.size
        async with read_transaction(source) as conn:
            record = await load_record(conn, position)
            if position >= size:
                raise ProofRangeError(
                    f"position {position} is not in the log yet",
                    reason="index",
                    expected=f"below {size}",
                    found=position,
                )
            proof = await prove_inclusion(conn, position, size)
            public = (
                await conn.execute(
                    select(agency_keys.c.public_key).where(agency_keys.c.key_id == record.key_id)
                )
            ).scalar_one()
        signer = await log_signer(ledger, _origin(request))
        bundle = build_bundle(
            record,
            agency_public_key=bytes(public),
            inclusion_proof=proof,
            checkpoint=latest.note,
            log_key=signer.public,
            witness_keys=await witness_keys(ledger, reads_from=source),
        )
        return Response(encode_bundle(bundle), media_type="application/json")

    @post("/cosignatures", status_code=201, responses=problem_answers(*ANY, *BODY, 409, 422))
    async def cosign(self, ledger: LedgerDep, data: CosignatureIn) -> CosignatureOut:
        """Send a witness's cosignature of a checkpoint this log signed.

        No token: the cosignature is checked against the keys of the witnesses registered
        with ``python -m trace log-witness add``, and the checkpoint must be one this log
        signed.
        """
        timestamp = await add_cosignature(ledger, data.checkpoint, data.cosignature)
        return CosignatureOut(parse_checkpoint_text(data.checkpoint).size, timestamp)
