"""The MoldUDP64 re-request server's answer, sans-IO, and a bounded store of recent messages.

A receiver that saw a gap sends a :class:`~engine.protocols.moldudp64.packets.RequestPacket`
(session, first sequence number, count). :func:`answer_request` answers it with ordinary
downstream packets carrying the messages from that number on, as many as the source still
has and at most ``count``, each packet at most ``max_packet`` bytes; the caller unicasts them
back to the requester. A request for another session, or for messages the source does not
have (not yet sent, or older than it keeps), is answered with nothing: the receiver asks again
after its timeout, and a server that can regenerate old messages (the feed is a function of
the journal) answers with a :class:`MessageSource` that reaches further back.

:class:`RecentMessages` is that source for the recent past: the last ``capacity`` messages of
the session, numbered as the sender numbered them (keep them in step: append exactly what is
given to :meth:`MoldSender.send_many <engine.protocols.moldudp64.sender.MoldSender.send_many>`).
:class:`RecentPackets` is the same from the datagrams themselves: a sender that builds its
datagrams without per-message objects (the feed's compiled encoder) keeps the datagrams it
sent, and a request is answered by reading the message blocks back out of them.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Sequence
from typing import Final, Protocol

from engine.protocols.moldudp64.packets import (
    BLOCK_HEADER,
    HEADER,
    MAX_COUNT,
    MAX_PACKET,
    MessagePacket,
    RequestPacket,
)

__all__ = ["MAX_ANSWER", "MessageSource", "RecentMessages", "RecentPackets", "answer_request"]

#: The most messages one request is answered with (the receiver asks again for the rest).
MAX_ANSWER: Final = 10_000


class MessageSource(Protocol):
    def messages(self, first: int, count: int) -> Sequence[bytes]:
        """Up to ``count`` messages from number ``first`` on, in order, as many as are held
        from ``first`` without a hole (none when ``first`` itself is not held)."""
        ...


class RecentMessages:
    """The last ``capacity`` messages of a session (at least), by sequence number."""

    def __init__(self, capacity: int, next_sequence: int = 1) -> None:
        if capacity < 1 or next_sequence < 1:
            raise ValueError(f"capacity {capacity} and next_sequence {next_sequence} must be >= 1")
        self.capacity = capacity
        self._buf: list[bytes] = []
        self._base = next_sequence  # the number of _buf[0]

    @property
    def first_sequence(self) -> int:
        """The oldest number still held (== next_sequence when nothing is)."""
        return self._base

    @property
    def next_sequence(self) -> int:
        return self._base + len(self._buf)

    def extend(self, messages: Iterable[bytes]) -> int:
        """Add the session's next messages; answer the number of the first one added."""
        first = self.next_sequence
        self._buf.extend(messages)
        excess = len(self._buf) - self.capacity
        if excess > self.capacity:  # trim in bulk: amortized O(1) per message
            del self._buf[:excess]
            self._base += excess
        return first

    def messages(self, first: int, count: int) -> Sequence[bytes]:
        start = first - self._base
        if start < 0 or start >= len(self._buf) or count <= 0:
            return []
        return self._buf[start : start + count]


class RecentPackets:
    """The datagrams carrying (at least) the last ``capacity`` messages of a session.

    :meth:`add` takes each downstream message packet as sent (heartbeats and end-of-session
    packets are ignored), in sequence order without holes; whole datagrams are dropped from
    the old end once the rest still hold ``capacity`` messages. :meth:`messages` reads the
    requested messages back out of them (a MessageSource)."""

    def __init__(self, capacity: int) -> None:
        if capacity < 1:
            raise ValueError(f"capacity {capacity} must be >= 1")
        self.capacity = capacity
        self._firsts: list[int] = []  # first sequence number of each datagram held
        self._packets: list[bytes] = []
        self._head = 0  # index of the oldest datagram still held (trimmed in bulk)
        self._held = 0  # messages held
        self._next = 0  # one past the last message held (0: nothing yet)

    @property
    def first_sequence(self) -> int:
        """The oldest number held (== next_sequence when nothing is)."""
        return self._firsts[self._head] if self._head < len(self._firsts) else self._next

    @property
    def next_sequence(self) -> int:
        return self._next

    def add(self, datagram: bytes) -> None:
        _session, first, count = HEADER.unpack_from(datagram)
        if count == 0 or count > MAX_COUNT:  # heartbeat, end of session
            return
        if self._next and first != self._next:
            raise ValueError(f"packet of message {first} does not follow {self._next - 1}")
        self._firsts.append(first)
        self._packets.append(datagram)
        self._held += count
        self._next = first + count
        while self._held - self._count(self._head) >= self.capacity:
            self._held -= self._count(self._head)
            self._head += 1
        if self._head > 1024 and self._head * 2 > len(self._firsts):  # amortized O(1)
            del self._firsts[: self._head]
            del self._packets[: self._head]
            self._head = 0

    def _count(self, index: int) -> int:
        following = self._firsts[index + 1] if index + 1 < len(self._firsts) else self._next
        return following - self._firsts[index]

    def messages(self, first: int, count: int) -> Sequence[bytes]:
        if count <= 0 or not self.first_sequence <= first < self._next:
            return []
        index = bisect.bisect_right(self._firsts, first, lo=self._head) - 1
        out: list[bytes] = []
        while index < len(self._packets) and len(out) < count:
            packet = self._packets[index]
            sequence = self._firsts[index]
            at = HEADER.size
            while at < len(packet) and len(out) < count:
                (length,) = BLOCK_HEADER.unpack_from(packet, at)
                if sequence >= first:
                    out.append(packet[at + 2 : at + 2 + length])
                at += 2 + length
                sequence += 1
            index += 1
        return out


def answer_request(
    request: RequestPacket,
    session: str,
    source: MessageSource,
    *,
    max_packet: int = MAX_PACKET,
    max_messages: int = MAX_ANSWER,
) -> list[bytes]:
    """The downstream packets that answer ``request`` (possibly none; module docstring)."""
    if request.session != session:
        return []
    wanted = min(request.count, max_messages)
    messages = source.messages(request.sequence, wanted)
    packets: list[bytes] = []
    batch: list[bytes] = []
    size = HEADER.size
    first = request.sequence
    for message in messages:
        block = BLOCK_HEADER.size + len(message)
        if batch and size + block > max_packet:
            packets.append(MessagePacket(session, first, tuple(batch)).encode())
            first += len(batch)
            batch, size = [], HEADER.size
        batch.append(message)
        size += block
    if batch:
        packets.append(MessagePacket(session, first, tuple(batch)).encode())
    return packets
