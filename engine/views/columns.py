"""Event records of ring[events] straight into the market view, with no event object.

Contract. :func:`apply_rows` (:func:`pick`, then :func:`apply_picked`) applies, in order,
every record of ``rows`` (an ``(n, 128)`` uint8 array of event records,
``engine.event_records``) that the view reads: the book events,
the *taker* fills (the maker's fill of a trade is selected away by its liquidity byte),
``SymbolAdded`` and ``TradingStatus``; every other record is skipped by its kind byte. It
calls the view's method for each kind (``MarketView.book_add`` ...) with the values read from
the record, so the view's state is the same as when ``MarketView.apply`` is given the decoded
events (tests compare the two on real streams). Returns how many records it applied.

Why not decode. Decoding builds a NamedTuple of every field of every event (account names,
client ids, enums) for the view to use three of them: several microseconds an event, more
than the matching that made it. Here numpy selects the records and reads whole columns of
integers (``tolist``), and a symbol is one 8-byte word mapped to its name once.

The layout it reads is the one ``engine.event_records.EVENT_LAYOUTS`` gives; the module
checks at import that every slot it relies on is where it reads it.
"""

from __future__ import annotations

from typing import Any, Final

import numpy as np
import numpy.typing as npt

from engine.domain.types import (
    BookAdd,
    BookDelete,
    BookExecute,
    BookReduce,
    BookReplace,
    Fill,
    Liquidity,
    SymbolAdded,
    TradingStatus,
)
from engine.event_records import EVENT_CLASSES, EVENT_LAYOUTS, EVENT_RECORD_SIZE
from engine.views.projection import MarketView

__all__ = ["apply_picked", "apply_rows", "pick"]

# Positions in EVENT_RECORD's unpacked tuple -> where the record holds them: E1/E2 are bytes 1
# and 2, SEQ is int64 word 1, I1..I6 are words 2..7, SYMBOL is the 8 bytes of word 10.
_E1, _E2, _I1, _I2, _I3, _I4, _I5, _I6, _ACCOUNT, _SYMBOL = 1, 2, 5, 6, 7, 8, 9, 10, 11, 12
#: the slots each kind's fields are in, as this module reads them
_EXPECTED: Final = {
    BookAdd: (_SYMBOL, _I1, _E1, _I2, _I3),
    BookExecute: (_SYMBOL, _I1, _I2, _I3, _I6),
    BookReduce: (_SYMBOL, _I1, _I2),
    BookDelete: (_SYMBOL, _I1),
    BookReplace: (_SYMBOL, _I1, _E1, _I2, _I3),
    Fill: (_I1, _ACCOUNT, _SYMBOL, _E2, _I2, _I3, _I4, _I5, _E1, _I6),
    SymbolAdded: (_SYMBOL, _I1, _I2, _I3, _I4),
    TradingStatus: (_SYMBOL, _E1),
}
for _cls, _slots in _EXPECTED.items():
    assert tuple(slot for slot, _ in EVENT_LAYOUTS[_cls]) == _slots, _cls
assert EVENT_RECORD_SIZE == 128

_KIND: Final = {cls: i + 1 for i, cls in enumerate(EVENT_CLASSES)}
ADD, EXECUTE, REDUCE = _KIND[BookAdd], _KIND[BookExecute], _KIND[BookReduce]
DELETE, REPLACE, FILL = _KIND[BookDelete], _KIND[BookReplace], _KIND[Fill]
SYMBOL, STATUS = _KIND[SymbolAdded], _KIND[TradingStatus]
_READ = np.zeros(256, dtype=np.bool_)
_READ[[_KIND[cls] for cls in _EXPECTED]] = True
_TAKER: Final = int(Liquidity.TAKER)

#: 8-byte symbol words -> names (a few symbols: never evicted)
_NAMES: dict[int, str] = {}


def _name(word: int) -> str:
    name = _NAMES.get(word)
    if name is None:
        name = _NAMES[word] = word.to_bytes(8, "little", signed=True).rstrip(b"\0").decode()
    return name


def pick(rows: npt.NDArray[np.uint8]) -> npt.NDArray[np.uint8]:
    """A copy of the records of ``rows`` the view reads (the ring's slots may then be reused)."""
    kinds = rows[:, 0]
    keep = _READ[kinds] & ((kinds != FILL) | (rows[:, 1] == _TAKER))
    return rows[np.flatnonzero(keep)]


def apply_rows(view: MarketView, rows: npt.NDArray[np.uint8]) -> int:
    """Apply the records of ``rows`` the view reads (see the module contract)."""
    return apply_picked(view, pick(rows))


def apply_picked(view: MarketView, sel: npt.NDArray[np.uint8]) -> int:
    """Apply records :func:`pick` chose, in order; returns how many."""
    if not len(sel):
        return 0
    words = sel.view("<i8")
    columns: list[list[Any]] = [
        sel[:, 0].tolist(), sel[:, 1].tolist(), sel[:, 2].tolist(),
        *(words[:, w].tolist() for w in (1, 2, 3, 4, 6, 7, 10)),  # seq, i1-i3, i5, i6, symbol
    ]  # fmt: skip
    add, execute, reduce = view.book_add, view.book_execute, view.book_reduce
    delete, replace, trade = view.book_delete, view.book_replace, view.trade
    names = _NAMES
    for kind, e1, e2, seq, i1, i2, i3, i5, i6, sym in zip(*columns, strict=True):
        if kind == ADD:
            add(seq, names.get(sym) or _name(sym), i1, e1, i2, i3)
        elif kind == EXECUTE:
            execute(seq, i1, i2)
        elif kind == FILL:
            trade(seq, i6, i5, names.get(sym) or _name(sym), e2, i3, i2)
        elif kind == DELETE:
            delete(seq, i1)
        elif kind == REDUCE:
            reduce(seq, i1, i2)
        elif kind == REPLACE:
            replace(seq, i1, i2, i3)
        elif kind == SYMBOL:
            view.symbol_added(seq, _name(sym), i1, i2)
        elif kind == STATUS:
            view.trading_status(seq, _name(sym), bool(e1))
    return len(sel)
