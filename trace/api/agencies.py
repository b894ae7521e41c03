"""Agencies, their keys and their tokens (operator, or an agency for itself)."""

from __future__ import annotations

import base64
import binascii

from litestar import Controller, get, post, put
from litestar.di import Provide

from trace.api.auth import (
    ActorDep,
    LedgerDep,
    provide_actor,
    require_operator,
    require_self_or_operator,
)
from trace.api.problems import ANY, BODY, TOKEN, problem_answers
from trace.api.schemas import (
    AgencyCreated,
    AgencyDetail,
    AgencyIn,
    AgencyOut,
    KeyIn,
    KeyOut,
    KeyRevocation,
    TokenCreated,
    TokenIn,
    TokenOut,
)
from trace.domain.agency import AgencyKind
from trace.domain.contact import Contact
from trace.domain.errors import InvalidStatement
from trace.domain.record import now_us, to_us
from trace.domain.scopes import token_scopes
from trace.domain.statement import parse_time
from trace.store import agencies as store
from trace.store.database import read_transaction
from trace.store.errors import NotFound
from trace.store.ledger import Ledger


def decode_b64(text: str, *, field: str) -> bytes:
    """Strict base64; a malformed value is the client's error, named by field."""
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise InvalidStatement(
            f"{field} is not valid base64", reason="base64", field=field
        ) from exc


class AgencyController(Controller):
    """`/api/v1/agencies`: who may sign, with which keys, through which tokens."""

    path = "/api/v1/agencies"
    tags = ["agencies"]
    dependencies = {"actor": Provide(provide_actor)}

    @post("/", status_code=201, responses=problem_answers(*ANY, *TOKEN, *BODY, 409, 422))
    async def create(self, ledger: LedgerDep, actor: ActorDep, data: AgencyIn) -> AgencyCreated:
        """Create an agency with its first key and its first token.

        The operator's ``admin`` token only. The key is custodial (the server keeps it, sealed
        under the master key) unless ``public_key`` gives the agency's own Ed25519 key. The
        token is in this answer only: keep it.
        """
        require_operator(actor)
        public = decode_b64(data.public_key, field="public_key") if data.public_key else None
        agency, key_id, token = await store.create_agency(
            ledger,
            name=data.name,
            kind=data.kind,
            household=data.household,
            province=data.province,
            commune=data.commune,
            person=data.person,
            external_public_key=public,
            contact=data.contact,
        )
        return AgencyCreated(AgencyOut.of(agency), key_id, token)

    @put("/{agency_id:str}/contact", responses=problem_answers(*ANY, *TOKEN, *BODY, 404, 422))
    async def set_contact(
        self, ledger: LedgerDep, actor: ActorDep, agency_id: str, data: Contact
    ) -> AgencyOut:
        """Set how shoppers reach the agency: ``phone``, ``address``, ``website``.

        The operator or the agency itself (``admin`` scope). The body replaces the whole
        contact: a part left out is cleared. The public pages of an organisation's batches
        show it; a household's is never shown.
        """
        require_self_or_operator(actor, agency_id)
        return AgencyOut.of(await store.set_contact(ledger, agency_id, data))

    @get("/{agency_id:str}", responses=problem_answers(*ANY, 401, 404))
    async def read(self, ledger: LedgerDep, actor: ActorDep, agency_id: str) -> AgencyDetail:
        """Read an agency and every key it has had.

        Any valid token. Each key comes with its life cycle: made, retired by a rotation,
        revoked as compromised from a time. A household's contact (a person's phone and
        address) is shown to the household itself and the operator only.
        """
        async with read_transaction(ledger.engine) as conn:
            agency = await store.get_agency(conn, agency_id)
            keys = await store.list_keys(conn, agency_id)
        own = actor.agency_id == agency_id or actor.agency_kind is AgencyKind.OPERATOR
        shown = AgencyOut.of(agency, contact=own or not agency.household)
        return AgencyDetail(shown, [KeyOut.of(k) for k in keys])

    @post(
        "/{agency_id:str}/keys",
        status_code=201,
        responses=problem_answers(*ANY, *TOKEN, *BODY, 404, 409, 422),
    )
    async def add_key(
        self, ledger: LedgerDep, actor: ActorDep, agency_id: str, data: KeyIn
    ) -> KeyOut:
        """Add a signing key to an agency.

        The operator or the agency itself (``admin`` scope). Without ``public_key`` the server
        makes a custodial key; with it, the agency signs on its own device. ``rotate: true``
        retires the agency's other keys; what they signed stays valid.
        """
        require_self_or_operator(actor, agency_id)
        public = decode_b64(data.public_key, field="public_key") if data.public_key else None
        if data.rotate:
            key_id = await store.rotate_key(ledger, agency_id, public)
        else:
            key_id = await store.add_key(ledger, agency_id, public)
        return await _key(ledger, agency_id, key_id)

    @post(
        "/{agency_id:str}/keys/{key_id:str}/revoke",
        status_code=200,
        responses=problem_answers(*ANY, *TOKEN, *BODY, 404, 422),
    )
    async def revoke_key(
        self, ledger: LedgerDep, actor: ActorDep, agency_id: str, key_id: str, data: KeyRevocation
    ) -> KeyOut:
        """Revoke a key as compromised from a time.

        The operator or the agency itself (``admin`` scope). Every signature the key made from
        ``revoked_from`` (default: now) on is shown as invalid on every page and in every
        audit; earlier ones stay valid.
        """
        require_self_or_operator(actor, agency_id)
        await _key(ledger, agency_id, key_id)
        since = (
            to_us(parse_time(data.revoked_from, field="revoked_from"))
            if data.revoked_from
            else now_us()
        )
        await store.revoke_key(ledger, key_id, from_us=since, reason=data.reason)
        return await _key(ledger, agency_id, key_id)

    @post(
        "/{agency_id:str}/tokens",
        status_code=201,
        responses=problem_answers(*ANY, *TOKEN, *BODY, 404, 422),
    )
    async def add_token(
        self, ledger: LedgerDep, actor: ActorDep, agency_id: str, data: TokenIn
    ) -> TokenCreated:
        """Make a bearer token for a person acting for the agency.

        The operator or the agency itself (``admin`` scope). ``scopes`` default to all the
        agency's kind may hold. An inspector's token has ``inspect`` (and, for an authority,
        ``recall``) without ``record``: it queries and writes no production event. The token
        is in this answer only.
        """
        require_self_or_operator(actor, agency_id)
        async with read_transaction(ledger.engine) as conn:
            agency = await store.get_agency(conn, agency_id)
        scopes = token_scopes(agency.kind, data.scopes)
        token = await store.create_token(ledger, agency_id, data.person, scopes)
        return TokenCreated(agency_id, token, sorted(scopes))

    @get("/{agency_id:str}/tokens", responses=problem_answers(*ANY, *TOKEN, 404))
    async def tokens(self, ledger: LedgerDep, actor: ActorDep, agency_id: str) -> list[TokenOut]:
        """List the agency's tokens.

        The operator or the agency itself (``admin`` scope). Who holds each token, since when
        and whether it is revoked; the token itself is never shown again, only its id.
        """
        require_self_or_operator(actor, agency_id)
        return [TokenOut.of(t) for t in await store.list_tokens(ledger, agency_id)]

    @post(
        "/{agency_id:str}/tokens/{token_id:str}/revoke",
        status_code=200,
        responses=problem_answers(*ANY, *TOKEN, 404),
    )
    async def revoke_token(
        self, ledger: LedgerDep, actor: ActorDep, agency_id: str, token_id: str
    ) -> list[TokenOut]:
        """Revoke one of the agency's tokens from now on.

        The operator or the agency itself (``admin`` scope). The answer lists the agency's
        tokens. Every worker refuses the token (401) within ``TRACE_TOKEN_CACHE_SECONDS``.
        """
        require_self_or_operator(actor, agency_id)
        await store.revoke_token(ledger, token_id, agency_id)
        return [TokenOut.of(t) for t in await store.list_tokens(ledger, agency_id)]


async def _key(ledger: Ledger, agency_id: str, key_id: str) -> KeyOut:
    async with read_transaction(ledger.engine) as conn:
        for key in await store.list_keys(conn, agency_id):
            if key.key_id == key_id:
                return KeyOut.of(key)
    raise NotFound(f"no key {key_id} for agency {agency_id}", what="key", id=key_id)
