"""The service clients' per-minute quota, counted in the shared cache in batches.

Every login check counts toward its client's quota. Counting each one in Redis cost the
workers about as much CPU as everything else the gateway adds to a check (one pipelined round
trip through redis-py: docs/performance.md), so each process counts in its own memory and
settles with the shared cache — adding what it counted, reading back the total of every
process — once it has counted SETTLE_EVERY checks for a key or SETTLE_SECONDS have passed.
Once a process's estimate comes within SETTLE_EVERY of the limit every check settles, and
settling returns the true total, so the refusal comes at about the same count as before. What
a process cannot see is what the others counted since it last settled — at most SETTLE_EVERY
- 1 checks each, or SETTLE_SECONDS of their traffic — and that is the most the quota can let
through past its limit: it protects capacity and never decides a login.
"""

import threading
import time
from dataclasses import dataclass

from django.core.cache import cache, caches
from django.core.cache.backends.redis import RedisCache

SETTLE_EVERY = 20
SETTLE_SECONDS = 1.0
EXPIRE_AFTER = 120  # seconds: a minute's counter outlives its minute


@dataclass
class _Count:
    settled: int = 0  # every process's count, as of this process's last settling
    pending: int = 0  # counted here since
    settled_at: float = 0.0  # time.monotonic()


class BatchedCounter:
    def __init__(self, *, every: int = SETTLE_EVERY, seconds: float = SETTLE_SECONDS) -> None:
        self.every, self.seconds = every, seconds
        self._counts: dict[str, _Count] = {}
        self._lock = threading.Lock()

    def add(self, key: str, *, limit: int) -> int:
        """Count one for `key`; the best estimate of every process's count so far."""
        now = time.monotonic()
        with self._lock:
            count = self._counts.get(key)
            if count is None:
                if len(self._counts) > 1000:  # the minutes gone by
                    self._counts.clear()
                count = self._counts[key] = _Count(settled_at=now)
            count.pending += 1
            estimate = count.settled + count.pending
            due = (
                count.pending >= self.every
                or now - count.settled_at >= self.seconds
                or estimate + self.every > limit
            )
            if not due:
                return estimate
            delta, count.pending, count.settled_at = count.pending, 0, now
        try:
            total = add_to_shared(key, delta)
        except Exception:
            with self._lock:
                count.pending += delta  # settled next time, if the cache comes back
            raise
        with self._lock:
            count.settled = total  # threads settling out of order can only make it lower
            return count.settled + count.pending

    def forget(self) -> None:
        with self._lock:
            self._counts.clear()


def add_to_shared(key: str, delta: int) -> int:
    """Add `delta` to the counter `key` in the shared cache and return its total; the counter
    expires EXPIRE_AFTER seconds after it was started. On Redis one round trip (INCRBY, then
    EXPIRE only where none is set, pipelined); elsewhere (the in-process cache of the demo and
    the tests) Django's cache API."""
    backend = caches["default"]
    if isinstance(backend, RedisCache):
        full = backend.make_and_validate_key(key)
        # Django's RedisCacheClient hands out its redis-py client (the same connection pool).
        redis = backend._cache.get_client(full, write=True)  # type: ignore[attr-defined]  # not in django-stubs
        pipe = redis.pipeline(transaction=False)
        pipe.incrby(full, delta)
        pipe.expire(full, EXPIRE_AFTER, nx=True)
        total, _expiry_set = pipe.execute()
        return int(total)
    cache.add(key, 0, timeout=EXPIRE_AFTER)
    return cache.incr(key, delta)


quota_counts = BatchedCounter()
