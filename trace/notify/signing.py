"""Signing a webhook delivery the Standard Webhooks way.

Each delivery carries ``Webhook-Id`` (the same on every attempt: the receiver drops
repeats by it), ``Webhook-Timestamp`` (Unix seconds: the receiver refuses old ones, so a
captured request cannot be replayed later) and ``Webhook-Signature``: ``v1,`` and the
base64 of HMAC-SHA256 over ``{id}.{timestamp}.{body}`` with the webhook's secret. The
secret is shown once as ``whsec_`` and the base64 of its 32 random bytes.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

SECRET_PREFIX = "whsec_"  # noqa: S105 (the prefix, not a secret)
SECRET_BYTES = 32


def new_secret() -> bytes:
    """A fresh signing secret."""
    return secrets.token_bytes(SECRET_BYTES)


def shown_secret(secret: bytes) -> str:
    """The secret as the agency is shown it (once) and keeps it."""
    return SECRET_PREFIX + base64.b64encode(secret).decode()


def signature(secret: bytes, delivery_id: str, timestamp: int, body: bytes) -> str:
    """The ``Webhook-Signature`` header's value for one delivery."""
    signed = f"{delivery_id}.{timestamp}.".encode() + body
    digest = hmac.new(secret, signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def headers(secret: bytes, delivery_id: str, timestamp: int, body: bytes) -> dict[str, str]:
    """Every header of one delivery attempt."""
    return {
        "Content-Type": "application/json",
        "Webhook-Id": delivery_id,
        "Webhook-Timestamp": str(timestamp),
        "Webhook-Signature": signature(secret, delivery_id, timestamp, body),
    }
