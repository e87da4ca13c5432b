"""The feed's hot path, compiled: ring[events] records straight into MoldUDP64 datagrams of ITCH.

Contract. :class:`FeedEncoder` is the ITCH projection (:mod:`engine.marketdata.itch_projection`)
and the MoldUDP64 sender (:mod:`engine.protocols.moldudp64.sender`) fused for speed: it reads
ring[events] records (128-byte rows, ``engine.event_records``; the command's ts in the header
word at ``engine.event_codec.TS_OFFSET``) in canonical order and writes the ITCH messages
they make, each with its 2-byte length, straight into the current datagram; a datagram that
would pass ``max_packet`` bytes (or 0xFFFE messages) is closed, its header written, and queued
for :meth:`~FeedEncoder.take`. No event object, no message object, no per-message bytes.

It owns no state of its own beyond the datagram being filled: the books are the wrapped
:class:`~engine.marketdata.itch_projection.ItchProjection`'s (resting orders, locates, last
reference), so ``snapshot()``, ``restore()`` and ``book_messages()`` keep working on it, and
the rules are the projection's, applied here to the five hot kinds (Add A, Executed E, Cancel
X, Delete D, Replace U). Everything else goes to the reference: the rare kinds (SymbolAdded,
TradingStatus), the feed's first messages (System Events), and any record the fast path would
not publish exactly as the reference does (an unknown order or symbol, a number that does not
fit, an execution away from the order's price): the record is decoded and handed to
``ItchProjection.apply``, which publishes it or raises ``ProjectionError``. Records of other
kinds (execution reports, fills, account events) are not market data and are skipped.

Same bytes as the reference: the differential tests (tests/engine/marketdata/
test_feed_encoder.py, compiled and uncompiled) hold the datagrams to those of
``ItchProjection.apply`` + ``encode()`` + ``MoldSender.send_many`` on the same records.
Compiled, fields are read and messages written with C loads and stores; uncompiled the same
loop runs over numpy columns with ``struct.pack_into``.
"""

from __future__ import annotations

from typing import Any, Final

import cython
import numpy as np

from engine.domain.types import (
    BookAdd,
    BookDelete,
    BookExecute,
    BookReduce,
    BookReplace,
    SymbolAdded,
    TradingStatus,
)
from engine.event_codec import TS_OFFSET, EventReader
from engine.event_records import EVENT_CLASSES, EVENT_RECORD_SIZE
from engine.marketdata.itch_projection import ItchProjection, RestingOrder
from engine.protocols.itch import NS_PER_DAY
from engine.protocols.moldudp64.packets import HEADER, MAX_COUNT, MAX_PACKET, encode_session

if cython.compiled:
    from cython.cimports.cpython.bytearray import PyByteArray_AS_STRING
    from cython.cimports.libc.string import memcpy

__all__ = ["MARKET_KINDS", "FeedEncoder", "symbol_key"]

# Record kinds as C constants of the compiled build.
_ADD: cython.int = EVENT_CLASSES.index(BookAdd) + 1
_EXECUTE: cython.int = EVENT_CLASSES.index(BookExecute) + 1
_REDUCE: cython.int = EVENT_CLASSES.index(BookReduce) + 1
_DELETE: cython.int = EVENT_CLASSES.index(BookDelete) + 1
_REPLACE: cython.int = EVENT_CLASSES.index(BookReplace) + 1
_SYMBOL: cython.int = EVENT_CLASSES.index(SymbolAdded) + 1
_STATUS: cython.int = EVENT_CLASSES.index(TradingStatus) + 1
#: The record kinds that are market data (a numpy mask by kind byte).
MARKET_KINDS: Final = np.zeros(256, dtype=np.bool_)
MARKET_KINDS[[_ADD, _EXECUTE, _REDUCE, _DELETE, _REPLACE, _SYMBOL, _STATUS]] = True

_U32: cython.longlong = 0xFFFF_FFFF
_NS_PER_DAY: cython.longlong = NS_PER_DAY
_HDR: cython.Py_ssize_t = HEADER.size
#: words (8 bytes) of a record: seq_no, i1, i2, i3, i6, symbol, command ts
_W_SEQ: cython.int = 1
_W_I1: cython.int = 2
_W_I2: cython.int = 3
_W_I3: cython.int = 4
_W_I6: cython.int = 7
_W_SYMBOL: cython.int = 10
_W_TS: cython.int = TS_OFFSET // 8
_SIDE_CHARS: Final = ("", "B", "S")  # engine Side value (1, 2) -> ITCH side


def symbol_key(symbol: str) -> int:
    """The record's symbol field (8 bytes, NUL padded) read as a little-endian int64."""
    return int.from_bytes(symbol.encode("ascii").ljust(8, b"\0"), "little", signed=True)


@cython.cfunc
@cython.inline
def _be(p: cython.p_uchar, value: cython.ulonglong, size: cython.int) -> cython.void:
    """``value`` big-endian in ``size`` bytes at ``p``."""
    i: cython.int
    for i in range(size - 1, -1, -1):
        p[i] = value & 0xFF
        value >>= 8


@cython.cfunc
@cython.inline
def _head(
    p: cython.p_uchar, kind: cython.uchar, locate: cython.ulonglong, t: cython.ulonglong
) -> cython.void:
    """Type, stock locate, tracking number 0 and the 6-byte timestamp."""
    p[0] = kind
    _be(p + 1, locate, 2)
    p[3] = 0
    p[4] = 0
    _be(p + 5, t, 6)


@cython.cfunc
@cython.inline
def _is_market(kind: cython.int) -> cython.bint:
    return kind in (_ADD, _EXECUTE, _REDUCE, _DELETE, _REPLACE, _SYMBOL, _STATUS)


@cython.final
@cython.cclass
class FeedEncoder:
    """Records in, full datagrams out (module docstring)."""

    _projection: ItchProjection
    _reader: EventReader
    _orders: dict[int, Any]
    _symbols: dict[int, Any]
    _session: bytes
    _packet: bytearray
    _out: list[bytes]
    _first: cython.longlong
    _count: cython.Py_ssize_t
    _at: cython.Py_ssize_t
    _max: cython.Py_ssize_t
    _offset_ns: cython.longlong
    _events: cython.longlong
    _messages: cython.longlong
    _last_ts: cython.longlong

    def __init__(
        self,
        projection: ItchProjection,
        session: str,
        *,
        next_sequence: int = 1,
        max_packet: int = MAX_PACKET,
    ) -> None:
        if next_sequence < 1:
            raise ValueError(f"next_sequence {next_sequence} must be at least 1")
        if max_packet < _HDR + 2 + 50:  # the longest ITCH message sequex sends fits
            raise ValueError(f"max_packet {max_packet} is too small for the feed's messages")
        self._projection = projection
        self._reader = EventReader()
        self._orders = projection.orders
        self._symbols = {}
        self._session = encode_session(session)
        self._packet = bytearray(max_packet)
        self._out = []
        self._first = next_sequence
        self._count = 0
        self._at = _HDR
        self._max = max_packet
        self._offset_ns = projection.utc_offset_s * 1_000_000_000
        self._events = 0
        self._messages = 0
        self._last_ts = 0
        self._learn_symbols()

    @property
    def projection(self) -> ItchProjection:
        """The projection whose books the encoder keeps (snapshot, restore, book_messages)."""
        return self._projection

    @property
    def session(self) -> str:
        return self._session.decode("ascii").rstrip(" ")

    def rename(self, session: str) -> None:
        """Number on under ``session`` (a promoted standby's feed taking its primary's);
        only between two flushes: no datagram is half filled then."""
        if self._count:
            raise ValueError("rename a feed encoder only between flushes")
        self._session = encode_session(session)

    @property
    def events(self) -> int:
        """Market-data records read so far."""
        return self._events

    @property
    def messages(self) -> int:
        """Messages numbered so far (queued ones included)."""
        return self._messages

    @property
    def last_ts(self) -> int:
        """The ts of the command of the last market-data record read (0: none yet)."""
        return self._last_ts

    @property
    def next_sequence(self) -> int:
        """The number the next message will have (queued messages included)."""
        return self._first + self._count

    @property
    def queued(self) -> int:
        """Messages in the datagram being filled."""
        return self._count

    def take(self) -> list[bytes]:
        """The datagrams closed since the last call, in order."""
        out = self._out
        self._out = []
        return out

    def flush(self) -> list[bytes]:
        """Close the datagram being filled (if any) and take every closed one."""
        self._close()
        return self.take()

    def skip_messages(self, count: int) -> None:
        """Number the next ``count`` messages as already sent (nothing queued): a feed that
        regenerates what was published before numbers on from there."""
        if self._count:
            raise ValueError("skip_messages with messages queued")
        self._first += count

    # -- records in --------------------------------------------------------------------------

    def add_rows(self, rows: Any) -> None:
        """Publish the records of ``rows``, a C-contiguous ``(n, 128)`` uint8 array of
        ring[events] records in canonical order (a run of one poll)."""
        n: cython.Py_ssize_t = rows.shape[0]
        i: cython.Py_ssize_t
        if cython.compiled:
            view = cython.declare(cython.const[cython.uchar][:, ::1], rows)
            if view.shape[1] != EVENT_RECORD_SIZE:
                raise ValueError(f"rows of {view.shape[1]} bytes are not event records")
            w = cython.declare(cython.longlong[16])
            for i in range(n):
                p: cython.p_const_uchar = cython.address(view[i, 0])
                if not _is_market(p[0]):
                    continue
                memcpy(cython.address(w[0]), p, EVENT_RECORD_SIZE)
                self._event(
                    p[0], p[1], w[_W_SEQ], w[_W_I1], w[_W_I2], w[_W_I3], w[_W_I6],
                    w[_W_SYMBOL], w[_W_TS], rows, i,
                )  # fmt: skip
        else:
            kinds = rows[:, 0]
            keep = np.flatnonzero(MARKET_KINDS[kinds])
            if not len(keep):
                return
            picked = rows[keep]
            words = picked.view("<i8")
            columns = [words[:, c].tolist() for c in (_W_SEQ, _W_I1, _W_I2, _W_I3, _W_I6)]
            seqs, i1s, i2s, i3s, i6s = columns
            symbols = words[:, _W_SYMBOL].tolist()
            stamps = words[:, _W_TS].tolist()
            k = picked[:, 0].tolist()
            e1 = picked[:, 1].tolist()
            for j, row in enumerate(keep.tolist()):
                self._event(
                    k[j], e1[j], seqs[j], i1s[j], i2s[j], i3s[j], i6s[j], symbols[j],
                    stamps[j], rows, row,
                )  # fmt: skip

    @cython.cfunc
    def _event(self, kind: cython.int, e1: cython.int, seq: cython.longlong,
        i1: cython.longlong, i2: cython.longlong, i3: cython.longlong, i6: cython.longlong,
        symbol: cython.longlong, ts: cython.longlong, rows: Any,
        row: cython.Py_ssize_t) -> cython.void:  # fmt: skip
        self._events += 1
        self._last_ts = ts
        t: cython.longlong = (ts + self._offset_ns) % _NS_PER_DAY
        done: cython.bint = False
        if kind == _EXECUTE:
            done = self._execute(i1, i2, i3, i6, t)
        elif kind == _ADD:
            done = self._add(seq, i1, e1, i2, i3, symbol, t)
        elif kind == _DELETE:
            done = self._delete(i1, t)
        elif kind == _REDUCE:
            done = self._reduce(i1, i2, t)
        elif kind == _REPLACE:
            done = self._replace(seq, i1, i2, i3, t)
        if not done:
            self._reference(rows, row, seq, ts, kind)

    # One method per hot kind: check everything first, then change the books and write. A
    # False answer changed nothing: the reference then publishes the record (or raises).

    @cython.cfunc
    def _execute(self, order_id: cython.longlong, qty: cython.longlong, price: cython.longlong,
        match: cython.longlong, t: cython.longlong) -> cython.bint:  # fmt: skip
        order = self._orders.get(order_id)
        if order is None or not self._projection.started or match < 0 or not 0 <= qty <= _U32:
            return False
        shares: cython.longlong = order.shares
        if price != order.price or shares < qty:
            return False
        if shares == qty:
            del self._orders[order_id]
        else:
            order.shares = shares - qty
        self._put(69, order.locate, t, order.ref, 8, qty, 4, match, 8, 0, 0, 0, 0)  # 'E'
        return True

    @cython.cfunc
    def _add(self, seq: cython.longlong, order_id: cython.longlong, side: cython.int,
        qty: cython.longlong, price: cython.longlong, symbol: cython.longlong,
        t: cython.longlong) -> cython.bint:  # fmt: skip
        known = self._symbols.get(symbol)
        projection = self._projection
        if known is None or not projection.started or side < 1 or side > 2:
            return False
        if not 0 <= qty <= _U32 or not 0 <= price <= _U32 or seq <= projection.last_ref:
            return False
        locate: cython.longlong = known[0]
        projection.last_ref = seq
        self._orders[order_id] = RestingOrder(seq, locate, _SIDE_CHARS[side], price, qty)
        side_byte: cython.int = 66 if side == 1 else 83  # 'B' / 'S'
        self._put(65, locate, t, seq, 8, side_byte, 1, qty, 4, known[1], 8, price, 4)  # 'A'
        return True

    @cython.cfunc
    def _reduce(
        self, order_id: cython.longlong, qty: cython.longlong, t: cython.longlong
    ) -> cython.bint:
        order = self._orders.get(order_id)
        if order is None or not self._projection.started or not 0 <= qty <= _U32:
            return False
        shares: cython.longlong = order.shares
        if shares - qty <= 0:
            return False
        order.shares = shares - qty
        self._put(88, order.locate, t, order.ref, 8, qty, 4, 0, 0, 0, 0, 0, 0)  # 'X'
        return True

    @cython.cfunc
    def _delete(self, order_id: cython.longlong, t: cython.longlong) -> cython.bint:
        order = self._orders.get(order_id)
        if order is None or not self._projection.started:
            return False
        del self._orders[order_id]
        self._put(68, order.locate, t, order.ref, 8, 0, 0, 0, 0, 0, 0, 0, 0)  # 'D'
        return True

    @cython.cfunc
    def _replace(self, seq: cython.longlong, order_id: cython.longlong, qty: cython.longlong,
        price: cython.longlong, t: cython.longlong) -> cython.bint:  # fmt: skip
        old = self._orders.get(order_id)
        projection = self._projection
        if old is None or not projection.started or seq <= projection.last_ref:
            return False
        if not 0 <= qty <= _U32 or not 0 <= price <= _U32:
            return False
        projection.last_ref = seq
        del self._orders[order_id]  # re-inserted: last in priority order, as the reference
        self._orders[order_id] = RestingOrder(seq, old.locate, old.side, price, qty)
        self._put(85, old.locate, t, old.ref, 8, seq, 8, qty, 4, price, 4, 0, 0)  # 'U'
        return True

    # -- the reference path, and the datagram ------------------------------------------------

    @cython.cfunc
    def _reference(
        self, rows: Any, row: cython.Py_ssize_t, seq: cython.longlong, ts: cython.longlong,
        kind: cython.int,
    ) -> cython.void:  # fmt: skip
        decoded = self._reader.decode_rows(np.ascontiguousarray(rows[row : row + 1]))
        event = decoded[0][2]
        for message in self._projection.apply(seq, ts, (event,)):
            self.append(message.encode())
        if kind == _SYMBOL:
            self._learn_symbols()

    def append(self, message: bytes) -> None:
        """Queue one encoded message (numbered next)."""
        size: cython.Py_ssize_t = len(message)
        if size + 2 + _HDR > self._max:
            raise ValueError(f"a message of {size} bytes does not fit a {self._max}-byte packet")
        at: cython.Py_ssize_t = self._room(size)
        self._packet[at : at + size] = message

    @cython.cfunc
    def _put(
        self, kind: cython.int, locate: cython.ulonglong, t: cython.ulonglong,
        a: cython.ulonglong, na: cython.int, b: cython.ulonglong, nb: cython.int,
        c: cython.ulonglong, nc: cython.int, d: cython.ulonglong, nd: cython.int,
        e: cython.ulonglong, ne: cython.int,
    ) -> cython.void:  # fmt: skip
        """One message: the common header (type, locate, tracking 0, timestamp), then up to
        five unsigned big-endian fields (value, size in bytes; size 0: none)."""
        at: cython.Py_ssize_t = self._room(11 + na + nb + nc + nd + ne)
        if cython.compiled:
            p: cython.p_uchar = cython.cast(cython.p_uchar, PyByteArray_AS_STRING(self._packet))
            p += at
            _head(p, kind, locate, t)
            p += 11
            _be(p, a, na)
            _be(p + na, b, nb)
            _be(p + na + nb, c, nc)
            _be(p + na + nb + nc, d, nd)
            _be(p + na + nb + nc + nd, e, ne)
        else:
            fields = ((a, na), (b, nb), (c, nc), (d, nd), (e, ne))
            body = b"".join(value.to_bytes(size, "big") for value, size in fields)
            head = bytes((kind,)) + locate.to_bytes(2, "big") + b"\0\0" + t.to_bytes(6, "big")
            self._packet[at : at + len(head) + len(body)] = head + body

    @cython.cfunc
    def _room(self, size: cython.Py_ssize_t) -> cython.Py_ssize_t:
        """Where a message of ``size`` bytes goes (its length written before it)."""
        if self._at + 2 + size > self._max or self._count == MAX_COUNT:
            self._close()
        at: cython.Py_ssize_t = self._at
        if cython.compiled:
            p: cython.p_uchar = cython.cast(cython.p_uchar, PyByteArray_AS_STRING(self._packet))
            p[at] = size >> 8
            p[at + 1] = size & 0xFF
        else:
            self._packet[at] = size >> 8
            self._packet[at + 1] = size & 0xFF
        self._at = at + 2 + size
        self._count += 1
        self._messages += 1
        return at + 2

    @cython.cfunc
    def _close(self) -> cython.void:
        if self._count == 0:
            return
        HEADER.pack_into(self._packet, 0, self._session, self._first, self._count)
        self._out.append(bytes(self._packet[: self._at]))
        self._first += self._count
        self._count = 0
        self._at = _HDR

    def _learn_symbols(self) -> None:
        """The fast path's symbol table: record field -> (locate, the ITCH stock field as a
        big-endian integer)."""
        table: dict[int, Any] = {}
        for symbol, locate in self._projection.locates.items():
            try:
                stock = symbol.encode("ascii").ljust(8)
                key = symbol_key(symbol)
            except (UnicodeError, OverflowError):
                continue  # the reference raises for it
            if len(stock) == 8 and stock.isascii():
                table[key] = (locate, int.from_bytes(stock, "big"))
        self._symbols = table
