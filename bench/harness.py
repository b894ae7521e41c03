"""What bench/append.py and bench/log.py share: the timed loop, CPU accounting, the server.

- ``timed_tasks`` runs a step from N asyncio tasks for a number of seconds and returns a
  ``Run`` (successes, errors, latencies, CPU seconds by process);
- ``Meter`` measures the CPU of a timed section split by process: this one, PostgreSQL's
  (the bench database's backends and the shared auxiliary processes), the server's
  process group, the load generator (children), and how busy the whole machine was;
- ``Server`` starts ``python -m trace serve`` as a subprocess and waits for ``/healthz``;
  ``kill()`` ends its whole process group with SIGKILL (bench/faults.py).

The scripts import it as ``harness`` (``bench/`` is ``sys.path[0]`` when they run). It
imports nothing from ``trace``, so it does not depend on the project root being on the path.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import os
import resource
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_POSTGRES = "postgresql://postgres@127.0.0.1:5432/postgres"
OCCURRED_AT = "2026-03-02T07:30:00+07:00"
# One realistic single event: a harvest with a Vietnamese note (statement ~ 400 bytes).
EVENT_KIND = "harvested"
EVENT_BODY: dict[str, Any] = {
    "quantity": {"value": "1250.5", "unit": "KGM"},
    "area": "LUA-ST25-03",
    "note": "Thu hoạch lúa ST25 vụ Đông Xuân, ruộng số 3, độ ẩm hạt 24%.",
}


def log(*parts: object) -> None:
    print(*parts, file=sys.stderr, flush=True)


def percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def admin_sql(server_url: str, sql: str) -> None:
    """Run one statement on the server's maintenance database (CREATE/DROP DATABASE)."""
    import asyncpg

    conn = await asyncpg.connect(pg_dsn(server_url, make_url(server_url).database or "postgres"))
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


def scratch_database(server_url: str, name: str) -> tuple[str, Callable[[], None]]:
    """A new empty database ``name`` (replacing one left over); its DSN and how to drop it."""
    asyncio.run(admin_sql(server_url, f'DROP DATABASE IF EXISTS "{name}"'))
    asyncio.run(admin_sql(server_url, f'CREATE DATABASE "{name}"'))

    def drop() -> None:
        asyncio.run(admin_sql(server_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))

    return pg_dsn(server_url, name), drop


def _postgres_url(value: str) -> str:
    if value.split(":", 1)[0].split("+", 1)[0] not in ("postgresql", "postgres"):
        raise argparse.ArgumentTypeError("must name a PostgreSQL server")
    return value


def add_postgres_option(parser: argparse.ArgumentParser) -> None:
    """``--postgres-url [URL]``: run on PostgreSQL instead of the default SQLite file."""
    parser.add_argument(
        "--postgres-url",
        "--database-url",
        dest="postgres_url",
        nargs="?",
        type=_postgres_url,
        const=os.environ.get("TRACE_BENCH_POSTGRES_URL", DEFAULT_POSTGRES),
        help="run on PostgreSQL: a server where the bench may CREATE DATABASE (without a value:"
        f" TRACE_BENCH_POSTGRES_URL or {DEFAULT_POSTGRES}); default: a SQLite file",
    )


def demo_environment(
    workdir: Path, public_url: str, postgres_url: str | None, name: str
) -> tuple[dict[str, str], str | None, Callable[[], None]]:
    """The environment of a throwaway deployment under ``workdir``: a fresh master key,
    its data folder, and an embedded SQLite file or a new PostgreSQL database ``name``
    (returned, with how to drop it)."""
    env = dict(os.environ)
    env["TRACE_MASTER_KEY"] = base64.b64encode(secrets.token_bytes(32)).decode()
    env["TRACE_DATA_DIR"] = str(workdir / "data")
    (workdir / "data").mkdir()
    env["TRACE_PUBLIC_URL"] = public_url
    if postgres_url is None:
        env["TRACE_DATABASE_URL"] = f"sqlite:///{workdir / 'data' / 'trace.sqlite3'}"
        return env, None, lambda: None
    url, drop = scratch_database(postgres_url, name)
    env["TRACE_DATABASE_URL"] = url
    return env, name, drop


def pg_dsn(url: str, database: str) -> str:
    """``url`` (any SQLAlchemy PostgreSQL URL) as a plain DSN for ``database``."""
    return (
        make_url(url)
        .set(drivername="postgresql", database=database)
        .render_as_string(hide_password=False)
    )


# --------------------------------------------------------------------------- results


@dataclass
class Run:
    ok: int
    errors: int
    seconds: float
    latencies_ms: list[float] = field(default_factory=list)
    # CPU seconds spent during the run by: the code under test (this process, or the
    # server's processes for HTTP), PostgreSQL's processes, the load generator.
    cpu_app: float | None = None
    cpu_db: float | None = None
    cpu_client: float | None = None
    busy: float | None = None  # the whole machine, 0..1 of all cores (other tenants too)
    note: str = ""

    @property
    def rate(self) -> float:
        return self.ok / self.seconds if self.seconds > 0 else 0.0

    def per_op_ms(self, cpu: float | None) -> float | None:
        """CPU milliseconds per successful operation."""
        return None if cpu is None or not self.ok else cpu / self.ok * 1000


# --------------------------------------------------------------------------- CPU


_TICK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _machine() -> tuple[int, int] | None:
    """All ticks and idle ticks (idle + iowait) of the whole machine so far."""
    try:
        with open("/proc/stat") as handle:
            ticks = [int(x) for x in handle.readline().split()[1:]]
    except (OSError, ValueError):
        return None
    return sum(ticks), ticks[3] + (ticks[4] if len(ticks) > 4 else 0)


def _process_ticks(database: str | None, server_group: int | None) -> dict[int, tuple[str, int]]:
    """CPU ticks of PostgreSQL's processes (``database``'s and shared ones) and the server's.

    Other databases' backends on a shared server are not counted; without ``database``
    (SQLite) only PostgreSQL's shared processes are.
    """
    out: dict[int, tuple[str, int]] = {}
    try:
        pids = [int(e.name) for e in os.scandir("/proc") if e.name.isdigit()]
    except OSError:
        return out
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as handle:
                stat = handle.read()
            close = stat.rindex(")")
            comm, rest = stat[stat.index("(") + 1 : close], stat[close + 2 :].split()
            ticks = int(rest[11]) + int(rest[12])  # utime + stime
            if comm == "postgres":
                with open(f"/proc/{pid}/cmdline", "rb") as handle:
                    title = handle.read().replace(b"\0", b" ").decode(errors="replace") + " "
                # shared auxiliary processes have no client address; other databases' do
                ours = database is not None and f" {database} " in title
                if ours or ("(" not in title and "autovacuum worker" not in title):
                    out[pid] = ("db", ticks)
            elif server_group is not None and int(rest[2]) == server_group:
                out[pid] = ("server", ticks)
        except (OSError, ValueError, IndexError):
            continue
    return out


def _delta(
    before: dict[int, tuple[str, int]], after: dict[int, tuple[str, int]], kind: str
) -> float:
    # A process that started during the section counts from zero; one that ended is lost.
    ticks = sum(t - before.get(pid, (k, 0))[1] for pid, (k, t) in after.items() if k == kind)
    return max(ticks, 0) / _TICK


def _rusage(who: int) -> float:
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime


class Meter:
    """CPU used during a timed section, split by process (Linux /proc; zeros elsewhere).

    ``own``: this process; ``children``: its finished children (a load generator such as
    wrk); ``db``: PostgreSQL's processes for ``database``; ``server``: the processes of
    the ``server_group`` process group; ``busy``: the whole machine, 0..1 of all cores.
    """

    def __init__(self, database: str | None = None, server_group: int | None = None) -> None:
        self.database, self.server_group = database, server_group
        self.own = self.children = self.db = self.server = 0.0
        self.busy: float | None = None

    def __enter__(self) -> Meter:
        self.own0 = _rusage(resource.RUSAGE_SELF)
        self.children0 = _rusage(resource.RUSAGE_CHILDREN)
        self.procs0 = _process_ticks(self.database, self.server_group)
        self.machine0 = _machine()
        return self

    def __exit__(self, *exc: object) -> None:
        procs1 = _process_ticks(self.database, self.server_group)
        self.own = _rusage(resource.RUSAGE_SELF) - self.own0
        self.children = _rusage(resource.RUSAGE_CHILDREN) - self.children0
        self.db = _delta(self.procs0, procs1, "db")
        self.server = _delta(self.procs0, procs1, "server")
        machine1, self.busy = _machine(), None
        if self.machine0 and machine1 and machine1[0] > self.machine0[0]:
            idle = (machine1[1] - self.machine0[1]) / (machine1[0] - self.machine0[0])
            self.busy = 1 - idle


# --------------------------------------------------------------------------- the timed loop


async def timed_tasks(
    clients: int,
    seconds: float,
    step: Callable[[int], Awaitable[None]],
    *,
    database: str | None = None,
    server_group: int | None = None,
    error_pause: float = 0.0,
) -> Run:
    """Run ``step(worker)`` in a loop from ``clients`` tasks for ``seconds``.

    Errors are counted (the first one is kept as the run's note) and the loop goes on,
    after ``error_pause`` seconds if given. With ``server_group`` the code under test is
    that process group and this process is the load generator; without, it is this one.
    """
    latencies: list[float] = []
    counts = {"ok": 0, "errors": 0}
    first_error: list[str] = []
    deadline = 0.0

    async def worker(index: int) -> None:
        while time.perf_counter() < deadline:
            began = time.perf_counter()
            try:
                await step(index)
            except Exception as exc:  # counted and reported, the run goes on
                counts["errors"] += 1
                if not first_error:
                    first_error.append(f"{type(exc).__name__}: {exc}"[:200])
                if error_pause:
                    await asyncio.sleep(error_pause)
                continue
            latencies.append((time.perf_counter() - began) * 1000)
            counts["ok"] += 1

    with Meter(database, server_group) as meter:
        start = time.perf_counter()
        deadline = start + seconds
        await asyncio.gather(*(worker(i) for i in range(clients)))
        elapsed = time.perf_counter() - start
    run = Run(counts["ok"], counts["errors"], elapsed, latencies, busy=meter.busy)
    if server_group is None:  # the code under test runs in this process
        run.cpu_app = meter.own
    else:  # this process is the load generator
        run.cpu_app, run.cpu_client = meter.server, meter.own
    run.cpu_db = meter.db
    run.note = first_error[0] if first_error else ""
    return run


# --------------------------------------------------------------------------- the server


class Server:
    """``python -m trace serve`` as a subprocess, from the project root, in its own session.

    ``env`` is its environment (the database, the master key, ...); its output goes to
    ``log_path``; ``port`` is a spare one unless given (a restart keeps its address).
    Ready once ``/healthz`` answers 200; ``stop()`` ends it, ``kill()`` kills it.
    """

    def __init__(
        self,
        env: dict[str, str],
        log_path: Path,
        workers: int | None = None,
        port: int | None = None,
    ) -> None:
        self.port = port or spare_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log_path = log_path
        self.log = open(self.log_path, "wb")  # noqa: SIM115 - closed in stop()
        command = [sys.executable, "-m", "trace", "serve", "--port", str(self.port)]
        if workers is not None:
            command += ["--workers", str(workers)]
        self.proc = subprocess.Popen(
            command,
            cwd=ROOT,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + 60
        while True:
            if self.proc.poll() is not None:
                self.log.close()
                raise RuntimeError(f"the server exited; see {self.log_path}")
            try:
                with urllib.request.urlopen(self.base + "/healthz", timeout=2) as answer:
                    if answer.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"the server did not answer /healthz; see {self.log_path}")
            time.sleep(0.2)

    def kill(self) -> None:
        """SIGKILL to the whole process group (the server and its workers), as a crash would;
        returns once none of them is left."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait()
        deadline = time.monotonic() + 30
        while group_members(self.proc.pid):
            if time.monotonic() > deadline:
                raise RuntimeError(f"processes of group {self.proc.pid} outlived SIGKILL")
            time.sleep(0.05)
        self.log.close()

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)  # the group this bench started
                self.proc.wait()
        self.log.close()


def spare_port() -> int:
    """A TCP port of 127.0.0.1 that nothing listens on now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def group_members(group: int) -> list[int]:
    """The ids of the live processes of process group ``group`` (Linux /proc)."""
    members = []
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat") as handle:
                stat = handle.read()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2 :].split()
        # A zombie has let go of everything; its parent has not collected it yet.
        if int(fields[2]) == group and fields[0] != "Z":
            members.append(int(entry.name))
    return members


def phone_chromium(width: int, height: int, pixel_ratio: float, lang: str = "vi") -> Any:
    """Headless Chromium (Debian's, driven by Selenium) emulating a phone's screen.

    A fresh profile each time: nothing cached from an earlier run.
    """
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium") or "chromium"
    for flag in ("--headless", "--no-sandbox", "--disable-background-networking", f"--lang={lang}"):
        options.add_argument(flag)
    options.add_experimental_option(
        "mobileEmulation",
        {"deviceMetrics": {"width": width, "height": height, "pixelRatio": pixel_ratio}},
    )
    return webdriver.Chrome(
        options=options, service=Service(executable_path=shutil.which("chromedriver"))
    )
