"""``sequex.feed``: a listener of a sequex host's market-data feed that keeps every book.

    snapshot = fetch_snapshot(("127.0.0.1", 30003))          # GLIMPSE-style, over SoupBinTCP
    with FeedClient(("239.192.0.1", 30001), ("127.0.0.1", 30002)) as feed:
        feed.start(snapshot)                                  # books as of the snapshot
        while True:
            feed.pump(timeout=0.1)                            # live feed, gaps recovered
            feed.book.depth("ACME", "B")                      # (price, shares, orders), best first
            feed.trades                                       # the latest executions

Contract.

* :func:`fetch_snapshot` logs in to the snapshot service (any name: the snapshot is public)
  and reads the ITCH messages of every book up to End of Snapshot, which names the MoldUDP64
  number the live feed continues at; then End of Session.
* :class:`FeedClient` joins the multicast group on ``interface`` (the host's loopback by
  default: the feed is sent with IP_MULTICAST_IF 127.0.0.1, so no route is needed), feeds every
  datagram to a :class:`~engine.protocols.moldudp64.MoldReceiver`, sends the receiver's
  retransmission requests to the host's re-request server from a unicast socket of its own
  and feeds the answers back. Messages are applied to :attr:`FeedClient.book`
  (:class:`~engine.marketdata.itch_book.ItchBook`) exactly once, in order, so the books are the
  exchange's. ``start(snapshot)`` begins with the snapshot's books and the number after them;
  ``start(None)`` asks for the whole session from message 1.
* ``drop``: a predicate on multicast datagrams; those it accepts are dropped before the
  receiver sees them (tests force gaps with it). Retransmitted datagrams are never dropped.
* :attr:`FeedClient.trades` holds the latest executions (Order Executed, with the price of
  the order that traded); :attr:`FeedClient.ended` is set by an End of Session the receiver has
  caught up with (the host stopped; a restart on the same journal resumes the session).
"""

from __future__ import annotations

import select
import socket
import struct
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from types import TracebackType
from typing import Final

from engine.marketdata.itch_book import ItchBook
from engine.protocols.itch import (
    ItchMessage,
    MessageFault,
    OrderExecuted,
    OrderExecutedWithPrice,
    decode_message,
)
from engine.protocols.itch.glimpse import EndOfSnapshot, decode_end_of_snapshot
from engine.protocols.moldudp64 import (
    Message,
    MoldReceiver,
    PacketFault,
    RequestPacket,
    SessionEnded,
)
from engine.protocols.soupbin import (
    NEED_DATA,
    ConnectionClosed,
    EndOfSession,
    LoginAccepted,
    LoginRequest,
    PacketFramer,
    SequencedData,
    encode,
)
from engine.protocols.soupbin import PacketFault as SoupFault
from engine.protocols.soupbin.packets import SERVER_PACKET_DECODERS, ServerPacket

__all__ = ["FeedClient", "FeedError", "Snapshot", "Trade", "fetch_snapshot"]

Address = tuple[str, int]
RECEIVE_BUFFER: Final = 8 * 1024 * 1024
#: How often (at least) the receiver's timer runs: re-requests a gap left open.
TICK_NS: Final = 50_000_000


class FeedError(RuntimeError):
    """The snapshot service or the feed did not answer as the protocols say."""


@dataclass(frozen=True)
class Snapshot:
    session: str
    #: the MoldUDP64 number of the first live message the books do not include
    next_sequence: int
    messages: list[ItchMessage]


@dataclass(frozen=True)
class Trade:
    stock: str
    price: int
    shares: int
    #: the side of the resting order that traded ("B" or "S")
    side: str
    match_number: int
    timestamp: int


def fetch_snapshot(address: Address, timeout: float = 5.0) -> Snapshot:
    """Every book from the snapshot service at ``address`` (module docstring)."""
    framer: PacketFramer[ServerPacket] = PacketFramer(SERVER_PACKET_DECODERS)
    session = ""
    payloads: list[bytes] = []
    with socket.create_connection(address, timeout=timeout) as sock:
        sock.sendall(encode(LoginRequest("md", "", "", 0)))
        done = False
        while not done:
            data = sock.recv(65536)
            framer.receive_data(data)
            while True:
                item = framer.next_packet()
                if item is NEED_DATA:
                    break
                if isinstance(item, LoginAccepted):
                    session = item.session
                elif isinstance(item, SequencedData):
                    payloads.append(item.message)
                elif isinstance(item, EndOfSession | ConnectionClosed):
                    done = True
                    break
                elif isinstance(item, SoupFault):
                    raise FeedError(f"snapshot service: {item.code}: {item.text}")
            if not data:
                done = True
    if not payloads:
        raise FeedError(f"the snapshot service at {address[0]}:{address[1]} sent no snapshot")
    end = decode_end_of_snapshot(payloads[-1])
    if not isinstance(end, EndOfSnapshot):
        raise FeedError(f"the snapshot does not end with End of Snapshot: {end}")
    messages: list[ItchMessage] = []
    for payload in payloads[:-1]:
        message = decode_message(payload)
        if isinstance(message, MessageFault):
            raise FeedError(f"snapshot message: {message.code}: {message.text}")
        messages.append(message)
    return Snapshot(session, end.sequence_number, messages)


class FeedClient:
    """The live feed into books (module docstring)."""

    def __init__(
        self,
        group: Address,
        retransmit: Address,
        *,
        interface: str = "127.0.0.1",
        trades: int = 50,
        request_timeout_ns: int = 250_000_000,
    ) -> None:
        self.group = group
        self.retransmit = retransmit
        self.book = ItchBook()
        self.trades: deque[Trade] = deque(maxlen=trades)
        self.receiver: MoldReceiver | None = None
        self.ended: SessionEnded | None = None
        self.faults: list[str] = []
        self.drop: Callable[[bytes], bool] | None = None
        #: called with (number, payload) of every message applied from the feed, in order
        self.on_message: Callable[[int, bytes], None] | None = None
        self.applied = 0
        self.heard = 0
        self.dropped = 0
        self.requests = 0
        self._timeout = request_timeout_ns
        self._last_tick = 0
        self._feed = _join(group, interface)
        self._req = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self._req.bind(("127.0.0.1", 0))
        self._req.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, RECEIVE_BUFFER)
        self._req.setblocking(False)

    def __enter__(self) -> FeedClient:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        self._feed.close()
        self._req.close()

    @property
    def next_sequence(self) -> int | None:
        """The number of the next message to apply (None before the first)."""
        return None if self.receiver is None else self.receiver.expected

    def start(self, snapshot: Snapshot | None) -> None:
        """Begin from ``snapshot`` (its books, then the live feed from its number), or from
        message 1 of the session (None)."""
        if snapshot is None:
            self.receiver = MoldReceiver(None, 1, request_timeout_ns=self._timeout)
            return
        self.receiver = MoldReceiver(
            snapshot.session, snapshot.next_sequence, request_timeout_ns=self._timeout
        )
        for message in snapshot.messages:
            self._apply(message)

    def pump(self, timeout: float = 0.1) -> int:
        """Wait up to ``timeout`` seconds for datagrams; take every one that came (feed and
        answers), apply what they complete, ask for what is missing. Returns messages applied."""
        assert self.receiver is not None, "start() first"
        before = self.applied
        ready, _, _ = select.select([self._feed, self._req], [], [], timeout)
        now = time.monotonic_ns()
        for sock in ready:
            while True:
                try:
                    datagram = sock.recv(65536)
                except (BlockingIOError, InterruptedError):
                    break
                if sock is self._feed:
                    self.heard += 1
                    if self.drop is not None and self.drop(datagram):
                        self.dropped += 1
                        continue
                self._handle(self.receiver.datagram_received(datagram, now))
        if now - self._last_tick >= TICK_NS:
            self._last_tick = now
            self._handle(self.receiver.poll(now))
        return self.applied - before

    def caught_up(self) -> bool:
        """Whether the feed was heard and every message it told of is applied."""
        return self.heard > 0 and self.receiver is not None and self.receiver.gap is None

    def run_until(self, done: Callable[[], bool], timeout: float) -> bool:
        """Pump until ``done()`` or ``timeout`` seconds pass; whether it is done."""
        deadline = time.monotonic() + timeout
        while not done():
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            self.pump(min(left, 0.05))
        return True

    def _handle(self, events: list[Message | RequestPacket | SessionEnded | PacketFault]) -> None:
        for event in events:
            if isinstance(event, Message):
                message = decode_message(event.payload)
                if isinstance(message, MessageFault):
                    self.faults.append(f"message {event.sequence}: {message.text}")
                    continue
                self._apply(message)
                if self.on_message is not None:
                    self.on_message(event.sequence, event.payload)
            elif isinstance(event, RequestPacket):
                self.requests += 1
                try:
                    self._req.sendto(event.encode(), self.retransmit)
                except OSError as exc:
                    self.faults.append(f"request: {exc}")
            elif isinstance(event, SessionEnded):
                self.ended = event
            else:
                self.faults.append(f"{event.code}: {event.text}")

    def _apply(self, message: ItchMessage) -> None:
        if isinstance(message, OrderExecuted | OrderExecutedWithPrice):
            order = self.book.orders.get(message.order_reference_number)
            info = None if order is None else self.book.stocks.get(order.locate)
            if order is not None and info is not None:
                price = (
                    message.execution_price
                    if isinstance(message, OrderExecutedWithPrice)
                    else order.price
                )
                self.trades.append(
                    Trade(
                        info.stock, price, message.executed_shares, order.side,
                        message.match_number, message.timestamp,
                    )
                )  # fmt: skip
        error = self.book.apply(message)
        if error is not None:
            self.faults.append(error)
        self.applied += 1


def _join(group: Address, interface: str) -> socket.socket:
    """A UDP socket bound to ``group`` and a member of it on ``interface``."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM, socket.IPPROTO_UDP)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, RECEIVE_BUFFER)
        sock.bind(group)
        membership = struct.pack("4s4s", socket.inet_aton(group[0]), socket.inet_aton(interface))
        sock.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP, membership)
        sock.setblocking(False)
    except BaseException:
        sock.close()
        raise
    return sock
