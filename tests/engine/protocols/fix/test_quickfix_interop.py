"""Interop: a real FIX engine (QuickFIX, as a child process) logs on to a FixSession over a
loopback socket, sends a NewOrderSingle, gets the ExecutionReport and logs out.

QuickFIX runs with UseDataDictionary=Y: anything we send that breaks FIX44.xml would come
back as a Reject (35=3) and show in its output. The socket loop here is test scaffolding;
the session under test does no I/O.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from pathlib import Path

from engine.domain.types import OrderType, Side, TimeInForce
from engine.protocols.fix import reports
from engine.protocols.fix.events import (
    NEED_DATA,
    PAUSED,
    ApplicationMessage,
    LogonRequest,
    SessionClosed,
    SessionNotice,
)
from engine.protocols.fix.messages import NewOrderSingle, parse_application
from engine.protocols.fix.session import FixSession, SessionConfig
from engine.protocols.fix.store import MemoryStore
from tests.engine.protocols.fix.quickfix_check import fix44_xml

CHILD = Path(__file__).with_name("quickfix_initiator.py")


class Acceptor:
    """Drives one FixSession from a socket; records what the application saw."""

    def __init__(self, conn: socket.socket) -> None:
        self.conn = conn
        self.session = FixSession(SessionConfig(), MemoryStore())
        self.logons: list[LogonRequest] = []
        self.orders: list[object] = []
        self.notices: list[str] = []
        self.closed: SessionClosed | None = None

    def run(self, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        self.conn.settimeout(0.1)
        while self.closed is None and time.monotonic() < deadline:
            try:
                data: bytes | None = self.conn.recv(65536)
            except TimeoutError:
                data = None
            now = time.time_ns()
            if data is not None:
                self.session.receive_data(data, now)
            self.handle_events(now)
            self.session.tick(now)
            self.conn.sendall(self.session.data_to_send())

    def handle_events(self, now: int) -> None:
        session = self.session
        while (event := session.next_event()) is not NEED_DATA and event is not PAUSED:
            if isinstance(event, LogonRequest):
                self.logons.append(event)
                session.accept_logon(now)
            elif isinstance(event, ApplicationMessage):
                self.on_order(parse_application(event.message), now)
            elif isinstance(event, SessionNotice):
                self.notices.append(event.text)
            elif isinstance(event, SessionClosed):
                self.closed = event
                return

    def on_order(self, order: object, now: int) -> None:
        self.orders.append(order)
        assert isinstance(order, NewOrderSingle), order
        view = reports.OrderView(
            order_id="1042",
            cl_ord_id=order.cl_ord_id,
            symbol=order.symbol,
            side=order.side,
            order_qty=order.qty,
            order_type=order.order_type,
            price=order.price,
            leaves_qty=order.qty,
            account=order.account,
            tif=order.tif,
        )
        ack = reports.execution_new(view, exec_id="1042-0", transact_ns=now, seq_no=1042)
        self.session.send(ack, now)


def test_a_quickfix_initiator_logs_on_orders_and_logs_out(tmp_path: Path) -> None:
    with socket.create_server(("127.0.0.1", 0)) as listener:
        port = listener.getsockname()[1]
        child = subprocess.Popen(
            [sys.executable, str(CHILD), str(port), str(fix44_xml()), str(tmp_path)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            listener.settimeout(30)
            conn, _ = listener.accept()
            with conn:
                acceptor = Acceptor(conn)
                acceptor.run(seconds=40)
            out, err = child.communicate(timeout=30)
        finally:
            child.kill()
            child.wait()
    assert acceptor.closed is not None and "logout by the peer" in acceptor.closed.reason
    [logon] = acceptor.logons
    assert (logon.sender_comp_id, logon.username, logon.password) == (
        "ALPHA",
        "alpha",
        "alpha-pass",
    )
    [order] = acceptor.orders
    assert isinstance(order, NewOrderSingle)
    assert (order.cl_ord_id, order.account, order.symbol, order.side) == (
        "qf-1",
        "ALPHA-1",
        "ACME",
        Side.BUY,
    )
    assert (order.qty, order.price, order.order_type, order.tif) == (
        100,
        1_234_500,
        OrderType.LIMIT,
        TimeInForce.DAY,
    )
    assert "DONE 1" in out, (out, err)
    received = [line for line in out.splitlines() if line.startswith("IN ")]
    assert any("|35=8|" in line and "|198=1042|" in line for line in received), out
    assert not any("|35=3|" in line or "|35=j|" in line for line in received), out
    assert not any("rejected" in notice for notice in acceptor.notices), acceptor.notices
