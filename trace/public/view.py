"""What the provenance page of a batch shows, gathered from the ledger in a few queries.

The page leads with what a shopper needs: a recall or a failed inspection of the
batch or of any batch it was made from, or a passed expiry date; then the product and
where it comes from; then one line on whether the record can be trusted, whose proof is
further down, after the certificates and the timeline (in the order things happened).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import msgspec
from sqlalchemy import bindparam, select

from trace.domain.chain import ChainFault, verify_chain
from trace.domain.contact import Contact
from trace.domain.facts import Fact, Unshown, read_fact
from trace.domain.kinds import (
    Certified,
    Corrected,
    EpcisEvent,
    Inspected,
    InspectionResult,
    Recalled,
    Received,
    Registered,
    Scheme,
    Shipped,
    Sold,
    Transformed,
    Withdrawn,
)
from trace.domain.master_data import Location, captured_event_gln
from trace.domain.photos import Photo
from trace.domain.places import commune_name, place_text, province_name
from trace.domain.quantity import Quantity
from trace.domain.record import Record
from trace.domain.statement import Statement
from trace.domain.times import EARLIEST, instant_of_us
from trace.domain.validation import named_photo
from trace.genealogy.walk import MAX_BATCHES
from trace.store.agencies import key_statuses
from trace.store.batches import Batch, to_batch
from trace.store.database import Reads
from trace.store.master_data import locations_of
from trace.store.photos import photo_sizes
from trace.store.records import batch_records
from trace.store.tables import agencies, batches

# A batch's ancestry is followed this far (cycles end it too): as far as a recall's reach
# is followed downstream, so that every page the reach lists shows its banner.
MAX_ANCESTRY = MAX_BATCHES


@dataclass(frozen=True, slots=True)
class Event:
    """One record as the timeline shows it."""

    seq: int
    kind: str
    occurred_at: datetime
    recorded_at: datetime
    agency: str
    body: msgspec.Struct | None
    record_hash: str
    corrected_by: list[str] = field(default_factory=list)
    # Why the page cannot show this record as it is (trace/domain/facts.py), if it cannot.
    unshown: Unshown | None = None
    agency_id: str = ""
    # Where it happened as far as the record says (a growing area, a destination), else the
    # signer's province; the Circular 02/2024 asks for each stage's place and time.
    place: str | None = None
    place_is_area: bool = False
    # A captured EPCIS event's place by GLN (its business location, else its read point),
    # and the location registered under it, if any (trace/domain/master_data.py).
    gln: str | None = None
    location: Location | None = None

    @property
    def gap(self) -> timedelta:
        """How long after it happened it was recorded."""
        return self.recorded_at - self.occurred_at


@dataclass(frozen=True, slots=True)
class Alert:
    """A recall or a failed inspection of this batch or of one it was made from."""

    kind: str  # "recalled" or "failed_inspection"
    batch_code: str
    product: str
    this_batch: bool
    reason: str
    authority: str
    when: datetime


@dataclass(frozen=True, slots=True)
class Certificate:
    """A certificate the batch carries, as of the day the page is made."""

    scheme: str
    number: str
    issuer: str
    valid_from: date
    valid_until: date
    stars: int | None
    decision: str | None
    expired: bool
    not_yet_valid: bool
    # The level of the OCOP council that decided ("province" or "central"), for OCOP only.
    level: str | None = None


@dataclass(frozen=True, slots=True)
class InputBatch:
    """An input of a transformation, linking to its own page."""

    code: str
    product: str
    path: str
    quantity: str


@dataclass
class PageView:
    """Everything the provenance page shows, in the order a shopper needs it."""

    batch: Batch
    product: str
    producer: str
    # A household producer shown by its place (one that consented is shown by its name).
    household: bool
    origin_province: str
    origin_province_code: str
    origin_commune: str | None
    registered: Registered | None
    alerts: list[Alert]
    faults: list[ChainFault]
    records: int
    events: list[Event]
    certificates: list[Certificate]
    inputs: list[InputBatch]
    agency_names: dict[str, str]
    today: date
    last_position: int
    # The photos the records name that the service holds, by name: sizes, never bytes.
    photos: dict[str, Photo] = field(default_factory=dict)
    # Households shown by their place, not their name: agency id → (province, commune).
    households: dict[str, tuple[str, str | None]] = field(default_factory=dict)

    @property
    def timeline(self) -> list[Event]:
        """The records in the order things happened (the order recorded among equal times)."""
        return sorted(self.events, key=lambda e: (e.occurred_at, e.seq))

    @property
    def expired(self) -> bool:
        """Whether the registration's expiry date has passed, as of the page's day in Vietnam."""
        expiry = self.registered.expiry_date if self.registered else None
        return expiry is not None and expiry < self.today

    @property
    def warned(self) -> bool:
        """Whether the first screen warns against using the product (no success mark then)."""
        return bool(self.alerts) or self.expired

    @property
    def withdrawals(self) -> list[Event]:
        """What this batch's holders recorded withdrawing from sale because of a recall."""
        return [e for e in self.timeline if isinstance(e.body, Withdrawn) and not e.corrected_by]

    def household_of(self, agency_id: str) -> tuple[str, str | None] | None:
        """Province and commune of a household shown by its place, if ``agency_id`` is one."""
        return self.households.get(agency_id)

    # How to reach the producer: an organisation's phone, address and website where given;
    # None for a household (a person) and for an organisation that gave none.
    producer_contact: Contact | None = None

    @property
    def brand(self) -> str | None:
        """The brand or trademark the registration names."""
        return self.registered.brand if self.registered else None

    @property
    def pack_size(self) -> Quantity | None:
        """The net quantity of one retail pack, as registered."""
        return self.registered.pack_size if self.registered else None

    @property
    def standards(self) -> tuple[str, ...]:
        """The standards the product is made to (VietGAP, TCVN...), as registered."""
        return self.registered.standards if self.registered else ()

    @property
    def storage(self) -> str | None:
        """How to store the product, as registered."""
        return self.registered.storage if self.registered else None

    @property
    def product_photo(self) -> Photo | None:
        """The product's photo, named by its registration."""
        name = self.registered.photo if self.registered else None
        return self.photos.get(name) if name else None

    def photo_of(self, event: Event) -> Photo | None:
        """The photo a record of the timeline names (a field's, a harvest's), if held."""
        if event.unshown is not None or event.body is None or isinstance(event.body, Registered):
            return None
        name = named_photo(event.body)
        return self.photos.get(name) if name else None

    @property
    def intact(self) -> bool:
        """Every signature valid and the chain unbroken."""
        return not self.faults


def _recorded(record: Record) -> datetime:
    """When the ledger recorded ``record``; a stored time changed to one outside the window
    (the record hash then shows the change) is shown as the epoch."""
    return instant_of_us(record.recorded_at_us) or EARLIEST


# Agency id → (name as shown, shown by its place (a household without consent), province,
# commune).
_Names = dict[str, tuple[str, bool, str | None, str | None]]


@dataclass(frozen=True, slots=True)
class _Decoded:
    """What the page reads of one record's statement."""

    kind: str
    occurred_at: datetime
    agency: str
    body: msgspec.Struct | None
    unshown: Unshown | None


def _decode(record: Record, statement: Statement | None = None) -> _Decoded:
    """Kind, occurred-at, agency and body of a record, as far as the page can show them.

    A record whose statement does not decode is ``malformed``, without a body (the verdict
    names the fault). One whose only fault is a time outside the ledger's window keeps its
    kind and body, so that a recall among them still shows its banner, and is placed at the
    time it was recorded.
    """
    fact = read_fact(record.statement, statement)
    if isinstance(fact, Fact):
        return _Decoded(fact.kind.value, fact.occurred_at, fact.statement.agency, fact.body, None)
    agency = fact.statement.agency if fact.statement is not None else ""
    if fact.body is None or fact.statement is None:
        return _Decoded("malformed", _recorded(record), agency, None, fact.reason)
    return _Decoded(fact.statement.kind, _recorded(record), agency, fact.body, fact.reason)


def _referenced(body: msgspec.Struct | None) -> list[str]:
    """Agencies a body names besides its signer (the timeline shows them by name)."""
    if isinstance(body, Shipped | Sold):
        return [body.to] if body.to else []
    if isinstance(body, Received):
        return [body.from_]
    return []


def _place(decoded: _Decoded, names: _Names) -> tuple[str | None, bool]:
    """Where a record's event happened: the place its body names, else its signer's province;
    and whether that place is a growing area's code."""
    body = decoded.body
    if decoded.unshown is None and body is not None:
        if isinstance(body, Registered) and body.origin is not None:
            return _place_text(body.origin.province, body.origin.commune), False
        if isinstance(body, Registered) and body.place is not None:
            return place_text(body.place), False
        area = getattr(body, "area", None) or getattr(body, "applied_to", None)
        if isinstance(area, str) and area:
            return area, True
        destination = getattr(body, "destination", None)
        if isinstance(destination, str) and destination:
            return destination, False
    province = names.get(decoded.agency, ("", False, None, None))[2]
    return (province_name(province) if province else None), False


def captured_gln(body: msgspec.Struct | None) -> str | None:
    """The GLN a captured EPCIS event happened at (trace/domain/master_data.py); None for
    any other record."""
    return captured_event_gln(body.event) if isinstance(body, EpcisEvent) else None


def _event(
    record: Record, decoded: _Decoded, names: _Names, locations: Mapping[str, Location]
) -> Event:
    place, is_area = _place(decoded, names)
    gln = captured_gln(decoded.body) if decoded.unshown is None else None
    return Event(
        record.seq,
        decoded.kind,
        decoded.occurred_at,
        _recorded(record),
        names.get(decoded.agency, ("?", False, None, None))[0],
        decoded.body,
        record.record_hash.hex(),
        unshown=decoded.unshown,
        agency_id=decoded.agency,
        place=place,
        place_is_area=is_area,
        gln=gln,
        location=locations.get(gln) if gln else None,
    )


_NAMES = select(
    agencies.c.id,
    agencies.c.name,
    agencies.c.household,
    agencies.c.province,
    agencies.c.commune,
    agencies.c.public_consent,
    agencies.c.phone,
    agencies.c.address,
    agencies.c.website,
).where(agencies.c.id.in_(bindparam("ids", expanding=True)))
_BATCHES = select(batches).where(batches.c.id.in_(bindparam("ids", expanding=True)))


async def _add_names(
    conn: Reads,
    names: _Names,
    ids: Iterable[str],
    contacts: dict[str, Contact] | None = None,
) -> None:
    """Read the shown names of the agencies in ``ids`` that ``names`` does not have yet, and
    into ``contacts`` the contact of each organisation among them that gave one."""
    wanted = sorted({i for i in ids if i and i not in names})
    if not wanted:
        return
    rows = await conn.execute(_NAMES, {"ids": wanted})
    for row in rows:
        if contacts is not None and not row.household:
            contact = Contact(phone=row.phone, address=row.address, website=row.website)
            if not contact.empty:
                contacts[row.id] = contact
        # A household is a person: by commune and province unless it consented to its name.
        by_place = bool(row.household and not row.public_consent)
        shown = _place_text(row.province, row.commune) if by_place else row.name
        names[row.id] = (shown, by_place, row.province, row.commune)


def _households(names: _Names) -> dict[str, tuple[str, str | None]]:
    """The households among ``names`` that are shown by their place: by province and commune."""
    return {
        agency: (province, commune)
        for agency, (_shown, by_place, province, commune) in names.items()
        if by_place and province
    }


def _place_text(province: str | None, commune: str | None) -> str:
    places = [commune_name(commune)] if commune else []
    if province:
        places.append(province_name(province))
    return ", ".join(places)


async def build_view(conn: Reads, batch: Batch, *, today: date) -> PageView:
    """The page of ``batch``: its records verified, its ancestry searched for recalls."""
    chain = await batch_records(conn, batch.id)
    keys = await key_statuses(conn, {record.key_id for record in chain})
    parsed: dict[int, Statement] = {}
    faults = verify_chain(
        batch.id, chain, keys, head_seq=batch.version, head_hash=batch.head_hash, parsed=parsed
    )
    decoded = [_decode(record, parsed.get(record.position)) for record in chain]
    names: _Names = {}
    contacts: dict[str, Contact] = {}
    await _add_names(
        conn,
        names,
        [
            batch.producer_id,
            *(d.agency for d in decoded),
            *(i for d in decoded for i in _referenced(d.body)),
        ],
        contacts,
    )
    glns = {gln for d in decoded if d.unshown is None and (gln := captured_gln(d.body))}
    locations = await locations_of(conn, glns)
    events: list[Event] = []
    corrections: dict[str, list[str]] = {}
    for record, facts in zip(chain, decoded, strict=True):
        event = _event(record, facts, names, locations)
        if isinstance(event.body, Corrected):
            corrections.setdefault(event.body.corrects, []).append(event.body.reason)
        events.append(event)
    for event in events:
        event.corrected_by.extend(corrections.get(event.record_hash, []))
    # Dates of a record the page cannot show as it is are not shown: nor are its certificate
    # or its registration's dates (the read model's product and origin stand in).
    registered = next(
        (e.body for e in events if isinstance(e.body, Registered) and e.unshown is None), None
    )
    producer, household, _, _ = names.get(batch.producer_id, ("?", False, None, None))
    certificates = [
        Certificate(
            e.body.scheme.value,
            e.body.certificate_number,
            e.body.issuer,
            e.body.valid_from,
            e.body.valid_until,
            e.body.stars,
            e.body.decision_number,
            today > e.body.valid_until,
            today < e.body.valid_from,
            e.body.issuer_level.value if e.body.issuer_level else None,
        )
        for e in events
        if isinstance(e.body, Certified) and not e.corrected_by and e.unshown is None
    ]
    certificates.sort(key=lambda c: (c.scheme != Scheme.OCOP.value, c.expired))
    alerts, inputs = await _ancestry(conn, batch, events, names)
    named = [named_photo(e.body) for e in events if e.body is not None and e.unshown is None]
    photos = await photo_sizes(conn, [name for name in named if name is not None])
    # A registration that no longer parses (a tampered record) leaves the read model's facts.
    origin = registered.origin if registered else None
    province = origin.province if origin else (batch.province or "")
    commune = origin.commune if origin else None
    # A batch an EPCIS event started is from the place the event names (its GLN).
    where = registered.place if registered and not origin else None
    return PageView(
        batch=batch,
        product=registered.product if registered else batch.product,
        producer=producer,
        household=household,
        origin_province=place_text(where) if where else province_name(province),
        origin_province_code=province,
        origin_commune=commune_name(commune) if commune else None,
        registered=registered,
        alerts=alerts,
        faults=faults,
        records=len(chain),
        events=events,
        certificates=certificates,
        inputs=inputs,
        agency_names={k: v[0] for k, v in names.items()},
        today=today,
        last_position=max((r.position for r in chain), default=-1),
        photos=photos,
        households=_households(names),
        producer_contact=contacts.get(batch.producer_id),
    )


def _alerts_of(batch: Batch, events: list[Event], this_batch: bool) -> list[Alert]:
    found = []
    for event in events:
        if event.corrected_by:
            continue
        if isinstance(event.body, Recalled):
            found.append(
                Alert(
                    "recalled",
                    batch.code,
                    batch.product,
                    this_batch,
                    event.body.reason,
                    event.agency,
                    event.occurred_at,
                )
            )
        elif (
            isinstance(event.body, Inspected)
            and event.body.result is InspectionResult.NON_CONFORMANT
        ):
            failed = [
                a.name for a in event.body.analytes if a.result is InspectionResult.NON_CONFORMANT
            ]
            found.append(
                Alert(
                    "failed_inspection",
                    batch.code,
                    batch.product,
                    this_batch,
                    ", ".join(failed) or event.body.laboratory,
                    event.agency,
                    event.occurred_at,
                )
            )
    return found


async def _ancestry(
    conn: Reads,
    batch: Batch,
    events: list[Event],
    names: _Names,
) -> tuple[list[Alert], list[InputBatch]]:
    """Alerts of the batch and of every batch upstream of it; its direct inputs."""
    alerts = _alerts_of(batch, events, True)
    inputs: list[InputBatch] = []
    seen = {batch.id}
    frontier = [events]
    first = True
    while frontier and len(seen) < MAX_ANCESTRY:
        current_events = frontier.pop()
        wanted: list[tuple[str, str]] = []
        for event in current_events:
            if isinstance(event.body, Transformed) and not event.corrected_by:
                for item in event.body.inputs:
                    wanted.append((item.batch, f"{item.quantity.value} {item.quantity.unit}"))
        if not wanted:
            first = False
            continue
        rows = await conn.execute(_BATCHES, {"ids": sorted({w for w, _ in wanted})})
        found = {row.id: to_batch(row) for row in rows}
        for batch_id, quantity in wanted:
            upstream = found.get(batch_id)
            if upstream is None:
                continue
            if first:
                inputs.append(
                    InputBatch(upstream.code, upstream.product, upstream.public_path, quantity)
                )
            if upstream.id in seen:
                continue
            seen.add(upstream.id)
            upstream_records = await batch_records(conn, upstream.id)
            upstream_decoded = [_decode(record) for record in upstream_records]
            await _add_names(conn, names, (d.agency for d in upstream_decoded))
            upstream_events = [
                _event(record, facts, names, {})
                for record, facts in zip(upstream_records, upstream_decoded, strict=True)
            ]
            corrected = {e.body.corrects for e in upstream_events if isinstance(e.body, Corrected)}
            for event in upstream_events:
                if event.record_hash in corrected:
                    event.corrected_by.append("")
            alerts.extend(_alerts_of(upstream, upstream_events, False))
            frontier.append(upstream_events)
        first = False
    return alerts, inputs
