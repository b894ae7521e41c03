"""Failures of label making; each names its catalogue message by ``code``."""

from __future__ import annotations

from types import MappingProxyType

from trace.domain.errors import DomainError
from trace.domain.texts import N_


class LabelDoesNotFit(DomainError):
    """The label's symbol or text does not fit the template at legible sizes.

    ``what`` is ``symbol`` (the URL needs a QR version too large for the label)
    or ``text`` (the text needs a size below the minimum); nothing is cut off.
    """

    code = "label_does_not_fit"
    words = N_(
        "The label does not fit template {template}: {detail}. Choose a larger "
        "template (list: GET /api/v1/label-templates) or shorten the product "
        "name."
    )
    variants = MappingProxyType(
        {
            "symbol": N_(
                "Template {template} is too small for a version {version} QR "
                "symbol with 0.396 mm modules. Choose a larger template or a "
                "shorter TRACE_PUBLIC_URL."
            ),
            "text": N_(
                "The label text does not fit template {template} at the "
                "{minimum} pt minimum, and nothing is cut off. Choose a "
                "larger template (for example a4-3x8 or roll-50x30-203)."
            ),
        }
    )


class LabelRequestInvalid(DomainError):
    """A label request names an unknown template or format, or a count out of range."""

    code = "label_request_invalid"
    words = N_("The label request is not valid: {detail}")
    variants = MappingProxyType(
        {
            "template": N_("There is no label template '{value}'. The templates: {accepted}."),
            "format": N_("There is no label format '{value}'. The formats: {accepted}."),
            "count": N_("The number of labels must be from 1 to {maximum}, not {value}."),
            "one_page": N_(
                "A {format} file holds one page of {template} labels ({per_page} to a page). Ask "
                "for a PDF to get {value}."
            ),
            "gtin": N_(
                "Serialised labels need the batch's GTIN, which their QR codes carry with the "
                "serial. Register the batch with its GTIN."
            ),
        }
    )
