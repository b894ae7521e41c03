"""Failures of the store that a caller can act on (codes are catalogue keys)."""

from __future__ import annotations

from trace.domain.errors import DomainError


class NotFound(DomainError):
    """A batch, record, agency, key or token does not exist."""

    code = "not_found"


class VersionConflict(DomainError):
    """``expected_version`` is not the batch's current version."""

    code = "version_conflict"


class IdempotencyConflict(DomainError):
    """An ``Idempotency-Key`` was reused with a different request."""

    code = "idempotency_conflict"


class KeyNotUsable(DomainError):
    """The signing key is unknown, another agency's, retired or revoked."""

    code = "key_not_usable"


class KeyAlreadyRegistered(DomainError):
    """The public key is already registered (to this agency or another): a key has one owner."""

    code = "key_registered"


class RevocationOutOfRange(DomainError):
    """A key's revocation time is before the Unix epoch or after now."""

    code = "revocation_out_of_range"


class DuplicateLot(DomainError):
    """Another batch already has this GTIN and lot."""

    code = "duplicate_lot"


class Unauthenticated(DomainError):
    """No bearer token, or one that is unknown or revoked."""

    code = "unauthenticated"


class Forbidden(DomainError):
    """The token's agency may not perform this administrative action."""

    code = "forbidden"


class NotMigrated(DomainError):
    """The database schema is missing or older than this code."""

    code = "not_migrated"


class Contention(DomainError):
    """A concurrent transaction won a race the caller can simply retry."""

    code = "contention"
