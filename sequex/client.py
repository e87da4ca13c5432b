"""``sequex.client``: an asyncio client of a sequex host over OUCH 4.2 / SoupBinTCP 3.0.

    async with await OuchClient.connect("127.0.0.1", 9879, "ALPHA1", "alpha-pass") as client:
        ack = await client.new_order("ACME", "buy", 100, 1_000_000)   # Ack(order_id, seq_no)
        await client.replace(ack.order_id, 50, 1_000_000)             # -> "replaced"
        await client.cancel(ack.order_id)                             # -> "canceled"
        async for report in client.reports():                         # every report, in order
            ...

Contract.

* ``new_order`` returns :class:`Ack` once the exchange accepted the order (after the host made
  it durable) and raises :class:`OrderRejected` with the reason code and text otherwise. The
  ack's ``seq_no`` is the global sequence number the order got; on sequex an order's id *is*
  that number, so both fields hold it.
* ``cancel`` answers ``"canceled"`` (what was open left the order), ``"unknown"`` (the order
  ended while the cancel was on its way: OUCH Cancel Reject) or ``"not live"`` (the client's
  reports say the order has ended, or it never had it: nothing is sent); ``replace`` answers
  ``"replaced"`` or raises :class:`OrderRejected`.
* ``reports()`` yields every :class:`Report` of the session, each once, in the exchange's order:
  the answers above included, and the fills and expiries that happen to resting orders.
* **Reconnect and resume.** If the connection drops, the client logs in again (up to
  ``reconnect_attempts`` times, backing off) asking for the next sequence number it has not
  seen, so it gets every message it missed and none twice; calls waiting for an answer keep
  waiting. A client started with ``sequence=N`` resumes a previous run's session from N.
* Tokens (OUCH order tokens, the exchange's client order ids) are made unique per client; a
  replace gives the order a new one, as OUCH does.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from types import TracebackType
from typing import Final

from engine.protocols.ouch import codes
from engine.protocols.ouch.inbound import CancelOrder, EnterOrder, ReplaceOrder
from engine.protocols.ouch.outbound import (
    Accepted,
    Canceled,
    CancelReject,
    Executed,
    Rejected,
    Replaced,
)
from engine.protocols.ouch.session import OuchClientSession, OuchSequenced
from engine.protocols.soupbin.events import NEED_DATA, ConnectionClosed, PacketFault
from engine.protocols.soupbin.packets import EndOfSession, LoginAccepted, LoginRejected

__all__ = ["Ack", "LoginRefused", "OrderRejected", "OuchClient", "Report"]

_TIF: Final = {"day": 99998, "gtc": 99999, "ioc": 0, "fok": 0}
_MARKET_PRICE: Final = 0x7FFFFFFF
_TICK_SECONDS: Final = 0.25
#: the report kinds that answer each request
_ENTERED: Final = frozenset({"accepted", "rejected"})
_CANCEL_ANSWERS: Final = frozenset({"canceled", "cancel_reject"})
_REPLACE_ANSWERS: Final = frozenset({"replaced", "rejected"})


@dataclass(frozen=True, slots=True)
class Ack:
    order_id: int
    seq_no: int
    token: str


@dataclass(frozen=True, slots=True)
class Report:
    """One message of the session: ``kind`` is accepted, executed, canceled, replaced,
    rejected or cancel_reject; ``number`` its sequence number."""

    number: int
    kind: str
    token: str
    order_id: int = 0
    qty: int = 0
    price: int = 0
    reason: str = ""
    exec_id: int = 0


class OrderRejected(Exception):
    def __init__(self, token: str, reason: str) -> None:
        text = codes.REJECT_REASONS.get(reason, "rejected")
        super().__init__(f"order {token} rejected: {reason} ({text})")
        self.token, self.reason, self.text = token, reason, text


class LoginRefused(Exception):
    pass


class OuchClient:
    """One OUCH session of a firm (see the module docstring)."""

    def __init__(
        self, host: str, port: int, user: str, password: str, *, reconnect_attempts: int = 5
    ) -> None:
        self._address = (host, port)
        self._user, self._password = user, password
        self._attempts = reconnect_attempts
        self._next_sequence = 0  # 0: only what comes next (the first login)
        self._tokens = itertools.count(1)
        self._prefix = format(time.time_ns() // 1_000_000 % 36**5, "05x")[-5:]
        #: token -> (the answer's future, the report kinds that answer it)
        self._waiting: dict[str, tuple[asyncio.Future[Report], frozenset[str]]] = {}
        self._tokens_of: dict[int, str] = {}  # live order id -> its current token
        self._open: dict[str, tuple[int, int]] = {}  # token -> (order id, open shares)
        self._queue: asyncio.Queue[Report | None] = asyncio.Queue()
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None
        self._session: OuchClientSession | None = None
        self._runner: asyncio.Task[None] | None = None
        self._closed = False

    @classmethod
    async def connect(
        cls, host: str, port: int, user: str, password: str, *, sequence: int = 0, **kw: int
    ) -> OuchClient:
        client = cls(host, port, user, password, **kw)
        client._next_sequence = sequence
        await client._login()
        client._runner = asyncio.create_task(client._run())
        return client

    async def __aenter__(self) -> OuchClient:
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()

    @property
    def next_sequence(self) -> int:
        """The sequence number to resume from (``connect(..., sequence=...)`` of a later run)."""
        return self._next_sequence

    # -- commands ---------------------------------------------------------------------------

    def _token(self) -> str:
        return f"{self._prefix}{next(self._tokens):09d}"

    async def new_order(
        self, symbol: str, side: str, qty: int, price: int = 0, type: str = "limit",
        tif: str = "day", *, post_only: bool = False,
    ) -> Ack:  # fmt: skip
        """Enter an order; prices in 1/10,000 of the currency unit (``price`` 0: market)."""
        token = self._token()
        market = type == "market"
        message = EnterOrder(
            token, "B" if side == "buy" else "S", qty, symbol,
            _MARKET_PRICE if market else price, _TIF[tif],
            display="P" if post_only else "Y", minimum_quantity=qty if tif == "fok" else 0,
        )  # fmt: skip
        answer = await self._ask(token, message.encode(), _ENTERED)
        if answer.kind == "rejected":
            raise OrderRejected(token, answer.reason)
        self._tokens_of[answer.order_id] = token
        return Ack(answer.order_id, answer.order_id, token)

    async def cancel(self, order_id: int) -> str:
        token = self._tokens_of.get(order_id)
        if token is None:
            return "not live"
        answer = await self._ask(token, CancelOrder(token, 0).encode(), _CANCEL_ANSWERS)
        return "canceled" if answer.kind == "canceled" else "unknown"

    async def replace(self, order_id: int, qty: int, price: int, tif: str = "day") -> str:
        """New open qty and price for a live limit order (its time in force unchanged)."""
        token = self._tokens_of.get(order_id)
        if token is None:
            raise OrderRejected("", "O")
        new = self._token()
        message = ReplaceOrder(token, new, qty, price, _TIF[tif])
        answer = await self._ask(new, message.encode(), _REPLACE_ANSWERS)
        if answer.kind == "rejected":
            raise OrderRejected(new, answer.reason)
        return "replaced"

    async def reports(self) -> AsyncIterator[Report]:
        while True:
            report = await self._queue.get()
            if report is None:
                return
            yield report

    async def close(self) -> None:
        self._closed = True
        if self._runner is not None:
            self._runner.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._runner
        if self._writer is not None and self._session is not None:
            with contextlib.suppress(ConnectionError, OSError):
                self._writer.write(self._session.logout())
            self._writer.close()
        await self._queue.put(None)

    # -- the connection ---------------------------------------------------------------------

    async def _ask(self, token: str, payload: bytes, answers: frozenset[str]) -> Report:
        future: asyncio.Future[Report] = asyncio.get_running_loop().create_future()
        self._waiting[token] = (future, answers)
        assert self._writer is not None and self._session is not None
        self._writer.write(self._session.soupbin.send_unsequenced(payload))
        return await future

    async def _login(self) -> None:
        reader, writer = await asyncio.open_connection(*self._address)
        session = OuchClientSession()
        writer.write(session.login(self._user, self._password, "", self._next_sequence))
        while True:
            event = session.next_event()
            if event is NEED_DATA:
                data = await asyncio.wait_for(reader.read(65536), 10)
                if not data:
                    raise ConnectionError("the host closed the connection during login")
                session.receive_data(data)
                continue
            if isinstance(event, LoginAccepted):
                self._next_sequence = event.sequence_number
                break
            if isinstance(event, LoginRejected):
                writer.close()
                raise LoginRefused(f"login refused: {event.code}")
        self._reader, self._writer, self._session = reader, writer, session

    async def _run(self) -> None:
        while not self._closed:
            with contextlib.suppress(ConnectionError, OSError, TimeoutError):
                await self._pump()
            if self._closed:
                return
            await self._reconnect()

    async def _reconnect(self) -> None:
        for attempt in range(self._attempts):
            await asyncio.sleep(min(0.1 * 2**attempt, 2.0))
            with contextlib.suppress(ConnectionError, OSError, TimeoutError):
                await self._login()  # asks for what it has not seen
                return
        error = ConnectionError(f"could not reconnect to {self._address}")
        for future, _ in self._waiting.values():
            if not future.done():
                future.set_exception(error)
        self._closed = True
        await self._queue.put(None)

    async def _pump(self) -> None:
        session, reader, writer = self._session, self._reader, self._writer
        assert session is not None and reader is not None and writer is not None
        while True:
            try:
                data: bytes | None = await asyncio.wait_for(reader.read(65536), _TICK_SECONDS)
            except TimeoutError:
                data = None
            if data is not None:
                session.receive_data(data)
            beat = session.tick(time.monotonic_ns())
            if beat:
                writer.write(beat)
            while (event := session.next_event()) is not NEED_DATA:
                if isinstance(event, OuchSequenced):
                    self._next_sequence = event.sequence + 1
                    self._receive(event.sequence, event.message)
                elif isinstance(event, EndOfSession | ConnectionClosed) or (
                    isinstance(event, PacketFault) and event.fatal
                ):
                    raise ConnectionError(f"session ended: {event}")
            if data == b"":
                raise ConnectionError("the host closed the connection")

    def _track(self, report: Report) -> None:
        """Keep the open shares of each live order: an order with none left has ended."""
        if report.kind in ("accepted", "replaced"):
            self._open[report.token] = (report.order_id, report.qty)
            return
        if report.kind not in ("executed", "canceled") or report.token not in self._open:
            return
        order_id, shares = self._open.pop(report.token)
        if shares - report.qty > 0:
            self._open[report.token] = (order_id, shares - report.qty)
        else:
            self._tokens_of.pop(order_id, None)

    def _receive(self, number: int, message: object) -> None:
        report: Report | None = None
        if isinstance(message, Accepted):
            report = Report(number, "accepted", message.token, message.order_reference_number,
                            message.shares, message.price)  # fmt: skip
        elif isinstance(message, Executed):
            report = Report(number, "executed", message.token, 0, message.executed_shares,
                            message.execution_price, exec_id=message.match_number)  # fmt: skip
        elif isinstance(message, Canceled):
            report = Report(number, "canceled", message.token, 0, message.decrement_shares,
                            reason=message.reason)  # fmt: skip
        elif isinstance(message, Replaced):
            report = Report(number, "replaced", message.token, message.order_reference_number,
                            message.shares, message.price)  # fmt: skip
            self._tokens_of[message.order_reference_number] = message.token
            self._open.pop(message.previous_token, None)
        elif isinstance(message, Rejected):
            report = Report(number, "rejected", message.token, reason=message.reason)
        elif isinstance(message, CancelReject):
            report = Report(number, "cancel_reject", message.token)
        if report is None:
            return
        self._track(report)
        self._queue.put_nowait(report)
        waiting = self._waiting.get(report.token)
        if waiting is not None and report.kind in waiting[1]:
            del self._waiting[report.token]
            if not waiting[0].done():
                waiting[0].set_result(report)
