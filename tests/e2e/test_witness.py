"""A witness against a real running log: cosigning its growth, and catching a fork.

Everything runs as a person would run it, from the project root: `python -m trace serve`
on the embedded SQLite database, `python -m trace witness --once`, and the operator's
`checkpoint` and `log-witness add` commands. The fork is the realistic one: a copy of the
whole data directory (database and keys) that goes on to record a different history, every
checkpoint of which the same log key signs.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from trace.domain.checkpoint import Checkpoint
from trace.domain.merkle import ConsistencyProofError, verify_consistency
from trace.domain.note import (
    NoteUnverified,
    Verifier,
    generate_signer,
    parse_verifier_key,
    verifier_key_string,
    verify_note,
)
from trace.domain.witness import read_checkpoint

ROOT = Path(__file__).resolve().parents[2]
START_SECONDS = 60

# The demo's records: the log's size once the demo is loaded.
DEMO_RECORDS = 30


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass(frozen=True)
class Site:
    """One log deployment: its data directory and the address it is served at."""

    data_dir: Path
    port: int

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def env(self) -> dict[str, str]:
        # Only this site's configuration: no TRACE_DATABASE_URL from the outer shell.
        outer = {k: v for k, v in os.environ.items() if not k.startswith("TRACE_")}
        return {**outer, "TRACE_DATA_DIR": str(self.data_dir), "TRACE_PUBLIC_URL": self.url}

    def run(self, *args: str) -> subprocess.CompletedProcess[str]:
        """`python -m trace ARGS` from the project root, against this site."""
        return subprocess.run(
            [sys.executable, "-m", "trace", *args],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=False,
            env=self.env,
            timeout=120,
        )

    def ok(self, *args: str) -> str:
        done = self.run(*args)
        assert done.returncode == 0, f"{args}: {done.stdout}{done.stderr}"
        return done.stdout

    @contextmanager
    def serving(self) -> Iterator[None]:
        """The service running on this site's port until the block ends."""
        server = subprocess.Popen(
            [sys.executable, "-m", "trace", "serve", "--port", str(self.port)],
            cwd=ROOT,
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        try:
            deadline = time.monotonic() + START_SECONDS
            while True:
                try:
                    with urllib.request.urlopen(f"{self.url}/healthz", timeout=2) as answer:
                        if answer.status == 200:
                            break
                except OSError:
                    pass
                assert server.poll() is None, "the server stopped before answering"
                assert time.monotonic() < deadline, "the server never answered"
                time.sleep(0.2)
            yield
        finally:
            server.terminate()
            try:
                server.communicate(timeout=30)
            except subprocess.TimeoutExpired:
                server.kill()
                server.communicate(timeout=30)

    def get(self, path: str) -> str:
        with urllib.request.urlopen(self.url + path, timeout=10) as answer:
            return str(answer.read().decode("utf-8"))

    def checkpoint_note(self) -> str:
        return self.get("/api/v1/log/checkpoint")

    def log_key(self) -> Verifier:
        return parse_verifier_key(self.get("/api/v1/log/key").splitlines()[0])

    def producer_token(self) -> str:
        """A new producer agency's access token."""
        made = self.ok("agency", "add", "--name", "HTX Bưởi", "--kind", "producer", "--json")
        return str(json.loads(made)["token"])

    def register_batch(self, token: str, lot: str) -> None:
        """Register a batch through the API: one more leaf in the log."""
        body = {
            "occurred_at": "2026-09-01T07:00:00+07:00",
            "body": {"product": "Bưởi", "lot": lot, "origin": {"province": "01"}},
        }
        request = urllib.request.Request(
            f"{self.url}/api/v1/batches",
            data=json.dumps(body).encode(),
            headers={
                "Content-Type": "application/json",
                "Authorization": f"Bearer {token}",
            },
        )
        with urllib.request.urlopen(request, timeout=10) as answer:
            assert answer.status == 201

    def sign_checkpoint(self) -> Checkpoint:
        """`python -m trace checkpoint`: sign the tree as it is now."""
        return read_checkpoint(self.ok("checkpoint"), self.log_key()).checkpoint


@dataclass(frozen=True)
class WitnessSetup:
    """A witness's key file, its verifier key as keygen printed it, and its state directory."""

    key_file: Path
    verifier_key: str
    state: Path

    def run(self, site: Site, *extra: str) -> subprocess.CompletedProcess[str]:
        """`python -m trace witness --once` against ``site``."""
        args = ["--log", site.url, "--key", str(self.key_file), "--state", str(self.state)]
        return site.run("witness", *args, "--once", *extra)

    @property
    def verifier(self) -> Verifier:
        return parse_verifier_key(self.verifier_key)


@pytest.fixture(scope="module")
def demo_log(tmp_path_factory: pytest.TempPathFactory) -> Site:
    """A data directory with the demo's records and a first signed checkpoint."""
    site = Site(tmp_path_factory.mktemp("demo") / "var", _free_port())
    site.ok("demo")
    site.ok("checkpoint")
    return site


def copy_site(site: Site, to: Path) -> Site:
    """A copy of the whole deployment (database, master key, hence the log key), same address."""
    shutil.copytree(site.data_dir, to)
    return Site(to, site.port)


@pytest.fixture
def witness(tmp_path: Path, demo_log: Site) -> WitnessSetup:
    """A new witness key made with `python -m trace witness-keygen`."""
    key_file = tmp_path / "witness" / "cosign.key"
    key_file.parent.mkdir()
    done = demo_log.run("witness-keygen", "--name", "witness.example.vn/w1", "--out", str(key_file))
    assert done.returncode == 0, done.stderr
    return WitnessSetup(key_file, done.stdout.strip(), tmp_path / "witness" / "state")


def test_witness_key_is_private_and_never_overwritten(
    demo_log: Site, witness: WitnessSetup
) -> None:
    assert witness.key_file.stat().st_mode & 0o777 == 0o600
    before = witness.key_file.read_bytes()
    again = demo_log.run("witness-keygen", "--name", "other", "--out", str(witness.key_file))
    assert again.returncode == 2 and "not overwritten" in again.stderr and again.stdout == ""
    assert witness.key_file.read_bytes() == before
    assert witness.verifier.name == "witness.example.vn/w1"


def test_witness_cosigns_a_live_log_then_only_its_consistent_growth(
    tmp_path: Path, demo_log: Site, witness: WitnessSetup
) -> None:
    site = copy_site(demo_log, tmp_path / "var")
    with site.serving():
        site.ok("log-witness", "add", witness.verifier_key)  # the operator, on the live log
        first = witness.run(site)
        assert first.returncode == 0, first.stdout + first.stderr
        assert "Trust on first use" in first.stdout and "TOFU" in first.stdout
        assert f"size {DEMO_RECORDS}" in first.stdout
        note = site.checkpoint_note()
        verify_note(note, [site.log_key()], required=[witness.verifier])

        quiet = witness.run(site)
        assert quiet.returncode == 0 and "Nothing new" in quiet.stdout

        site.register_batch(site.producer_token(), "L-9")
        assert site.sign_checkpoint().size == DEMO_RECORDS + 1
        grown = witness.run(site)
        assert grown.returncode == 0, grown.stdout + grown.stderr
        assert f"grew from {DEMO_RECORDS} to {DEMO_RECORDS + 1}" in grown.stdout
        note = site.checkpoint_note()
        verified = verify_note(note, [site.log_key()], required=[witness.verifier])
        assert verified.text.splitlines()[1] == str(DEMO_RECORDS + 1)

        # Another key under the log's name: refused, whoever presents it.
        impostor = verifier_key_string(generate_signer(site.log_key().name).public)
        refused = witness.run(site, "--log-key", impostor)
        assert refused.returncode == 2, refused.stdout + refused.stderr
        assert "differs from the key" in refused.stderr and "từ chối" in refused.stderr
        key_file = tmp_path / "log-key.txt"
        key_file.write_text(site.get("/api/v1/log/key"))
        pinned = witness.run(site, "--log-key", str(key_file))  # the pinned key, from a file
        assert pinned.returncode == 0, pinned.stdout + pinned.stderr


def test_witness_refuses_a_forked_log_and_keeps_the_evidence(
    tmp_path: Path, demo_log: Site, witness: WitnessSetup
) -> None:
    original = copy_site(demo_log, tmp_path / "original")
    original.ok("log-witness", "add", witness.verifier_key)
    with original.serving():
        assert witness.run(original).returncode == 0
    # Someone keeps a copy of the whole deployment, database and keys, from here on.
    forked = copy_site(original, tmp_path / "forked")
    with original.serving():
        original.register_batch(original.producer_token(), "L-9")
        cosigned = original.sign_checkpoint()
        assert witness.run(original).returncode == 0
        log_key = original.log_key()
    assert cosigned.size == DEMO_RECORDS + 1

    with forked.serving():
        assert forked.log_key() == log_key
        token = forked.producer_token()
        forked.register_batch(token, "L-10")
        other = forked.sign_checkpoint()
        assert (other.size, other.origin) == (DEMO_RECORDS + 1, cosigned.origin)
        assert other.root_hash != cosigned.root_hash
        same_size = witness.run(forked)
        assert same_size.returncode == 3, same_size.stdout + same_size.stderr
        alarm = (same_size.stdout + same_size.stderr).lower()
        assert "forked" in alarm and "rẽ nhánh" in alarm
        for size, root in (
            (DEMO_RECORDS + 1, cosigned.root_hash),
            (DEMO_RECORDS + 1, other.root_hash),
        ):
            assert f"size {size}, root {base64.b64encode(root).decode()}" in same_size.stderr
        with pytest.raises(NoteUnverified):
            verify_note(forked.checkpoint_note(), [log_key], required=[witness.verifier])

        forked.register_batch(token, "L-11")
        larger = forked.sign_checkpoint()
        assert larger.size == DEMO_RECORDS + 2
        proof_fork = witness.run(forked)
        assert proof_fork.returncode == 3, proof_fork.stdout + proof_fork.stderr
        assert "consistency proof does not link" in proof_fork.stderr

    first, second = sorted(witness.state.glob("evidence-*"))
    assert str(first) in same_size.stderr and str(second) in proof_fork.stderr
    for evidence, new in ((first, other), (second, larger)):
        old_note = (evidence / "cosigned-checkpoint.txt").read_text()
        new_note = (evidence / "new-checkpoint.txt").read_text()
        # Both are signed by the same log key: evidence anyone can check.
        assert read_checkpoint(old_note, log_key).checkpoint == cosigned
        assert read_checkpoint(new_note, log_key).checkpoint == new
        readme = (evidence / "README.txt").read_text()
        assert "RẼ NHÁNH" in readme and "FORKED" in readme
    assert not (first / "consistency-proof.json").exists()  # same size: nothing to prove
    proof = json.loads((second / "consistency-proof.json").read_text())
    assert (proof["from"], proof["to"]) == (DEMO_RECORDS + 1, DEMO_RECORDS + 2)
    with pytest.raises(ConsistencyProofError):
        verify_consistency(
            DEMO_RECORDS + 1,
            DEMO_RECORDS + 2,
            cosigned.root_hash,
            larger.root_hash,
            [base64.b64decode(h) for h in proof["hashes"]],
        )
    # The witness still holds the checkpoint it cosigned, not the fork's.
    assert read_checkpoint((witness.state / "checkpoint.txt").read_text(), log_key).checkpoint == (
        cosigned
    )
