"""A failure in the reader's language: its words, then each mistake it found, field by field.

Used by the API's problem+json answers and by the command line, so that a person reads the
same sentences wherever a request of theirs is refused.
"""

from __future__ import annotations

from collections.abc import Sequence

from trace.domain.errors import DomainError, FieldProblem
from trace.domain.validation import field_words
from trace.translation import say

# Parameters whose values are words themselves (a form, a kind of value), to translate too.
_WORDED = ("form", "expected")


def field_name(path: str, lang: str) -> str:
    """The field at ``path`` as a form names it (``Quantity › Unit``), in ``lang``."""
    named = []
    for step in field_words(path):
        text = say(step.words, lang) if step.named else step.words
        named.append(text if step.item is None else f"{text} #{step.item}")
    return " › ".join(named) or path


def choices_text(accepted: Sequence[tuple[str, str]], lang: str) -> str:
    """The values of a choice, each followed by its name in ``lang`` where it has one:
    ``KGM (kg), GRM (g), …``."""
    return ", ".join(
        f"{value} ({say(words, lang)})" if words else value for value, words in accepted
    )


def problem_params(problem: FieldProblem, lang: str) -> dict[str, object]:
    """The values that fill a mistake's words in ``lang``: the field named, worded values
    translated, the values of a choice listed with their names."""
    params: dict[str, object] = dict(problem.params)
    for name in _WORDED:
        value = params.get(name)
        if isinstance(value, str):
            params[name] = say(value, lang)
    accepted = params.get("accepted")
    if isinstance(accepted, tuple):
        params["accepted"] = choices_text(accepted, lang)
    params["field"] = field_name(problem.path, lang)
    return params


def problem_text(problem: FieldProblem, lang: str) -> str:
    """One mistake in ``lang``: ``Quantity › Unit must be one of: KGM, GRM…``."""
    return say(problem.words, lang, **problem_params(problem, lang))


def failure_text(failure: DomainError, lang: str) -> str:
    """A failure in ``lang``: its own words, then its mistakes, each on a line of its own."""
    filled = {"detail": failure.detail, **failure.params}
    lines = [say(failure.words_for(failure.params), lang, **filled)]
    lines += [f"- {problem_text(problem, lang)}" for problem in failure.problems]
    return "\n".join(lines)
