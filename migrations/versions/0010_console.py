"""Issue 14: the producer console's sessions and pairing codes, device keys, and photos.

Revision ID: 0010
Revises: 0009
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("agency_keys") as table:
        table.add_column(sa.Column("device_name", sa.Text(), nullable=True))
        table.add_column(sa.Column("token_id", sa.String(length=36), nullable=True))
    op.create_table(
        "console_sessions",
        sa.Column("id", sa.String(length=64), primary_key=True),
        sa.Column("token_id", sa.String(length=36), sa.ForeignKey("tokens.id"), nullable=False),
        sa.Column("agency_id", sa.String(length=36), sa.ForeignKey("agencies.id"), nullable=False),
        sa.Column("device", sa.Text(), nullable=False),
        sa.Column("csrf", sa.String(length=64), nullable=False),
        sa.Column("created_at_us", sa.BigInteger(), nullable=False),
        sa.Column("last_used_at_us", sa.BigInteger(), nullable=False),
        sa.Column("expires_at_us", sa.BigInteger(), nullable=False),
        sa.Column("ended_at_us", sa.BigInteger(), nullable=True),
    )
    op.create_index("ix_console_sessions_token_id", "console_sessions", ["token_id"])
    op.create_index("ix_console_sessions_agency_id", "console_sessions", ["agency_id"])
    op.create_table(
        "console_pairings",
        sa.Column("code_hash", sa.String(length=64), primary_key=True),
        sa.Column("token_id", sa.String(length=36), sa.ForeignKey("tokens.id"), nullable=False),
        sa.Column("created_at_us", sa.BigInteger(), nullable=False),
        sa.Column("expires_at_us", sa.BigInteger(), nullable=False),
        sa.Column("used_at_us", sa.BigInteger(), nullable=True),
    )
    op.create_index("ix_console_pairings_token_id", "console_pairings", ["token_id"])
    op.create_table(
        "photos",
        sa.Column("sha256", sa.String(length=64), primary_key=True),
        sa.Column("media_type", sa.String(length=32), nullable=False),
        sa.Column("width", sa.Integer(), nullable=False),
        sa.Column("height", sa.Integer(), nullable=False),
        sa.Column("agency_id", sa.String(length=36), sa.ForeignKey("agencies.id"), nullable=False),
        sa.Column("created_at_us", sa.BigInteger(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
    )
    op.create_index("ix_photos_agency_id", "photos", ["agency_id"])


def downgrade() -> None:
    op.drop_table("photos")
    op.drop_table("console_pairings")
    op.drop_table("console_sessions")
    with op.batch_alter_table("agency_keys") as table:
        table.drop_column("token_id")
        table.drop_column("device_name")
