"""Issue 17: EPCIS named queries and their subscriptions (webhook, stream or schedule).

The subscriptions' outbox follows the log as a projection (trace/epcis/subscriptions.py);
it starts at the log's current size, as no subscription can want an earlier record.

Revision ID: 0017
Revises: 0016
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "epcis_named_queries",
        sa.Column("agency_id", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("parameters", sa.Text(), nullable=False),
        sa.Column("created_at_us", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["agency_id"], ["agencies.id"], name=op.f("fk_epcis_named_queries_agency_id_agencies")
        ),
        sa.PrimaryKeyConstraint("agency_id", "name", name=op.f("pk_epcis_named_queries")),
    )
    op.create_table(
        "epcis_subscriptions",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("agency_id", sa.String(length=36), nullable=False),
        sa.Column("query_name", sa.String(length=64), nullable=False),
        sa.Column("schedule", sa.Text(), nullable=True),
        sa.Column("report_if_empty", sa.Boolean(), nullable=False),
        sa.Column("initial_record_us", sa.BigInteger(), nullable=True),
        sa.Column("start_position", sa.BigInteger(), nullable=False),
        sa.Column("cursor_position", sa.BigInteger(), nullable=False),
        sa.Column("next_run_us", sa.BigInteger(), nullable=True),
        sa.Column("created_at_us", sa.BigInteger(), nullable=False),
        sa.Column("deleted_at_us", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(
            ["agency_id"], ["agencies.id"], name=op.f("fk_epcis_subscriptions_agency_id_agencies")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_epcis_subscriptions")),
    )
    op.create_index(
        "ix_epcis_subscriptions_query", "epcis_subscriptions", ["agency_id", "query_name"]
    )
    op.create_index(
        "ix_epcis_subscriptions_due", "epcis_subscriptions", ["deleted_at_us", "next_run_us"]
    )
    op.execute(
        "INSERT INTO projection_positions (name, position) "
        "SELECT 'epcis_subscriptions', size FROM log_head"
    )


def downgrade() -> None:
    op.execute("DELETE FROM projection_positions WHERE name = 'epcis_subscriptions'")
    op.drop_index("ix_epcis_subscriptions_due", table_name="epcis_subscriptions")
    op.drop_index("ix_epcis_subscriptions_query", table_name="epcis_subscriptions")
    op.drop_table("epcis_subscriptions")
    op.drop_table("epcis_named_queries")
