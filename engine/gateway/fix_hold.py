"""The bytes of a FIX connection held until the journal covers their MsgSeqNums (a host with
``[replication] enabled``; ``engine.gateway.fix_marks`` says why).

Contract. :meth:`Marking.take` is given every chunk of bytes the connection is about to
write (one per flush, after the session's files were handed to the OS) with the session's
numbers at that point, and returns what may be written now:

* bytes that carry a MsgSeqNum the last mark does not cover (``MarkBook.needs_mark``) are
  held; the notes that cover them (the runs sent, then one mark) are submitted in one go
  (at most one per flush, never one per message);
* bytes made while held bytes wait queue behind them, so the socket sees everything in the
  order the session made it; at most one mark of a connection is in flight: the chunks made
  meanwhile get one mark between them when it is back (under load, fewer notes: one per
  journal round trip, not one per flush). Bytes that need no mark (a resend of old numbers)
  go at once when nothing is held;
* :meth:`Marking.ready` returns the bytes at the head of the queue whose notes came back
  (the ledger applied their ``SessionNoted``: journaled, and with sync replication on the
  standby), in order; :meth:`Marking.drain` waits for the queue to empty (bounded), for the
  last bytes of a connection that is ending.

No I/O here: submitting is the caller's ``submit`` (into ring[in]), writing its ``write``.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Final

from engine.domain.types import SessionNote
from engine.gateway.fix_marks import MarkBook

#: a chunk whose notes are being submitted: its seq_no is not known yet
_SUBMITTING: Final = -1
#: a chunk made while a mark was in flight: its own mark goes once that one is back
_DEFERRED: Final = -2

#: submit(notes) -> their seq_nos (the session's ``submit_many`` into ring[in])
SubmitNotes = Callable[[list[SessionNote]], Awaitable[list[int]]]


class _Held:
    __slots__ = ("data", "seq")

    def __init__(self, data: bytes, seq: int) -> None:
        self.data = data
        #: the seq_no of the last note it waits for (0: none, it waits for those before it)
        self.seq = seq


class Marking:
    """One connection's held bytes (see the module docstring). ``noted()`` is the seq_no of
    the session's last note the ledger applied; ``write(bytes)`` writes to the socket."""

    def __init__(
        self,
        book: MarkBook,
        submit: SubmitNotes,
        noted: Callable[[], int],
        write: Callable[[bytes], None],
    ) -> None:
        self.book = book
        self._submit = submit
        self._noted = noted
        self._write = write
        self._queue: deque[_Held] = deque()
        self._tasks: set[asyncio.Task[None]] = set()
        self._empty = asyncio.Event()
        self._empty.set()
        self._bytes = 0
        #: the chunks whose mark is not submitted yet (made while one was in flight)
        self._deferred: list[_Held] = []
        #: the seq_no of the mark in flight (_SUBMITTING while it is submitted), or None
        self._in_flight: int | None = None
        self._latest = (0, 0, 0)
        #: how many note batches were submitted (one per flush that needed a mark)
        self.marks = 0

    @property
    def holding(self) -> int:
        """Bytes held now."""
        return self._bytes

    def take(self, data: bytes, next_sender: int, next_target: int, reports_sent: int) -> bytes:
        """What of ``data`` may be written now (see the module docstring)."""
        if not data:
            return b""
        self._latest = (next_sender, next_target, reports_sent)
        if not self._queue and not self.book.needs_mark(next_sender):
            return data  # nothing new, nothing before it: at once
        held = _Held(data, _DEFERRED)
        self._queue.append(held)
        self._deferred.append(held)
        self._bytes += len(data)
        self._empty.clear()
        if self._in_flight is None:
            self._mark()
        return b""

    def _mark(self) -> None:
        """Submit one mark for every chunk deferred (none in flight), or let them go behind
        the others if they carry no new number."""
        deferred, self._deferred = self._deferred, []
        if not deferred:
            return
        if not self.book.needs_mark(self._latest[0]):
            for held in deferred:
                held.seq = 0
            return
        notes = self.book.notes(*self._latest)
        self.marks += 1
        self._in_flight = _SUBMITTING
        for held in deferred:
            held.seq = _SUBMITTING
        task = asyncio.ensure_future(self._note(notes, deferred))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _note(self, notes: list[SessionNote], held: list[_Held]) -> None:
        seq_nos = await self._submit(notes)
        self._in_flight = seq_nos[-1]
        for chunk in held:
            chunk.seq = seq_nos[-1]
        self.release()  # (its SessionNoted comes later: this only matters if it came first)

    def ready(self) -> bytes:
        """The held bytes whose notes came back, in order (taken off the queue); the next
        mark goes when the one in flight is back."""
        noted = self._noted()
        queue, out = self._queue, []
        while True:
            while queue and 0 <= queue[0].seq <= noted:
                out.append(queue.popleft().data)
                self._bytes -= len(out[-1])
            if self._in_flight is not None and 0 <= self._in_flight <= noted:
                self._in_flight = None
            if self._in_flight is not None or not self._deferred:
                break
            self._mark()  # the chunks made meanwhile: one mark for all of them
        if not queue:
            self._empty.set()
        return b"".join(out)

    def release(self) -> None:
        """Write what :meth:`ready` gives (called when the session's notes came back)."""
        data = self.ready()
        if data:
            self._write(data)

    async def drain(self, timeout: float) -> bool:
        """Wait until nothing is held (at most ``timeout`` seconds); whether it emptied."""
        try:
            await asyncio.wait_for(self._empty.wait(), timeout)
        except TimeoutError:
            return False
        return True

    def cancel(self) -> None:
        """Forget what is held (the connection is gone) and stop submitting for it."""
        self._queue.clear()
        self._deferred = []
        self._bytes = 0
        self._empty.set()
        for task in self._tasks:
            task.cancel()
