"""A batch of thousands of records among other batches' records: every reader of its whole
history answers on both databases, and the proofs it gives verify.

Its proofs need thousands of the log's subtrees at once (trace/store/tree.py), more than one
statement may list; batches of tens of thousands of records (a rice mill, a farm's year)
are ordinary.
"""

from __future__ import annotations

import asyncio
from typing import Any

import msgspec

from tests.conftest import Cast, Member
from tests.integration.helpers import WHEN, kg, registration
from tests.integration.test_page_proofs import as_bundle
from trace.config import Settings
from trace.domain.bundle import verify_bundle
from trace.store.agencies import Actor
from trace.store.append import append_unsigned, new_batch_id
from trace.store.checkpoints import log_signer
from trace.store.ledger import Ledger

RECORDS = 3_000
NEIGHBOURS = 7
# Other batches' records between two of the batch's: each record's proof then needs subtrees
# of its own (about 9,000 in all), not only ones its neighbours in the batch need too.
BETWEEN = 3
# Appends gathered at once: the writer queue commits them together, in the order given.
ROUND = 128


def signing(member: Member) -> Actor:
    """The member acting with its custodial key known, so no append looks it up."""
    return Actor(member.id, member.actor.agency_kind, None, custodial_key=member.key_id)


async def load(ledger: Ledger, cast: Cast) -> str:
    """A batch of ``RECORDS`` records, each followed in the log by ``BETWEEN`` of others."""
    producer, other = signing(cast.producer), signing(cast.other_producer)
    big, neighbours = new_batch_id(), [new_batch_id() for _ in range(NEIGHBOURS)]
    for actor, batch in [(producer, big), *((other, n) for n in neighbours)]:
        await append_unsigned(
            ledger, actor, batch=batch, kind="registered", occurred_at=WHEN,
            body=registration(lot=f"L-{batch[:8]}"),
        )  # fmt: skip

    def harvest(actor: Actor, batch: str, n: int) -> Any:
        return append_unsigned(
            ledger, actor, batch=batch, kind="harvested", occurred_at=WHEN,
            body={"quantity": kg(str(n))},
        )  # fmt: skip

    steps = [
        step
        for n in range(1, RECORDS)
        for step in (
            (producer, big, n),
            *((other, neighbours[(n + k) % NEIGHBOURS], n) for k in range(BETWEEN)),
        )
    ]
    for start in range(0, len(steps), ROUND):
        await asyncio.gather(*(harvest(*step) for step in steps[start : start + ROUND]))
    return big


async def test_every_reader_of_a_three_thousand_record_batch_answers_and_proves_it(
    client: Any, ledger: Ledger, cast: Cast, settings: Settings
) -> None:
    batch_id = await load(ledger, cast)
    batch = (await client.get(f"/api/v1/batches/{batch_id}")).json()
    assert batch["version"] == RECORDS

    page = await client.get(batch["public_path"])
    assert page.status_code == 200, page.text[:500]

    answer = await client.get(batch["public_path"], params={"format": "json"})
    assert answer.status_code == 200, answer.text[:500]
    proofs = answer.json()["proofs"]
    entries = proofs["records"]
    assert [entry["seq"] for entry in entries] == list(range(1, RECORDS + 1))
    # Interleaved: each record is BETWEEN + 1 positions after the one before.
    assert entries[-1]["position"] - entries[1]["position"] == (BETWEEN + 1) * (RECORDS - 2)
    pinned = (await log_signer(ledger, settings.log_origin)).public
    for entry in (entries[0], entries[1], entries[RECORDS // 2], entries[-1]):
        verified = verify_bundle(as_bundle(proofs, entry), log_key=pinned)
        assert verified.record.seq == entry["seq"] and verified.log_key_pinned

    history: list[dict[str, Any]] = []
    after: int | None = 0
    while after is not None:
        listed = await client.get(
            f"/api/v1/batches/{batch_id}/records", params={"after": after, "limit": 500}
        )
        assert listed.status_code == 200, listed.text[:500]
        history += listed.json()["records"]
        after = listed.json()["next_after"]
    assert [record["seq"] for record in history] == list(range(1, RECORDS + 1))
    assert all(record["bundle"] is not None for record in history)
    verify_bundle(msgspec.json.encode(history[RECORDS - 7]["bundle"]), log_key=pinned)

    position = entries[RECORDS // 3]["position"]
    bundle = await client.get(f"/api/v1/log/records/{position}/bundle")
    assert bundle.status_code == 200, bundle.text[:500]
    assert verify_bundle(bundle.content, log_key=pinned).record.position == position
