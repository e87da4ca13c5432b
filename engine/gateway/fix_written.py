"""An ExecutionReport's body written by C stores into one buffer: ``fix_frames``' compiled lane.

:func:`written` is ``engine.gateway.fix_frames._text_body`` (the body from Python's texts:
f-strings, joined, encoded) for a report ``fix_frames.report_body`` has checked already: one
of the five kinds, the side, order type and TimeInForce named by its tables, every number a
plain int, every text a str of Latin-1 characters without SOH. Each number is written by a
C loop (prices and AvgPx included, as ``_price`` and ``decimals.format_avg_px`` write them),
each text by one copy, into a buffer kept between calls, and the body's bytes are made from
it at once: no f-string, no join, no encode. A number past int64 raises OverflowError and a
text not kept one byte a character (a str subclass) gives None: the caller then takes the
texts' path, which writes the same bytes (``tests/engine/test_fix_written.py`` holds the two
to each other and ``tests/engine/test_fix_frames.py`` both to the reference renderer).

Compiled only (``engine.native``): uncompiled, :func:`written` returns None and
``fix_frames`` writes every body from its texts.
"""

from __future__ import annotations

from typing import Any

import cython

from engine.domain.types import OrderType
from engine.gateway.report_types import ReportKind
from engine.protocols.fix.decimals import format_avg_px
from engine.protocols.fix.wire import utc_stamp

if cython.compiled:
    from cython.cimports.cpython.bytearray import PyByteArray_AS_STRING
    from cython.cimports.cpython.bytes import PyBytes_FromStringAndSize
    from cython.cimports.cpython.unicode import PyUnicode_1BYTE_DATA, PyUnicode_KIND
    from cython.cimports.engine.gateway.report_types import OrderReport
    from cython.cimports.libc.string import memcpy, strlen
else:
    from engine.gateway.report_types import OrderReport

__all__ = ["written"]

_NEW, _TRADE, _CANCELED = ReportKind.NEW, ReportKind.TRADE, ReportKind.CANCELED
_REPLACED, _EXPIRED = ReportKind.REPLACED, ReportKind.EXPIRED
_LIMIT = int(OrderType.LIMIT)

# The compiled writer's buffer: a body is written here, then copied into its bytes (grown
# when a report's texts need more).
_scratch: bytearray = bytearray(1024)
_ROOM: cython.Py_ssize_t = 640  # more than the tags, the numbers and the stamp can take
#: the largest cost and quantity whose AvgPx the C sums take without overflow
_COST_C: cython.longlong = 40_000_000_000
_QTY_C: cython.longlong = 100_000_000_000
_AVG_SCALE: cython.ulonglong = 100_000_000  # 10 ** 8 (decimals.format_avg_px's 8 decimals)


@cython.cfunc
@cython.inline
def _lit(p: cython.p_uchar, text: cython.p_char) -> cython.Py_ssize_t:
    """Copy the C string ``text``; its length."""
    n: cython.Py_ssize_t = 0
    if cython.compiled:
        n = strlen(text)
        memcpy(p, text, n)
    return n


@cython.cfunc
def _one_byte(value: Any) -> cython.bint:
    """Whether ``value`` is an exact str kept one byte a character (Latin-1): what
    :func:`_put_text` copies."""
    if cython.compiled:
        if type(value) is not str:
            return False
        text: str = value
        return PyUnicode_KIND(text) == 1
    return False


@cython.cfunc
def _put_text(p: cython.p_uchar, text: str) -> cython.Py_ssize_t:
    """Copy ``text`` (checked by :func:`_one_byte`); its length."""
    n: cython.Py_ssize_t = len(text)
    if cython.compiled:
        memcpy(p, PyUnicode_1BYTE_DATA(text), n)
    return n


@cython.cfunc
@cython.cdivision(True)
def _put_uint(p: cython.p_uchar, value: cython.ulonglong) -> cython.Py_ssize_t:
    """``value`` in decimal; its length."""
    count: cython.Py_ssize_t = 1
    rest: cython.ulonglong = value
    while rest >= 10:
        rest //= 10
        count += 1
    i: cython.Py_ssize_t = count - 1
    while i >= 0:
        p[i] = cython.cast(cython.uchar, 48 + value % 10)
        value //= 10
        i -= 1
    return count


@cython.cfunc
def _put_int(p: cython.p_uchar, value: cython.longlong) -> cython.Py_ssize_t:
    """``value`` in decimal, as ``str(value)``; its length."""
    if value < 0:
        p[0] = 45  # '-'
        return 1 + _put_uint(p + 1, cython.cast(cython.ulonglong, 0) - value)
    return _put_uint(p, value)


@cython.cfunc
@cython.cdivision(True)
def _put_fraction(
    p: cython.p_uchar, fraction: cython.ulonglong, width: cython.int
) -> cython.Py_ssize_t:
    """``.`` and the ``width`` digits of ``fraction`` (> 0) without the trailing zeros."""
    while fraction % 10 == 0:
        fraction //= 10
        width -= 1
    p[0] = 46  # '.'
    i: cython.int
    for i in range(width, 0, -1):
        p[i] = cython.cast(cython.uchar, 48 + fraction % 10)
        fraction //= 10
    return width + 1


@cython.cfunc
@cython.cdivision(True)
def _put_price(p: cython.p_uchar, units: cython.longlong) -> cython.Py_ssize_t:
    """``_price(units)``; its length."""
    n: cython.Py_ssize_t = 0
    magnitude: cython.ulonglong = units
    if units < 0:
        p[0] = 45
        n = 1
        magnitude = cython.cast(cython.ulonglong, 0) - units
    n += _put_uint(p + n, magnitude // 10_000)
    fraction: cython.ulonglong = magnitude % 10_000
    if fraction:
        n += _put_fraction(p + n, fraction, 4)
    return n


@cython.cfunc
@cython.cdivision(True)
def _put_avg_px(
    p: cython.p_uchar, cost: cython.longlong, qty: cython.longlong
) -> cython.Py_ssize_t:
    """``format_avg_px(cost, qty)`` for ``|cost| <= _COST_C`` and ``qty <= _QTY_C``."""
    if qty <= 0:
        p[0] = 48
        return 1
    magnitude: cython.ulonglong = -cost if cost < 0 else cost
    denominator: cython.ulonglong = qty * 10_000
    scaled: cython.ulonglong = (2 * magnitude * _AVG_SCALE + denominator) // (2 * denominator)
    n: cython.Py_ssize_t = 0
    if cost < 0 and scaled:
        p[0] = 45
        n = 1
    n += _put_uint(p + n, scaled // _AVG_SCALE)
    fraction: cython.ulonglong = scaled % _AVG_SCALE
    if fraction:
        n += _put_fraction(p + n, fraction, 8)
    return n


@cython.ccall
def written(
    r: OrderReport, cl_ord_id: Any, symbol: Any, account: Any, orig: Any, tif_text: Any
) -> object:
    """The body ``fix_frames._text_body`` makes, written by C stores into one buffer; None when a
    text is not kept one byte a character. Raises OverflowError for a number past int64.
    Everything Python computes (the stamp, an AvgPx past the C sums) comes before the
    stores: nothing between the first store and the copy runs Python code."""
    if cython.compiled:
        global _scratch
        kind = r.kind
        order_id: cython.longlong = r.order_id
        seq_no: cython.longlong = r.seq_no
        sub: cython.longlong = r.sub
        order_qty: cython.longlong = r.order_qty
        cum_qty: cython.longlong = r.cum_qty
        side: cython.longlong = r.side
        done: cython.bint = kind is _CANCELED or kind is _EXPIRED
        leaves: cython.longlong = 0 if done else r.leaves_qty
        entered: cython.longlong = r.entered_seq if kind is _NEW else 0
        price: cython.longlong = r.price if r.order_type == _LIMIT else 0
        last_qty: cython.longlong = 0
        last_price: cython.longlong = 0
        if kind is _TRADE:
            last_qty = r.last_qty
            last_price = r.last_price
        cost: cython.longlong = 0
        avg_text: object = None
        try:
            cost = r.cum_cost
        except OverflowError:
            avg_text = format_avg_px(r.cum_cost, r.cum_qty)
        if avg_text is None and not (-_COST_C <= cost <= _COST_C and cum_qty <= _QTY_C):
            avg_text = format_avg_px(r.cum_cost, r.cum_qty)
        stamp = utc_stamp(r.ts)
        # every text checked before the stores: exact strs (a subclass could run Python code
        # while they hold a pointer into _scratch), one byte a character, so each copy is sure
        for text in (cl_ord_id, symbol, account, orig, tif_text, stamp):
            if not _one_byte(text):
                return None
        if avg_text is not None and not _one_byte(avg_text):
            return None
        need: cython.Py_ssize_t = _ROOM + len(cl_ord_id) + len(symbol) + len(account)
        need += len(orig) + len(stamp) + (0 if avg_text is None else len(avg_text))
        if need > len(_scratch):
            _scratch = bytearray(need)
        start: cython.p_uchar = cython.cast(cython.p_uchar, PyByteArray_AS_STRING(_scratch))
        p: cython.p_uchar = start
        p += _lit(p, b"37=")
        p += _put_int(p, order_id)
        if kind is _NEW:
            p += _lit(p, b"\x01198=")
            p += _put_int(p, entered)
        p += _lit(p, b"\x0111=")
        p += _put_text(p, cl_ord_id)
        if orig:
            p += _lit(p, b"\x0141=")
            p += _put_text(p, orig)
        p += _lit(p, b"\x0117=")
        p += _put_int(p, seq_no)
        p[0] = 45  # '-'
        p += 1
        p += _put_int(p, sub)
        if kind is _NEW:
            p += _lit(p, b"\x01150=0\x0139=0")
        elif kind is _TRADE:
            p += _lit(p, b"\x01150=F\x0139=2" if leaves == 0 else b"\x01150=F\x0139=1")
        elif kind is _CANCELED:
            p += _lit(p, b"\x01150=4\x0139=4")
        elif kind is _REPLACED:
            p += _lit(p, b"\x01150=5\x0139=1" if cum_qty > 0 else b"\x01150=5\x0139=0")
        else:
            p += _lit(p, b"\x01150=C\x0139=C")
        if account:
            p += _lit(p, b"\x011=")
            p += _put_text(p, account)
        p += _lit(p, b"\x0155=")
        p += _put_text(p, symbol)
        p += _lit(p, b"\x0154=")
        p += _put_int(p, side)
        p += _lit(p, b"\x0138=")
        p += _put_int(p, order_qty)
        if r.order_type == _LIMIT:
            p += _lit(p, b"\x0140=2\x0144=")
            p += _put_price(p, price)
        else:
            p += _lit(p, b"\x0140=1")
        p += _lit(p, b"\x0159=")
        p += _put_text(p, tif_text)
        if kind is _TRADE:
            p += _lit(p, b"\x0132=")
            p += _put_int(p, last_qty)
            p += _lit(p, b"\x0131=")
            p += _put_price(p, last_price)
        p += _lit(p, b"\x01151=")
        p += _put_int(p, leaves)
        p += _lit(p, b"\x0114=")
        p += _put_int(p, cum_qty)
        p += _lit(p, b"\x016=")
        if avg_text is None:
            p += _put_avg_px(p, cost, cum_qty)
        else:
            p += _put_text(p, avg_text)
        p += _lit(p, b"\x0160=")
        p += _put_text(p, stamp)
        p[0] = 1
        p += 1
        return PyBytes_FromStringAndSize(cython.cast(cython.p_char, start), p - start)
    return None
