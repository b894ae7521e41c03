"""Issue 6: token scopes, the "search" projection's tables, the inspectors' audit trail.

Existing tokens keep working: each gets every scope its agency's kind may hold (the values of
trace/domain/scopes.py ``ALLOWED`` as this revision was written). The audit trail is
append-only: the database refuses UPDATE and DELETE on it (and TRUNCATE on PostgreSQL),
as on ``records``.

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

FULL_TEXT_INDEX = "ix_batch_search_product_words"
# Agency kind -> the scopes its existing tokens get.
SCOPES_OF_KIND = {
    "producer": "admin record",
    "processor": "admin record",
    "distributor": "admin record",
    "authority": "admin inspect recall record",
    "certifier": "admin inspect record",
    "operator": "admin inspect record",
}


def upgrade() -> None:
    _add_token_scopes()
    _create_search_tables()
    _create_audit_trail()


def _add_token_scopes() -> None:
    with op.batch_alter_table("tokens", schema=None) as batch_op:
        batch_op.add_column(sa.Column("scopes", sa.Text(), nullable=True))
    fill = sa.text(
        "UPDATE tokens SET scopes = :scopes "
        "WHERE agency_id IN (SELECT id FROM agencies WHERE kind = :kind)"
    )
    for kind, scopes in SCOPES_OF_KIND.items():
        op.execute(fill.bindparams(kind=kind, scopes=scopes))
    with op.batch_alter_table("tokens", schema=None) as batch_op:
        batch_op.alter_column("scopes", existing_type=sa.Text(), nullable=False)


def _create_search_tables() -> None:
    op.create_table(
        "batch_search",
        sa.Column("position", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("batch_id", sa.String(length=36), nullable=False),
        sa.Column("product", sa.Text(), nullable=False),
        sa.Column("product_key", sa.Text(), nullable=False),
        sa.Column("producer_id", sa.String(length=36), nullable=False),
        sa.Column("gtin", sa.String(length=14), nullable=True),
        sa.Column("lot", sa.Text(), nullable=False),
        sa.Column("province", sa.String(length=2), nullable=True),
        sa.Column("occurred_us", sa.BigInteger(), nullable=False),
        sa.Column("recorded_us", sa.BigInteger(), nullable=False),
        sa.Column("disposition", sa.String(length=16), nullable=True),
        sa.PrimaryKeyConstraint("position", name=op.f("pk_batch_search")),
        sa.UniqueConstraint("batch_id", name=op.f("uq_batch_search_batch_id")),
    )
    for name, columns in (
        ("ix_batch_search_producer_id", ["producer_id"]),
        ("ix_batch_search_gtin", ["gtin"]),
        ("ix_batch_search_lot", ["lot"]),
        ("ix_batch_search_province", ["province"]),
        ("ix_batch_search_disposition", ["disposition"]),
        ("ix_batch_search_recorded", ["recorded_us", "position"]),
        ("ix_batch_search_occurred", ["occurred_us", "position"]),
        ("ix_batch_search_product", ["product_key", "position"]),
    ):
        op.create_index(name, "batch_search", columns)
    op.create_table(
        "batch_search_words",
        sa.Column("word", sa.String(length=64), nullable=False),
        sa.Column("position", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.PrimaryKeyConstraint("word", "position", name=op.f("pk_batch_search_words")),
    )
    op.create_table(
        "batch_search_kinds",
        sa.Column("position", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.PrimaryKeyConstraint("position", "kind", name=op.f("pk_batch_search_kinds")),
    )
    op.create_index("ix_batch_search_kinds_kind", "batch_search_kinds", ["kind", "position"])
    if op.get_bind().dialect.name == "postgresql":
        # Product words on PostgreSQL (trace/search/query.py); SQLite uses batch_search_words.
        op.execute(
            f"CREATE INDEX {FULL_TEXT_INDEX} ON batch_search "
            "USING gin (to_tsvector('simple', product_key))"
        )
    op.create_table(
        "batch_search_facts",
        sa.Column("record_position", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("position", sa.BigInteger(), nullable=False),
        sa.Column("record_hash", sa.LargeBinary(length=32), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("result", sa.String(length=16), nullable=True),
        sa.Column("scheme", sa.String(length=16), nullable=True),
        sa.Column("stars", sa.Integer(), nullable=True),
        sa.Column("valid_from", sa.Date(), nullable=True),
        sa.Column("valid_until", sa.Date(), nullable=True),
        sa.Column("corrected", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("record_position", name=op.f("pk_batch_search_facts")),
        sa.UniqueConstraint("record_hash", name=op.f("uq_batch_search_facts_record_hash")),
    )
    op.create_index("ix_batch_search_facts_position", "batch_search_facts", ["position"])
    op.create_index("ix_batch_search_facts_scheme", "batch_search_facts", ["scheme", "valid_until"])


def _create_audit_trail() -> None:
    op.create_table(
        "inspector_audit",
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("at_us", sa.BigInteger(), nullable=False),
        sa.Column("agency_id", sa.String(length=36), nullable=False),
        sa.Column("token_id", sa.String(length=36), nullable=False),
        sa.Column("person", sa.Text(), nullable=False),
        sa.Column("method", sa.String(length=16), nullable=False),
        sa.Column("path", sa.Text(), nullable=False),
        sa.Column("query", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inspector_audit")),
    )
    if op.get_bind().dialect.name == "sqlite":
        for action in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER inspector_audit_no_{action.lower()} BEFORE {action} "
                "ON inspector_audit "
                "BEGIN SELECT RAISE(ABORT, 'the inspectors'' audit trail is append-only'); END"
            )
        return
    op.execute(
        "CREATE FUNCTION inspector_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS "
        "$$ BEGIN RAISE EXCEPTION 'the inspectors'' audit trail is append-only'; END $$"
    )
    op.execute(
        "CREATE TRIGGER inspector_audit_append_only BEFORE UPDATE OR DELETE ON inspector_audit "
        "FOR EACH ROW EXECUTE FUNCTION inspector_audit_append_only()"
    )
    # Row triggers do not see TRUNCATE; a statement trigger does.
    op.execute(
        "CREATE TRIGGER inspector_audit_no_truncate BEFORE TRUNCATE ON inspector_audit "
        "FOR EACH STATEMENT EXECUTE FUNCTION inspector_audit_append_only()"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TRIGGER inspector_audit_no_update")
        op.execute("DROP TRIGGER inspector_audit_no_delete")
    else:
        op.execute("DROP TRIGGER inspector_audit_no_truncate ON inspector_audit")
        op.execute("DROP TRIGGER inspector_audit_append_only ON inspector_audit")
        op.execute("DROP FUNCTION inspector_audit_append_only()")
    op.drop_table("inspector_audit")
    op.drop_index("ix_batch_search_facts_scheme", table_name="batch_search_facts")
    op.drop_index("ix_batch_search_facts_position", table_name="batch_search_facts")
    op.drop_table("batch_search_facts")
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"DROP INDEX {FULL_TEXT_INDEX}")
    op.drop_index("ix_batch_search_kinds_kind", table_name="batch_search_kinds")
    op.drop_table("batch_search_kinds")
    op.drop_table("batch_search_words")
    op.drop_table("batch_search")
    with op.batch_alter_table("tokens", schema=None) as batch_op:
        batch_op.drop_column("scopes")
