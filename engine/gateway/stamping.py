"""The gateway's commands stamped with their ts and seq_no, and written as ring[in] records.

Every command a session sends enters ring[in] with the ts the gateway gives it and the seq_no
its slot gives it (``engine.gateway.server``): :func:`stamp_into` makes those stamped commands
(what the outbound ledger keeps as sent) and writes their 128-byte records
(``engine.records``) into a batch buffer in one pass. :func:`with_seq_no` is a NewOrder with
another seq_no (a pending order once its batch is in ring[in]).

Compiled (``engine.native``), a NewOrder, the command of nearly every message, is built without
its Python constructor (``engine.domain.fast_tuple``) and its record written by C stores; any
other command, or a NewOrder whose fields the C path does not take as they are (text that is
not ASCII or too long, an integer beyond int64), goes through the reference,
``NamedTuple._replace`` and ``engine.records.encode_command_into``, which raises the same
``RecordError`` it always did. Uncompiled, the reference does it all.
``tests/engine/test_stamping.py`` holds the two to the same bytes.
"""

from __future__ import annotations

from typing import Any

import cython

from engine.domain.types import Command, NewOrder
from engine.records import RECORD_SIZE, encode_command_into

if cython.compiled:
    from cython.cimports.cpython.bytearray import PyByteArray_AS_STRING
    from cython.cimports.engine.ascii_stores import copy_ascii
    from cython.cimports.engine.domain.fast_tuple import tuple12
    from cython.cimports.libc.string import memcpy, memset
else:
    from engine.ascii_stores import copy_ascii
    from engine.domain.fast_tuple import tuple12

_RECORD: cython.Py_ssize_t = RECORD_SIZE


@cython.cfunc
@cython.inline
def _put(p: cython.p_uchar, value: cython.longlong) -> cython.void:
    if cython.compiled:
        memcpy(p, cython.address(value), 8)  # little-endian host (engine.command_reader checks)


@cython.cfunc
def _write_new_order(p: cython.p_uchar, stamped: Any, origin: cython.uint) -> cython.bint:
    """The record of stamped NewOrder ``stamped`` at ``p`` (zeroed); False if the C path
    cannot write it as the reference would (then the reference must)."""
    cmd = cython.cast(tuple, stamped)  # a NewOrder is a tuple (compiled only)
    side: cython.longlong = cmd[5]
    order_type: cython.longlong = cmd[6]
    tif: cython.longlong = cmd[7]
    post_only = cmd[11]
    if not (0 <= side < 256 and 0 <= order_type < 256 and 0 <= tif < 256):
        return False
    if post_only is not True and post_only is not False:
        return False
    qty: cython.longlong = cmd[8]
    price: cython.longlong = cmd[9]
    if cython.compiled:
        p[0] = 1  # KIND_NEW_ORDER
        p[1] = side
        p[2] = order_type
        p[3] = tif
        p[4] = 1 if post_only else 0
        _put(p + 8, cmd[0])
        _put(p + 16, cmd[1])
        _put(p + 24, qty)
        _put(p + 32, price)
        memcpy(p + 116, cython.address(origin), 4)
    return (
        copy_ascii(p + 56, cmd[2], 16, False) >= 0
        and copy_ascii(p + 72, cmd[3], 16, False) >= 0
        and copy_ascii(p + 88, cmd[4], 8, False) >= 0
        and copy_ascii(p + 96, cmd[10], 20, False) >= 0
    )


@cython.ccall
def stamp_into(
    rows: bytearray,
    commands: list[Command],
    ts: cython.longlong,
    first_seq: cython.longlong,
    origin: cython.uint,
) -> list[Command]:
    """``commands`` stamped with ``ts`` and seq_nos ``first_seq``, ``first_seq + 1``, ...,
    their records written at ``rows[0:128 * len(commands)]`` (``rows`` must hold them);
    RecordError for a command that has no record, as ``encode_command_into``."""
    n: cython.Py_ssize_t = len(commands)
    if len(rows) < n * _RECORD:
        raise ValueError(f"{len(rows)} bytes cannot hold {n} records")
    out: list[Command] = []
    i: cython.Py_ssize_t
    for i in range(n):
        cmd = commands[i]
        seq: cython.longlong = first_seq + i
        stamped: Any = None
        if cython.compiled and type(cmd) is NewOrder:
            c = cython.cast(tuple, cmd)  # a NewOrder is a tuple (compiled only)
            stamped = tuple12(
                NewOrder, seq, ts, c[2], c[3], c[4], c[5], c[6], c[7], c[8], c[9], c[10], c[11]
            )
            at: cython.Py_ssize_t = i * _RECORD
            base: cython.p_uchar = cython.cast(cython.p_uchar, PyByteArray_AS_STRING(rows))
            base += at
            memset(base, 0, _RECORD)
            ok: cython.bint = False
            try:
                ok = _write_new_order(base, stamped, origin)
            except (OverflowError, TypeError):
                ok = False
            if not ok:
                memset(base, 0, _RECORD)
                encode_command_into(rows, i * _RECORD, stamped, origin)
        else:
            stamped = cmd._replace(ts=ts, seq_no=seq)
            encode_command_into(rows, i * _RECORD, stamped, origin)
        out.append(stamped)
    return out


@cython.ccall
def with_seq_no(order: NewOrder, seq_no: cython.longlong) -> NewOrder:
    """``order._replace(seq_no=seq_no)``, without the Python call when compiled."""
    if cython.compiled and type(order) is NewOrder:
        c = cython.cast(tuple, order)  # a NewOrder is a tuple (compiled only)
        result: NewOrder = tuple12(
            NewOrder, seq_no, c[1], c[2], c[3], c[4], c[5], c[6], c[7], c[8], c[9], c[10], c[11]
        )
        return result
    return order._replace(seq_no=seq_no)
