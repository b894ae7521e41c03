"""`sign`: make a client-signed statement with a local key file, ready for POST /api/v1/records."""

from __future__ import annotations

import argparse
import base64
import json
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from trace.domain.kinds import decode_body
from trace.domain.statement import (
    Statement,
    check_envelope,
    encode_statement,
    key_id,
    new_nonce,
    sign_statement,
)
from trace.domain.times import check_new_statement
from trace.domain.validation import check_content
from trace.store.custody import public_bytes


def register(commands: Any) -> None:
    """Add the command of this module."""
    p = commands.add_parser("sign", help="ký tuyên bố bằng khoá riêng / sign with a local key")
    p.add_argument("--key", required=True, type=Path, help="file from `keygen`")
    p.add_argument("--agency", required=True)
    p.add_argument("--batch", required=True, help="batch id (a new UUID to register a batch)")
    p.add_argument("--kind", required=True)
    p.add_argument("--occurred-at", required=True, help="RFC 3339 with offset")
    p.add_argument("--body", required=True, help="JSON text, or @FILE")
    p.add_argument("--expected-version", type=int)
    p.set_defaults(run=run_sign)


def load_key(path: Path) -> Ed25519PrivateKey:
    """A private key written by `keygen` (base64 of the raw 32 bytes)."""
    return Ed25519PrivateKey.from_private_bytes(base64.b64decode(path.read_text().strip()))


def run_sign(args: argparse.Namespace) -> int:
    """Print the JSON body for POST /api/v1/records: statement, signature, key id."""
    secret = load_key(args.key)
    raw = Path(args.body[1:]).read_text() if args.body.startswith("@") else args.body
    body = json.loads(raw)
    kid = key_id(public_bytes(secret))
    statement = Statement(
        v=1,
        batch=args.batch,
        kind=args.kind,
        occurred_at=args.occurred_at,
        agency=args.agency,
        key=kid,
        body=body,
        nonce=new_nonce(),
    )
    check_envelope(statement)
    decoded = decode_body(statement.kind, statement.body)
    check_new_statement(statement.occurred_at, decoded, now=datetime.now(UTC))
    check_content(statement.kind, decoded)
    data = encode_statement(statement)
    out: dict[str, Any] = {
        "statement": base64.b64encode(data).decode(),
        "signature": base64.b64encode(sign_statement(secret, data)).decode(),
        "key_id": kid,
    }
    if args.expected_version is not None:
        out["expected_version"] = args.expected_version
    json.dump(out, sys.stdout)
    sys.stdout.write("\n")
    return 0
