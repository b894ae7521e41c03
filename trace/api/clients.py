"""The address of the client a request comes from, behind reverse proxies or not.

Every per-client limit and count (the public pages' rate limit, the scan counter's keyed
hashes) asks :func:`client_address`, so they all see the same client.

A connection's peer is the client unless the peer is one of the trusted proxies
(``TRACE_TRUSTED_PROXIES``). Only then is the proxy's header read: ``X-Forwarded-For``
(the de facto header nginx and most proxies append to) or ``Forwarded`` (RFC 7239 §5.2,
its ``for=`` parameters), whichever ``TRACE_PROXY_HEADER`` names; the other is ignored,
because a proxy passes on whatever the client wrote in a header it does not write itself.
Each proxy appends the address it received the request from, so the list is read from
the right, skipping trusted proxies: the first address that is not one is the client
(RFC 7239 §7.4, "the last proxy"'s view). Whatever a client writes to the left of that is
never read, so a made-up address cannot get it a fresh limit.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Sequence
from typing import Any

from litestar import Request

from trace.config import IpNetwork, Settings

UNKNOWN = "unknown"


def client_address(request: Request[Any, Any, Any]) -> str:
    """The address of the client of ``request``, as the trusted proxies report it."""
    settings: Settings = request.app.state.settings
    peer = request.client.host if request.client else UNKNOWN
    if not settings.trusted_proxies:
        return peer  # the common case, on every page request: nothing to read
    values = request.headers.getall(settings.proxy_header, [])
    return forwarded_client(peer, values, settings.trusted_proxies, settings.proxy_header)


def forwarded_client(
    peer: str, values: Sequence[str], trusted: Sequence[IpNetwork], header: str
) -> str:
    """The client's address: ``peer``, or, when ``peer`` is a trusted proxy, the right-most
    address in the ``header`` ``values`` that is not a trusted proxy."""
    if not _is_trusted(peer, trusted):
        return peer
    hops = list(_forwarded_for(values) if header == "forwarded" else _x_forwarded_for(values))
    for hop in reversed(hops):
        if not _is_trusted(hop, trusted):
            return hop
    # Every hop is a trusted proxy (or none was named): the request began inside.
    return hops[0] if hops else peer


def _is_trusted(address: str, trusted: Iterable[IpNetwork]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False  # "unknown", an obfuscated identifier (RFC 7239 §6.3): not a proxy
    return any(ip in network for network in trusted)


def _x_forwarded_for(values: Iterable[str]) -> Iterable[str]:
    for value in values:
        for item in value.split(","):
            if item.strip():
                yield _node_address(item.strip())


def _forwarded_for(values: Iterable[str]) -> Iterable[str]:
    """The ``for=`` node of each forwarded-element, in order (RFC 7239 §4)."""
    for value in values:
        for element in value.split(","):
            for pair in element.split(";"):
                name, _, node = pair.partition("=")
                if name.strip().lower() == "for" and node.strip():
                    yield _node_address(node.strip().strip('"'))


def _node_address(node: str) -> str:
    """The address of a node (RFC 7239 §6): without its port, IPv6 without brackets."""
    if node.startswith("["):
        return node[1 : node.find("]")] if "]" in node else node
    if node.count(":") == 1:
        return node.split(":", 1)[0]
    return node
