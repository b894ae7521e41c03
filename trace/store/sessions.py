"""Console sessions and pairing codes: how a person signs in to the producer console.

A session stands for one bearer token on one device. Its secret (32 random bytes) lives in
the browser's cookie only; the row is named by the secret's SHA-256, so a copy of the
database opens no session. Each session also holds a CSRF value that the console sends back
in a header with every write (the synchronizer token pattern, OWASP CSRF Prevention Cheat
Sheet). A session acts with its token's power as it is now: a token revoked later leaves
its sessions powerless at their next request.

A session lasts 30 days from its last use (sliding), noted at most once a minute so that
reads stay reads. A pairing code signs a person in once, within 10 minutes, on another
device; the row holds the code's SHA-256.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from dataclasses import dataclass

from sqlalchemy import ColumnElement, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from trace.domain.record import now_us
from trace.store.agencies import Actor, get_agency, token_actor
from trace.store.database import Reads, read_transaction, write_transaction
from trace.store.errors import NotFound, Unauthenticated
from trace.store.ledger import Ledger
from trace.store.tables import console_pairings, console_sessions, tokens

_MINUTE_US = 60 * 1_000_000
SESSION_LIFETIME_US = 30 * 24 * 60 * _MINUTE_US
# How often a session's last use is written: a busy console writes once a minute at most.
LAST_USE_EVERY_US = _MINUTE_US
PAIRING_LIFETIME_US = 10 * _MINUTE_US
# 20 random bytes: 160 bits, 32 characters of base32.
PAIRING_CODE_BYTES = 20
# The public id of a session: the first 16 hex digits (64 bits) of its row's id.
PUBLIC_ID_LENGTH = 16


@dataclass(frozen=True, slots=True)
class Session:
    """A console session as its request sees it: who acts, on which device, until when."""

    id: str
    actor: Actor
    agency_name: str
    device: str
    csrf: str
    created_at_us: int
    last_used_at_us: int
    expires_at_us: int

    @property
    def public_id(self) -> str:
        """The id the console shows and ends sessions by; it opens nothing."""
        return self.id[:PUBLIC_ID_LENGTH]


@dataclass(frozen=True, slots=True)
class SessionInfo:
    """A session as the list of an agency's sessions shows it."""

    public_id: str
    token_id: str
    person: str
    device: str
    created_at_us: int
    last_used_at_us: int
    expires_at_us: int


@dataclass(frozen=True, slots=True)
class Pairing:
    """A pairing code, shown once, and when it stops working."""

    code: str
    token_id: str
    expires_at_us: int


def session_id_of(secret: str) -> str:
    """The row id of the session whose cookie holds ``secret``: its SHA-256, hex."""
    return hashlib.sha256(secret.encode()).hexdigest()


def _code_hash(code: str) -> str:
    return hashlib.sha256(normalise_code(code).encode()).hexdigest()


def normalise_code(code: str) -> str:
    """A pairing code as it was made: upper case, without the spaces or dashes a person types."""
    return "".join(code.split()).replace("-", "").upper()


async def sign_in(ledger: Ledger, actor: Actor, device: str) -> tuple[str, Session]:
    """Open a session for the token ``actor`` came from; the cookie's secret and the session."""
    async with write_transaction(ledger.engine) as conn:
        return await _open(conn, actor, device)


async def sign_in_by_pairing(ledger: Ledger, code: str, device: str) -> tuple[str, Session]:
    """Open a session with a pairing code, which is used up: the cookie's secret and session.

    :class:`Unauthenticated` (reason ``pairing_code``) for a code unknown, used, expired,
    or whose token has been revoked since.
    """
    now = now_us()
    async with write_transaction(ledger.engine) as conn:
        digest = _code_hash(code)
        # One UPDATE both checks and uses the code: two devices racing get one session.
        used = await conn.execute(
            update(console_pairings)
            .where(
                console_pairings.c.code_hash == digest,
                console_pairings.c.used_at_us.is_(None),
                console_pairings.c.expires_at_us > now,
            )
            .values(used_at_us=now)
        )
        row = None
        if used.rowcount == 1:
            row = (
                await conn.execute(
                    select(console_pairings.c.token_id).where(
                        console_pairings.c.code_hash == digest
                    )
                )
            ).first()
        actor = None if row is None else await token_actor(conn, row.token_id)
        if actor is None:
            raise Unauthenticated("unknown, used or expired pairing code", reason="pairing_code")
        return await _open(conn, actor, device)


async def _open(conn: AsyncConnection, actor: Actor, device: str) -> tuple[str, Session]:
    assert actor.token_id is not None, "a session stands for a token"
    agency = await get_agency(conn, actor.agency_id)
    secret = base64.urlsafe_b64encode(secrets.token_bytes(32)).rstrip(b"=").decode()
    now = now_us()
    session = Session(
        id=session_id_of(secret),
        actor=actor,
        agency_name=agency.name,
        device=device,
        csrf=secrets.token_hex(32),
        created_at_us=now,
        last_used_at_us=now,
        expires_at_us=now + SESSION_LIFETIME_US,
    )
    await conn.execute(
        insert(console_sessions).values(
            id=session.id,
            token_id=actor.token_id,
            agency_id=actor.agency_id,
            device=device,
            csrf=session.csrf,
            created_at_us=now,
            last_used_at_us=now,
            expires_at_us=session.expires_at_us,
        )
    )
    return secret, session


async def open_session(ledger: Ledger, secret: str) -> Session:
    """The open session whose cookie holds ``secret``, its expiry moved on by this use.

    :class:`Unauthenticated` (reason ``session``) when there is none: unknown, ended,
    expired, or its token revoked.
    """
    now = now_us()
    async with read_transaction(ledger.engine) as conn:
        found = await _session(conn, session_id_of(secret), now)
    if found is None:
        raise Unauthenticated("no open console session", reason="session")
    if now - found.last_used_at_us < LAST_USE_EVERY_US:
        return found
    expires = now + SESSION_LIFETIME_US
    async with write_transaction(ledger.engine) as conn:
        await conn.execute(
            update(console_sessions)
            .where(console_sessions.c.id == found.id, console_sessions.c.ended_at_us.is_(None))
            .values(last_used_at_us=now, expires_at_us=expires)
        )
    return Session(
        found.id,
        found.actor,
        found.agency_name,
        found.device,
        found.csrf,
        found.created_at_us,
        now,
        expires,
    )


async def _session(conn: Reads, session_id: str, now: int) -> Session | None:
    row = (
        await conn.execute(
            select(console_sessions).where(
                console_sessions.c.id == session_id,
                console_sessions.c.ended_at_us.is_(None),
                console_sessions.c.expires_at_us > now,
            )
        )
    ).first()
    if row is None:
        return None
    actor = await token_actor(conn, row.token_id)
    if actor is None:  # the token was revoked after the session was opened
        return None
    agency = await get_agency(conn, row.agency_id)
    return Session(
        row.id,
        actor,
        agency.name,
        row.device,
        row.csrf,
        row.created_at_us,
        row.last_used_at_us,
        row.expires_at_us,
    )


async def end_session(ledger: Ledger, session_id: str) -> None:
    """End the session ``session_id`` (signing out); ending an ended one changes nothing."""
    async with write_transaction(ledger.engine) as conn:
        await conn.execute(
            update(console_sessions)
            .where(console_sessions.c.id == session_id, console_sessions.c.ended_at_us.is_(None))
            .values(ended_at_us=now_us())
        )


async def list_sessions(
    ledger: Ledger, agency_id: str, token_id: str | None = None
) -> list[SessionInfo]:
    """The agency's open sessions (only ``token_id``'s when given), the latest used first."""
    query = (
        select(console_sessions, tokens.c.person)
        .join(tokens, tokens.c.id == console_sessions.c.token_id)
        .where(*_open_sessions_of(agency_id, token_id, now_us()))
        .order_by(console_sessions.c.last_used_at_us.desc())
    )
    async with read_transaction(ledger.engine) as conn:
        rows = (await conn.execute(query)).all()
    return [
        SessionInfo(
            r.id[:PUBLIC_ID_LENGTH],
            r.token_id,
            r.person,
            r.device,
            r.created_at_us,
            r.last_used_at_us,
            r.expires_at_us,
        )
        for r in rows
    ]


async def end_listed_session(
    ledger: Ledger, public_id: str, agency_id: str, token_id: str | None = None
) -> None:
    """End the open session ``public_id`` of the agency (only among ``token_id``'s when given).

    :class:`NotFound` when no such session is open there.
    """
    # A public id is hex, so it holds none of LIKE's wildcards.
    if len(public_id) != PUBLIC_ID_LENGTH or any(c not in "0123456789abcdef" for c in public_id):
        raise NotFound(f"no session {public_id}", what="session", id=public_id)
    async with write_transaction(ledger.engine) as conn:
        result = await conn.execute(
            update(console_sessions)
            .where(
                console_sessions.c.id.startswith(public_id),
                *_open_sessions_of(agency_id, token_id, now_us()),
            )
            .values(ended_at_us=now_us())
        )
        if result.rowcount == 0:
            raise NotFound(f"no session {public_id}", what="session", id=public_id)


def _open_sessions_of(agency_id: str, token_id: str | None, now: int) -> list[ColumnElement[bool]]:
    live_tokens = select(tokens.c.id).where(tokens.c.revoked_at_us.is_(None))
    where = [
        console_sessions.c.agency_id == agency_id,
        console_sessions.c.ended_at_us.is_(None),
        console_sessions.c.expires_at_us > now,
        console_sessions.c.token_id.in_(live_tokens),
    ]
    if token_id is not None:
        where.append(console_sessions.c.token_id == token_id)
    return where


async def create_pairing(ledger: Ledger, agency_id: str, token_id: str) -> Pairing:
    """A new pairing code for the agency's unrevoked token ``token_id``: once, for 10 minutes.

    :class:`NotFound` when the token is not the agency's or is revoked.
    """
    code = base64.b32encode(secrets.token_bytes(PAIRING_CODE_BYTES)).decode().rstrip("=")
    now = now_us()
    pairing = Pairing(code, token_id, now + PAIRING_LIFETIME_US)
    async with write_transaction(ledger.engine) as conn:
        actor = await token_actor(conn, token_id)
        if actor is None or actor.agency_id != agency_id:
            raise NotFound(f"no token {token_id}", what="token", id=token_id)
        await conn.execute(
            insert(console_pairings).values(
                code_hash=_code_hash(code),
                token_id=token_id,
                created_at_us=now,
                expires_at_us=pairing.expires_at_us,
            )
        )
    return pairing
