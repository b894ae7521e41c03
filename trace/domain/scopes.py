"""What a bearer token may do for its agency: its scopes.

An agency's people act through tokens; a token carries scopes (RFC 6749 §3.3 names them
that way), and a request needs the scope of what it does:

- ``record``: append statements for the agency, of every kind;
- ``recall``: append ``recalled`` records only (an authority's inspector who issues recalls
  and records nothing else);
- ``inspect``: the inspectors' queries (search, history, genealogy, recall reach, EPCIS query),
  each written to the inspectors' audit trail;
- ``admin``: manage the agency's keys and tokens (the operator's: every agency's).

Scopes narrow what a token may do; they never widen what its agency may do, which the
rules decide (trace/domain/rules.py): an agency holds only the scopes its kind can use.
An *inspector token* holds ``inspect`` (and ``recall`` for an authority's inspector) without
``record``: it can read everything inspectors read and write no production event.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from enum import StrEnum
from types import MappingProxyType

from trace.domain.agency import AgencyKind
from trace.domain.errors import DomainError
from trace.domain.kinds import EventKind
from trace.domain.texts import N_


class Scope(StrEnum):
    """One thing a token may do for its agency."""

    RECORD = "record"
    RECALL = "recall"
    INSPECT = "inspect"
    ADMIN = "admin"


ALL_SCOPES = frozenset(Scope)
_EVERY_AGENCY = frozenset({Scope.RECORD, Scope.ADMIN})

# The scopes a token of each agency kind may hold: recalls are an authority's (rules.py),
# inspection belongs to authorities, certifiers and the operator. A token made without a
# list of scopes gets all of its kind's, as every token had before scopes existed.
ALLOWED: Mapping[AgencyKind, frozenset[Scope]] = MappingProxyType(
    {
        AgencyKind.PRODUCER: _EVERY_AGENCY,
        AgencyKind.PROCESSOR: _EVERY_AGENCY,
        AgencyKind.DISTRIBUTOR: _EVERY_AGENCY,
        AgencyKind.AUTHORITY: ALL_SCOPES,
        AgencyKind.CERTIFIER: _EVERY_AGENCY | {Scope.INSPECT},
        AgencyKind.OPERATOR: _EVERY_AGENCY | {Scope.INSPECT},
    }
)


class ScopeNotAllowed(DomainError):
    """A token was asked for with no scope, or with one its agency's kind cannot hold."""

    code = "scope_not_allowed"
    words = N_("A token cannot have these scopes: {detail}")
    variants = MappingProxyType(
        {
            "empty": N_("A token needs at least one scope (record, recall, inspect, admin)."),
            "unknown": N_(
                "'{scopes}' names a scope that does not exist; the scopes "
                "are: record, recall, inspect, admin."
            ),
            "kind": N_(
                "An agency of kind {agency_kind} cannot hold the scopes "
                "{scopes}; it may hold: {allowed}."
            ),
        }
    )


def scope_to_append(kind: str) -> Scope:
    """The scope named for appending ``kind``: ``recall`` for recalls and the issuing
    authority's later steps (holders notified, closed), else ``record``.

    ``record`` grants recalls too (see :func:`missing_to_append`).
    """
    return Scope.RECALL if kind in _RECALL_KINDS else Scope.RECORD


_RECALL_KINDS = frozenset({EventKind.RECALLED, EventKind.RECALL_NOTIFIED, EventKind.RECALL_CLOSED})


def missing_to_append(kind: str, held: frozenset[Scope]) -> Scope | None:
    """The scope a token holding ``held`` lacks to append a statement of ``kind``, or None."""
    needed = scope_to_append(kind)
    return None if Scope.RECORD in held or needed in held else needed


def token_scopes(kind: AgencyKind, asked: Iterable[Scope] | None) -> frozenset[Scope]:
    """The scopes of a new token of an agency of ``kind``: ``asked``, or all its kind allows.

    Raises :class:`ScopeNotAllowed` for an empty list or a scope the kind cannot hold.
    """
    if asked is None:
        return ALLOWED[kind]
    scopes = frozenset(asked)
    if not scopes:
        raise ScopeNotAllowed("a token needs at least one scope", reason="empty")
    refused = sorted(scopes - ALLOWED[kind])
    if refused:
        raise ScopeNotAllowed(
            f"an agency of kind {kind.value} cannot hold the scopes {', '.join(refused)}",
            reason="kind",
            scopes=", ".join(refused),
            agency_kind=kind.value,
            allowed=", ".join(sorted(ALLOWED[kind])),
        )
    return scopes


def format_scopes(scopes: Iterable[Scope]) -> str:
    """Scopes as stored: names in alphabetical order, separated by single spaces."""
    return " ".join(sorted(scopes))


def parse_scopes(text: str) -> frozenset[Scope]:
    """The scopes of a stored list; names this version does not know grant nothing."""
    known = {scope.value for scope in Scope}
    return frozenset(Scope(name) for name in text.split() if name in known)
