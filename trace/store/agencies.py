"""Agencies, their signing keys and their people's bearer tokens."""

from __future__ import annotations

import hashlib
import secrets
import time
import uuid
from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from sqlalchemy import ColumnElement, and_, bindparam, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from trace.domain.agency import AgencyKind
from trace.domain.chain import KeyStatus
from trace.domain.contact import Contact
from trace.domain.errors import InvalidStatement
from trace.domain.record import from_us as datetime_of_us
from trace.domain.record import now_us
from trace.domain.scopes import (
    ALL_SCOPES,
    Scope,
    format_scopes,
    missing_to_append,
    parse_scopes,
    token_scopes,
)
from trace.domain.statement import key_id as derive_key_id
from trace.store.custody import public_bytes
from trace.store.database import Reads, read_transaction, write_transaction
from trace.store.errors import (
    Forbidden,
    KeyAlreadyRegistered,
    KeyNotUsable,
    NotFound,
    RevocationOutOfRange,
    Unauthenticated,
)
from trace.store.ledger import Ledger
from trace.store.tables import agencies, agency_keys, tokens

TOKEN_PREFIX = "trc_"  # noqa: S105 - a public prefix that makes leaked tokens easy to spot


@dataclass(frozen=True, slots=True)
class Actor:
    """A person acting for an agency, as established by a bearer token."""

    agency_id: str
    agency_kind: AgencyKind
    token_id: str | None
    # The agency's active custodial key when the token was checked, so a server-signed
    # append needs no second look-up; the append re-checks it inside its transaction.
    custodial_key: str | None = None
    # What the token may do (trace/domain/scopes.py). An actor made in this process
    # rather than from a token (the demo, the operator's command line) may do everything
    # its agency may.
    scopes: frozenset[Scope] = ALL_SCOPES
    # The person the token was made for, as the audit trail names them.
    person: str | None = None


def require_scope(actor: Actor, scope: Scope) -> None:
    """Raise :class:`Forbidden` (rule ``scope_<name>``) unless the actor's token has ``scope``."""
    if scope not in actor.scopes:
        raise _lacks(scope)


def require_scope_to_append(actor: Actor, kind: str) -> None:
    """Raise :class:`Forbidden` unless the actor's token may append a statement of ``kind``.

    Checked before the rules, so a token without the scope is told so whatever the batch;
    what the agency itself may record is the rules' to say (trace/domain/rules.py).
    """
    missing = missing_to_append(kind, actor.scopes)
    if missing is not None:
        raise _lacks(missing)


def _lacks(scope: Scope) -> Forbidden:
    return Forbidden(
        f"this token does not have the {scope.value} scope", rule=f"scope_{scope.value}"
    )


@dataclass(frozen=True, slots=True)
class Agency:
    """An organisation (or household) that signs statements."""

    id: str
    name: str
    kind: AgencyKind
    household: bool
    province: str | None
    commune: str | None
    # How shoppers reach it; the public page never shows a household's.
    contact: Contact = field(default_factory=Contact)


@dataclass(frozen=True, slots=True)
class KeyInfo:
    """A signing key as the API shows it (never the private part)."""

    key_id: str
    agency_id: str
    public_key: bytes
    custodial: bool
    created_at_us: int
    retired_at_us: int | None
    revoked_at_us: int | None
    # A device key (the producer console): the device's name, the token it was registered
    # through, and why it was revoked. None for the agency's own keys.
    device_name: str | None = None
    token_id: str | None = None
    revocation_reason: str | None = None


def hash_token(token: str) -> str:
    """Tokens are stored only as SHA-256: a stolen database yields no usable token."""
    return hashlib.sha256(token.encode()).hexdigest()


async def create_agency(
    ledger: Ledger,
    *,
    name: str,
    kind: AgencyKind,
    household: bool = False,
    province: str | None = None,
    commune: str | None = None,
    person: str = "admin",
    external_public_key: bytes | None = None,
    contact: Contact | None = None,
) -> tuple[Agency, str, str]:
    """Create an agency with its first key (custodial unless a public key is given) and token.

    The token holds every scope the agency's kind allows. Returns the agency, its key id
    and the token, which is shown only this once.
    """
    if not name.strip():
        raise InvalidStatement("an agency needs a name", reason="name")
    given = contact or Contact()
    agency = Agency(str(uuid.uuid4()), name.strip(), kind, household, province, commune, given)
    async with write_transaction(ledger.engine) as conn:
        await conn.execute(
            insert(agencies).values(
                id=agency.id,
                name=agency.name,
                kind=kind.value,
                household=household,
                public_consent=False,
                province=province,
                commune=commune,
                created_at_us=now_us(),
                phone=given.phone,
                address=given.address,
                website=given.website,
            )
        )
        key = await _insert_key(ledger, conn, agency.id, external_public_key)
        token = await _insert_token(conn, agency.id, person, token_scopes(kind, None))
    return agency, key, token


async def add_key(ledger: Ledger, agency_id: str, external_public_key: bytes | None = None) -> str:
    """Add a signing key to an agency: custodial (generated here) or external (public only)."""
    async with write_transaction(ledger.engine) as conn:
        await _require_agency(conn, agency_id)
        return await _insert_key(ledger, conn, agency_id, external_public_key)


async def add_device_key(
    ledger: Ledger, actor: Actor, public_key: bytes, device_name: str
) -> tuple[KeyInfo, bool]:
    """Register the public half of a key made on a person's device, bound to their token.

    Returns the key and whether it is new. Idempotent: the same public key sent again by
    the same agency answers the key already registered (its first name kept). A key of
    another agency is :class:`KeyAlreadyRegistered`.
    """
    kid = derive_key_id(public_key)
    async with write_transaction(ledger.engine) as conn:
        existing = await _existing_key(conn, kid, actor.agency_id)
        if existing is None:
            await _insert_key(
                ledger,
                conn,
                actor.agency_id,
                public_key,
                device_name=device_name,
                token_id=actor.token_id,
            )
    if existing is not None:
        return existing, False
    async with read_transaction(ledger.engine) as conn:
        found = await _existing_key(conn, kid, actor.agency_id)
    assert found is not None  # committed just now
    return found, True


async def _existing_key(conn: Reads, key_id: str, agency_id: str) -> KeyInfo | None:
    """The key ``key_id`` if it is ``agency_id``'s; :class:`KeyAlreadyRegistered` if another's."""
    row = (await conn.execute(select(agency_keys).where(agency_keys.c.key_id == key_id))).first()
    if row is None:
        return None
    if row.agency_id != agency_id:
        raise _already_registered(key_id)
    return _key_info(row)


async def rotate_key(
    ledger: Ledger, agency_id: str, external_public_key: bytes | None = None
) -> str:
    """Retire every active key of the agency and add a new one; old signatures stay valid."""
    async with write_transaction(ledger.engine) as conn:
        await _require_agency(conn, agency_id)
        await conn.execute(
            update(agency_keys)
            .where(agency_keys.c.agency_id == agency_id, agency_keys.c.retired_at_us.is_(None))
            .values(retired_at_us=now_us())
        )
        key = await _insert_key(ledger, conn, agency_id, external_public_key)
    ledger.token_cache.clear()  # cached actors name the retired custodial key
    return key


async def revoke_key(ledger: Ledger, key_id: str, *, from_us: int, reason: str) -> None:
    """Mark a key compromised from ``from_us``: signatures recorded since then are invalid.

    ``from_us`` must lie between the Unix epoch and now (:class:`RevocationOutOfRange`
    otherwise, before anything is written): no key signed before 1970, and a revocation
    from a future time would revoke nothing yet.
    """
    latest = now_us()
    if not 0 <= from_us <= latest:
        raise RevocationOutOfRange(
            f"a key can be revoked from a time between the epoch and now, not from {from_us} µs",
            found=_moment(from_us),
            latest=_moment(latest),
        )
    async with write_transaction(ledger.engine) as conn:
        result = await conn.execute(
            update(agency_keys)
            .where(agency_keys.c.key_id == key_id)
            .values(revoked_at_us=from_us, revocation_reason=reason, retired_at_us=now_us())
        )
        if result.rowcount == 0:
            raise NotFound(f"no key {key_id}", what="key", id=key_id)
    ledger.private_keys.pop(key_id, None)
    ledger.token_cache.clear()


async def create_token(
    ledger: Ledger, agency_id: str, person: str, scopes: Collection[Scope] | None = None
) -> str:
    """A new bearer token for a person of the agency; shown once, stored hashed.

    Without ``scopes`` it holds every scope the agency's kind allows; raise
    :class:`ScopeNotAllowed` for a scope the kind cannot hold.
    """
    async with write_transaction(ledger.engine) as conn:
        agency = await get_agency(conn, agency_id)
        return await _insert_token(conn, agency_id, person, token_scopes(agency.kind, scopes))


@dataclass(frozen=True, slots=True)
class TokenInfo:
    """A token as it can be listed: who holds it and its life cycle, never its value."""

    id: str
    agency_id: str
    person: str
    created_at_us: int
    revoked_at_us: int | None
    scopes: frozenset[Scope]


async def list_tokens(ledger: Ledger, agency_id: str) -> list[TokenInfo]:
    """The agency's tokens, oldest first."""
    async with read_transaction(ledger.engine) as conn:
        await _require_agency(conn, agency_id)
        rows = (
            await conn.execute(
                select(tokens)
                .where(tokens.c.agency_id == agency_id)
                .order_by(tokens.c.created_at_us)
            )
        ).all()
    return [
        TokenInfo(
            r.id, r.agency_id, r.person, r.created_at_us, r.revoked_at_us, parse_scopes(r.scopes)
        )
        for r in rows
    ]


async def revoke_token(ledger: Ledger, token_id: str, agency_id: str | None = None) -> None:
    """Revoke a token from now on (only among ``agency_id``'s tokens when given)."""
    query = update(tokens).where(tokens.c.id == token_id).values(revoked_at_us=now_us())
    if agency_id is not None:
        query = query.where(tokens.c.agency_id == agency_id)
    async with write_transaction(ledger.engine) as conn:
        result = await conn.execute(query)
        if result.rowcount == 0:
            raise NotFound(f"no token {token_id}", what="token", id=token_id)
    ledger.token_cache.clear()


async def authenticate(ledger: Ledger, token: str) -> Actor:
    """The actor a bearer token stands for; raise :class:`Unauthenticated` otherwise."""
    if not token.startswith(TOKEN_PREFIX):
        raise Unauthenticated("not a trace token")
    digest = hash_token(token)
    cached = ledger.token_cache.get(digest)
    if cached is not None and cached[1] > time.monotonic():
        actor = cached[0]
        assert isinstance(actor, Actor)
        return actor
    async with read_transaction(ledger.engine) as conn:
        found = await _actor_where(conn, tokens.c.token_hash == digest)
    if found is None:
        raise Unauthenticated("unknown or revoked token")
    if ledger.token_cache_seconds > 0:
        if len(ledger.token_cache) > 10_000:
            ledger.token_cache.clear()
        ledger.token_cache[digest] = (found, time.monotonic() + ledger.token_cache_seconds)
    return found


async def token_actor(conn: Reads, token_id: str) -> Actor | None:
    """The actor the token ``token_id`` stands for; None if it is unknown or revoked."""
    return await _actor_where(conn, tokens.c.id == token_id)


async def _actor_where(conn: Reads, which: ColumnElement[bool]) -> Actor | None:
    """The actor of the one unrevoked token ``which`` selects, with its agency's custodial key."""
    usable = and_(
        agency_keys.c.agency_id == tokens.c.agency_id,
        agency_keys.c.sealed_private_key.is_not(None),
        agency_keys.c.retired_at_us.is_(None),
        agency_keys.c.revoked_at_us.is_(None),
    )
    row = (
        await conn.execute(
            select(
                tokens.c.id,
                tokens.c.agency_id,
                tokens.c.person,
                tokens.c.scopes,
                agencies.c.kind,
                agency_keys.c.key_id,
            )
            .join(agencies, agencies.c.id == tokens.c.agency_id)
            .outerjoin(agency_keys, usable)
            .where(which, tokens.c.revoked_at_us.is_(None))
            .order_by(agency_keys.c.created_at_us.desc())
            .limit(1)
        )
    ).first()
    if row is None:
        return None
    return Actor(
        row.agency_id,
        AgencyKind(row.kind),
        row.id,
        row.key_id,
        scopes=parse_scopes(row.scopes),
        person=row.person,
    )


async def get_agency(conn: Reads, agency_id: str) -> Agency:
    """The agency ``agency_id``; raise :class:`NotFound` otherwise."""
    row = (await conn.execute(select(agencies).where(agencies.c.id == agency_id))).first()
    if row is None:
        raise NotFound(f"no agency {agency_id}", what="agency", id=agency_id)
    return _agency(row)


def _agency(row: Any) -> Agency:
    contact = Contact(phone=row.phone, address=row.address, website=row.website)
    return Agency(
        row.id, row.name, AgencyKind(row.kind), row.household, row.province, row.commune, contact
    )


async def set_contact(ledger: Ledger, agency_id: str, contact: Contact) -> Agency:
    """Replace the agency's contact with ``contact`` (a part it lacks is cleared)."""
    async with write_transaction(ledger.engine) as conn:
        await _require_agency(conn, agency_id)
        await conn.execute(
            update(agencies)
            .where(agencies.c.id == agency_id)
            .values(phone=contact.phone, address=contact.address, website=contact.website)
        )
        return await get_agency(conn, agency_id)


async def list_agencies(ledger: Ledger) -> list[Agency]:
    """Every agency, oldest first."""
    async with read_transaction(ledger.engine) as conn:
        rows = (await conn.execute(select(agencies).order_by(agencies.c.created_at_us))).all()
    return [_agency(r) for r in rows]


async def list_keys(conn: Reads, agency_id: str | None = None) -> list[KeyInfo]:
    """Keys of one agency, or of all, oldest first."""
    query = select(agency_keys).order_by(agency_keys.c.created_at_us)
    if agency_id is not None:
        query = query.where(agency_keys.c.agency_id == agency_id)
    return [_key_info(r) for r in (await conn.execute(query)).all()]


def _key_info(row: Any) -> KeyInfo:
    return KeyInfo(
        row.key_id,
        row.agency_id,
        row.public_key,
        row.sealed_private_key is not None,
        row.created_at_us,
        row.retired_at_us,
        row.revoked_at_us,
        row.device_name,
        row.token_id,
        row.revocation_reason,
    )


async def key_statuses(conn: Reads, only: Collection[str] | None = None) -> dict[str, KeyStatus]:
    """Keys as chain verification needs them, by key id: every key, or those in ``only``."""
    if only is None:
        rows = await conn.execute(_KEY_STATUSES)
    else:
        rows = await conn.execute(_SOME_KEY_STATUSES, {"keys": sorted(only)})
    return {
        row.key_id: KeyStatus(row.key_id, row.agency_id, row.public_key, row.revoked_at_us)
        for row in rows
    }


_KEY_STATUSES = select(
    agency_keys.c.key_id,
    agency_keys.c.agency_id,
    agency_keys.c.public_key,
    agency_keys.c.revoked_at_us,
)
_SOME_KEY_STATUSES = _KEY_STATUSES.where(
    agency_keys.c.key_id.in_(bindparam("keys", expanding=True))
)


async def active_custodial_key(conn: AsyncConnection, agency_id: str) -> str:
    """The key the server signs with for the agency; raise :class:`KeyNotUsable` if none."""
    row = (
        await conn.execute(
            select(agency_keys.c.key_id)
            .where(
                agency_keys.c.agency_id == agency_id,
                agency_keys.c.sealed_private_key.is_not(None),
                agency_keys.c.retired_at_us.is_(None),
                agency_keys.c.revoked_at_us.is_(None),
            )
            .order_by(agency_keys.c.created_at_us.desc())
        )
    ).first()
    if row is None:
        raise KeyNotUsable(
            "the agency has no active custodial key; sign the statement yourself",
            reason="no_custodial_key",
        )
    return str(row.key_id)


async def private_key(ledger: Ledger, conn: AsyncConnection, key_id: str) -> Ed25519PrivateKey:
    """The unsealed private key of a custodial key, cached for the life of the process."""
    cached = ledger.private_keys.get(key_id)
    if cached is not None:
        return cached
    row = (
        await conn.execute(
            select(agency_keys.c.sealed_private_key).where(agency_keys.c.key_id == key_id)
        )
    ).first()
    if row is None or row.sealed_private_key is None:
        raise KeyNotUsable(f"key {key_id} is not custodial", reason="not_custodial")
    key = ledger.master_key.unseal(key_id, row.sealed_private_key)
    ledger.private_keys[key_id] = key
    return key


async def _require_agency(conn: AsyncConnection, agency_id: str) -> None:
    await get_agency(conn, agency_id)


async def _insert_key(
    ledger: Ledger,
    conn: AsyncConnection,
    agency_id: str,
    external_public_key: bytes | None,
    *,
    device_name: str | None = None,
    token_id: str | None = None,
) -> str:
    sealed: bytes | None = None
    if external_public_key is None:
        secret = Ed25519PrivateKey.generate()
        public = public_bytes(secret)
        kid = derive_key_id(public)
        sealed = ledger.master_key.seal(kid, secret)
    else:
        try:
            Ed25519PublicKey.from_public_bytes(external_public_key)
        except ValueError as exc:
            raise KeyNotUsable("not an Ed25519 public key", reason="malformed") from exc
        public = external_public_key
        kid = derive_key_id(public)
    # A key id is a hash of the public key: the same key sent twice has the same id.
    taken = select(agency_keys.c.key_id).where(agency_keys.c.key_id == kid)
    if (await conn.execute(taken)).first() is not None:
        raise _already_registered(kid)
    try:
        await conn.execute(
            insert(agency_keys).values(
                key_id=kid,
                agency_id=agency_id,
                public_key=public,
                sealed_private_key=sealed,
                created_at_us=now_us(),
                device_name=device_name,
                token_id=token_id,
            )
        )
    except IntegrityError as exc:  # registered meanwhile by a concurrent request
        raise _already_registered(kid) from exc
    return kid


def _moment(micros: int) -> str:
    """RFC 3339 text of a time in microseconds, or the number when no date can show it."""
    try:
        return datetime_of_us(micros).isoformat().replace("+00:00", "Z")
    except (OverflowError, ValueError):
        return f"{micros} µs"


def _already_registered(key_id: str) -> KeyAlreadyRegistered:
    return KeyAlreadyRegistered(f"the public key {key_id} is already registered", key=key_id)


async def _insert_token(
    conn: AsyncConnection, agency_id: str, person: str, scopes: Collection[Scope]
) -> str:
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    await conn.execute(
        insert(tokens).values(
            id=str(uuid.uuid4()),
            agency_id=agency_id,
            person=person,
            token_hash=hash_token(token),
            created_at_us=now_us(),
            scopes=format_scopes(scopes),
        )
    )
    return token
