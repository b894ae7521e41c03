"""Token scopes: what each agency kind may hold, and what appending each kind needs."""

from __future__ import annotations

import pytest

from trace.domain.agency import AgencyKind
from trace.domain.kinds import EventKind
from trace.domain.scopes import (
    ALLOWED,
    Scope,
    ScopeNotAllowed,
    format_scopes,
    missing_to_append,
    parse_scopes,
    token_scopes,
)


def test_a_token_without_scopes_gets_all_of_its_kinds() -> None:
    assert token_scopes(AgencyKind.PRODUCER, None) == {Scope.RECORD, Scope.ADMIN}
    assert token_scopes(AgencyKind.AUTHORITY, None) == set(Scope)
    assert Scope.INSPECT in token_scopes(AgencyKind.CERTIFIER, None)
    assert Scope.RECALL not in token_scopes(AgencyKind.CERTIFIER, None)


def test_scopes_a_kind_cannot_hold_are_refused_by_name() -> None:
    with pytest.raises(ScopeNotAllowed) as refused:
        token_scopes(AgencyKind.DISTRIBUTOR, [Scope.RECORD, Scope.INSPECT, Scope.RECALL])
    assert refused.value.params["scopes"] == "inspect, recall"
    with pytest.raises(ScopeNotAllowed):
        token_scopes(AgencyKind.AUTHORITY, [])
    assert token_scopes(AgencyKind.AUTHORITY, [Scope.INSPECT]) == {Scope.INSPECT}


_RECALL_STEPS = {EventKind.RECALLED, EventKind.RECALL_NOTIFIED, EventKind.RECALL_CLOSED}


@pytest.mark.parametrize("kind", list(EventKind))
def test_record_grants_every_kind_and_recall_only_the_authoritys_recall_steps(
    kind: EventKind,
) -> None:
    assert missing_to_append(kind, frozenset({Scope.RECORD})) is None
    recall_only = missing_to_append(kind, frozenset({Scope.RECALL, Scope.INSPECT}))
    assert recall_only is (None if kind in _RECALL_STEPS else Scope.RECORD)
    inspect_only = missing_to_append(kind, frozenset({Scope.INSPECT, Scope.ADMIN}))
    assert inspect_only is (Scope.RECALL if kind in _RECALL_STEPS else Scope.RECORD)


def test_stored_scopes_read_back_and_unknown_names_grant_nothing() -> None:
    for kind in AgencyKind:
        assert parse_scopes(format_scopes(ALLOWED[kind])) == ALLOWED[kind]
    assert format_scopes([Scope.RECORD, Scope.ADMIN]) == "admin record"
    assert parse_scopes("inspect root  record") == {Scope.INSPECT, Scope.RECORD}
