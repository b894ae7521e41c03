"""Signed checkpoints of the log, the log's key, and witnesses' cosignatures.

A checkpoint is a C2SP signed note over (origin, size, root). The ledger never
signs one that is not consistent with the last one it signed: before signing, it
proves consistency from the old size to the new one out of the stored tree and
verifies that proof against both roots (RFC 9162 §2.1.4.2).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import func, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from trace.domain.checkpoint import Checkpoint, parse_checkpoint_text
from trace.domain.compact_range import edge_root, unpack
from trace.domain.errors import DomainError
from trace.domain.merkle import ProofError, verify_consistency
from trace.domain.note import (
    NoteKeyInvalid,
    NoteMalformed,
    SignatureType,
    Signer,
    Verifier,
    add_signatures,
    parse_note,
    parse_signature_lines,
    parse_verifier_key,
    sign_note,
    verifier_key_string,
    verify_cosignature,
)
from trace.domain.record import now_us
from trace.domain.texts import N_
from trace.store.database import is_sqlite, read_transaction, write_transaction
from trace.store.ledger import Ledger
from trace.store.tables import checkpoints, cosignatures, log_head, log_keys, witnesses
from trace.store.tree import prove_consistency


class LogInconsistent(DomainError):
    """The tree is not an extension of the last signed checkpoint: the ledger refuses to sign."""

    code = "log_inconsistent"
    words = N_(
        "DANGER: the current Merkle tree does not extend the signed checkpoint "
        "({expected} → {found}); the ledger refuses to sign. Run `python -m "
        "trace verify`."
    )


class UnknownCheckpoint(DomainError):
    """A cosignature names a checkpoint this log never signed."""

    code = "unknown_checkpoint"
    words = N_("This log never signed this checkpoint (size {found}).")


class UnknownWitness(DomainError):
    """A cosignature from a key that is not one of the log's witnesses."""

    code = "unknown_witness"
    words = N_(
        "Key '{name}' is not a witness of this log; ask the operator to "
        "register the witness key first."
    )


@dataclass(frozen=True, slots=True)
class SignedCheckpoint:
    """A checkpoint and its note: the log's signature line and witnesses' cosignatures."""

    checkpoint: Checkpoint
    note: str
    signed_at_us: int


# PostgreSQL advisory lock held while the log's key is looked up or made ("tlog" in ASCII).
_LOG_KEY_LOCK = 0x746C6F67


async def log_signer(ledger: Ledger, origin: str) -> Signer:
    """The log's signing key; made (and sealed under the master key) the first time."""
    if ledger.log_signer is not None:
        return ledger.log_signer
    async with write_transaction(ledger.engine) as conn:
        if not is_sqlite(ledger.engine):
            # Two workers asking for the first key at once would make two, and then lock
            # different rows when they sign: the second waits here and finds the first's.
            await conn.execute(select(func.pg_advisory_xact_lock(_LOG_KEY_LOCK)))
        row = (await conn.execute(select(log_keys).order_by(log_keys.c.created_at_us))).first()
        if row is None:
            secret = Ed25519PrivateKey.generate()
            signer = Signer(origin, SignatureType.ED25519, secret.private_bytes_raw())
            await conn.execute(
                insert(log_keys).values(
                    key_id=signer.key_id.hex(),
                    origin=origin,
                    public_key=signer.public.public_key,
                    sealed_private_key=ledger.master_key.seal(signer.key_id.hex(), secret),
                    created_at_us=now_us(),
                )
            )
        else:
            secret = ledger.master_key.unseal(row.key_id, row.sealed_private_key)
            signer = Signer(row.origin, SignatureType.ED25519, secret.private_bytes_raw())
    ledger.log_signer = signer
    return signer


async def sign_checkpoint(ledger: Ledger, origin: str) -> SignedCheckpoint:
    """Sign the current tree, unless the newest checkpoint already covers it.

    Raises :class:`LogInconsistent` when the tree does not extend the last checkpoint.
    """
    signer = await log_signer(ledger, origin)
    async with write_transaction(ledger.engine) as conn:
        # Lock the log key row: two workers never sign at the same moment.
        await conn.execute(
            select(log_keys.c.key_id)
            .where(log_keys.c.key_id == signer.key_id.hex())
            .with_for_update()
        )
        head = (await conn.execute(select(log_head.c.size, log_head.c.edge))).one()
        size, root = head.size, edge_root(unpack(bytes(head.edge), head.size))
        last = await _newest(conn)
        if last is not None:
            if last.checkpoint.size == size and last.checkpoint.root_hash == root:
                return last
            await _check_extends(conn, last.checkpoint, size, root)
        text = Checkpoint(signer.name, size, root).to_text()
        signed = SignedCheckpoint(parse_checkpoint_text(text), sign_note(text, [signer]), now_us())
        await conn.execute(
            insert(checkpoints).values(
                size=size, root_hash=root, note=signed.note, signed_at_us=signed.signed_at_us
            )
        )
    return signed


async def _check_extends(conn: AsyncConnection, last: Checkpoint, size: int, root: bytes) -> None:
    if size < last.size:
        raise LogInconsistent(
            f"the log has {size} leaves but checkpoint {last.size} was signed",
            expected=last.size,
            found=size,
        )
    try:
        proof = await prove_consistency(conn, last.size, size)
        verify_consistency(last.size, size, last.root_hash, root, proof)
    except (ProofError, DomainError) as exc:
        raise LogInconsistent(
            f"the tree of size {size} does not extend checkpoint {last.size}: {exc}",
            expected=last.size,
            found=size,
        ) from exc


async def _newest(conn: AsyncConnection) -> SignedCheckpoint | None:
    row = (
        await conn.execute(select(checkpoints).order_by(checkpoints.c.size.desc()).limit(1))
    ).first()
    return None if row is None else _from_row(row)


def _from_row(row: Any) -> SignedCheckpoint:
    return SignedCheckpoint(
        parse_checkpoint_text(parse_note(row.note).text), row.note, row.signed_at_us
    )


async def latest_checkpoint(
    ledger: Ledger, *, reads_from: AsyncEngine | None = None
) -> SignedCheckpoint | None:
    """The newest signed checkpoint with every cosignature witnesses gave it.

    ``reads_from`` is the database the request reads from (``Ledger.reader()``), the
    primary by default.
    """
    async with read_transaction(reads_from or ledger.engine) as conn:
        newest = await _newest(conn)
        if newest is None:
            return None
        lines = (
            await conn.execute(
                select(cosignatures.c.line)
                .where(cosignatures.c.size == newest.checkpoint.size)
                .order_by(cosignatures.c.witness)
            )
        ).scalars()
    note = newest.note
    extra = "".join(lines)
    if extra:
        note = add_signatures(note, extra)
    return SignedCheckpoint(newest.checkpoint, note, newest.signed_at_us)


async def all_checkpoints(ledger: Ledger) -> list[SignedCheckpoint]:
    """Every checkpoint the log signed, oldest first (without cosignatures)."""
    async with read_transaction(ledger.engine) as conn:
        rows = (await conn.execute(select(checkpoints).order_by(checkpoints.c.size))).all()
    return [_from_row(row) for row in rows]


async def add_witness(ledger: Ledger, verifier_key: str) -> Verifier:
    """Accept cosignatures from the witness with this signed-note verifier key."""
    verifier = parse_verifier_key(verifier_key)
    if verifier.signature_type is not SignatureType.COSIGNATURE_V1:
        raise NoteKeyInvalid(
            "a witness key must be a cosignature/v1 key (from `python -m trace witness-keygen`)",
            reason="key_type",
        )
    async with write_transaction(ledger.engine) as conn:
        known = (
            await conn.execute(
                select(witnesses.c.verifier_key).where(witnesses.c.name == verifier.name)
            )
        ).scalar()
        if known is not None and known != verifier_key.strip():
            raise NoteKeyInvalid(
                f"another key is registered for witness {verifier.name}", reason="duplicate"
            )
        if known is None:
            await conn.execute(
                insert(witnesses).values(
                    name=verifier.name, verifier_key=verifier_key.strip(), added_at_us=now_us()
                )
            )
    return verifier


async def covering_checkpoint(
    ledger: Ledger, origin: str, position: int, reads_from: AsyncEngine
) -> tuple[SignedCheckpoint, AsyncEngine]:
    """The newest checkpoint holding ``position``, and the database to prove against it.

    Read from ``reads_from``; when it has none that holds ``position`` yet, one is signed on
    the primary, which alone has it at once: the proofs are then read from the primary.
    """
    latest = await latest_checkpoint(ledger, reads_from=reads_from)
    if latest is not None and latest.checkpoint.size > position:
        return latest, reads_from
    await sign_checkpoint(ledger, origin)
    latest = await latest_checkpoint(ledger)
    assert latest is not None, "a checkpoint was just signed"
    return latest, ledger.engine


async def witness_keys(ledger: Ledger, *, reads_from: AsyncEngine | None = None) -> list[Verifier]:
    """The witnesses whose cosignatures the log accepts."""
    async with read_transaction(reads_from or ledger.engine) as conn:
        rows = (
            await conn.execute(select(witnesses.c.verifier_key).order_by(witnesses.c.name))
        ).scalars()
        return [parse_verifier_key(key) for key in rows]


async def add_cosignature(ledger: Ledger, text: str, line: str) -> int:
    """Store a witness's cosignature of a checkpoint the log signed; return its timestamp."""
    checkpoint = parse_checkpoint_text(text)
    verifiers = await witness_keys(ledger)
    async with write_transaction(ledger.engine) as conn:
        row = (
            await conn.execute(select(checkpoints).where(checkpoints.c.size == checkpoint.size))
        ).first()
        if row is None or parse_note(row.note).text != text:
            raise UnknownCheckpoint(
                f"the log never signed this checkpoint of size {checkpoint.size}",
                found=checkpoint.size,
            )
        signature = _one_line(line)
        for verifier in verifiers:
            if verifier.name == signature[0] and verifier.key_id == signature[1]:
                timestamp = verify_cosignature(text, line, verifier)
                break
        else:
            raise UnknownWitness(f"{signature[0]} is not a witness of this log", name=signature[0])
        try:
            async with conn.begin_nested():
                await conn.execute(
                    insert(cosignatures).values(
                        size=checkpoint.size,
                        witness=verifier.name,
                        line=line if line.endswith("\n") else line + "\n",
                        cosigned_at=timestamp,
                    )
                )
        except IntegrityError:
            pass  # the same witness cosigned this size already; the first line stays
    return timestamp


def _one_line(line: str) -> tuple[str, bytes]:
    parsed = parse_signature_lines(line if line.endswith("\n") else line + "\n")
    if len(parsed) != 1:
        raise NoteMalformed("send exactly one cosignature line", reason="lines")
    return parsed[0].name, parsed[0].key_id


def log_verifier_key(signer: Signer) -> str:
    """The log's public key as one signed-note verifier-key line."""
    return verifier_key_string(signer.public)
