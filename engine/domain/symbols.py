"""A tradable symbol's specification and trading state, as one stage knows it.

The risk stage and each matcher keep their own `SymbolSpec` objects (they live in different
processes in the pipeline). Both see AddSymbol/Halt/Resume in sequence order, so the static spec
and the halt flag agree exactly; ``reference`` (the protection band's centre: the reference
price until the first trade, then the last trade price) is learned by the risk stage from the
matcher's fills, so with a feedback window W > 1 the risk stage's band may lag the matcher's.

The band is ``reference +- reference * band_bps // BPS``. Its edges are signed 64-bit integers,
saturated at 2**63 - 1: every price and qty is such an integer, so a comparison against a
saturated edge answers as against the exact one, in the compiled build and uncompiled alike.
"""

from __future__ import annotations

from typing import Any, Final

import cython

from engine.domain.types import AddSymbol

#: Basis points in one unit (band_bps / BPS = the band's half-width as a fraction).
BPS: Final = 10_000
#: The largest signed 64-bit integer: every price, qty, balance and limit fits below it.
MAX_INT64: Final = 2**63 - 1
# The same two numbers as C constants for the compiled build (module-private).
_BPS: cython.longlong = 10_000
_MAX_INT64: cython.longlong = 9_223_372_036_854_775_807


@cython.cfunc
def band_half(reference: cython.longlong, band_bps: cython.longlong) -> cython.longlong:
    """``reference * band_bps // BPS`` for non-negative arguments, saturated at MAX_INT64."""
    if band_bps == 0 or reference <= _MAX_INT64 // band_bps:
        return reference * band_bps // _BPS
    exact: Any = reference  # the product needs more than 64 bits: Python's ints
    half: Any = exact * band_bps // _BPS
    return _MAX_INT64 if half > _MAX_INT64 else half


@cython.cfunc
def band_top(reference: cython.longlong, half: cython.longlong) -> cython.longlong:
    """``reference + half`` (both non-negative), saturated at MAX_INT64."""
    return reference + half if half <= _MAX_INT64 - reference else _MAX_INT64


@cython.final
@cython.cclass
class SymbolSpec:
    symbol: str
    tick: cython.longlong
    lot: cython.longlong
    band_bps: cython.longlong
    #: the band's centre: the AddSymbol reference price, then the last trade price
    reference: cython.longlong
    #: the range of acceptable limit prices (the band, and at least 1), cached so the hot path
    #: checks a price with one chained comparison
    min_price: cython.longlong
    max_price: cython.longlong
    halted: cython.bint

    def __init__(
        self,
        symbol: str,
        tick: cython.longlong,
        lot: cython.longlong,
        reference: cython.longlong,
        band_bps: cython.longlong,
        halted: cython.bint = False,
    ) -> None:
        self.symbol = symbol
        self.tick = tick
        self.lot = lot
        self.band_bps = band_bps
        self.halted = halted
        self.set_reference(reference)

    @cython.ccall
    def set_reference(self, reference: cython.longlong) -> cython.void:
        """Move the band's centre; every write of ``reference`` goes through here."""
        half: cython.longlong = band_half(reference, self.band_bps)
        low: cython.longlong = reference - half
        self.reference = reference
        self.min_price = low if low > 1 else 1
        self.max_price = band_top(reference, half)

    @classmethod
    def from_command(cls, cmd: AddSymbol) -> SymbolSpec:
        return cls(cmd.symbol, cmd.tick_size, cmd.lot_size, cmd.reference_price, cmd.band_bps)

    @cython.ccall
    def band_low(self) -> cython.longlong:
        """The lowest price a trade may have right now (may be below 1: then any price)."""
        return self.reference - band_half(self.reference, self.band_bps)

    def band(self) -> tuple[int, int]:
        """The lowest and highest price a trade or a limit price may have right now."""
        return self.band_low(), self.max_price

    def as_list(self) -> list[int | str | bool]:
        return [self.symbol, self.tick, self.lot, self.reference, self.band_bps, self.halted]


def invalid_spec(cmd: AddSymbol, cash_asset: str) -> bool:
    """True if AddSymbol's numbers are not all positive or the name is unusable as an asset."""
    return (
        cmd.tick_size <= 0
        or cmd.lot_size <= 0
        or cmd.reference_price <= 0
        or cmd.band_bps <= 0
        or not cmd.symbol
        or cmd.symbol == cash_asset
    )
