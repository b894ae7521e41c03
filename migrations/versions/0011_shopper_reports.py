"""Issue 15: shoppers' reports of a problem with a batch, for its province's authority and
its producer.

Revision ID: 0011
Revises: 0010
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "shopper_reports",
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("batch_id", sa.String(length=36), nullable=False),
        sa.Column("province", sa.Text(), nullable=True),
        sa.Column("producer_id", sa.String(length=36), nullable=False),
        sa.Column("problem", sa.String(length=32), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("contact", sa.Text(), nullable=True),
        sa.Column("photo", sa.LargeBinary(), nullable=True),
        sa.Column("photo_type", sa.String(length=32), nullable=True),
        sa.Column("photo_width", sa.Integer(), nullable=True),
        sa.Column("photo_height", sa.Integer(), nullable=True),
        sa.Column("day", sa.String(length=10), nullable=False),
        sa.Column("client", sa.LargeBinary(length=16), nullable=False),
        sa.Column("created_at_us", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_shopper_reports")),
    )
    op.create_index("ix_shopper_reports_province", "shopper_reports", ["province"])
    op.create_index("ix_shopper_reports_producer_id", "shopper_reports", ["producer_id"])
    op.create_index(
        "ix_shopper_reports_batch_created", "shopper_reports", ["batch_id", "created_at_us"]
    )
    op.create_index(
        "ix_shopper_reports_client_created", "shopper_reports", ["client", "created_at_us"]
    )


def downgrade() -> None:
    op.drop_table("shopper_reports")
