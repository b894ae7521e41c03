"""The client's address behind reverse proxies: believed only from trusted proxies."""

from __future__ import annotations

import pytest

from trace.api.clients import forwarded_client
from trace.config import load_settings, parse_networks

PROXIES = parse_networks("10.0.0.0/8, 2001:db8:1::/48 127.0.0.1")


def test_a_peer_that_is_not_a_trusted_proxy_is_the_client_whatever_it_writes() -> None:
    assert forwarded_client("198.51.100.7", ["203.0.113.9"], PROXIES, "x-forwarded-for") == (
        "198.51.100.7"
    )
    assert forwarded_client("198.51.100.7", ["for=203.0.113.9"], (), "forwarded") == (
        "198.51.100.7"
    )


def test_the_right_most_address_that_is_not_a_trusted_proxy_is_the_client() -> None:
    # The client wrote a made-up address; nginx appended the real one; a second proxy
    # in front appended nginx's.
    values = ["1.2.3.4, 203.0.113.9, 10.0.0.3"]
    assert forwarded_client("10.0.0.2", values, PROXIES, "x-forwarded-for") == "203.0.113.9"
    # The same list in two header lines.
    lines = ["1.2.3.4", "203.0.113.9, 10.0.0.3"]
    assert forwarded_client("10.0.0.2", lines, PROXIES, "x-forwarded-for") == "203.0.113.9"


def test_forwarded_for_nodes_with_ports_ipv6_and_obfuscated_names() -> None:
    header = "forwarded"
    ipv6 = ['for="[2001:db8:cafe::17]:4711";proto=https, for=10.0.0.3']
    assert forwarded_client("127.0.0.1", ipv6, PROXIES, header) == "2001:db8:cafe::17"
    port = ["for=192.0.2.43:47011;by=10.0.0.3"]
    assert forwarded_client("127.0.0.1", port, PROXIES, header) == "192.0.2.43"
    hidden = ["for=192.0.2.43, for=_hidden, for=10.0.0.3"]
    assert forwarded_client("127.0.0.1", hidden, PROXIES, header) == "_hidden"
    # A Forwarded header is not read when the proxy writes X-Forwarded-For, nor the reverse.
    assert forwarded_client("127.0.0.1", ["for=192.0.2.43"], PROXIES, "x-forwarded-for") == (
        "for=192.0.2.43"
    )


def test_a_request_that_began_among_the_proxies_is_its_first_hop() -> None:
    values = ["10.1.2.3, 10.0.0.3"]
    assert forwarded_client("10.0.0.2", values, PROXIES, "x-forwarded-for") == "10.1.2.3"
    assert forwarded_client("10.0.0.2", [], PROXIES, "x-forwarded-for") == "10.0.0.2"


def test_the_settings_read_the_proxies_and_refuse_what_is_not_an_address() -> None:
    settings = load_settings({"TRACE_TRUSTED_PROXIES": "127.0.0.1,10.0.0.0/8 ::1"})
    assert [str(n) for n in settings.trusted_proxies] == ["127.0.0.1/32", "10.0.0.0/8", "::1/128"]
    assert settings.proxy_header == "x-forwarded-for"
    assert load_settings({}).trusted_proxies == ()
    with pytest.raises(ValueError, match=r"TRACE_TRUSTED_PROXIES: 'nginx' is not an IP"):
        load_settings({"TRACE_TRUSTED_PROXIES": "nginx"})
    with pytest.raises(ValueError, match="TRACE_PROXY_HEADER"):
        load_settings({"TRACE_PROXY_HEADER": "X-Real-IP"})
    assert load_settings({"TRACE_PROXY_HEADER": "Forwarded"}).proxy_header == "forwarded"
