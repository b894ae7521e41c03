"""The officers' console's answers: a search's rows and a batch's history, said in words.

The same facts as ``GET /api/v1/batches`` and ``GET /api/v1/batches/{ref}/records``, but as a
person reads them, in the request's language: agencies by name, provinces by name, kinds,
dispositions, severities and units in words, every time in Vietnam's zone
(trace/record_words.py).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import msgspec

from trace.api.schemas import RecordOut
from trace.api.search import SearchHitOut
from trace.domain.chain import FAULT_WORDS, ChainFault
from trace.domain.master_data import Location, captured_event_gln
from trace.domain.places import province_name
from trace.domain.texts import N_
from trace.genealogy.holders import Holder
from trace.record_words import (
    AGENCY_FIELDS,
    SCHEME_NAMES,
    FieldWords,
    body_in_words,
    day_words,
    disposition_words,
    kind_words,
    time_words,
)
from trace.store.batches import Batch
from trace.translation import say

INTACT = N_("Intact: the signatures and chain links of all {count} records check.")
NOT_INTACT = N_("Not intact: {count} problems found. The records below may not be what was signed.")
CERTIFICATE_WORDS = N_("{scheme} until {day}")
STARS_WORDS = N_("OCOP {stars} stars until {day}")


class FoundOut(msgspec.Struct):
    """A batch found, as a row an officer reads."""

    id: str
    code: str
    product: str
    lot: str
    gtin: str | None
    producer_id: str
    producer: str  # the producer's name, or a household's commune and province
    province: str | None  # the batch's province by name
    occurred: str | None  # when it was registered as happening, the day in words
    disposition: str | None  # recalled, else the latest inspection's result, in words
    recalled: bool
    ocop_stars: int | None
    certificates: list[str]  # each certificate valid today, in words

    @classmethod
    def of(cls, hit: SearchHitOut, producer: Holder | None, lang: str) -> FoundOut:
        """The row of ``hit`` in ``lang``."""
        certificates = [
            say(STARS_WORDS, lang, stars=c.stars, day=time_words(c.valid_until, lang))
            if c.stars
            else say(
                CERTIFICATE_WORDS,
                lang,
                scheme=say(SCHEME_NAMES[c.scheme], lang),
                day=time_words(c.valid_until, lang),
            )
            for c in hit.certificates
        ]
        return cls(
            hit.id,
            hit.code,
            hit.product,
            hit.lot,
            hit.gtin,
            hit.producer_id,
            producer.shown if producer else hit.producer_id,
            province_name(hit.province) if hit.province else None,
            day_words(hit.occurred_at, lang),
            disposition_words(hit.disposition, lang),
            hit.recalled,
            hit.ocop_stars,
            certificates,
        )


class FoundPageOut(msgspec.Struct):
    """A page of batches in words; pass ``next_cursor`` as ``cursor`` for the next."""

    lang: str
    batches: list[FoundOut]
    next_cursor: str | None


class FieldLineOut(msgspec.Struct):
    """One line of a record's body: ``depth`` 0 for a field of the body, 1 for a field
    within it (or an item of its list, whose ``label`` is its number), and so on; ``value``
    is null for a line that heads the lines below it."""

    depth: int
    label: str
    value: str | None


def field_lines(shown: Sequence[FieldWords], depth: int = 0) -> list[FieldLineOut]:
    """The fields as lines, those within a field or an item indented by one."""
    lines: list[FieldLineOut] = []
    for one in shown:
        if one.fields:
            lines.append(FieldLineOut(depth, one.label, None))
            lines += field_lines(one.fields, depth + 1)
        elif one.items:
            lines.append(FieldLineOut(depth, one.label, None))
            for number, item in enumerate(one.items, start=1):
                if len(item) == 1 and not item[0].label:
                    lines.append(FieldLineOut(depth + 1, f"{number}.", item[0].value))
                else:
                    lines.append(FieldLineOut(depth + 1, f"{number}.", None))
                    lines += field_lines(item, depth + 2)
        else:
            lines.append(FieldLineOut(depth, one.label, one.value))
    return lines


class EntryOut(msgspec.Struct):
    """A record of the history in words; ``corrects`` and ``corrected_by`` are record
    numbers (``seq``): a correction sits beside what it corrects."""

    seq: int
    position: int
    record_hash: str
    kind: str
    kind_words: str
    occurred: str | None
    recorded: str | None
    signer_id: str
    signer: str
    fields: list[FieldLineOut]
    corrects: int | None
    corrected_by: list[int]


class BatchWordsOut(msgspec.Struct):
    """The batch whose history this is, its agencies by name."""

    id: str
    code: str
    product: str
    lot: str
    gtin: str | None
    province: str | None
    producer: str
    holder: str
    in_transit_to: str | None
    recalled: bool
    sold_out: bool
    public_path: str

    @classmethod
    def of(cls, batch: Batch, named: Callable[[str], str]) -> BatchWordsOut:
        """The view of ``batch`` with its agencies named by ``named``."""
        return cls(
            batch.id,
            batch.code,
            batch.product,
            batch.lot,
            batch.gtin,
            province_name(batch.province) if batch.province else None,
            named(batch.producer_id),
            named(batch.holder_id),
            named(batch.in_transit_to) if batch.in_transit_to else None,
            batch.recalled,
            batch.sold_out,
            batch.public_path,
        )


class VerdictOut(msgspec.Struct):
    """Whether the batch's chain checks now: ``words`` says it, ``faults`` each problem."""

    intact: bool
    words: str
    faults: list[str]

    @classmethod
    def of(cls, count: int, faults: Sequence[ChainFault], lang: str) -> VerdictOut:
        """The verdict on a chain of ``count`` records with ``faults``."""
        if not faults:
            return cls(True, say(INTACT, lang, count=count), [])
        said = [say(FAULT_WORDS[f.fault], lang, seq=f.seq, position=f.position) for f in faults]
        return cls(False, say(NOT_INTACT, lang, count=len(faults)), said)


class HistoryOut(msgspec.Struct):
    """A batch's whole history in words, oldest first, with the integrity verdict."""

    lang: str
    batch: BatchWordsOut
    verdict: VerdictOut
    records: list[EntryOut]


def history_of(
    batch: Batch,
    records: Sequence[RecordOut],
    faults: Sequence[ChainFault],
    holders: Mapping[str, Holder],
    batch_names: Mapping[str, str],
    lang: str,
    locations: Mapping[str, Location] | None = None,
) -> HistoryOut:
    """The history of ``batch`` in ``lang``: ``records`` decoded, ``holders`` and the names
    of the batches the records name, by id; a captured event's place by the name of its
    GLN among ``locations`` (trace/domain/master_data.py), else by its GLN."""

    def named(agency: str) -> str:
        holder = holders.get(agency)
        return holder.shown if holder else agency

    seq_of = {r.record_hash: r.seq for r in records}
    corrected_by: dict[int, list[int]] = {}
    corrects: dict[int, int] = {}
    for r in records:
        target = seq_of.get(str(r.body.get("corrects", ""))) if r.kind == "corrected" else None
        if target is not None:
            corrects[r.seq] = target
            corrected_by.setdefault(target, []).append(r.seq)
    entries = [
        EntryOut(
            r.seq,
            r.position,
            r.record_hash,
            r.kind,
            kind_words(r.kind, lang),
            time_words(r.occurred_at, lang),
            time_words(r.recorded_at, lang),
            r.agency,
            named(r.agency),
            _place_line(r, locations or {}, lang)
            + field_lines(body_in_words(r.body, lang, named, lambda b: batch_names.get(b, b))),
            corrects.get(r.seq),
            corrected_by.get(r.seq, []),
        )
        for r in records
    ]
    return HistoryOut(
        lang,
        BatchWordsOut.of(batch, named),
        VerdictOut.of(len(records), faults, lang),
        entries,
    )


PLACE = N_("Place")
UNNAMED_PLACE = N_("the location with GLN {gln}")


def record_gln(record: RecordOut) -> str | None:
    """The GLN a captured EPCIS event (an ``epcis_event`` record) happened at, if any."""
    text = record.body.get("event") if record.kind == "epcis_event" else None
    return captured_event_gln(text) if isinstance(text, str) else None


def _place_line(
    record: RecordOut, locations: Mapping[str, Location], lang: str
) -> list[FieldLineOut]:
    """A captured event's place as the history's first line: its registered name and GLN."""
    gln = record_gln(record)
    if gln is None:
        return []
    location = locations.get(gln)
    shown = f"{location.name(lang)} (GLN {gln})" if location else say(UNNAMED_PLACE, lang, gln=gln)
    return [FieldLineOut(0, say(PLACE, lang), shown)]


def agencies_named(records: Sequence[RecordOut], batch: Batch) -> set[str]:
    """Every agency a history names: signers, the batch's producer and holders, and those a
    body names (the goods' sender, receiver, buyer)."""
    found = {batch.producer_id, batch.holder_id, *(r.agency for r in records)}
    if batch.in_transit_to:
        found.add(batch.in_transit_to)
    for r in records:
        found |= {v for k, v in r.body.items() if k in AGENCY_FIELDS and isinstance(v, str)}
    return found


def batches_named(records: Sequence[RecordOut]) -> set[str]:
    """Every other batch a history names: the inputs a ``transformed`` record lists."""
    return {
        str(item["batch"])
        for r in records
        for item in r.body.get("inputs", ())
        if isinstance(item, dict) and "batch" in item
    }
