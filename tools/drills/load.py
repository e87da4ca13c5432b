"""The drills' scripted load: several firms' sessions entering, cancelling and replacing orders
through the real gateway, recording every ack and fill in the ledger, across host deaths.

:class:`LoadRunner` owns the sessions (``tools.drills.session``) and the :class:`Target` they
connect to; a failover drill switches the target to the standby's endpoints and the sessions
follow at their next login. :meth:`LoadRunner.run` drives each session's script at once:

* a new order (most steps): a DAY or IOC limit order on ACME or INITECH, buy or sell, priced on
  a narrow grid around the reference so that orders rest, cross and trade; at most
  ``window`` of a session's new orders are unanswered at a time;
* a cancel, or a replace (new quantity and price), of an order the session believes live.

The scenario is the seed's (``random.Random``): it picks what is sent, never an outcome; the
exchange decides those. :meth:`LoadRunner.settle` ends the load with one resting order per
session, far below every offer, once every script has finished: a session that read its ack
has read every report its store held before it (a store is in seq order), so nothing owed is
still on the way. Each wait is bounded and names what it was waiting for.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Sequence
from typing import Final

from tools.drills.ledger import Ledger
from tools.drills.session import DrillSession, Order, SessionGone, SessionSpec, Target
from tools.drills.session_json import JsonSession
from tools.drills.session_ouch import OuchSession

__all__ = ["DrillError", "LoadRunner", "session_class"]

#: symbol -> (reference price, tick): prices stay within a few ticks of the reference
_SYMBOLS: Final = {"ACME": (1_000_000, 100), "INITECH": (42_000, 50)}
#: a price no load order reaches (its sells are at most a few ticks under the reference)
SETTLE_PRICE_TICKS: Final = 20
ANSWER_SECONDS: Final = 120.0


class DrillError(Exception):
    """The load could not go on (a session could not log in again, an answer never came)."""


def session_class(protocol: str) -> type[DrillSession]:
    if protocol == "json":
        return JsonSession
    if protocol == "ouch":
        return OuchSession
    if protocol == "fix":
        from tools.drills.session_fix import FixSession

        return FixSession
    raise ValueError(f"no drill session for protocol {protocol!r}")


class LoadRunner:
    def __init__(
        self,
        specs: Sequence[SessionSpec],
        target: Target,
        ledger: Ledger,
        *,
        orders: int,
        seed: int,
        window: int = 4,
    ) -> None:
        self.target = target
        self.ledger = ledger
        self.sessions = [session_class(s.protocol)(s, ledger) for s in specs]
        self.orders_each = max(1, orders // max(1, len(specs)))
        self.seed = seed
        self.window = window
        self._keepers: list[asyncio.Task[None]] = []
        #: client order id -> the new order it entered (what a replace keeps)
        self._orders: dict[str, Order] = {}

    async def connect(self) -> None:
        """Start every session's connection and wait until all are logged in."""
        self._keepers = [asyncio.create_task(s.maintain(self.target)) for s in self.sessions]
        await self._all_logged_in()

    async def _all_logged_in(self) -> None:
        # bounded by each session's own patience: a session that gives up sets ``failure``
        while not all(s.logged_in.is_set() for s in self.sessions):
            self._check()
            await asyncio.sleep(0.01)

    def _check(self) -> None:
        failures = [s.failure for s in self.sessions if s.failure]
        if failures:
            raise DrillError("; ".join(failures))

    async def run(self) -> None:
        """Every session's script, at once."""
        scripts = [
            asyncio.create_task(self._script(index, session))
            for index, session in enumerate(self.sessions)
        ]
        await asyncio.gather(*scripts)

    async def _script(self, index: int, session: DrillSession) -> None:
        """One session's script; a session that cannot go on (it gave up logging in again, or
        its orders stay unanswered) stops here with a fault in its trace: a finding, since
        the host came back and accepts orders."""
        try:
            await self._steps(index, session)
        except SessionGone as exc:
            session.trace.faults.append(f"stopped its load: {exc}")

    async def _steps(self, index: int, session: DrillSession) -> None:
        rng = random.Random(f"{self.seed}/{session.spec.name}")
        steps = 0
        sent = 0
        while sent < self.orders_each:
            steps += 1
            cid = f"s{index:02d}n{steps:06d}"
            live = sorted(session.live)
            roll = rng.random()
            if live and roll < 0.12:
                await session.cancel(cid, rng.choice(live))
                continue
            if live and roll < 0.24:
                order_id = rng.choice(live)
                was = self._orders[session.live[order_id]]  # a replace keeps symbol and side
                price = _price(rng, was.symbol, was.side)
                await session.replace(cid, order_id, rng.randint(1, 20), price)
                continue
            await self._wait_window(session)
            order = self._orders[cid] = _order(rng)
            await session.new_order(cid, order)
            sent += 1
        await self._drain(session)

    async def _wait_window(self, session: DrillSession) -> None:
        while len(session.pending) >= self.window:
            await self._some_answer(session, list(session.pending.values()))

    async def _drain(self, session: DrillSession) -> None:
        while session.pending:
            await self._some_answer(session, list(session.pending.values()))

    async def _some_answer(self, session: DrillSession, futures: list[asyncio.Future[str]]) -> None:
        done, _ = await asyncio.wait(futures, timeout=ANSWER_SECONDS, return_when="FIRST_COMPLETED")
        if not done:
            raise SessionGone(f"none of {len(futures)} orders answered within {ANSWER_SECONDS:g} s")

    async def enter_resting(self, cid: str) -> asyncio.Future[str]:
        """Enter one resting buy now, through the first session and outside its window (far
        below every offer, as :meth:`settle`'s); the future is its answer. The standby-restart
        drill enters one while the standby is dead, so that at least one order of every round
        must wait for it, however the load's own orders happen to fall."""
        reference, tick = _SYMBOLS["ACME"]
        order = Order("ACME", "buy", 1, reference - SETTLE_PRICE_TICKS * tick)
        return await self.sessions[0].new_order(cid, order)

    async def settle(self) -> None:
        """One resting buy per session, far below every offer, each acknowledged; a session
        whose last order is not is a fault in its trace (it did not recover)."""
        reference, tick = _SYMBOLS["ACME"]
        order = Order("ACME", "buy", 1, reference - SETTLE_PRICE_TICKS * tick)

        async def last(index: int, session: DrillSession) -> None:
            try:
                future = await session.new_order(f"s{index:02d}settle", order)
                outcome = await asyncio.wait_for(future, ANSWER_SECONDS)
            except TimeoutError:
                outcome = f"not answered within {ANSWER_SECONDS:g} s"
            except SessionGone as exc:
                outcome = f"not sent: {exc}"
            if outcome != "accepted":
                session.trace.faults.append(f"its last order (the settling one) was {outcome}")

        await asyncio.gather(*(last(i, s) for i, s in enumerate(self.sessions)))

    async def close(self) -> None:
        for session in self.sessions:
            await session.close(5.0)
        for keeper in self._keepers:
            keeper.cancel()
        await asyncio.gather(*self._keepers, return_exceptions=True)


def _order(rng: random.Random) -> Order:
    symbol = rng.choice(sorted(_SYMBOLS))
    side = rng.choice(("buy", "sell"))
    tif = "ioc" if rng.random() < 0.2 else "day"
    return Order(symbol, side, rng.randint(1, 20), _price(rng, symbol, side), tif)


def _price(rng: random.Random, symbol: str, side: str) -> int:
    """Buys from 4 ticks under the reference to 2 over, sells from 2 under to 4 over: the two
    sides overlap, so some orders trade on arrival and others rest."""
    reference, tick = _SYMBOLS[symbol]
    offset = rng.randint(-4, 2) if side == "buy" else rng.randint(-2, 4)
    return reference + offset * tick
