"""Scans of serialised labels, counted per device and day under a daily key.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "scan_keys",
        sa.Column("day", sa.String(length=10), nullable=False),
        sa.Column("key", sa.LargeBinary(length=32), nullable=False),
        sa.PrimaryKeyConstraint("day", name=op.f("pk_scan_keys")),
    )
    op.create_table(
        "label_scans",
        sa.Column("serial", sa.String(length=14), nullable=False),
        sa.Column("day", sa.String(length=10), nullable=False),
        sa.Column("client", sa.LargeBinary(length=16), nullable=False),
        sa.Column("network", sa.LargeBinary(length=16), nullable=False),
        sa.Column("first_at_us", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("serial", "day", "client", name=op.f("pk_label_scans")),
    )


def downgrade() -> None:
    op.drop_table("label_scans")
    op.drop_table("scan_keys")
