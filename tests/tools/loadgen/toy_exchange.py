"""A one-level order book for the fake servers of the loadgen tests: DAY orders rest in time
order, an incoming order of the other side trades with the oldest, an IOC that finds nothing
expires. One price, one share per order, no self-trade prevention: just enough to make acks
and fills. Test support only."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from typing import Generic, TypeVar

from engine.domain.types import Side, TimeInForce

Owner = TypeVar("Owner")


@dataclass(frozen=True)
class Outcome(Generic[Owner]):
    """What one order's owner is told: ``kind`` accepted, executed or expired; ``liquidity``
    maker or taker for an execution."""

    owner: Owner
    kind: str
    token: str
    order_ref: int
    liquidity: str = ""
    match: int = 0


class ToyExchange(Generic[Owner]):
    def __init__(self) -> None:
        self._resting: deque[tuple[Owner, str, Side, int]] = deque()
        self._refs = 0
        self._matches = 0

    def enter(self, owner: Owner, token: str, side: Side, tif: TimeInForce) -> list[Outcome[Owner]]:
        self._refs += 1
        ref = self._refs
        out = [Outcome(owner, "accepted", token, ref)]
        if self._resting and self._resting[0][2] is not side:
            maker, maker_token, _, maker_ref = self._resting.popleft()
            self._matches += 1
            out.append(Outcome(owner, "executed", token, ref, "taker", self._matches))
            out.append(Outcome(maker, "executed", maker_token, maker_ref, "maker", self._matches))
        elif tif is TimeInForce.IOC:
            out.append(Outcome(owner, "expired", token, ref))
        else:
            self._resting.append((owner, token, side, ref))
        return out
