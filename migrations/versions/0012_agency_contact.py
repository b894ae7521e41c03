"""Issue 15: an organisation's contact (phone, address, website), shown on its pages.

Revision ID: 0012
Revises: 0011
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("agencies") as table:
        table.add_column(sa.Column("phone", sa.Text(), nullable=True))
        table.add_column(sa.Column("address", sa.Text(), nullable=True))
        table.add_column(sa.Column("website", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("agencies") as table:
        table.drop_column("website")
        table.drop_column("address")
        table.drop_column("phone")
