"""Named queries of the EPCIS 2.0 REST binding: ``POST /queries`` and the views it makes.

A named query (EPCIS 2.0 section 12, the REST binding's ``/queries``) is a SimpleEventQuery
kept under a name, so that its events can be read again (``/queries/{name}/events``) and
subscribed to (trace/epcis/subscriptions.py). Here it is kept per agency: each agency has
its own names, and only inspectors may make one, as only they may query ``/events``.

Its parameters are exactly those ``GET /events`` takes (trace/epcis/query.py), written as
the binding's JSON body writes them: a string, or a list of strings for several values.
They are checked when the query is made, by the same code that checks ``/events``, so an
unknown or malformed parameter is refused then, not at each later read or push. The page
parameters (``perPage``, ``nextPageToken``) belong to each read, not to the query.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

import msgspec
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from trace.domain.errors import DomainError
from trace.domain.record import now_us
from trace.domain.texts import N_
from trace.epcis.query import EventQuery, parse_query
from trace.store.database import Reads, read_transaction, write_transaction
from trace.store.ledger import Ledger
from trace.store.tables import epcis_named_queries

NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,63}$"
MAX_QUERIES = 100
PAGING = frozenset({"perPage", "nextPageToken"})
_NAME = re.compile(NAME_PATTERN)

Parameters = dict[str, list[str]]


class UnknownNamedQuery(DomainError):
    """The agency has no named query of this name."""

    code = "epcis_unknown_query"
    words = N_("Your agency has no EPCIS query named {name}. GET /epcis/queries lists them.")


class NamedQueryExists(DomainError):
    """The agency already has a named query of this name."""

    code = "epcis_query_exists"
    words = N_(
        "Your agency already has an EPCIS query named {name}: choose another name, "
        "or delete that query first."
    )


class InvalidNamedQuery(DomainError):
    """The body of ``POST /queries`` cannot make a named query."""

    code = "epcis_invalid_query"
    words = N_("This query cannot be saved: {detail}")
    variants = MappingProxyType(
        {
            "name": N_(
                "A query's name is 1 to 64 letters, digits, '_', '.' or '-', "
                "starting with a letter or digit."
            ),
            "value": N_(
                "The value of {field} must be a string or a list of strings; several "
                "values may also be written a|b."
            ),
            "paging": N_(
                "{field} belongs to each read of a query's events "
                "(GET /epcis/queries/{{name}}/events), not to the query."
            ),
            "too_many": N_(
                "An agency has at most {limit} named queries; delete one it no longer uses first."
            ),
        }
    )


@dataclass(frozen=True, slots=True)
class NamedQuery:
    """A query an agency saved under a name, with its checked parameters."""

    agency_id: str
    name: str
    parameters: Parameters
    created_at_us: int

    def definition(self) -> dict[str, Any]:
        """The query as the binding writes it: ``{"name": ..., "query": {...}}``."""
        query = {k: v[0] if len(v) == 1 else v for k, v in self.parameters.items()}
        return {"name": self.name, "query": query}

    def event_query(self, paging: Mapping[str, list[str]] | None = None) -> EventQuery:
        """The query, checked, with a read's page parameters if given."""
        return parse_query({**self.parameters, **(paging or {})})


def check_name(name: str) -> str:
    """``name`` if a query may have it; :class:`InvalidNamedQuery` otherwise."""
    if not _NAME.fullmatch(name):
        raise InvalidNamedQuery(f"{name!r} is not a query name", rule="name")
    return name


def check_parameters(query: Mapping[str, Any]) -> Parameters:
    """The query's parameters as lists of strings, checked as ``GET /events`` checks them."""
    parameters: Parameters = {}
    for field, value in query.items():
        if field in PAGING:
            raise InvalidNamedQuery(f"{field} is a page parameter", rule="paging", field=field)
        values = [value] if isinstance(value, str) else value
        if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
            raise InvalidNamedQuery(f"{field} is not text", rule="value", field=field)
        parameters[field] = list(values)
    parse_query(parameters)  # refuses what /events refuses, with the same problem
    return parameters


def _of(row: Any) -> NamedQuery:
    parameters = msgspec.json.decode(row.parameters, type=Parameters)
    return NamedQuery(row.agency_id, row.name, parameters, row.created_at_us)


async def create_query(
    ledger: Ledger, agency_id: str, name: str, query: Mapping[str, Any]
) -> NamedQuery:
    """Save ``query`` as the agency's query ``name``; refuse a name it already uses."""
    saved = NamedQuery(agency_id, check_name(name), check_parameters(query), now_us())
    async with write_transaction(ledger.engine) as conn:
        count = await conn.execute(
            select(epcis_named_queries.c.name).where(epcis_named_queries.c.agency_id == agency_id)
        )
        if len(count.all()) >= MAX_QUERIES:
            raise InvalidNamedQuery("too many queries", rule="too_many", limit=MAX_QUERIES)
        if await _find(conn, agency_id, name) is not None:
            raise NamedQueryExists(f"query {name} exists", name=name)
        try:
            async with conn.begin_nested():
                await conn.execute(
                    epcis_named_queries.insert().values(
                        agency_id=agency_id,
                        name=name,
                        parameters=msgspec.json.encode(saved.parameters).decode(),
                        created_at_us=saved.created_at_us,
                    )
                )
        except IntegrityError:  # made at the same moment by another request
            raise NamedQueryExists(f"query {name} exists", name=name) from None
    return saved


async def list_queries(ledger: Ledger, agency_id: str) -> list[NamedQuery]:
    """The agency's named queries, by name."""
    async with read_transaction(ledger.engine) as conn:
        rows = await conn.execute(
            select(epcis_named_queries)
            .where(epcis_named_queries.c.agency_id == agency_id)
            .order_by(epcis_named_queries.c.name)
        )
        return [_of(row) for row in rows]


async def _find(conn: Reads, agency_id: str, name: str) -> NamedQuery | None:
    row = (
        await conn.execute(
            select(epcis_named_queries).where(
                epcis_named_queries.c.agency_id == agency_id, epcis_named_queries.c.name == name
            )
        )
    ).first()
    return None if row is None else _of(row)


async def find_query(conn: Reads, agency_id: str, name: str) -> NamedQuery:
    """The agency's query ``name``; :class:`UnknownNamedQuery` if it has none."""
    found = await _find(conn, agency_id, name)
    if found is None:
        raise UnknownNamedQuery(f"no query {name}", name=name)
    return found


async def load_query(ledger: Ledger, agency_id: str, name: str) -> NamedQuery:
    """:func:`find_query` in a read transaction of its own."""
    async with read_transaction(ledger.engine) as conn:
        return await find_query(conn, agency_id, name)
