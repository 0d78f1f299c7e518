"""Slowing down the repetitive: a sliding window of events per key, answered with 429 and Retry-After."""

import math
import threading
import time
from collections import deque
from collections.abc import Callable

from procurement.core.errors import DomainError


class Throttled(DomainError):
    """Too many attempts from this client or principal; retry after the given seconds."""

    title = "Too many requests"

    def __init__(self, detail: str, *, retry_after_s: int) -> None:
        super().__init__(detail, retry_after_s=retry_after_s)
        self.retry_after_s = retry_after_s


class Throttle:
    """At most `allowed` events per key within `window_s`; kept in this process's memory.

    Each worker process keeps its own window, so N workers allow N times as many; honest traffic
    (a valid token, a few price-to-win questions) never comes near the limit.
    """

    def __init__(
        self,
        *,
        allowed: int,
        window_s: float,
        clock: Callable[[], float] = time.monotonic,
        max_keys: int = 50_000,
    ) -> None:
        self.allowed, self.window_s, self.clock, self.max_keys = allowed, window_s, clock, max_keys
        self._events: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def _recent(self, key: str, now: float) -> deque[float]:
        events = self._events.get(key)
        if events is None:
            return deque()
        while events and events[0] <= now - self.window_s:
            events.popleft()
        if not events:
            del self._events[key]
        return events

    def retry_after(self, key: str) -> int | None:
        """Whole seconds until the key may try again, or None when it may now."""
        with self._lock:
            now = self.clock()
            events = self._recent(key, now)
            if len(events) < self.allowed:
                return None
            return max(1, math.ceil(events[-self.allowed] + self.window_s - now))

    def hit(self, key: str) -> None:
        """Count one event of the key."""
        with self._lock:
            now = self.clock()
            if len(self._events) >= self.max_keys:
                # Forget keys whose window has passed; if all are recent, start over rather than grow.
                for stale in [k for k, v in self._events.items() if not v or v[-1] <= now - self.window_s]:
                    del self._events[stale]
                if len(self._events) >= self.max_keys:
                    self._events.clear()
            events = self._events.setdefault(key, deque())
            events.append(now)
            while len(events) > self.allowed:
                events.popleft()

    def check(self, key: str, *, what: str) -> None:
        """Refuse (429) while the key is over its limit."""
        wait = self.retry_after(key)
        if wait is not None:
            raise Throttled(f"Too many {what}; try again in {wait} s.", retry_after_s=wait)

    def take(self, key: str, *, what: str) -> None:
        """Count an event of the key, refusing it (429, not counted) while the key is over its limit."""
        self.check(key, what=what)
        self.hit(key)


PRICE_TO_WIN = "price-to-win questions"
