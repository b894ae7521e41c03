"""A per-client rate limit for the public pages that holds with several server workers.

Each worker keeps a token bucket per client address and allows its share of the
limit (the limit divided by the number of workers), so that all workers together
never allow more than the limit, whichever worker a client's connections reach.
No shared store is needed, and nothing about a client outlives a few minutes.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

_FORGET_AFTER = 600.0


@dataclass
class _Bucket:
    tokens: float
    at: float


class RateLimit:
    """``per_minute`` requests a minute per client across ``workers`` workers (0: unlimited)."""

    def __init__(self, per_minute: int, workers: int = 1) -> None:
        self.rate = per_minute / 60.0 / max(1, workers)
        self.burst = max(1.0, per_minute / max(1, workers) / 4)
        self.buckets: dict[str, _Bucket] = {}
        self.swept = time.monotonic()
        self.unlimited = per_minute <= 0

    def allow(self, client: str) -> float:
        """0 if ``client`` may go on now, else the seconds it should wait."""
        if self.unlimited:
            return 0.0
        now = time.monotonic()
        if now - self.swept > _FORGET_AFTER:
            self.buckets = {k: b for k, b in self.buckets.items() if now - b.at < _FORGET_AFTER}
            self.swept = now
        bucket = self.buckets.get(client)
        if bucket is None:
            bucket = self.buckets[client] = _Bucket(self.burst, now)
        bucket.tokens = min(self.burst, bucket.tokens + (now - bucket.at) * self.rate)
        bucket.at = now
        if bucket.tokens >= 1.0:
            bucket.tokens -= 1.0
            return 0.0
        return (1.0 - bucket.tokens) / self.rate
