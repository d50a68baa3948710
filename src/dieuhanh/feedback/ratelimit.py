"""Abuse control for public POSTs: in-process token buckets and a streamed body-size limit.

Buckets live in the web process (one per client address and one per API key); with several web workers
each worker counts on its own, so the effective limit is the configured one times the number of workers.
"""

from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass

from fastapi import Request

from dieuhanh.core.errors import TooManyRequests

# Shared with the CSRF check, which reads form bodies under the same kind of limit.
from dieuhanh.web.deps import read_body_limited  # noqa: F401


@dataclass
class _Bucket:
    tokens: float
    updated: float


class TokenBucket:
    """``rate_per_minute`` requests a minute on average, bursts up to the same number."""

    def __init__(self, rate_per_minute: int, *, max_keys: int = 100_000):
        self.capacity = float(max(1, rate_per_minute))
        self.refill_per_second = self.capacity / 60.0
        self.max_keys = max_keys
        self._buckets: dict[str, _Bucket] = {}
        self._lock = threading.Lock()

    def take(self, key: str, now: float | None = None) -> float:
        """Take one token; return 0 when allowed, else the seconds to wait."""
        now = time.monotonic() if now is None else now
        with self._lock:
            bucket = self._buckets.get(key)
            if bucket is None:
                if len(self._buckets) >= self.max_keys:
                    self._evict(now)
                bucket = self._buckets[key] = _Bucket(self.capacity, now)
            else:
                bucket.tokens = min(self.capacity, bucket.tokens + (now - bucket.updated) * self.refill_per_second)
                bucket.updated = now
            if bucket.tokens >= 1:
                bucket.tokens -= 1
                return 0.0
            return (1 - bucket.tokens) / self.refill_per_second

    def _evict(self, now: float) -> None:
        full = [k for k, b in self._buckets.items() if b.tokens + (now - b.updated) * self.refill_per_second
                >= self.capacity]
        for k in full:
            del self._buckets[k]
        if len(self._buckets) >= self.max_keys:
            self._buckets.clear()


class Limiter:
    """The per-IP and per-key buckets of one application (kept on ``app.state``)."""

    def __init__(self, settings: object):
        self.enabled = bool(getattr(settings, "feedback_rate_limit_enabled", True))
        self.per_ip = TokenBucket(int(getattr(settings, "feedback_rate_per_ip_per_minute", 10)))
        self.per_key = TokenBucket(int(getattr(settings, "feedback_rate_per_key_per_minute", 600)))

    def check_ip(self, ip: str) -> None:
        if not self.enabled:
            return
        wait = self.per_ip.take(ip)
        if wait:
            raise _too_many(wait, "Bạn gửi quá nhiều phản ánh trong thời gian ngắn. Hãy thử lại sau ít phút.")

    def check_key(self, key: str) -> None:
        if not self.enabled:
            return
        wait = self.per_key.take(key)
        if wait:
            raise _too_many(wait, "Mã API đã vượt giới hạn số yêu cầu mỗi phút. Hãy thử lại sau.")


def _too_many(wait: float, message: str) -> TooManyRequests:
    exc = TooManyRequests(message)
    exc.retry_after = max(1, math.ceil(wait))  # type: ignore[attr-defined]
    return exc


def limiter(request: Request) -> Limiter:
    state = request.app.state
    lim = getattr(state, "feedback_limiter", None)
    if lim is None:
        lim = state.feedback_limiter = Limiter(state.settings)
    return lim  # type: ignore[no-any-return]


def client_ip(request: Request) -> str:
    return request.client.host if request.client else "unknown"


