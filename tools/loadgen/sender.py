"""The load driver's senders: every connection's orders written as they fall due, from one timer
callback on a shared grid of instants.

Contract. :meth:`GridSender.run` sends each connection's planned orders (order g of the run goes
to connection ``g % C`` and is due at ``start + g / rate``, ``tools.loadgen.plan``) and returns
once every connection has sent all of its orders, been lost, or passed ``deadline`` (what is
left then is counted ``unsent``). Orders are never written before they are due and are written
on the grid's first instant at or after it (``start + k * quantum``, :func:`next_wake`), every
connection's in the same wake-up. Each order's write time goes to its connection's correlator
and its lateness (actual minus intended, us) to ``lag``.

Why one callback and not a task per connection. On two shared cores the load generator is the
host's largest neighbour at moderate rates, and what it spent there was asyncio's machinery,
not the orders: a sleeping task costs a future, a timer, a callback that sets the future's
result and a task step to resume it, per connection and per wake-up (about 20 us of Python per
order at 20K orders/s over 2 connections). Here a wake-up is one timer handle and one call,
whatever the number of connections. After a stall the orders due catch up at most
:data:`BURST` a connection per turn, and each turn lets the loop read the sockets first
(``call_soon``), as a ``sleep(0)`` did.

Backpressure. A connection whose socket is over its high-water mark (``write_out`` says so)
sits out the turns until its ``flush`` returns, or until ``deadline``: then it stops sending
(its remaining orders are unsent). The other connections go on meanwhile.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Final

from engine.domain.types import Side
from tools.loadgen.clients import OrderClient, OrderSpec, now_ns
from tools.loadgen.correlate import Correlator
from tools.loadgen.plan import SIDE_RUN, intended_ns, side_of
from tools.loadgen.report import Counts

__all__ = ["BURST", "SEND_QUANTUM_NS", "GridSender", "Lane", "next_wake"]

#: Orders of one connection written in one turn before the loop reads the sockets again.
BURST: Final = 64
#: The senders' grid (ns): they wake only at ``start + k * SEND_QUANTUM_NS`` (:func:`next_wake`),
#: all connections' at the same instants, so an order is written at most this late
#: (``send_lag``) and one wake-up serves every connection's orders due by then. On two shared
#: cores each wake-up of this process costs 15-30 us of CPU that the host then lacks.
SEND_QUANTUM_NS: Final = 100_000
_NS: Final = 1_000_000_000


def next_wake(start: int, due: int, quantum: int = SEND_QUANTUM_NS) -> int:
    """The first instant of the senders' grid (``start + k * quantum``) not before ``due``."""
    return start - (start - due) // quantum * quantum


@dataclass
class Lane:
    """One connection's sending state."""

    #: its index k: it sends orders k, k + C, k + 2C, ... of the run
    index: int
    client: OrderClient
    #: its orders by number (what was written when)
    orders: Correlator
    #: whether its firm makes (the first firm), and its buy and sell orders
    maker: bool
    specs: dict[Side, OrderSpec]
    #: why the connection ended, if it did (None while it is up): lost, or ended by the peer
    #: (its session over, so nothing more can be sent on it)
    lost: Callable[[], str | None]
    #: the next of its orders to send (a number of the run, g): its first is its index
    g: int = field(init=False)
    #: the number of its next order on the connection (1, 2, ...)
    number: int = 1
    #: waiting for its socket to take more (``flush``)
    blocked: bool = False
    finished: bool = False
    flushes: set[asyncio.Task[None]] = field(default_factory=set)

    def __post_init__(self) -> None:
        self.g = self.index


class GridSender:
    """Sends the orders of ``lanes`` (see the module docstring); :meth:`run` once."""

    def __init__(
        self,
        lanes: Sequence[Lane],
        *,
        start: int,
        deadline: int,
        rate: int,
        planned: int,
        counts: Counts,
        lag: Callable[[list[int]], None],
        refused: Callable[[str], None],
    ) -> None:
        self._lanes = list(lanes)
        self._start = start
        self._deadline = deadline
        self._rate = rate
        self._planned = planned
        self._step = len(self._lanes)
        self._counts = counts
        self._lag = lag
        self._refused = refused
        self._timer: asyncio.Handle | None = None
        self._done: asyncio.Future[None] | None = None
        #: when the last order was written (ns)
        self.last_send = 0

    async def run(self) -> None:
        loop = asyncio.get_running_loop()
        self._done = loop.create_future()
        self._timer = loop.call_at(self._start / _NS, self._turn)
        try:
            await self._done
        finally:
            if self._timer is not None:
                self._timer.cancel()
            flushes = [t for lane in self._lanes for t in lane.flushes]
            for task in flushes:
                task.cancel()
            await asyncio.gather(*flushes, return_exceptions=True)
        for lane in self._lanes:
            self._finish(lane)

    def _turn(self) -> None:
        """One turn (:meth:`_send_turn`). It runs as a loop callback, where an exception would
        only be logged and the run would wait for ever: it ends the run instead, raised by
        :meth:`run`."""
        try:
            self._send_turn()
        except Exception as exc:
            self._fail(exc)

    def _fail(self, exc: Exception) -> None:
        done = self._done
        if done is not None and not done.done():
            done.set_exception(exc)

    def _send_turn(self) -> None:
        """Write every order due by now (at most BURST a connection), then sleep until the
        grid's instant of the next order due, or let the loop read first and come back."""
        self._timer = None
        now = now_ns()
        loop = asyncio.get_running_loop()
        earliest: int | None = None
        again = False
        for lane in self._lanes:
            if lane.finished or lane.blocked:
                continue
            if lane.lost() is not None or now > self._deadline or lane.g >= self._planned:
                self._finish(lane)
                continue
            if self._send_due(lane, now):
                again = True  # a burst left orders due: read the sockets, then go on
            elif not lane.finished and not lane.blocked:
                due = intended_ns(self._start, lane.g, self._rate)
                earliest = due if earliest is None else min(earliest, due)
        if again:
            self._timer = loop.call_soon(self._turn)
        elif earliest is not None:
            self._timer = loop.call_at(next_wake(self._start, earliest) / _NS, self._turn)
        else:  # every lane finished, or only blocked ones are left (their flush comes back)
            self._end_if_finished()

    def _send_due(self, lane: Lane, now: int) -> bool:
        """Send ``lane``'s orders due by ``now``, at most BURST; whether more are due."""
        start, rate, planned, step = self._start, self._rate, self._planned, self._step
        turn = SIDE_RUN * step  # sides turn every this many planned orders
        g, burst, refused = lane.g, 0, False
        while g < planned and burst < BURST:
            if intended_ns(start, g, rate) > now:
                break
            # the orders due by now (g is: the floor in its due time may put it a little
            # past this estimate), up to the burst's room and the side's turn
            last_due = max(g, min(planned - 1, (now - start) * rate // _NS))
            count = min(
                (last_due - g) // step + 1,
                BURST - burst,
                ((g // turn + 1) * turn - g + step - 1) // step,
            )
            try:
                first = lane.client.send_new_orders(lane.specs[side_of(g, step, lane.maker)], count)
            except ValueError as exc:  # the protocol cannot carry this order (a long symbol)
                # this order is refused, the rest of the connection's unsent (what this turn
                # queued before it still goes out, below)
                self._refused(f"refused: cannot send the order: {exc}")
                g += step
                refused = True
                break
            if first != lane.number:
                raise AssertionError(
                    f"connection {lane.index + 1}: order {first} sent as {lane.number}"
                )
            lane.number += count
            lane.orders.sent(first, count, now)
            self._lag(
                [
                    (now - intended_ns(start, gi, rate)) // 1000
                    for gi in range(g, g + count * step, step)
                ]
            )
            self._counts.sent += count
            g += count * step
            burst += count
        lane.g = g
        if burst:
            self.last_send = max(self.last_send, now)
            if lane.client.write_out() and not refused:  # the socket pushes back: wait
                lane.blocked = True
                task = asyncio.get_running_loop().create_task(self._wait_flushed(lane))
                lane.flushes.add(task)
                task.add_done_callback(lane.flushes.discard)
                return False
        if g >= planned or refused:
            self._finish(lane)
            return False
        return burst >= BURST and intended_ns(start, g, rate) <= now

    async def _wait_flushed(self, lane: Lane) -> None:
        try:
            async with asyncio.timeout(max(0.0, (self._deadline - now_ns()) / _NS)):
                await lane.client.flush()
        except TimeoutError:
            self._finish(lane)  # still pushing back at the deadline: the rest is unsent
        except Exception as exc:  # (a task's exception would go unseen: the run ends with it)
            self._fail(exc)
            return
        lane.blocked = False
        # back at once, not at the other lanes' next instant: this lane's orders are due
        if self._timer is not None:
            self._timer.cancel()
        self._timer = asyncio.get_running_loop().call_soon(self._turn)

    def _finish(self, lane: Lane) -> None:
        """``lane`` sends nothing more: what it has not sent is unsent."""
        if lane.finished:
            return
        lane.finished = True
        lane.blocked = False
        if lane.g < self._planned:
            self._counts.unsent += (self._planned - lane.g + self._step - 1) // self._step
        self._end_if_finished()

    def _end_if_finished(self) -> None:
        done = self._done
        if done is not None and not done.done() and all(x.finished for x in self._lanes):
            done.set_result(None)
