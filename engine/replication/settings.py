"""What a topology spec carries about replication (picklable: it crosses ``spawn``)."""

from __future__ import annotations

from dataclasses import dataclass

from engine.config import HostConfig


@dataclass(frozen=True, slots=True)
class ReplicationSettings:
    """The primary's side: where it listens for its standby, the mode and the liveness knobs
    (``[endpoints] replication`` and ``[replication]``)."""

    endpoint: str
    mode: str = "sync"  # "sync" | "async"
    heartbeat_ms: int = 100
    timeout_ms: int = 500
    #: this host's fencing history at start, (epoch, seq) (``engine.replication.handshake``)
    fences: tuple[tuple[int, int], ...] = ()

    @property
    def sync(self) -> bool:
        return self.mode == "sync"

    @classmethod
    def from_config(cls, config: HostConfig) -> ReplicationSettings | None:
        """None when the configuration runs no replicator."""
        table = config.replication
        if not table.enabled:
            return None
        return cls(
            config.endpoints["replication"], table.mode, table.heartbeat_ms, table.timeout_ms
        )
