"""A session's message-rate throttle, the same for every protocol (pure: the clock is passed
in). Over the limit, an order is refused with a reason and the session stays up."""

from __future__ import annotations


class RateWindow:
    """At most ``limit`` messages per one-second window (0: no limit)."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._start_ns = 0
        self._count = 0

    def over(self, now_ns: int) -> bool:
        """Count one message at ``now_ns``; whether it is over the limit."""
        if not self.limit:
            return False
        if now_ns - self._start_ns >= 1_000_000_000:
            self._start_ns, self._count = now_ns, 0
        self._count += 1
        return self._count > self.limit
