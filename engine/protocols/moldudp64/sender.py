"""The MoldUDP64 sender, sans-IO: numbers messages, packs full datagrams, heartbeats when idle.

The sender owns the session's sequence: message N of the session goes out in some packet
whose header says where its first message stands. It does no I/O and reads no clock: each
call is given ``now_ns`` (any monotonic nanosecond count) and answers the datagrams to send,
in order, as ``bytes``.

* :meth:`MoldSender.send` / :meth:`~MoldSender.send_many` queue messages and answer every
  packet that filled up (at most ``max_packet`` bytes, header included): a burst goes out in
  full datagrams.
* :meth:`~MoldSender.flush` sends what is queued (the end of a batch).
* :meth:`~MoldSender.poll` is called on a timer: it flushes what is queued, or, when nothing
  was sent for ``heartbeat_ns``, answers a heartbeat (count 0, the next sequence number). After
  :meth:`~MoldSender.end_session` it answers end-of-session packets (count 0xFFFF) in place of
  heartbeats, so late listeners learn the session is over and can still ask for a gap.

Restart: a sender built with ``next_sequence`` continues a session where it stood (the feed is
regenerated from the journal, so the same numbers carry the same messages).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Final

from engine.protocols.moldudp64.packets import (
    BLOCK_HEADER,
    HEADER,
    MAX_COUNT,
    MAX_PACKET,
    EndOfSession,
    Heartbeat,
    encode_session,
)

__all__ = ["DEFAULT_HEARTBEAT_NS", "LocalProtocolError", "MoldSender"]

DEFAULT_HEARTBEAT_NS: Final = 1_000_000_000


class LocalProtocolError(RuntimeError):
    """We used the sender out of order (a message after end of session): a bug on our side."""


class MoldSender:
    """One MoldUDP64 session's downstream side."""

    def __init__(
        self,
        session: str,
        *,
        next_sequence: int = 1,
        max_packet: int = MAX_PACKET,
        heartbeat_ns: int = DEFAULT_HEARTBEAT_NS,
    ) -> None:
        self._session_bytes = encode_session(session)
        if next_sequence < 1:
            raise ValueError(f"next_sequence {next_sequence} must be at least 1")
        if max_packet < HEADER.size + BLOCK_HEADER.size + 1:
            raise ValueError(f"max_packet {max_packet} cannot carry one message")
        if heartbeat_ns <= 0:
            raise ValueError(f"heartbeat_ns {heartbeat_ns} must be positive")
        self.session = session
        self.max_packet = max_packet
        self.heartbeat_ns = heartbeat_ns
        self._first = next_sequence  # the number of the first queued message
        self._queued: list[bytes] = []  # length-prefixed message blocks
        self._queued_bytes = HEADER.size
        self._last_sent_ns: int | None = None
        self.ended = False
        self.packets_sent = 0

    @property
    def next_sequence(self) -> int:
        """The number the next message given to :meth:`send` will have."""
        return self._first + len(self._queued)

    @property
    def max_message(self) -> int:
        """The longest message one packet can carry."""
        return self.max_packet - HEADER.size - BLOCK_HEADER.size

    @property
    def queued(self) -> int:
        return len(self._queued)

    def send(self, message: bytes, now_ns: int) -> list[bytes]:
        """Queue one message; answer the packet it displaced if the queue was full."""
        return self.send_many((message,), now_ns)

    def send_many(self, messages: Iterable[bytes], now_ns: int) -> list[bytes]:
        """Queue messages in order; answer every packet that filled up on the way."""
        if self.ended:
            raise LocalProtocolError("the session has ended: no message may follow")
        out: list[bytes] = []
        limit = self.max_packet
        for message in messages:
            size = BLOCK_HEADER.size + len(message)
            if size + HEADER.size > limit:
                raise ValueError(f"a message of {len(message)} bytes exceeds {self.max_message}")
            if self._queued_bytes + size > limit or len(self._queued) == MAX_COUNT:
                out.append(self._take(now_ns))
            self._queued.append(BLOCK_HEADER.pack(len(message)) + message)
            self._queued_bytes += size
        return out

    def flush(self, now_ns: int) -> list[bytes]:
        """The queued messages as one packet (none if nothing is queued)."""
        return [self._take(now_ns)] if self._queued else []

    def poll(self, now_ns: int) -> list[bytes]:
        """What a timer tick sends: the queue, else a heartbeat (or end of session) when idle."""
        if self._queued:
            return self.flush(now_ns)
        if self._last_sent_ns is not None and now_ns - self._last_sent_ns < self.heartbeat_ns:
            return []
        self._sent(now_ns)
        if self.ended:
            return [EndOfSession(self.session, self._first).encode()]
        return [Heartbeat(self.session, self._first).encode()]

    def end_session(self, now_ns: int) -> list[bytes]:
        """Send what is queued and the first end-of-session packet; no message may follow."""
        out = self.flush(now_ns)
        self.ended = True
        self._sent(now_ns)
        out.append(EndOfSession(self.session, self._first).encode())
        return out

    def _take(self, now_ns: int) -> bytes:
        count = len(self._queued)
        packet = HEADER.pack(self._session_bytes, self._first, count) + b"".join(self._queued)
        self._first += count
        self._queued = []
        self._queued_bytes = HEADER.size
        self._sent(now_ns)
        return packet

    def _sent(self, now_ns: int) -> None:
        self._last_sent_ns = now_ns
        self.packets_sent += 1
