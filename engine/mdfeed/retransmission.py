"""The MoldUDP64 retransmission server's decisions: which request gets which datagrams.

A request (session, first number, count; ``engine.protocols.moldudp64``) is answered with
ordinary downstream datagrams, unicast to the requester, holding as many of the wanted
messages as one answer carries (``answer_request``: at most 10,000, in datagrams of at most
1,400 bytes; the receiver asks again for the rest):

* from memory (:class:`~engine.protocols.moldudp64.RecentPackets`: the datagrams the feed made
  lately) when it still holds the first wanted number;
* else regenerated from the journal (:class:`~engine.mdfeed.journal_feed.JournalSource`): the
  request waits in a bounded queue while :meth:`Retransmitter.work` moves the regeneration
  forward a bounded step per call (the publisher's loop stays responsive), and is answered as
  soon as the regenerated stretch holds its first number;
* never: a request for another session, for numbers not published yet, a malformed datagram,
  or one more than the queue holds (the receiver asks again after its timeout).

No sockets here (``engine.mdfeed.udp`` moves the bytes).
"""

from __future__ import annotations

from collections import deque
from typing import Final

from engine.mdfeed.journal_feed import JournalSource
from engine.protocols.moldudp64 import (
    MAX_ANSWER,
    RecentPackets,
    RequestPacket,
    answer_request,
    decode_request,
)

__all__ = ["Peer", "Retransmitter"]

Peer = tuple[str, int]
#: Requests for old numbers waiting for the journal regeneration at most.
MAX_WAITING: Final = 64


class Retransmitter:
    """Answers requests of ``session`` (module docstring)."""

    def __init__(
        self, session: str, recent: RecentPackets, regenerate: JournalSource | None
    ) -> None:
        self.session = session
        self._recent = recent
        self._regenerate = regenerate
        self._waiting: deque[tuple[Peer, RequestPacket]] = deque()
        self.answered = 0
        #: of which answered from the journal
        self.regenerated = 0
        self.refused = 0

    @property
    def waiting(self) -> int:
        return len(self._waiting)

    def handle(self, datagram: bytes, peer: Peer, next_sequence: int) -> list[bytes]:
        """The answer to one request datagram, now (possibly none: refused or queued);
        ``next_sequence`` is the first number not published yet."""
        request = decode_request(datagram)
        if (
            not isinstance(request, RequestPacket)
            or request.session != self.session
            or request.sequence >= next_sequence
        ):
            self.refused += 1
            return []
        if request.sequence >= self._recent.first_sequence:
            self.answered += 1
            return answer_request(request, self.session, self._recent)
        if self._regenerate is None or len(self._waiting) >= MAX_WAITING:
            self.refused += 1
            return []
        self._waiting.append((peer, request))
        return []

    def work(self, limit_seq: int, budget: int) -> tuple[list[tuple[Peer, list[bytes]]], int]:
        """Move the regeneration toward the oldest waiting request (never past command
        ``limit_seq``, the publisher's position); the answers now ready, and the commands
        replayed."""
        source = self._regenerate
        if source is None or not self._waiting:
            return [], 0
        _, first = self._waiting[0]
        done = source.work(first.sequence, _wanted(first), limit_seq, budget)
        ready: list[tuple[Peer, list[bytes]]] = []
        for item in list(self._waiting):
            peer, request = item
            # answered once regenerated in full, or as far as the journal goes
            if source.covers(request.sequence, _wanted(request)) or (
                not done and source.covers(request.sequence, 1)
            ):
                self._waiting.remove(item)
                ready.append((peer, answer_request(request, self.session, source)))
                self.answered += 1
                self.regenerated += 1
        if not done and self._waiting and not ready:
            self._waiting.popleft()  # the journal has nothing for it
            self.refused += 1
        return ready, done

    def close(self) -> None:
        if self._regenerate is not None:
            self._regenerate.close()


def _wanted(request: RequestPacket) -> int:
    """How many messages one answer to ``request`` carries at most."""
    return min(request.count, MAX_ANSWER)
