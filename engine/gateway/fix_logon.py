"""A FIX connection's Logon, for the gateway's FIX listener (``engine.gateway.fix_server``).

:func:`logon` reads until the connection's first message is answered. The session is the one
its SenderCompID(49) names, logged on when Username(553) is its firm and Password(554) the
firm's password; anything wrong gets the same Logout text (:data:`LOGON_REFUSED`), after the
same password check (an unknown session costs the check of a firm of that name, which fails),
so neither can be told apart by the time it takes. A session already logged on is refused
(:data:`SESSION_BUSY`). On an accepted Logon the session's files are opened (once a process),
its MsgSeqNums restored, and every report after the last one it was sent goes out in the same
step of the loop as it goes live: no report can be stored in between. A fenced host answers
nothing (its Logout would take a number). These are the listener's own parts and use its
internals, as ``engine.protocols.fix.session_admin`` does for the session.
"""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING

from engine.gateway.fix_history import ReportHistory
from engine.gateway.fix_orders import Sender
from engine.gateway.fix_outbox import Connection
from engine.gateway.rate_window import RateWindow
from engine.protocols.fix.session import NEED_DATA, FixSession, LogonRequest, SessionClosed, State

if TYPE_CHECKING:
    from engine.gateway.fix_server import FixListener

__all__ = ["LOGON_REFUSED", "READ_CHUNK", "SESSION_BUSY", "logon"]

READ_CHUNK = 65536
#: The one answer to a Logon refused for its CompID, Username or Password.
LOGON_REFUSED = "logon refused: unknown SenderCompID, Username or Password"
SESSION_BUSY = "logon refused: this SenderCompID is already logged on"


async def logon(
    self: FixListener, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, fix: FixSession
) -> Connection | None:
    """Read until the connection's Logon is answered (within the login timeout): the live
    connection, or None (refused, timed out, closed, or on a fenced host)."""
    deadline = asyncio.get_running_loop().time() + self._login_timeout
    while True:
        event = fix.next_event()
        if event is NEED_DATA:
            left = deadline - asyncio.get_running_loop().time()
            try:
                data = await asyncio.wait_for(reader.read(READ_CHUNK), max(left, 0.0))
            except TimeoutError:
                return None
            fix.receive_data(data, time.time_ns())
        elif isinstance(event, LogonRequest):
            return await _answer(self, event, writer, fix)
        elif isinstance(event, SessionClosed):  # not a Logon, or a bad one
            writer.write(fix.data_to_send())
            return None


async def _answer(
    self: FixListener, logon: LogonRequest, writer: asyncio.StreamWriter, fix: FixSession
) -> Connection | None:
    entry = self._sessions.get(logon.sender_comp_id)
    username = logon.username or ""
    peer = writer.get_extra_info("peername")
    # an unknown session, or a Username that is not its firm, costs the same check (as a
    # firm of that name, which fails): neither can be told apart by the time it takes
    known = entry is not None and entry[0].firm == username
    firm_name = username if known else f"?{username or logon.sender_comp_id}"
    ok = await self._check_password(peer, firm_name, logon.password or "")
    now = time.time_ns()
    if self.fence.reason is not None:  # its Logout would take a number: no answer
        self._cut(writer, logon.sender_comp_id)
        return None
    if entry is None or not known or not ok:
        fix.reject_logon(LOGON_REFUSED, now)
        writer.write(fix.data_to_send())
        return None
    firm, session = entry
    if session.origin in self._live:
        fix.reject_logon(SESSION_BUSY, now)
        writer.write(fix.data_to_send())
        return None
    files = self._files.get(session.origin)
    if files is None:
        where = self._directory / firm.firm / session.name
        files = self._marks.open_files(where, self._capacity, session.origin, session.name)
        self._files[session.origin] = files
    seqnums = files.seqnums
    history = ReportHistory(files.store, files.index, self._ledger.stores[session.origin])
    fix.accept_logon(
        now, next_sender_seq=seqnums.next_sender, next_target_seq=seqnums.next_target,
        store=history,
    )  # fmt: skip
    sender = Sender(firm.firm, session.origin, session.account)
    rate = RateWindow(session.max_messages_per_second)
    live = Connection(session, sender, fix, files, writer, rate, firm.cancel_on_disconnect)
    self._marks.attach(live)
    if fix.state is State.ACTIVE:
        # In one step of the loop: no report can be stored between these and going live.
        self._send_reports(live, [])
        self._live[session.origin] = live
    self._flush(live)
    if fix.state is State.CLOSED:  # its Logout goes once noted
        await self._marks.detach(live, drain=True)
        return None
    return live
