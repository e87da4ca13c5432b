"""The OUCH gateway's fast lane in: Enter Orders read straight from a session's input bytes.

:func:`scan_enters` reads the SoupBinTCP packets buffered at ``buf[pos:end]`` (the session's
framer, ``engine.protocols.soupbin.framer``) while each is an Unsequenced Data packet of one
49-byte Enter Order that the slow path would take as it stands: it decodes
(``engine.protocols.ouch.inbound``: printable token, stock and firm, a non-blank token, every
one-character field in its set) and the engine can express it (``engine.protocols.ouch.terms``:
side B or S, cross type N, display A, Y, P or L, a time in force of 0, 99998 or 99999 with a
minimum quantity of 0, or equal to the shares on an IOC). For each it appends the NewOrder the
slow path makes of it (seq_no and ts 0: the sender stamps them) and goes on; it stops at the
first packet that is anything else, or not whole yet, and returns where it stopped. That
packet, and whatever follows, is the slow path's, which answers it as it always did.

So the lane changes no answer: it only takes the orders whose answer is "a NewOrder" without
building the packet, the message and the terms objects. What the session does next with each
order (its throttle, its day-unique tokens) is the listener's, for both lanes alike.
``tests/engine/test_ouch_scan.py`` holds the lane to the slow path: the same bytes in, whole,
byte by byte or fuzzed, give the same commands and the same replies.

Compiled by Cython (``engine.native``): the byte tests are C loops over the bytearray; the
pure build runs the same source.
"""

from __future__ import annotations

from typing import Final

import cython

from engine.domain.types import NewOrder, OrderType, Side, TimeInForce

if cython.compiled:
    from cython.cimports.engine.domain.fast_tuple import tuple12
else:
    from engine.domain.fast_tuple import tuple12

#: A SoupBinTCP packet of one Enter Order: length field 50 (type 'U' + 49 bytes).
PACKET_SIZE: Final = 52
_LENGTH: cython.Py_ssize_t = 50
_TIF_IOC: cython.longlong = 0
_TIF_MARKET_HOURS: cython.longlong = 99_998
_TIF_SYSTEM_HOURS: cython.longlong = 99_999
_MARKET_PRICE: cython.longlong = 0x7FFFFFFF
_BUY, _SELL = Side.BUY, Side.SELL
_LIMIT, _MARKET = OrderType.LIMIT, OrderType.MARKET
_DAY, _GTC, _IOC, _FOK = TimeInForce.DAY, TimeInForce.GTC, TimeInForce.IOC, TimeInForce.FOK


@cython.cfunc
@cython.inline
@cython.boundscheck(False)
@cython.wraparound(False)
def _printable(buf: bytearray, start: cython.Py_ssize_t, stop: cython.Py_ssize_t) -> cython.bint:
    i: cython.Py_ssize_t
    c: cython.uchar
    for i in range(start, stop):
        c = buf[i]
        if c < 0x20 or c > 0x7E:
            return False
    return True


@cython.cfunc
@cython.inline
@cython.boundscheck(False)
@cython.wraparound(False)
def _trimmed(buf: bytearray, start: cython.Py_ssize_t, stop: cython.Py_ssize_t) -> str:
    """The Alpha field ``buf[start:stop]`` without its right padding (checked printable)."""
    while stop > start and buf[stop - 1] == 0x20:
        stop -= 1
    return buf[start:stop].decode("ascii")


@cython.cfunc
@cython.inline
@cython.boundscheck(False)
@cython.wraparound(False)
def _u32(buf: bytearray, at: cython.Py_ssize_t) -> cython.longlong:
    return (
        (cython.cast(cython.longlong, buf[at]) << 24)
        | (cython.cast(cython.longlong, buf[at + 1]) << 16)
        | (cython.cast(cython.longlong, buf[at + 2]) << 8)
        | cython.cast(cython.longlong, buf[at + 3])
    )


@cython.ccall
@cython.boundscheck(False)
@cython.wraparound(False)
def scan_enters(
    buf: bytearray,
    pos: cython.Py_ssize_t,
    end: cython.Py_ssize_t,
    firm: str,
    account: str,
    out: list[NewOrder],
) -> cython.Py_ssize_t:
    """Append to ``out`` the NewOrder of every Enter Order packet the slow path would make one
    of, from ``buf[pos:end]`` on (``end`` at most ``len(buf)``), until the first packet that
    is anything else or incomplete; return the position of that packet (``end`` when none)."""
    if end > len(buf):
        raise ValueError(f"end {end} is past the buffer's {len(buf)} bytes")
    p: cython.Py_ssize_t
    c: cython.uchar
    display: cython.uchar
    shares: cython.longlong
    price: cython.longlong
    tif_field: cython.longlong
    minimum: cython.longlong
    while end - pos >= PACKET_SIZE:
        # the packet: length 50, type 'U'; the message: type 'O'
        if buf[pos] != 0 or buf[pos + 1] != _LENGTH or buf[pos + 2] != 0x55:
            break
        p = pos + 3  # the Enter Order's type byte; fields at their offsets from it
        if buf[p] != 0x4F:
            break
        c = buf[p + 15]
        if c != 0x42 and c != 0x53:  # side B or S (T and E are refused: the slow path's)
            break
        display = buf[p + 40]
        if not (display == 0x41 or display == 0x59 or display == 0x50 or display == 0x4C):
            break  # A, Y displayed; P, L post-only; anything else is the slow path's
        c = buf[p + 41]
        if not (c == 0x41 or c == 0x50 or c == 0x52 or c == 0x4F):  # capacity A P R O
            break
        c = buf[p + 42]
        if not (c == 0x59 or c == 0x4E or c == 0x79):  # intermarket sweep Y N y
            break
        if buf[p + 47] != 0x4E:  # cross type N
            break
        c = buf[p + 48]
        if not (c == 0x52 or c == 0x4E or c == 0x20):  # customer type R N space
            break
        if not (
            _printable(buf, p + 1, p + 15)
            and _printable(buf, p + 20, p + 28)
            and _printable(buf, p + 36, p + 40)
        ):
            break
        shares = _u32(buf, p + 16)
        price = _u32(buf, p + 28)
        tif_field = _u32(buf, p + 32)
        minimum = _u32(buf, p + 43)
        if tif_field == _TIF_IOC:
            if minimum == 0:
                tif = _IOC
            elif minimum == shares:
                tif = _FOK
            else:
                break
        elif minimum != 0:
            break
        elif tif_field == _TIF_MARKET_HOURS:
            tif = _DAY
        elif tif_field == _TIF_SYSTEM_HOURS:
            tif = _GTC
        else:
            break
        token = _trimmed(buf, p + 1, p + 15)
        if not token:
            break  # a blank token: a decode fault, the slow path's
        stock = _trimmed(buf, p + 20, p + 28)
        if price == _MARKET_PRICE:
            order_type = _MARKET
            price = 0
        else:
            order_type = _LIMIT
        out.append(
            tuple12(
                NewOrder, 0, 0, firm, account, stock, _BUY if buf[p + 15] == 0x42 else _SELL,
                order_type, tif, shares, price, token, display == 0x50 or display == 0x4C,
            )
        )  # fmt: skip
        pos += PACKET_SIZE
    return pos
