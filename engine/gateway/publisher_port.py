"""The gateway's port into ring[in]: the one writer of ring[in] in its process.

Wraps ``engine.stages.injector.Injector`` (which stamps seq_no = base_seq + slot + 1) and adds
the gateway's part of the record: ``origin``, the session that sent the command (offset 116,
see ``engine.records``). Never waits: :meth:`try_submit_stamped` publishes what fits now and says
how many, and the asyncio server decides how to wait (it stops reading sockets; see
``engine.gateway.server``). Create it only when no other writer of ring[in] is left: a fresh
sequencer resumes after the ring's cursor, so setup commands injected earlier by another
process (or through :meth:`submit_blocking` here) simply come first.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from disruptor import RingBuffer
from engine.domain.types import Command
from engine.gateway.stamping import stamp_into
from engine.records import RECORD_SIZE
from engine.stages.injector import Injector, encode_records


class RingInPort:
    """Publishes commands into ring[in], stamping their gateway session."""

    def __init__(self, ring_in: RingBuffer, base_seq: int) -> None:
        self._injector = Injector(ring_in, base_seq)
        #: reused by try_submit_stamped (grown to the largest batch seen)
        self._rows = bytearray(64 * RECORD_SIZE)

    @property
    def last_seq_no(self) -> int:
        """seq_no of the last command in ring[in] (base_seq when none)."""
        return self._injector.last_seq_no

    def try_submit_stamped(self, commands: list[Command], origin: int, ts: int) -> list[Command]:
        """Stamp ``commands`` (all from session ``origin``, seq_no and ts 0 or the stamps they
        will get) with ``ts`` and the seq_nos of the next slots, and publish as many leading
        ones as fit now, in one claim of the ring and one wake-up of its consumers; returns
        the stamped commands published (``engine.gateway.stamping``: one pass to stamp and
        encode)."""
        n = len(commands)
        if not n:
            return []
        size = n * RECORD_SIZE
        if len(self._rows) < size:
            self._rows = bytearray(max(size, 2 * len(self._rows)))
        stamped = stamp_into(self._rows, commands, ts, self.last_seq_no + 1, origin)
        records = np.frombuffer(self._rows, dtype=np.uint8, count=size).reshape(n, RECORD_SIZE)
        published = self._injector.try_publish(records)
        return stamped if published == n else stamped[:published]

    def submit_blocking(self, commands: Sequence[Command]) -> int:
        """Publish setup commands (origin 0), waiting while the ring is full (before serving)."""
        if not commands:
            return self.last_seq_no
        return self._injector.publish(encode_records(commands))
