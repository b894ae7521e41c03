"""`/api/v1/console`: signing in to the producer console, its sessions and pairing codes.

A person signs in once with their access token (or a pairing code an administrator shows
as a QR code); the browser then holds the ``trace_session`` cookie, which every API route
accepts in place of the token (trace/api/auth.py). The cookie is HttpOnly (no script reads
it), SameSite=Strict (no other site's page sends it) and Secure when the service is served
over HTTPS.
"""

from __future__ import annotations

from typing import Any

import qrcode
import qrcode.image.svg
from litestar import Controller, Request, Response, delete, get, post
from litestar.datastructures import Cookie
from litestar.di import Provide

from trace.api.auth import (
    SESSION_COOKIE,
    ActorDep,
    LedgerDep,
    SessionDep,
    provide_actor,
    provide_session,
)
from trace.api.console_schemas import (
    PairIn,
    PairingIn,
    PairingOut,
    SessionListed,
    SessionOut,
    SignInIn,
)
from trace.api.problems import ANY, BODY, TOKEN, problem_answers
from trace.config import Settings
from trace.domain.scopes import Scope
from trace.store import sessions as store
from trace.store.agencies import Actor, authenticate, require_scope
from trace.store.sessions import SESSION_LIFETIME_US, Session

# Browsers keep the cookie as long as the session can last; each GET of the session
# (the console's start) sets it again, so the cookie slides with the session.
COOKIE_MAX_AGE = SESSION_LIFETIME_US // 1_000_000


class ConsoleSessionController(Controller):
    """Sign in, see and end console sessions, and make pairing codes."""

    path = "/api/v1/console"
    tags = ["console"]

    @post("/session", status_code=201, responses=problem_answers(*ANY, *BODY, 401))
    async def sign_in(
        self, ledger: LedgerDep, request: Request[Any, Any, Any], data: SignInIn
    ) -> Response[SessionOut]:
        """Sign in to the console with an access token.

        Public: the token in the body is the credential (401 if unknown or revoked). The
        answer sets the `trace_session` cookie and holds `csrf`, which every write made
        with the cookie sends in the `X-CSRF-Token` header. The session lasts 30 days from
        its last use.
        """
        actor = await authenticate(ledger, data.token.strip())
        secret, session = await store.sign_in(ledger, actor, data.device.strip())
        return _signed_in(request, session, secret, status_code=201)

    @post("/session/pair", status_code=201, responses=problem_answers(*ANY, *BODY, 401))
    async def pair(
        self, ledger: LedgerDep, request: Request[Any, Any, Any], data: PairIn
    ) -> Response[SessionOut]:
        """Sign in to the console with a pairing code.

        Public: the code is the credential. It works once, within 10 minutes of being
        made, and signs in as the token it was made for (401 otherwise). The answer is as
        for signing in with a token.
        """
        secret, session = await store.sign_in_by_pairing(ledger, data.code, data.device.strip())
        return _signed_in(request, session, secret, status_code=201)

    @get(
        "/session",
        dependencies={"session": Provide(provide_session)},
        responses=problem_answers(*ANY, 401),
    )
    async def current(
        self, request: Request[Any, Any, Any], session: SessionDep
    ) -> Response[SessionOut]:
        """Read this browser's console session.

        The `trace_session` cookie only (401 without an open session). A console that is
        reloaded reads its `csrf` here; the cookie is set again for another 30 days.
        """
        return _signed_in(request, session, request.cookies[SESSION_COOKIE], status_code=200)

    @delete(
        "/session",
        dependencies={"session": Provide(provide_session)},
        responses=problem_answers(*ANY, *TOKEN),
    )
    async def sign_out(self, ledger: LedgerDep, session: SessionDep) -> Response[None]:
        """Sign out: end this browser's console session.

        The `trace_session` cookie with `X-CSRF-Token`. The session ends on every worker
        at once and the cookie is cleared.
        """
        await store.end_session(ledger, session.id)
        return _signed_out()

    @get(
        "/sessions",
        dependencies={"actor": Provide(provide_actor)},
        responses=problem_answers(*ANY, *TOKEN),
    )
    async def sessions(
        self, ledger: LedgerDep, request: Request[Any, Any, Any], actor: ActorDep
    ) -> list[SessionListed]:
        """List the agency's open console sessions.

        A token or console session of the agency. With the `admin` scope, every open
        session of the agency; otherwise those of the caller's own token. `current` marks
        the session the request came with.
        """
        listed = await store.list_sessions(ledger, actor.agency_id, _whose(actor))
        current = _session_of(request)
        here = None if current is None else current.public_id
        return [SessionListed.of(s, current=here, token_id=actor.token_id) for s in listed]

    @delete(
        "/sessions/{session_id:str}",
        dependencies={"actor": Provide(provide_actor)},
        responses=problem_answers(*ANY, *TOKEN, 404),
    )
    async def end(
        self,
        ledger: LedgerDep,
        request: Request[Any, Any, Any],
        actor: ActorDep,
        session_id: str,
    ) -> Response[None]:
        """End a console session, from this device or another.

        A token or console session of the agency. With the `admin` scope, any open session
        of the agency; otherwise one of the caller's own token (404 for any other). The
        session's next request is refused (401).
        """
        await store.end_listed_session(ledger, session_id, actor.agency_id, _whose(actor))
        current = _session_of(request)
        if current is not None and current.public_id == session_id:
            return _signed_out()
        return Response(None, status_code=204)

    @post(
        "/pairings",
        status_code=201,
        dependencies={"actor": Provide(provide_actor)},
        responses=problem_answers(*ANY, *TOKEN, *BODY, 404),
    )
    async def make_pairing(
        self,
        ledger: LedgerDep,
        request: Request[Any, Any, Any],
        actor: ActorDep,
        data: PairingIn,
    ) -> PairingOut:
        """Make a pairing code that signs a person in to the console on another device.

        A token or console session of the agency: for the caller's own token, or, with the
        `admin` scope, for any of the agency's tokens (`token_id`). The code works once,
        within 10 minutes; `url` opens the console with it and `qr_svg` draws `url` as a QR
        code.
        """
        token_id = data.token_id or actor.token_id
        if token_id is None or token_id != actor.token_id:
            require_scope(actor, Scope.ADMIN)
        assert token_id is not None  # an actor of a request always has its token
        pairing = await store.create_pairing(ledger, actor.agency_id, token_id)
        settings: Settings = request.app.state.settings
        url = f"{settings.public_url}/console/#pair={pairing.code}"
        return PairingOut.of(pairing, url, qr_svg(url))


def qr_svg(text: str) -> str:
    """``text`` as a QR code in SVG, one path, with the standard four-module quiet zone."""
    image = qrcode.make(text, image_factory=qrcode.image.svg.SvgPathImage, border=4)
    svg = image.to_string(encoding="unicode")
    assert isinstance(svg, str)
    return svg


def _whose(actor: Actor) -> str | None:
    """Whose sessions the actor manages: the agency's (None) with ``admin``, else its token's."""
    return None if Scope.ADMIN in actor.scopes else actor.token_id


def _session_of(request: Request[Any, Any, Any]) -> Session | None:
    """The console session the request was authenticated by, if it was."""
    found = request.state.get("console_session")
    return found if isinstance(found, Session) else None


def _signed_in(
    request: Request[Any, Any, Any], session: Session, secret: str, *, status_code: int
) -> Response[SessionOut]:
    settings: Settings = request.app.state.settings
    cookie = Cookie(
        key=SESSION_COOKIE,
        value=secret,
        max_age=COOKIE_MAX_AGE,
        path="/",
        httponly=True,
        samesite="strict",
        secure=settings.public_url.lower().startswith("https://"),
    )
    return Response(
        SessionOut.of(session),
        status_code=status_code,
        cookies=[cookie],
        headers={"Cache-Control": "no-store"},
    )


def _signed_out() -> Response[None]:
    answer: Response[None] = Response(None, status_code=204)
    answer.delete_cookie(SESSION_COOKIE, path="/")
    return answer
