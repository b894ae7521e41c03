"""Issue 17: the EPCIS index is built again under the Event Hash ID rules that agree with
GS1's reference tool.

Events published before this release were written and hashed by the earlier rules (bare
digit strings for province and commune codes, bare result words, another order of the
lists). The index (``epcis_events``, ``epcis_identifiers``) is a projection of the log, so
it is emptied and its position reset: the service's next catch-up writes every event again
from the signed records, with the IDs a partner who recomputes them gets. No record changes.
A captured event keeps the Event Hash ID it was signed with.

Downgrade does the same (the older code then rebuilds the index under its own rules).

Revision ID: 0015
Revises: 0014
"""

from __future__ import annotations

from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def _rebuild() -> None:
    op.execute("DELETE FROM epcis_identifiers")
    op.execute("DELETE FROM epcis_events")
    op.execute("DELETE FROM projection_positions WHERE name = 'epcis'")


def upgrade() -> None:
    _rebuild()


def downgrade() -> None:
    _rebuild()
