"""History rewritten by whoever owns the database is caught by checkpoints published before it."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy import delete, select, update

from tests.conftest import ROOT, Cast
from tests.integration.helpers import WHEN, kg, registration
from trace.domain.chain import Fault
from trace.domain.checkpoint import parse_checkpoint_text
from trace.domain.compact_range import append_leaf, pack
from trace.domain.note import parse_note
from trace.domain.record import record_hash
from trace.domain.statement import (
    Statement,
    encode_statement,
    new_nonce,
    parse_statement,
    sign_statement,
    statement_hash,
)
from trace.domain.witness import Verdict, decide, proof_range
from trace.store.agencies import private_key
from trace.store.append import append_unsigned, new_batch_id
from trace.store.audit import audit
from trace.store.checkpoints import sign_checkpoint
from trace.store.database import read_transaction
from trace.store.ledger import Ledger
from trace.store.tables import batches, checkpoints, log_head, merkle_nodes, records
from trace.store.tree import prove_consistency

ORIGIN = "trace.example.vn/log"


async def rewrite_history(ledger: Ledger, cast: Cast, position: int) -> None:
    """The strongest insider: re-signs a changed statement with the custodial key, recomputes
    every hash after it and the whole tree, deletes the old checkpoints, signs a new one."""
    async with ledger.engine.begin() as conn:
        if conn.dialect.name == "sqlite":
            await conn.exec_driver_sql("DROP TRIGGER records_no_update")
        else:
            await conn.exec_driver_sql("ALTER TABLE records DISABLE TRIGGER records_append_only")
        rows = (await conn.execute(select(records).order_by(records.c.position))).all()
        target = rows[position]
        old = parse_statement(bytes(target.statement))
        secret = await private_key(ledger, conn, target.key_id)
        forged = encode_statement(
            Statement(1, old.batch, old.kind, old.occurred_at, old.agency, old.key,
                      {"quantity": kg("9999")}, new_nonce())
        )  # fmt: skip
        heads: dict[str, bytes] = {}
        edge: list[bytes] = []
        nodes = []
        for row in rows:
            statement, signature = bytes(row.statement), bytes(row.signature)
            if row.position == position:
                statement, signature = forged, sign_statement(secret, forged)
            prev = heads.get(row.batch_id, bytes(32))
            rhash = record_hash(
                prev=prev, statement_hash=statement_hash(statement), signature=signature,
                seq=row.seq, position=row.position, recorded_at_us=row.recorded_at_us,
            )  # fmt: skip
            await conn.execute(
                update(records)
                .where(records.c.position == row.position)
                .values(statement=statement, statement_hash=statement_hash(statement),
                        signature=signature, prev=prev, record_hash=rhash)
            )  # fmt: skip
            heads[row.batch_id] = rhash
            edge, finished = append_leaf(edge, row.position, rhash)
            nodes.extend({"level": n.level, "idx": n.index, "hash": n.hash} for n in finished)
        for batch, head in heads.items():
            await conn.execute(update(batches).where(batches.c.id == batch).values(head_hash=head))
        await conn.execute(delete(merkle_nodes))
        await conn.execute(merkle_nodes.insert(), nodes)
        await conn.execute(update(log_head).values(edge=pack(edge)))
        await conn.execute(delete(checkpoints))
    await sign_checkpoint(ledger, ORIGIN)


async def test_rewritten_and_resigned_history_is_caught_by_a_published_checkpoint(
    ledger: Ledger, cast: Cast, database_url: str, master_key_b64: str, tmp_path: Path
) -> None:
    batch = new_batch_id()
    actor = cast.producer.actor
    await append_unsigned(
        ledger, actor, batch=batch, kind="registered", occurred_at=WHEN, body=registration()
    )
    for n in range(5):
        await append_unsigned(
            ledger, actor, batch=batch, kind="harvested", occurred_at=WHEN,
            body={"quantity": kg(str(n + 1))},
        )  # fmt: skip
    published = (await sign_checkpoint(ledger, ORIGIN)).note  # a witness keeps this copy
    assert (await audit(ledger)).intact

    await rewrite_history(ledger, cast, position=2)

    # From the database alone the rewrite is perfect: every hash and signature agrees.
    alone = await audit(ledger)
    assert alone.intact, alone.faults
    # Against the checkpoint published before it, it is not.
    caught = await audit(ledger, published=[published])
    assert [f.fault for f in caught.faults] == [Fault.CHECKPOINT_MISMATCH]
    assert caught.faults[0].position == 6

    saved = tmp_path / "published.checkpoint"
    saved.write_text(published, encoding="utf-8")
    env = {
        **os.environ,
        "TRACE_DATABASE_URL": database_url,
        "TRACE_MASTER_KEY": master_key_b64,
        "TRACE_DATA_DIR": str(tmp_path),
    }

    def run() -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "trace", "verify", "--checkpoint", str(saved)],
            cwd=ROOT, env=env, capture_output=True, text=True, check=False,
        )  # fmt: skip

    done = await asyncio.to_thread(run)
    assert done.returncode == 1
    assert "history was rewritten" in done.stderr and "lịch sử đã bị viết lại" in done.stderr
    async with read_transaction(ledger.engine) as conn:
        assert (await conn.execute(select(checkpoints.c.size))).scalar_one() == 6


async def test_witness_that_cosigned_before_the_rewrite_finds_the_log_forked(
    ledger: Ledger, cast: Cast
) -> None:
    batch = new_batch_id()
    actor = cast.producer.actor
    await append_unsigned(
        ledger, actor, batch=batch, kind="registered", occurred_at=WHEN, body=registration()
    )
    for n in range(3):
        await append_unsigned(
            ledger, actor, batch=batch, kind="harvested", occurred_at=WHEN,
            body={"quantity": kg(str(n + 1))},
        )  # fmt: skip
    cosigned = parse_checkpoint_text(parse_note((await sign_checkpoint(ledger, ORIGIN)).note).text)
    await rewrite_history(ledger, cast, position=1)
    await append_unsigned(
        ledger, actor, batch=batch, kind="harvested", occurred_at=WHEN, body={"quantity": kg("7")}
    )
    rewritten = await sign_checkpoint(ledger, ORIGIN)
    new = parse_checkpoint_text(parse_note(rewritten.note).text)
    span = proof_range(cosigned, new)
    assert span == (cosigned.size, new.size)
    async with read_transaction(ledger.engine) as conn:
        proof = await prove_consistency(conn, *span)
    decision = decide(cosigned, new, proof)
    assert decision.verdict is Verdict.FORKED
