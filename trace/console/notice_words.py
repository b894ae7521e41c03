"""The words of the recall notices, the recall's steps and the shoppers' reports queue
(trace/console/static/notices.js, recall_steps.js, reports.js).

Marked for the catalogues like every other text of the console (trace/console/words.py
gives them to the script with the rest).
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from trace.domain.texts import N_

NOTICE_TEXTS: Mapping[str, str] = MappingProxyType(
    {
        # A holder's recall notices.
        "notices_title": N_("Recall notices"),
        "notices_link": N_("Recall notices"),
        "notices_banner": N_(
            "A recall reaches goods you hold: read the notice and take them off sale."
        ),
        "notices_intro": N_(
            "An authority has recalled a batch, and goods of yours were made from it or are it. "
            "Take them off sale, record what you withdrew, and confirm you received the notice."
        ),
        "notices_none": N_("No recall reaches your goods."),
        "notice_of": N_("Recall of {product} ({code})"),
        "notice_acknowledged": N_("You confirmed receiving this notice on {when}."),
        "notice_acknowledge": N_("I have received this notice"),
        "notice_corrected": N_("This recall was withdrawn by a correction; no action is needed."),
        "notice_batches": N_("Your goods it reaches"),
        "notice_in_transit": N_("On its way to you"),
        "notice_withdrawn": N_("Withdrawn so far: {amount}"),
        "notice_withdrawn_none": N_("Nothing recorded as withdrawn yet."),
        "withdrawal_record": N_("Record what we withdrew"),
        "withdrawal_quantity": N_("Quantity withdrawn"),
        "withdrawal_quantity_hint": N_("A number, e.g. 120 or 12.5."),
        "withdrawal_quantity_form": N_("Write the quantity as a number greater than 0."),
        "withdrawal_unit": N_("Unit"),
        "withdrawal_note": N_("Note (where the goods are now)"),
        "withdrawal_save": N_("Sign and record the withdrawal"),
        "withdrawal_saved": N_("Recorded: {amount} withdrawn."),
        # The recall's steps, for the officer.
        "recall_state": N_("Where it is"),
        "recall_steps": N_("Steps of the recall"),
        "recall_steps_none": N_("Only issued so far: no holder has been declared notified."),
        "step_by_when": N_("{agency}, {when}"),
        "step_quantity": N_("Quantity: {amount}"),
        "step_note": N_("Note: {note}"),
        "withdrawals_of": N_("Withdrawn by its holder"),
        "withdrawals_none": N_("No withdrawal recorded yet"),
        "mark_notified": N_("Holders have been notified"),
        "notified_note": N_("How they were told"),
        "notified_note_hint": N_("e.g. “by telephone and by official letter on 7 December”."),
        "close_recall": N_("Close the recall"),
        "close_note": N_("Why it is closed"),
        "close_note_hint": N_("e.g. “all goods withdrawn and destroyed under supervision”."),
        "close_note_needed": N_("Write why the recall is closed."),
        "recall_closed_note": N_("The recall is closed. The goods stay recalled."),
        # The shoppers' reports queue.
        "reports_title": N_("Shoppers' reports"),
        "reports_link": N_("Shoppers' reports"),
        "reports_intro": N_(
            "What shoppers reported about batches you answer for. Their contact details are "
            "private: use them only to follow up this report."
        ),
        "reports_state_filter": N_("Show"),
        "reports_all": N_("Every report"),
        "reports_none": N_("No report in this list."),
        "report_of": N_("Report {id}: {product} ({code})"),
        "report_sent": N_("Sent {when}"),
        "report_contact": N_("Contact: {contact}"),
        "report_no_contact": N_("The shopper left no contact."),
        "report_state": N_("State: {state}"),
        "report_changed": N_("Last changed by {agency}, {when}"),
        "report_photo": N_("See the photo"),
        "report_mark_looked_at": N_("Mark as looked at"),
        "report_mark_closed": N_("Close the report"),
        "report_inspect": N_("Turn into an inspection: record it"),
        "report_pick_inspection": N_("Or link an inspection already recorded"),
        "report_no_inspection": N_("No inspection of this batch is recorded yet."),
        "report_link_inspection": N_("Link this inspection"),
        "report_inspection_is": N_("Inspection: record {position}"),
        "report_for": N_("This inspection answers report {id}."),
        "problem_is": N_("What is wrong: {problem}"),
    }
)
