"""The throwaway deployment bench/faults.py breaks: a database, the CLI, the server.

``Deployment`` is one service, ``python -m trace serve`` on a port it keeps across
restarts, with its database: a SQLite file in its temporary directory, or a ``Cluster``
of its own, migrated by ``python -m trace migrate``; ``agency add`` makes its producers.

The harness stops and restarts its database, so it never uses a shared PostgreSQL server:
the cluster is made by ``initdb`` in a temporary directory, listens on 127.0.0.1 and a
Unix socket in that directory, and trusts local connections. PostgreSQL refuses to run as
root; run as root, the cluster belongs to the ``postgres`` account (``TRACE_PG_USER``
names another). Its binaries are those in ``TRACE_PG_BIN`` if set, else on ``PATH``, else
in ``pg_config --bindir``.
"""

from __future__ import annotations

import json
import os
import pwd
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from faults_writers import Producer
from harness import ROOT, Server, demo_environment, spare_port

DATABASE = "trace_faults"


def postgres_bindir() -> Path | None:
    """Where initdb and pg_ctl are, or None when this machine has no PostgreSQL server."""
    chosen = os.environ.get("TRACE_PG_BIN")
    if chosen:
        return Path(chosen) if (Path(chosen) / "initdb").is_file() else None
    found = shutil.which("initdb")
    if found and shutil.which("pg_ctl"):
        return Path(found).resolve().parent
    config = shutil.which("pg_config")
    if config:
        done = subprocess.run([config, "--bindir"], capture_output=True, text=True, check=False)
        bindir = Path(done.stdout.strip())
        if done.returncode == 0 and (bindir / "initdb").is_file():
            return bindir
    return None


class Cluster:
    """One PostgreSQL cluster made by ``initdb`` and run by ``pg_ctl``; ``url`` reaches it."""

    def __init__(self, bindir: Path) -> None:
        self.bindir = bindir
        self.port = spare_port()
        self.home = Path(tempfile.mkdtemp(prefix="trace-faults-pg-"))
        self.data = self.home / "data"
        self.log_path = self.home / "postgres.log"
        self.owner = _owner()
        if self.owner is not None:
            os.chown(self.home, self.owner.pw_uid, self.owner.pw_gid)
        self.url = f"postgresql://postgres@127.0.0.1:{self.port}/postgres"
        self.running = False

    def _run(self, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(
            [str(self.bindir / args[0]), *args[1:]],
            capture_output=True,
            text=True,
            check=False,
            timeout=timeout,
            cwd=self.home,
            user=self.owner.pw_uid if self.owner else None,
            group=self.owner.pw_gid if self.owner else None,
            # pg_ctl's server outlives the call: it must not share our terminal's signals.
            start_new_session=True,
        )
        if done.returncode != 0:
            raise RuntimeError(f"{' '.join(args)} failed: {done.stdout}{done.stderr}")
        return done

    def start(self) -> None:
        """initdb (the first time), then start the server and wait until it accepts."""
        if not self.data.exists():
            self._run(
                "initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8"
            )
            settings = (
                f"port = {self.port}\n"
                "listen_addresses = '127.0.0.1'\n"
                f"unix_socket_directories = '{self.home}'\n"
                # Two service workers with pools of 20 + 20, the CLI and the audit.
                "max_connections = 150\n"
            )
            with open(self.data / "postgresql.conf", "a") as conf:
                conf.write(settings)
        self._run(
            "pg_ctl", "start", "-w", "-t", "60", "-D", str(self.data), "-l", str(self.log_path)
        )
        self.running = True

    def restart(self, mode: str, down_seconds: float = 0.0) -> None:
        """``pg_ctl restart -m mode``; with ``down_seconds``, a stop, that long down, a start."""
        if down_seconds <= 0:
            self._run(
                "pg_ctl",
                "restart",
                "-w",
                "-t",
                "60",
                "-m",
                mode,
                "-D",
                str(self.data),
                "-l",
                str(self.log_path),
            )
            return
        self._run("pg_ctl", "stop", "-w", "-t", "60", "-m", mode, "-D", str(self.data))
        self.running = False
        time.sleep(down_seconds)
        self.start()

    def stop(self) -> None:
        """Stop the server (fast) if it runs."""
        if self.running:
            self._run("pg_ctl", "stop", "-w", "-t", "60", "-m", "fast", "-D", str(self.data))
            self.running = False

    def remove(self) -> None:
        """Stop the server and delete the cluster."""
        try:
            self.stop()
        finally:
            shutil.rmtree(self.home, ignore_errors=True)


class Deployment:
    """The service and its database, made for one run and removed after it."""

    def __init__(self, database: str, workdir: Path, workers: int, pg_down: float) -> None:
        self.workdir, self.workers, self.pg_down = workdir, workers, pg_down
        self.cluster: Cluster | None = None
        self.server: Server | None = None
        self.starts = 0
        self.port = spare_port()
        self.base = f"http://127.0.0.1:{self.port}"
        postgres_url = None
        try:
            if database == "postgres":
                bindir = postgres_bindir()
                if bindir is None:
                    raise RuntimeError("no PostgreSQL server binaries (initdb, pg_ctl) found")
                self.cluster = Cluster(bindir)
                self.cluster.start()
                postgres_url = self.cluster.url
            self.env, _, _ = demo_environment(workdir, self.base, postgres_url, DATABASE)
            self.cli("migrate")
        except BaseException:
            self.remove()
            raise

    def cli(self, *args: str) -> str:
        """``python -m trace ARGS`` on this deployment; its output (it must succeed)."""
        done = subprocess.run(
            [sys.executable, "-m", "trace", *args],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            check=False,
            timeout=300,
        )
        if done.returncode != 0:
            raise RuntimeError(f"python -m trace {' '.join(args)}: {done.stdout}{done.stderr}")
        return done.stdout

    def add_producers(self, count: int) -> list[Producer]:
        """``count`` producers, made with ``python -m trace agency add --json``."""
        made = []
        for i in range(count):
            out = self.cli(
                "agency", "add", "--name", f"HTX thử lỗi {i + 1}", "--kind", "producer", "--json"
            )
            answer = json.loads(out)
            made.append(Producer(answer["id"], answer["token"]))
        return made

    def start_server(self) -> None:
        """Start the service on the deployment's port; returns once it answers /healthz."""
        self.starts += 1
        log_path = self.workdir / f"server-{self.starts}.log"
        self.server = Server(self.env, log_path, self.workers, self.port)

    def kill_server(self) -> None:
        """SIGKILL to the server's whole process group; returns once every process is gone."""
        assert self.server is not None
        self.server.kill()

    def restart_database(self, mode: str) -> None:
        """Restart PostgreSQL with ``pg_ctl -m mode``, held down ``pg_down`` seconds if set."""
        assert self.cluster is not None
        self.cluster.restart(mode, self.pg_down)

    def remove(self) -> None:
        """Stop the service and remove its database cluster, if any."""
        try:
            if self.server is not None:
                self.server.stop()
        finally:
            if self.cluster is not None:
                self.cluster.remove()


def _owner() -> pwd.struct_passwd | None:
    if os.geteuid() != 0:
        return None
    name = os.environ.get("TRACE_PG_USER", "postgres")
    try:
        return pwd.getpwnam(name)
    except KeyError:
        raise RuntimeError(
            f"PostgreSQL does not run as root and there is no account {name!r} to run it as"
            " (TRACE_PG_USER names another)"
        ) from None
