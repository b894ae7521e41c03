"""Changing a shopper's report's state (trace/domain/report_states.py) for its readers.

Only those who may read a report change its state; to anyone else it does not exist
(404, as for reads). A report turned into an inspection names an `inspected` record of
its batch, checked here. The change and the report's answer are one transaction; a
refused change writes nothing.
"""

from __future__ import annotations

from sqlalchemy import select, update

from trace.domain.kinds import EventKind
from trace.domain.record import now_us
from trace.domain.report_states import ReportState, ReportStateRefused, check_state_change
from trace.store.agencies import Actor
from trace.store.database import write_transaction
from trace.store.ledger import Ledger
from trace.store.reports import ShopperReport, read_report
from trace.store.tables import records, shopper_reports


async def change_report_state(
    ledger: Ledger,
    actor: Actor,
    number: int,
    state: ReportState,
    *,
    inspection: int | None = None,
    note: str | None = None,
) -> ShopperReport:
    """Set report ``number`` to ``state`` as ``actor``'s agency; the report as it now is."""
    check_state_change(state, inspection, note)
    async with write_transaction(ledger.engine) as conn:
        report = await read_report(conn, actor, number)
        if inspection is not None:
            found = (
                await conn.execute(
                    select(records.c.kind, records.c.batch_id).where(
                        records.c.position == inspection
                    )
                )
            ).first()
            if (
                found is None
                or found.kind != EventKind.INSPECTED.value
                or found.batch_id != report.batch_id
            ):
                raise ReportStateRefused(
                    f"position {inspection} is not an inspection of the report's batch",
                    reason="not_an_inspection",
                    position=inspection,
                )
        await conn.execute(
            update(shopper_reports)
            .where(shopper_reports.c.id == number)
            .values(
                state=state.value,
                state_changed_at_us=now_us(),
                state_changed_by=actor.agency_id,
                state_note=note,
                inspection_position=inspection,
            )
        )
        return await read_report(conn, actor, number)
