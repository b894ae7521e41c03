"""Issue 17: master data, an agency's locations by GLN and products by GTIN, with names.

Pages show the names, so a change of master data changes the pages: on PostgreSQL each
write to the two tables notifies ``trace_log_state`` as the log does (migration 0005's
function; trace/store/page_reads.py reads the newest change into the pages' state).

Revision ID: 0018
Revises: 0017
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None

# (trigger, table)
TRIGGERS = (
    ("master_locations_notify", "master_locations"),
    ("master_products_notify", "master_products"),
)


def upgrade() -> None:
    op.create_table(
        "master_locations",
        sa.Column("gln", sa.String(length=13), nullable=False),
        sa.Column("agency_id", sa.String(length=36), nullable=False),
        sa.Column("name_vi", sa.Text(), nullable=False),
        sa.Column("name_en", sa.Text(), nullable=False),
        sa.Column("address", sa.Text(), nullable=False),
        sa.Column("province", sa.String(length=2), nullable=False),
        sa.Column("commune", sa.String(length=5), nullable=True),
        sa.Column("latitude", sa.Float(), nullable=True),
        sa.Column("longitude", sa.Float(), nullable=True),
        sa.Column("updated_at_us", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["agency_id"], ["agencies.id"], name=op.f("fk_master_locations_agency_id_agencies")
        ),
        sa.PrimaryKeyConstraint("gln", name=op.f("pk_master_locations")),
    )
    op.create_index("ix_master_locations_agency_id", "master_locations", ["agency_id"])
    op.create_table(
        "master_products",
        sa.Column("gtin", sa.String(length=14), nullable=False),
        sa.Column("agency_id", sa.String(length=36), nullable=False),
        sa.Column("name_vi", sa.Text(), nullable=False),
        sa.Column("name_en", sa.Text(), nullable=False),
        sa.Column("updated_at_us", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["agency_id"], ["agencies.id"], name=op.f("fk_master_products_agency_id_agencies")
        ),
        sa.PrimaryKeyConstraint("gtin", name=op.f("pk_master_products")),
    )
    op.create_index("ix_master_products_agency_id", "master_products", ["agency_id"])
    if op.get_bind().dialect.name == "postgresql":
        for name, table in TRIGGERS:
            op.execute(
                f"CREATE TRIGGER {name} AFTER INSERT OR UPDATE ON {table} "
                "FOR EACH STATEMENT EXECUTE FUNCTION trace_log_state_changed()"
            )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for name, table in TRIGGERS:
            op.execute(f"DROP TRIGGER {name} ON {table}")
    op.drop_index("ix_master_products_agency_id", table_name="master_products")
    op.drop_table("master_products")
    op.drop_index("ix_master_locations_agency_id", table_name="master_locations")
    op.drop_table("master_locations")
