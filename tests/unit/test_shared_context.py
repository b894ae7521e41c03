"""Captured events' contexts move up into the document's, unless a prefix would mean two things."""

from __future__ import annotations

import json

from trace.epcis.export import CONTEXT
from trace.epcis.shared_context import shared_context


def _event(context: object) -> str:
    return json.dumps({"@context": context, "type": "ObjectEvent", "ext:grade": "A"})


def test_contexts_are_hoisted_and_a_clashing_one_stays_on_its_event() -> None:
    mine = [{"ext": "https://example.vn/ext/"}]
    theirs = [{"ext": "https://other.example/ext/"}]
    plain = json.dumps({"type": "ObjectEvent", "quantity": 1.50})
    context, written = shared_context([_event(mine), plain, _event(mine), _event(theirs)])
    assert context == [CONTEXT[0], {**CONTEXT[1], "ext": "https://example.vn/ext/"}]
    events = [json.loads(bytes(raw)) for raw in written]
    assert ["@context" in event for event in events] == [False, False, False, True]
    assert events[3]["@context"] == theirs
    assert bytes(written[1]) == plain.encode()  # an event without a context is left as written


def test_a_context_kept_before_contexts_were_checked_is_not_hoisted() -> None:
    hostile = [{"cbvmda": "http://example.com/cbvmda/"}]
    context, written = shared_context([_event(hostile)])
    assert context == list(CONTEXT)
    assert json.loads(bytes(written[0]))["@context"] == hostile
