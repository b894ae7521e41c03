"""Issue 6: the batch graph that genealogy walks and recall reach follow.

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "batch_edges",
        sa.Column("position", sa.BigInteger(), nullable=False),
        sa.Column("input_id", sa.String(length=36), nullable=False),
        sa.Column("output_id", sa.String(length=36), nullable=False),
        sa.Column("record_hash", sa.LargeBinary(length=32), nullable=False),
        sa.Column("process", sa.String(length=16), nullable=False),
        sa.Column("quantity", sa.String(length=19), nullable=False),
        sa.Column("unit", sa.String(length=8), nullable=False),
        sa.Column("occurred_at", sa.String(length=40), nullable=False),
        sa.Column("corrected", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("position", "input_id", name=op.f("pk_batch_edges")),
    )
    op.create_index("ix_batch_edges_input", "batch_edges", ["input_id", "output_id"])
    op.create_index("ix_batch_edges_output", "batch_edges", ["output_id", "input_id"])


def downgrade() -> None:
    op.drop_index("ix_batch_edges_output", table_name="batch_edges")
    op.drop_index("ix_batch_edges_input", table_name="batch_edges")
    op.drop_table("batch_edges")
