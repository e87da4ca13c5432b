"""Heartbeat timing for one end of a SoupBinTCP session, with the clock passed in.

SoupBinTCP 3.0: each side sends a heartbeat when it has sent nothing for 1 second, and may
drop a peer it has heard nothing from for a while (15 seconds is the spec's usual figure).

The sessions read no clock. The owner calls ``tick(now_ns)`` periodically (every 100-250 ms
is plenty) with any monotonic clock in nanoseconds. Sending and receiving only raise a flag;
the next tick stamps it with its ``now``. So activity is timed to the tick that follows it:
a heartbeat goes out between 1 s and 1 s + one tick period after the last send, and silence is
measured with the same granularity - a fair price for keeping every other call clock-free.

Timing is armed by :meth:`start` (at login) and measured from the first tick after it, so a
session never times out on the time it spent waiting for its login to be answered. A clock that
steps backwards is treated as standing still.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

__all__ = ["HEARTBEAT_INTERVAL_NS", "PEER_TIMEOUT_NS", "Liveness", "TickResult"]

#: Send a heartbeat after this much outbound silence (the spec's 1 second).
HEARTBEAT_INTERVAL_NS: Final = 1_000_000_000
#: Give up on a peer after this much inbound silence.
PEER_TIMEOUT_NS: Final = 15_000_000_000


@dataclass(frozen=True, slots=True)
class TickResult:
    heartbeat_due: bool
    peer_timed_out: bool


_IDLE: Final = TickResult(False, False)


class Liveness:
    """Outbound-silence and inbound-silence timers of one session end."""

    __slots__ = (
        "_armed",
        "_heartbeat_ns",
        "_last_received",
        "_last_sent",
        "_now",
        "_received",
        "_sent",
        "_timeout_ns",
    )

    def __init__(
        self, *, heartbeat_ns: int = HEARTBEAT_INTERVAL_NS, timeout_ns: int = PEER_TIMEOUT_NS
    ) -> None:
        if heartbeat_ns <= 0 or timeout_ns <= 0:
            raise ValueError("heartbeat interval and peer timeout must be positive")
        self._heartbeat_ns = heartbeat_ns
        self._timeout_ns = timeout_ns
        self._armed = False
        self._last_sent: int | None = None
        self._last_received: int | None = None
        self._now: int | None = None
        self._sent = False
        self._received = False

    def start(self) -> None:
        """Begin timing; the next tick is time zero for both directions."""
        self._armed = True
        self._last_sent = self._last_received = None

    def stop(self) -> None:
        self._armed = False

    def sent(self) -> None:
        self._sent = True

    def received(self) -> None:
        self._received = True

    def tick(self, now_ns: int) -> TickResult:
        """Stamp activity since the last tick with ``now_ns`` and say what is due."""
        now = now_ns if self._now is None else max(now_ns, self._now)
        self._now = now
        if not self._armed:
            self._sent = self._received = False
            return _IDLE
        if self._last_sent is None or self._sent:
            self._last_sent = now
        if self._last_received is None or self._received:
            self._last_received = now
        self._sent = self._received = False
        timed_out = now - self._last_received >= self._timeout_ns
        heartbeat = not timed_out and now - self._last_sent >= self._heartbeat_ns
        if heartbeat:
            self._last_sent = now  # the heartbeat the caller sends now is the activity
        return TickResult(heartbeat, timed_out)
