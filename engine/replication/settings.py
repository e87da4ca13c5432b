"""What a topology spec carries about replication (picklable: it crosses ``spawn``)."""

from __future__ import annotations

from dataclasses import dataclass

from engine.config import HostConfig

#: The mode of a standby's replicator when its configuration does not enable replication.
PROBES = "probes"


@dataclass(frozen=True, slots=True)
class ReplicationSettings:
    """The primary's side: where it listens for its standby, the mode and the liveness knobs
    (``[endpoints] replication`` and ``[replication]``)."""

    endpoint: str
    #: "sync" | "async" | "probes": a standby's replicator without ``[replication] enabled``,
    #: which once promoted answers epoch probes and refuses every standby (docs/replication.md)
    mode: str = "sync"
    heartbeat_ms: int = 100
    timeout_ms: int = 500
    #: this host's fencing history at start, (epoch, seq) (``engine.replication.handshake``)
    fences: tuple[tuple[int, int], ...] = ()

    @property
    def sync(self) -> bool:
        return self.mode == "sync"

    @property
    def probes_only(self) -> bool:
        return self.mode == PROBES

    @classmethod
    def from_config(
        cls, config: HostConfig, *, standby: bool = False
    ) -> ReplicationSettings | None:
        """None when the configuration runs no replicator. A standby's always runs one: without
        ``[replication] enabled`` it only answers epoch probes once promoted (mode
        :data:`PROBES`), so that a former primary can always learn it was superseded."""
        table = config.replication
        if not table.enabled:
            if not standby:
                return None
            endpoint = config.endpoints["replication"]
            return cls(endpoint, PROBES, table.heartbeat_ms, table.timeout_ms)
        return cls(
            config.endpoints["replication"], table.mode, table.heartbeat_ms, table.timeout_ms
        )
