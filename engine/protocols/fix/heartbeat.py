"""Heartbeat timing: when to send a Heartbeat or a TestRequest, and when the peer is gone.

Pure decisions over times the caller passes (nanoseconds); the timer reads no clock. With
HeartBtInt = H seconds and a grace of H/5 (time for a message in flight):

* no message *sent* for H: send a Heartbeat (the peer must hear from us at least every H);
* no message *received* for H + grace: send a TestRequest, which the peer must answer;
* still nothing received H + grace after that TestRequest: the connection is dead.

Any message received counts as a sign of life, not only the Heartbeat that answers the
TestRequest: a peer busy sending reports is evidently there.
"""

from __future__ import annotations

from enum import Enum

from engine.protocols.fix.timestamps import NS_PER_SECOND

__all__ = ["HeartbeatAction", "HeartbeatTimer"]


class HeartbeatAction(Enum):
    NONE = "none"
    HEARTBEAT = "send Heartbeat"
    TEST_REQUEST = "send TestRequest"
    TIMEOUT = "peer silent: disconnect"


class HeartbeatTimer:
    """The heartbeat clock of one session, fed with the times of what was sent and received."""

    def __init__(self, heart_bt_int_s: int, now_ns: int) -> None:
        if heart_bt_int_s <= 0:
            raise ValueError("HeartBtInt must be positive")
        self.interval_ns = heart_bt_int_s * NS_PER_SECOND
        self.grace_ns = self.interval_ns // 5
        self.last_sent_ns = now_ns
        self.last_received_ns = now_ns
        #: when the unanswered TestRequest went out, or None
        self.test_request_sent_ns: int | None = None

    def sent(self, now_ns: int) -> None:
        self.last_sent_ns = now_ns

    def received(self, now_ns: int) -> None:
        self.last_received_ns = now_ns
        self.test_request_sent_ns = None

    def test_request_sent(self, now_ns: int) -> None:
        self.test_request_sent_ns = now_ns
        self.last_sent_ns = now_ns

    def due(self, now_ns: int) -> HeartbeatAction:
        """What to do at ``now_ns``; the caller acts and reports it (sent / test_request_sent)."""
        patience = self.interval_ns + self.grace_ns
        if self.test_request_sent_ns is not None:
            if now_ns - self.test_request_sent_ns >= patience:
                return HeartbeatAction.TIMEOUT
        elif now_ns - self.last_received_ns >= patience:
            return HeartbeatAction.TEST_REQUEST
        if now_ns - self.last_sent_ns >= self.interval_ns:
            return HeartbeatAction.HEARTBEAT
        return HeartbeatAction.NONE

    def next_deadline_ns(self) -> int:
        """The earliest time at which :meth:`due` may return something else than NONE: a
        server can sleep until then instead of polling."""
        patience = self.interval_ns + self.grace_ns
        inbound = (
            self.test_request_sent_ns + patience
            if self.test_request_sent_ns is not None
            else self.last_received_ns + patience
        )
        return min(inbound, self.last_sent_ns + self.interval_ns)
