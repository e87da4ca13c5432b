"""A tradable symbol's specification and trading state, as one stage knows it.

The risk stage and each matcher keep their own `SymbolSpec` objects (they live in different
processes in the pipeline). Both see AddSymbol/Halt/Resume in sequence order, so the static spec
and the halt flag agree exactly; ``reference`` (the protection band's centre: the reference
price until the first trade, then the last trade price) is learned by the risk stage from the
matcher's fills, so with a feedback window W > 1 the risk stage's band may lag the matcher's.
"""

from __future__ import annotations

from engine.domain.types import AddSymbol

#: Basis points in one unit (band_bps / BPS = the band's half-width as a fraction).
BPS = 10_000


class SymbolSpec:
    __slots__ = (
        "band_bps",
        "halted",
        "lot",
        "max_price",
        "min_price",
        "reference",
        "symbol",
        "tick",
    )

    def __init__(
        self,
        symbol: str,
        tick: int,
        lot: int,
        reference: int,
        band_bps: int,
        halted: bool = False,
    ) -> None:
        self.symbol = symbol
        self.tick = tick
        self.lot = lot
        self.band_bps = band_bps
        self.halted = halted
        self.set_reference(reference)

    def set_reference(self, reference: int) -> None:
        """Move the band's centre; every write of ``reference`` goes through here.

        ``min_price`` / ``max_price`` cache the range of acceptable limit prices (the band,
        and at least 1) so the hot path checks a price with one chained comparison.
        """
        self.reference = reference
        half = reference * self.band_bps // BPS
        low = reference - half
        self.min_price = low if low > 1 else 1
        self.max_price = reference + half

    @classmethod
    def from_command(cls, cmd: AddSymbol) -> SymbolSpec:
        return cls(cmd.symbol, cmd.tick_size, cmd.lot_size, cmd.reference_price, cmd.band_bps)

    def band(self) -> tuple[int, int]:
        """The lowest and highest price a trade or a limit price may have right now."""
        ref = self.reference
        half = ref * self.band_bps // BPS
        return ref - half, ref + half

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
