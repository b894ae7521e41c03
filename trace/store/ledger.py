"""The ledger handle: the database engines and the custodial key material of one process.

``engine`` is the primary: every write, and every read that must see its own write. Reads
that may come from a streaming replica ask :meth:`Ledger.reader` once per request.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy.ext.asyncio import AsyncEngine

from trace.config import Settings
from trace.domain.note import Signer
from trace.store.custody import MasterKey, load_master_key
from trace.store.database import connect, connect_replica
from trace.store.page_reads import PageReads
from trace.store.replicas import Replicas
from trace.store.tiles import FullTiles


@dataclass
class Ledger:
    """What every store operation needs; made once per process and passed down."""

    engine: AsyncEngine
    master_key: MasterKey
    # Unsealed custodial keys, kept so that each append does not pay for AES-GCM again.
    private_keys: dict[str, Ed25519PrivateKey] = field(default_factory=dict)
    # Off only in benchmarks that measure what keeping the Merkle tree costs an append.
    maintain_tree: bool = True
    # The log's checkpoint signer, loaded once (trace/store/checkpoints.py).
    log_signer: Signer | None = None
    # This process's queue of appends waiting to be committed together (trace/store/append.py).
    writer: object | None = None
    # Tokens recently checked, by hash: (actor, monotonic time it stops being trusted).
    # Revocation in this process clears it; other processes see it within the lifetime.
    token_cache: dict[str, tuple[object, float]] = field(default_factory=dict)
    token_cache_seconds: float = 2.0
    # How the public pages read, made on the first page (trace/store/page_reads.py).
    page_reads: PageReads | None = None
    # Streaming replicas serving reads (TRACE_READ_DATABASE_URL; trace/store/replicas.py).
    replicas: Replicas | None = None
    # The log's full tiles this process has served: they never change (trace/store/tiles.py).
    full_tiles: FullTiles = field(default_factory=FullTiles)

    def reader(self) -> AsyncEngine:
        """The database one request reads from: ask once per request and read only there.

        A fit streaming replica when there are some, taken in turn, else the primary. What
        must see this process's own writes reads ``engine`` instead.
        """
        if self.replicas is None:
            return self.engine
        return self.replicas.pick() or self.engine

    async def close(self) -> None:
        """Release the database connections."""
        if self.page_reads is not None:
            await self.page_reads.close()
            self.page_reads = None
        if self.replicas is not None:
            await self.replicas.close()
        await self.engine.dispose()


def open_ledger(settings: Settings, *, create_master_key: bool = False) -> Ledger:
    """Connect to the configured database and load the master key."""
    master = load_master_key(
        settings.data_dir, settings.master_key_b64, create=create_master_key or settings.is_embedded
    )
    replicas = None
    if settings.read_database_urls:
        engines = [
            connect_replica(url, pool_size=settings.replica_pool_size)
            for url in settings.read_database_urls
        ]
        replicas = Replicas(engines, max_lag_seconds=settings.replica_max_lag_seconds)
    return Ledger(
        engine=connect(settings.database_url, pool_size=settings.pool_size, overflow=False),
        master_key=master,
        token_cache_seconds=settings.token_cache_seconds,
        replicas=replicas,
    )
