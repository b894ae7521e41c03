"""Loading a planned ledger (bench/supply.py) as real records, fast: what bench/queries.py
measures against.

- **Agencies** are made by the store (``create_agency``): custodial keys sealed under the
  master key, and tokens; their private keys are unsealed here to sign with.
- **Statements** are encoded canonically (``encode_statement``) and signed with their
  agency's key by ``signers`` processes, forked after the plan is made so that they
  share it instead of receiving it.
- **Records**: each signed statement, in log order, is checked as the append checks it
  (its bytes decoded, the body against its kind, ``check_permitted`` against the batch's
  state and its inputs' states, then ``next_state``), chained to the batch's previous
  record with the record hash, and its leaf added to the log's Merkle tree with the
  append's own code (``append_leaf``). Records and tree nodes go in by COPY, 50,000 at a
  time; then the ``batches`` read model (the state the rules arrive at, as
  trace/store/group.py writes it) and the log head's size and edge.
- **Checks**: a sample of batches, the roots of the deep trees among them, is verified
  with ``trace.store.audit.verify_batch`` (hashes, links, signatures, heads); the stored
  tree's root against the log head's, and against a root computed from every record hash.
"""

from __future__ import annotations

import multiprocessing
import random
import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import asyncpg  # type: ignore[import-untyped]
import msgspec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from harness import log
from sqlalchemy import select
from supply import DAY, SECOND, VIETNAM, Party, Plan, cast, make_plan

from trace.config import Settings
from trace.domain.compact_range import append_leaf, edge_root, pack, unpack
from trace.domain.identifiers import new_batch_code, validate_gtin
from trace.domain.kinds import EventKind, Registered, Transformed, decode_body
from trace.domain.merkle import hash_leaf, root_from_leaves, verify_inclusion
from trace.domain.record import GENESIS_PREV, record_hash
from trace.domain.rules import BatchState, check_permitted, next_state
from trace.domain.statement import (
    Statement,
    encode_statement,
    new_nonce,
    signing_message,
    statement_hash,
)
from trace.store.agencies import create_agency
from trace.store.audit import verify_batch
from trace.store.database import read_transaction
from trace.store.ledger import open_ledger
from trace.store.tables import agency_keys, batches, log_head, records
from trace.store.tree import prove_inclusion, root_at

CHUNK = 50_000  # records per COPY
SPAN = 5_000  # statements per signing task
# COPY writes every column, in the tables' order.
RECORD_COLUMNS = [column.name for column in records.columns]
BATCH_COLUMNS = [column.name for column in batches.columns]


# --------------------------------------------------------------------------- agencies


async def make_agencies(
    url: str, settings: Settings, parties: list[Party], start_us: int
) -> dict[int, tuple[str, bytes]]:
    """Every party as an agency made by the store; its custodial key's id and private bytes,
    by party index. The agencies and keys are dated before the first record, as they would be.
    """
    ledger = open_ledger(settings)
    keys: dict[int, tuple[str, bytes]] = {}
    try:
        for party in parties:
            agency, key_id, _token = await create_agency(
                ledger,
                name=party.name,
                kind=party.kind,
                household=party.household,
                province=party.province,
                commune=party.commune,
            )
            party.id = agency.id
            async with read_transaction(ledger.engine) as conn:
                sealed = (
                    await conn.execute(
                        select(agency_keys.c.sealed_private_key).where(
                            agency_keys.c.key_id == key_id
                        )
                    )
                ).scalar_one()
            secret = ledger.master_key.unseal(key_id, bytes(sealed))
            keys[party.index] = (key_id, secret.private_bytes_raw())
    finally:
        await ledger.close()
    conn = await asyncpg.connect(url)
    try:
        for table in ("agencies", "agency_keys"):
            await conn.execute(f"UPDATE {table} SET created_at_us = $1", start_us - 30 * DAY)
    finally:
        await conn.close()
    return keys


# --------------------------------------------------------------------------- signing

# Set before the signing processes fork, so that they inherit the plan instead of
# receiving it: (plan, party index -> (key id, private key bytes)).
_SIGNING: tuple[Plan, dict[int, tuple[str, bytes]]] | None = None
_PRIVATE: dict[int, Ed25519PrivateKey] = {}  # each signing process's keys, made once


def _occurred(at_us: int) -> str:
    return datetime.fromtimestamp(at_us // SECOND, VIETNAM).isoformat()


def sign_span(span: tuple[int, int]) -> list[tuple[bytes, bytes, bytes]]:
    """The canonical bytes, statement hash and signature of the plan's events in ``span``."""
    assert _SIGNING is not None
    plan, keys = _SIGNING
    out = []
    for _at, _serial, batch, kind, index, body, occurred in plan.events[span[0] : span[1]]:
        key_id, secret = keys[index]
        key = _PRIVATE.get(index)
        if key is None:
            key = _PRIVATE[index] = Ed25519PrivateKey.from_private_bytes(secret)
        statement = Statement(
            1,
            plan.batches[batch],
            kind,
            _occurred(occurred),
            plan.parties[index].id,
            key_id,
            body,
            new_nonce(),
        )
        data = encode_statement(statement)
        digest = statement_hash(data)
        out.append((data, digest, key.sign(signing_message(digest))))
    return out


# --------------------------------------------------------------------------- load


@dataclass
class Chain:
    """What the append would know of each batch while the plan is replayed in log order."""

    states: dict[str, BatchState] = field(default_factory=dict)
    heads: dict[str, bytes] = field(default_factory=dict)
    registered: dict[str, tuple[Registered, int, str]] = field(default_factory=dict)
    updated: dict[str, int] = field(default_factory=dict)
    edge: list[bytes] = field(default_factory=list)

    def append(
        self, position: int, event: tuple[Any, ...], party: Party, signed: tuple[bytes, ...]
    ) -> tuple[Any, ...]:
        """Check the record as the append does, advance the batch; its ``records`` row."""
        at_us, _serial, _batch, kind, _index, _body, _occurred = event
        data, digest, signature = signed
        statement = _decode_statement(data)
        batch = statement.batch
        body = decode_body(kind, statement.body)
        state = self.states.get(batch)
        inputs = None
        if isinstance(body, Transformed):
            inputs = {i.batch: self.states[i.batch] for i in body.inputs if i.batch in self.states}
        which = EventKind(kind)
        check_permitted(
            which, body, actor_id=party.id, actor_kind=party.kind, batch=state, inputs=inputs
        )
        seq = state.version + 1 if state is not None else 1
        prev = self.heads.get(batch, GENESIS_PREV)
        rhash = record_hash(
            prev=prev,
            statement_hash=digest,
            signature=signature,
            seq=seq,
            position=position,
            recorded_at_us=at_us,
        )
        self.states[batch] = next_state(
            state, which, body, actor_id=party.id, batch_id=batch, seq=seq
        )
        self.heads[batch] = rhash
        self.updated[batch] = at_us
        if isinstance(body, Registered):
            self.registered[batch] = (body, position, party.id)
        return (position, batch, seq, at_us, prev, rhash, digest, data, signature)

    def batch_rows(self) -> list[tuple[Any, ...]]:
        """The ``batches`` read model as the append leaves it (trace/store/group.py)."""
        rows = []
        for batch, (body, position, producer) in self.registered.items():
            state = self.states[batch]
            rows.append(
                (
                    batch,
                    new_batch_code(),
                    producer,
                    state.holder,
                    state.in_transit_to,
                    state.recalled,
                    state.sold_out,
                    state.version,
                    self.heads[batch],
                    body.product,
                    validate_gtin(body.gtin) if body.gtin else None,
                    body.lot,
                    body.origin.province,
                    position,
                    self.updated[batch],
                )
            )
        return rows


_decode_statement = msgspec.json.Decoder(Statement).decode


@dataclass(frozen=True)
class Wanted:
    """What to load: at least ``batches`` batches and ``records`` records (bench/supply.py)."""

    batches: int
    records: int
    trees: int
    large_trees: int
    recalled_trees: int
    seed: int
    signers: int  # signing processes
    audit_sample: int  # batches verified after the load


@dataclass
class Loaded:
    """What was loaded: the deep trees' roots (batch ids), the end of its time, a report."""

    roots: list[str]
    large_roots: list[str]
    end_us: int
    report: dict[str, Any]


async def load_ledger(url: str, settings: Settings, wanted: Wanted) -> Loaded:
    """Plan, sign, check, chain and COPY a ledger into the empty, migrated database ``url``;
    then VACUUM ANALYZE it and verify a sample."""
    global _SIGNING
    began = time.perf_counter()
    end_us = int(time.time() * SECOND) - DAY
    parties = cast(random.Random(wanted.seed))
    keys = await make_agencies(url, settings, parties, end_us - 2 * 365 * DAY)
    log(f"   {len(parties)} agencies made by the store ({time.perf_counter() - began:.0f} s)")
    t0 = time.perf_counter()
    plan = make_plan(
        parties,
        batches=wanted.batches,
        records=wanted.records,
        trees=wanted.trees,
        large_trees=wanted.large_trees,
        recalled_trees=wanted.recalled_trees,
        seed=wanted.seed,
        end_us=end_us,
    )
    planned = time.perf_counter() - t0
    log(f"   planned {len(plan.events):,} events in {planned:.0f} s; {wanted.signers} signers")
    _SIGNING = (plan, keys)
    chain = Chain()
    conn = await asyncpg.connect(url)
    t0 = time.perf_counter()
    try:
        await _copy_records(conn, plan, keys, chain, wanted.signers, t0)
        signed_s = time.perf_counter() - t0
        _SIGNING = None
        batch_rows = chain.batch_rows()
        await conn.copy_records_to_table("batches", records=batch_rows, columns=BATCH_COLUMNS)
        size = len(plan.events)
        done = await conn.execute(
            "UPDATE log_head SET size = $1, edge = $2 WHERE id = 1 AND size = 0",
            size,
            pack(chain.edge),
        )
        if done != "UPDATE 1":
            raise RuntimeError("the log was not empty before the load")
        copied = time.perf_counter() - began
        log(f"   VACUUM ANALYZE (loaded in {copied:.0f} s)")
        t0 = time.perf_counter()
        await conn.execute("VACUUM ANALYZE")
        vacuum_s = time.perf_counter() - t0
        size_mb = await conn.fetchval("SELECT pg_database_size(current_database()) / 1048576")
    finally:
        _SIGNING = None
        await conn.close()
    roots = {plan.batches[i] for i in (*plan.roots, *plan.large_roots)}
    checked = await check_load(settings, chain, wanted.audit_sample, roots)
    report = {
        "records": size,
        "batches": len(batch_rows),
        "agencies": len(parties),
        "plan_s": round(planned, 1),
        "sign_chain_copy_s": round(signed_s, 1),
        "total_s": round(copied, 1),
        "vacuum_s": round(vacuum_s, 1),
        "size_mb": int(size_mb),
        "signers": wanted.signers,
        "checked": checked,
        "shape": describe(plan, chain),
    }
    return Loaded(
        [plan.batches[i] for i in plan.roots],
        [plan.batches[i] for i in plan.large_roots],
        end_us,
        report,
    )


async def _copy_records(
    conn: Any,
    plan: Plan,
    keys: dict[int, tuple[str, bytes]],
    chain: Chain,
    signers: int,
    began: float,
) -> None:
    """Sign in ``signers`` processes; check, chain and COPY here, in log order."""
    events = plan.events
    spans = [(s, min(s + SPAN, len(events))) for s in range(0, len(events), SPAN)]
    rows: list[tuple[Any, ...]] = []
    nodes: list[tuple[int, int, bytes]] = []
    with multiprocessing.get_context("fork").Pool(signers) as pool:
        for (start, end), signed in zip(spans, pool.imap(sign_span, spans), strict=True):
            for offset, item in enumerate(signed):
                position = start + offset
                party = plan.parties[events[position][4]]
                row = chain.append(position, events[position], party, item)
                rows.append((*row, keys[party.index][0], party.id, events[position][3]))
                chain.edge, finished = append_leaf(chain.edge, position, row[5])
                nodes.extend((n.level, n.index, n.hash) for n in finished)
            if len(rows) >= CHUNK or end == len(events):
                await conn.copy_records_to_table("records", records=rows, columns=RECORD_COLUMNS)
                await conn.copy_records_to_table(
                    "merkle_nodes", records=nodes, columns=["level", "idx", "hash"]
                )
                log(f"   {end:>9,} records ({time.perf_counter() - began:.0f} s)")
                rows, nodes = [], []


def describe(plan: Plan, chain: Chain) -> dict[str, Any]:
    """The data's shape, for the report: kinds, certificates, dispositions, the trees."""
    kinds: dict[str, int] = {}
    for planned in plan.events:
        kinds[planned[3]] = kinds.get(planned[3], 0) + 1
    households = sum(1 for p in plan.parties if p.household)
    by_kind: dict[str, int] = {}
    for party in plan.parties:
        by_kind[party.kind.value] = by_kind.get(party.kind.value, 0) + 1
    with_gtin = sum(1 for body, _, _ in chain.registered.values() if body.gtin)
    provinces = {body.origin.province for body, _, _ in chain.registered.values()}
    return {
        "kinds": kinds,
        "agencies": by_kind,
        "households": households,
        "with_gtin": with_gtin,
        "provinces": len(provinces),
        "recalled": len(plan.recalled),
    }


async def check_load(
    settings: Settings, chain: Chain, sample: int, wanted: set[str]
) -> dict[str, Any]:
    """trace's own checks on what was loaded: chains and signatures of a sample of batches
    (``verify_batch``), the stored tree against the records' hashes."""
    rng = random.Random(7)
    ledger = open_ledger(settings)
    t0 = time.perf_counter()
    try:
        batches = sorted(chain.registered)
        ids = sorted(wanted | set(rng.sample(batches, min(sample, len(batches)))))
        records_checked = 0
        for batch_id in ids:
            _batch, count, faults = await verify_batch(ledger, batch_id)
            if faults:
                raise RuntimeError(f"batch {batch_id}: {faults[0]}")
            records_checked += count
        async with read_transaction(ledger.engine) as conn:
            head = (await conn.execute(select(log_head.c.size, log_head.c.edge))).one()
            size = int(head.size)
            root = edge_root(unpack(bytes(head.edge), size))
            if await root_at(conn, size) != root:
                raise RuntimeError("the stored tree's root differs from the log head's")
            leaves = [
                bytes(h)
                for h in (
                    await conn.execute(select(records.c.record_hash).order_by(records.c.position))
                ).scalars()
            ]
            if root_from_leaves([hash_leaf(leaf) for leaf in leaves]) != root:
                raise RuntimeError("the log's root differs from the root of every record hash")
            for _ in range(50):
                index = rng.randrange(size)
                proof = await prove_inclusion(conn, index, size)
                verify_inclusion(hash_leaf(leaves[index]), index, size, proof, root)
    finally:
        await ledger.close()
    seconds = time.perf_counter() - t0
    log(
        f"   verified {len(ids)} batches ({records_checked:,} records) with verify_batch; the"
        f" tree's root is the root of all {size:,} record hashes ({seconds:.0f} s)"
    )
    return {"batches": len(ids), "records": records_checked, "seconds": round(seconds, 1)}
