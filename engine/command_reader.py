"""Command records into commands, compiled: how the stages and replay read ring[in] and journals.

The layout and the reference decoder are `engine.records` (``CommandDecoder``). Compiled,
:class:`CommandReader` reads the 128-byte records straight out of the buffer (a ring's slots,
a journal batch) with C loads, builds each command NamedTuple with one allocation
(`engine.domain.fast_tuple`) and interns the repeating text fields (firm, account, symbol)
through a bounded cache; client order ids are unique and decoded each time. Uncompiled, it *is*
the reference decoder. A record the fast path does not accept as it stands (an unknown kind, an
enum byte out of range, text that is not ASCII) is handed to the reference decoder, so every
error is the reference's RecordError, word for word, in both builds.

Byte order: the records are little-endian, and the compiled loads assume a little-endian
machine (x86-64, AArch64); :data:`LITTLE_ENDIAN_HOST` is checked at import.
"""

from __future__ import annotations

import sys
from typing import Any, Final

import cython

from engine.domain.types import (
    AddSymbol,
    CancelOrder,
    Command,
    Deposit,
    EndOfDay,
    Halt,
    NewOrder,
    OrderType,
    ReplaceOrder,
    Resume,
    SelfTradePrevention,
    SetRiskLimits,
    SetSelfTradePrevention,
    Side,
    TimeInForce,
    Withdraw,
)
from engine.records import RECORD, RECORD_SIZE, CommandDecoder
from engine.text_cache import TextCache

if cython.compiled:
    from cython.cimports.engine.domain.fast_tuple import (
        tuple3,
        tuple4,
        tuple5,
        tuple6,
        tuple7,
        tuple8,
        tuple12,
    )
    from cython.cimports.engine.text_cache import ascii_field
    from cython.cimports.libc.string import memcpy
else:
    from engine.domain.fast_tuple import (
        tuple3,
        tuple4,
        tuple5,
        tuple6,
        tuple7,
        tuple8,
        tuple12,
    )
    from engine.text_cache import ascii_field

LITTLE_ENDIAN_HOST: Final = sys.byteorder == "little"
if not LITTLE_ENDIAN_HOST:
    raise ImportError("sequex's record codecs need a little-endian machine")

_SIDES: Final = (None, Side.BUY, Side.SELL)
_ORDER_TYPES: Final = (None, OrderType.LIMIT, OrderType.MARKET)
_TIFS: Final = (None, TimeInForce.DAY, TimeInForce.GTC, TimeInForce.IOC, TimeInForce.FOK)
_STP_MODES: Final = (None, *SelfTradePrevention)
_RECORD: cython.longlong = RECORD_SIZE  # as a C constant


@cython.cfunc
@cython.inline
def _i64(p: cython.p_const_uchar) -> cython.longlong:
    """The little-endian int64 at ``p`` (compiled only: the pure build never gets here)."""
    value: cython.longlong = 0
    if cython.compiled:
        memcpy(cython.address(value), p, 8)
    return value


@cython.final
@cython.cclass
class CommandReader:
    """Decodes command records; keeps a bounded intern cache of the repeating text fields."""

    _text: TextCache
    _reference: CommandDecoder

    def __init__(self, cache_limit: int = 1 << 16) -> None:
        self._text = TextCache()
        self._reference = CommandDecoder(cache_limit)

    @cython.ccall
    def decode_many(self, data: Any) -> list[Command]:
        """Every command in ``data`` (bytes-like, whole records back to back)."""
        if not cython.compiled:
            return self._reference.decode_many(data)
        view = cython.declare(cython.const[cython.uchar][::1], data)
        size: cython.Py_ssize_t = view.shape[0]
        if size % _RECORD:
            return self._reference.decode_many(data)  # raises: not whole records
        out: list[Command] = []
        i: cython.Py_ssize_t
        for i in range(size // _RECORD):
            out.append(self._record(cython.address(view[i * _RECORD]), i * _RECORD))
        return out

    @cython.ccall
    def decode_rows(self, rows: Any) -> list[Command]:
        """The commands in the first RECORD_SIZE bytes of each row of ``rows``, a C-contiguous
        ``(n, width >= 128)`` uint8 array (a run of ring slots); errors name the offset
        ``row * 128``, as if the records were back to back."""
        if not cython.compiled:
            return self._reference.decode_many(rows[:, :RECORD_SIZE].tobytes())
        view = cython.declare(cython.const[cython.uchar][:, ::1], rows)
        if view.shape[1] < _RECORD:
            raise ValueError(f"rows of {view.shape[1]} bytes hold no {RECORD_SIZE}-byte record")
        out: list[Command] = []
        i: cython.Py_ssize_t
        for i in range(view.shape[0]):
            out.append(self._record(cython.address(view[i, 0]), i * _RECORD))
        return out

    def decode(self, data: Any, offset: int = 0) -> tuple[Command, int]:
        """The command at ``offset`` and the gateway session it came from (the reference's
        answer: this is the cold path of single records)."""
        return self._reference.decode(data, offset)

    @cython.cfunc
    def _record(self, p: cython.p_const_uchar, offset: cython.Py_ssize_t) -> Any:
        kind: cython.uchar = p[0]
        seq = _i64(p + 8)
        ts = _i64(p + 16)
        if kind == 1:
            side: cython.uchar = p[1]
            order_type: cython.uchar = p[2]
            tif: cython.uchar = p[3]
            post_only: cython.uchar = p[4]
            if not (0 < side < 3 and 0 < order_type < 3 and 0 < tif < 5 and post_only < 2):
                return self._slow(p, offset)
            firm = self._text.lookup(p + 56, 16)
            account = self._text.lookup(p + 72, 16)
            symbol = self._text.lookup(p + 88, 8)
            client = ascii_field(p + 96, 20)
            if firm is None or account is None or symbol is None or client is None:
                return self._slow(p, offset)
            return tuple12(
                NewOrder, seq, ts, firm, account, symbol, _SIDES[side], _ORDER_TYPES[order_type],
                _TIFS[tif], _i64(p + 24), _i64(p + 32), client, post_only == 1,
            )  # fmt: skip
        account = self._text.lookup(p + 72, 16)
        if kind == 2 or kind == 3:
            client = ascii_field(p + 96, 20)
            # the OrigClOrdID the request named the order by, over the firm and symbol fields
            # (engine.records): unique per request, never cached; "" when it named none
            orig: Any = ""
            # (the whole fields: a byte after a NUL is part of the reference's answer too)
            if _i64(p + 56) != 0 or _i64(p + 64) != 0 or _i64(p + 88) != 0:
                head = ascii_field(p + 56, 16)
                tail = ascii_field(p + 88, 8)
                orig = None if head is None or tail is None else head + tail
            if account is None or client is None or orig is None:
                return self._slow(p, offset)
            if kind == 2:
                return tuple6(CancelOrder, seq, ts, account, _i64(p + 24), client, orig)
            return tuple8(
                ReplaceOrder, seq, ts, account, _i64(p + 24), _i64(p + 32), _i64(p + 40), client,
                orig,
            )  # fmt: skip
        symbol = self._text.lookup(p + 88, 8)
        if account is None or symbol is None:
            return self._slow(p, offset)
        if kind == 4:
            return tuple7(
                AddSymbol, seq, ts, symbol, _i64(p + 24), _i64(p + 32), _i64(p + 40), _i64(p + 48)
            )
        if kind == 5:
            return tuple5(Deposit, seq, ts, account, symbol, _i64(p + 24))
        if kind == 6:
            return tuple5(Withdraw, seq, ts, account, symbol, _i64(p + 24))
        if kind == 7:
            return tuple3(Halt, seq, ts, symbol)
        if kind == 8:
            return tuple3(Resume, seq, ts, symbol)
        if kind == 9 and _i64(p + 48) == 0:  # a keep mask (KEEP_LIMIT): the reference decodes it
            return tuple6(SetRiskLimits, seq, ts, account, _i64(p + 24), _i64(p + 32), _i64(p + 40))
        if kind == 11:
            return tuple3(EndOfDay, seq, ts, symbol)
        mode: cython.uchar = p[1]
        firm = self._text.lookup(p + 56, 16)
        if kind == 10 and 0 < mode < 4 and firm is not None:
            return tuple4(SetSelfTradePrevention, seq, ts, firm, _STP_MODES[mode])
        return self._slow(p, offset)

    @cython.cfunc
    def _slow(self, p: cython.p_const_uchar, offset: cython.Py_ssize_t) -> Any:
        """The reference decoder's answer for one record (it raises what it raises)."""
        raw: bytes = p[:_RECORD]
        return self._reference._build_one(RECORD.unpack_from(raw), offset)
