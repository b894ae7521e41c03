"""bench/epcis.py (issue 17) runs to its report in its small version, on PostgreSQL.

The figures are not checked (tests never assert a duration); what must hold is what the
bench itself checks: every capture job succeeded with every event, both paths recorded the
same kinds as sent, every query found events, and the throwaway databases are gone.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys

import asyncpg  # type: ignore[import-untyped]
import pytest
from sqlalchemy.engine import make_url

from tests.conftest import POSTGRES_URL, REQUIRE_POSTGRES, ROOT


def _databases() -> set[str]:
    url = make_url(POSTGRES_URL).set(drivername="postgresql")

    async def names() -> set[str]:
        conn = await asyncpg.connect(url.render_as_string(hide_password=False))
        try:
            rows = await conn.fetch("SELECT datname FROM pg_database")
        finally:
            await conn.close()
        return {row["datname"] for row in rows}

    return asyncio.run(names())


def test_the_quick_bench_reports_capture_and_queries_and_drops_its_databases() -> None:
    try:
        before = _databases()
    except (OSError, asyncpg.PostgresError) as exc:
        if REQUIRE_POSTGRES:
            pytest.fail(f"PostgreSQL at {POSTGRES_URL} is not available: {exc}")
        pytest.skip(f"PostgreSQL at {POSTGRES_URL} is not available: {exc}")
    done = subprocess.run(
        [sys.executable, "bench/epcis.py", "--quick", "--postgres-url", POSTGRES_URL],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    report = done.stdout
    assert "| capture |" in report and "| one by one |" in report
    assert "| MATCH_anyEPCClass, one lot |" in report
    assert "Problem" not in report
    left = {name for name in _databases() - before if name.startswith("bench_epcis_")}
    assert left == set()
