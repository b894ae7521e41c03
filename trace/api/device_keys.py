"""`/api/v1/console/device-keys`: signing keys made on people's phones by the console.

The console makes an Ed25519 key pair on the phone and keeps the private half there; the
ledger registers the public half as an external key of the agency, named after the device
and bound to the person's token. Statements the phone signs go to ``POST /api/v1/records``
like any client-signed statement. A lost phone's key is revoked by the agency's
administrator with ``POST /api/v1/agencies/{agency_id}/keys/{key_id}/revoke``.
"""

from __future__ import annotations

from litestar import Controller, Response, get, post
from litestar.di import Provide

from trace.api.agencies import decode_b64
from trace.api.auth import ActorDep, LedgerDep, SessionDep, provide_actor, provide_session
from trace.api.console_schemas import DeviceKeyIn, DeviceKeyOut
from trace.api.problems import ANY, BODY, TOKEN, problem_answers
from trace.domain.scopes import Scope
from trace.store import agencies as store
from trace.store.agencies import require_scope
from trace.store.database import read_transaction
from trace.store.ledger import Ledger


class DeviceKeyController(Controller):
    """Register and list the agency's device keys."""

    path = "/api/v1/console/device-keys"
    tags = ["console"]

    @post(
        "/",
        dependencies={"session": Provide(provide_session)},
        responses=problem_answers(*ANY, *TOKEN, *BODY, 409, 422),
    )
    async def register(
        self, ledger: LedgerDep, session: SessionDep, data: DeviceKeyIn
    ) -> Response[DeviceKeyOut]:
        """Register the public key of a key pair made on this device.

        A console session (`trace_session` cookie with `X-CSRF-Token`) whose token has the
        `record` scope. The key becomes an external key of the session's agency, named
        `device_name` and bound to the session's token: 201. The same public key sent again
        answers the key already registered: 200. Another agency's key is refused (409).
        """
        actor = session.actor
        require_scope(actor, Scope.RECORD)
        public = decode_b64(data.public_key, field="public_key")
        key, new = await store.add_device_key(ledger, actor, public, data.device_name.strip())
        person = (await _people(ledger, actor.agency_id)).get(key.token_id or "")
        return Response(DeviceKeyOut.of(key, person), status_code=201 if new else 200)

    @get(
        "/", dependencies={"actor": Provide(provide_actor)}, responses=problem_answers(*ANY, *TOKEN)
    )
    async def keys(self, ledger: LedgerDep, actor: ActorDep) -> list[DeviceKeyOut]:
        """List the agency's device keys, oldest first.

        A token or console session of the agency. Each key with its device's name, the
        person whose token registered it, when, and whether (and why) it was revoked.
        """
        return await _views(ledger, actor.agency_id)


async def _people(ledger: Ledger, agency_id: str) -> dict[str, str]:
    """The person of each of the agency's tokens, by token id."""
    return {t.id: t.person for t in await store.list_tokens(ledger, agency_id)}


async def _views(ledger: Ledger, agency_id: str) -> list[DeviceKeyOut]:
    people = await _people(ledger, agency_id)
    async with read_transaction(ledger.engine) as conn:
        keys = await store.list_keys(conn, agency_id)
    return [
        DeviceKeyOut.of(key, people.get(key.token_id or ""))
        for key in keys
        if key.device_name is not None
    ]
