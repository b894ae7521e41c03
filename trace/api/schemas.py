"""Request and response messages of the JSON API, declared once as msgspec Structs.

Binary values travel as standard base64 (statements, signatures, public keys)
or lower-case hex (hashes); times as RFC 3339 in UTC.
"""

from __future__ import annotations

import base64
from typing import Any, Self

import msgspec

from trace.api.parameters import ExpectedVersion
from trace.domain.agency import AgencyKind
from trace.domain.bundle import ProofBundle
from trace.domain.chain import ChainFault
from trace.domain.contact import Contact, Phone, Website
from trace.domain.kinds import Name
from trace.domain.record import Record
from trace.domain.scopes import Scope
from trace.domain.statement import Statement, statement_hash
from trace.domain.times import instant_of_us
from trace.store.agencies import Agency, KeyInfo, TokenInfo
from trace.store.batches import Batch


def b64(data: bytes) -> str:
    """Standard base64 text of ``data``."""
    return base64.b64encode(data).decode()


def iso(micros: int | None) -> str | None:
    """RFC 3339 UTC text of a time in microseconds; None for none, or for one outside the
    ledger's window (trace/domain/times.py), which no reader may fail on: a key revoked
    "from" year 1 before such times were refused, or a time changed behind the ledger's
    back. The views that can hold one give the raw microseconds beside the text."""
    moment = None if micros is None else instant_of_us(micros)
    return None if moment is None else moment.isoformat().replace("+00:00", "Z")


_statement_decoder = msgspec.json.Decoder(Statement)


class AgencyIn(msgspec.Struct, forbid_unknown_fields=True):
    """A new agency; with ``public_key`` its key is external (it signs on its own device).

    ``phone``, ``address`` and ``website`` are how shoppers reach an organisation; its pages
    show them (never a household's).
    """

    name: str
    kind: AgencyKind
    household: bool = False
    province: str | None = None
    commune: str | None = None
    person: str = "admin"
    public_key: str | None = None
    phone: Phone | None = None
    address: Name | None = None
    website: Website | None = None

    @property
    def contact(self) -> Contact:
        """The contact given."""
        return Contact(phone=self.phone, address=self.address, website=self.website)


class AgencyOut(msgspec.Struct):
    """An agency as the API shows it."""

    id: str
    name: str
    kind: AgencyKind
    household: bool
    province: str | None
    commune: str | None
    phone: str | None = None
    address: str | None = None
    website: str | None = None

    @classmethod
    def of(cls, agency: Agency, *, contact: bool = True) -> AgencyOut:
        """The view of ``agency``; without its contact unless ``contact``."""
        given = agency.contact if contact else Contact()
        return cls(
            agency.id,
            agency.name,
            agency.kind,
            agency.household,
            agency.province,
            agency.commune,
            given.phone,
            given.address,
            given.website,
        )


class KeyOut(msgspec.Struct):
    """A signing key: public part and life cycle, never the private part.

    ``revoked_at_us`` is the revocation time in microseconds since the epoch, set whenever
    the key is revoked, even where ``revoked_at`` cannot show it as a date. ``device_name``
    names the phone of a device key registered through the producer console (null for the
    agency's own keys).
    """

    key_id: str
    agency_id: str
    public_key: str
    custodial: bool
    created_at: str | None
    retired_at: str | None
    revoked_at: str | None
    revoked_at_us: int | None
    device_name: str | None = None

    @classmethod
    def of(cls, key: KeyInfo) -> KeyOut:
        """The view of ``key``."""
        return cls(
            key.key_id,
            key.agency_id,
            b64(key.public_key),
            key.custodial,
            iso(key.created_at_us),
            iso(key.retired_at_us),
            iso(key.revoked_at_us),
            key.revoked_at_us,
            key.device_name,
        )


class AgencyCreated(msgspec.Struct):
    """A new agency with its first key and its first token (shown this once only)."""

    agency: AgencyOut
    key_id: str
    token: str


class AgencyDetail(msgspec.Struct):
    """An agency and its keys."""

    agency: AgencyOut
    keys: list[KeyOut]


class KeyIn(msgspec.Struct, forbid_unknown_fields=True):
    """A new key: custodial without ``public_key``; ``rotate`` retires the others."""

    public_key: str | None = None
    rotate: bool = False


class KeyRevocation(msgspec.Struct, forbid_unknown_fields=True):
    """Revoke a key as compromised from ``revoked_from`` (RFC 3339; default now)."""

    reason: str
    revoked_from: str | None = None


class TokenIn(msgspec.Struct, forbid_unknown_fields=True):
    """A token for a person acting for the agency; ``scopes`` default to all its kind allows.

    An inspector's token: ``["inspect"]``, or ``["inspect", "recall"]`` for an authority's.
    """

    person: str
    scopes: list[Scope] | None = None


class TokenCreated(msgspec.Struct):
    """A new bearer token, shown this once only, and what it may do."""

    agency_id: str
    token: str
    scopes: list[Scope] = msgspec.field(default_factory=list)


class TokenOut(msgspec.Struct):
    """A token's holder and life cycle; the token itself is never shown again."""

    id: str
    agency_id: str
    person: str
    created_at: str | None
    revoked_at: str | None
    scopes: list[Scope]

    @classmethod
    def of(cls, token: TokenInfo) -> TokenOut:
        """The view of ``token``."""
        return cls(
            token.id,
            token.agency_id,
            token.person,
            iso(token.created_at_us),
            iso(token.revoked_at_us),
            sorted(token.scopes),
        )


class BatchIn(msgspec.Struct, forbid_unknown_fields=True):
    """Register a batch: the body of its `registered` event, signed by the server."""

    occurred_at: str
    body: dict[str, Any]


class EventIn(msgspec.Struct, forbid_unknown_fields=True):
    """An unsigned event; the server signs it with the agency's custodial key."""

    kind: str
    occurred_at: str
    body: dict[str, Any]
    expected_version: ExpectedVersion | None = None


class SignedIn(msgspec.Struct, forbid_unknown_fields=True):
    """A statement signed by the client: canonical bytes, Ed25519 signature, key id."""

    statement: str
    signature: str
    key_id: str
    expected_version: ExpectedVersion | None = None


class BatchOut(msgspec.Struct):
    """A batch's current state (its read model) and where its public page is."""

    id: str
    code: str
    product: str
    gtin: str | None
    lot: str
    province: str | None
    producer_id: str
    holder_id: str
    in_transit_to: str | None
    recalled: bool
    sold_out: bool
    version: int
    head_hash: str
    public_path: str

    @classmethod
    def of(cls, batch: Batch) -> BatchOut:
        """The view of ``batch``."""
        return cls(
            batch.id,
            batch.code,
            batch.product,
            batch.gtin,
            batch.lot,
            batch.province,
            batch.producer_id,
            batch.holder_id,
            batch.in_transit_to,
            batch.recalled,
            batch.sold_out,
            batch.version,
            batch.head_hash.hex(),
            batch.public_path,
        )


class RecordOut(msgspec.Struct):
    """A record with its exact signed bytes, its chain link and the statement decoded."""

    batch: str
    seq: int
    position: int
    recorded_at: str | None
    prev: str
    record_hash: str
    statement_hash: str
    statement: str
    signature: str
    key_id: str
    kind: str
    agency: str
    occurred_at: str
    body: dict[str, Any]

    @classmethod
    def of(cls, record: Record) -> Self:
        """The view of ``record``; the decoded fields are a convenience, the bytes are the truth.

        The bytes were checked when they were appended, so they are only decoded here (no
        second canonical check on the hot path); bytes changed since then, which may not
        decode, are shown with empty fields and found by `verify`.
        """
        try:
            decoded = _statement_decoder.decode(record.statement)
        except (msgspec.DecodeError, UnicodeDecodeError):
            decoded = Statement(0, record.batch, "", "", "", record.key_id, {}, "")
        return cls(
            record.batch,
            record.seq,
            record.position,
            iso(record.recorded_at_us),
            record.prev.hex(),
            record.record_hash.hex(),
            statement_hash(record.statement).hex(),
            b64(record.statement),
            b64(record.signature),
            record.key_id,
            decoded.kind,
            decoded.agency,
            decoded.occurred_at,
            decoded.body,
        )


class AppendedOut(msgspec.Struct):
    """The outcome of an append; ``replayed`` when an Idempotency-Key matched an earlier one."""

    batch: BatchOut
    record: RecordOut
    replayed: bool


class HistoryRecordOut(RecordOut):
    """A record of a batch's history with its proof bundle (``trace.proof-bundle/v1``).

    The bundle proves the record's inclusion in the log against the newest signed
    checkpoint; `python -m trace bundle verify` checks it offline.
    """

    bundle: ProofBundle | None = None


class RecordPage(msgspec.Struct):
    """One page of a batch's records in ``seq`` order; ``next_after`` continues it."""

    batch: str
    records: list[HistoryRecordOut]
    next_after: int | None


class FaultOut(msgspec.Struct):
    """One integrity problem, in words and as a code."""

    seq: int
    position: int | None
    fault: str
    message: str


class ChainReportOut(msgspec.Struct):
    """The result of verifying one batch's chain."""

    batch: str
    code: str
    intact: bool
    records: int
    faults: list[FaultOut]

    @classmethod
    def of(
        cls, batch: Batch, count: int, faults: list[ChainFault], words: list[str]
    ) -> ChainReportOut:
        """The report for ``batch``; ``words`` are the faults' messages in the reader's language."""
        return cls(
            batch.id,
            batch.code,
            not faults,
            count,
            [
                FaultOut(f.seq, f.position, f.fault.value, text)
                for f, text in zip(faults, words, strict=True)
            ],
        )


class Health(msgspec.Struct):
    """Liveness and the log's size."""

    status: str
    log_size: int
