"""The witness: cosign a log's checkpoints only after checking that they are consistent.

The idea of c2sp.org/tlog-witness over this project's simple HTTP API (``trace/log_client.py``,
standard library only) and with no database. Each round the witness fetches the log's newest signed
checkpoint, verifies the log's signature with the pinned log key, and compares it with the last
checkpoint it cosigned (:func:`trace.domain.witness.decide`, with an RFC 9162 consistency
proof when the tree grew). A consistent checkpoint is cosigned (c2sp.org/tlog-cosignature) and
posted back to the log; a fork is refused and its evidence kept.

The state directory holds:

- ``log-key.txt``: the log's verifier key, pinned on first use or from ``--log-key``;
- ``checkpoint.txt``: the last checkpoint cosigned, the log's note with this witness's line;
- ``evidence-<UTC time>/``: what the witness found when the log forked;
- ``lock``: held while the witness runs, so that two never share one state.
"""

from __future__ import annotations

import base64
import fcntl
import os
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO

from trace.domain.checkpoint import CheckpointError
from trace.domain.note import (
    NoteError,
    NoteKeyInvalid,
    NoteUnverified,
    SignatureType,
    Signer,
    Verifier,
    add_signatures,
    cosign,
    generate_signer,
    parse_signer_key,
    parse_verifier_key,
    signer_key_string,
    verifier_key_string,
)
from trace.domain.texts import N_
from trace.domain.witness import (
    Decision,
    ForkReason,
    SignedCheckpoint,
    Verdict,
    check_log_key,
    decide,
    has_cosignature,
    proof_range,
    read_checkpoint,
)
from trace.log_client import API, LogClient, LogUnavailable, bad_answer
from trace.translation import both, say

EXIT_OK = 0
EXIT_UNAVAILABLE = 1  # the log could not be reached or answered badly (--once only)
EXIT_REFUSED = 2  # a person must act: another log key, a bad key file, a corrupt state
EXIT_FORKED = 3


# What a round says once it cosigned, by what it found; and why a log is forked.
COSIGNED = {
    Verdict.FIRST: N_(
        "First checkpoint of {origin}: size {size}, root {root}. Cosigned and sent to the log."
    ),
    Verdict.GREW: N_(
        "Log {origin} grew from {old_size} to {size} leaves; the "
        "consistency proof holds. Cosigned the checkpoint of size "
        "{size}, root {root}."
    ),
}
REPOSTED = N_(
    "Nothing new at {origin} (size {size}), but the checkpoint "
    "did not carry this witness's cosignature: sent it again."
)
FORKS = {
    ForkReason.SMALLER: N_(
        "log {origin} has forked or rolled back: its tree is smaller than the one cosigned."
    ),
    ForkReason.OTHER_ROOT: N_("log {origin} has forked: the same size with another root."),
    ForkReason.PROOF: N_(
        "log {origin} has forked: the consistency proof does not "
        "link the cosigned root to the new one ({detail})."
    ),
}


class WitnessStop(Exception):
    """The witness cannot go on until a person acts (exit status 2)."""

    def __init__(self, words: str, **params: object) -> None:
        super().__init__(words)
        self.words = words
        self.params = params

    def text(self) -> str:
        """The message (``words`` filled with ``params``), Vietnamese then English."""
        return both(self.words, **self.params)


# The state directory.


class WitnessState:
    """The pinned log key, the last checkpoint cosigned and the evidence, in one directory."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.key_path = directory / "log-key.txt"
        self.checkpoint_path = directory / "checkpoint.txt"

    @contextmanager
    def locked(self) -> Iterator[None]:
        """Hold the directory for this process; refuse if another witness holds it."""
        self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        with open(self.directory / "lock", "a") as lock:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise WitnessStop(
                    N_("Another witness is using the state directory {path}."), path=self.directory
                ) from None
            yield

    def pinned_log_key(self) -> Verifier | None:
        """The pinned log key, or None before the first contact."""
        if not self.key_path.exists():
            return None
        try:
            return parse_verifier_key(self.key_path.read_text(encoding="utf-8").strip())
        except NoteKeyInvalid as exc:
            raise WitnessStop(
                N_(
                    "The checkpoint stored in {path} does not verify with the "
                    "pinned log key ({error}); the witness stops rather than "
                    "guess."
                ),
                path=self.key_path,
                error=exc.detail,
            ) from None

    def pin_log_key(self, verifier: Verifier) -> None:
        """Remember the log's key: from now on no other is accepted."""
        _write_atomically(self.key_path, verifier_key_string(verifier) + "\n")

    def cosigned_note(self) -> str | None:
        """The last checkpoint note cosigned, or None before the first."""
        if not self.checkpoint_path.exists():
            return None
        return self.checkpoint_path.read_text(encoding="utf-8")

    def store_cosigned(self, note: str) -> None:
        """Remember ``note`` as the last checkpoint cosigned."""
        _write_atomically(self.checkpoint_path, note)

    def write_evidence(self, files: Mapping[str, bytes], at: datetime) -> Path:
        """Write ``files`` into a new ``evidence-<UTC time>`` directory, all or nothing."""
        stamp = at.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
        staging = Path(tempfile.mkdtemp(prefix=".evidence-", dir=self.directory))
        for name, content in files.items():
            with open(staging / name, "wb") as file:
                file.write(content)
                file.flush()
                os.fsync(file.fileno())
        target, number = self.directory / f"evidence-{stamp}", 1
        while target.exists():  # two forks within one second; the lock keeps this race-free
            number += 1
            target = self.directory / f"evidence-{stamp}-{number}"
        os.replace(staging, target)
        _fsync_directory(self.directory)
        return target


def _write_atomically(path: Path, text: str) -> None:
    """Replace ``path`` by ``text`` so that a crash leaves the old or the new file, never half."""
    fd, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as file:
            file.write(text)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:
        with suppress(FileNotFoundError):
            os.unlink(temporary)
        raise
    _fsync_directory(path.parent)


def _fsync_directory(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


# Keys.


def create_witness_key(name: str, path: Path) -> Signer:
    """Write a new cosignature/v1 signer key to ``path`` (mode 0600); never overwrite one."""
    signer = generate_signer(name, SignatureType.COSIGNATURE_V1)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise WitnessStop(
            N_("File {path} already exists: the key is not overwritten."), path=path
        ) from None
    with os.fdopen(fd, "w", encoding="utf-8") as file:
        os.fchmod(file.fileno(), 0o600)  # whatever the umask
        file.write(signer_key_string(signer) + "\n")
    return signer


def load_witness_key(path: Path) -> Signer:
    """The witness's cosignature/v1 signer key from ``path``."""
    try:
        signer = parse_signer_key(path.read_text(encoding="utf-8").strip())
    except OSError as exc:
        raise WitnessStop(
            N_(
                "File {path} does not hold a witness's cosignature/v1 "
                "signing key ({error}). Create one with `python -m trace "
                "witness-keygen`."
            ),
            path=path,
            error=exc.strerror,
        ) from None
    except NoteError as exc:
        raise WitnessStop(
            N_(
                "File {path} does not hold a witness's cosignature/v1 "
                "signing key ({error}). Create one with `python -m trace "
                "witness-keygen`."
            ),
            path=path,
            error=exc.detail,
        ) from None
    if signer.signature_type is not SignatureType.COSIGNATURE_V1:
        found = f"a {signer.signature_type.name} key"
        raise WitnessStop(
            N_(
                "File {path} does not hold a witness's cosignature/v1 "
                "signing key ({error}). Create one with `python -m trace "
                "witness-keygen`."
            ),
            path=path,
            error=found,
        )
    return signer


def read_log_key_option(value: str) -> Verifier:
    """``--log-key``: a verifier key, or a file whose first line is one."""
    with suppress(OSError):  # no such file: the value is the key itself
        value = Path(value).read_text(encoding="utf-8").partition("\n")[0]
    return check_log_key(parse_verifier_key(value.strip()))


# The rounds.


@dataclass(frozen=True)
class WitnessConfig:
    """What ``python -m trace witness`` was asked to do."""

    url: str
    key_file: Path
    state_dir: Path
    log_key: Verifier | None = None
    interval: float = 5.0
    once: bool = False


@dataclass
class Witness:
    """One witness of one log; :meth:`round` checks the newest checkpoint once."""

    client: LogClient
    signer: Signer
    state: WitnessState
    out: TextIO
    err: TextIO
    clock: Callable[[], float] = time.time
    log_key: Verifier | None = None

    def round(self, given_key: Verifier | None = None) -> int:
        """Fetch, judge and cosign (or refuse) the log's newest checkpoint; the exit status."""
        log_key = self.log_key = self.log_key or self._resolve_log_key(given_key)
        note = self.client.checkpoint()
        new = self._read_served(note, log_key)
        old = self._read_cosigned(log_key)
        span = proof_range(old.checkpoint if old else None, new.checkpoint)
        raw_proof, proof = (None, []) if span is None else self.client.consistency(*span)
        decision = decide(old.checkpoint if old else None, new.checkpoint, proof)
        if not decision.may_cosign:
            assert old is not None  # a first checkpoint cannot fork
            return self._refuse(old, new, raw_proof, decision, log_key)
        fields = {"origin": new.checkpoint.origin, "size": new.checkpoint.size}
        fields["root"] = _b64(new.checkpoint.root_hash)
        if decision.verdict is Verdict.SAME and has_cosignature(note, self.signer.public):
            self._say(
                both(
                    "Nothing new: {origin} is still at size {size}, root {root}, already "
                    "cosigned by this witness.",
                    **fields,
                )
            )
            return EXIT_OK
        line = cosign(new.text, self.signer, int(self.clock()))
        if decision.verdict is not Verdict.SAME:
            # Remember before telling anyone: even a crash between the two must not let this
            # witness later cosign a checkpoint inconsistent with one it already signed.
            self.state.store_cosigned(add_signatures(note, line))
        self.client.post_cosignature(new.text, line, self.signer.public)
        old_size = old.checkpoint.size if old else 0
        self._say(both(COSIGNED.get(decision.verdict, REPOSTED), old_size=old_size, **fields))
        return EXIT_OK

    def _resolve_log_key(self, given: Verifier | None) -> Verifier:
        pinned = self.state.pinned_log_key()
        if pinned is not None:
            if given is not None and given != pinned:
                raise self._mismatch(given, pinned)
            return pinned
        if given is not None:
            self.state.pin_log_key(given)
            self._say(
                both(
                    "Pinned the log's key {key} (from --log-key) in {path}.",
                    key=_key(given),
                    path=self.state.key_path,
                )
            )
            return given
        served = check_log_key(self.client.log_key())
        self.state.pin_log_key(served)
        self._say(
            both(
                "Trust on first use: pinned the log's key {key} in {path}. Compare it with "
                "the log operator's through another channel; from now on the witness refuses "
                "any other key.",
                key=_key(served),
                path=self.state.key_path,
            )
        )
        return served

    def _read_served(self, note: str, log_key: Verifier) -> SignedCheckpoint:
        try:
            return read_checkpoint(note, log_key)
        except NoteUnverified:
            served = self.client.log_key()
            if served != log_key:
                raise self._mismatch(served, log_key) from None
            error = f"no signature from {log_key.label}"
        except (NoteError, CheckpointError) as exc:
            error = exc.detail
        raise bad_answer(self.client.url, f"{API}/checkpoint", error)

    def _read_cosigned(self, log_key: Verifier) -> SignedCheckpoint | None:
        note = self.state.cosigned_note()
        if note is None:
            return None
        try:
            return read_checkpoint(note, log_key)
        except (NoteError, CheckpointError) as exc:
            path = self.state.checkpoint_path
            raise WitnessStop(
                N_(
                    "The checkpoint stored in {path} does not verify with the "
                    "pinned log key ({error}); the witness stops rather than "
                    "guess."
                ),
                path=path,
                error=exc.detail,
            ) from None

    def _refuse(
        self,
        old: SignedCheckpoint,
        new: SignedCheckpoint,
        raw_proof: bytes | None,
        decision: Decision,
        log_key: Verifier,
    ) -> int:
        assert decision.fork is not None
        why = FORKS[decision.fork]
        at = datetime.fromtimestamp(self.clock(), UTC)
        fields: dict[str, object] = {
            "origin": new.checkpoint.origin,
            "old_size": old.checkpoint.size,
            "old_root": _b64(old.checkpoint.root_hash),
            "new_size": new.checkpoint.size,
            "new_root": _b64(new.checkpoint.root_hash),
            "url": self.client.url,
            "time": at.isoformat(timespec="seconds").replace("+00:00", "Z"),
            "witness": _key(self.signer.public),
            "log_key": _key(log_key),
        }

        def text(words: str, lang: str) -> str:
            reason = say(why, lang, **fields, detail=decision.detail)
            return say(words, lang, **fields, reason=reason)

        files = {
            "cosigned-checkpoint.txt": old.note.encode(),
            "new-checkpoint.txt": new.note.encode(),
            "log-key.txt": (_key(log_key) + "\n").encode(),
        }
        if raw_proof is not None:
            files["consistency-proof.json"] = raw_proof
        readme = (
            text(
                N_(
                    "EVIDENCE THAT THE LOG HAS FORKED\n\nAt {time}, witness "
                    "{witness} found that log {origin} at {url} has "
                    "forked.\n{reason}\n\n- cosigned-checkpoint.txt: the checkpoint "
                    "the witness had cosigned (size {old_size}, root "
                    "{old_root}).\n- new-checkpoint.txt: the checkpoint the log "
                    "served afterwards (size {new_size}, root {new_root}).\n- "
                    "consistency-proof.json: the consistency proof exactly as "
                    "the log served it (only when the new tree is larger).\n- "
                    "log-key.txt: the log's verifier key.\n\nBoth checkpoints are "
                    "signed with the log key {log_key}; anyone can check the "
                    "signatures. An append-only log cannot sign both, so they "
                    "prove that the log has shown different readers different "
                    "histories. Keep these files unchanged and report them to "
                    "the log's operator and to the supervising authority.\n"
                ),
                "vi",
            )
            + "\n"
            + text(
                N_(
                    "EVIDENCE THAT THE LOG HAS FORKED\n\nAt {time}, witness "
                    "{witness} found that log {origin} at {url} has "
                    "forked.\n{reason}\n\n- cosigned-checkpoint.txt: the checkpoint "
                    "the witness had cosigned (size {old_size}, root "
                    "{old_root}).\n- new-checkpoint.txt: the checkpoint the log "
                    "served afterwards (size {new_size}, root {new_root}).\n- "
                    "consistency-proof.json: the consistency proof exactly as "
                    "the log served it (only when the new tree is larger).\n- "
                    "log-key.txt: the log's verifier key.\n\nBoth checkpoints are "
                    "signed with the log key {log_key}; anyone can check the "
                    "signatures. An append-only log cannot sign both, so they "
                    "prove that the log has shown different readers different "
                    "histories. Keep these files unchanged and report them to "
                    "the log's operator and to the supervising authority.\n"
                ),
                "en",
            )
        )
        files["README.txt"] = readme.encode()
        fields["evidence"] = self.state.write_evidence(files, at)
        for lang in ("vi", "en"):
            print(
                text(
                    N_(
                        "THE LOG HAS FORKED: {reason}\n  cosigned:   size {old_size}, "
                        "root {old_root}\n  now served: size {new_size}, root "
                        "{new_root}\nThe witness refuses to cosign. The evidence "
                        "(both checkpoints signed by the log's key) is in {evidence}"
                    ),
                    lang,
                ),
                file=self.err,
                flush=True,
            )
        return EXIT_FORKED

    def _mismatch(self, found: Verifier, pinned: Verifier) -> WitnessStop:
        return WitnessStop(
            N_(
                "The log key {found} differs from the key {pinned} pinned in "
                "{path}: the witness refuses. If the log really changed its "
                "key, confirm it with the operator and start a new state "
                "directory."
            ),
            found=_key(found),
            pinned=_key(pinned),
            path=self.state.key_path,
        )

    def _say(self, text: str) -> None:
        print(text, file=self.out, flush=True)


def run_witness(
    config: WitnessConfig,
    out: TextIO | None = None,
    err: TextIO | None = None,
    sleep: Callable[[float], None] = time.sleep,
    client: LogClient | None = None,
) -> int:
    """Witness the log: one round with ``once``, else every ``interval`` seconds until a fork.

    Returns the exit status; raises :class:`WitnessStop` when a person must act.
    """
    out, err = out or sys.stdout, err or sys.stderr
    state = WitnessState(config.state_dir)
    client = client or LogClient(config.url)
    witness = Witness(client, load_witness_key(config.key_file), state, out, err)
    with state.locked():
        while True:
            try:
                status = witness.round(config.log_key)
            except LogUnavailable as exc:
                print(exc.text(), file=err, flush=True)
                if config.once:
                    return EXIT_UNAVAILABLE
                print(
                    both("Retrying in {seconds} seconds.", seconds=config.interval),
                    file=err,
                    flush=True,
                )
            else:
                if status != EXIT_OK or config.once:
                    return status
            sleep(config.interval)


def _key(verifier: Verifier) -> str:
    return verifier_key_string(verifier)


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")
