"""Contexts a capture may keep: none that redefines or clears a protected EPCIS 2.0 term."""

from __future__ import annotations

from typing import Any

import pytest

from trace.epcis.contexts import ProtectedTermRedefined, check_contexts

STANDARD = "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"


@pytest.mark.parametrize(
    "context",
    [
        STANDARD,
        [STANDARD, {"ext": "https://example.vn/ext/"}],
        # The same IRI again is the same definition, which JSON-LD allows.
        [STANDARD, {"cbvmda": "urn:epcglobal:cbv:mda:", "gs1": "https://gs1.org/voc/"}],
    ],
)
def test_a_context_that_adds_its_own_terms_is_kept(context: Any) -> None:
    check_contexts({"@context": context}, [{"type": "ObjectEvent", "@context": context}])


@pytest.mark.parametrize(
    ("context", "term"),
    [
        ([STANDARD, {"cbvmda": "http://example.com/cbvmda/"}], "cbvmda"),
        ([STANDARD, {"bizStep": {"@id": "https://example.vn/step"}}], "bizStep"),
        ([STANDARD, None], "null"),
    ],
)
def test_a_context_that_redefines_or_clears_a_protected_term_is_refused(
    context: Any, term: str
) -> None:
    with pytest.raises(ProtectedTermRedefined) as refused:
        check_contexts({"@context": STANDARD}, [{"type": "ObjectEvent", "@context": context}])
    assert refused.value.params == {"where": "$.epcisBody.eventList[0].@context", "term": term}
