"""The mark of a text a person reads, for the domain, which imports no translation machinery.

``N_("…")`` returns its English text unchanged and tells ``pybabel extract`` (babel.cfg) to
put it in the catalogues (``locale/*/LC_MESSAGES/messages.po``): the text is translated
where it is shown (``trace/translation.py``), in the reader's language. English is the
source language of the catalogues; ``{name}`` placeholders are filled with
``str.format`` after translation.
"""

from __future__ import annotations


def N_(text: str) -> str:
    """``text``, marked for extraction into the catalogues (gettext's ``gettext_noop``)."""
    return text
