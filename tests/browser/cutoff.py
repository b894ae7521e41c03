"""A relay between the browser and the service that can be cut, as a phone loses its network.

DevTools' network emulation takes a page offline but not its service worker, whose fetches
(a Background Sync drain, above all) still reach the service. Through this relay, every
connection the browser opens, the page's and the worker's alike, fails while it is cut.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import threading


class Cutoff:
    """Relays ``127.0.0.1:<port>`` to ``upstream`` (``http://host:port``) until ``cut``."""

    def __init__(self, upstream: str) -> None:
        host, port = upstream.removeprefix("http://").split(":")
        self.upstream = (host, int(port))
        self.connected = True
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.loop = asyncio.new_event_loop()
        self.server = self.loop.run_until_complete(
            asyncio.start_server(self._relay, "127.0.0.1", self.port)
        )
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def cut(self) -> None:
        self.connected = False

    def restore(self) -> None:
        self.connected = True

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.server.close)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=5)

    async def _relay(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if not self.connected:
            writer.transport.abort()
            return
        try:
            up_reader, up_writer = await asyncio.open_connection(*self.upstream)
        except OSError:
            writer.transport.abort()
            return
        await asyncio.gather(self._pipe(reader, up_writer), self._pipe(up_reader, writer))

    async def _pipe(self, source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
        with contextlib.suppress(ConnectionError, asyncio.CancelledError):
            while self.connected and (chunk := await source.read(65536)):
                sink.write(chunk)
                await sink.drain()
        with contextlib.suppress(ConnectionError, RuntimeError):
            if self.connected:
                sink.close()
            else:
                sink.transport.abort()
