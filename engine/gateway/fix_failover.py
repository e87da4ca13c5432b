"""The FIX listener's side of failover: its sessions' numbers in the journal.

On a host with ``[replication] enabled`` (:attr:`JournalMarks.enabled`; a promoted standby's
configuration has it too) every connection gets a :class:`~engine.gateway.fix_hold.Marking`
(:meth:`JournalMarks.attach`): its bytes wait until the notes that cover their MsgSeqNums
come back through the journal (:meth:`JournalMarks.noted`, fed by the outbound ledger), so a
peer never sees a MsgSeqNum that a promoted standby would use again. Whatever the host's
configuration, :meth:`JournalMarks.open_files` opens a session's files and, when the
journal's mark is ahead of them (a promoted standby, a host whose files were lost), rewrites
them from it (``SessionFiles.adopt``); files ahead of the journal are kept.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from pathlib import Path

from engine.domain.types import Command, SessionNote
from engine.gateway.fix_files import SessionFiles
from engine.gateway.fix_hold import Marking
from engine.gateway.fix_marks import FixMarks, MarkBook
from engine.gateway.fix_outbox import WRITE_LIMIT, Connection, release, write

log = logging.getLogger(__name__)

#: Seconds an ending connection waits for the notes of its last bytes (a Logout)
DRAIN_SECONDS = 2.0

#: submit_many(commands, origin) -> their seq_nos, once they are in ring[in]
SubmitMany = Callable[[list[Command], int], Awaitable[list[int]]]


class JournalMarks:
    """The marks of the FIX sessions of one listener (see the module docstring)."""

    def __init__(self, marks: FixMarks, submit: SubmitMany | None, enabled: bool) -> None:
        self._marks = marks
        self._submit = submit
        #: the host's ``[replication] enabled``: bytes wait for the notes of their numbers
        self.enabled = enabled and submit is not None
        #: origin -> its connections whose bytes may wait for notes
        self._marked: dict[int, list[Connection]] = {}

    def open_files(self, directory: Path, capacity: int, origin: int, name: str) -> SessionFiles:
        """A session's files, adopting the journal's mark when they are behind it."""
        files = SessionFiles(directory, capacity)
        mark = self._marks.get(origin)
        if mark is not None and files.behind(mark.next_sender):
            log.info(
                "FIX session %s: numbers from the journal (next sender %d, next target %d, "
                "reports sent %d)", name, mark.next_sender, mark.next_target, mark.reports_sent,
            )  # fmt: skip
            index = mark.index_records()
            files.adopt(mark.next_sender, mark.next_target, mark.reports_sent, index)
        return files

    def attach(self, live: Connection) -> None:
        """Give ``live`` its marking (only when enabled)."""
        if not self.enabled:
            return
        origin = live.session.origin
        marks, submit = self._marks, self._submit
        assert submit is not None
        mark = marks.get(origin)
        book = MarkBook(0 if mark is None else mark.next_sender)

        def noted() -> int:
            now = marks.get(origin)
            return 0 if now is None else now.noted_seq

        def notes(batch: list[SessionNote]) -> Awaitable[list[int]]:
            return submit(list[Command](batch), origin)

        def send(data: bytes) -> None:
            with contextlib.suppress(ConnectionError, OSError):
                write(live, data, WRITE_LIMIT)

        live.files.index.on_reset = book.reset  # a Logon with ResetSeqNumFlag=Y, later
        logon = live.fix.logon
        if logon is not None and logon.reset_seq_num:  # this one's (its numbers restarted)
            book.reset()
        live.marking = Marking(book, notes, noted, send)
        self._marked.setdefault(origin, []).append(live)

    def noted(self, notes: dict[int, int]) -> None:
        """Sessions' notes came back (origin -> the last one's seq_no): write the bytes that
        waited for them."""
        for origin in notes:
            for live in self._marked.get(origin, ()):
                with contextlib.suppress(ConnectionError, OSError):
                    release(live, WRITE_LIMIT)

    async def drain_all(self) -> None:
        """Wait (bounded) until no connection holds bytes: at the gateway's stop."""
        waits = [
            live.marking.drain(DRAIN_SECONDS)
            for group in self._marked.values()
            for live in group
            if live.marking is not None
        ]
        if waits:
            await asyncio.gather(*waits)

    async def detach(self, live: Connection, *, drain: bool) -> None:
        """``live`` ended: its last bytes go once noted (``drain``, bounded), the rest is
        forgotten."""
        marking = live.marking
        if marking is None:
            return
        if drain:
            await marking.drain(DRAIN_SECONDS)
        marking.cancel()
        self._marked[live.session.origin].remove(live)
