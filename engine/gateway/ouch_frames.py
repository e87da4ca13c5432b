"""Many stored reports rendered as OUCH messages at once: the out side's last step per report.

:func:`render_many` is ``[render_bytes(r) for r in reports]``
(``engine.gateway.ouch_render.render_bytes``, the reference) and raises what it raises.
Compiled (``engine.native``), the messages nearly every order makes, Accepted (66 bytes),
Executed (40 bytes) and Canceled (28 bytes, of a CANCELED or an EXPIRED report), are written
by C stores, big-endian as OUCH 4.2 lays them out; any other kind, and a report whose fields
the C path does not take as they are (a token or a symbol that is not ASCII or longer than
its field, a number out of its field's range, a side, TIF, liquidity or reason the tables do
not name, a market or FOK order's Accepted), goes through the reference. Uncompiled, the
reference does it all.
``tests/engine/test_ouch_frames.py`` holds the two to the same bytes.
"""

from __future__ import annotations

import struct
from typing import Any

import cython

from engine.domain.types import OrderType, TimeInForce
from engine.gateway.ouch_render import _CANCEL, _EXPIRE, _LIQUIDITY, _SIDE, _TIF, render_bytes
from engine.gateway.report_types import ReportKind
from engine.protocols.ouch.fields import NS_PER_DAY

if cython.compiled:
    from cython.cimports.cpython.bytes import PyBytes_AS_STRING, PyBytes_FromStringAndSize
    from cython.cimports.engine.ascii_stores import copy_ascii
    from cython.cimports.engine.gateway.report_types import OrderReport
    from cython.cimports.libc.string import memcpy, memset
else:
    from engine.ascii_stores import copy_ascii
    from engine.gateway.report_types import OrderReport

#: a SoupBinTCP Sequenced Data packet's header: its length (u16 big-endian, counting the type
#: byte) and its type, then the message
_PACKET_LENGTH = struct.Struct(">H")
_SEQUENCED = b"S"
_MAX_MESSAGE: cython.Py_ssize_t = 0xFFFE
_NEW = ReportKind.NEW
_TRADE = ReportKind.TRADE
_CANCELED = ReportKind.CANCELED
_EXPIRED = ReportKind.EXPIRED
_MARKET = int(OrderType.MARKET)
_FOK = int(TimeInForce.FOK)


@cython.cfunc
def _be(p: cython.p_uchar, value: cython.ulonglong, size: cython.int) -> cython.void:
    """``value`` big-endian in ``size`` bytes at ``p``."""
    i: cython.int
    for i in range(size - 1, -1, -1):
        if cython.compiled:
            p[i] = cython.cast(cython.uchar, value & 0xFF)
        value >>= 8


@cython.cfunc
def _u32(value: Any) -> cython.longlong:
    """``value`` if it is an int in the range of a u32, else -1."""
    if not isinstance(value, int):
        return -1
    v: cython.longlong = value
    return v if 0 <= v <= 0xFFFFFFFF else -1


@cython.cfunc
def _u63(value: Any) -> cython.longlong:
    """``value`` if it is a non-negative int of int64, else -1 (OverflowError beyond)."""
    if not isinstance(value, int):
        return -1
    v: cython.longlong = value
    return v if v >= 0 else -1


@cython.cfunc
def _text(p: cython.p_uchar, value: Any, size: cython.Py_ssize_t) -> cython.bint:
    """An ASCII str of at most ``size`` characters, space-padded (``ljust``); False else."""
    n: cython.Py_ssize_t = copy_ascii(p, value, size, True)
    if n < 0:
        return False
    if cython.compiled:
        memset(p + n, 32, size - n)
    return True


@cython.cfunc
def _timestamp(ts: Any) -> cython.longlong:
    """OUCH's timestamp of ``ts`` (``ns_since_midnight``); -1 when ``ts`` is not an int."""
    if not isinstance(ts, int):
        return -1
    t: cython.longlong = ts
    day: cython.longlong = NS_PER_DAY
    t = t % day  # Python's sign rule (Cython's default): the result is in [0, day)
    return t


@cython.cfunc
def _write_executed(p: cython.p_uchar, r: OrderReport) -> cython.bint:
    """Report ``r``'s Executed (40 bytes) at ``p``; False when the C path cannot write it as
    the reference would (what it wrote is then garbage the caller drops)."""
    if cython.compiled:  # the C path only
        liquidity = _LIQUIDITY.get(r.liquidity)
        if liquidity is None:
            return False
        ts: cython.longlong = _timestamp(r.ts)
        qty: cython.longlong = _u32(r.last_qty)
        price: cython.longlong = _u32(r.last_price)
        match_number: cython.longlong = _u63(r.exec_id)
        if ts < 0 or qty < 0 or price < 0 or match_number < 0:
            return False
        if not _text(p + 9, r.client_order_id, 14):
            return False
        p[0] = 69  # 'E'
        _be(p + 1, ts, 8)
        _be(p + 23, qty, 4)
        _be(p + 27, price, 4)
        flag: bytes = liquidity
        p[31] = cython.cast(cython.p_uchar, PyBytes_AS_STRING(flag))[0]
        _be(p + 32, match_number, 8)
        return True
    return False


@cython.cfunc
def _write_accepted(p: cython.p_uchar, r: OrderReport) -> cython.bint:
    """Report ``r``'s Accepted (66 bytes) at ``p``; False as for :func:`_write_executed`."""
    if cython.compiled:  # the C path only
        if r.order_type == _MARKET or r.tif == _FOK:
            return False
        side = _SIDE.get(r.side)
        tif = _TIF.get(r.tif)
        if side is None or tif is None:
            return False
        ts: cython.longlong = _timestamp(r.ts)
        shares: cython.longlong = _u32(r.leaves_qty)
        price: cython.longlong = _u32(r.price)
        tif_value: cython.longlong = _u32(tif)
        reference: cython.longlong = _u63(r.order_id)
        if ts < 0 or shares < 0 or price < 0 or tif_value < 0 or reference < 0:
            return False
        if not (_text(p + 9, r.client_order_id, 14) and _text(p + 28, r.symbol, 8)):
            return False
        side_char: bytes = side
        p[0] = 65  # 'A'
        _be(p + 1, ts, 8)
        p[23] = cython.cast(cython.p_uchar, PyBytes_AS_STRING(side_char))[0]
        _be(p + 24, shares, 4)
        _be(p + 36, price, 4)
        _be(p + 40, tif_value, 4)
        memset(p + 44, 32, 4)  # firm: blank
        p[48] = 80 if r.post_only else 89  # 'P' / 'Y'
        _be(p + 49, reference, 8)
        p[57] = 65  # capacity 'A'
        p[58] = 78  # intermarket sweep 'N'
        _be(p + 59, 0, 4)  # minimum quantity
        p[63] = 78  # cross type 'N'
        p[64] = 76 if r.leaves_qty else 68  # order state 'L' / 'D'
        p[65] = 32  # BBO weight: blank
        return True
    return False


@cython.cfunc
def _write_canceled(p: cython.p_uchar, r: OrderReport) -> cython.bint:
    """Report ``r``'s Canceled (28 bytes: a CANCELED or an EXPIRED) at ``p``; False as for
    :func:`_write_executed` (a reason the reference's table does not name among them)."""
    if cython.compiled:  # the C path only
        reasons = _CANCEL if r.kind is _CANCELED else _EXPIRE
        reason = reasons.get(r.reason)
        if reason is None:
            return False
        ts: cython.longlong = _timestamp(r.ts)
        decrement: cython.longlong = _u32(r.last_qty)
        if ts < 0 or decrement < 0 or not _text(p + 9, r.client_order_id, 14):
            return False
        code: bytes = reason
        p[0] = 67  # 'C'
        _be(p + 1, ts, 8)
        _be(p + 23, decrement, 4)
        p[27] = cython.cast(cython.p_uchar, PyBytes_AS_STRING(code))[0]
        return True
    return False


@cython.cfunc
def _written(r: OrderReport, size: cython.Py_ssize_t) -> object:
    """Report ``r``'s message of ``size`` bytes (:func:`_write`) as a new bytes object, or
    None when the C path cannot write it."""
    if cython.compiled:
        data = PyBytes_FromStringAndSize(cython.NULL, size)
        p: cython.p_uchar = cython.cast(cython.p_uchar, PyBytes_AS_STRING(data))
        return data if _write(p, r, size) else None
    return None


@cython.cfunc
def _size(kind: object) -> cython.Py_ssize_t:
    """The size of the message the C path writes for a report of ``kind``; 0: it writes none."""
    if kind is _TRADE:
        return 40
    if kind is _NEW:
        return 66
    if kind is _CANCELED or kind is _EXPIRED:
        return 28
    return 0


@cython.cfunc
def _write(p: cython.p_uchar, r: OrderReport, size: cython.Py_ssize_t) -> cython.bint:
    """Report ``r``'s message of ``size`` bytes (its kind's :func:`_size`) at ``p``."""
    if size == 40:
        return _write_executed(p, r)
    if size == 66:
        return _write_accepted(p, r)
    return _write_canceled(p, r)


@cython.ccall
def render_many(reports: list[Any]) -> list[bytes]:
    """``[render_bytes(r) for r in reports]`` (see the module docstring)."""
    if cython.compiled:
        out: list[bytes] = []
        r: Any  # (anything but an OrderReport takes the reference)
        for r in reports:
            data: object = None
            if type(r) is OrderReport:  # (anything else: the reference); its fields: C loads
                report: OrderReport = cython.cast(OrderReport, r)
                kind = report.kind
                size: cython.Py_ssize_t = _size(kind)
                try:
                    if size:
                        data = _written(report, size)
                except (OverflowError, TypeError):
                    data = None
            out.append(render_bytes(r) if data is None else data)
        return out
    return [render_bytes(r) for r in reports]


@cython.ccall
def sequenced_packets(numbered: list[Any]) -> bytes:
    """The SoupBinTCP Sequenced Data packets of the reports of ``numbered`` (``(number,
    report)`` pairs, as the ledger delivers them), one after the other:
    ``b"".join(_sequenced(m) for m in render_many(reports))``
    (``engine.protocols.soupbin.server``), in one pass and one allocation when compiled.
    Raises ValueError for a message of 65535 bytes or more, as the framing does.

    Compiled, the Accepted, Executed and Canceled messages are written straight into the packets
    (:func:`_in_place`: no bytes object each); a batch that path cannot write whole, as the
    reference would, is framed from ``render_many``'s messages instead."""
    if cython.compiled:
        done = _in_place(numbered)
        if done is not None:
            return done
    messages = render_many([report for _, report in numbered])
    if cython.compiled:
        total: cython.Py_ssize_t = 0
        size: cython.Py_ssize_t
        message: bytes
        for message in messages:
            size = len(message)
            if size > _MAX_MESSAGE:
                raise ValueError(f"a message of {size} bytes does not fit a SoupBinTCP packet")
            total += size + 3
        data = PyBytes_FromStringAndSize(cython.NULL, total)
        p: cython.p_uchar = cython.cast(cython.p_uchar, PyBytes_AS_STRING(data))
        for message in messages:
            size = len(message)
            _be(p, size + 1, 2)
            p[2] = 83  # 'S'
            memcpy(p + 3, PyBytes_AS_STRING(message), size)
            p += size + 3
        return data
    packets: list[bytes] = []
    for message in messages:
        if len(message) > _MAX_MESSAGE:
            raise ValueError(f"a message of {len(message)} bytes does not fit a SoupBinTCP packet")
        packets.append(_PACKET_LENGTH.pack(len(message) + 1) + _SEQUENCED + message)
    return b"".join(packets)


@cython.cfunc
def _in_place(numbered: list[Any]) -> object:
    """:func:`sequenced_packets`' bytes with each Accepted, Executed and Canceled written in
    place, the other kinds' messages rendered by the reference first; None (nothing to undo)
    when any report is not an OrderReport in a ``(number, report)`` tuple, a message does not
    fit a packet, the reference raises or the C path cannot write a report (the caller then
    takes the path that gives the reference's bytes or its error)."""
    if cython.compiled:
        # our own snapshot: render_bytes runs Python code between the two passes, and the
        # second pass casts what the first one checked
        items: tuple[Any, ...] = tuple(numbered)
        n: cython.Py_ssize_t = len(items)
        others: list[Any] | None = None  # index -> the reference's message, for the rare kinds
        total: cython.Py_ssize_t = 0
        size: cython.Py_ssize_t
        i: cython.Py_ssize_t
        item: Any
        for i in range(n):
            item = items[i]
            if type(item) is not tuple or len(item) != 2 or type(item[1]) is not OrderReport:
                return None
            size = _size(cython.cast(OrderReport, item[1]).kind)
            if size:
                total += size + 3
            else:
                try:
                    message = render_bytes(item[1])
                except Exception:  # the reference raises it, in its order
                    return None
                size = len(message)
                if size > _MAX_MESSAGE:
                    return None
                if others is None:
                    others = [None] * n
                others[i] = message
                total += size + 3
        data = PyBytes_FromStringAndSize(cython.NULL, total)
        p: cython.p_uchar = cython.cast(cython.p_uchar, PyBytes_AS_STRING(data))
        report: OrderReport
        ok: cython.bint
        for i in range(n):
            report = cython.cast(OrderReport, cython.cast(tuple, items[i])[1])
            size = _size(report.kind)
            p[2] = 83  # 'S'
            if size:
                try:
                    ok = _write(p + 3, report, size)
                except (OverflowError, TypeError):
                    ok = False
                if not ok:
                    return None
            else:
                message = cython.cast(list, others)[i]
                size = len(message)
                memcpy(p + 3, PyBytes_AS_STRING(message), size)
            _be(p, size + 1, 2)
            p += size + 3
        return data
    return None
