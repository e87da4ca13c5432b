"""Which connections a gateway admits: the firms' connection cap and the operator's reserve.
Pure: it only counts (the server asks on accept and tells it when a connection ends).

Contract.

* ``max_connections`` places form the *pool*: any connection, logged in or not, firm or
  operator, takes one while the pool has room (:data:`Slot.POOL`).
* When the pool is full, up to ``reserve`` more connections are admitted into the operator's
  *reserve* (:data:`Slot.RESERVE`). The server lets such a connection do one thing only: log in
  as the operator, promptly. Any other first line (a firm's login), or none in time, is
  answered ``too_many_connections`` and the connection closed, as if it had been refused at
  once. So connections of firms, logged in or idle, can fill the pool but never shut the
  operator out; only a flood of new connections that fills the reserve as well can, and each of
  those is gone within the reserve's short login timeout.
* Beyond pool and reserve a connection is refused at once (:meth:`Admission.admit` is None).
* A connection keeps its place, pool or reserve, until it ends (:meth:`Admission.release`).
"""

from __future__ import annotations

from enum import Enum
from typing import Final

#: Connections beyond the cap that are admitted for an operator login only.
ADMIN_RESERVE: Final = 4


class Slot(Enum):
    POOL = "pool"
    RESERVE = "reserve"


class Admission:
    """Counts the open connections of the pool and of the reserve."""

    def __init__(self, max_connections: int, reserve: int = ADMIN_RESERVE) -> None:
        if max_connections < 1:
            raise ValueError(f"max_connections must be at least 1, not {max_connections}")
        if reserve < 0:
            raise ValueError(f"the operator's reserve must not be negative, not {reserve}")
        self.max_connections = max_connections
        self.reserve = reserve
        self.pool_open = 0
        self.reserve_open = 0

    def admit(self) -> Slot | None:
        """A place for a new connection, the pool's first; None: refuse it."""
        if self.pool_open < self.max_connections:
            self.pool_open += 1
            return Slot.POOL
        if self.reserve_open < self.reserve:
            self.reserve_open += 1
            return Slot.RESERVE
        return None

    def release(self, slot: Slot) -> None:
        """The connection that held ``slot`` ended."""
        if slot is Slot.POOL:
            assert self.pool_open > 0
            self.pool_open -= 1
        else:
            assert self.reserve_open > 0
            self.reserve_open -= 1
