"""The FIX 4.4 acceptor of the gateway process (asyncio; sockets only here).

Each configured FIX session (``[[firms.sessions]]`` with ``protocol = "fix"``) logs on with
its name as SenderCompID(49), the ``[endpoints] fix_target_comp_id`` as TargetCompID(56),
its firm as Username(553) and the firm's password as Password(554). Anything wrong gets the
same Logout text (``engine.gateway.fix_logon``, where the Logon is answered), logged with the
peer's address and slowed down like every failed login of the gateway
(``engine.gateway.logins``); a second connection of a session already logged on is refused
too. The Logon must come within the gateway's login timeout. The session itself (heartbeats,
TestRequest, ResendRequest with gap fills, Reject, Logout) is ``engine.protocols.fix.session``.

What a session is sent is its report store (``engine.gateway.report_store``), one FIX message
per report (``engine.gateway.fix_render``), in store order. FIX numbers those messages with
MsgSeqNums that also count session messages, so the session remembers the number of the last
report it sent; after an accepted Logon it is sent every report after that number (what it
missed while away, or while the host was down), then the live ones: never a gap, never one
twice. Its MsgSeqNums, the messages it sent (for ResendRequest; older ExecutionReports are
rendered again from the report store, ``engine.gateway.fix_history``) and that number live in
``DATA_DIR/fix/<firm>/<session>/`` (``engine.gateway.fix_files``) and survive reconnects and
host restarts; everything a socket write describes is handed to the OS before the write.
What is sent, and in what parts (a day of missed reports, or a ResendRequest for all of it,
goes out a part at a time as the socket drains), is ``engine.gateway.fix_outbox``.

Orders in (``engine.gateway.fix_orders``): NewOrderSingle, OrderCancelRequest and
OrderCancelReplaceRequest become domain commands submitted through the gateway; what is
refused before sequencing (a malformed or unserved message, a ClOrdID too long or used today,
an account of another firm, an unknown order, a message over the session's
``max_messages_per_second``) is answered at once on the connection (those answers are in the
message store, so a resend repeats them) and the session stays up.

Failover (a host with ``[replication] enabled``): every byte that carries a MsgSeqNum the
journal does not cover yet waits until the session's sequence notes come back through the
journal (``engine.gateway.fix_marks``, ``engine.gateway.fix_hold``), so a promoted standby
opens the session's files from the journal's mark (``SessionFiles.adopt``) and the client
logs on there with its next MsgSeqNum and NextExpectedMsgSeqNum(789) as if nothing happened.

Fencing: a fenced host sequences nothing, so it sends nothing that takes a MsgSeqNum (the
number would be used again by the host that superseded it): a connection is closed without
a message (a Logon, an order, a heartbeat due), and the reason is logged.

Cancel on disconnect (the firm's ``cancel_on_disconnect``): when a session's connection ends
other than by the gateway shutting down, every order it entered that is still live is
cancelled through the journal like any cancel; the reports wait in its store for its next
Logon.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

from engine.config import FirmConfig, SessionConfig
from engine.domain.types import Command
from engine.gateway.accounts import AccountRegistry
from engine.gateway.clordids import InFlight, Known
from engine.gateway.fence_gate import FenceGate
from engine.gateway.fix_batch import OrderBatch
from engine.gateway.fix_failover import JournalMarks, SubmitMany
from engine.gateway.fix_files import DEFAULT_CAPACITY, SessionFiles
from engine.gateway.fix_logon import READ_CHUNK, logon
from engine.gateway.fix_orders import PendingOrders, command_for, throttled
from engine.gateway.fix_outbox import (
    REPORT_BATCH,
    RESEND_BATCH,
    WRITE_LIMIT,
    Connection,
    flush,
    pump,
    send_reports,
)
from engine.gateway.ledger import Delivered, ReportLedger
from engine.gateway.outbound import OrderReport
from engine.hop_board import Hop, HopBoard
from engine.protocols.fix.codec import FixMessage, OutboundMessage
from engine.protocols.fix.events import SessionConfig as FixConfig
from engine.protocols.fix.messages import (
    NewOrderSingle,
    OrderCancelReplaceRequest,
    OrderCancelRequest,
    parse_application,
)
from engine.protocols.fix.session import (
    NEED_DATA,
    PAUSED,
    ApplicationMessage,
    FixSession,
    SessionClosed,
    State,
)
from engine.protocols.fix.store import MemoryStore

log = logging.getLogger(__name__)

#: The longest a connection waits for input before its clock ticks (heartbeats, timeouts).
TICK_SECONDS = 0.25
SUBDIR = "fix"
#: The longest a connection waits for input while bytes wait for their notes
HOLD_TICK_SECONDS = 0.002
_ORDERS = (NewOrderSingle, OrderCancelRequest, OrderCancelReplaceRequest)

#: submit(command, origin) -> its seq_no, once it is in ring[in]
Submit = Callable[[Command, int], Awaitable[int]]
#: check(peer address, firm, password) -> whether the password is the firm's (the check slows
#: down repeated failures from one address and logs each with it: engine.gateway.logins)
CheckPassword = Callable[[object, str, str], Awaitable[bool]]


class FixListener:
    """Serves the configured FIX sessions of ``firms`` on (host, port)."""

    def __init__(
        self,
        firms: tuple[FirmConfig, ...],
        ledger: ReportLedger,
        submit: Submit,
        check_password: CheckPassword,
        accounts: AccountRegistry,
        *,
        data_dir: str | Path,
        comp_id: str = "SEQUEX",
        login_timeout: float = 10.0,
        store_capacity: int = DEFAULT_CAPACITY,
        resend_batch: int = RESEND_BATCH,
        report_batch: int = REPORT_BATCH,
        replicated: bool = False,
        submit_many: SubmitMany | None = None,
    ) -> None:
        self._sessions: dict[str, tuple[FirmConfig, SessionConfig]] = {
            s.name: (f, s) for f in firms for s in f.sessions if s.protocol == "fix"
        }
        self._ledger = ledger
        self._submit = submit
        #: one claim for several commands (``GatewayServer._submit_many``); None: one by one
        self._submit_commands = submit_many
        #: the sessions' numbers in the journal (``engine.gateway.fix_failover``)
        self._marks = JournalMarks(ledger.fix_marks, submit_many, replicated)
        #: fencing: the server's gate (``engine.gateway.fence_gate``); open until it says so
        self.fence = FenceGate(None)
        self._check_password = check_password
        self._accounts = accounts
        self._directory = Path(data_dir) / SUBDIR
        self._config = FixConfig(comp_id=comp_id, resend_batch=resend_batch)
        self._batch = report_batch
        self._login_timeout = login_timeout
        self._capacity = store_capacity
        self._files: dict[int, SessionFiles] = {}  # origin -> its files, once it logged on
        self._live: dict[int, Connection] = {}  # origin -> its connection
        self._tasks: set[asyncio.Task[None]] = set()
        self._last_local_id = 0
        self._in_flight = InFlight()
        self._closing = False
        #: sessions sent reports whose bytes are not written yet (see ``deliver``)
        self._unflushed: dict[int, Connection] = {}
        self._flush_soon = False
        #: where the time from a read to its orders in ring[in] is counted (the gateway's)
        self.hops: HopBoard | None = None
        self.server: asyncio.Server | None = None

    @property
    def has_sessions(self) -> bool:
        """Whether any FIX session is configured (else nothing listens)."""
        return bool(self._sessions)

    async def start(self, host: str, port: int) -> tuple[str, int]:
        self.server = await asyncio.start_server(self._accept, host, port)
        name = self.server.sockets[0].getsockname()
        return name[0], name[1]

    async def close(self) -> None:
        """Log every session out, stop listening, close the files (synced)."""
        self._closing = True  # connections end now: that is no disconnect of a firm's
        now = time.time_ns()
        for live in list(self._live.values()):
            if live.fix.state is State.ACTIVE:
                live.fix.logout("the exchange is closing", now)
            with contextlib.suppress(ConnectionError, OSError):
                self._flush(live)
        await self._marks.drain_all()  # the Logouts go once noted (bounded)
        self._live.clear()
        if self.server is not None:
            self.server.close()
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
        if self.server is not None:
            await self.server.wait_closed()
            self.server = None
        _sync([fd for files in self._files.values() for fd in files.sync_fds()])
        for files in self._files.values():
            files.close()
        self._files.clear()

    async def sync(self) -> None:
        """fdatasync every session's files, off the loop (see ``engine.gateway.fix_files``)."""
        fds = [fd for files in self._files.values() for fd in files.sync_fds()]
        if fds:
            await asyncio.to_thread(_sync, fds)

    # -- reports out ------------------------------------------------------------------------

    def deliver(self, delivered: Delivered) -> None:
        """Send newly stored reports to their sessions, if logged on (called in the loop).

        The bytes go out once the loop is done with the batch of reports this call is part
        of (one flush and one socket write per session per batch, not per command)."""
        for origin, numbered in delivered.items():
            live = self._live.get(origin)
            if live is not None:
                self._send_reports(live, numbered)
                self._unflushed[origin] = live
        if self._unflushed and not self._flush_soon:
            self._flush_soon = True
            asyncio.get_running_loop().call_soon(self._flush_delivered)

    def _flush_delivered(self) -> None:
        self._flush_soon = False
        unflushed, self._unflushed = self._unflushed, {}
        for origin, live in unflushed.items():
            if self._live.get(origin) is live:  # one that ended was flushed as it ended
                with contextlib.suppress(ConnectionError, OSError):
                    self._flush(live)

    def _send_reports(self, live: Connection, numbered: list[tuple[int, OrderReport]]) -> None:
        send_reports(live, self._ledger.stores[live.session.origin], numbered, self._batch)

    def _flush(self, live: Connection) -> None:
        if self.fence.reason is not None:  # nothing numbered leaves a fenced host
            self._cut(live.writer, live.session.name)
            return
        flush(live, WRITE_LIMIT)

    def _cut(self, writer: asyncio.StreamWriter, session: str) -> None:
        """Close a connection of a fenced host without a message (logged)."""
        if not writer.transport.is_closing():
            log.warning("FIX session %s closed without a message: %s", session, self.fence.reason)
            writer.transport.abort()

    def noted(self, notes: dict[int, int]) -> None:
        """Sessions' sequence notes came back: write what waited for them."""
        self._marks.noted(notes)

    # -- connections ------------------------------------------------------------------------

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        fix = FixSession(self._config, MemoryStore(capacity=16))
        live: Connection | None = None
        try:
            live = await logon(self, reader, writer, fix)
            if live is not None:
                await self._serve(reader, live)
        except (ConnectionError, OSError, asyncio.CancelledError):
            pass
        finally:
            if live is not None and self._live.get(live.session.origin) is live:
                del self._live[live.session.origin]
                with contextlib.suppress(ConnectionError, OSError):
                    self._flush(live)
                if live.cancel_on_disconnect and not self._closing:
                    with contextlib.suppress(asyncio.CancelledError):
                        await self._cancel_all(live)
            if live is not None:  # its last bytes (a Logout) go once noted
                with contextlib.suppress(asyncio.CancelledError):
                    await self._marks.detach(live, drain=not self._closing)
            self._tasks.discard(task)
            writer.close()
            with contextlib.suppress(ConnectionError, OSError, asyncio.CancelledError):
                await writer.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, live: Connection) -> None:
        fix, store = live.fix, self._ledger.stores[live.session.origin]
        while True:
            more = pump(live, store, self._batch)  # the next part of a large answer, if any
            now = time.time_ns()
            deadline = fix.next_deadline_ns()
            wait = TICK_SECONDS if deadline is None else (deadline - now) / 1e9
            wait = 0.0 if more else wait
            behind = fix.resending or live.files.seqnums.reports_sent < store.count
            if behind and live.marking is not None and live.marking.holding:
                wait = min(wait, HOLD_TICK_SECONDS)  # a next part once the held ones are out
            try:
                # asyncio.timeout, not wait_for: wait_for wraps every read in a task of its
                # own, about 7 us more a read (and under load a read holds an order or two)
                async with asyncio.timeout(min(max(wait, 0.0), TICK_SECONDS)):
                    data = await reader.read(READ_CHUNK)
            except TimeoutError:
                data = None
            now = time.time_ns()
            if data is not None:
                live.read_at = now
                fix.receive_data(data, now)
            closed = fix.tick(now) is not None or await self._events(live)
            self._flush(live)
            if closed or data == b"":  # the session closes at end of input anyway
                return

    async def _events(self, live: Connection) -> bool:
        """Handle the session's events now buffered; whether the session closed. The
        NewOrderSingles among them go into ring[in] together (one claim, one wake-up of the
        journaler: :class:`OrderBatch`), as OUCH's orders of one read do."""
        batch = OrderBatch()
        try:
            while True:
                event = live.fix.next_event()
                if event is NEED_DATA or event is PAUSED:
                    return False
                if isinstance(event, SessionClosed):
                    return True
                if isinstance(event, ApplicationMessage):
                    await self._application(live, event.message, batch)
        finally:
            await self._submit_batch(live, batch)

    # -- orders in --------------------------------------------------------------------------

    async def _application(self, live: Connection, message: FixMessage, batch: OrderBatch) -> None:
        now = time.time_ns()
        parsed = parse_application(message)
        if not batch.may_take(parsed):
            # it may name an order of the batch (or reuse its ClOrdID): what it finds must
            # include the batch's orders, which only their seq_nos make known
            await self._submit_batch(live, batch)
        over = isinstance(parsed, _ORDERS) and live.rate.over(now)
        origin = live.sender.origin
        result = command_for(
            live.sender, parsed, self._accounts, self._ledger.projection,
            lambda client_order_id: self._known(origin, client_order_id),
            exec_id=self._local_id(now), now_ns=now, pending=self._pending(origin),
        )  # fmt: skip
        if self.fence.reason is not None:
            # a fenced host sequences nothing, and answers nothing: an answer would take a
            # MsgSeqNum the host that superseded this one uses too
            self._cut(live.writer, live.session.name)
        elif (
            over and isinstance(parsed, _ORDERS) and not isinstance(result, OutboundMessage | None)
        ):
            # over the rate nothing is sequenced; what the gateway answers itself (a refusal,
            # a resent order's status: never a "throttled" reject of a live order) is answered
            limit, xid = live.rate.limit, self._local_id(now)
            self._answer(live, throttled(parsed, limit, exec_id=xid, now_ns=now), now)
        elif isinstance(result, OutboundMessage):
            self._answer(live, result, now)
        elif result is not None:
            batch.add(getattr(parsed, "cl_ord_id", ""), result)

    async def _submit_batch(self, live: Connection, batch: OrderBatch) -> None:
        """Put the batch's commands into ring[in] (none on a fenced host), then empty it."""
        commands = batch.take()
        if not commands or self.fence.reason is not None:
            return
        origin = live.sender.origin
        if self._submit_commands is not None:
            seq_nos = await self._submit_commands(commands, origin)
        else:
            seq_nos = [await self._submit(command, origin) for command in commands]
        for seq_no, command in zip(seq_nos, commands, strict=True):
            self._in_flight.sent(origin, seq_no, command)
        if self.hops is not None:
            self.hops.record(Hop.ENTERED, live.read_at, len(commands))

    def _pending(self, origin: int) -> PendingOrders:
        """What session ``origin``'s ClOrdIDs in flight name, for its cancels and replaces."""
        through = self._ledger.through_seq
        return lambda client_order_id: self._in_flight.order(origin, client_order_id, through)

    def _known(self, origin: int, client_order_id: str) -> Known | None:
        """What a ClOrdID of session ``origin`` named today (the ledger's, or in flight)."""
        known = self._ledger.known(origin, client_order_id)
        return known or self._in_flight.get(origin, client_order_id, self._ledger.through_seq)

    async def _cancel_all(self, live: Connection) -> None:
        """Cancel every live order the session entered (its firm's cancel on disconnect)."""
        origin = live.sender.origin
        if self.fence.reason is not None:
            return  # a fenced host sequences nothing
        for cancel in self._ledger.projection.cancels_of(origin):
            await self._submit(cancel, origin)

    def _answer(self, live: Connection, message: OutboundMessage, now: int) -> None:
        if live.fix.state is State.ACTIVE:
            live.fix.send(message, now)

    def _local_id(self, now: int) -> str:
        """An ExecID for an answer the gateway makes itself: ``L`` and a number that only
        grows (unlike ``<seq_no>-<sub>`` of the reports, it names no journaled event)."""
        self._last_local_id = max(self._last_local_id + 1, now)
        return f"L{self._last_local_id}"


def _sync(fds: list[int]) -> None:
    for fd in fds:
        try:
            os.fdatasync(fd)
        finally:
            os.close(fd)
