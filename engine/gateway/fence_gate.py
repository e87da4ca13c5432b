"""Whether the gateway may sequence orders: the host's fencing marker, watched.

Contract. :attr:`FenceGate.reason` is None while the host may take orders, else why not
(``engine.fencing``: another host superseded this one). It is read at start and then every
``interval`` seconds by :meth:`FenceGate.watch` (an asyncio task of the gateway), so a host
that learns it is fenced while serving stops sequencing orders within that interval. Every
protocol asks :meth:`FenceGate.refusal` before sequencing a firm's order, cancel or replace and
answers a refusal in its own terms (JSON ``fenced``; OUCH and FIX, whose every answer is a
numbered message the promoted host would number too, end the session instead: OUCH refuses
logins with SESSION_NOT_AVAILABLE, FIX closes the connection, ``engine.gateway.fix_server``):
nothing more enters the sequence, so nothing can diverge from the host that superseded this
one.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from engine.fencing import fence_reason

#: Seconds between two looks at the marker.
WATCH_SECONDS = 0.2


class FenceGate:
    """The fencing state of the host whose data directory is ``data_dir``."""

    def __init__(self, data_dir: str | Path | None) -> None:
        self._data_dir = data_dir
        self.reason: str | None = None
        self.refresh()

    def refresh(self) -> None:
        if self._data_dir is not None and self.reason is None:  # fenced stays fenced
            self.reason = fence_reason(self._data_dir)

    def refusal(self) -> str | None:
        """The text of a refusal of an order now (None: it may be sequenced)."""
        return None if self.reason is None else f"fenced: {self.reason}"

    async def watch(self, interval: float = WATCH_SECONDS) -> None:
        while self.reason is None:
            await asyncio.sleep(interval)
            await asyncio.to_thread(self.refresh)
