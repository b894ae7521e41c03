"""Failures of label making; each names its catalogue message by ``code``."""

from __future__ import annotations

from trace.domain.errors import DomainError


class LabelDoesNotFit(DomainError):
    """The label's symbol or text does not fit the template at legible sizes.

    ``what`` is ``symbol`` (the URL needs a QR version too large for the label)
    or ``text`` (the text needs a size below the minimum); nothing is cut off.
    """

    code = "label_does_not_fit"


class LabelRequestInvalid(DomainError):
    """A label request names an unknown template or format, or a count out of range."""

    code = "label_request_invalid"
