"""Failures of the store that a caller can act on (codes are catalogue keys)."""

from __future__ import annotations

from types import MappingProxyType

from trace.domain.errors import DomainError
from trace.domain.texts import N_


class NotFound(DomainError):
    """A batch, record, agency, key or token does not exist."""

    code = "not_found"
    words = N_("No {what} '{id}' was found. Check the identifier.")
    # By what was looked for, so that no word of the code reaches the reader.
    variants = MappingProxyType(
        {
            "batch": N_("No batch '{id}' was found. Check the batch's id or lookup code."),
            "record": N_("No record '{id}' was found. Check the record's hash or position."),
            "agency": N_("No agency '{id}' was found. Check the agency's id."),
            "key": N_("No signing key '{id}' was found for this agency. Check the key id."),
            "token": N_("No access token '{id}' was found. Check the token's id."),
            "session": N_(
                "No open console session '{id}' was found. It may have ended already: "
                "reload the list of sessions."
            ),
            "label_run": N_("No label run '{id}' was found for this batch. Check the run's id."),
            "file": N_("No open-data file '{id}' was found. The files: GET /open-data/."),
            "recall": N_("No recall '{id}' was found. Check the recall's id."),
            "webhook": N_("Your agency has no webhook '{id}'. Its webhooks: GET /api/v1/webhooks."),
            "delivery": N_(
                "No notice '{id}' was sent to your agency. Check the Webhook-Id it came with."
            ),
            "resource": N_("Nothing is at '{id}'. Check the address."),
            "photo": N_(
                "The service has no photo '{id}'. A photo is named by the SHA-256 of its "
                "bytes; send it first (POST /api/v1/photos)."
            ),
            "report_photo": N_(
                "No photo of report {id} is yours to read: the report has no photo, or it is "
                "about a batch neither of your province nor of your agency."
            ),
            "province": N_(
                "No province has the code '{id}'. The codes: GET /api/v1/places/provinces."
            ),
            "tile": N_(
                "The log holds no tile '{id}' yet: a tile is published once every leaf it "
                "covers is in the log. Read /checkpoint for the log's size and ask for the "
                "tiles of that size (C2SP tlog-tiles)."
            ),
            "location": N_(
                "No agency registered a location with GLN '{id}'. Check the number; the "
                "agency that holds the place registers it."
            ),
            "product": N_(
                "No agency registered a product with GTIN '{id}'. Check the number; the "
                "agency that sells the product registers it."
            ),
            "link_type": N_(
                "This product has no link of type '{id}'. The links it has are listed at "
                "?linkType=linkset."
            ),
        }
    )


class VersionConflict(DomainError):
    """``expected_version`` is not the batch's current version."""

    code = "version_conflict"
    words = N_(
        "The batch is at version {current}, not {expected}: someone recorded "
        "an event in the meantime. Read the batch again and retry."
    )


class IdempotencyConflict(DomainError):
    """An ``Idempotency-Key`` was reused with a different request."""

    code = "idempotency_conflict"
    words = N_(
        "Idempotency-Key '{key}' was already used for a different request. Use "
        "a new key for a new request."
    )


class KeyNotUsable(DomainError):
    """The signing key is unknown, another agency's, retired or revoked."""

    code = "key_not_usable"
    words = N_("This signing key cannot be used ({reason}): {detail}")
    variants = MappingProxyType(
        {
            "unknown": N_("Key {key} is not a key of the agency that signs the statement."),
            "revoked": N_("Key {key} has been revoked; nothing more can be signed with it."),
            "retired": N_("Key {key} was rotated out; sign with the agency's current key."),
            "no_custodial_key": N_(
                "The agency has no server-held key; sign the statement "
                "yourself (`python -m trace sign`)."
            ),
            "malformed": N_("This is not an Ed25519 public key (32 bytes, base64)."),
        }
    )


class KeyAlreadyRegistered(DomainError):
    """The public key is already registered (to this agency or another): a key has one owner."""

    code = "key_registered"
    words = N_(
        "This public key is already registered (key {key}); a key belongs to "
        "one agency only. Make a new key pair (`python -m trace keygen`) and "
        "send its public key."
    )


class RevocationOutOfRange(DomainError):
    """A key's revocation time is before the Unix epoch or after now."""

    code = "revocation_out_of_range"
    words = N_(
        "A key can be revoked from a time between 1970-01-01T00:00:00Z and now "
        "({latest}), not from {found}. Leave the time out to revoke it from "
        "now."
    )


class DuplicateLot(DomainError):
    """Another batch already has this GTIN and lot."""

    code = "duplicate_lot"
    words = N_("GTIN {gtin} lot {lot} is already registered. Each lot is registered once.")


class Unauthenticated(DomainError):
    """No bearer token, or one that is unknown or revoked."""

    code = "unauthenticated"
    words = N_(
        "A valid access token is needed: send 'Authorization: Bearer <token>'. "
        "Revoked or unknown tokens are refused."
    )
    variants = MappingProxyType(
        {
            "session": N_(
                "Your console session has ended or expired, or its access token was "
                "revoked. Sign in again."
            ),
            "pairing_code": N_(
                "This pairing code is unknown, already used or more than 10 minutes old. "
                "Ask your agency's administrator for a new code."
            ),
        }
    )


class Forbidden(DomainError):
    """The token's agency may not perform this administrative action."""

    code = "forbidden"
    words = N_("Your agency may not do this: {detail}")
    variants = MappingProxyType(
        {
            "inspectors_only": N_(
                "Only inspectors (authorities, certifiers, the operator) may "
                "query this. Use a token of your agency."
            ),
            "operator_only": N_("Only the operator may do this."),
            "own_agency_only": N_("An agency manages only its own keys and tokens."),
            "scope_record": N_(
                "This token does not have the 'record' scope: an inspector's "
                "token queries and cannot record production, shipping or "
                "label events. Use a token of your agency that may record."
            ),
            "scope_recall": N_(
                "This token does not have the 'recall' scope. Use an "
                "authority's token that may issue recalls."
            ),
            "scope_inspect": N_(
                "This token does not have the 'inspect' scope of inspectors. "
                "Ask your agency for a token with it."
            ),
            "scope_admin": N_(
                "This token does not have the 'admin' scope: it cannot "
                "manage keys, tokens or agencies. Use your agency's "
                "administrative token."
            ),
            "authorities_only": N_(
                "Only an authority may recall a batch. Use an authority's token."
            ),
            "household_location": N_(
                "A household registers no location: a location's address is public, and a "
                "household's address is personal data. A cooperative or a company that "
                "holds the place may register it."
            ),
        }
    )


class NotMigrated(DomainError):
    """The database schema is missing or older than this code."""

    code = "not_migrated"
    words = N_(
        "The database schema is not up to date (at {found}, needs {expected}). "
        "Run `python -m trace migrate`."
    )


class Contention(DomainError):
    """A concurrent transaction won a race the caller can simply retry."""

    code = "contention"
    words = N_("Too many writes raced on this batch. Retry in a moment.")
