"""Failures of label making; each names its catalogue message by ``code``."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from trace.domain.errors import DomainError
from trace.domain.texts import N_


class LabelDoesNotFit(DomainError):
    """The label's symbol or text does not fit the template at legible sizes.

    ``what`` is ``symbol`` (the URL needs a QR version too large for the label)
    or ``text`` (the text needs a size below the minimum); nothing is cut off. A
    text refused because one word (``value``) is wider than a line even at the
    minimum size has ``reason`` ``word`` and names the fact holding it in
    ``field``: ``product``, ``producer``, ``origin``, ``lot`` or ``dates``.
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
            "word": N_(
                "The word “{value}” is wider than a line of template {template} even at the "
                "{minimum} pt minimum, and a label never breaks a word. Choose a larger template "
                "(for example a4-3x8) or a shorter text."
            ),
            "word_product": N_(
                "The word “{value}” of the product name is wider than a line of template "
                "{template} even at the {minimum} pt minimum, and a label never breaks a word. "
                "Choose a larger template (for example a4-3x8) or correct the product name "
                "to a shorter one."
            ),
            "word_producer": N_(
                "The word “{value}” of the producer's name is wider than a line of template "
                "{template} even at the {minimum} pt minimum, and a label never breaks a word. "
                "Choose a larger template (for example a4-3x8) or shorten the producer's name."
            ),
            "word_origin": N_(
                "The word “{value}” of the origin is wider than a line of template {template} "
                "even at the {minimum} pt minimum, and a label never breaks a word. Choose a "
                "larger template (for example a4-3x8)."
            ),
            "word_lot": N_(
                "The word “{value}” of the lot or quantity is wider than a line of template "
                "{template} even at the {minimum} pt minimum, and a label never breaks a word. "
                "Choose a larger template (for example a4-3x8); a later batch may take a shorter "
                "lot code."
            ),
        }
    )

    @classmethod
    def words_for(cls, params: Mapping[str, object]) -> str:
        """A word too wide is worded for the fact it belongs to, where that has words."""
        if params.get("reason") == "word":
            found = cls.variants.get(f"word_{params.get('field')}")
            if found is not None:
                return found
        return super().words_for(params)


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
