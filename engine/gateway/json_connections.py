"""The JSON lines listener's connections, as part of the gateway server (a mixin of
``engine.gateway.server.GatewayServer``, whose contract it keeps: admission and the operator's
reserve, logins, one answer line per command line, ``order_status``, slow readers cut off).

Named sessions (``[[firms.sessions]]`` with ``protocol = "json"``; ``docs/json-gateway.md``).
A firm's login with ``"session": NAME`` (and ``"from": N``) is checked like any firm login;
a name the firm does not have fails it the same way (``bad_credentials``, after the same
password check). The connection then speaks for the session: its commands carry the session's
stable origin (``engine.session_ids``), so their answers and its firm's order reports land in
its store (``engine.gateway.json_stores``), and it is sent exactly that store, each report
with its number: the stored ones from N on, in chunks that wait for the socket to drain, then
the new ones as they are stored (``ReportCursor``: no gap, no duplicate). It is not in the
session directory: the live routing of anonymous sessions never reaches it. One connection
per session (a second login is ``session_in_use``); a command that names no account trades
for the session's; ``max_messages_per_second`` refuses the lines over it (``throttled``).

The server owns the state these methods use (declared below for the type checker): the
admission, the login desk, the account registry, the session directory and the ledger, and
it submits commands into ring[in] (``_submit``). Sockets only here and in the server.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final

from engine.config import SessionConfig
from engine.domain.types import Command
from engine.gateway.accounts import AccountRegistry
from engine.gateway.admission import Admission, Slot
from engine.gateway.auth import LoginRefusal, Principal
from engine.gateway.directory import SessionDirectory
from engine.gateway.fence_gate import FenceGate
from engine.gateway.json_stores import EventsDelivered, ReportCursor, first_number
from engine.gateway.ledger import ReportLedger
from engine.gateway.logins import LoginDesk
from engine.gateway.order_status import QUERY_TYPE
from engine.gateway.order_status import answer as order_status
from engine.gateway.rate_window import RateWindow
from engine.gateway.validate import FIRM_COMMANDS, Refusal, echoed_client_order_id, validate
from engine.hop_board import Hop, HopBoard
from engine.protocols.json_session import (
    NEED_DATA,
    CommandRequest,
    ConnectionClosed,
    JsonSession,
    Login,
    Logout,
    ProtocolError,
)
from engine.session_ids import MAX_EPHEMERAL

READ_CHUNK = 65536
#: JSON connections are numbered up to here; above are the configured sessions' stable
#: origins (engine.session_ids)
MAX_SESSION_ID = MAX_EPHEMERAL
#: Stored reports a named session is sent at a time while it catches up (then it drains).
REPLAY_CHUNK: Final = 1024


@dataclass
class _Connection:
    session_id: int
    session: JsonSession
    writer: asyncio.StreamWriter
    #: admitted into the operator's reserve: only the operator's login may complete
    reserved: bool
    principal: Principal | None = None
    #: refused after all (a firm's login in the reserve): discard input before closing
    refused: bool = False
    #: a named session's: its config, its place in its store and its throttle
    named: SessionConfig | None = None
    cursor: ReportCursor | None = None
    rate: RateWindow | None = None
    #: when the bytes being handled were read (ns since the epoch; ``engine.hop_board``)
    read_at: int = 0

    @property
    def origin(self) -> int:
        """What its commands are stamped with: the named session's stable origin, else the
        connection's number."""
        return self.session_id if self.named is None else self.named.origin


class JsonConnections:
    """The JSON listener's per-connection work (see the module docstring)."""

    _admission: Admission
    logins: LoginDesk
    _ids: itertools.count[int]
    _write_limit: int
    _login_timeout: float
    _reserve_login_timeout: float
    _max_connections: int
    _refuse_linger: float
    _lingering: int
    _connections: dict[int, _Connection]
    _accounts: AccountRegistry
    _directory: SessionDirectory
    _ledger: ReportLedger
    #: the named sessions' connections, by origin
    _named: dict[int, _Connection]
    #: the throttle's clock (monotonic ns)
    _clock: Callable[[], int]
    _handlers: set[asyncio.Task[None]]
    refused: int
    #: fencing: a fenced host sequences nothing (``engine.gateway.fence_gate``)
    _fence: FenceGate
    #: where the time from a read to its commands in ring[in] is counted (None: nowhere)
    _hops: HopBoard | None

    async def _submit(self, cmd: Command, origin: int) -> int:
        raise NotImplementedError  # the server's: it owns the port into ring[in]

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._handlers.add(task)
        slot = self._admission.admit()
        if slot is None:
            self.refused += 1
        try:
            if slot is not None:
                await self._serve_connection(reader, writer, slot is Slot.RESERVE)
            else:
                await self._refuse(reader, writer)
        except (ConnectionError, OSError):
            pass  # the peer vanished: only this connection ends
        except asyncio.CancelledError:
            # close() cancels us; end normally (Python 3.11's streams log a cancelled handler)
            pass
        finally:
            if slot is not None:
                self._admission.release(slot)
            self._handlers.discard(task)
            writer.close()
            with contextlib.suppress(ConnectionError, OSError, asyncio.CancelledError):
                await writer.wait_closed()

    async def _refuse(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """Over the cap: the error line, end of our output, then discard input until the peer
        closes or ``refuse_linger`` passes (a lingering close; see the Contract)."""
        writer.write(JsonSession().send_too_many_connections(self._max_connections))
        await self._linger(reader, writer)

    async def _linger(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """End our output, then discard input until the peer closes or ``refuse_linger``."""
        if self._lingering >= self._max_connections:
            return  # a flood of refusals: keep no more sockets open for them than the cap
        self._lingering += 1
        try:
            if writer.can_write_eof():
                writer.write_eof()
            async with asyncio.timeout(self._refuse_linger):
                while await reader.read(READ_CHUNK):
                    pass
        except TimeoutError:
            pass
        finally:
            self._lingering -= 1

    async def _serve_connection(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, reserved: bool
    ) -> None:
        session_id = next(self._ids)
        if session_id > MAX_SESSION_ID:
            raise RuntimeError("session ids exhausted")  # never reuse one within a run
        conn = _Connection(session_id, JsonSession(), writer, reserved)
        timeout = self._reserve_login_timeout if reserved else self._login_timeout
        login_deadline = asyncio.get_running_loop().time() + timeout
        try:
            while not writer.is_closing():
                if conn.principal is None:
                    left = login_deadline - asyncio.get_running_loop().time()
                    try:
                        data = await asyncio.wait_for(reader.read(READ_CHUNK), max(left, 0.0))
                    except TimeoutError:
                        self._send(conn, self._login_too_late(conn))
                        break
                else:
                    data = await reader.read(READ_CHUNK)
                conn.read_at = time.time_ns()
                conn.session.receive_data(data)
                if not await self._process(conn):
                    break
        finally:
            self._forget(session_id)
        if conn.refused:
            await self._linger(reader, writer)

    def _login_too_late(self, conn: _Connection) -> bytes:
        if conn.reserved:  # it never said it was the operator: the gateway is full
            self.refused += 1
            return conn.session.send_too_many_connections(self._max_connections)
        return conn.session.send_login_timeout(self._login_timeout)

    async def _login(self, conn: _Connection, login: Login) -> bool:
        """Answer a login; False when the connection must end."""
        session = conn.session
        if conn.reserved and not login.is_admin:
            self.refused += 1
            conn.refused = True
            self._send(conn, session.send_too_many_connections(self._max_connections))
            return False
        peer = conn.writer.get_extra_info("peername")
        named: SessionConfig | None = None
        if login.firm is None:
            result = await self.logins.login_operator(peer, login.password)
        else:
            result = await self.logins.login_firm(
                peer, login.firm, login.password, session=login.session
            )
            if login.session is not None and not isinstance(result, LoginRefusal):
                named = self._ledger.json.find(login.firm, login.session)
                assert named is not None  # the authenticator checked that the firm has it
        if isinstance(result, LoginRefusal):
            self._send(conn, session.send_login_rejected(result.code, result.text))
            return False
        if named is not None:
            return await self._login_named(conn, login, result, named)
        conn.principal = result
        self._send(conn, session.send_login_ok(conn.session_id, result.firm))
        self._connections[conn.session_id] = conn
        self._directory.open(conn.session_id, result)
        return True

    async def _login_named(
        self, conn: _Connection, login: Login, principal: Principal, named: SessionConfig
    ) -> bool:
        """Log ``conn`` in as the named session, then send it its stored reports from the
        number asked for (see the module docstring); False when the connection must end."""
        if named.origin in self._named:
            text = f"session {named.name} is in use by another connection"
            self._send(conn, conn.session.send_login_rejected("session_in_use", text))
            return False
        store = self._ledger.json.stores[named.origin]
        cursor = ReportCursor(store, first_number(login.first, store))
        conn.principal, conn.named, conn.cursor = principal, named, cursor
        conn.rate = RateWindow(named.max_messages_per_second)
        self._named[named.origin] = conn
        self._connections[conn.session_id] = conn
        summary = (named.name, cursor.next, store.count)
        self._send(conn, conn.session.send_login_ok(conn.session_id, principal.firm, summary))
        while not conn.writer.transport.is_closing():
            backlog = cursor.backlog(REPLAY_CHUNK)
            if not backlog:
                break  # live from here, in this step (ReportCursor)
            self._send(conn, conn.session.send_numbered_events(backlog))
            await conn.writer.drain()
        return True

    async def _process(self, conn: _Connection) -> bool:
        """Handle every event now in the session; False when the connection must end."""
        session = conn.session
        while True:
            event = session.next_event()
            match event:
                case CommandRequest(obj=obj, line=line) if self._over_rate(conn):
                    assert conn.rate is not None
                    text = f"over the session's {conn.rate.limit} messages per second"
                    self._send(conn, session.send_error(line, "throttled", text))
                case CommandRequest(obj=obj, line=line) if obj.get("type") == QUERY_TYPE:
                    self._answer_order_status(conn, obj, line)
                case CommandRequest(line=line) if self._fence.reason is not None:
                    text = self._fence.refusal() or "fenced"  # nothing more is sequenced
                    self._send(conn, session.send_error(line, "fenced", text))
                case CommandRequest(obj=obj, line=line):
                    assert conn.principal is not None  # the session allows commands after login
                    named = conn.named
                    if named and "account" not in obj and obj.get("type") in FIRM_COMMANDS:
                        obj = {**obj, "account": named.account}  # the session's account
                    result = validate(conn.principal, obj, 0, self._accounts)
                    if isinstance(result, Refusal):
                        self._send(conn, session.send_error(line, result.code, result.text))
                    else:
                        seq_no = await self._submit(result, conn.origin)
                        if self._hops is not None:
                            self._hops.record(Hop.ENTERED, conn.read_at)
                        cid = echoed_client_order_id(obj)
                        self._send(conn, session.send_sequenced(line, seq_no, cid))
                case Login():
                    if not await self._login(conn, event):
                        return False
                case Logout():
                    self._forget(conn.session_id)
                    self._send(conn, session.send_logged_out())
                    return False
                case ProtocolError(code=code, text=text, line=line, fatal=fatal):
                    self._send(conn, session.send_error(line, code, text))
                    if fatal:
                        return False
                case ConnectionClosed():
                    return False
                case _:
                    assert event is NEED_DATA, event  # PAUSED cannot happen: logins are answered
                    return True

    def _over_rate(self, conn: _Connection) -> bool:
        """Count a line of a named session against its throttle; whether it is over."""
        return conn.rate is not None and conn.rate.over(self._clock())

    def _answer_order_status(self, conn: _Connection, obj: dict[str, Any], line: int) -> None:
        """A firm's ``order_status`` query, answered from the live-order table."""
        principal = conn.principal
        assert principal is not None
        if principal.firm is None:
            text = f"{QUERY_TYPE!r} is not permitted for the operator"
            self._send(conn, conn.session.send_error(line, "not_permitted", text))
            return
        result = order_status(obj, line, principal.firm, self._ledger.projection, self._accounts)
        if isinstance(result, tuple):
            self._send(conn, conn.session.send_error(line, *result))
        else:
            self._send(conn, conn.session.send_answer(result))

    def _send(self, conn: _Connection, data: bytes) -> None:
        transport = conn.writer.transport
        if transport.is_closing():
            return
        conn.writer.write(data)
        if transport.get_write_buffer_size() > self._write_limit:
            # A slow consumer: cut it off rather than let the shared ring[events] wait on it.
            self._forget(conn.session_id)
            transport.abort()

    def _forget(self, session_id: int) -> None:
        """The session no longer takes reports (a no-op if it never logged in)."""
        conn = self._connections.pop(session_id, None)
        if conn is not None:
            self._directory.close(session_id)
            if conn.named is not None and self._named.get(conn.named.origin) is conn:
                del self._named[conn.named.origin]

    # -- reports ---------------------------------------------------------------------------

    def _deliver_named(self, delivered: EventsDelivered) -> None:
        """Send the named sessions their newly stored reports (called in the loop, in the
        step that stored them)."""
        for origin, run in delivered.items():
            conn = self._named.get(origin)
            if conn is None or conn.cursor is None or not conn.session.can_send_reports:
                continue
            fresh = conn.cursor.fresh(run.numbered())
            if fresh:
                self._send(conn, conn.session.send_numbered_events(fresh))
