"""In-process fake OUCH and FIX servers for the loadgen adapter tests: the project's own
server-side sans-IO sessions (SoupBinTCP ``ServerSession`` through ``OuchServerSession``, FIX
``FixSession``) on asyncio sockets, over a :class:`ToyExchange`. Test support only: no
sequencing, no journal; a login is checked against a fixed password table."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import time
from dataclasses import dataclass, field
from typing import Any

from engine.domain.types import ExpireReason, OrderType, Side, TimeInForce
from engine.protocols import ouch
from engine.protocols.fix import reports
from engine.protocols.fix.events import (
    NEED_DATA,
    PAUSED,
    ApplicationMessage,
    LogonRequest,
    SessionClosed,
)
from engine.protocols.fix.messages import NewOrderSingle, parse_application
from engine.protocols.fix.session import FixSession, SessionConfig
from engine.protocols.fix.store import MemoryStore
from engine.protocols.ouch.fields import TIF_IOC, TIF_MARKET_HOURS
from engine.protocols.soupbin import NEED_DATA as SOUP_NEED_DATA
from engine.protocols.soupbin import NOT_AUTHORIZED, ConnectionClosed, LoginRequest, PacketFault
from engine.protocols.soupbin import PAUSED as SOUP_PAUSED
from tests.tools.loadgen.toy_exchange import Outcome, ToyExchange

PASSWORDS = {"ALPHA": "alpha-pass", "BETA": "beta-pass"}
_OUCH_TIFS = {TIF_IOC: TimeInForce.IOC, TIF_MARKET_HOURS: TimeInForce.DAY}


@dataclass
class _Server:
    """The asyncio listener both fakes share."""

    exchange: ToyExchange[Any] = field(default_factory=ToyExchange)
    port: int = 0
    _server: asyncio.Server | None = None
    _handlers: set[asyncio.Task[None]] = field(default_factory=set)

    async def start(self) -> int:
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self.port

    async def stop(self) -> None:
        assert self._server is not None
        self._server.close()
        for task in list(self._handlers):
            task.cancel()
        await asyncio.gather(*self._handlers, return_exceptions=True)
        await self._server.wait_closed()

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._handlers.add(task)
        try:
            await self.serve(reader, writer)
        except (ConnectionError, asyncio.CancelledError):
            pass
        finally:
            self._handlers.discard(task)
            writer.close()
            with contextlib.suppress(ConnectionError, OSError):
                await writer.wait_closed()

    async def serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        raise NotImplementedError


# -- OUCH ----------------------------------------------------------------------------------------


@dataclass
class _OuchConnection:
    session: ouch.OuchServerSession
    writer: asyncio.StreamWriter
    orders: dict[str, ouch.EnterOrder] = field(default_factory=dict)


@dataclass
class FakeOuchServer(_Server):
    logins: list[LoginRequest] = field(default_factory=list)
    entered: list[ouch.EnterOrder] = field(default_factory=list)

    async def serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        conn = _OuchConnection(ouch.OuchServerSession(), writer)
        session = conn.session
        while data := await reader.read(65536):
            session.receive_data(data)
            while (event := session.next_event()) not in (SOUP_NEED_DATA, SOUP_PAUSED):
                match event:
                    case LoginRequest(username=user, password=password):
                        self.logins.append(event)
                        if PASSWORDS.get(user) != password:
                            writer.write(session.reject_login(NOT_AUTHORIZED))
                            return
                        writer.write(session.accept_login("S1", 1))
                    case ouch.EnterOrder():
                        self.entered.append(event)
                        conn.orders[event.token] = event
                        side = Side.BUY if event.side == "B" else Side.SELL
                        tif = _OUCH_TIFS[event.time_in_force]
                        for outcome in self.exchange.enter(conn, event.token, side, tif):
                            _ouch_report(outcome)
                    case PacketFault(fatal=True) | ConnectionClosed():
                        return
                    case _:
                        pass  # logout: the session is closed, end of input follows


def _ouch_report(outcome: Outcome[_OuchConnection]) -> None:
    conn = outcome.owner
    order = conn.orders[outcome.token]
    message: ouch.OutboundMessage
    if outcome.kind == "accepted":
        message = ouch.Accepted(
            0, order.token, order.side, order.shares, order.stock, order.price,
            order.time_in_force, "ALFA", "Y", outcome.order_ref, "A", "N", 0, "N", "L",
        )  # fmt: skip
    elif outcome.kind == "executed":
        flag = "A" if outcome.liquidity == "maker" else "R"
        message = ouch.Executed(0, order.token, 1, order.price, flag, outcome.match)
    else:
        message = ouch.Canceled(0, order.token, 1, ouch.expire_reason(ExpireReason.IOC))
    conn.writer.write(conn.session.send(message))


# -- FIX -----------------------------------------------------------------------------------------


@dataclass
class _FixConnection:
    session: FixSession
    writer: asyncio.StreamWriter
    views: dict[str, reports.OrderView] = field(default_factory=dict)


@dataclass
class FakeFixServer(_Server):
    logons: list[LogonRequest] = field(default_factory=list)
    entered: list[object] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)

    async def serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        conn = _FixConnection(FixSession(SessionConfig(), MemoryStore()), writer)
        session = conn.session
        while True:
            data = await reader.read(65536)
            now = time.time_ns()
            session.receive_data(data, now)
            while (event := session.next_event()) is not NEED_DATA and event is not PAUSED:
                if isinstance(event, LogonRequest):
                    self.logons.append(event)
                    if PASSWORDS.get(event.username or "") == event.password:
                        session.accept_logon(now)
                    else:
                        session.reject_logon("bad credentials", now)
                elif isinstance(event, ApplicationMessage):
                    self._order(conn, parse_application(event.message), now)
                elif isinstance(event, SessionClosed):
                    writer.write(session.data_to_send())
                    return
                else:
                    self.notices.append(event.text)
            writer.write(session.data_to_send())
            if not data:
                return

    def _order(self, conn: _FixConnection, request: object, now: int) -> None:
        self.entered.append(request)
        assert isinstance(request, NewOrderSingle), request
        conn.views[request.cl_ord_id] = reports.OrderView(
            order_id="?", cl_ord_id=request.cl_ord_id, symbol=request.symbol,
            side=request.side, order_qty=request.qty, order_type=OrderType.LIMIT,
            price=request.price, leaves_qty=request.qty, account=request.account,
            tif=request.tif,
        )  # fmt: skip
        for outcome in self.exchange.enter(conn, request.cl_ord_id, request.side, request.tif):
            _fix_report(outcome, now)


def _fix_report(outcome: Outcome[_FixConnection], now: int) -> None:
    conn = outcome.owner
    view = dataclasses.replace(conn.views[outcome.token], order_id=str(outcome.order_ref))
    exec_id = f"{outcome.order_ref}-{outcome.kind}"
    if outcome.kind == "accepted":
        message = reports.execution_new(
            view, exec_id=exec_id, transact_ns=now, seq_no=outcome.order_ref
        )
    elif outcome.kind == "executed":
        view = dataclasses.replace(view, cum_qty=1, cum_cost=view.price, leaves_qty=0)
        message = reports.execution_trade(
            view, exec_id=exec_id, transact_ns=now, last_qty=1, last_px=view.price
        )
    else:
        message = reports.execution_expired(view, exec_id=exec_id, transact_ns=now)
    conn.session.send(message, now)
    conn.writer.write(conn.session.data_to_send())
