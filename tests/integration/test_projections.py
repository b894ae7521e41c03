"""Projections follow the log: every record once, in order, even with two workers at once."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from tests.conftest import Cast
from tests.integration.helpers import kg, record, register
from trace.config import Settings
from trace.domain.record import Record
from trace.store.database import connect
from trace.store.ledger import Ledger
from trace.store.projections import catch_up


class Seen:
    """A projection that only remembers which positions it was given."""

    def __init__(self, name: str = "test_seen") -> None:
        self.name = name
        self.positions: list[int] = []

    async def apply(self, conn: AsyncConnection, records: Sequence[Record]) -> None:
        self.positions.extend(r.position for r in records)
        await asyncio.sleep(0)  # let a rival catch-up run meanwhile


async def test_a_projection_sees_every_record_once_in_log_order(
    client: Any, cast: Cast, ledger: Ledger
) -> None:
    batch = (await register(client, cast.producer, lot="P-1"))["batch"]
    for _ in range(4):
        await record(client, cast.producer, batch["id"], "harvested", {"quantity": kg("1")})
    seen = Seen()
    size = await catch_up(ledger, seen, batch_size=2)
    assert seen.positions == list(range(size)) and size >= 5
    assert await catch_up(ledger, seen) == size and seen.positions == list(range(size))
    await record(client, cast.producer, batch["id"], "harvested", {"quantity": kg("1")})
    assert await catch_up(ledger, seen) == size + 1
    assert seen.positions == list(range(size + 1))


async def test_two_workers_catching_up_at_once_apply_each_record_once(
    client: Any, cast: Cast, ledger: Ledger, settings: Settings
) -> None:
    batch = (await register(client, cast.producer, lot="P-2"))["batch"]
    for _ in range(9):
        await record(client, cast.producer, batch["id"], "harvested", {"quantity": kg("1")})
    other = Ledger(engine=connect(settings.database_url), master_key=ledger.master_key)
    try:
        first, second = Seen("test_race"), Seen("test_race")
        sizes = await asyncio.gather(
            catch_up(ledger, first, batch_size=3), catch_up(other, second, batch_size=3)
        )
    finally:
        await other.close()
    assert sizes[0] == sizes[1] >= 10
    assert sorted(first.positions + second.positions) == list(range(sizes[0]))
