"""``/health``: whether the host's stages are alive and how far behind each one is.

Contract. :class:`HealthProbe` reads, never writes: the rings' cursors and their readers'
sequences (shared memory), the reporter's status file, and (in a host) the process table.

* ``stages``: every stage the topology runs as a process, plus the gateway when the host has
  one. ``alive`` is read from /proc: a process of the same parent (the supervisor) titled
  ``sequex: NAME`` (``engine.proctitle``); ``null`` when the views run in-process (tests),
  where no process table says anything. ``lag``: for each ring the stage reads, the slots
  published there that it has not taken yet.
* ``seq``: ``injected`` (ring[in]'s cursor as a seq_no), ``durable`` (the journaler's),
  ``published`` (every command's events are in ring[events] through it), ``views`` (the last
  command the views have applied whole).
* ``views.lag`` = published - views; ``reporter``: its last status (position, durable seq,
  lag) or null when it has none.
* ``status``: ``stopping`` once the host alerted its rings (a stage died or the host stops),
  ``degraded`` when a stage is not alive, else ``ok``.

The fail-fast supervisor stops every stage when one dies, so ``degraded`` is short-lived;
it is what the page shows while it lasts.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, Final

from disruptor import RingBuffer
from engine.proctitle import TITLE_PREFIX
from engine.reporter.status import read_status
from engine.topology import TopologySpec, published_seq_no

__all__ = ["HealthProbe", "sibling_roles"]

GATEWAY: Final = "gateway"


def sibling_roles(proc: Path = Path("/proc")) -> set[str]:
    """The roles (``sequex: ROLE`` titles) of the live processes that share our parent."""
    parent = os.getppid()
    roles: set[str] = set()
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_bytes()
            # "pid (comm) state ppid ...": comm may hold spaces and parentheses
            fields = stat[stat.rindex(b")") + 2 :].split()
            if int(fields[1]) != parent or fields[0] == b"Z":
                continue
            title = (entry / "cmdline").read_bytes().split(b"\0")[0].decode(errors="replace")
        except (OSError, ValueError, IndexError):
            continue  # gone meanwhile, or not ours to read
        if title.startswith(TITLE_PREFIX):
            roles.add(title[len(TITLE_PREFIX) :].strip())
    return roles


class HealthProbe:
    """The ``/health`` document of one host (see the module contract)."""

    def __init__(
        self,
        spec: TopologySpec,
        rings: Mapping[str, RingBuffer],
        views_seq: Callable[[], int],
        liveness: Callable[[], set[str]] | None,
    ) -> None:
        self._spec = spec
        self._wiring = spec.wiring()
        self._rings = dict(rings)
        self._views_seq = views_seq
        self._liveness = liveness
        names = spec.stage_names()
        if spec.gateway:
            names.append(GATEWAY)
        self.stage_names = names

    def _seq(self, ring: str, sequence: int) -> int:
        return self._spec.base_seq + sequence + 1

    def report(self) -> dict[str, Any]:
        rings = self._rings
        alive = self._liveness() if self._liveness is not None else None
        stages: dict[str, Any] = {}
        for name in self.stage_names:
            plan = self._wiring.stages[name]
            lag = {}
            for item in plan.inputs:
                ring = rings[item.ring]
                lag[item.ring] = max(
                    0, ring.cursor.get() - ring.consumer_sequence(item.consumer).get()
                )
            stages[name] = {"alive": None if alive is None else name in alive, "lag": lag}
        ring_in = rings["in"]
        journaler = self._wiring.consumer("in", "journaler")
        published = published_seq_no(self._spec, rings["events"])
        views = self._views_seq()
        stopping = any(ring.is_alerted() for ring in rings.values())
        degraded = alive is not None and any(not s["alive"] for s in stages.values())
        reporter = read_status(self._spec.data_dir) if self._spec.reporter is not None else None
        return {
            "status": "stopping" if stopping else "degraded" if degraded else "ok",
            "seq": {
                "injected": self._seq("in", ring_in.cursor.get()),
                "durable": self._seq("in", ring_in.consumer_sequence(journaler).get()),
                "published": published,
                "views": views,
            },
            "views": {"through_seq": views, "lag": max(0, published - views)},
            "reporter": None
            if reporter is None
            else {
                "position": reporter.position,
                "durable_seq": reporter.durable_seq,
                "lag": reporter.lag,
            },
            "stages": stages,
        }
