"""Issue 16: the recall workflow's steps, holders' acknowledgements, reports' states.

- ``recall_steps``: the projection (trace/genealogy/recall_steps.py) that finds the steps
  of each recall (`recall_notified`, `withdrawn`, `recall_closed` records) by the recall's
  position. It starts at the log's current size: no record before this migration can be a
  step (the kinds did not exist), so a large ledger is not read again for nothing.
- ``recall_acknowledgements``: a holder agency's acknowledgement of a recall notice.
- ``shopper_reports`` gains its state (new, looked_at, closed, inspection), when and by
  whom it last changed, the note, and the `inspected` record a report turned into.

Revision ID: 0014
Revises: 0013
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "recall_steps",
        sa.Column("position", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("recall_position", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("batch_id", sa.String(length=36), nullable=False),
        sa.Column("agency_id", sa.String(length=36), nullable=False),
        sa.PrimaryKeyConstraint("position", name=op.f("pk_recall_steps")),
    )
    op.create_index("ix_recall_steps_recall", "recall_steps", ["recall_position", "position"])
    op.execute(
        "INSERT INTO projection_positions (name, position) "
        "SELECT 'recall_steps', size FROM log_head"
    )
    op.create_table(
        "recall_acknowledgements",
        sa.Column("recall_position", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("agency_id", sa.String(length=36), nullable=False),
        sa.Column("acknowledged_at_us", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint(
            "recall_position", "agency_id", name=op.f("pk_recall_acknowledgements")
        ),
    )
    with op.batch_alter_table("shopper_reports") as table:
        table.add_column(
            sa.Column("state", sa.String(length=16), nullable=False, server_default="new")
        )
        table.add_column(sa.Column("state_changed_at_us", sa.BigInteger(), nullable=True))
        table.add_column(sa.Column("state_changed_by", sa.String(length=36), nullable=True))
        table.add_column(sa.Column("state_note", sa.Text(), nullable=True))
        table.add_column(sa.Column("inspection_position", sa.BigInteger(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("shopper_reports") as table:
        for name in (
            "inspection_position",
            "state_note",
            "state_changed_by",
            "state_changed_at_us",
            "state",
        ):
            table.drop_column(name)
    op.drop_table("recall_acknowledgements")
    op.execute("DELETE FROM projection_positions WHERE name = 'recall_steps'")
    op.drop_index("ix_recall_steps_recall", table_name="recall_steps")
    op.drop_table("recall_steps")
