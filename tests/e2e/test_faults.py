"""The fault harness of issue 12 (bench/faults.py), bounded: one server kill per database and one
PostgreSQL restart under a small load, then everything acknowledged is read back.

PostgreSQL here is a throwaway cluster of the test's own (initdb and pg_ctl), never the
shared server the other tests use: the harness restarts it. Without initdb the PostgreSQL
cases skip, naming what is missing, unless ``TRACE_REQUIRE_POSTGRES=1``.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

import pytest

from tests.conftest import REQUIRE_POSTGRES, ROOT

# The bench scripts import one another by name, as they do when run from bench/.
if str(ROOT / "bench") not in sys.path:
    sys.path.insert(0, str(ROOT / "bench"))

import faults
from faults_audit import Stored, audit
from faults_deployment import postgres_bindir
from faults_writers import Ack

T = TypeVar("T")


def _in_thread(work: Callable[[], T]) -> T:
    """The harness runs its own event loops: keep them off the tests' loop."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(work).result()


def _plan(database: str) -> faults.Plan:
    # PostgreSQL stays down a second, so that writers are answered while it is.
    return faults.Plan(
        database, writers=8, seconds=8.0, kills=1, restarts=1, pg_down=1.0, producers=2
    )


def _assert_nothing_lost_duplicated_or_forked(outcome: faults.Outcome) -> None:
    found = outcome.audit
    assert [f.kind for f in outcome.faults] == outcome.plan.schedule()
    assert all(f.recovered_after is not None for f in outcome.faults), outcome.report()
    assert found.acknowledged > 0 and found.present == found.acknowledged, outcome.report()
    assert found.lost == [], outcome.report()
    assert found.duplicated == [], outcome.report()
    assert found.forked == [], outcome.report()
    assert found.log_gaps == [], outcome.report()
    assert found.verify_exit == 0, found.verify_output


@pytest.fixture(scope="module")
def postgres_run() -> faults.Outcome:
    if postgres_bindir() is None:
        reason = "PostgreSQL's initdb and pg_ctl are not on PATH, in TRACE_PG_BIN or pg_config"
        if REQUIRE_POSTGRES:
            pytest.fail(reason + " (TRACE_REQUIRE_POSTGRES=1)")
        pytest.skip(reason)
    return _in_thread(lambda: faults.run(_plan("postgres")))


def test_a_killed_sqlite_service_loses_duplicates_and_forks_nothing() -> None:
    outcome = _in_thread(lambda: faults.run(_plan("sqlite")))
    _assert_nothing_lost_duplicated_or_forked(outcome)
    assert outcome.answers[faults.KILL]["201"] < sum(outcome.answers[faults.KILL].values())


def test_a_killed_service_and_restarted_postgres_lose_duplicate_and_fork_nothing(
    postgres_run: faults.Outcome,
) -> None:
    _assert_nothing_lost_duplicated_or_forked(postgres_run)
    # The restart was felt: the service answered requests while the database was down.
    outage = postgres_run.outage_answers()
    assert sum(n for answer, n in outage.items() if answer.isdigit() and answer != "201") > 0


def test_postgres_down_is_answered_503_with_retry_after_never_500(
    postgres_run: faults.Outcome,
) -> None:
    answers = postgres_run.outage_answers()
    assert answers["500"] == 0, answers
    assert answers["503"] > 0, answers
    assert not postgres_run.bad_503, postgres_run.bad_503


def _stored(position: int, batch: str, seq: int, prev: bytes, key: str) -> Stored:
    digest = bytes([position + 1]) * 32
    return Stored(position, batch, seq, prev, digest, digest[::-1], "harvested", key)


def _ack(record: Stored) -> Ack:
    return Ack(
        record.key or "",
        record.kind,
        record.batch,
        record.seq,
        record.position,
        record.record_hash.hex(),
        record.statement_hash.hex(),
        replayed=False,
    )


def test_the_read_back_names_a_lost_a_duplicated_and_a_forked_record() -> None:
    first = _stored(0, "a", 1, bytes(32), "w00-000001")
    second = _stored(1, "a", 2, first.record_hash, "w00-000002")
    clean = audit([_ack(first), _ack(second)], [first, second], 2)
    assert (clean.present, clean.lost, clean.duplicated, clean.forked) == (2, [], [], [])

    # Acknowledged, then gone; the same request stored twice; a second seq 2 of batch a.
    lost = _ack(_stored(2, "b", 1, bytes(32), "w01-000001"))
    again = _stored(2, "c", 1, bytes(32), "w00-000002")
    fork = _stored(3, "a", 2, first.record_hash, "w02-000001")
    found = audit([_ack(first), _ack(second), lost], [first, second, again, fork], 4)
    assert found.present == 2 and len(found.lost) == 1 and "w01-000001" in found.lost[0]
    assert found.duplicated == ["request w00-000002 stored 2 times, at [1, 2]"]
    assert len(found.forked) == 1 and "two records with seq 2" in found.forked[0]
    broken = _stored(1, "a", 2, bytes(32), "w00-000002")
    assert "links to" in audit([], [first, broken], 2).forked[0]
    assert audit([], [first, second], 3).log_gaps
