"""Every text the console's script shows, marked for the catalogues and given to it as JSON.

The script holds no words of its own: the shell embeds ``words(lang)`` as a
non-executable ``<script type="application/json" id="words">`` (the Content-Security-Policy
allows it, since it never runs), and the script reads it by key. Texts are written in
English and translated in ``locale/<lang>/LC_MESSAGES/messages.po`` like every other text;
``{name}`` placeholders are filled by the script after translation.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from trace.console.notice_words import NOTICE_TEXTS
from trace.console.officer_words import ISSUER_LEVEL_NAMES, OFFICER_TEXTS, RESULT_NAMES
from trace.domain.kinds import KIND_NAMES, SEVERITY_NAMES, InputKind
from trace.domain.quantity import DOSE_BASIS_NAMES, UNIT_NAMES
from trace.domain.recall_flow import STATE_NAMES
from trace.domain.report_states import REPORT_STATE_NAMES
from trace.domain.reports import PROBLEM_NAMES
from trace.domain.texts import N_
from trace.genealogy.recall_words import SEVERITY_MEANINGS, severity_words
from trace.record_words import DISPOSITIONS, SCHEME_NAMES
from trace.translation import catalogue

TEXTS: Mapping[str, str] = MappingProxyType(
    {
        # The frame of every screen.
        "app_name": N_("Trace – Producers"),
        "skip": N_("Skip to the form"),
        "sign_out": N_("Sign out"),
        "back": N_("Back"),
        "offline": N_(
            "You are offline. What you sign is kept on this phone and sent when the "
            "network returns."
        ),
        "no_ed25519": N_(
            "This browser cannot sign on the phone. What you record is sent unsigned and "
            "signed by the server with your agency's key; it needs the network."
        ),
        "loading": N_("Loading…"),
        "network_error": N_("The service cannot be reached. Try again when you have a network."),
        # Signing in.
        "sign_in": N_("Sign in"),
        "sign_in_intro": N_(
            "Type the access token your cooperative or agency gave you, or scan the pairing "
            "QR code shown on the computer."
        ),
        "token": N_("Access token"),
        "token_hint": N_("A long code of letters and digits. It is not kept on this phone."),
        "device": N_("Name of this phone"),
        "device_hint": N_("So that you can recognise it later, e.g. “Lan’s phone”."),
        "pairing": N_("Pairing this phone…"),
        "signed_in_as": N_("{person}, {agency}"),
        "key_made": N_("This phone's signing key is registered: {key}."),
        "key_failed": N_("This phone's signing key could not be registered: {detail}"),
        # Batches.
        "batches": N_("Your batches"),
        "search": N_("Search by product, lot or code"),
        "register_new": N_("Register a new batch"),
        "no_batches": N_(
            "No batch on this phone yet. Register one, or open one by the code on its label."
        ),
        "open_code": N_("Open a batch by its code"),
        "open": N_("Open"),
        "queue_link": N_("Waiting to be sent"),
        # The agency's phones (device keys) and pairing another phone.
        "devices_link": N_("Phones that sign"),
        "devices_title": N_("Phones that sign for your agency"),
        "devices_intro": N_(
            "Each phone signs with its own key. If a phone is lost, revoke its key: what it "
            "signs from then on is refused, and the public page marks what it signed after "
            "the time you give."
        ),
        "device_this": N_("This phone"),
        "device_by": N_("{person}, since {when}"),
        "device_revoked": N_("Revoked {when}: {reason}"),
        "device_revoke": N_("Revoke: the phone is lost"),
        "device_lost_since": N_("Lost since (what it signed from then on is marked)"),
        "device_lost_reason": N_("phone lost"),
        "device_revoke_confirm": N_(
            "Revoke the key of {device}? Everything it signs from now on will be refused."
        ),
        "device_revoked_done": N_("The key of {device} is revoked."),
        "devices_none": N_("No phone has registered a key yet."),
        "devices_admin_only": N_("Only your agency's administrator can revoke a phone's key."),
        "pair_new": N_("Sign in another phone"),
        "pair_intro": N_(
            "Scan this code with the other phone's camera within 10 minutes; it signs in as "
            "you, once."
        ),
        "pair_alt": N_("Pairing code for another phone"),
        "lot_of": N_("Lot {lot}"),
        "not_found": N_("No batch has this code."),
        # One batch.
        "timeline": N_("What happened"),
        "occurred": N_("Happened {when}"),
        "recorded": N_("recorded {when}"),
        "public_page": N_("Public page"),
        "labels": N_("Print labels"),
        "record_more": N_("Record"),
        "qr_alt": N_("Label with the QR code of batch {code}"),
        "pending_here": N_("Signed on this phone, not sent yet"),
        # Forms.
        "form_registered": N_("Register a batch"),
        "form_planted": N_("Record planting"),
        "form_input_applied": N_("Record inputs applied"),
        "form_harvested": N_("Record harvest"),
        "form_processed": N_("Record processing"),
        "process": N_("What was done"),
        "process_hint": N_("For example: dried, peeled, sorted, cooked."),
        "output_quantity": N_("Quantity afterwards, if you wish"),
        "form_packed": N_("Record packing"),
        "form_shipped": N_("Record shipping"),
        "form_received": N_("Record receiving"),
        "form_sold": N_("Record a sale"),
        "form_corrected": N_("Correct a record"),
        "occurred_at": N_("When it happened"),
        "occurred_hint": N_("Date and time on this phone's clock; change them if it was earlier."),
        "product": N_("Product"),
        "product_hint": N_("As a shopper would name it, e.g. “Bưởi Diễn”."),
        "gtin": N_("GTIN (barcode number), if it has one"),
        "gtin_hint": N_("8, 12, 13 or 14 digits, under the barcode."),
        "lot": N_("Lot"),
        "lot_hint": N_("Up to 20 letters without accents, digits or signs, e.g. L2026-03."),
        "quantity": N_("Quantity"),
        "quantity_hint": N_("A number such as 1200 or 12.5."),
        "unit": N_("Unit"),
        "province": N_("Province or city"),
        "commune": N_("Commune or ward, if you wish"),
        "choose": N_("Choose…"),
        "area": N_("Growing area"),
        "area_hint": N_("The plot or pond as your farm names it, e.g. “Thửa 12”."),
        "photo": N_("Photo, if you wish"),
        "photo_hint": N_(
            "Taken now or chosen from the phone. Its place and camera data are removed "
            "before it is kept."
        ),
        "photo_ready": N_("Photo ready: {width}×{height} pixels, without place or camera data."),
        "for_shoppers": N_("What shoppers are shown"),
        "for_shoppers_intro": N_(
            "The label and the batch's page show these to shoppers, as Circular "
            "02/2024/TT-BKHCN asks. Fill in what applies to this product."
        ),
        "brand": N_("Brand or trademark, if it has one"),
        "brand_hint": N_("As printed on the pack, e.g. “Gạo Phố Hiến”."),
        "pack_size": N_("Net quantity of one pack, if sold in packs"),
        "pack_size_hint": N_(
            "What one bag or box holds, e.g. 1.5 kg: labels print it instead of the whole batch."
        ),
        "pack_unit": N_("Unit of the pack"),
        "standards": N_("Standards applied, if any"),
        "standards_hint": N_(
            "One a line, as on the label, e.g. VietGAP or TCVN 11041-2:2017. OCOP stars are a "
            "certificate, recorded by the council."
        ),
        "storage": N_("Storage conditions, if you wish"),
        "storage_hint": N_("e.g. “Nơi khô ráo, thoáng mát”."),
        "production_date": N_("Production date, if you wish"),
        "expiry_date": N_("Use-by date, if it has one"),
        "expiry_hint": N_("The last day the product is good, as printed on the pack."),
        "crop": N_("Crop"),
        "variety": N_("Variety, if known"),
        "input_kind": N_("Kind of input"),
        "input_product": N_("Product applied"),
        "dose": N_("Dose"),
        "dose_per": N_("Counted per"),
        "dose_total": N_("in total"),
        "active_ingredient": N_("Active ingredient"),
        "phi_days": N_("Pre-harvest interval (days)"),
        "phi_hint": N_("Printed on the label: the days to wait between spraying and harvest."),
        "applied_to": N_("Area treated"),
        "package_type": N_("Package type"),
        "package_hint": N_("e.g. “hộp 5 kg”, “túi lưới 2 quả”."),
        "count": N_("Number of packages"),
        "net_quantity": N_("Net quantity in all packages, if you wish"),
        "to_agency": N_("Agency receiving the goods (its id)"),
        "agency_id_hint": N_("The 36-character id on the agency's page or on its delivery note."),
        "destination": N_("Destination, if you wish"),
        "from_agency": N_("Agency that sent the goods (its id)"),
        "buyer": N_("Buyer agency (its id), empty for a sale to a shopper"),
        "last_sale": N_("This sale empties the batch"),
        "corrects": N_("Record to correct"),
        "reason": N_("Why it is wrong"),
        "note": N_("Note, if you wish"),
        "review": N_("Check what will be signed"),
        "will_sign": N_("What will be signed"),
        "will_sign_intro": N_(
            "Your phone signs exactly this. After signing it cannot be changed, only corrected "
            "by a new record."
        ),
        "sign_and_save": N_("Sign and save"),
        "edit": N_("Change"),
        "batch_of": N_("Batch"),
        "new_batch": N_("a new batch"),
        "kind": N_("What happened"),
        "signed_saved": N_("Signed and saved on this phone."),
        "sent": N_("Sent to the ledger."),
        # Checks as the form is filled.
        "errors_title": N_("There is a problem"),
        "required": N_("Enter {field}."),
        "choose_one": N_("Choose {field}."),
        "gtin_digits": N_("A GTIN has 8, 12, 13 or 14 digits and nothing else."),
        "gtin_check": N_("The last digit of this GTIN should be {digit}: check the number."),
        "gtin_ok": N_("The GTIN's check digit is right."),
        "lot_form": N_(
            "A lot has 1 to 20 characters: letters without accents, digits and signs such as - "
            "or /, without spaces."
        ),
        "decimal_form": N_(
            "Write a number greater than zero, with a point for decimals, e.g. 1200 or 12.5."
        ),
        "integer_form": N_("Write a whole number from 1 up."),
        "days_form": N_("Write a whole number of days from 0 to 365."),
        "uuid_form": N_(
            "An agency's id has 36 characters, like 1b4e28ba-2fa1-11d2-883f-0016d3cca427."
        ),
        "hash_form": N_("Choose the record to correct."),
        "future": N_("This time is in the future: check the date and time."),
        "date_form": N_("Choose a date, or write it like 2026-09-01."),
        "expiry_after": N_("The use-by date must be after the production date."),
        "pack_over_lot": N_(
            "One pack cannot hold more than the whole batch: check the unit and the digits."
        ),
        "standards_too_many": N_("List at most {maximum} standards."),
        "standards_line": N_(
            "Each standard is a line of at most 100 characters with a letter or digit."
        ),
        "standards_twice": N_("{standard} is listed twice: list each standard once."),
        "pesticide_needs": N_(
            "A pesticide needs its active ingredient and its pre-harvest interval."
        ),
        "phi_warning": N_(
            "Warning: {product} was applied on {date} with a pre-harvest interval of {days} "
            "days. Harvesting before {until} is too early."
        ),
        # The queue.
        "queue_title": N_("Waiting to be sent"),
        "queue_empty": N_("Everything signed on this phone has been sent."),
        "send_now": N_("Send now"),
        "refused": N_("Refused by the ledger"),
        "fix": N_("Correct and sign again"),
        "waiting": N_("Waiting for the network"),
        "signed_at": N_("Signed {when}"),
        "unsigned_wait": N_("To be signed by the server"),
        # Labels.
        "labels_title": N_("Print labels of batch {code}"),
        "template": N_("Label stock"),
        "label_count": N_("Number of labels"),
        "open_pdf": N_("Open the labels (PDF)"),
        # The agency's contact, shown to shoppers on its pages.
        "contact_link": N_("Contact for shoppers"),
        "contact_title": N_("How shoppers reach you"),
        "contact_intro": N_(
            "The pages of your batches show this phone, address and website, so that a "
            "shopper can ask you about a product. Leave empty what you do not want shown."
        ),
        "contact_household": N_(
            "A household's contact is never shown on its pages: shoppers see only its commune "
            "and province."
        ),
        "contact_admin_only": N_("Only a person with the admin right can change it."),
        "phone": N_("Phone"),
        "phone_hint": N_("Digits and spaces, e.g. 0912 345 678 or +84 24 3999 0412."),
        "phone_form": N_("A phone number has only digits and spaces, and may start with +."),
        "address": N_("Address"),
        "address_hint": N_("As a shopper would find you, e.g. “Thôn Phú Thượng, Hà Nội”."),
        "website": N_("Website"),
        "website_hint": N_("The whole address, starting with https://."),
        "website_form": N_("A website starts with http:// or https://, e.g. https://htx.vn."),
        "contact_save": N_("Save the contact"),
        "contact_saved": N_("The contact is saved."),
        # Language.
        "language": N_("Language"),
    }
)

# Texts that depend on a count: (singular, plural); the script picks by the count.
PLURALS: Mapping[str, tuple[str, str]] = MappingProxyType(
    {
        "queue_count": (
            N_("{count} record waiting to be sent"),
            N_("{count} records waiting to be sent"),
        ),
        "refused_count": (N_("{count} record refused"), N_("{count} records refused")),
    }
)

INPUT_KIND_NAMES: Mapping[str, str] = MappingProxyType(
    {
        InputKind.FERTILISER: N_("Fertiliser"),
        InputKind.PESTICIDE: N_("Pesticide"),
        InputKind.VETERINARY_DRUG: N_("Veterinary drug"),
        InputKind.FEED: N_("Feed"),
        InputKind.OTHER: N_("Other"),
    }
)


def words(lang: str) -> dict[str, object]:
    """Every text of the script in ``lang``, by key; plurals as ``[one, many]`` templates.

    The ``{name}`` placeholders are left for the script to fill.
    """
    say = catalogue(lang).gettext
    texts: dict[str, object] = {key: say(msgid) for key, msgid in TEXTS.items()}
    texts |= {key: say(msgid) for key, msgid in OFFICER_TEXTS.items()}
    texts |= {key: say(msgid) for key, msgid in NOTICE_TEXTS.items()}
    texts["plurals"] = {key: [say(one), say(many)] for key, (one, many) in PLURALS.items()}
    texts["kinds"] = {str(kind): say(name) for kind, name in KIND_NAMES.items()}
    texts["units"] = {str(unit): say(name) for unit, name in UNIT_NAMES.items()}
    texts["dose_basis"] = {str(b): say(name) for b, name in DOSE_BASIS_NAMES.items()}
    texts["input_kinds"] = {str(k): say(name) for k, name in INPUT_KIND_NAMES.items()}
    texts["dispositions"] = {str(d): say(name) for d, name in DISPOSITIONS.items()}
    texts["inspection_results"] = {str(r): say(name) for r, name in RESULT_NAMES.items()}
    texts["schemes"] = {str(s): say(name) for s, name in SCHEME_NAMES.items()}
    texts["issuer_levels"] = {str(i): say(name) for i, name in ISSUER_LEVEL_NAMES.items()}
    texts["severities"] = {str(s): severity_words(str(s), lang) for s in SEVERITY_NAMES}
    texts["severity_meanings"] = {str(s): say(m) for s, m in SEVERITY_MEANINGS.items()}
    texts["recall_states"] = {str(s): say(name) for s, name in STATE_NAMES.items()}
    texts["report_states"] = {str(s): say(name) for s, name in REPORT_STATE_NAMES.items()}
    texts["report_problems"] = {str(p): say(name) for p, name in PROBLEM_NAMES.items()}
    return texts
