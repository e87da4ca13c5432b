"""The outbound message store: what the session may have to send again after a ResendRequest.

The session saves every *application* message it sends (administrative ones are never resent:
a SequenceReset-GapFill replaces them). The store belongs to the caller, who decides where the
messages live (memory, a file beside the persisted sequence numbers) and for how long; the
session only calls the three methods of :class:`OutboundStore`.

A message missing from the store (evicted, or lost with a host restart) is not an error: the
resend covers it with a gap fill, as it does for administrative messages.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from engine.protocols.fix.codec import Fields

__all__ = ["MemoryStore", "OutboundStore", "StoredMessage"]


@dataclass(frozen=True, slots=True)
class StoredMessage:
    """An application message as first sent: enough to send it again with PossDupFlag=Y."""

    seq: int
    msg_type: str
    #: the fields after the standard header, or the bytes they encode to (``tag=value<SOH>``
    #: each: ``Outbound.send_encoded``)
    body: Fields | bytes
    #: the SendingTime(52) of the first sending, which becomes OrigSendingTime(122)
    sending_time: str


class OutboundStore(Protocol):
    def save(self, message: StoredMessage) -> None:
        """Keep ``message`` (its ``seq`` is unique until the next ``reset``)."""

    def messages(self, from_seq: int, to_seq: int) -> Sequence[StoredMessage]:
        """The kept messages with ``from_seq <= seq <= to_seq``, in any order."""

    def reset(self) -> None:
        """Forget everything: the sequence numbers start again at 1 (ResetSeqNumFlag)."""


class MemoryStore:
    """An in-memory store of the last ``capacity`` messages (older ones become gap fills)."""

    def __init__(self, capacity: int = 100_000) -> None:
        self.capacity = capacity
        self._by_seq: dict[int, StoredMessage] = {}
        self._order: deque[int] = deque()

    def save(self, message: StoredMessage) -> None:
        if message.seq not in self._by_seq:
            self._order.append(message.seq)
        self._by_seq[message.seq] = message
        while len(self._order) > self.capacity:
            self._by_seq.pop(self._order.popleft(), None)

    def messages(self, from_seq: int, to_seq: int) -> Sequence[StoredMessage]:
        if to_seq - from_seq < len(self._by_seq):  # a short range: look each number up
            found = (self._by_seq.get(seq) for seq in range(from_seq, to_seq + 1))
            return [m for m in found if m is not None]
        return [m for m in self._by_seq.values() if from_seq <= m.seq <= to_seq]

    def reset(self) -> None:
        self._by_seq.clear()
        self._order.clear()

    def __len__(self) -> int:
        return len(self._by_seq)
