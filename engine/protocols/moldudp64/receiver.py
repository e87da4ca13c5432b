"""The MoldUDP64 receiver, sans-IO: in-order delivery, gap detection, retransmission requests.

Feed it every datagram from the multicast group and every answer from the re-request server
(:meth:`MoldReceiver.datagram_received`), and call :meth:`~MoldReceiver.poll` on a timer. Both
answer a list of events, in order:

* :class:`Message` - the next message of the session, strictly in sequence order, each number
  exactly once (duplicates and messages from before the start are dropped);
* :class:`~engine.protocols.moldudp64.packets.RequestPacket` - send it to the re-request
  server: messages from ``expected`` on are missing (a packet, or a heartbeat, told of later
  numbers). Asked again after ``request_timeout_ns`` while the gap stays, or at once when an
  answer left part of it open;
* :class:`SessionEnded` - end of session was announced and every message before it delivered;
* :class:`~engine.protocols.moldudp64.packets.PacketFault` - a malformed datagram (code
  ``wrong_session`` for one of another session): dropped, never fatal, never raised.

Where it starts. ``next_sequence`` (for instance from a book snapshot that says where the feed
continues) makes earlier messages uninteresting and later ones a gap to fill; without it the
receiver starts at the first packet it hears (a late joiner). ``session`` None adopts the
first session heard.

Memory is bounded: at most ``max_pending`` messages beyond a gap are held; more are dropped
and fetched again later by the same requests. Clock: ``now_ns`` is passed in, never read.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, TypeAlias

from engine.protocols.moldudp64.packets import (
    MAX_COUNT,
    EndOfSession,
    Heartbeat,
    MessagePacket,
    PacketFault,
    RequestPacket,
    decode_downstream,
)

__all__ = [
    "DEFAULT_MAX_PENDING",
    "DEFAULT_MAX_REQUEST",
    "DEFAULT_REQUEST_TIMEOUT_NS",
    "Message",
    "MoldReceiver",
    "ReceiverEvent",
    "SessionEnded",
]

DEFAULT_REQUEST_TIMEOUT_NS: Final = 250_000_000
DEFAULT_MAX_REQUEST: Final = 1_000
DEFAULT_MAX_PENDING: Final = 100_000


@dataclass(frozen=True, slots=True)
class Message:
    sequence: int
    payload: bytes


@dataclass(frozen=True, slots=True)
class SessionEnded:
    session: str
    #: one past the session's last message
    next_sequence: int


ReceiverEvent: TypeAlias = Message | RequestPacket | SessionEnded | PacketFault


class MoldReceiver:
    """One listener's view of one MoldUDP64 session."""

    def __init__(
        self,
        session: str | None = None,
        next_sequence: int | None = None,
        *,
        request_timeout_ns: int = DEFAULT_REQUEST_TIMEOUT_NS,
        max_request: int = DEFAULT_MAX_REQUEST,
        max_pending: int = DEFAULT_MAX_PENDING,
    ) -> None:
        if next_sequence is not None and next_sequence < 1:
            raise ValueError(f"next_sequence {next_sequence} must be at least 1")
        if not 1 <= max_request <= MAX_COUNT:
            raise ValueError(f"max_request {max_request} is not in 1..{MAX_COUNT}")
        self.session = session
        #: the number of the next message to deliver (None until the first packet)
        self.expected = next_sequence
        #: one past the highest number any packet told of
        self.high = next_sequence or 0
        self.request_timeout_ns = request_timeout_ns
        self.max_request = max_request
        self.max_pending = max_pending
        self._pending: dict[int, bytes] = {}
        #: the smallest held number beyond the gap (None: nothing held)
        self._gap_end: int | None = None
        self._requested_at: int | None = None
        self._requested_upto = 0
        self._end: int | None = None  # next_sequence of the end of session, once heard
        self.ended = False
        self.requests_sent = 0
        self.duplicates = 0

    @property
    def held(self) -> int:
        """Messages received beyond a gap, waiting for it to be filled."""
        return len(self._pending)

    @property
    def gap(self) -> tuple[int, int] | None:
        """The missing numbers ``[first, end)`` blocking delivery, if any."""
        if self.expected is None or self.expected >= self.high:
            return None
        return self.expected, self._gap_end or self.high

    def datagram_received(self, datagram: bytes, now_ns: int) -> list[ReceiverEvent]:
        packet = decode_downstream(datagram)
        if isinstance(packet, PacketFault):
            return [packet]
        if self.session is None:
            self.session = packet.session
        elif packet.session != self.session:
            text = f"a packet of session {packet.session!r}, not {self.session!r}"
            return [PacketFault("wrong_session", 0, text)]
        out: list[ReceiverEvent] = []
        if isinstance(packet, MessagePacket):
            if self.expected is None:
                self.expected = packet.sequence
            self._take(packet, out)
            self.high = max(self.high, packet.next_sequence)
        else:
            if self.expected is None:
                self.expected = packet.next_sequence
            self.high = max(self.high, packet.next_sequence)
            if isinstance(packet, EndOfSession):
                self._end = packet.next_sequence
            else:
                assert isinstance(packet, Heartbeat)
        self._after(now_ns, out)
        return out

    def poll(self, now_ns: int) -> list[ReceiverEvent]:
        """A timer tick: asks again for a gap whose request went unanswered."""
        out: list[ReceiverEvent] = []
        self._after(now_ns, out)
        return out

    def _take(self, packet: MessagePacket, out: list[ReceiverEvent]) -> None:
        expected = self.expected
        assert expected is not None
        pending = self._pending
        seq = packet.sequence
        for payload in packet.messages:
            if seq < expected or seq in pending:
                self.duplicates += 1
            elif seq == expected:
                out.append(Message(seq, payload))
                expected += 1
                while pending and expected in pending:  # a retransmission closed a gap
                    out.append(Message(expected, pending.pop(expected)))
                    expected += 1
            elif len(pending) < self.max_pending:
                pending[seq] = payload
                if self._gap_end is None or seq < self._gap_end:
                    self._gap_end = seq
            seq += 1
        self.expected = expected
        if self._gap_end is not None and self._gap_end <= expected:
            self._gap_end = min(pending) if pending else None

    def _after(self, now_ns: int, out: list[ReceiverEvent]) -> None:
        gap = self.gap
        if gap is None:
            self._requested_at = None
            if self._end is not None and not self.ended and self.expected == self._end:
                self.ended = True
                assert self.session is not None
                out.append(SessionEnded(self.session, self._end))
            return
        first, end = gap
        stale = (
            self._requested_at is None
            or now_ns - self._requested_at >= self.request_timeout_ns
            or first >= self._requested_upto
        )
        if stale:
            count = min(end - first, self.max_request)
            assert self.session is not None
            out.append(RequestPacket(self.session, first, count))
            self._requested_at = now_ns
            self._requested_upto = first + count
            self.requests_sent += 1
