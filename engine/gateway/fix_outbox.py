"""What a logged-on FIX connection is sent, and in what parts (the writing half of the
gateway's FIX acceptor, ``engine.gateway.fix_server``; asyncio transports only).

A session is sent its report store (``engine.gateway.report_store``), one FIX message per
report (``engine.gateway.fix_render``), in store order: :func:`send_reports` sends the
reports after the number of the last one sent (kept in the session's ``seqnums``,
``engine.gateway.fix_files``), never one twice, never with a gap. :func:`flush` hands the
numbers and messages to the OS, then the bytes to the socket, in that order; it cuts off a
session with more than :data:`WRITE_LIMIT` bytes waiting (one that does not read: what it
missed is resent after its next Logon, never lost). On a host with replication enabled the
connection has a ``marking`` (``engine.gateway.fix_hold``): the bytes then go through it,
and those carrying MsgSeqNums the journal does not cover yet wait for their notes
(:func:`release` writes them when the notes come back).

**Parts.** Two answers can be as large as a session's day: the reports it missed while away
(sent after its Logon) and a ResendRequest for everything it was sent (after it lost its own
state). Sent at once, they would stall the event loop while rendered, and could exceed
:data:`WRITE_LIMIT` on a socket that drains at a network's pace: cut off, then asked for
again at the next Logon, forever. So a resend goes :data:`RESEND_BATCH` MsgSeqNums at a
time (``FixSession.resend_more``) and the reports behind :data:`REPORT_BATCH` at a time
(the resend first: what is sent meanwhile takes later numbers, which the client holds until
its gap is filled), and :func:`pump` sends a next part only while fewer than
:data:`PART_BYTES` wait in the socket's buffer. The caller pumps before every wait for input,
and waits not at all while parts are left and the socket takes them: one part per step of
the event loop, so the other sessions are served in between.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from typing import Final

from engine.config import SessionConfig
from engine.gateway.fix_files import SessionFiles
from engine.gateway.fix_frames import report_bodies
from engine.gateway.fix_hold import Marking
from engine.gateway.fix_marks import MarkBook
from engine.gateway.fix_orders import Sender
from engine.gateway.fix_render import render
from engine.gateway.outbound import OrderReport
from engine.gateway.rate_window import RateWindow
from engine.gateway.report_store import ReportStore
from engine.protocols.fix.session import FixSession, State
from engine.protocols.fix.tags import MsgType

#: MsgType(35) of the reports written straight from the report
EXECUTION_REPORT: Final = str(MsgType.EXECUTION_REPORT)
#: Bytes waiting for a session that does not read before it is cut off.
WRITE_LIMIT: Final = 16 * 1024 * 1024
#: MsgSeqNums of a ResendRequest answered at a time (``SessionConfig.resend_batch``).
RESEND_BATCH: Final = 2000
#: Reports a session behind its store is sent at a time.
REPORT_BATCH: Final = 2000
#: A next part is sent only while fewer bytes than this wait in the socket's buffer.
PART_BYTES: Final = 1024 * 1024


@dataclass
class Connection:
    """A logged-on FIX connection."""

    session: SessionConfig
    sender: Sender
    fix: FixSession
    files: SessionFiles
    writer: asyncio.StreamWriter
    rate: RateWindow
    cancel_on_disconnect: bool = False
    #: replication enabled: the bytes wait for the notes that cover their MsgSeqNums
    marking: Marking | None = None
    #: when the bytes being handled were read (ns since the epoch; ``engine.hop_board``)
    read_at: int = 0


def send_reports(
    live: Connection,
    store: ReportStore,
    numbered: list[tuple[int, OrderReport]],
    batch: int = REPORT_BATCH,
) -> None:
    """Send the reports after the last one sent: ``numbered`` (just stored) when they follow
    on, else up to ``batch`` read from ``store`` (after a Logon, or in :func:`pump`), unless
    a part waits in the socket's buffer already."""
    seqnums = live.files.seqnums
    if not numbered or numbered[0][0] != seqnums.reports_sent + 1:
        if busy(live):
            return  # behind, and the socket is busy: pump goes on once it drains
        seqnums.reports_sent = min(seqnums.reports_sent, store.count)
        first = seqnums.reports_sent + 1
        numbered = list(enumerate(store.read(first, first + batch - 1), start=first))
    book = None if live.marking is None else live.marking.book
    render_into(live.fix, live.files, numbered, time.time_ns(), book)


def render_into(
    fix: FixSession,
    files: SessionFiles,
    numbered: list[tuple[int, OrderReport]],
    now: int,
    book: MarkBook | None = None,
) -> None:
    """Send each of ``numbered`` that follows the last report sent (``files.seqnums``), while
    the session is active: ExecutionReports written straight from the reports
    (``engine.gateway.fix_frames``, one encoding for the wire and the message store), a run
    of consecutive ones at once (``FixSession.send_encoded_run``), any other report rendered
    by ``engine.gateway.fix_render`` and encoded by the session. What is sent, stored and
    indexed is what one report at a time would give (``tests/engine/test_fix_outbox_runs.py``)."""
    seqnums, index = files.seqnums, files.index
    i, count = 0, len(numbered)
    while i < count and fix.state is State.ACTIVE:
        number, report = numbered[i]
        if number != seqnums.reports_sent + 1:
            i += 1
            continue
        bodies = report_bodies(numbered, i, number)
        if bodies:
            seq = fix.send_encoded_run(EXECUTION_REPORT, bodies, now)
            index.note_run(seq, number, len(bodies), now)  # resendable once the store forgets
            if book is not None:
                for k in range(len(bodies)):
                    book.sent(seq + k, number + k, now)  # the journal's copy of the index
            seqnums.reports_sent = number + len(bodies) - 1
            i += len(bodies)
        else:
            seq = fix.send(render(report), now)
            index.note(seq, number, now)
            if book is not None:
                book.sent(seq, number, now)
            seqnums.reports_sent = number
            i += 1


def flush(live: Connection, write_limit: int = WRITE_LIMIT) -> None:
    """Numbers and messages to the OS, then the bytes to the socket (in that order)."""
    seqnums = live.files.seqnums
    seqnums.next_sender = live.fix.next_sender_seq
    seqnums.next_target = live.fix.next_target_seq
    live.files.flush()
    data = live.fix.data_to_send()
    marking = live.marking
    if marking is not None:  # what carries numbers the journal does not hold waits for it
        data = marking.take(data, seqnums.next_sender, seqnums.next_target, seqnums.reports_sent)
    write(live, data, write_limit)


def release(live: Connection, write_limit: int = WRITE_LIMIT) -> None:
    """Write the held bytes whose notes came back (replication enabled)."""
    if live.marking is not None:
        write(live, live.marking.ready(), write_limit)


def write(live: Connection, data: bytes, write_limit: int = WRITE_LIMIT) -> None:
    """``data`` to the socket, unless it is closing; cut off a session that does not read."""
    transport = live.writer.transport
    if data and not transport.is_closing():
        live.writer.write(data)
        if transport.get_write_buffer_size() > write_limit:
            transport.abort()  # a session that does not read: it resends on its Logon


def busy(live: Connection) -> bool:
    """Whether a part waits already: in the socket's buffer, or held for its notes."""
    waiting = live.writer.transport.get_write_buffer_size()
    if live.marking is not None:
        waiting += live.marking.holding
    return waiting >= PART_BYTES


def pump(live: Connection, store: ReportStore, batch: int = REPORT_BATCH) -> bool:
    """Send the next part of a resend under way, else of the reports the session is behind
    on, if the socket is not busy (see the module docstring). Whether a part went out and
    more are left: the caller comes back at once, after letting the other tasks run."""
    transport = live.writer.transport
    if live.fix.state is not State.ACTIVE or transport.is_closing():
        return False
    if busy(live):
        return False  # busy: again at the connection's next read or tick
    if live.fix.resending:
        live.fix.resend_more(time.time_ns())
    elif live.files.seqnums.reports_sent < store.count:
        send_reports(live, store, [], batch)
    else:
        return False
    flush(live)
    return live.fix.resending or live.files.seqnums.reports_sent < store.count
