"""A throwaway PostgreSQL cluster of a test's own, which the test may stop and start.

The shared server the suite uses (``TRACE_TEST_POSTGRES_URL``) must never be stopped; a
test that needs the database to go away (an outage, a restart) makes its own cluster
with ``initdb`` in a temporary folder, on a free port of 127.0.0.1, and removes it at the
end. PostgreSQL's programs are found on ``PATH``, through ``pg_config --bindir``, or in
Debian's ``/usr/lib/postgresql/<version>/bin``; where there are none, :func:`cluster`
skips the test with the reason, unless ``TRACE_REQUIRE_POSTGRES=1``, which fails it.

``initdb`` refuses to run as root: under root (a container) the cluster belongs to the
``postgres`` system account, which Debian's packages create.

    with cluster() as pg:
        url = await pg.create_database("trace")   # postgresql://postgres@127.0.0.1:PORT/trace
        pg.stop()
        pg.start()
        with standby(pg) as replica:                # a streaming replica of it, started
            await replica.pause_replay()

A standby is a hot standby made by ``pg_basebackup --write-recovery-conf`` from the running
cluster (``initdb``'s defaults already allow it: ``wal_level=replica``, ten WAL senders and
replication connections from 127.0.0.1 trusted), in a folder of its own, on its own port.
"""

from __future__ import annotations

import asyncio
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

import asyncpg
import pytest

REQUIRE_POSTGRES = os.environ.get("TRACE_REQUIRE_POSTGRES") == "1"
SYSTEM_USER = "postgres"
# Bounds a wait for a standby that a working test never reaches.
PATIENCE_SECONDS = 10.0


def find_programs() -> Path | None:
    """The folder holding ``initdb`` and ``pg_ctl``, or None."""
    found = shutil.which("initdb")
    if found:
        return Path(found).resolve().parent
    pg_config = shutil.which("pg_config")
    if pg_config:
        done = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True, check=False)
        folder = Path(done.stdout.strip())
        if done.returncode == 0 and (folder / "initdb").is_file():
            return folder
    debian = sorted(
        Path("/usr/lib/postgresql").glob("*/bin/initdb"),
        key=lambda p: int(p.parent.parent.name) if p.parent.parent.name.isdigit() else 0,
    )
    return debian[-1].parent if debian else None


def free_port() -> int:
    """A TCP port of 127.0.0.1 that nothing listens on now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Cluster:
    """A PostgreSQL cluster in ``folder`` listening on 127.0.0.1:``port``, trust auth."""

    def __init__(self, programs: Path, folder: Path, max_connections: int = 60) -> None:
        self.programs = programs
        self.max_connections = max_connections
        self.folder = folder
        self.data = folder / "data"
        self.port = free_port()
        self._user: pwd.struct_passwd | None = None
        if os.geteuid() == 0:
            self._user = pwd.getpwnam(SYSTEM_USER)
            os.chown(folder, self._user.pw_uid, self._user.pw_gid)

    def url(self, database: str) -> str:
        """The URL of ``database`` on this cluster."""
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    async def _query(self, sql: str) -> object:
        admin = await asyncpg.connect(self.admin_url)
        try:
            return await admin.fetchval(sql)
        finally:
            await admin.close()

    async def pause_replay(self) -> None:
        """Stop replaying the primary's WAL (a standby): it keeps receiving, shows nothing new."""
        await self._query("SELECT pg_wal_replay_pause()")
        paused = "SELECT pg_get_wal_replay_pause_state() = 'paused'"
        async with asyncio.timeout(PATIENCE_SECONDS):
            while not await self._query(paused):  # noqa: ASYNC110 (a server's state, polled)
                await asyncio.sleep(0.01)

    async def resume_replay(self) -> None:
        """Replay again what arrived meanwhile (a standby)."""
        await self._query("SELECT pg_wal_replay_resume()")

    async def wait_replayed(self, primary: Cluster) -> None:
        """Wait until this standby has replayed everything ``primary`` has written until now."""
        written = await primary._query("SELECT pg_current_wal_lsn()::text")
        replayed = f"SELECT pg_last_wal_replay_lsn() >= '{written}'::pg_lsn"
        async with asyncio.timeout(PATIENCE_SECONDS):
            while not await self._query(replayed):  # noqa: ASYNC110 (a server's state, polled)
                await asyncio.sleep(0.01)

    def _run(self, program: str, *args: str) -> None:
        command = [str(self.programs / program), *args]
        user = self._user
        done = subprocess.run(
            command,
            capture_output=True,
            text=True,
            check=False,
            cwd=self.folder,
            user=user.pw_uid if user else None,
            group=user.pw_gid if user else None,
            extra_groups=[] if user else None,
        )
        if done.returncode != 0:
            raise RuntimeError(f"{program} failed: {done.stdout}{done.stderr}")

    def initialise(self) -> None:
        """Make the cluster's files (user ``postgres``, trust authentication, UTF-8)."""
        self._run(
            "initdb",
            "--pgdata",
            str(self.data),
            "--username",
            "postgres",
            "--auth",
            "trust",
            "--encoding",
            "UTF8",
            "--no-sync",
        )

    def start(self) -> None:
        """Start the server and wait until it accepts connections."""
        options = (
            f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.folder} "
            f"-c fsync=off -c full_page_writes=off -c max_connections={self.max_connections}"
        )
        self._run(
            "pg_ctl", "--pgdata", str(self.data), "--wait", "--log", "server.log", "-o", options,
            "start",
        )  # fmt: skip

    def stop(self) -> None:
        """Stop the server now: open connections are cut, as when a database goes down."""
        self._run("pg_ctl", "--pgdata", str(self.data), "--wait", "--mode", "fast", "stop")

    @property
    def admin_url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def base_backup_of(self, primary: Cluster) -> None:
        """Make this cluster's files a streaming replica of ``primary`` (running), not started."""
        self._run(
            "pg_basebackup", "--pgdata", str(self.data), "--host", "127.0.0.1",
            "--port", str(primary.port), "--username", "postgres", "--write-recovery-conf",
            "--wal-method", "stream", "--checkpoint", "fast", "--no-sync",
        )  # fmt: skip

    async def create_database(self, name: str, *, template: str | None = None) -> str:
        """Create the database ``name`` (a copy of ``template`` if given); its URL."""
        admin = await asyncpg.connect(self.admin_url)
        try:
            copy = f' TEMPLATE "{template}"' if template else ""
            await admin.execute(f'CREATE DATABASE "{name}"{copy}')
        finally:
            await admin.close()
        return self.url(name)


@contextmanager
def cluster(max_connections: int = 60) -> Iterator[Cluster]:
    """A started throwaway cluster in a temporary folder, stopped and removed at the end.

    The test skips where no cluster can be made (fails with ``TRACE_REQUIRE_POSTGRES=1``).
    The folder is made under the system's temporary folder rather than pytest's, which
    another account (``postgres``, under root) could not enter.
    """
    programs = find_programs()
    reason = "PostgreSQL's initdb and pg_ctl are not installed"
    if programs is None:
        if REQUIRE_POSTGRES:
            pytest.fail(reason + " (TRACE_REQUIRE_POSTGRES=1)")
        pytest.skip(reason)
    if os.geteuid() == 0:
        try:
            pwd.getpwnam(SYSTEM_USER)
        except KeyError:
            reason = f"initdb does not run as root and there is no {SYSTEM_USER} account"
            if REQUIRE_POSTGRES:
                pytest.fail(reason + " (TRACE_REQUIRE_POSTGRES=1)")
            pytest.skip(reason)
    folder = Path(tempfile.mkdtemp(prefix="trace-pg-"))
    try:
        pg = Cluster(programs, folder, max_connections)
        pg.initialise()
        pg.start()
        try:
            yield pg
        finally:
            with suppress(RuntimeError):  # stopped by the test and not started again
                pg.stop()
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@contextmanager
def standby(primary: Cluster) -> Iterator[Cluster]:
    """A started streaming replica of ``primary``, stopped and removed at the end."""
    folder = primary.folder / "standby"
    folder.mkdir()
    # A hot standby needs at least the primary's max_connections.
    replica = Cluster(primary.programs, folder, primary.max_connections)
    replica.base_backup_of(primary)
    replica.start()
    try:
        yield replica
    finally:
        with suppress(RuntimeError):
            replica.stop()
