"""The order-entry client interface the load generator drives, and the adapters that speak it.

One adapter per protocol (:mod:`.json`, :mod:`.ouch`, :mod:`.fix`), all with the same asyncio
interface, :class:`OrderClient`; the driver (``tools.loadgen.driver``) knows nothing else of a
protocol. An adapter is made with the connection's :class:`Identity` and an id prefix, then::

    await client.connect(host, port, timeout)   # TCP connect + login; ClientError if refused
    oid = client.send_new_order(order)          # encodes and queues it; returns its id
    first = client.send_new_orders(order, n)    # n of them; the number of the first
    if client.write_out():                      # writes the queue; True: TCP pushes back,
        await client.flush()                    # so wait until it takes more
    client.on_reports(sink)                     # sink(batch) for each socket read's
    await client.wait_ended()                   # Reports, until the connection ends
    async for batch in client.reports():        # or: the same batches as an iterator
        for kind, oid, ts_ns, detail in batch: ...
    await client.close(timeout)                 # logout, wait for the peer's end, close

Contract.

* ``send_new_order`` is synchronous: the id is returned before any report can be read, so the
  caller can register the order first. The order leaves at the next ``write_out`` or
  ``flush``, which the caller runs after each burst and before it sleeps. Ids are ``prefix`` +
  the order's number in 8 digits (1, 2, ... per connection: ``tools.loadgen.correlate``
  reads it back), unique per connection (the prefix makes them unique per run), and are the
  protocol's own correlation key: JSON ``client_order_id``, OUCH order token, FIX
  ClOrdID(11). ``send_new_orders(order, n)`` queues n of the same order, numbered on from
  the last, and returns the first's number: one call for a burst, which an adapter may
  encode in one go.
* ``write_out`` writes the queue without waiting and says whether the socket's send buffer
  is over its high-water mark; ``flush`` writes it and waits until it is not.
* ``connect`` raises only ClientError (also for a name or password the protocol cannot carry);
  ``send_new_order`` raises ValueError for an order the protocol cannot carry (a symbol too
  long for OUCH), before anything is queued.
* Reports go to the sink set with ``on_reports`` as each read is parsed (none is lost: those
  read before it is set come first), or else to ``reports()``, which may be iterated once.
  Either way they end when the connection ends (``wait_ended`` returns; ``close_reason``
  says why, or stays None after our own ``close``); nothing raises for the peer's bytes, and
  an exception in the sink ends the connection with ``close_reason`` "client failure: ...".
* A :data:`Report` is ``(kind, order id, ts_ns, detail)``: ``ts_ns`` is :func:`now_ns` when the
  bytes carrying it were read (one stamp per read); ``detail`` is the reason of a reject, a
  refusal or an end; for a fill, :data:`TAKER` or :data:`MAKER` when the protocol says which
  side of the trade the order was ("" when it does not); else "". Kinds: :data:`ACK` (the
  order is accepted), :data:`FILL` (a fill of it; partial fills too), :data:`REJECT` (the
  exchange rejected it), :data:`DONE` (it ended without filling all: cancelled, e.g. by
  self-trade prevention, or expired), :data:`ERROR`
  (refused before the exchange saw it: a gateway error line, a session-level reject; the id
  is "" when the refusal names no order).
* A report about an order this connection did not send (its firm's other sessions get its
  fills too, on some protocols) carries an id the caller does not know: ignore it.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Final, Protocol

from engine.domain.types import Side, TimeInForce

__all__ = [
    "ACK",
    "DONE",
    "ERROR",
    "FILL",
    "MAKER",
    "PROTOCOLS",
    "REJECT",
    "TAKER",
    "ClientError",
    "ClientFactory",
    "Identity",
    "OrderClient",
    "OrderSpec",
    "Report",
    "client_factory",
    "now_ns",
]

ACK: Final = "ack"
FILL: Final = "fill"
REJECT: Final = "reject"
DONE: Final = "done"
ERROR: Final = "error"
#: ``detail`` of a FILL: the order took liquidity (traded on arrival) or had added it (rested)
TAKER: Final = "taker"
MAKER: Final = "maker"

#: (kind, order id, ts_ns, detail)
Report = tuple[str, str, int, str]

#: The one clock of the load generator: intended send times and report stamps both use it.
now_ns: Final = time.monotonic_ns

#: Protocol name -> the module of its adapter (imported only when chosen).
PROTOCOLS: Final[dict[str, str]] = {
    "json": "tools.loadgen.clients.json",
    "ouch": "tools.loadgen.clients.ouch",
    "fix": "tools.loadgen.clients.fix",
}


#: digits of the order number at the end of every order id
NUMBER_DIGITS: Final = 8


class ClientError(Exception):
    """Connecting or logging in failed (refused, timed out, closed): the text says which."""


@dataclass(frozen=True, slots=True)
class Identity:
    """Who a connection logs in as, and for which account it orders.

    ``sender`` is the protocol's session name where it has one: the FIX SenderCompID(49)
    (Username(553) is the firm), the OUCH login username; "" means the firm's name.
    """

    firm: str
    account: str
    password: str
    sender: str = ""

    @property
    def login_name(self) -> str:
        return self.sender or self.firm


@dataclass(frozen=True, slots=True)
class OrderSpec:
    """A limit order: ``qty`` shares at ``price`` price units (1/10,000), DAY or IOC."""

    symbol: str
    side: Side
    qty: int
    price: int
    tif: TimeInForce = TimeInForce.DAY


class OrderClient(Protocol):
    """One connection of one protocol; see the module docstring for the contract."""

    #: why the connection ended, when the peer (not our ``close``) ended it
    close_reason: str | None

    async def connect(self, host: str, port: int, timeout: float) -> None: ...

    def send_new_order(self, order: OrderSpec) -> str: ...

    def send_new_orders(self, order: OrderSpec, count: int) -> int: ...

    def write_out(self) -> bool: ...

    async def flush(self) -> None: ...

    def reports(self) -> AsyncIterator[list[Report]]: ...

    def on_reports(self, sink: Callable[[list[Report]], None]) -> None: ...

    async def wait_ended(self) -> None: ...

    async def close(self, timeout: float) -> None: ...


#: (identity, id prefix) -> a client, not yet connected
ClientFactory = Callable[[Identity, str], OrderClient]


def client_factory(protocol: str) -> ClientFactory:
    """The adapter class of ``protocol`` (a key of :data:`PROTOCOLS`)."""
    import importlib

    module = importlib.import_module(PROTOCOLS[protocol])
    factory: ClientFactory = module.CLIENT
    return factory
