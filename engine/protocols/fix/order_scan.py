"""The fast lane of a NewOrderSingle's fields and of a UTCTimestamp, in C.

:func:`parse_utc` is :func:`~.timestamps.parse_utc_timestamp` (the reference, which it calls
for a year past 2200, where int64 nanoseconds end): the session checks every message's
SendingTime(52) with it, and an order's TransactTime(60).

:func:`new_order_fields` reads a NewOrderSingle (35=D) from a framed message's fields (its
``get``) when every field is one the generic parser (``engine.protocols.fix.messages``)
takes as it stands: ClOrdID(11) and Symbol(55) present, Side(54) 1 or 2, a valid
TransactTime(60), OrderQty(38) of 1 to 15 digits and not 0, OrdType(40) 2 with a Price(44)
of 1 to 14 digits and at most 4 decimals above 0, or 1 with no Price, TimeInForce(59) absent
or 0, 1, 3 or 4, ExecInst(18) absent or 6. It returns the fields of the
``NewOrderSingle`` the generic parser makes of it (after ``seq_num``, before the PossDup
flags, which the caller takes from the message), or None for anything else: every refusal
(a Reject, an ExecutionReport 150=8) is the generic parser's, as before.

``tests/engine/protocols/fix/test_order_scan.py`` holds both to their references for random
input. Compiled by Cython (``engine.native``); the pure build runs the same source.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeAlias

import cython

from engine.domain.types import OrderType, Side, TimeInForce
from engine.protocols.fix.timestamps import parse_utc_timestamp

__all__ = ["OrderFields", "new_order_fields", "parse_utc"]

#: a NewOrderSingle's fields after seq_num, before the PossDup flags
OrderFields: TypeAlias = tuple[
    str, str | None, str, Side, OrderType, TimeInForce, int, int, bool, int
]

_SIDES = {"1": Side.BUY, "2": Side.SELL}
_TIFS = {"0": TimeInForce.DAY, "1": TimeInForce.GTC, "3": TimeInForce.IOC, "4": TimeInForce.FOK}
_LIMIT, _MARKET = OrderType.LIMIT, OrderType.MARKET
_DAY = TimeInForce.DAY
_NS: cython.longlong = 1_000_000_000
_EPOCH_SHIFT: cython.longlong = 719_468  # 0000-03-01 .. 1970-01-01 (timestamps.py)
_FAST_YEARS: cython.longlong = 2200  # past it the reference computes (int64 ns end in 2262)
_POW10 = (1, 10, 100, 1_000, 10_000, 100_000, 1_000_000, 10_000_000, 100_000_000, 1_000_000_000)
_POW10 = (1, 10, 100, 1_000, 10_000, 100_000, 1_000_000, 10_000_000, 100_000_000, 1_000_000_000)
_MONTH_DAYS = (0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


@cython.cfunc
@cython.inline
def _digits(text: str, start: cython.Py_ssize_t, stop: cython.Py_ssize_t) -> cython.longlong:
    """The number ``text[start:stop]`` spells in ASCII digits (at most 18), or -1."""
    value: cython.longlong = 0
    i: cython.Py_ssize_t
    c: cython.Py_UCS4
    for i in range(start, stop):
        c = text[i]
        if c < "0" or c > "9":
            return -1
        value = value * 10 + (ord(c) - 48)
    return value


@cython.ccall
def parse_utc(text: str) -> int | None:
    """``parse_utc_timestamp(text)``: nanoseconds since the epoch, or None."""
    n: cython.Py_ssize_t = len(text)
    if n < 17 or text[8] != "-" or text[11] != ":" or text[14] != ":":
        return None
    if n != 17 and (text[17] != "." or n < 19 or n > 27):
        return None
    year: cython.longlong = _digits(text, 0, 4)
    month: cython.longlong = _digits(text, 4, 6)
    day: cython.longlong = _digits(text, 6, 8)
    hour: cython.longlong = _digits(text, 9, 11)
    minute: cython.longlong = _digits(text, 12, 14)
    second: cython.longlong = _digits(text, 15, 17)
    fraction: cython.longlong = 0 if n == 17 else _digits(text, 18, n)
    if year < 0 or month < 0 or day < 0 or hour < 0 or minute < 0 or second < 0 or fraction < 0:
        return None
    if year < 1970 or year > _FAST_YEARS:
        return parse_utc_timestamp(text)  # the reference's range (proleptic years 1-9999)
    if not 1 <= month <= 12 or hour > 23 or minute > 59 or second > 60:
        return None
    leap: cython.bint = year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)
    last: cython.longlong = 29 if month == 2 and leap else _MONTH_DAYS[month]
    if not 1 <= day <= last:
        return None
    if n > 17:
        fraction *= _POW10[27 - n]  # the fraction's digits as nanoseconds (ljust to 9)
    # days_from_civil (timestamps.py), for years 1970-2200: no era arithmetic below 0
    y: cython.longlong = year - 1 if month <= 2 else year
    era: cython.longlong = y // 400
    year_of_era: cython.longlong = y - era * 400
    shifted: cython.longlong = month - 3 if month > 2 else month + 9
    day_of_year: cython.longlong = (153 * shifted + 2) // 5 + day - 1
    day_of_era: cython.longlong = (
        year_of_era * 365 + year_of_era // 4 - year_of_era // 100 + day_of_year
    )
    days: cython.longlong = era * 146_097 + day_of_era - _EPOCH_SHIFT
    seconds: cython.longlong = days * 86_400 + hour * 3600 + minute * 60 + second
    return seconds * _NS + fraction


@cython.cfunc
def _price(text: str) -> cython.longlong:
    """Price units of ``text``: 1-14 digits, optionally ``.`` and 1-4 digits; else -1."""
    n: cython.Py_ssize_t = len(text)
    dot: cython.Py_ssize_t = text.find(".")
    if dot < 0:
        dot = n
    if dot == 0 or dot > 14 or (dot < n and (n - dot - 1 < 1 or n - dot - 1 > 4)):
        return -1
    whole: cython.longlong = _digits(text, 0, dot)
    fraction: cython.longlong = 0 if dot == n else _digits(text, dot + 1, n)
    if whole < 0 or fraction < 0:
        return -1
    fraction *= _POW10[4 - (n - dot - 1 if dot < n else 0)]
    return whole * 10_000 + fraction


@cython.ccall
def new_order_fields(get: Callable[[int], str | None]) -> OrderFields | None:
    """(cl_ord_id, account, symbol, side, order_type, tif, qty, price, post_only,
    transact_time_ns) of a NewOrderSingle whose fields ``get(tag)`` returns, or None (see
    the module docstring)."""
    cl_ord_id, symbol, side_text = get(11), get(55), get(54)
    if cl_ord_id is None or symbol is None or side_text is None:
        return None
    side = _SIDES.get(side_text)
    transact_text = get(60)
    if side is None or transact_text is None:
        return None
    transact_ns = parse_utc(transact_text)
    qty_text, type_text, price_text = get(38), get(40), get(44)
    if transact_ns is None or qty_text is None or type_text is None:
        return None
    if len(qty_text) > 15:
        return None
    qty: cython.longlong = _digits(qty_text, 0, len(qty_text))
    if qty <= 0:
        return None
    price: cython.longlong = 0
    if type_text == "2":
        order_type = _LIMIT
        if price_text is None:
            return None
        price = _price(price_text)
        if price <= 0:
            return None
    elif type_text == "1" and price_text is None:
        order_type = _MARKET
    else:
        return None
    tif_text = get(59)
    tif = _DAY if tif_text is None else _TIFS.get(tif_text)
    instruction = get(18)
    if tif is None or (instruction is not None and instruction != "6"):
        return None
    return (cl_ord_id, get(1), symbol, side, order_type, tif, qty, price,
            instruction is not None, transact_ns)  # fmt: skip
