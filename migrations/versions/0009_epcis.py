"""Issue 6: the "epcis" projection (events and their identifiers) and EPCIS capture jobs.

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

_EVENT_INDEXES = (
    "event_id",
    "captured_id",
    "event_time_us",
    "record_time_us",
    "biz_step",
    "disposition",
    "biz_location",
)


def upgrade() -> None:
    op.create_table(
        "epcis_events",
        sa.Column("position", sa.BigInteger(), nullable=False),
        sa.Column("event_id", sa.String(length=100), nullable=False),
        sa.Column("captured_id", sa.Text(), nullable=True),
        sa.Column("event_type", sa.String(length=32), nullable=False),
        sa.Column("action", sa.String(length=8), nullable=True),
        sa.Column("event_time_us", sa.BigInteger(), nullable=False),
        sa.Column("record_time_us", sa.BigInteger(), nullable=False),
        sa.Column("biz_step", sa.Text(), nullable=True),
        sa.Column("disposition", sa.Text(), nullable=True),
        sa.Column("read_point", sa.Text(), nullable=True),
        sa.Column("biz_location", sa.Text(), nullable=True),
        sa.Column("declaration", sa.Text(), nullable=True),
        sa.Column("batch_id", sa.String(length=36), nullable=False),
        sa.Column("event", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("position", name=op.f("pk_epcis_events")),
    )
    for column in _EVENT_INDEXES:
        op.create_index(f"ix_epcis_events_{column}", "epcis_events", [column])
    op.create_table(
        "epcis_identifiers",
        sa.Column("position", sa.BigInteger(), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("identifier", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint(
            "position", "role", "identifier", name=op.f("pk_epcis_identifiers")
        ),
    )
    op.create_index("ix_epcis_identifiers_identifier", "epcis_identifiers", ["identifier", "role"])
    op.create_table(
        "epcis_capture_jobs",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("agency_id", sa.String(length=36), nullable=False),
        sa.Column("behaviour", sa.String(length=8), nullable=False),
        sa.Column("created_at_us", sa.BigInteger(), nullable=False),
        sa.Column("finished_at_us", sa.BigInteger(), nullable=False),
        sa.Column("success", sa.Boolean(), nullable=False),
        sa.Column("event_ids", sa.Text(), nullable=False),
        sa.Column("errors", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_epcis_capture_jobs")),
    )
    op.create_index("ix_epcis_capture_jobs_agency_id", "epcis_capture_jobs", ["agency_id"])


def downgrade() -> None:
    op.drop_index("ix_epcis_capture_jobs_agency_id", table_name="epcis_capture_jobs")
    op.drop_table("epcis_capture_jobs")
    op.drop_index("ix_epcis_identifiers_identifier", table_name="epcis_identifiers")
    op.drop_table("epcis_identifiers")
    for column in reversed(_EVENT_INDEXES):
        op.drop_index(f"ix_epcis_events_{column}", table_name="epcis_events")
    op.drop_table("epcis_events")
