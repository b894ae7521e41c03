"""Signing in to the producer console: sessions by cookie, CSRF on writes, pairing codes,
device keys whose statements ``POST /api/v1/records`` accepts. Each device is a client of
its own, with its own cookie jar, as a phone's browser is."""

from __future__ import annotations

import base64
import dataclasses
import uuid
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from litestar import Litestar
from sqlalchemy import update

from tests.conftest import Cast, Member
from tests.integration.helpers import WHEN, registration, stored
from trace.api.app import create_app
from trace.config import Settings
from trace.domain.record import now_us
from trace.domain.statement import Statement, encode_statement, key_id, new_nonce, sign_statement
from trace.store.custody import public_bytes
from trace.store.database import write_transaction
from trace.store.ledger import Ledger
from trace.store.tables import console_pairings, console_sessions

COOKIE = "trace_session"


@dataclasses.dataclass
class Device:
    """A phone's browser: its own cookie jar, and the CSRF value its console keeps."""

    http: httpx.AsyncClient
    csrf: str = ""
    signed_in: dict[str, Any] = dataclasses.field(default_factory=dict)

    async def sign_in(self, token: str, device: str = "Điện thoại của Lan") -> httpx.Response:
        answer = await self.http.post(
            "/api/v1/console/session", json={"token": token, "device": device}
        )
        self._keep(answer)
        return answer

    async def pair(self, code: str, device: str = "Điện thoại của Minh") -> httpx.Response:
        answer = await self.http.post(
            "/api/v1/console/session/pair", json={"code": code, "device": device}
        )
        self._keep(answer)
        return answer

    def _keep(self, answer: httpx.Response) -> None:
        if answer.status_code == 201:
            self.signed_in = answer.json()
            self.csrf = self.signed_in["csrf"]

    async def get(self, url: str, **params: Any) -> httpx.Response:
        return await self.http.get(url, params=params)

    async def write(
        self, method: str, url: str, body: Any = None, *, csrf: str | None = None
    ) -> httpx.Response:
        """A write as the console sends it: with the session's CSRF value unless told."""
        sent = self.csrf if csrf is None else csrf
        headers = {"X-CSRF-Token": sent} if sent else {}
        return await self.http.request(method, url, json=body, headers=headers)


@pytest.fixture
def app(settings: Settings, ledger: Ledger) -> Litestar:
    return create_app(settings, ledger=ledger)


@pytest.fixture
async def devices(app: Litestar) -> AsyncIterator[Callable[[], Device]]:
    """Make devices on the same service; the public URL is https, so the cookie is Secure."""
    made: list[httpx.AsyncClient] = []

    def device() -> Device:
        http = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="https://testserver"
        )
        made.append(http)
        return Device(http)

    yield device
    for http in made:
        await http.aclose()


async def person_token(client: httpx.AsyncClient, admin: Member, person: str) -> str:
    """A token with the ``record`` scope only, for a person of ``admin``'s agency."""
    made = await client.post(
        f"/api/v1/agencies/{admin.id}/tokens",
        json={"person": person, "scopes": ["record"]},
        headers=admin.headers,
    )
    assert made.status_code == 201, made.text
    return str(made.json()["token"])


def set_cookie(answer: httpx.Response) -> str:
    headers = answer.headers.get_list("set-cookie")
    assert len(headers) == 1, headers
    return headers[0]


async def test_signing_in_sets_a_strict_http_only_secure_cookie_and_says_who_acts(
    devices: Callable[[], Device], cast: Cast
) -> None:
    phone = devices()
    answer = await phone.sign_in(cast.producer.token)
    assert answer.status_code == 201, answer.text
    cookie = set_cookie(answer)
    attributes = {part.strip().lower() for part in cookie.split(";")}
    assert cookie.startswith(f"{COOKIE}=")
    assert {"httponly", "samesite=strict", "path=/", "secure"} <= attributes
    assert f"max-age={30 * 24 * 3600}" in attributes
    body = answer.json()
    assert body["agency_id"] == cast.producer.id and body["agency_name"] == "HTX Bưởi Diễn"
    assert body["agency_kind"] == "producer" and body["person"] == "admin"
    assert body["scopes"] == ["admin", "record"] and body["device"] == "Điện thoại của Lan"
    assert len(body["csrf"]) == 64 and len(body["session_id"]) == 16
    assert body["expires_at"].endswith("Z")
    # The cookie's secret is stored only as its hash, and is not the public id.
    secret = cookie.split(";")[0].removeprefix(f"{COOKIE}=")
    assert body["session_id"] not in secret and secret not in answer.text

    # A reloaded console reads the same session and CSRF value back, and the cookie again.
    again = await phone.get("/api/v1/console/session")
    assert again.status_code == 200 and again.json()["csrf"] == body["csrf"]
    assert again.json()["session_id"] == body["session_id"]
    assert set_cookie(again).startswith(f"{COOKIE}={secret};")


async def test_the_cookie_is_not_secure_when_the_public_url_is_http(
    settings: Settings, ledger: Ledger, cast: Cast
) -> None:
    plain = create_app(dataclasses.replace(settings, public_url="http://127.0.0.1:8000"), ledger)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=plain), base_url="http://testserver"
    ) as http:
        answer = await Device(http).sign_in(cast.producer.token)
    assert answer.status_code == 201, answer.text
    attributes = {part.strip().lower() for part in set_cookie(answer).split(";")}
    assert {"httponly", "samesite=strict"} <= attributes and "secure" not in attributes


async def test_an_unknown_or_revoked_token_cannot_sign_in(
    client: httpx.AsyncClient, devices: Callable[[], Device], cast: Cast
) -> None:
    lan = await person_token(client, cast.producer, "Lan")
    tokens = (
        await client.get(
            f"/api/v1/agencies/{cast.producer.id}/tokens", headers=cast.producer.headers
        )
    ).json()
    lans = next(t["id"] for t in tokens if t["person"] == "Lan")
    revoked = await client.post(
        f"/api/v1/agencies/{cast.producer.id}/tokens/{lans}/revoke", headers=cast.producer.headers
    )
    assert revoked.status_code == 200
    for token in (lan, "trc_forged", "not-a-token"):
        answer = await devices().sign_in(token)
        assert answer.status_code == 401 and answer.json()["code"] == "unauthenticated"
        assert "set-cookie" not in answer.headers


async def test_a_write_with_the_cookie_needs_the_sessions_csrf_value(
    devices: Callable[[], Device], ledger: Ledger, cast: Cast
) -> None:
    phone = devices()
    await phone.sign_in(cast.producer.token)
    batch = {"occurred_at": WHEN, "body": registration(lot="CSRF-1")}
    before = await stored(ledger)
    for csrf, reason in (("", "missing"), ("0" * 64, "mismatch"), (phone.csrf[:-1], "mismatch")):
        refused = await phone.write("POST", "/api/v1/batches", batch, csrf=csrf)
        assert refused.status_code == 403, refused.text
        problem = refused.json()
        assert problem["code"] == "csrf_missing" and problem["reason"] == reason
        assert "tải lại" in problem["detail"]  # the words tell the person what to do
    assert await stored(ledger) == before

    accepted = await phone.write("POST", "/api/v1/batches", batch)
    assert accepted.status_code == 201, accepted.text
    assert accepted.json()["record"]["statement"]
    assert await stored(ledger) == (before[0] + 1, before[1] + 1)


async def test_reads_with_the_cookie_need_no_csrf_and_bearer_tokens_work_as_before(
    client: httpx.AsyncClient, devices: Callable[[], Device], cast: Cast
) -> None:
    phone = devices()
    await phone.sign_in(cast.producer.token)
    read = await phone.get(f"/api/v1/agencies/{cast.producer.id}")
    assert read.status_code == 200 and read.json()["agency"]["id"] == cast.producer.id
    # A program's bearer token needs no CSRF value, with or without a console cookie beside it.
    body = {"occurred_at": WHEN, "body": registration(lot="BEARER-1")}
    program = await client.post("/api/v1/batches", json=body, headers=cast.producer.headers)
    assert program.status_code == 201, program.text
    beside = await phone.http.post(
        "/api/v1/batches",
        json={"occurred_at": WHEN, "body": registration(lot="BEARER-2")},
        headers=cast.other_producer.headers,
    )
    assert beside.status_code == 201, beside.text
    assert beside.json()["batch"]["producer_id"] == cast.other_producer.id


async def test_an_expired_session_is_refused(
    devices: Callable[[], Device], ledger: Ledger, cast: Cast
) -> None:
    phone = devices()
    await phone.sign_in(cast.producer.token)
    async with write_transaction(ledger.engine) as conn:
        await conn.execute(update(console_sessions).values(expires_at_us=now_us() - 1))
    for answer in (
        await phone.get("/api/v1/console/session"),
        await phone.get(f"/api/v1/agencies/{cast.producer.id}"),
        await phone.write("POST", "/api/v1/batches", {"occurred_at": WHEN, "body": registration()}),
    ):
        assert answer.status_code == 401, answer.text
        assert answer.json()["code"] == "unauthenticated" and answer.json()["reason"] == "session"


async def test_a_session_is_ended_from_another_device_and_signing_out_ends_ones_own(
    client: httpx.AsyncClient, devices: Callable[[], Device], cast: Cast
) -> None:
    lan = await person_token(client, cast.producer, "Lan")
    office, lans_phone, lans_tablet = devices(), devices(), devices()
    await office.sign_in(cast.producer.token, "Máy văn phòng")
    await lans_phone.sign_in(lan, "Điện thoại của Lan")
    await lans_tablet.sign_in(lan, "Máy tính bảng của Lan")
    other = devices()
    await other.sign_in(cast.other_producer.token, "Máy HTX khác")

    # The admin sees every session of the agency; Lan sees her own token's.
    seen = (await office.get("/api/v1/console/sessions")).json()
    assert {s["device"] for s in seen} == {
        "Máy văn phòng",
        "Điện thoại của Lan",
        "Máy tính bảng của Lan",
    }
    assert [s["device"] for s in seen if s["current"]] == ["Máy văn phòng"]
    assert {s["person"] for s in seen if not s["own"]} == {"Lan"}
    hers = (await lans_phone.get("/api/v1/console/sessions")).json()
    assert {s["device"] for s in hers} == {"Điện thoại của Lan", "Máy tính bảng của Lan"}
    assert all(s["own"] for s in hers)

    # Lan cannot end the office's session, nor anyone another agency's.
    office_id = office.signed_in["session_id"]
    assert (
        await lans_phone.write("DELETE", f"/api/v1/console/sessions/{office_id}")
    ).status_code == 404
    assert (await other.write("DELETE", f"/api/v1/console/sessions/{office_id}")).status_code == 404
    # Without the CSRF value, no session is ended.
    tablet_id = lans_tablet.signed_in["session_id"]
    no_csrf = await lans_phone.write("DELETE", f"/api/v1/console/sessions/{tablet_id}", csrf="")
    assert no_csrf.status_code == 403
    assert (await lans_tablet.get("/api/v1/console/session")).status_code == 200

    # Lan ends her tablet's session from her phone; the admin ends her phone's.
    ended = await lans_phone.write("DELETE", f"/api/v1/console/sessions/{tablet_id}")
    assert ended.status_code == 204, ended.text
    assert (await lans_tablet.get("/api/v1/console/session")).status_code == 401
    phone_id = lans_phone.signed_in["session_id"]
    ended = await office.write("DELETE", f"/api/v1/console/sessions/{phone_id}")
    assert ended.status_code == 204, ended.text
    refused = await lans_phone.write(
        "POST", "/api/v1/batches", {"occurred_at": WHEN, "body": registration(lot="ENDED-1")}
    )
    assert refused.status_code == 401 and refused.json()["reason"] == "session"
    assert [s["device"] for s in (await office.get("/api/v1/console/sessions")).json()] == [
        "Máy văn phòng"
    ]

    # Signing out ends the office's own session and clears its cookie.
    out = await office.write("DELETE", "/api/v1/console/session")
    assert out.status_code == 204 and set_cookie(out).startswith(f'{COOKIE}="";')
    assert (await office.get("/api/v1/console/session")).status_code == 401


async def test_revoking_a_token_ends_the_power_of_its_sessions_at_once(
    client: httpx.AsyncClient, devices: Callable[[], Device], cast: Cast
) -> None:
    lan = await person_token(client, cast.producer, "Lan")
    phone = devices()
    await phone.sign_in(lan)
    assert (await phone.get("/api/v1/console/session")).status_code == 200
    tokens = await client.get(
        f"/api/v1/agencies/{cast.producer.id}/tokens", headers=cast.producer.headers
    )
    lans = next(t["id"] for t in tokens.json() if t["person"] == "Lan")
    revoked = await client.post(
        f"/api/v1/agencies/{cast.producer.id}/tokens/{lans}/revoke", headers=cast.producer.headers
    )
    assert revoked.status_code == 200
    assert (await phone.get("/api/v1/console/session")).status_code == 401
    refused = await phone.write(
        "POST", "/api/v1/batches", {"occurred_at": WHEN, "body": registration(lot="REVOKED-1")}
    )
    assert refused.status_code == 401 and refused.json()["reason"] == "session"


async def test_a_pairing_code_signs_in_once_as_the_token_it_was_made_for(
    client: httpx.AsyncClient, devices: Callable[[], Device], cast: Cast
) -> None:
    await person_token(client, cast.producer, "Minh")
    tokens = await client.get(
        f"/api/v1/agencies/{cast.producer.id}/tokens", headers=cast.producer.headers
    )
    minhs = next(t["id"] for t in tokens.json() if t["person"] == "Minh")
    office = devices()
    await office.sign_in(cast.producer.token, "Máy văn phòng")
    made = await office.write("POST", "/api/v1/console/pairings", {"token_id": minhs})
    assert made.status_code == 201, made.text
    pairing = made.json()
    code = pairing["code"]
    assert len(code) == 32 and set(code) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")
    assert pairing["url"] == f"https://trace.example.vn/console/#pair={code}"
    assert pairing["token_id"] == minhs and pairing["expires_at"].endswith("Z")
    assert pairing["qr_svg"].startswith("<svg") and "<path" in pairing["qr_svg"]

    minhs_phone = devices()
    paired = await minhs_phone.pair(code.lower())  # as a person may type it
    assert paired.status_code == 201, paired.text
    assert paired.json()["person"] == "Minh" and paired.json()["scopes"] == ["record"]
    assert set_cookie(paired).startswith(f"{COOKIE}=")
    assert (await minhs_phone.get("/api/v1/console/session")).json()["person"] == "Minh"

    again = await devices().pair(code)
    assert again.status_code == 401
    assert again.json()["code"] == "unauthenticated" and again.json()["reason"] == "pairing_code"


async def test_a_pairing_code_older_than_ten_minutes_is_refused(
    client: httpx.AsyncClient, devices: Callable[[], Device], ledger: Ledger, cast: Cast
) -> None:
    made = await client.post("/api/v1/console/pairings", json={}, headers=cast.producer.headers)
    assert made.status_code == 201, made.text
    async with write_transaction(ledger.engine) as conn:
        await conn.execute(update(console_pairings).values(expires_at_us=now_us() - 1))
    late = await devices().pair(made.json()["code"])
    assert late.status_code == 401 and late.json()["reason"] == "pairing_code"


async def test_only_an_admin_makes_a_pairing_code_for_another_persons_token(
    client: httpx.AsyncClient, devices: Callable[[], Device], cast: Cast
) -> None:
    lan = await person_token(client, cast.producer, "Lan")
    tokens = await client.get(
        f"/api/v1/agencies/{cast.producer.id}/tokens", headers=cast.producer.headers
    )
    admins = next(t["id"] for t in tokens.json() if t["person"] == "admin")
    phone = devices()
    await phone.sign_in(lan)
    refused = await phone.write("POST", "/api/v1/console/pairings", {"token_id": admins})
    assert refused.status_code == 403 and refused.json()["rule"] == "scope_admin"
    own = await phone.write("POST", "/api/v1/console/pairings", {})
    assert own.status_code == 201, own.text
    # Another agency's token is nobody's to pair, even for an admin.
    others = await client.post(
        "/api/v1/console/pairings", json={"token_id": admins}, headers=cast.other_producer.headers
    )
    assert others.status_code == 404 and others.json()["what"] == "token"


def signed(secret: Ed25519PrivateKey, agency: str, lot: str) -> dict[str, str]:
    """A ``registered`` statement of a new batch, signed on the device: the /records body."""
    kid = key_id(public_bytes(secret))
    statement = Statement(
        v=1,
        batch=str(uuid.uuid4()),
        kind="registered",
        occurred_at=WHEN,
        agency=agency,
        key=kid,
        body=registration(lot=lot),
        nonce=new_nonce(),
    )
    data = encode_statement(statement)
    return {
        "statement": base64.b64encode(data).decode(),
        "signature": base64.b64encode(sign_statement(secret, data)).decode(),
        "key_id": kid,
    }


async def test_a_device_key_signs_records_until_an_admin_revokes_it(
    client: httpx.AsyncClient, devices: Callable[[], Device], ledger: Ledger, cast: Cast
) -> None:
    lan = await person_token(client, cast.producer, "Lan")
    phone, office = devices(), devices()
    await phone.sign_in(lan)
    await office.sign_in(cast.producer.token, "Máy văn phòng")
    secret = Ed25519PrivateKey.generate()
    public = base64.b64encode(public_bytes(secret)).decode()
    key = {"public_key": public, "device_name": "Điện thoại của Lan"}

    made = await phone.write("POST", "/api/v1/console/device-keys", key)
    assert made.status_code == 201, made.text
    device_key = made.json()
    assert device_key["key_id"] == key_id(public_bytes(secret))
    assert device_key["device_name"] == "Điện thoại của Lan" and device_key["person"] == "Lan"
    assert device_key["created_at"] and device_key["revoked_at"] is None
    again = await phone.write("POST", "/api/v1/console/device-keys", key)
    assert again.status_code == 200 and again.json() == device_key
    agency = (await office.get(f"/api/v1/agencies/{cast.producer.id}")).json()
    names = {k["key_id"]: k["device_name"] for k in agency["keys"]}
    assert names == {cast.producer.key_id: None, device_key["key_id"]: "Điện thoại của Lan"}
    assert (await office.get("/api/v1/console/device-keys")).json() == [device_key]

    # A statement signed on the phone is accepted with the cookie and the CSRF value only.
    body = signed(secret, cast.producer.id, "PHONE-1")
    before = await stored(ledger)
    refused = await phone.write("POST", "/api/v1/records", body, csrf="")
    assert refused.status_code == 403 and await stored(ledger) == before
    accepted = await phone.write("POST", "/api/v1/records", body)
    assert accepted.status_code == 201, accepted.text
    assert accepted.json()["record"]["key_id"] == device_key["key_id"]

    # The phone is lost: the admin revokes its key from the office's session.
    revoked = await office.write(
        "POST",
        f"/api/v1/agencies/{cast.producer.id}/keys/{device_key['key_id']}/revoke",
        {"reason": "điện thoại bị mất"},
    )
    assert revoked.status_code == 200, revoked.text
    assert revoked.json()["revoked_at"] and revoked.json()["device_name"] == "Điện thoại của Lan"
    listed = (await office.get("/api/v1/console/device-keys")).json()
    assert listed[0]["revocation_reason"] == "điện thoại bị mất" and listed[0]["revoked_at"]
    before = await stored(ledger)
    late = await phone.write("POST", "/api/v1/records", signed(secret, cast.producer.id, "PHONE-2"))
    assert late.status_code == 422, late.text
    assert late.json()["code"] == "key_not_usable" and late.json()["reason"] == "revoked"
    assert await stored(ledger) == before


async def test_a_device_key_is_registered_only_through_a_session_with_its_csrf_value(
    client: httpx.AsyncClient, devices: Callable[[], Device], cast: Cast
) -> None:
    public = base64.b64encode(public_bytes(Ed25519PrivateKey.generate())).decode()
    key = {"public_key": public, "device_name": "Điện thoại"}
    bearer = await client.post(
        "/api/v1/console/device-keys", json=key, headers=cast.producer.headers
    )
    assert bearer.status_code == 401
    phone = devices()
    await phone.sign_in(cast.producer.token)
    assert (
        await phone.write("POST", "/api/v1/console/device-keys", key, csrf="")
    ).status_code == 403
    assert (await phone.get("/api/v1/console/device-keys")).json() == []
    # A key has one agency: another agency's console cannot take it over.
    assert (await phone.write("POST", "/api/v1/console/device-keys", key)).status_code == 201
    other = devices()
    await other.sign_in(cast.other_producer.token)
    taken = await other.write("POST", "/api/v1/console/device-keys", key)
    assert taken.status_code == 409 and taken.json()["code"] == "key_registered"
    assert (await other.get("/api/v1/console/device-keys")).json() == []
    # What is not an Ed25519 public key is refused.
    short = {"public_key": base64.b64encode(b"short").decode(), "device_name": "x"}
    malformed = await phone.write("POST", "/api/v1/console/device-keys", short)
    assert malformed.status_code == 422 and malformed.json()["reason"] == "malformed"


async def test_labels_download_with_the_cookie_only(
    devices: Callable[[], Device], cast: Cast
) -> None:
    phone = devices()
    await phone.sign_in(cast.producer.token)
    made = await phone.write(
        "POST", "/api/v1/batches", {"occurred_at": WHEN, "body": registration(lot="LABEL-1")}
    )
    assert made.status_code == 201, made.text
    batch = made.json()["batch"]["id"]
    labels = await phone.get(f"/api/v1/batches/{batch}/labels", format="svg")
    assert labels.status_code == 200, labels.text
    assert labels.headers["content-type"].startswith("image/svg+xml")
    assert labels.content.lstrip().startswith(b"<")


async def test_a_session_used_again_after_a_minute_lasts_thirty_days_from_then(
    devices: Callable[[], Device], ledger: Ledger, cast: Cast
) -> None:
    phone = devices()
    await phone.sign_in(cast.producer.token)
    long_ago = now_us() - 10 * 24 * 3600 * 1_000_000
    async with write_transaction(ledger.engine) as conn:
        await conn.execute(
            update(console_sessions).values(
                last_used_at_us=long_ago, expires_at_us=long_ago + 30 * 24 * 3600 * 1_000_000
            )
        )
    used = await phone.get("/api/v1/console/session")
    assert used.status_code == 200
    listed = (await phone.get("/api/v1/console/sessions")).json()
    assert datetime.fromisoformat(listed[0]["last_used_at"]) > datetime.now(UTC) - timedelta(
        minutes=1
    )
    assert datetime.fromisoformat(used.json()["expires_at"]) > datetime.now(UTC) + timedelta(
        days=29
    )


async def test_the_consoles_contact_screen_saves_with_an_admins_session_and_its_csrf_value(
    devices: Callable[[], Device], client: httpx.AsyncClient, cast: Cast
) -> None:
    path = f"/api/v1/agencies/{cast.producer.id}/contact"
    contact = {"phone": "0912 345 678", "website": "https://htx.example"}
    admin, worker = devices(), devices()
    await admin.sign_in(cast.producer.token)
    await worker.sign_in(await person_token(client, cast.producer, "Người ghi"))
    missing = await admin.write("PUT", path, contact, csrf="")
    assert missing.status_code == 403 and missing.json()["code"] == "csrf_missing"
    no_admin = await worker.write("PUT", path, contact)
    assert no_admin.status_code == 403 and no_admin.json()["rule"] == "scope_admin"
    saved = await admin.write("PUT", path, contact)
    assert saved.status_code == 200, saved.text
    shown = (await worker.get(f"/api/v1/agencies/{cast.producer.id}")).json()["agency"]
    assert (shown["phone"], shown["address"], shown["website"]) == (
        "0912 345 678",
        None,
        "https://htx.example",
    )
