"""A recall's severity in words, as the command line, the CSV and the PDF say it.

``class_1`` is "Class 1: may cause serious harm" (trace.domain.kinds.SEVERITY_NAMES), and a
document an officer files says in a sentence what each class means.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from trace.domain.kinds import SEVERITY_NAMES, Severity
from trace.domain.texts import N_
from trace.translation import say

SEVERITY_WORDS = N_("Class {number}: {meaning}")
# What each class means, in a sentence (the classes of trace.domain.kinds.Severity).
SEVERITY_MEANINGS: Mapping[str, str] = MappingProxyType(
    {
        Severity.CLASS_1: N_("Eating the product may cause serious harm to health or death."),
        Severity.CLASS_2: N_("Eating the product may cause temporary or reversible harm."),
        Severity.CLASS_3: N_(
            "The product is unlikely to harm health but breaks a food safety rule or its label."
        ),
    }
)


def severity_words(severity: str, lang: str) -> str:
    """``class_1`` as "Class 1: may cause serious harm", in ``lang``."""
    meaning = SEVERITY_NAMES.get(severity)
    if meaning is None:
        return severity
    return say(SEVERITY_WORDS, lang, number=severity.rpartition("_")[2], meaning=say(meaning, lang))
