"""The views of one host: the market view, its lock, its HTTP server and its saved history.

Contract. A :class:`ViewsHost` is what a stage that reads the execution stream needs to keep
the views: the stage hands it event records in seq order with the last command it then holds
whole (:meth:`ViewsHost.take`); the host applies them to the
:class:`~engine.views.projection.MarketView` under its lock and wakes the server's live
streams. The server (``engine.views.server``) runs on a
thread of its own and only reads the view, under the same lock.

Two stages keep one: the market-data stage (``engine.mdfeed.publisher``), which holds the
views whenever the host runs a feed, so the views follow the feed's records, ring or journal
replay alike, and never gate matching; and the views stage (``engine.stages.views``), which
reads ring[events] itself on a host with no feed.

Records of commands the view holds already are skipped (:meth:`take` compares their seq with
``through_seq``): the view is rebuilt through the host's ``base_seq`` at start
(``engine.views.rebuild``) while a feed behind it replays the journal from further back.

The trade history goes to ``DATA_DIR/views.state`` about every :data:`SAVE_EVERY_S` seconds
while trades come in (:meth:`save_if_due`, from the stage's thread, the view's only writer)
and at :meth:`stop`, so a restart replays only a short stretch of the journal.
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Mapping, Sequence
from typing import Any, Final

import numpy as np
import numpy.typing as npt

from disruptor import RingBuffer
from engine.gateway.startup import parse_endpoint
from engine.topology import TopologySpec
from engine.views.columns import apply_picked, pick
from engine.views.health import HealthProbe, sibling_roles
from engine.views.projection import MarketView
from engine.views.rebuild import rebuild_view, save_history
from engine.views.server import ViewServer

__all__ = ["SAVE_EVERY_S", "ViewsHost", "rebuilt_host"]

#: Seconds between two saves of the trade history while trades come in.
SAVE_EVERY_S: Final = 5.0


class ViewsHost:
    """The view, its lock, its server and its saves (module docstring); ``rings``: attached
    handles of the host's rings, for the health document, that :meth:`close` lets go of."""

    def __init__(
        self,
        spec: TopologySpec,
        rings: Mapping[str, RingBuffer],
        view: MarketView,
        *,
        endpoint: str,
        liveness: bool = False,
    ) -> None:
        self._data_dir = spec.data_dir
        self._rings = rings
        self.lock = threading.Lock()
        self.view = view
        self.probe = HealthProbe(
            spec, rings, lambda: self.view.through_seq, sibling_roles if liveness else None
        )
        host, port = parse_endpoint(endpoint)
        self.server = ViewServer(self, host, port)
        self._saved_trades = view.trade_count
        self._saved_at = 0.0

    def health(self) -> dict[str, Any]:
        return self.probe.report()

    @property
    def address(self) -> tuple[str, int] | None:
        """Where the server listens, once started."""
        return self.server.address

    def start(self) -> None:
        self.server.start()  # a port in use raises here: the stage fails, the host stops

    def stop(self) -> None:
        try:
            self.server.stop()
        finally:
            self.save()

    def close(self) -> None:
        """Let go of the rings the health document reads (the supervisor owns them)."""
        for ring in self._rings.values():
            ring.close()

    # -- the stage's thread ------------------------------------------------------------------

    def take(self, chunks: Sequence[npt.NDArray[np.uint8]], through_seq: int) -> int:
        """Apply the records of ``chunks`` (event records in seq order) of commands after the
        view's ``through_seq``, and move it to ``through_seq`` (the last command whose events
        the view then holds whole), in one hold of the lock; returns how many records changed
        the view."""
        held = self.view.through_seq
        picked = []
        for rows in chunks:
            if len(rows):
                seqs = rows.view("<i8")[:, 1]
                start = int(np.searchsorted(seqs, held, side="right"))
                if start < len(rows):
                    picked.append(pick(rows[start:]))  # a copy: the slots may go back at once
        if not picked and through_seq <= held:
            return 0
        with self.lock:
            changed = sum(apply_picked(self.view, sel) for sel in picked)
            self.view.through_seq = max(held, through_seq)
        self.server.notify()
        return changed

    def take_one(self, rows: npt.NDArray[np.uint8], through_seq: int) -> int:
        """:meth:`take` of one batch of records (a journal replay's)."""
        return self.take((rows,), through_seq)

    def advance(self, through_seq: int) -> None:
        """The view holds every event of the commands through ``through_seq``."""
        self.take((), through_seq)

    def save_if_due(self) -> None:
        if self.view.trade_count == self._saved_trades:
            return
        now = time.monotonic()
        if now - self._saved_at >= SAVE_EVERY_S:
            self.save()
            self._saved_at = now

    def save(self) -> None:
        """Write the trade history (the stage's thread is the view's only writer)."""
        save_history(self._data_dir, self.view)
        self._saved_trades = self.view.trade_count


def rebuilt_host(
    spec: TopologySpec,
    rings: Mapping[str, RingBuffer],
    state: bytes | None,
    *,
    in_process: bool,
) -> ViewsHost:
    """The views of ``spec`` (``spec.http`` is their endpoint), the view rebuilt through
    ``spec.base_seq`` from the journal and ``state`` (the recovered exchange state).
    ``in_process``: built by the in-process runner, where no process table tells liveness."""
    assert spec.http is not None, "views run only with an HTTP endpoint"
    rebuilt = rebuild_view(spec.data_dir, spec.base_seq, state)
    if rebuilt.ignored is not None:
        print(f"views: ignoring the saved history: {rebuilt.ignored}", file=sys.stderr)
    return ViewsHost(spec, rings, rebuilt.view, endpoint=spec.http, liveness=not in_process)
