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
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Final, Protocol

from engine.protocols.moldudp64.packets import (
    BLOCK_HEADER,
    HEADER,
    MAX_PACKET,
    MessagePacket,
    RequestPacket,
)

__all__ = ["MAX_ANSWER", "MessageSource", "RecentMessages", "answer_request"]

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
