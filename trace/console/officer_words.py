"""The officers' screens' words: search, a batch in words, the inspection, certificate and
recall forms, the recalls and their reach (trace/console/static/officer*.js).

Marked for the catalogues like every other text of the console (trace/console/words.py
gives them to the script with the rest).
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from trace.domain.kinds import InspectionResult, IssuerLevel
from trace.domain.texts import N_

OFFICER_TEXTS: Mapping[str, str] = MappingProxyType(
    {
        "officer_app_name": N_("Trace – Inspectors"),
        "officer_menu": N_("Inspectors' menu"),
        "optional": N_("{field}, if you wish"),
        "any": N_("Any"),
        "more_filters": N_("More filters: province, dates, kind, disposition, certificates"),
        # Search.
        "officer_search": N_("Find batches"),
        "search_intro": N_(
            "Choose what you are looking for and press Search. Every filter you fill must hold."
        ),
        "search_words": N_("Product name"),
        "search_words_hint": N_(
            "With or without accents: “thoc st25” finds “Thóc ST25”. Each word begins a word "
            "of the name."
        ),
        "occurred_from": N_("Registered from (day)"),
        "occurred_to": N_("Registered until (day)"),
        "with_kind": N_("With a record of this kind"),
        "disposition": N_("Disposition"),
        "ocop_at_least": N_("OCOP stars, at least"),
        "stars_n": N_("{n} stars"),
        "certification_valid": N_("With a certificate valid today"),
        "producer_only": N_("Only the batches of one producer."),
        "search_button": N_("Search"),
        "results": N_("Batches found"),
        "found_none": N_("No batch matches every filter. Remove a filter and search again."),
        "more": N_("Show more"),
        "producer_is": N_("Producer: {producer}"),
        "province_is": N_("Province: {province}"),
        "registered_on": N_("Registered {day}"),
        "same_producer": N_("Every batch of {producer}"),
        # A batch.
        "code": N_("Code"),
        "gtin_plain": N_("GTIN"),
        "producer": N_("Producer"),
        "held_by": N_("Held by"),
        "in_transit_to": N_("In transit to"),
        "batch_recalled": N_("This batch is recalled."),
        "made_from_recalled": N_("Recalled: it was made from a recalled batch,"),
        "genealogy": N_("Where it came from and what was made of it"),
        "genealogy_none": N_("Nothing was made from this batch, and it was made from no other."),
        "made_from": N_("Made from"),
        "made_into": N_("Made into"),
        "history": N_("History, every record in full"),
        "signed_by": N_("Signed by {agency}"),
        "corrects_record": N_("Corrects record {seq}"),
        "corrected_by_record": N_("Corrected by record {seq}, {agency}, {when}:"),
        "inspection_new": N_("Record an inspection"),
        "certification_new": N_("Record a certificate"),
        "recall_new": N_("Recall this batch"),
        # The inspection form.
        "laboratory": N_("Laboratory"),
        "laboratory_hint": N_(
            "As on the test report, e.g. “Trung tâm Kiểm nghiệm Nông sản Hà Nội”."
        ),
        "samples": N_("Samples taken"),
        "sample_n": N_("Sample {n}"),
        "sample_code": N_("Sample code"),
        "sample_matrix": N_("What was sampled"),
        "sample_matrix_hint": N_("e.g. “hạt gạo”, “lá rau”."),
        "add_sample": N_("Add a sample"),
        "analytes": N_("What was measured"),
        "analyte_n": N_("Substance {n}"),
        "analyte_name": N_("Substance"),
        "analyte_name_hint": N_("e.g. Cadimi (Cd), Chlorpyrifos."),
        "analyte_value": N_("Value found"),
        "analyte_value_hint": N_(
            "A number such as 0.05, or <0.01 below what the method can measure."
        ),
        "analyte_form": N_(
            "Write a number such as 0.05, or <0.01 below what the method can measure."
        ),
        "analyte_limit": N_("Maximum limit"),
        "analyte_unit": N_("Unit of measure"),
        "analyte_unit_hint": N_("e.g. mg/kg."),
        "analyte_method": N_("Test method"),
        "analyte_method_hint": N_("e.g. TCVN 8126:2009."),
        "analyte_result": N_("Result for this substance"),
        "add_analyte": N_("Add a substance"),
        "conclusion": N_("Conclusion"),
        "inspection_result": N_("Result of the inspection"),
        "result_contradicts": N_(
            "A substance is non-conformant, so the inspection cannot be conformant."
        ),
        "certificate_number": N_("Certificate or report number"),
        "test_report_hint": N_("The number of the test report, if it has one."),
        "reference": N_("Regulation setting the limits"),
        "reference_hint": N_("e.g. QCVN 8-2:2011/BYT."),
        "remarks": N_("Remarks"),
        "inspection_save": N_("Sign and record the inspection"),
        # The certificate form.
        "certified_at": N_("Day and time of the decision"),
        "scheme": N_("Certificate"),
        "issuer": N_("Issued by"),
        "issuer_hint": N_("The body that grants it, e.g. “Ủy ban nhân dân thành phố Hà Nội”."),
        "valid_from": N_("Valid from"),
        "valid_until": N_("Valid until"),
        "ocop_validity_hint": N_("An OCOP certificate lasts 36 months."),
        "valid_until_after": N_("The last valid day must be after the first."),
        "stars": N_("OCOP stars"),
        "issuer_level": N_("Council that rated it"),
        "decision_number": N_("Decision number"),
        "decision_hint": N_("e.g. 1234/QĐ-UBND. An OCOP certificate needs it."),
        "certificate_scope": N_("What it covers"),
        "certificate_scope_hint": N_("e.g. the growing area or the product line."),
        "certification_save": N_("Sign and record the certificate"),
        # The recall form.
        "recall_intro": N_(
            "A recall is signed with your agency's key. It reaches every batch made from this "
            "one, and their public pages show the recall at once."
        ),
        "recall_decision_hint": N_(
            "The legal basis: the number of the recall decision, e.g. 125/QĐ-CCQLCL."
        ),
        "decided_at": N_("When the decision was taken"),
        "recall_reason": N_("Reason for the recall"),
        "recall_reason_hint": N_("What was found, as the decision says it."),
        "severity": N_("How serious it is"),
        "recall_scope": N_("Scope"),
        "recall_scope_hint": N_("What must be withdrawn, e.g. “all packs of lot GAO-2026-06”."),
        "effective_at": N_("In force from"),
        "effective_hint": N_("Leave empty if it is in force at once."),
        "recall_save": N_("Sign and issue the recall"),
        # Recalls and their reach.
        "recalls_title": N_("Recalls"),
        "recalls_none": N_("No recall yet."),
        "recalls_none_found": N_("No recall matches these filters."),
        "decision_is": N_("Decision {number}"),
        "reach_title": N_("Reach of the recall of {product}"),
        "issued_by": N_("Issued by"),
        "reach_counts": N_(
            "Batches reached: {batches}. Agencies holding them: {holders}. On the road: "
            "{in_transit}. Public pages showing the recall: {pages}."
        ),
        "reach_truncated": N_(
            "The recall reaches more batches than this screen lists: download the CSV for all."
        ),
        "download_pdf": N_("Download the document (PDF)"),
        "download_csv": N_("Download the list (CSV, for Excel)"),
        "download_failed": N_("The file could not be downloaded. Try again."),
        "reach_batches": N_("Every batch reached, and who holds it"),
        "depth_recalled": N_("The batch recalled"),
        "depth_n": N_("Made from it (generation {n})"),
        "held_by_is": N_("Held by: {holder}"),
        "in_transit_to_is": N_("In transit to: {holder}"),
        "page_with_banner": N_("Its public page"),
        "reach_pages": N_("Public pages that now show the recall"),
    }
)

RESULT_NAMES: Mapping[str, str] = MappingProxyType(
    {
        InspectionResult.CONFORMANT: N_("conformant"),
        InspectionResult.NON_CONFORMANT: N_("non-conformant"),
    }
)

ISSUER_LEVEL_NAMES: Mapping[str, str] = MappingProxyType(
    {
        IssuerLevel.CENTRAL: N_("Central council"),
        IssuerLevel.PROVINCE: N_("Provincial council"),
    }
)
