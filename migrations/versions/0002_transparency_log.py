"""Transparency log: tree nodes, log edge, log key, checkpoints, witnesses, cosignatures.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "checkpoints",
        sa.Column("size", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("root_hash", sa.LargeBinary(length=32), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("signed_at_us", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("size", name=op.f("pk_checkpoints")),
    )
    op.create_table(
        "cosignatures",
        sa.Column("size", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("witness", sa.Text(), nullable=False),
        sa.Column("line", sa.Text(), nullable=False),
        sa.Column("cosigned_at", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("size", "witness", name=op.f("pk_cosignatures")),
    )
    op.create_table(
        "log_keys",
        sa.Column("key_id", sa.String(length=8), nullable=False),
        sa.Column("origin", sa.Text(), nullable=False),
        sa.Column("public_key", sa.LargeBinary(length=32), nullable=False),
        sa.Column("sealed_private_key", sa.LargeBinary(), nullable=False),
        sa.Column("created_at_us", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("key_id", name=op.f("pk_log_keys")),
    )
    op.create_table(
        "merkle_nodes",
        sa.Column("level", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("idx", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("hash", sa.LargeBinary(length=32), nullable=False),
        sa.PrimaryKeyConstraint("level", "idx", name=op.f("pk_merkle_nodes")),
    )
    op.create_table(
        "witnesses",
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("verifier_key", sa.Text(), nullable=False),
        sa.Column("added_at_us", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_witnesses")),
    )
    with op.batch_alter_table("log_head", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("edge", sa.LargeBinary(), server_default=sa.text("('')"), nullable=False)
        )
    # An index, not a constraint: SQLite would rebuild the table (and drop its triggers).
    op.create_index("uq_records_statement_hash", "records", ["statement_hash"], unique=True)
    _build_tree_of_existing_records()


def _build_tree_of_existing_records() -> None:
    """A ledger that already has records gets their tree, exactly as appends would build it."""
    from trace.domain.compact_range import append_leaf, pack

    bind = op.get_bind()
    edge: list[bytes] = []
    nodes = []
    size = 0
    rows = bind.execute(sa.text("SELECT record_hash FROM records ORDER BY position"))
    for (leaf,) in rows:
        edge, finished = append_leaf(edge, size, bytes(leaf))
        nodes.extend({"level": n.level, "idx": n.index, "hash": n.hash} for n in finished)
        size += 1
    if nodes:
        bind.execute(
            sa.text("INSERT INTO merkle_nodes (level, idx, hash) VALUES (:level, :idx, :hash)"),
            nodes,
        )
    bind.execute(
        sa.text("UPDATE log_head SET edge = :edge WHERE id = 1 AND size = :size"),
        {"edge": pack(edge), "size": size},
    )


def downgrade() -> None:
    op.drop_index("uq_records_statement_hash", table_name="records")
    with op.batch_alter_table("log_head", schema=None) as batch_op:
        batch_op.drop_column("edge")

    op.drop_table("witnesses")
    op.drop_table("merkle_nodes")
    op.drop_table("log_keys")
    op.drop_table("cosignatures")
    op.drop_table("checkpoints")
