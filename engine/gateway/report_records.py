"""The report stores' fixed-size record, and many reports packed into records at once.

:data:`RECORD` is the layout of one :class:`~engine.gateway.outbound.OrderReport` in a report
store (``engine.gateway.report_store``), little-endian, 176 bytes::

      0 kind, post_only, priority_kept, side, order_type, tif, liquidity (u8 each), pad
      8 seq_no (i64) | 16 sub (u32) | 20 reason (u32) | 24 ts (i64) | 32 order_id (i64)
     40 order_qty | 48 price | 56 leaves_qty | 64 cum_qty | 72 cum_cost | 80 last_qty
     88 last_price | 96 exec_id | 104 entered_seq (i64 each)
    112 account (16 bytes) | 128 symbol (8) | 136 client_order_id (20)
    156 orig_client_order_id (20); text ASCII, NUL-padded

:func:`pack_report` is the reference: ``RECORD.pack`` of the report's fields.
:func:`pack_reports` gives ``b"".join(pack_report(r) for r in reports)``, and raises what the
reference raises. Compiled (``engine.native``), it writes each record with C stores, reading
an :class:`~engine.gateway.report_types.OrderReport`'s fields with C loads; a report whose
fields the C path does not take as they are (text that is not ASCII or longer than its
field, an integer out of its field's range, anything that is not an integer, a report that is
not an OrderReport) goes through the reference, which truncates or raises as ``struct`` does.
Uncompiled, the reference does it all; every report store append of the OUCH and FIX out side
passes here. ``tests/engine/test_report_records.py`` holds the two builds to the same bytes.

:func:`fresh_reports` is the key check of ``engine.gateway.report_store.ReportStore.append``
(which of the reports a store takes, numbered), compiled for the same reason.
"""

from __future__ import annotations

import struct
from typing import Any, Final

import cython

if cython.compiled:
    from cython.cimports.cpython.bytearray import PyByteArray_AS_STRING
    from cython.cimports.engine.ascii_stores import copy_ascii
    from cython.cimports.engine.gateway.report_types import OrderReport
    from cython.cimports.libc.string import memcpy
else:
    from engine.ascii_stores import copy_ascii
    from engine.gateway.report_types import OrderReport

#: a store's last ``(seq_no, sub)``
Key = tuple[int, int]
#: :func:`fresh_reports`' answer: the new reports numbered, the same unnumbered, the new last key
Fresh = tuple[list[tuple[int, OrderReport]], list[OrderReport], Key]

RECORD: Final = struct.Struct("<BBBBBBBxqIIqqqqqqqqqqq16s8s20s20s")
_SIZE: cython.Py_ssize_t = 176


def pack_report(r: Any) -> bytes:
    """The record of report ``r`` (the reference): an OrderReport, or anything with its
    fields (not typed: compiled, an OrderReport annotation would refuse the rest)."""
    return RECORD.pack(
        int(r.kind), r.post_only, r.priority_kept, r.side, r.order_type, r.tif, r.liquidity,
        r.seq_no, r.sub, r.reason, r.ts, r.order_id, r.order_qty, r.price, r.leaves_qty,
        r.cum_qty, r.cum_cost, r.last_qty, r.last_price, r.exec_id, r.entered_seq,
        r.account.encode("ascii"), r.symbol.encode("ascii"), r.client_order_id.encode("ascii"),
        r.orig_client_order_id.encode("ascii"),
    )  # fmt: skip


@cython.cfunc
@cython.inline
def _put(p: cython.p_uchar, value: cython.longlong) -> cython.void:
    if cython.compiled:
        memcpy(p, cython.address(value), 8)  # little-endian host (engine.command_reader checks)


@cython.cfunc
def _put_u8(p: cython.p_uchar, value: Any) -> cython.bint:
    """One u8 field; False when it is not an int (or bool) in 0..255."""
    if not isinstance(value, int):
        return False
    v: cython.longlong = value
    if v < 0 or v > 255:
        return False
    if cython.compiled:
        p[0] = cython.cast(cython.uchar, v)
    return True


@cython.cfunc
def _put_u32(p: cython.p_uchar, value: Any) -> cython.bint:
    if not isinstance(value, int):
        return False
    v: cython.longlong = value
    if v < 0 or v > 0xFFFFFFFF:
        return False
    if cython.compiled:
        u: cython.uint = cython.cast(cython.uint, v)
        memcpy(p, cython.address(u), 4)
    return True


@cython.cfunc
def _put_i64(p: cython.p_uchar, value: Any) -> cython.bint:
    if not isinstance(value, int):
        return False
    _put(p, value)  # OverflowError beyond int64: the caller takes the reference
    return True


@cython.cfunc
def _write(p: cython.p_uchar, r: OrderReport) -> cython.bint:
    """Report ``r``'s record at ``p`` (zeroed); False if the C path cannot write it as the
    reference would (then the reference must). ``r`` is an OrderReport, not None: its fields
    are C loads."""
    return (
        _put_u8(p, r.kind)
        and _put_u8(p + 1, r.post_only)
        and _put_u8(p + 2, r.priority_kept)
        and _put_u8(p + 3, r.side)
        and _put_u8(p + 4, r.order_type)
        and _put_u8(p + 5, r.tif)
        and _put_u8(p + 6, r.liquidity)
        and _put_i64(p + 8, r.seq_no)
        and _put_u32(p + 16, r.sub)
        and _put_u32(p + 20, r.reason)
        and _put_i64(p + 24, r.ts)
        and _put_i64(p + 32, r.order_id)
        and _put_i64(p + 40, r.order_qty)
        and _put_i64(p + 48, r.price)
        and _put_i64(p + 56, r.leaves_qty)
        and _put_i64(p + 64, r.cum_qty)
        and _put_i64(p + 72, r.cum_cost)
        and _put_i64(p + 80, r.last_qty)
        and _put_i64(p + 88, r.last_price)
        and _put_i64(p + 96, r.exec_id)
        and _put_i64(p + 104, r.entered_seq)
        and copy_ascii(p + 112, r.account, 16, True) >= 0
        and copy_ascii(p + 128, r.symbol, 8, True) >= 0
        and copy_ascii(p + 136, r.client_order_id, 20, True) >= 0
        and copy_ascii(p + 156, r.orig_client_order_id, 20, True) >= 0
    )


@cython.ccall
def pack_reports(reports: list[Any]) -> bytes:
    """The records of ``reports``, one after the other (see the module docstring)."""
    if cython.compiled:
        size: cython.Py_ssize_t = _SIZE  # a C local: pointer arithmetic with it stays C
        n: cython.Py_ssize_t = len(reports)
        out = bytearray(n * size)  # zeroed: the pad byte and the text fields' padding
        i: cython.Py_ssize_t
        r: Any  # (anything but an OrderReport takes the reference)
        for i in range(n):
            r = reports[i]
            at: cython.Py_ssize_t = i * size
            base: cython.p_uchar = cython.cast(cython.p_uchar, PyByteArray_AS_STRING(out))
            ok: cython.bint = False
            if type(r) is OrderReport:  # (anything else: the reference)
                try:
                    ok = _write(base + at, cython.cast(OrderReport, r))
                except (OverflowError, TypeError):
                    ok = False
            if not ok:
                out[at : at + size] = pack_report(r)  # overwrites a partial write
        return bytes(out)
    return b"".join([pack_report(r) for r in reports])


@cython.ccall
def fresh_reports(items: list[Any], last_key: Key, count: cython.Py_ssize_t) -> Fresh:
    """The reports of ``items`` a store whose last key is ``last_key`` and that holds ``count``
    reports takes (each after the last taken, ``(seq_no, sub)`` compared as Python compares
    them): numbered from ``count + 1``, unnumbered, and the key of the last one taken
    (``last_key`` if none). Compiled, an OrderReport's keys are C loads."""
    added: list[tuple[int, OrderReport]] = []
    fresh: list[OrderReport] = []
    last_seq, last_sub = last_key
    r: Any  # (any item with the keys is taken)
    for r in items:
        if cython.compiled and type(r) is OrderReport:
            report: OrderReport = cython.cast(OrderReport, r)
            seq_no, sub = report.seq_no, report.sub
        else:
            seq_no, sub = r.seq_no, r.sub
        if seq_no < last_seq or (seq_no == last_seq and sub <= last_sub):
            continue
        last_seq, last_sub = seq_no, sub
        count += 1
        added.append((count, r))
        fresh.append(r)
    return added, fresh, (last_seq, last_sub)
