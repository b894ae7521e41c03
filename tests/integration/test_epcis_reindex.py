"""Migration 0015: the EPCIS index is emptied and rebuilt from the log, the records kept."""

from __future__ import annotations

from typing import Any

from alembic import command
from sqlalchemy import select

from tests.conftest import Cast, _in_thread
from tests.integration.helpers import register
from tests.integration.test_inspector_access import alembic_config
from trace.store.ledger import Ledger
from trace.store.tables import epcis_events, projection_positions, records


async def _state(ledger: Ledger) -> tuple[dict[str, int], list[str], int]:
    async with ledger.engine.connect() as conn:
        positions = {
            name: at for name, at in (await conn.execute(select(projection_positions))).all()
        }
        ids = sorted((await conn.execute(select(epcis_events.c.event_id))).scalars().all())
        count = len((await conn.execute(select(records.c.position))).all())
    return positions, ids, count


async def test_0015_rebuilds_the_epcis_index_from_the_log(
    client: Any, cast: Cast, ledger: Ledger
) -> None:
    await register(client, cast.producer, product="Bưởi Diễn", lot="REINDEX-1")
    answer = await client.get("/epcis/events", headers=cast.authority.headers)
    assert answer.status_code == 200, answer.text
    before, ids, kept = await _state(ledger)
    assert before.get("epcis", 0) > 0 and ids
    url = ledger.engine.url
    sync_url = url.set(drivername=url.get_backend_name()).render_as_string(hide_password=False)
    await ledger.engine.dispose()
    _in_thread(lambda: command.downgrade(alembic_config(sync_url), "0014"))
    _in_thread(lambda: command.upgrade(alembic_config(sync_url), "head"))
    emptied, none, still = await _state(ledger)
    assert "epcis" not in emptied and none == [] and still == kept
    # Migration 0017, made again, starts the subscriptions' queue at the log's size then.
    later = {"epcis", "epcis_subscriptions"}
    assert emptied.pop("epcis_subscriptions") == kept
    assert emptied == {name: at for name, at in before.items() if name not in later}
    again = await client.get("/epcis/events", headers=cast.authority.headers)
    assert again.status_code == 200, again.text
    assert (await _state(ledger))[1] == ids  # the same events, under the same IDs
