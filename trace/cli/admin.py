"""Administration: agencies, keys and tokens (`agency`, `key`, `token`, `keygen`)."""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from trace.config import load_settings
from trace.domain.agency import AgencyKind
from trace.domain.contact import contact_of
from trace.domain.record import now_us, to_us
from trace.domain.scopes import Scope, ScopeNotAllowed
from trace.domain.statement import key_id, parse_time
from trace.store import agencies
from trace.store.custody import load_master_key, public_bytes
from trace.store.ledger import Ledger, open_ledger
from trace.store.migrate import migrate, require_current_schema
from trace.translation import both

T = TypeVar("T")


def with_ledger(work: Callable[[Ledger], Awaitable[T]]) -> T:
    """Run ``work`` against the configured ledger and close it afterwards.

    The embedded database is migrated first, as `serve` does; PostgreSQL must already be
    (a clear message says to run `migrate` otherwise).
    """
    settings = load_settings()
    if settings.is_embedded:
        load_master_key(settings.data_dir, settings.master_key_b64, create=True)
        migrate(settings.database_url)

    async def go() -> T:
        ledger = open_ledger(settings)
        try:
            await require_current_schema(ledger.engine)
            return await work(ledger)
        finally:
            await ledger.close()

    return asyncio.run(go())


def register(commands: Any) -> None:
    """Add the commands of this module."""
    agency = commands.add_parser("agency", help="đơn vị / agencies").add_subparsers(
        dest="action", required=True
    )
    p = agency.add_parser("add", help="tạo đơn vị / create an agency")
    p.add_argument("--name", required=True)
    p.add_argument("--kind", required=True, choices=[k.value for k in AgencyKind])
    p.add_argument("--household", action="store_true", help="hộ gia đình / a household")
    p.add_argument("--province")
    p.add_argument("--commune")
    p.add_argument("--person", default="admin")
    p.add_argument("--public-key", help="base64 Ed25519 public key: the agency keeps its own key")
    p.add_argument("--phone", help="điện thoại / phone: +84 912 345 678")
    p.add_argument("--address", help="địa chỉ / address")
    p.add_argument("--website", help="trang web / website: https://…")
    p.add_argument("--json", action="store_true")
    p.set_defaults(run=agency_add)
    p = agency.add_parser("list", help="liệt kê / list")
    p.add_argument("--json", action="store_true")
    p.set_defaults(run=agency_list)

    key = commands.add_parser("key", help="khoá ký / signing keys").add_subparsers(
        dest="action", required=True
    )
    for name, helptext in (("add", "thêm khoá / add a key"), ("rotate", "thay khoá / rotate")):
        p = key.add_parser(name, help=helptext)
        p.add_argument("agency")
        p.add_argument("--public-key", help="base64 Ed25519 public key (external key)")
        p.set_defaults(run=key_add, rotate=name == "rotate")
    p = key.add_parser("revoke", help="thu hồi khoá bị lộ / revoke a compromised key")
    p.add_argument("key_id")
    p.add_argument("--reason", required=True)
    p.add_argument("--from", dest="since", help="RFC 3339 time (default: now)")
    p.set_defaults(run=key_revoke)

    token = commands.add_parser("token", help="mã truy cập / access tokens").add_subparsers(
        dest="action", required=True
    )
    p = token.add_parser("add", help="tạo mã / create a token")
    p.add_argument("agency")
    p.add_argument("--person", required=True)
    p.add_argument(
        "--scopes",
        help="phạm vi, cách nhau bởi dấu phẩy / comma-separated scopes: "
        f"{', '.join(s.value for s in Scope)} (mặc định: mọi phạm vi của loại đơn vị / "
        "default: every scope of the agency's kind); an inspector's token: inspect,recall",
    )
    p.set_defaults(run=token_add)
    p = token.add_parser("revoke", help="thu hồi mã / revoke a token")
    p.add_argument("token_id")
    p.set_defaults(run=token_revoke)

    p = commands.add_parser("keygen", help="tạo khoá riêng tại chỗ / make a local key file")
    p.add_argument("--out", required=True, type=Path)
    p.set_defaults(run=keygen)


def _public_key(text: str | None) -> bytes | None:
    return base64.b64decode(text, validate=True) if text else None


def agency_add(args: argparse.Namespace) -> int:
    """Create an agency with a key and a first token, and print them."""
    contact = contact_of(args.phone, args.address, args.website)
    agency, kid, token = with_ledger(
        lambda ledger: agencies.create_agency(
            ledger,
            name=args.name,
            kind=AgencyKind(args.kind),
            household=args.household,
            province=args.province,
            commune=args.commune,
            person=args.person,
            external_public_key=_public_key(args.public_key),
            contact=contact,
        )
    )
    if args.json:
        print(json.dumps({"id": agency.id, "key_id": kid, "token": token, "kind": args.kind}))
    else:
        print(
            both(
                "Created agency {name} ({kind}). The access token is shown this once only:",
                name=agency.name,
                kind=agency.kind.value,
            )
        )
        print(f"id: {agency.id}\nkey_id: {kid}\ntoken: {token}")
    return 0


def agency_list(args: argparse.Namespace) -> int:
    """Print every agency."""
    rows = with_ledger(agencies.list_agencies)
    for a in rows:
        if args.json:
            print(
                json.dumps({"id": a.id, "name": a.name, "kind": a.kind.value}, ensure_ascii=False)
            )
        else:
            print(f"{a.id}  {a.kind.value:<12} {a.name}")
    return 0


def key_add(args: argparse.Namespace) -> int:
    """Add (or rotate to) a key and print its id."""
    public = _public_key(args.public_key)
    operation = agencies.rotate_key if args.rotate else agencies.add_key
    print(with_ledger(lambda ledger: operation(ledger, args.agency, public)))
    return 0


def key_revoke(args: argparse.Namespace) -> int:
    """Revoke a key as compromised from a time."""
    since = to_us(parse_time(args.since, field="from")) if args.since else now_us()
    with_ledger(
        lambda ledger: agencies.revoke_key(ledger, args.key_id, from_us=since, reason=args.reason)
    )
    return 0


def token_add(args: argparse.Namespace) -> int:
    """Create a token and print it (shown once)."""
    scopes = None
    if args.scopes:
        try:
            scopes = [Scope(name.strip()) for name in args.scopes.split(",") if name.strip()]
        except ValueError as exc:
            raise ScopeNotAllowed(str(exc), reason="unknown", scopes=args.scopes) from exc
    print(
        with_ledger(lambda ledger: agencies.create_token(ledger, args.agency, args.person, scopes))
    )
    return 0


def token_revoke(args: argparse.Namespace) -> int:
    """Revoke a token."""
    with_ledger(lambda ledger: agencies.revoke_token(ledger, args.token_id))
    return 0


def keygen(args: argparse.Namespace) -> int:
    """Write a new Ed25519 private key (base64, owner-only) and print its public key and id."""
    secret = Ed25519PrivateKey.generate()
    fd = os.open(args.out, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(base64.b64encode(secret.private_bytes_raw()).decode() + "\n")
    public = public_bytes(secret)
    print(json.dumps({"public_key": base64.b64encode(public).decode(), "key_id": key_id(public)}))
    return 0
