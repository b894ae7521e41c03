"""A webhook receiver for the tests: a real HTTP server on loopback, in a thread.

It keeps every request it is sent, answers 204, and checks nothing itself: the tests
check the signatures with the secret they were shown, as a holder's receiver would.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Arrival:
    """One request the receiver got: its headers and body, and when."""

    headers: dict[str, str]
    body: bytes
    at: float


@dataclass
class Receiver:
    """Where the requests go, and what arrived."""

    url: str
    arrivals: list[Arrival] = field(default_factory=list)

    def wait(self, count: int, within: float) -> list[Arrival]:
        """The arrivals once there are ``count`` of them; fail after ``timeout`` seconds."""
        deadline = time.monotonic() + within
        while len(self.arrivals) < count and time.monotonic() < deadline:
            time.sleep(0.02)
        assert len(self.arrivals) >= count, f"{len(self.arrivals)} of {count} arrived"
        return list(self.arrivals)

    async def arrived(self, count: int, within: float) -> list[Arrival]:
        """:meth:`wait` off the event loop, for a test whose loop runs the delivery."""
        return await asyncio.to_thread(self.wait, count, within)


def free_port() -> int:
    """A loopback port nobody listens on now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class _Server(ThreadingHTTPServer):
    # The service sends up to 20 notices at once: a backlog of socketserver's default 5
    # would drop connections, and TCP would retry them only a second or more later.
    request_queue_size = 128


@contextmanager
def receiving(port: int = 0, *, arrivals: list[Arrival] | None = None) -> Iterator[Receiver]:
    """A receiver listening on ``port`` (any free one by default) until the block ends."""
    kept: list[Arrival] = [] if arrivals is None else arrivals

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            kept.append(Arrival(dict(self.headers.items()), body, time.monotonic()))
            self.send_response(204)
            self.end_headers()

        def log_message(self, format: str, *args: object) -> None:
            return

    server = _Server(("127.0.0.1", port), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield Receiver(f"http://127.0.0.1:{server.server_address[1]}/hook", kept)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def signed_correctly(arrival: Arrival, secret: str) -> bool:
    """Whether the arrival's ``Webhook-Signature`` is the HMAC of the secret shown once."""
    key = base64.b64decode(secret.removeprefix("whsec_"))
    signed = (
        f"{arrival.headers['Webhook-Id']}.{arrival.headers['Webhook-Timestamp']}.".encode()
        + arrival.body
    )
    expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    given = [part.removeprefix("v1,") for part in arrival.headers["Webhook-Signature"].split()]
    return any(hmac.compare_digest(expected, sig) for sig in given)
