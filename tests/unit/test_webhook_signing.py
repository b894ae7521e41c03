"""Webhook signatures as docs/webhooks.md tells receivers to check them; addresses; backoff."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from trace.config import Settings
from trace.notify.delivery import MAX_DELAY_SECONDS, next_delay_seconds
from trace.notify.registry import InvalidWebhook, check_url
from trace.notify.signing import headers, new_secret, shown_secret

DOC = Path(__file__).resolve().parents[2] / "docs" / "webhooks.md"
Verifier = Callable[[str, dict[str, str], bytes], bool]


@pytest.fixture(scope="module")
def verified() -> Verifier:
    """The receiver's check, run as the documentation prints it."""
    [code] = re.findall(r"```python\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S)
    scope: dict[str, object] = {}
    exec(compile(code, str(DOC), "exec"), scope)
    return scope["verified"]  # type: ignore[return-value]


def test_the_documented_check_accepts_a_delivery_and_refuses_changes_and_replays(
    verified: Verifier,
) -> None:
    secret = new_secret()
    body = b'{"type":"recall","recall":{"id":7}}'
    now = int(time.time())
    sent = headers(secret, "5f0c2a8e-3d1b-4c7e-9a43-0b6f7f0d2e11", now, body)
    assert verified(shown_secret(secret), sent, body)
    assert not verified(shown_secret(secret), sent, body.replace(b"7", b"8"))
    assert not verified(shown_secret(new_secret()), sent, body)
    other_id = {**sent, "Webhook-Id": "another"}
    assert not verified(shown_secret(secret), other_id, body)
    old = headers(secret, sent["Webhook-Id"], now - 3600, body)
    assert not verified(shown_secret(secret), old, body)


def test_only_https_addresses_unless_loopback_is_allowed() -> None:
    assert check_url("https://kho.example.vn/hook", allow_loopback=False)
    assert check_url("http://127.0.0.1:9/hook", allow_loopback=True)
    for refused in (
        "http://127.0.0.1:9/hook",
        "http://kho.example.vn/hook",
        "https:///hook",
        "ftp://kho.example.vn",
        "https://kho example.vn",
        "https://[::1/hook",
        "https://kho.example.vn:port/",
    ):
        with pytest.raises(InvalidWebhook):
            check_url(refused, allow_loopback=False)
    with pytest.raises(InvalidWebhook):
        check_url("http://10.0.0.5/hook", allow_loopback=True)


def test_retries_double_up_to_an_hour() -> None:
    settings = Settings("sqlite://", Path(), "https://x", None, 1, webhook_retry_seconds=10)
    delays = [next_delay_seconds(settings, n) for n in range(1, 12)]
    assert delays[:4] == [10, 20, 40, 80]
    assert max(delays) == MAX_DELAY_SECONDS == delays[-1]
