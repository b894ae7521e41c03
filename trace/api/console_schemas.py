"""Request and response messages of the producer console's sign-in, sessions and device keys."""

from __future__ import annotations

from typing import Annotated

import msgspec

from trace.api.schemas import iso
from trace.domain.agency import AgencyKind
from trace.domain.scopes import Scope
from trace.store.agencies import KeyInfo
from trace.store.sessions import Pairing, Session, SessionInfo

# A device's name as its person calls it ("Điện thoại của Lan"): some text, not only spaces.
DeviceName = Annotated[
    str,
    msgspec.Meta(
        min_length=1,
        max_length=100,
        pattern=r"\S",
        description="The device's name as its person calls it, e.g. Điện thoại của Lan.",
    ),
]


class SignInIn(msgspec.Struct, forbid_unknown_fields=True):
    """Sign in to the console with an access token, naming this device."""

    token: Annotated[str, msgspec.Meta(max_length=200, description="An access token, trc_…")]
    device: DeviceName


class PairIn(msgspec.Struct, forbid_unknown_fields=True):
    """Sign in to the console with a pairing code, naming this device."""

    code: Annotated[
        str, msgspec.Meta(max_length=100, description="The code from the pairing QR code.")
    ]
    device: DeviceName


class SessionOut(msgspec.Struct):
    """The console session of this browser: who acts, and the CSRF value writes send.

    Every write (POST, PUT, PATCH, DELETE) made with the session's cookie sends ``csrf`` in
    the ``X-CSRF-Token`` header.
    """

    csrf: str
    session_id: str
    agency_id: str
    agency_name: str
    agency_kind: AgencyKind
    person: str | None
    scopes: list[Scope]
    device: str
    expires_at: str | None

    @classmethod
    def of(cls, session: Session) -> SessionOut:
        """The view of ``session``."""
        actor = session.actor
        return cls(
            session.csrf,
            session.public_id,
            actor.agency_id,
            session.agency_name,
            actor.agency_kind,
            actor.person,
            sorted(actor.scopes),
            session.device,
            iso(session.expires_at_us),
        )


class SessionListed(msgspec.Struct):
    """An open console session in the list of an agency's sessions.

    ``current`` is the session the request came with; ``own`` a session of the caller's
    own token.
    """

    session_id: str
    device: str
    person: str
    token_id: str
    created_at: str | None
    last_used_at: str | None
    expires_at: str | None
    current: bool
    own: bool

    @classmethod
    def of(cls, info: SessionInfo, *, current: str | None, token_id: str | None) -> SessionListed:
        """The view of ``info`` for the caller of token ``token_id`` in session ``current``."""
        return cls(
            info.public_id,
            info.device,
            info.person,
            info.token_id,
            iso(info.created_at_us),
            iso(info.last_used_at_us),
            iso(info.expires_at_us),
            info.public_id == current,
            info.token_id == token_id,
        )


class PairingIn(msgspec.Struct, forbid_unknown_fields=True):
    """A pairing code for a token of the agency (an ``admin``'s), or for the caller's own."""

    token_id: str | None = None


class PairingOut(msgspec.Struct):
    """A pairing code: shown once, usable once, for 10 minutes; ``url`` opens the console with
    it, and ``qr_svg`` is ``url`` as a QR code, to show on a screen."""

    code: str
    token_id: str
    expires_at: str | None
    url: str
    qr_svg: str

    @classmethod
    def of(cls, pairing: Pairing, url: str, qr_svg: str) -> PairingOut:
        """The view of ``pairing``."""
        return cls(pairing.code, pairing.token_id, iso(pairing.expires_at_us), url, qr_svg)


class DeviceKeyIn(msgspec.Struct, forbid_unknown_fields=True):
    """A key made on this device: the standard base64 of its raw 32-byte Ed25519 public key."""

    public_key: str
    device_name: DeviceName


class DeviceKeyOut(msgspec.Struct):
    """A device key: its device, the person whose token registered it, its life cycle."""

    key_id: str
    device_name: str | None
    token_id: str | None
    person: str | None
    created_at: str | None
    revoked_at: str | None
    revocation_reason: str | None

    @classmethod
    def of(cls, key: KeyInfo, person: str | None) -> DeviceKeyOut:
        """The view of ``key``, registered by ``person``."""
        return cls(
            key.key_id,
            key.device_name,
            key.token_id,
            person,
            iso(key.created_at_us),
            iso(key.revoked_at_us),
            key.revocation_reason,
        )
