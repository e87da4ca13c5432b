"""When the writer calls ``os.fdatasync``: the group-commit sync policies.

* ``every_batch()`` (default): each ``commit()`` that wrote something syncs once.
* ``every_ms(n)``: ``commit()`` always writes, but syncs only when at least ``n`` ms passed since
  the last sync (measured on the writer's clock, which tests inject). Nothing runs in the
  background: the host keeps calling ``commit()`` (or ``sync()``) to make data durable.
* ``never()``: never syncs and reports everything written as durable. Tests only.

``durable_seq`` advances only after an ``fdatasync`` returned (or at once under ``never()``).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class SyncKind(Enum):
    EVERY_BATCH = "every-batch"
    INTERVAL = "interval"
    NEVER = "never"


@dataclass(frozen=True, slots=True)
class SyncPolicy:
    """How often a commit is made durable; build one with the class methods."""

    kind: SyncKind = SyncKind.EVERY_BATCH
    interval_ms: float = 0.0

    @classmethod
    def every_batch(cls) -> SyncPolicy:
        return cls(SyncKind.EVERY_BATCH)

    @classmethod
    def every_ms(cls, interval_ms: float) -> SyncPolicy:
        if interval_ms < 0:
            raise ValueError(f"sync interval must be >= 0 ms, got {interval_ms}")
        return cls(SyncKind.INTERVAL, float(interval_ms))

    @classmethod
    def never(cls) -> SyncPolicy:
        return cls(SyncKind.NEVER)

    @property
    def syncs(self) -> bool:
        """False only for the tests-only policy that never touches the disk cache."""
        return self.kind is not SyncKind.NEVER
