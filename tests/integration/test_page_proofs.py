"""The proofs of a batch's public page: every record passes the reference verifier, both databases.

Each record entry of ``trace.page-proofs/v1``, put together with the shared checkpoint and
keys, is a proof bundle; `verify_bundle` (with the log key pinned) is the reference for what
the page's script checks on the shopper's phone.
"""

from __future__ import annotations

import base64
import json
import time
from typing import Any

from sqlalchemy import func, select

from tests.conftest import Cast
from tests.integration.helpers import WHEN, kg, registration
from trace.config import Settings
from trace.domain.bundle import (
    BUNDLE_FORMAT,
    BundleInclusion,
    BundleRecord,
    BundleVerification,
    ProofBundle,
    build_tlog_proof,
    verify_bundle,
)
from trace.domain.checkpoint import parse_checkpoint_text
from trace.domain.note import (
    SignatureType,
    Signer,
    cosign,
    generate_signer,
    parse_note,
    verifier_key_string,
)
from trace.public.proofs import PAGE_PROOFS_FORMAT, page_proofs
from trace.store.agencies import Actor
from trace.store.append import append_unsigned, new_batch_id
from trace.store.batches import Batch, find_batch
from trace.store.checkpoints import (
    add_cosignature,
    add_witness,
    latest_checkpoint,
    log_signer,
    sign_checkpoint,
)
from trace.store.database import read_transaction
from trace.store.ledger import Ledger
from trace.store.records import batch_records
from trace.store.tables import checkpoints

ZERO = "00" * 32


async def harvest(ledger: Ledger, actor: Actor, batch: str, kilograms: int) -> int:
    """Append a harvest to ``batch``; its log position."""
    appended = await append_unsigned(
        ledger, actor, batch=batch, kind="harvested", occurred_at=WHEN,
        body={"quantity": kg(str(kilograms))},
    )  # fmt: skip
    return appended.record.position


async def new_batch(ledger: Ledger, actor: Actor, harvests: int = 0) -> str:
    """Register a batch with ``harvests`` harvests after it; its id."""
    batch = new_batch_id()
    await append_unsigned(
        ledger, actor, batch=batch, kind="registered", occurred_at=WHEN,
        body=registration(lot=f"L-{batch[:8]}"),
    )  # fmt: skip
    for n in range(harvests):
        await harvest(ledger, actor, batch, n + 1)
    return batch


async def interleaved(ledger: Ledger, cast: Cast) -> str:
    """A batch of four records whose log positions are not consecutive: another batch's
    records fall between them."""
    producer, other = cast.producer.actor, cast.other_producer.actor
    batch = await new_batch(ledger, producer)
    neighbour = await new_batch(ledger, other)
    for n in range(3):
        await harvest(ledger, producer, batch, 10 + n)
        await harvest(ledger, other, neighbour, 20 + n)
    return batch


async def read_batch(ledger: Ledger, batch_id: str) -> Batch:
    async with read_transaction(ledger.engine) as conn:
        return await find_batch(conn, batch_id)


async def checkpoints_signed(ledger: Ledger) -> int:
    async with read_transaction(ledger.engine) as conn:
        return int((await conn.execute(select(func.count()).select_from(checkpoints))).scalar_one())


def as_bundle(proofs: dict[str, Any], entry: dict[str, Any]) -> ProofBundle:
    """The proof bundle of one record entry: its fields plus the page's shared ones."""
    inclusion = entry["inclusion"]
    return ProofBundle(
        format=BUNDLE_FORMAT,
        record=BundleRecord(
            batch=proofs["batch"]["id"],
            seq=entry["seq"],
            position=entry["position"],
            recorded_at_us=entry["recorded_at_us"],
            prev=entry["prev"],
            record_hash=entry["record_hash"],
        ),
        statement=entry["statement"],
        signature=entry["signature"],
        key_id=entry["key_id"],
        agency_public_key=entry["agency_public_key"],
        inclusion=BundleInclusion(
            index=inclusion["index"],
            tree_size=inclusion["tree_size"],
            hashes=tuple(inclusion["hashes"]),
        ),
        checkpoint=proofs["checkpoint"],
        log_key=proofs["log_key"],
        witness_keys=tuple(proofs["witness_keys"]),
        tlog_proof=build_tlog_proof(
            inclusion["index"],
            [base64.b64decode(digest) for digest in inclusion["hashes"]],
            proofs["checkpoint"],
        ),
    )


async def verify_page(
    ledger: Ledger, settings: Settings, proofs: dict[str, Any], witnesses: tuple[Signer, ...] = ()
) -> list[BundleVerification]:
    """Run the reference verifier on every record, log key pinned; check the chain links."""
    pinned = (await log_signer(ledger, settings.log_origin)).public
    assert proofs["log_key"] == verifier_key_string(pinned)
    results = [
        verify_bundle(
            as_bundle(proofs, entry),
            log_key=pinned,
            witness_keys=[witness.public for witness in witnesses],
        )
        for entry in proofs["records"]
    ]
    records = proofs["records"]
    assert [entry["seq"] for entry in records] == list(range(1, len(records) + 1))
    assert [entry["prev"] for entry in records] == [
        ZERO,
        *(entry["record_hash"] for entry in records[:-1]),
    ]
    assert records[-1]["record_hash"] == proofs["batch"]["head"]
    for entry, result in zip(records, results, strict=True):
        assert result.record.seq == entry["seq"]
        assert result.statement.batch == proofs["batch"]["id"]
        assert result.log_key_pinned
    return results


async def test_every_record_passes_the_reference_verifier_in_seq_order(
    ledger: Ledger, cast: Cast, settings: Settings
) -> None:
    batch = await read_batch(ledger, await interleaved(ledger, cast))

    proofs = await page_proofs(ledger, batch, origin=settings.log_origin)

    assert proofs["format"] == PAGE_PROOFS_FORMAT
    assert proofs["batch"] == {
        "id": batch.id,
        "code": batch.code,
        "version": 4,
        "head": batch.head_hash.hex(),
    }
    async with read_transaction(ledger.engine) as conn:
        stored = await batch_records(conn, batch.id)
    records = proofs["records"]
    assert [(r["seq"], r["position"]) for r in records] == [(r.seq, r.position) for r in stored]
    assert [r["position"] for r in records] == [stored[0].position + n for n in (0, 2, 4, 6)]
    assert all(r["inclusion"]["index"] == r["position"] for r in records)
    assert [base64.b64decode(r["statement"]) for r in records] == [r.statement for r in stored]
    # JSON-ready: it survives a round trip through JSON unchanged.
    assert json.loads(json.dumps(proofs)) == proofs
    results = await verify_page(ledger, settings, proofs)
    assert [result.statement.kind for result in results] == ["registered", *["harvested"] * 3]
    assert {result.checkpoint for result in results} == {
        parse_checkpoint_text(parse_note(proofs["checkpoint"]).text)
    }


async def test_the_checkpoint_covers_the_last_record_and_then_a_new_one(
    ledger: Ledger, cast: Cast, settings: Settings
) -> None:
    batch_id = await interleaved(ledger, cast)
    await sign_checkpoint(ledger, settings.log_origin)
    grown_at = await harvest(ledger, cast.producer.actor, batch_id, 99)  # after the checkpoint

    first = await page_proofs(
        ledger, await read_batch(ledger, batch_id), origin=settings.log_origin
    )

    # The newest checkpoint lacked the last record: a new one was signed and used.
    size = parse_checkpoint_text(parse_note(first["checkpoint"]).text).size
    assert size == grown_at + 1
    assert await checkpoints_signed(ledger) == 2
    assert {r["inclusion"]["tree_size"] for r in first["records"]} == {size}
    await verify_page(ledger, settings, first)

    appended_at = await harvest(ledger, cast.producer.actor, batch_id, 100)
    second = await page_proofs(
        ledger, await read_batch(ledger, batch_id), origin=settings.log_origin
    )

    assert [r["seq"] for r in second["records"]] == [1, 2, 3, 4, 5, 6]
    assert second["records"][-1]["position"] == appended_at
    assert second["records"][:5] != first["records"]  # the same records, proved in a larger tree
    assert [r["record_hash"] for r in second["records"][:5]] == [
        r["record_hash"] for r in first["records"]
    ]
    new_size = parse_checkpoint_text(parse_note(second["checkpoint"]).text).size
    assert new_size == appended_at + 1
    assert second["batch"]["version"] == 6
    await verify_page(ledger, settings, second)


async def test_a_covering_checkpoint_is_reused_with_its_cosignatures(
    ledger: Ledger, cast: Cast, settings: Settings
) -> None:
    witness = generate_signer("witness.example", SignatureType.COSIGNATURE_V1)
    await add_witness(ledger, verifier_key_string(witness.public))
    batch_id = await interleaved(ledger, cast)
    text = parse_note((await sign_checkpoint(ledger, settings.log_origin)).note).text
    await add_cosignature(ledger, text, cosign(text, witness, int(time.time())))
    # The log grows after the checkpoint, but not this batch: the checkpoint still covers it.
    await new_batch(ledger, cast.other_producer.actor, harvests=2)

    proofs = await page_proofs(
        ledger, await read_batch(ledger, batch_id), origin=settings.log_origin
    )

    latest = await latest_checkpoint(ledger)
    assert latest is not None
    assert proofs["checkpoint"] == latest.note
    assert parse_note(proofs["checkpoint"]).text == text
    assert await checkpoints_signed(ledger) == 1
    assert proofs["witness_keys"] == [verifier_key_string(witness.public)]
    results = await verify_page(ledger, settings, proofs, witnesses=(witness,))
    for result in results:
        assert witness.public in {cosignature.verifier for cosignature in result.cosignatures}


async def test_a_batch_is_proved_as_the_caller_read_it(
    ledger: Ledger, cast: Cast, settings: Settings
) -> None:
    batch_id = await new_batch(ledger, cast.producer.actor, harvests=1)
    as_read = await read_batch(ledger, batch_id)
    await harvest(ledger, cast.producer.actor, batch_id, 7)  # after the page read the batch

    proofs = await page_proofs(ledger, as_read, origin=settings.log_origin)

    # The proofs end at the head the page shows, not at a record it does not show.
    assert [r["seq"] for r in proofs["records"]] == [1, 2]
    assert proofs["batch"]["head"] == as_read.head_hash.hex()
    await verify_page(ledger, settings, proofs)
