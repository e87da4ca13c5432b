"""A drill session over OUCH 4.2 / SoupBinTCP 3.0 (``docs/ouch-gateway.md``).

It logs in asking for the sequence number after the last Sequenced Data packet it read (1 at
the first login), so it reads every message of its store once and in order; its numbers are
those packets' sequence numbers. The client order id is the order token; the ack's order id
and seq_no are both the Accepted's Order Reference Number (an order's id is its seq_no).

Resume: OUCH makes a repeated Enter Order harmless (a token the session used today is
ignored), so after a drop every order still unanswered is sent again with its token: one that
reached the journal is ignored and its answer comes with the replayed store; one that did not
is entered now. Either way it gets exactly one answer.
"""

from __future__ import annotations

import time
from typing import Any

from engine.protocols.ouch.inbound import CancelOrder, EnterOrder, ReplaceOrder
from engine.protocols.ouch.outbound import (
    Accepted,
    Canceled,
    Executed,
    Rejected,
    Replaced,
)
from engine.protocols.ouch.session import OuchClientSession, OuchSequenced
from engine.protocols.soupbin import (
    NEED_DATA,
    ClientState,
    LoginAccepted,
    LoginRejected,
    PacketFault,
)
from tools.drills.ledger import FillSeen
from tools.drills.session import DrillSession, LoginFailed, Order

__all__ = ["OuchSession"]

_TIF = {"day": 99998, "ioc": 0}


class OuchSession(DrillSession):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._session = OuchClientSession()
        self._next = 1
        self._orders: dict[str, bytes] = {}  # token -> its Enter Order, for a resend
        self._order_of: dict[str, int] = {}  # token -> order id
        self._token_of: dict[int, str] = {}  # live order id -> its current token

    def _login_bytes(self, first: bool) -> bytes:
        self._session = OuchClientSession()
        return self._session.login(self.spec.name, self.spec.password, "", self._next)

    def _login_answer(self, data: bytes) -> bool:
        self._session.receive_data(data)
        while (event := self._session.next_event()) is not NEED_DATA:
            if isinstance(event, LoginAccepted):
                return True
            if isinstance(event, LoginRejected):
                raise LoginFailed(f"login refused: {event.code}")
            if isinstance(event, PacketFault) and event.fatal:
                raise ConnectionError(f"login failed: {event}")
        return False

    def _recovered(self, doubtful: list[str]) -> bytes:
        resend = b""
        for cid in doubtful:
            self.ledger.sent(cid, self.spec.name)  # marks the entry resent
            resend += self._session.soupbin.send_unsequenced(self._orders[cid])
        return resend

    def _enter(self, cid: str, order: Order) -> bytes:
        side = "B" if order.side == "buy" else "S"
        message = EnterOrder(cid, side, order.qty, order.symbol, order.price, _TIF[order.tif])
        payload = self._orders[cid] = message.encode()
        return self._session.soupbin.send_unsequenced(payload)

    def _cancel(self, cid: str, order_id: int) -> bytes:
        token = self._token_of.get(order_id)
        if token is None:
            return b""
        return self._session.soupbin.send_unsequenced(CancelOrder(token, 0).encode())

    def _replace(self, cid: str, order_id: int, qty: int, price: int) -> bytes:
        token = self._token_of.get(order_id)
        if token is None:
            return b""
        message = ReplaceOrder(token, cid, qty, price, _TIF["day"])
        return self._session.soupbin.send_unsequenced(message.encode())

    def _logout(self) -> bytes:
        if self._session.state is not ClientState.LOGGED_IN:
            return b""
        return self._session.logout()

    def _tick(self) -> bytes:
        return self._session.tick(time.monotonic_ns())

    def _feed(self, data: bytes) -> bytes:
        if data:
            self._session.receive_data(data)
        while (event := self._session.next_event()) is not NEED_DATA:
            if isinstance(event, OuchSequenced):
                self.trace.numbers.append(event.sequence)
                self._next = max(self._next, event.sequence + 1)
                self._take(event.message)
            elif isinstance(event, PacketFault) and not event.fatal:
                self._fault(f"packet fault: {event}")
        return b""

    def _take(self, message: object) -> None:
        if isinstance(message, Accepted):
            order_id = message.order_reference_number
            self.ledger.acked(message.token, order_id, order_id)
            self._order_of[message.token] = order_id
            self._token_of[order_id] = message.token
            if self.ledger.orders.get(message.token) is not None:
                self.live[order_id] = message.token
            self._answer(message.token, "accepted")
        elif isinstance(message, Rejected):
            self._answer(message.token, f"rejected: {message.reason}")
        elif isinstance(message, Replaced):
            order_id = message.order_reference_number
            self._order_of[message.token] = order_id
            if order_id in self._token_of:
                self._token_of[order_id] = message.token
        elif isinstance(message, Executed):
            order_id = self._order_of.get(message.token, 0)
            if not order_id:
                self._fault(f"Executed for token {message.token!r} it never had accepted")
            self.ledger.fills.append(
                FillSeen(
                    self.spec.name,
                    order_id,
                    message.executed_shares,
                    message.execution_price,
                    exec_id=message.match_number,
                )
            )
        elif isinstance(message, Canceled):
            order_id = self._order_of.get(message.token, 0)
            self.live.pop(order_id, None)
            self._token_of.pop(order_id, None)
        elif not hasattr(message, "TYPE"):
            self._fault(f"unreadable message: {message}")
