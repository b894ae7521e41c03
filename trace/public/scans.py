"""Counting scans of serialised labels without keeping personal data.

A scan is counted once per device and day: the device is HMAC-SHA-256 of its
address and browser, the network HMAC of its address prefix (/24 for IPv4, /48
for IPv6), both under a random key drawn for the day. Keys older than yesterday
are deleted, after which nothing stored can be tied to an address. No address is
ever written. Shoppers' reports are limited per client by the same device hash
(:func:`client_hash`; trace/store/reports.py), so they keep no address either.

A label is flagged as possibly copied when on one day it was scanned from
:data:`SUSPICIOUS_NETWORKS` or more networks, or from :data:`SUSPICIOUS_DEVICE_DAYS`
device-days in all: a genuine item is scanned by its buyer, and perhaps a few
people around it, not by strangers all over the country.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import secrets
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, func, insert, select
from sqlalchemy.exc import IntegrityError

from trace.domain.record import now_us
from trace.public.render import SerialInfo
from trace.store.database import read_transaction, write_transaction
from trace.store.ledger import Ledger
from trace.store.tables import label_scans, scan_keys

SUSPICIOUS_NETWORKS = 4
SUSPICIOUS_DEVICE_DAYS = 25


def _today() -> str:
    return datetime.now(UTC).date().isoformat()


def _network(address: str) -> str:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address
    prefix = 24 if ip.version == 4 else 48
    return str(ipaddress.ip_network(f"{ip}/{prefix}", strict=False))


async def _day_key(ledger: Ledger, day: str) -> bytes:
    async with read_transaction(ledger.engine) as conn:
        key = (await conn.execute(select(scan_keys.c.key).where(scan_keys.c.day == day))).scalar()
    if key is not None:
        return bytes(key)
    yesterday = (datetime.fromisoformat(day) - timedelta(days=1)).date().isoformat()
    try:
        async with write_transaction(ledger.engine) as conn:
            await conn.execute(insert(scan_keys).values(day=day, key=secrets.token_bytes(32)))
            await conn.execute(delete(scan_keys).where(scan_keys.c.day < yesterday))
    except IntegrityError:
        pass  # another worker drew today's key first: use theirs
    async with read_transaction(ledger.engine) as conn:
        return bytes(
            (await conn.execute(select(scan_keys.c.key).where(scan_keys.c.day == day))).scalar_one()
        )


async def client_hash(ledger: Ledger, address: str, agent: str) -> tuple[str, bytes]:
    """Today's date and the device's hash under today's key (what a scan is counted by).

    Shoppers' reports are limited per client by the same hash (trace/store/reports.py).
    """
    day = _today()
    key = await _day_key(ledger, day)
    return day, _device(key, address, agent)


def _device(key: bytes, address: str, agent: str) -> bytes:
    return hmac.new(key, f"{address}\n{agent}".encode(), hashlib.sha256).digest()[:16]


async def record_scan(ledger: Ledger, serial: str, address: str, agent: str) -> SerialInfo:
    """Count this scan (once per device and day) and return the label's scan figures.

    ``address`` is the client's, as trace/api/clients.py finds it behind trusted proxies.
    """
    day = _today()
    key = await _day_key(ledger, day)
    client = _device(key, address, agent)
    network = hmac.new(key, _network(address).encode(), hashlib.sha256).digest()[:16]
    try:
        async with write_transaction(ledger.engine) as conn:
            await conn.execute(
                insert(label_scans).values(
                    serial=serial, day=day, client=client, network=network, first_at_us=now_us()
                )
            )
    except IntegrityError:
        pass  # this device already scanned it today
    async with read_transaction(ledger.engine) as conn:
        count, since = (
            await conn.execute(
                select(func.count(), func.min(label_scans.c.first_at_us)).where(
                    label_scans.c.serial == serial
                )
            )
        ).one()
        per_day = (
            (
                await conn.execute(
                    select(func.count(func.distinct(label_scans.c.network)))
                    .where(label_scans.c.serial == serial)
                    .group_by(label_scans.c.day)
                )
            )
            .scalars()
            .all()
        )
    places = max(per_day, default=0)
    return SerialInfo(
        serial=serial,
        count=int(count),
        since=datetime.fromtimestamp((since or now_us()) / 1_000_000, tz=UTC),
        places=int(places),
        suspicious=places >= SUSPICIOUS_NETWORKS or count >= SUSPICIOUS_DEVICE_DAYS,
    )
