"""Serialised labels: print runs and their serials.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "label_runs",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("batch_id", sa.String(length=36), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("first_serial", sa.String(length=14), nullable=False),
        sa.Column("last_serial", sa.String(length=14), nullable=False),
        sa.Column("serials_sha256", sa.LargeBinary(length=32), nullable=False),
        sa.Column("position", sa.BigInteger(), nullable=True),
        sa.Column("created_at_us", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["batch_id"], ["batches.id"], name=op.f("fk_label_runs_batch_id_batches")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_label_runs")),
    )
    op.create_index(op.f("ix_label_runs_batch_id"), "label_runs", ["batch_id"])
    op.create_table(
        "label_serials",
        sa.Column("serial", sa.String(length=14), nullable=False),
        sa.Column("run_id", sa.String(length=36), nullable=False),
        sa.Column("ordinal", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["run_id"], ["label_runs.id"], name=op.f("fk_label_serials_run_id_label_runs")
        ),
        sa.PrimaryKeyConstraint("serial", name=op.f("pk_label_serials")),
        sa.UniqueConstraint("run_id", "ordinal", name=op.f("uq_label_serials_run_id")),
    )


def downgrade() -> None:
    op.drop_table("label_serials")
    op.drop_index(op.f("ix_label_runs_batch_id"), table_name="label_runs")
    op.drop_table("label_runs")
