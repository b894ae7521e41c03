"""Issue 17: an EPC pattern in an EPCIS query reads a range of the identifiers' index.

``MATCH_anyEPCClass=urn:epc:idpat:sgtin:8936047.000001.*`` selects every identifier that
begins with the pattern's Digital Link. PostgreSQL reads a prefix from a B-tree only when
the index compares by code point: under another collation (``en_US.UTF-8`` ignores
punctuation first) the query scanned every identifier, half a second at 100,000 records
(bench/epcis.py). The index is made again with ``text_pattern_ops``, which serves equality
as before and ``LIKE 'prefix%'`` (trace/epcis/query.py). SQLite's ``GLOB`` already reads a
range of its index, which compares bytes: nothing changes there.

Revision ID: 0016
Revises: 0015
"""

from __future__ import annotations

from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

_NAME = "ix_epcis_identifiers_identifier"


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.drop_index(_NAME, table_name="epcis_identifiers")
    op.create_index(
        _NAME,
        "epcis_identifiers",
        ["identifier", "role"],
        postgresql_ops={"identifier": "text_pattern_ops"},
    )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.drop_index(_NAME, table_name="epcis_identifiers")
    op.create_index(_NAME, "epcis_identifiers", ["identifier", "role"])
