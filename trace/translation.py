"""The texts a person reads, in their language: gettext catalogues managed with Babel.

Texts are written in English where they are used, marked for extraction (``N_``,
``say``, ``say_n``, ``both``; ``_`` and ``ngettext`` in templates), and extracted by
``pybabel extract`` (babel.cfg) into ``locale/messages.pot``. Each language has its
catalogue, ``locale/<lang>/LC_MESSAGES/messages.po``, which translators edit with their own
tools (Poedit, Weblate). A catalogue is compiled in memory the first time its language is
asked for, with Babel, and kept for the life of the process: there is no compile step.

A language is served when its catalogue exists: adding one is adding its ``.po`` file
(``pybabel init``), with no change of code. Vietnamese is the default and the language
of a request that asks for none the service has. ``TRACE_LOCALE_DIR`` names another folder
of catalogues (tests use it to add a language).

Placeholders are ``{name}``, filled with ``str.format`` after translation; a placeholder
given no value shows as ``?`` rather than failing.
"""

from __future__ import annotations

import gettext
import os
from collections.abc import Mapping
from functools import cache
from io import BytesIO
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

DEFAULT_LANGUAGE = "vi"
DOMAIN = "messages"
LOCALE_DIR = Path(__file__).resolve().parents[1] / "locale"


def locale_dir() -> Path:
    """Where the catalogues are: ``TRACE_LOCALE_DIR``, else the project's ``locale/``."""
    return Path(os.environ.get("TRACE_LOCALE_DIR") or LOCALE_DIR)


@cache
def languages() -> tuple[str, ...]:
    """The languages that have a catalogue, Vietnamese first."""
    found = {path.parents[1].name for path in locale_dir().glob(f"*/LC_MESSAGES/{DOMAIN}.po")}
    return (DEFAULT_LANGUAGE, *sorted(found - {DEFAULT_LANGUAGE}))


@cache
def catalogue(lang: str) -> gettext.NullTranslations:
    """The compiled catalogue of ``lang`` (Vietnamese's for a language the service lacks)."""
    if lang not in languages():
        lang = DEFAULT_LANGUAGE
    path = locale_dir() / lang / "LC_MESSAGES" / f"{DOMAIN}.po"
    if not path.exists():
        return gettext.NullTranslations()
    with path.open("rb") as source:
        entries = read_po(source, locale=lang, domain=DOMAIN)
    compiled = BytesIO()
    write_mo(compiled, entries, use_fuzzy=False)
    compiled.seek(0)
    return gettext.GNUTranslations(compiled)


class _Defaults(dict[str, object]):
    def __missing__(self, key: str) -> str:
        return "?"


def fill(text: str, params: Mapping[str, object]) -> str:
    """``text`` with its ``{name}`` placeholders filled from ``params``; a text that is not a
    template (a brace of its own) as it is."""
    try:
        return text.format_map(_Defaults(params))
    except (ValueError, IndexError, AttributeError):
        return text


def say(msgid: str, lang: str = DEFAULT_LANGUAGE, /, **params: object) -> str:
    """The text ``msgid`` (English, as written in the code) in ``lang``, filled with ``params``."""
    return fill(catalogue(lang).gettext(msgid), params)


def say_n(
    singular: str, plural: str, count: int, lang: str = DEFAULT_LANGUAGE, /, **params: object
) -> str:
    """The text for ``count`` things in ``lang``, in the plural form its language gives it."""
    return fill(catalogue(lang).ngettext(singular, plural, count), {"count": count, **params})


def both(msgid: str, /, **params: object) -> str:
    """Vietnamese then English on two lines, for output that cannot know its reader."""
    return f"{say(msgid, 'vi', **params)}\n{say(msgid, 'en', **params)}"


def chosen(asked: object, accept_language: str | None) -> str:
    """The language a request asks for by name (``?lang=``), if the service has it, else by
    its Accept-Language header."""
    return asked if isinstance(asked, str) and asked in languages() else negotiate(accept_language)


def negotiate(accept_language: str | None) -> str:
    """The best of ``languages()`` for an Accept-Language header (RFC 9110 §12.5.4);
    Vietnamese when it names none of them."""
    if not accept_language:
        return DEFAULT_LANGUAGE
    offered = languages()
    best, best_q = DEFAULT_LANGUAGE, -1.0
    for part in accept_language.split(","):
        pieces = part.strip().split(";")
        tag = pieces[0].strip().lower().replace("_", "-").split("-")[0]
        q = 1.0
        for param in pieces[1:]:
            name, _, value = param.strip().partition("=")
            if name == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        if tag in offered and q > best_q:
            best, best_q = tag, q
    return best
