"""Changes made behind the ledger's back are found by `python -m trace verify`.

Each test builds a small ledger through the real append path, then plays an
attacker who owns the database: it switches off the append-only triggers the
migration installs and edits the ``records`` table with SQL. The audit
(``trace.store.audit.audit``) must report exactly the expected faults, and the
real command, run as a subprocess against the same database, must exit 1 and
name the batch (id and public code), the record and what is wrong with it.
Every test runs on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import asyncio
import os
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import ColumnElement, Executable, delete, func, select, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection

from tests.conftest import ROOT, Cast
from trace.domain.chain import Fault
from trace.domain.record import Record, record_hash
from trace.domain.statement import parse_statement, statement_hash, verify_signature
from trace.store.agencies import Actor, revoke_key
from trace.store.append import append_unsigned, new_batch_id
from trace.store.audit import AuditReport, audit
from trace.store.ledger import Ledger
from trace.store.tables import agency_keys, batches, log_head, records

# Words of the English fault messages (trace/domain/chain.py, FAULT_WORDS), spelled out
# here so that a change of wording that loses the meaning fails a test.
CHANGED = "record {seq} was changed after it was signed"
BAD_SIGNATURE = "the signature of record {seq} is not valid"
MISSING = "record {seq} is missing (deleted or moved away)"
BROKEN_LINK = "record {seq} does not link to the record before it"
MOVED = "record {seq} belongs to another batch"
HEAD_MISMATCH = "the batch head does not match its last record {seq}"
REVOKED_KEY = "record {seq} is signed with a key revoked as compromised"
LOG_GAP = "log position {position} is missing"

WORDS = {
    Fault.CHANGED: CHANGED,
    Fault.BAD_SIGNATURE: BAD_SIGNATURE,
    Fault.MISSING: MISSING,
    Fault.BROKEN_LINK: BROKEN_LINK,
    Fault.MOVED: MOVED,
    Fault.HEAD_MISMATCH: HEAD_MISMATCH,
    Fault.REVOKED_KEY: REVOKED_KEY,
    Fault.LOG_GAP: LOG_GAP,
}


@dataclass(frozen=True)
class Chain:
    """One batch as built: its id, public code and records (``records[i]`` has seq i + 1)."""

    id: str
    code: str
    records: list[Record]

    def rec(self, seq: int) -> Record:
        return self.records[seq - 1]


@dataclass(frozen=True)
class Built:
    """The ledger every test starts from: three batches, eight records, two signers.

    Log positions: A is 0-3, C is 4, B is 5-7 (B's last record is the newest in the log).
    """

    a: Chain  # producer: registered, harvested x3
    b: Chain  # producer: registered, processed, harvested
    c: Chain  # other producer: registered only

    @property
    def chains(self) -> list[Chain]:
        return [self.a, self.b, self.c]


Expected = tuple[str, int, int | None, Fault]


async def build(ledger: Ledger, cast: Cast) -> Built:
    """Three batches appended through the one append path."""
    producer = cast.producer.actor
    other = cast.other_producer.actor

    async def chain(actor: Actor, events: list[tuple[str, dict[str, Any]]]) -> Chain:
        batch = new_batch_id()
        appended = []
        for hour, (kind, body) in enumerate(events, start=7):
            appended.append(
                await append_unsigned(
                    ledger,
                    actor,
                    batch=batch,
                    kind=kind,
                    occurred_at=f"2026-09-01T{hour:02d}:00:00+07:00",
                    body=body,
                )
            )
        return Chain(batch, appended[0].batch.code, [a.record for a in appended])

    def harvested(value: str) -> tuple[str, dict[str, Any]]:
        return "harvested", {"quantity": {"value": value, "unit": "KGM"}}

    a = await chain(
        producer,
        [
            (
                "registered",
                {"product": "Bưởi Diễn", "lot": "BD-1", "origin": {"province": "01"}},
            ),
            harvested("101"),
            harvested("102"),
            harvested("103"),
        ],
    )
    c = await chain(
        other,
        [("registered", {"product": "Chè Tân Cương", "lot": "CT-1", "origin": {"province": "01"}})],
    )
    b = await chain(
        producer,
        [
            (
                "registered",
                {"product": "Bưởi Diễn", "lot": "BD-2", "origin": {"province": "01"}},
            ),
            ("processed", {"process": "Rửa và phân loại"}),
            harvested("201"),
        ],
    )
    built = Built(a, b, c)
    assert [r.position for r in a.records] == [0, 1, 2, 3]
    assert [r.position for r in c.records] == [4]
    assert [r.position for r in b.records] == [5, 6, 7]
    return built


async def _disable_append_only(conn: AsyncConnection) -> None:
    if conn.dialect.name == "sqlite":
        await conn.exec_driver_sql("DROP TRIGGER IF EXISTS records_no_update")
        await conn.exec_driver_sql("DROP TRIGGER IF EXISTS records_no_delete")
    else:
        await conn.exec_driver_sql("ALTER TABLE records DISABLE TRIGGER records_append_only")
    # The owner can drop constraints too: one statement per record stops no one who can.
    await conn.exec_driver_sql("DROP INDEX IF EXISTS uq_records_statement_hash")


async def tamper(ledger: Ledger, *statements: Executable) -> None:
    """Run ``statements`` as the owner of the database: append-only triggers off first."""
    async with ledger.engine.begin() as conn:
        await _disable_append_only(conn)
        for statement in statements:
            result = await conn.execute(statement)
            assert result.rowcount == 1, f"the tamper statement hit {result.rowcount} rows"


async def rewrite_statement(ledger: Ledger, batch: str, seq: int, old: bytes, new: bytes) -> None:
    """Replace ``old`` by ``new`` in a record's statement, its hash made to match: a forger
    who can write the database but holds no key."""
    async with ledger.engine.connect() as conn:
        row = (
            await conn.execute(
                select(records).where(records.c.batch_id == batch, records.c.seq == seq)
            )
        ).one()
    edited = bytes(row.statement).replace(old, new)
    assert edited != row.statement, f"{old!r} is not in record {seq}"
    await tamper(
        ledger,
        update(records)
        .where(records.c.position == row.position)
        .values(statement=edited, statement_hash=statement_hash(edited)),
    )


def at(position: int) -> ColumnElement[bool]:
    return records.c.position == position


# Faults of the log's tree: a rewritten record also no longer matches the Merkle tree kept
# with it. Tests of the chain leave them out; the log's own tests look at them.
TREE = {Fault.TREE_MISMATCH, Fault.CHECKPOINT_MISMATCH}


def faults_of(report: AuditReport) -> Counter[Expected]:
    return Counter(
        (f.batch, f.seq, f.position, f.fault) for f in report.faults if f.fault not in TREE
    )


async def run_verify(
    database_url: str, master_key_b64: str, tmp_path: Path
) -> tuple[int, str, str]:
    """Run `python -m trace verify` from the project root against the test's database."""
    env = {
        **os.environ,
        "TRACE_DATABASE_URL": database_url,
        "TRACE_MASTER_KEY": master_key_b64,
        "TRACE_DATA_DIR": str(tmp_path / "cli-data"),
    }
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "trace",
        "verify",
        cwd=ROOT,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(), timeout=120)
    assert proc.returncode is not None
    return proc.returncode, out.decode(), err.decode()


def fault_line(built: Built, expected: Expected) -> str:
    """The line `verify` prints (in English) for one fault."""
    batch, seq, position, fault = expected
    code = next((c.code for c in built.chains if c.id == batch), "-")
    shown = "-" if position is None else position
    words = WORDS[fault].format(seq=seq, position=position)
    if batch == "-":
        return f"log, position {shown}: {words}"
    return f"batch {batch} ({code}), record {seq}, position {shown}: {words}"


async def assert_reported(
    ledger: Ledger,
    built: Built,
    expected: list[Expected],
    *,
    database_url: str,
    master_key_b64: str,
    tmp_path: Path,
) -> str:
    """The audit finds exactly ``expected``; `verify` exits 1 and prints a line for each."""
    report = await audit(ledger)
    assert not report.intact
    assert faults_of(report) == Counter(expected)

    status, out, err = await run_verify(database_url, master_key_b64, tmp_path)
    assert status == 1, (out, err)
    assert "Intact" not in out
    found = len(report.faults)
    assert f"FOUND {found} integrity failures in 3 batches:" in err, err
    assert f"PHÁT HIỆN {found} lỗi toàn vẹn trong 3 lô hàng:" in err, err
    lines = [line.strip() for line in err.splitlines()]
    for item in expected:
        assert fault_line(built, item) in lines, (fault_line(built, item), err)
    return err


async def test_untouched_ledger_verifies_with_exit_status_0(
    ledger: Ledger, cast: Cast, database_url: str, master_key_b64: str, tmp_path: Path
) -> None:
    await build(ledger, cast)

    report = await audit(ledger)
    assert report.intact, report.faults
    assert (report.batches, report.records) == (3, 8)

    status, out, err = await run_verify(database_url, master_key_b64, tmp_path)
    assert status == 0, (out, err)
    assert "Intact: 3 batches, 8 records, every signature and chain valid." in out
    assert "Toàn vẹn: 3 lô hàng, 8 bản ghi" in out
    assert "FOUND" not in err


async def test_append_only_triggers_refuse_update_and_delete_of_records(
    ledger: Ledger, cast: Cast
) -> None:
    built = await build(ledger, cast)
    target = built.a.rec(2)

    with pytest.raises(DBAPIError, match="append-only"):
        async with ledger.engine.begin() as conn:
            await conn.execute(update(records).where(at(target.position)).values(statement=b"{}"))
    with pytest.raises(DBAPIError, match="append-only"):
        async with ledger.engine.begin() as conn:
            await conn.execute(update(records).where(at(target.position)).values(seq=99))
    with pytest.raises(DBAPIError, match="append-only"):
        async with ledger.engine.begin() as conn:
            await conn.execute(delete(records).where(at(target.position)))
    with pytest.raises(DBAPIError, match="append-only"):
        async with ledger.engine.begin() as conn:
            await conn.execute(delete(records))

    async with ledger.engine.connect() as conn:
        stored = (await conn.execute(select(records).where(at(target.position)))).one()
        count = (await conn.execute(select(func.count()).select_from(records))).scalar_one()
    assert bytes(stored.statement) == target.statement
    assert stored.seq == 2
    assert count == 8
    assert (await audit(ledger)).intact


async def test_edited_record_body_is_reported_by_batch_and_record(
    ledger: Ledger, cast: Cast, database_url: str, master_key_b64: str, tmp_path: Path
) -> None:
    built = await build(ledger, cast)
    target = built.a.rec(2)
    assert target.statement.count(b'"value":"101"') == 1
    edited = target.statement.replace(b'"value":"101"', b'"value":"901"')
    # A plausible edit: still a well-formed statement of the same batch, 100 kg became 900 kg.
    assert parse_statement(edited).body["quantity"]["value"] == "901"

    await tamper(
        ledger,
        update(records)
        .where(at(target.position))
        .values(statement=edited, statement_hash=statement_hash(edited)),
    )

    a, p = built.a.id, target.position
    err = await assert_reported(
        ledger,
        built,
        [(a, 2, p, Fault.CHANGED), (a, 2, p, Fault.BAD_SIGNATURE)],
        database_url=database_url,
        master_key_b64=master_key_b64,
        tmp_path=tmp_path,
    )
    assert (
        f"lô {a} ({built.a.code}), bản ghi 2, vị trí {p}: bản ghi 2 đã bị sửa sau khi được ký"
        in err
    )


async def test_edited_body_with_rehashed_chain_and_head_is_caught_by_its_signature(
    ledger: Ledger, cast: Cast, database_url: str, master_key_b64: str, tmp_path: Path
) -> None:
    """An attacker who recomputes every hash after the edit still cannot forge the signature."""
    built = await build(ledger, cast)
    target = built.a.rec(2)
    edited = target.statement.replace(b'"value":"101"', b'"value":"901"')
    assert edited != target.statement

    statements: list[Executable] = []
    prev = built.a.rec(1).record_hash
    for rec in built.a.records[1:]:
        statement = edited if rec.seq == 2 else rec.statement
        rehashed = record_hash(
            prev=prev,
            statement_hash=statement_hash(statement),
            signature=rec.signature,
            seq=rec.seq,
            position=rec.position,
            recorded_at_us=rec.recorded_at_us,
        )
        statements.append(
            update(records)
            .where(at(rec.position))
            .values(
                statement=statement,
                statement_hash=statement_hash(statement),
                prev=prev,
                record_hash=rehashed,
            )
        )
        prev = rehashed
    statements.append(update(batches).where(batches.c.id == built.a.id).values(head_hash=prev))
    await tamper(ledger, *statements)

    assert Fault.TREE_MISMATCH in {f.fault for f in (await audit(ledger)).faults}
    await assert_reported(
        ledger,
        built,
        [(built.a.id, 2, target.position, Fault.BAD_SIGNATURE)],
        database_url=database_url,
        master_key_b64=master_key_b64,
        tmp_path=tmp_path,
    )


async def test_deleted_middle_record_is_reported_as_missing_and_unlinked(
    ledger: Ledger, cast: Cast, database_url: str, master_key_b64: str, tmp_path: Path
) -> None:
    built = await build(ledger, cast)
    gone, after = built.a.rec(2), built.a.rec(3)

    await tamper(ledger, delete(records).where(at(gone.position)))

    a = built.a.id
    await assert_reported(
        ledger,
        built,
        [
            (a, 2, None, Fault.MISSING),
            (a, 3, after.position, Fault.BROKEN_LINK),
            ("-", 0, gone.position, Fault.LOG_GAP),
        ],
        database_url=database_url,
        master_key_b64=master_key_b64,
        tmp_path=tmp_path,
    )


async def test_deleted_last_record_of_a_batch_is_reported_as_missing(
    ledger: Ledger, cast: Cast, database_url: str, master_key_b64: str, tmp_path: Path
) -> None:
    """The chain left behind is consistent; the batch head still counts the deleted record."""
    built = await build(ledger, cast)
    gone = built.a.rec(4)

    await tamper(ledger, delete(records).where(at(gone.position)))

    await assert_reported(
        ledger,
        built,
        [(built.a.id, 4, None, Fault.MISSING), ("-", 0, gone.position, Fault.LOG_GAP)],
        database_url=database_url,
        master_key_b64=master_key_b64,
        tmp_path=tmp_path,
    )


async def test_deleted_newest_record_with_log_head_rewound_is_reported_as_missing(
    ledger: Ledger, cast: Cast, database_url: str, master_key_b64: str, tmp_path: Path
) -> None:
    """Shrinking the log to hide the gap still leaves the batch head pointing past the chain."""
    built = await build(ledger, cast)
    gone = built.b.rec(3)
    assert gone.position == 7  # the newest record of the whole log

    await tamper(
        ledger,
        delete(records).where(at(gone.position)),
        update(log_head).where(log_head.c.id == 1).values(size=gone.position),
    )

    await assert_reported(
        ledger,
        built,
        [(built.b.id, 3, None, Fault.MISSING)],
        database_url=database_url,
        master_key_b64=master_key_b64,
        tmp_path=tmp_path,
    )


async def test_swapped_seq_numbers_are_reported(
    ledger: Ledger, cast: Cast, database_url: str, master_key_b64: str, tmp_path: Path
) -> None:
    built = await build(ledger, cast)
    two, three, four = built.a.rec(2), built.a.rec(3), built.a.rec(4)

    # (batch_id, seq) is unique: the swap goes through a free seq number.
    await tamper(
        ledger,
        update(records).where(at(two.position)).values(seq=1000),
        update(records).where(at(three.position)).values(seq=2),
        update(records).where(at(two.position)).values(seq=3),
    )

    a = built.a.id
    await assert_reported(
        ledger,
        built,
        [
            # seq 2 now holds the old third record: it links to the old second, and its
            # hash covered seq 3.
            (a, 2, three.position, Fault.BROKEN_LINK),
            (a, 2, three.position, Fault.CHANGED),
            (a, 3, two.position, Fault.BROKEN_LINK),
            (a, 3, two.position, Fault.CHANGED),
            # and the fourth record links to what is now seq 2, not seq 3.
            (a, 4, four.position, Fault.BROKEN_LINK),
        ],
        database_url=database_url,
        master_key_b64=master_key_b64,
        tmp_path=tmp_path,
    )


async def test_swapped_contents_of_two_positions_are_reported(
    ledger: Ledger, cast: Cast, database_url: str, master_key_b64: str, tmp_path: Path
) -> None:
    """Statements and their own (valid) signatures swapped between records 2 and 3."""
    built = await build(ledger, cast)
    two, three = built.a.rec(2), built.a.rec(3)

    def content(rec: Record) -> dict[str, object]:
        return {
            "statement": rec.statement,
            "statement_hash": statement_hash(rec.statement),
            "signature": rec.signature,
        }

    await tamper(
        ledger,
        update(records).where(at(two.position)).values(**content(three)),
        update(records).where(at(three.position)).values(**content(two)),
    )

    a = built.a.id
    await assert_reported(
        ledger,
        built,
        [(a, 2, two.position, Fault.CHANGED), (a, 3, three.position, Fault.CHANGED)],
        database_url=database_url,
        master_key_b64=master_key_b64,
        tmp_path=tmp_path,
    )


@pytest.mark.parametrize("replacement", ["signature_of_another_statement", "random_bytes"])
async def test_replaced_signature_is_reported(
    ledger: Ledger,
    cast: Cast,
    database_url: str,
    master_key_b64: str,
    tmp_path: Path,
    replacement: str,
) -> None:
    built = await build(ledger, cast)
    target = built.a.rec(2)
    if replacement == "random_bytes":
        signature = os.urandom(64)
    else:
        donor = built.a.rec(3)
        signature = donor.signature
        # It is a valid signature by the same key, of another statement.
        async with ledger.engine.connect() as conn:
            public = (
                await conn.execute(
                    select(agency_keys.c.public_key).where(agency_keys.c.key_id == donor.key_id)
                )
            ).scalar_one()
        verify_signature(bytes(public), statement_hash(donor.statement), signature)
    assert signature != target.signature

    await tamper(ledger, update(records).where(at(target.position)).values(signature=signature))

    a, p = built.a.id, target.position
    await assert_reported(
        ledger,
        built,
        [(a, 2, p, Fault.CHANGED), (a, 2, p, Fault.BAD_SIGNATURE)],
        database_url=database_url,
        master_key_b64=master_key_b64,
        tmp_path=tmp_path,
    )


async def test_record_moved_to_another_batch_is_reported_in_both_batches(
    ledger: Ledger, cast: Cast, database_url: str, master_key_b64: str, tmp_path: Path
) -> None:
    built = await build(ledger, cast)
    moved, after = built.a.rec(2), built.a.rec(3)

    await tamper(ledger, update(records).where(at(moved.position)).values(batch_id=built.c.id))

    a, c = built.a.id, built.c.id
    await assert_reported(
        ledger,
        built,
        [
            # Where it was taken from: a hole, and the next record no longer links.
            (a, 2, None, Fault.MISSING),
            (a, 3, after.position, Fault.BROKEN_LINK),
            # Where it was put: it names batch A, links to A's record 1, and C's head
            # is still C's own record 1.
            (c, 2, moved.position, Fault.BROKEN_LINK),
            (c, 2, moved.position, Fault.MOVED),
            (c, 2, moved.position, Fault.HEAD_MISMATCH),
        ],
        database_url=database_url,
        master_key_b64=master_key_b64,
        tmp_path=tmp_path,
    )


async def test_record_signed_with_key_later_revoked_as_compromised_is_reported(
    ledger: Ledger, cast: Cast, database_url: str, master_key_b64: str, tmp_path: Path
) -> None:
    """Revocation from a time invalidates what was recorded since; earlier records stay valid."""
    built = await build(ledger, cast)
    key = cast.producer.key_id
    before, first_bad = built.a.rec(2), built.a.rec(3)
    assert first_bad.recorded_at_us - before.recorded_at_us > 1
    since = first_bad.recorded_at_us - 1

    await revoke_key(ledger, key, from_us=since, reason="điện thoại bị mất / phone stolen")

    expected: list[Expected] = [
        (chain.id, rec.seq, rec.position, Fault.REVOKED_KEY)
        for chain in built.chains
        for rec in chain.records
        if rec.key_id == key and rec.recorded_at_us >= since
    ]
    # A3, A4 and the whole of B; A1, A2 (before) and C (another agency's key) stay valid.
    assert sorted((batch, seq) for batch, seq, _, _ in expected) == sorted(
        [(built.a.id, 3), (built.a.id, 4)] + [(built.b.id, s) for s in (1, 2, 3)]
    )
    await assert_reported(
        ledger,
        built,
        expected,
        database_url=database_url,
        master_key_b64=master_key_b64,
        tmp_path=tmp_path,
    )


@pytest.mark.parametrize(
    ("column", "value", "fault"),
    [("signature", b"\x01" * 10, Fault.BAD_SIGNATURE), ("prev", b"\x02" * 5, Fault.BROKEN_LINK)],
    ids=["short_signature", "short_prev"],
)
async def test_field_of_the_wrong_length_is_reported_not_a_crash(
    ledger: Ledger,
    cast: Cast,
    database_url: str,
    master_key_b64: str,
    tmp_path: Path,
    column: str,
    value: bytes,
    fault: Fault,
) -> None:
    built = await build(ledger, cast)
    target = built.a.rec(2)

    await tamper(ledger, update(records).where(at(target.position)).values(**{column: value}))

    report = await audit(ledger)
    assert (built.a.id, 2, target.position, fault) in faults_of(report)
    status, out, err = await run_verify(database_url, master_key_b64, tmp_path)
    assert status == 1, (out, err)
    assert fault_line(built, (built.a.id, 2, target.position, fault)) in err
    assert "Traceback" not in err


async def test_backdated_record_is_reported_even_with_its_hashes_recomputed(
    ledger: Ledger, cast: Cast
) -> None:
    built = await build(ledger, cast)
    target = built.b.rec(3)
    earlier = built.a.rec(1).recorded_at_us - 1_000_000
    rehashed = record_hash(
        prev=target.prev,
        statement_hash=statement_hash(target.statement),
        signature=target.signature,
        seq=target.seq,
        position=target.position,
        recorded_at_us=earlier,
    )
    await tamper(
        ledger,
        update(records)
        .where(at(target.position))
        .values(recorded_at_us=earlier, record_hash=rehashed),
        update(batches).where(batches.c.id == built.b.id).values(head_hash=rehashed),
    )
    found = faults_of(await audit(ledger))
    assert found == Counter([(built.b.id, 3, target.position, Fault.BACKDATED)])
