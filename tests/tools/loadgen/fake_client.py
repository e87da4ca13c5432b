"""An in-memory order client for the driver tests: no sockets, a fake host shared by the clients
of one run that answers after ``ack_delay`` through a :class:`ToyExchange`, and knobs for
the faults a real host can show (rejects, refusals, silence, a dropped connection, a login
refused, a stalled socket). Test support only."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field

from tests.tools.loadgen.toy_exchange import ToyExchange
from tools.loadgen.clients import (
    ACK,
    DONE,
    ERROR,
    FILL,
    REJECT,
    ClientError,
    Identity,
    OrderSpec,
    Report,
    now_ns,
)


@dataclass
class FakeHost:
    ack_delay: float = 0.001
    #: every Nth order (over all clients) is rejected / refused (0: never)
    reject_every: int = 0
    refuse_every: int = 0
    #: False: the host never answers an order
    answers: bool = True
    #: firms whose login is refused
    refuse_logins: frozenset[str] = frozenset()
    #: connection number (from 0) -> seconds after its first order when it is dropped
    drop_after: dict[int, float] = field(default_factory=dict)
    #: connection number -> (seconds after its first order, seconds its flush() then blocks)
    stall: dict[int, tuple[float, float]] = field(default_factory=dict)
    #: connection numbers whose orders the protocol cannot carry (send raises ValueError)
    unsendable: frozenset[int] = frozenset()
    #: connection number -> seconds after its first order when the host ends its session (an
    #: End of Session: sending on it raises from then on, and the connection ends 0.2 s later)
    end_after: dict[int, float] = field(default_factory=dict)
    #: connection number -> its order whose send fails with a bug (RuntimeError)
    fail_on: dict[int, int] = field(default_factory=dict)
    exchange: ToyExchange[FakeClient] = field(default_factory=ToyExchange)
    clients: list[FakeClient] = field(default_factory=list)
    orders: int = 0

    def factory(self, identity: Identity, prefix: str) -> FakeClient:
        client = FakeClient(self, len(self.clients), identity, prefix)
        self.clients.append(client)
        return client


class FakeClient:
    def __init__(self, host: FakeHost, number: int, identity: Identity, prefix: str) -> None:
        self.host, self.number, self.identity, self.prefix = host, number, identity, prefix
        self.close_reason: str | None = None
        #: (order id, when queued, the order)
        self.sent: list[tuple[str, int, OrderSpec]] = []
        self.closed = False
        self._queue: asyncio.Queue[list[Report] | None] = asyncio.Queue()
        self._first: int | None = None
        self._stalled = False
        self._sink: Callable[[list[Report]], None] = lambda batch: None

    async def connect(self, host: str, port: int, timeout: float) -> None:
        if self.identity.firm in self.host.refuse_logins:
            raise ClientError("login refused: bad_credentials: wrong password")

    def send_new_order(self, order: OrderSpec) -> str:
        if self.close_reason is not None:
            raise RuntimeError("cannot send: the session has ended")  # as a closed session
        if self.host.fail_on.get(self.number) == len(self.sent) + 1:
            raise RuntimeError("a bug in the client")
        oid = f"{self.prefix}{len(self.sent) + 1:08d}"
        now = now_ns()
        self.sent.append((oid, now, order))
        if self._first is None:
            self._first = now
            end = self.host.end_after.get(self.number)
            if end is not None:
                asyncio.get_running_loop().call_later(end, self._end_session)
            drop = self.host.drop_after.get(self.number)
            if drop is not None:
                asyncio.get_running_loop().call_later(drop, self._drop)
        self.host.orders += 1
        if self.host.answers:
            asyncio.get_running_loop().call_later(self.host.ack_delay, self._answer, oid, order)
        return oid

    def send_new_orders(self, order: OrderSpec, count: int) -> int:
        if self.number in self.host.unsendable:
            raise ValueError("symbol too long for this protocol")
        first = self.send_new_order(order)
        for _ in range(count - 1):
            self.send_new_order(order)
        return int(first[-8:])

    def write_out(self) -> bool:
        # a connection set to stall is made to flush (where the stall happens) until it has
        return self.number in self.host.stall and not self._stalled

    async def flush(self) -> None:
        stall = self.host.stall.get(self.number)
        if stall is None or self._stalled or self._first is None:
            return
        if now_ns() - self._first >= stall[0] * 1e9:
            self._stalled = True
            await asyncio.sleep(stall[1])

    async def reports(self) -> AsyncIterator[list[Report]]:
        while (batch := await self._queue.get()) is not None:
            yield batch

    def on_reports(self, sink: Callable[[list[Report]], None]) -> None:
        self._sink = sink

    async def wait_ended(self) -> None:
        while (batch := await self._queue.get()) is not None:
            self._sink(batch)

    async def close(self, timeout: float) -> None:
        self.closed = True
        self._queue.put_nowait(None)

    def _end_session(self) -> None:
        self.close_reason = "End of Session"
        asyncio.get_running_loop().call_later(0.2, self._queue.put_nowait, None)

    def _drop(self) -> None:
        self.close_reason = "dropped by the fake host"
        self._queue.put_nowait(None)

    def _answer(self, oid: str, order: OrderSpec) -> None:
        host, n, ts = self.host, int(oid[-8:]), now_ns()
        if host.reject_every and n % host.reject_every == 0:
            self._queue.put_nowait([(REJECT, oid, ts, "insufficient_funds")])
            return
        if host.refuse_every and n % host.refuse_every == 0:
            self._queue.put_nowait([(ERROR, oid, ts, "not_owner")])
            return
        for outcome in host.exchange.enter(self, oid, order.side, order.tif):
            kind = {"accepted": ACK, "executed": FILL, "expired": DONE}[outcome.kind]
            detail = outcome.liquidity if kind == FILL else ("expired: ioc" if kind == DONE else "")
            outcome.owner._queue.put_nowait([(kind, outcome.token, ts, detail)])
