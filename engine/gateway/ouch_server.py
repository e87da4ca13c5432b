"""The OUCH 4.2 / SoupBinTCP 3.0 listener of the gateway process (asyncio; sockets only here).

Each configured OUCH session (``[[firms.sessions]]`` with ``protocol = "ouch"``) logs in with
its name as the SoupBinTCP username and its firm's password. What it is sent is exactly its
report store (``engine.gateway.report_store``), one OUCH message per report
(``engine.gateway.ouch_render``), numbered by the store: a client that logs in asking for
sequence N gets every message from N on, then the live ones, without a gap or a duplicate;
one asking for 0 (or beyond the end) starts with the next message. That holds across
disconnects and host restarts, because the store is a function of the journal.

Orders in: Enter Order becomes a NewOrder for the session's account, its token the client
order id; Cancel Order (all, or reduce to N open) and Replace Order find the session's live
order by token and become a CancelOrder or a ReplaceOrder (its replacement token journaled
as the new client order id): ``engine.gateway.ouch_orders``. What the engine cannot express,
an unknown token, or a message over the session's throttle is refused: the gateway journals a
REFUSED ``SessionNote`` (the token, the reject reason letter) in the message's place among the
session's commands, and the session's Rejected is the report its event makes
(``LOCAL_REJECTED``), stored and sent in journal order like any report; the session stays up.
So every message of the store comes from the journal: a promoted standby rebuilds the store
byte for byte, and a client that logs in there asking for sequence N reads what it would have
read here. A Cancel Order for a token that is not live is ignored, as OUCH does, and so is
an Enter Order or a Replace Order whose (new) token the session used today: OUCH tokens are
day-unique per session, and a client may repeat any message benignly. The orders of one
socket read enter ring[in] together (one claim of the ring, one wake-up of the journaler);
a cancel or replace of an order of that same read waits for the order's seq_no (its order
id). A run of plain Enter Orders takes a compiled fast lane (``engine.gateway.ouch_scan``:
read in place, no packet or message objects) with the same answers; anything else takes the
slow path, message by message.

Cancel on disconnect (the firm's ``cancel_on_disconnect``): when a session's connection ends
other than by the gateway shutting down, every order it entered that is still live is
cancelled, through the journal like any cancel (its Canceled reports wait in the store). The
session can log in again once those cancels are in the sequence (not before): whatever the
new connection sends comes after them.

Fencing (``engine.gateway.fence_gate``): a fenced host sequences nothing, not even a refusal,
so no session's numbering can run ahead of the host that superseded it. A login there is
refused (SESSION_NOT_AVAILABLE, after the password check); a session that is logged in when
the host learns it is fenced is ended by closing its connection, without a sequenced message
and without cancel on disconnect, so its client goes to the new primary.

One connection per session: a second login while one is connected is refused
(SESSION_NOT_AVAILABLE). A failed login gets NOT_AUTHORIZED whichever part was wrong. The
login must come within the gateway's login timeout. Heartbeats both ways
(``engine.protocols.soupbin.liveness``); End of Session at shutdown.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from functools import partial

from engine.config import FirmConfig, SessionConfig
from engine.domain.types import Command, NewOrder, NoteKind, SessionNote
from engine.gateway.fence_gate import FenceGate
from engine.gateway.ledger import Delivered, ReportLedger
from engine.gateway.ouch_frames import render_many, sequenced_packets
from engine.gateway.ouch_orders import OrderMessage, OuchOrders, Refuse
from engine.gateway.ouch_scan import PACKET_SIZE as ENTER_PACKET_SIZE
from engine.gateway.ouch_scan import scan_enters
from engine.gateway.rate_window import RateWindow
from engine.hop_board import Hop, HopBoard
from engine.protocols.ouch import fields as ouch_fields
from engine.protocols.ouch.inbound import CancelOrder, EnterOrder
from engine.protocols.ouch.inbound import ReplaceOrder as OuchReplace
from engine.protocols.ouch.session import OuchServerSession
from engine.protocols.soupbin.events import NEED_DATA, PAUSED, ConnectionClosed, PacketFault
from engine.protocols.soupbin.packets import (
    NOT_AUTHORIZED,
    SESSION_NOT_AVAILABLE,
    LoginRequest,
    LogoutRequest,
)
from engine.protocols.soupbin.server import start_sequence

log = logging.getLogger("sequex.gateway")

READ_CHUNK = 65536
#: How often a connection's clock ticks (heartbeats, a silent peer).
TICK_SECONDS = 0.25
#: The SoupBinTCP length field of an Unsequenced Data packet of one Enter Order.
ENTER_PACKET_LENGTH = ENTER_PACKET_SIZE - 2
#: The SoupBinTCP session name sent in Login Accepted.
SOUP_SESSION = "SEQUEX"

#: submit(commands, origin) -> their seq_nos, once they are in ring[in]
Submit = Callable[[list[Command], int], Awaitable[list[int]]]
#: check(peer address, firm, password) -> whether the password is the firm's (slowed down
#: and logged per peer by the caller)
CheckPassword = Callable[[object, str, str], Awaitable[bool]]


@dataclass
class _Live:
    """A logged-in OUCH connection."""

    session: SessionConfig
    firm: str
    cancel_on_disconnect: bool
    ouch: OuchServerSession
    writer: asyncio.StreamWriter
    #: the session's message-rate throttle
    rate: RateWindow
    #: when the bytes being handled were read (ns since the epoch; ``engine.hop_board``)
    read_at: int = 0


class OuchListener:
    """Serves the configured OUCH sessions of ``firms`` on (host, port)."""

    def __init__(
        self,
        firms: tuple[FirmConfig, ...],
        ledger: ReportLedger,
        submit: Submit,
        check_password: CheckPassword,
        *,
        login_timeout: float = 10.0,
        fast_lane: bool = True,
    ) -> None:
        self._sessions: dict[str, tuple[FirmConfig, SessionConfig]] = {
            s.name: (f, s) for f in firms for s in f.sessions if s.protocol == "ouch"
        }
        self._ledger = ledger
        self._submit = submit
        #: fencing: the server's gate (``engine.gateway.fence_gate``); open until it says so
        self.fence = FenceGate(None)
        self._check_password = check_password
        self._login_timeout = login_timeout
        self._live: dict[int, _Live] = {}  # origin -> its connection
        #: the sessions' order messages as engine commands (``engine.gateway.ouch_orders``)
        self._orders = OuchOrders(lambda: self._ledger.projection, ledger.day_ids.taken)
        self._tasks: set[asyncio.Task[None]] = set()
        self._closing = False
        #: whether plain Enter Orders take the fast lane (``engine.gateway.ouch_scan``); the
        #: answers are the same either way (the tests compare the two)
        self.fast_lane = fast_lane
        #: where the time from a read to its orders in ring[in] is counted (the gateway's)
        self.hops: HopBoard | None = None
        self.server: asyncio.Server | None = None

    @property
    def has_sessions(self) -> bool:
        """Whether any OUCH session is configured (else nothing listens)."""
        return bool(self._sessions)

    async def start(self, host: str, port: int) -> tuple[str, int]:
        self.server = await asyncio.start_server(self._accept, host, port)
        name = self.server.sockets[0].getsockname()
        return name[0], name[1]

    async def close(self) -> None:
        self._closing = True  # connections end now: that is no disconnect of a firm's
        for live in list(self._live.values()):
            with contextlib.suppress(ConnectionError, OSError):
                live.writer.write(live.ouch.soupbin.end_of_session())
        if self.server is not None:
            self.server.close()
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
        if self.server is not None:
            await self.server.wait_closed()
            self.server = None

    # -- reports out ------------------------------------------------------------------------

    def deliver(self, delivered: Delivered) -> None:
        """Send newly stored reports to their sessions, if connected (called in the loop)."""
        for origin, numbered in delivered.items():
            self._orders.answered(origin, numbered)
            live = self._live.get(origin)
            if live is None or not numbered:
                continue
            packets = sequenced_packets(numbered)
            sent = live.ouch.send_packets(packets, len(numbered), first_sequence=numbered[0][0])
            self._write(live, sent)

    def _write(self, live: _Live, data: bytes) -> None:
        if data and not live.writer.transport.is_closing():
            live.writer.write(data)

    # -- connections ------------------------------------------------------------------------

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        ouch = OuchServerSession()
        live: _Live | None = None
        try:
            live = await self._login(reader, writer, ouch)
            if live is not None:
                await self._serve(reader, live)
        except (ConnectionError, OSError, asyncio.CancelledError):
            pass
        except Exception:  # a bug: it ends this connection only, and says so in the log
            who = live.session.name if live is not None else "a connection"
            log.exception("OUCH session %s ended by an internal error", who)
        finally:
            if live is not None and self._live.get(live.session.origin) is live:
                if live.cancel_on_disconnect and not self._closing:
                    with contextlib.suppress(asyncio.CancelledError):
                        await self._cancel_all(live)
                # free for a new login only now: what it sends is sequenced after the cancels
                del self._live[live.session.origin]
            self._tasks.discard(task)
            writer.close()
            with contextlib.suppress(ConnectionError, OSError, asyncio.CancelledError):
                await writer.wait_closed()

    async def _login(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, ouch: OuchServerSession
    ) -> _Live | None:
        deadline = asyncio.get_running_loop().time() + self._login_timeout
        while True:
            event = ouch.next_event()
            if event is NEED_DATA:
                left = deadline - asyncio.get_running_loop().time()
                try:
                    data = await asyncio.wait_for(reader.read(READ_CHUNK), max(left, 0.0))
                except TimeoutError:
                    return None
                ouch.receive_data(data)
                continue
            if isinstance(event, LoginRequest):
                return await self._answer_login(event, writer, ouch)
            return None  # anything else before a login ends the connection

    async def _answer_login(
        self, login: LoginRequest, writer: asyncio.StreamWriter, ouch: OuchServerSession
    ) -> _Live | None:
        entry = self._sessions.get(login.username)
        peer = writer.get_extra_info("peername")
        # an unknown user costs the same check (as a firm of that name, which fails): a
        # configured session name cannot be told apart by the time the answer takes
        firm_name = entry[0].firm if entry is not None else f"?{login.username}"
        ok = await self._check_password(peer, firm_name, login.password)
        if entry is None or not ok:
            writer.write(ouch.reject_login(NOT_AUTHORIZED))
            return None
        firm, session = entry
        if self.fence.reason is not None:  # a fenced host sequences nothing (module docstring)
            writer.write(ouch.reject_login(SESSION_NOT_AVAILABLE))
            return None
        if session.origin in self._live or (
            login.requested_session and login.requested_session != SOUP_SESSION
        ):
            writer.write(ouch.reject_login(SESSION_NOT_AVAILABLE))
            return None
        store = self._ledger.stores[session.origin]
        first = start_sequence(login.requested_sequence_number, store.next_number)
        payloads = render_many(store.read(first, store.count))
        # In one step of the loop: no report can be stored between the replay and going live.
        writer.write(ouch.accept_login(SOUP_SESSION, first) + ouch.replay(payloads))
        live = _Live(
            session, firm.firm, firm.cancel_on_disconnect, ouch, writer,
            RateWindow(session.max_messages_per_second),
        )  # fmt: skip
        self._live[session.origin] = live
        return live

    async def _serve(self, reader: asyncio.StreamReader, live: _Live) -> None:
        ouch = live.ouch
        while True:
            try:
                # (asyncio.timeout, not wait_for: wait_for makes a task and a future for
                # every read, which cost the gateway more than a small read's orders did)
                async with asyncio.timeout(TICK_SECONDS):
                    data = await reader.read(READ_CHUNK)
            except TimeoutError:
                data = None
            if self.fence.reason is not None:
                return  # fenced: the connection closes, nothing sequenced (module docstring)
            if data is not None:
                live.read_at = time.time_ns()
                ouch.receive_data(data)
            self._write(live, ouch.soupbin.tick(time.monotonic_ns()))
            ended = await self.submit_buffered(live)
            if ended or data == b"":
                return

    async def submit_buffered(self, live: _Live) -> bool:
        """Turn what the connection has buffered into commands and put them in ring[in], one
        batch (one ring claim) per run of messages; returns whether the session ended."""
        origin = live.session.origin
        held: OrderMessage | None = None
        while True:
            commands, ended, held = self.take(live, held)
            if commands:
                seq_nos = await self._submit(commands, origin)
                self._orders.sequenced(origin, commands, seq_nos)
                if self.hops is not None:
                    self.hops.record(Hop.ENTERED, live.read_at, len(commands))
            if held is None:
                return ended

    def take(
        self, live: _Live, held: OrderMessage | None = None
    ) -> tuple[list[Command], bool, OrderMessage | None]:
        """What the connection's buffered bytes hold (``held`` first): the commands they make,
        in order, for ring[in]; whether the session ended; and a message held back because it
        names an order of this batch, whose order id (its seq_no) is known only once the
        batch is in ring[in] (submit the batch, then take again with it). A refusal is a
        REFUSED ``SessionNote`` in the refused message's place among the commands. On a
        fenced host nothing is taken and the session ends."""
        ouch = live.ouch
        commands: list[Command] = []
        if self.fence.reason is not None:
            return commands, True, None  # a fenced host sequences nothing
        # once per read: the messages of one read arrived together
        now = time.monotonic_ns()
        refuse = partial(self._refuse, live, commands)
        if held is not None:
            command = self._order_command(live, held, now, refuse)
            if command is not None:
                commands.append(command)
        origin = live.session.origin
        soupbin = ouch.soupbin
        while True:
            window = soupbin.unread(ENTER_PACKET_LENGTH) if self.fast_lane else None
            if window is not None and window[2] - window[1] >= ENTER_PACKET_SIZE:
                self._take_enters(live, window, now, commands)
            event = ouch.next_event()
            if event is NEED_DATA or event is PAUSED:
                return commands, False, None
            if isinstance(event, ConnectionClosed | LogoutRequest):
                return commands, True, None
            if isinstance(event, PacketFault):
                if event.fatal:
                    return commands, True, None
                continue
            if isinstance(event, ouch_fields.MessageFault):
                if event.token is not None:
                    refuse(event.token, event.reject_reason)
                continue
            if isinstance(event, EnterOrder | CancelOrder | OuchReplace):
                if self._orders.names_unsequenced(origin, event):
                    return commands, False, event
                command = self._order_command(live, event, now, refuse)
                if command is not None:
                    commands.append(command)

    def _take_enters(
        self, live: _Live, window: tuple[bytearray, int, int], now: int, commands: list[Command]
    ) -> None:
        """The fast lane: the run of plain Enter Orders at the front of the connection's
        buffered bytes, read in place (``engine.gateway.ouch_scan``), each then throttled and
        checked for a token used today as :meth:`_order_command` does."""
        scanned: list[NewOrder] = []
        session = live.session
        buf, start, end = window
        stop = scan_enters(buf, start, end, live.firm, session.account, scanned)
        if not scanned:
            return
        live.ouch.soupbin.took(stop, len(scanned))

        def over_rate(token: str) -> None:
            self._refuse(live, commands, token, "O")  # over the session's message rate

        self._orders.enter_all(session.origin, scanned, live.rate.over, now, commands, over_rate)

    def _order_command(
        self, live: _Live, msg: OrderMessage, now: int, refuse: Refuse
    ) -> Command | None:
        token = msg.replacement_token if isinstance(msg, OuchReplace) else msg.token
        if live.rate.over(now):
            refuse(token, "O")  # over the session's message rate; it stays up
            return None
        session = live.session
        return self._orders.command(session.origin, live.firm, session.account, msg, refuse)

    async def _cancel_all(self, live: _Live) -> None:
        """Cancel every live order the session entered (cancel on disconnect)."""
        origin = live.session.origin
        if self.fence.reason is not None:
            return  # a fenced host sequences nothing
        cancels = self._orders.cancels_of(origin)
        if cancels:
            await self._submit(cancels, origin)

    @staticmethod
    def _refuse(live: _Live, commands: list[Command], token: str, code: str) -> None:
        """Refuse a message of the session with reject reason ``code``: a REFUSED note in its
        place among ``commands``. The Rejected is its event's report (``LOCAL_REJECTED``,
        ``engine.gateway.outbound``), stored and sent in journal order like any report."""
        note = SessionNote(0, 0, NoteKind.REFUSED, live.session.account, token, ord(code), 0, 0, 0)
        commands.append(note)
