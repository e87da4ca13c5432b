"""The plan of a load run: which order is due when, on which connection, which side, resting
or taking. Pure functions of the settings; ``tools.loadgen.driver`` carries them out.

Pacing (open loop). ``rate * duration`` orders are planned, numbered g = 0, 1, ... and
intended to be sent at ``start + g / rate``; order g goes to connection ``g % C``, so each
connection sends at ``rate / C`` and the connections interleave evenly. A connection's task
sleeps until its next order is due and then writes every order already due. A late write
never moves the schedule: the next order is still due at its own time, so after a stall the
task catches up in bursts (``tools.loadgen.driver.BURST`` orders at a time).

Flow that trades. Connection k logs in as ``identities[k % len(identities)]``; every order is
at one price. The first firm *makes*: its orders are DAY orders that rest. The other firms
*take*: their orders are IOC, which trade with what rests or expire. Sides turn every
:data:`SIDE_RUN` orders per connection, at the same time on every connection: the maker buys
while the takers sell, then the other way round, so no account drifts far from where it
started. With two firms and an even number of connections, makers and takers interleave, and
about every order is acked and filled: a taker order meets the maker order sent 1 / rate
before it.

Why so: self-trade prevention applies per firm. A firm whose orders rest on both sides at one
price would meet its own orders; a taker's IOC never rests, and a maker's own leftover (a
resting order that no taker met, because orders overtook each other between connections) is
met by its own next order only when the sides turn, where the firm's STP mode decides: with
``cancel_resting`` or ``cancel_both`` (the demo's maker, ALPHA) the leftover goes. A maker with
``cancel_incoming`` would see its orders cancelled until its leftover is taken, a run later.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from engine.domain.types import Side, TimeInForce
from tools.loadgen.clients import Identity, OrderSpec

__all__ = [
    "MAX_CONNECTIONS",
    "SIDE_RUN",
    "LoadSettings",
    "id_prefix",
    "intended_ns",
    "order_specs",
    "planned_orders",
    "run_tag",
    "send_grace",
    "side_of",
]

#: Orders of one side a connection sends before it turns to the other side.
SIDE_RUN: Final = 256
#: At most this many connections: the event loop's select() takes file descriptors below 1024.
MAX_CONNECTIONS: Final = 512
_NS: Final = 1_000_000_000
_DIGITS: Final = "0123456789abcdefghijklmnopqrstuvwxyz"


@dataclass(frozen=True)
class LoadSettings:
    host: str
    port: int
    #: orders per second, all connections together
    rate: int
    duration: float
    connections: int
    #: connection k logs in as identities[k % len(identities)]; the first firm makes
    identities: Sequence[Identity]
    symbol: str
    #: price units (1/10,000)
    price: int
    qty: int = 1
    connect_timeout: float = 5.0
    drain: float = 2.0
    close_timeout: float = 1.0


def planned_orders(rate: int, duration: float) -> int:
    return round(rate * duration)


def intended_ns(start_ns: int, g: int, rate: int) -> int:
    """When order ``g`` is due."""
    return start_ns + g * _NS // rate


def side_of(g: int, connections: int, maker: bool) -> Side:
    """The side of order ``g`` (see Flow that trades)."""
    buys = (g // (SIDE_RUN * connections)) % 2 == 0
    return Side.BUY if buys == maker else Side.SELL


def order_specs(settings: LoadSettings, identity: Identity) -> tuple[bool, dict[Side, OrderSpec]]:
    """(whether ``identity`` makes, its buy and sell orders): DAY to make, IOC to take."""
    maker = identity.firm == settings.identities[0].firm
    tif = TimeInForce.DAY if maker else TimeInForce.IOC
    s = settings
    return maker, {side: OrderSpec(s.symbol, side, s.qty, s.price, tif) for side in Side}


def send_grace(duration: float) -> float:
    """Seconds after ``duration`` that late orders may still be written."""
    return min(1.0, max(0.05, duration / 10))


def run_tag() -> str:
    """4 random base-36 characters: order ids of one run differ from another run's."""
    n = secrets.randbelow(36**4)
    return "".join(_DIGITS[(n // 36**i) % 36] for i in range(4))


def id_prefix(tag: str, connection: int) -> str:
    """The prefix of connection ``connection``'s order ids: the run tag and 2 base-36 chars."""
    return tag + _DIGITS[connection // 36] + _DIGITS[connection % 36]
