"""Integers a request may carry, bounded by the columns they are compared with.

A number above its column's range cannot be compared with it at all: SQLite's driver
refuses integers of 2^63 and more, PostgreSQL's refuses 2^31 for an ``Integer`` column
(``value out of int32 range``). Each parameter is declared once here with the range of
its column (``trace/store/tables.py``), so a request outside it gets a 400 that names
the parameter and the bound, on both databases alike, and the OpenAPI shows the bounds.

A ``BigInteger`` column holds up to 2^63 - 1, but a parameter stops at 2^53 - 1: the
largest integer every JSON reader holds exactly (RFC 7493 §2.2), as in the statements
themselves (trace/domain/canonical.py). No position or id of a log comes near it, and
a bound above it would be written in the OpenAPI as a float that rounds up past 2^63.
"""

from __future__ import annotations

from typing import Annotated

import msgspec
from litestar.params import Parameter
from sqlalchemy import BigInteger, Column, Integer

from trace.domain.canonical import MAX_SAFE_INTEGER
from trace.store.tables import batches, inspector_audit, records


def largest(column: Column[int]) -> int:
    """The largest value a request may compare with the integer ``column`` (see above)."""
    if isinstance(column.type, BigInteger):
        return MAX_SAFE_INTEGER  # below the column's 2^63 - 1
    if isinstance(column.type, Integer):
        return 2**31 - 1
    raise TypeError(f"{column} is not an integer column")


MAX_SEQ = largest(records.c.seq)
MAX_POSITION = largest(records.c.position)
MAX_VERSION = largest(batches.c.version)
MAX_AUDIT_ID = largest(inspector_audit.c.id)

# Litestar leaves a bound of 0 out of the description; it is written in again.
_FROM_ZERO = {"minimum": 0}

# Query parameters.
SeqAfter = Annotated[
    int,
    Parameter(
        ge=0, le=MAX_SEQ, schema_extra=_FROM_ZERO, description="Return records with seq > after."
    ),
]
AuditAfter = Annotated[
    int,
    Parameter(
        ge=0, le=MAX_AUDIT_ID, schema_extra=_FROM_ZERO, description="Entries with id > after."
    ),
]
Position = Annotated[
    int, Parameter(ge=0, le=MAX_POSITION, schema_extra=_FROM_ZERO, description="A log position.")
]
TreeSize = Annotated[
    int, Parameter(ge=1, le=MAX_POSITION, description="A size of the log's tree (leaves).")
]
# A consistency proof's sizes: the bound of ``from`` is checked by the handler, which says
# why a proof from the empty tree does not exist (RFC 9162 §2.1.4); the schema shows it.
OldSize = Annotated[
    int,
    Parameter(
        query="from",
        ge=0,
        le=MAX_POSITION,
        schema_extra={"minimum": 1},
        description="The older tree's size, at least 1 and at most to.",
    ),
]
NewSize = Annotated[
    int,
    Parameter(query="to", ge=1, le=MAX_POSITION, description="The newer tree's size."),
]
LeafStart = Annotated[
    int,
    Parameter(
        ge=0,
        le=MAX_POSITION,
        schema_extra=_FROM_ZERO,
        description="The first leaf (log position).",
    ),
]
LeafEnd = Annotated[
    int, Parameter(ge=1, le=MAX_POSITION, description="The leaf after the last one.")
]

# Fields of request bodies.
ExpectedVersion = Annotated[int, msgspec.Meta(ge=0, le=MAX_VERSION)]
