"""Topology: the single place that wires rings, stages and processes.

::

    injector/gateway ──► ring[in]    128 B command records; slot s is seq_no = base + s + 1
                           ├── journaler   append + group commit; its sequence is durable_seq
                           ├── replicator  (sync replication) ships slot ranges to the standby;
                           │               its sequence is the standby's acked durable seq
                           └── core | risk (behind the journaler and the replicator: durable
                                           here and, replicating in sync, on the standby)

    fused (one core process runs the whole Exchange(W)):
        core ──────────► ring[events]  the canonical stream: 128 B event records stamped
                                       (seq_no, sub_seq), with the command's origin and ts
    sharded (risk stage + one matcher process per shard, xxh3(symbol) % N):
        risk ──────────► ring[risk]  256 B: command record (+ target, cap) + its one event
                           ├── matcher k ──► ring[out k] ──┬── risk   (fill feedback, window W)
                           └── publisher (behind every     └── publisher
                               matcher: the watermark) ──► ring[events] (merged in seq order)

    ring[events] ──┬── auditor     digest, event file, counts, latency (verification, benches)
                   ├── gateway     execution reports to the firms' sessions (when it serves)
                   ├── marketdata  ITCH 5.0 in MoldUDP64 multicast, retransmission, snapshots
                   │               (engine.mdfeed; lets go of the ring and follows the journal
                   │               when it falls behind); with HTTP configured it also keeps
                   │               the views: depth, trades, candles over :8080
                   └── views       the views on a host with no feed (engine.stages.views)
    snapshotter (niced, on no ring): follows the journal files up to durable_seq
    replicator  (async replication, on no ring): follows the journal files to the standby
    reporter    (niced, on no ring): follows the journal files up to durable_seq into the
                reports database (SQLite DATA_DIR/reports.db, or PostgreSQL)

The table :data:`STAGES` is that picture as data (see `engine.wiring`): a new reader of the
event stream (market data, the reporter) or of ring[in] (a replicator, which the risk and core
barriers then list in ``after``) is one row. ring[events] reserves consumer slot 0 for its
producer's *watermark*: the ring[in] sequence through which every command's events are in
ring[events]; the readers' slots follow. Every ring has one writer and the capacity of
ring[in] (ring[risk] slots map 1:1 onto ring[in] slots). Ring names are ``<prefix><ring>`` so
that the supervisor's claim of the prefix covers them and a sweep removes whatever a crashed run
left (``disruptor.shm_claim``).

The gateway is a reader of ring[events] that the host starts after its setup has drained, not
with the stages (``process=False`` in its row). Until it runs, and after it stops, its runner
stands in for it (:func:`stand_in`): it moves the gateway's sequence to the cursor, taking
nothing (no session can be owed those reports: none is logged in), so the gateway's place
gates the producer like any reader's and the hand-over needs no coordination.

How each stage is built from the spec: ``engine.stage_factories``. Two runners execute the
same stage objects: ``engine.stage_factories.InProcessRunner`` (one thread polls every stage in
turn; for fast deterministic tests) and ``engine.supervisor.Supervisor`` (one OS process per
stage, blocking waits). Start and restart: ``engine.start_point.prepare_start``
gives the spec its ``base_seq`` and the recovered state each stage restores its part from.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from disruptor import RingBuffer
from engine.config import HostConfig, ReporterConfig
from engine.domain.rules import CURRENT_RULES
from engine.event_records import EVENT_RECORD_SIZE
from engine.hop_board import HOPS, HopBoard
from engine.mdfeed.settings import FeedSettings
from engine.records import RECORD_SIZE
from engine.replication.role import ROLE, HostRole
from engine.replication.settings import ReplicationSettings
from engine.stages.slots import MAX_SHARDS, RISK_SLOT_SIZE
from engine.wiring import Read, RingDef, StageDef, Wiring, resolve
from journal import SyncPolicy

WATERMARK = "watermark"


def _fused(spec: Any) -> bool:
    return bool(spec.fused)


def _sharded(spec: Any) -> bool:
    return not spec.fused


def _replicating(sync: bool) -> Any:
    def when(spec: Any) -> bool:
        return spec.replication is not None and spec.replication.sync == sync

    return when


#: What core and risk wait for on ring[in]: durable here, and on the standby when replicating
#: in sync (``?``: only where a replicator reads ring[in]).
DURABLE = ("journaler", "replicator?")


RINGS: list[RingDef] = [
    RingDef("in", RECORD_SIZE),
    RingDef("risk", RISK_SLOT_SIZE),
    RingDef("out*", EVENT_RECORD_SIZE),
    RingDef("events", EVENT_RECORD_SIZE, reserved=(WATERMARK,)),
]

#: The pipeline: who reads which ring behind whom, who writes what (engine.wiring).
STAGES: list[StageDef] = [
    StageDef("journaler", reads=(Read("in"),)),
    StageDef("replicator", reads=(Read("in"),), when=_replicating(sync=True)),
    StageDef("replicator", when=_replicating(sync=False)),
    StageDef("core", (Read("in", after=DURABLE),), ("events",), when=_fused),
    StageDef("risk", (Read("in", after=DURABLE), Read("out*")), ("risk",), when=_sharded),
    StageDef("matcher*", (Read("risk"),), ("out*",), when=_sharded),
    StageDef(
        "publisher", (Read("risk", after=("matcher*",)), Read("out*")), ("events",), when=_sharded
    ),
    StageDef("auditor", (Read("events"),)),
    StageDef("gateway", (Read("events"),), when=lambda spec: spec.gateway, process=False),
    StageDef("marketdata", (Read("events"),), when=lambda spec: spec.market_data is not None),
    StageDef("snapshotter", when=lambda spec: spec.snapshot_every > 0),
    StageDef("reporter", when=lambda spec: spec.reporter is not None),
    # with a feed, the marketdata stage keeps the views (engine.views.host)
    StageDef(
        "views",
        (Read("events"),),
        when=lambda spec: spec.http is not None and spec.market_data is None,
    ),
]


@dataclass(frozen=True)
class TopologySpec:
    """Everything a stage needs to attach and run; picklable (it crosses ``spawn``)."""

    prefix: str
    data_dir: str
    shards: int = 1
    capacity: int = 65536
    feedback_window: int = 1024
    #: the rules version (engine.domain.rules); a start on a journal takes the journal's
    rules: int = CURRENT_RULES
    journal_sync: str = "batch"  # batch | interval | none (tests only)
    journal_interval_ms: int = 2
    journal_segment_bytes: int = 256 * 1024 * 1024
    base_seq: int = 0
    max_batch: int = 4096
    summary_path: str | None = None
    events_path: str | None = None
    measure_latency: bool = False
    pinning: dict[str, int] = field(default_factory=dict)
    snapshot_every: int = 0  # 0: no snapshotter process
    report_dir: str | None = None  # risk/matcher (or core) stages write state parts here at close
    output_digest: bool = True  # the auditor digests the canonical stream (verification)
    gateway: bool = False  # the gateway reads ring[events] (started by the host later)
    fused: bool = False  # one core stage runs the whole Exchange (engine.stages.core)
    #: the ITCH feed's endpoints and knobs (None: no market-data process; `sequex run` sets
    #: it from the configuration's [market_data] and [endpoints])
    market_data: FeedSettings | None = None
    #: the reports database the reporter stage writes (None: no reporter process)
    reporter: ReporterConfig | None = None
    #: where the views stage serves HTTP ("HOST:PORT"; None: no views stage)
    http: str | None = None
    #: the replicator's endpoint and mode (None: no standby is served)
    replication: ReplicationSettings | None = None
    #: the host starts as a standby (``sequex standby``): its feed is muted and its replicator
    #: dormant until the host is promoted (the role word, ``engine.replication.role``)
    standby: bool = False

    def __post_init__(self) -> None:
        if not 1 <= self.shards <= MAX_SHARDS:
            raise ValueError(f"shards must be in 1..{MAX_SHARDS}, got {self.shards}")
        if self.capacity < 2 or self.capacity & (self.capacity - 1):
            raise ValueError(f"ring capacity must be a power of two >= 2, got {self.capacity}")
        if self.feedback_window < 1:
            raise ValueError(f"feedback_window must be >= 1, got {self.feedback_window}")
        if self.fused and self.shards != 1:
            raise ValueError(f"a fused topology has one (virtual) shard, got {self.shards}")

    @classmethod
    def from_config(cls, config: HostConfig, prefix: str, **overrides: Any) -> TopologySpec:
        values: dict[str, Any] = {
            "prefix": prefix,
            "data_dir": config.data_dir,
            "shards": config.matcher_shards,
            "capacity": config.ring_capacity,
            "feedback_window": config.feedback_window,
            "journal_sync": config.journal_sync,
            "journal_interval_ms": config.journal_interval_ms,
            "journal_segment_bytes": config.journal_segment_bytes,
            "snapshot_every": config.snapshot_every,
            "pinning": dict(config.pinning),
            "fused": config.topology == "fused",
            "reporter": config.reporter if config.reporter.enabled else None,
        }
        values.update(overrides)
        if values["fused"]:
            values["shards"] = 1  # matcher_shards means nothing to a fused core
        return cls(**values)

    def wiring(self) -> Wiring:
        return resolve(RINGS, STAGES, self, self.shards)

    def ring_name(self, ring: str) -> str:
        return f"{self.prefix}{ring}"

    def stage_names(self) -> list[str]:
        """The stages run as processes, downstream first (nothing waits on a missing peer)."""
        return [p.name for p in reversed(self.wiring().stages.values()) if p.process]

    def report_path(self, stage: str) -> str | None:
        """Where ``stage`` writes its part of the live state at close (None: it does not)."""
        if self.report_dir is None:
            return None
        return str(Path(self.report_dir) / f"{stage}.state")


class Rings:
    """The owner handles of every ring of a topology, of its hop latencies
    (``engine.hop_board``) and of a standby's role word (``engine.replication.role``); close()
    unlinks them."""

    def __init__(self, spec: TopologySpec) -> None:
        self.wiring = spec.wiring()
        self.by_name: dict[str, RingBuffer] = {}
        self.role: HostRole | None = None
        self.hops: HopBoard | None = None
        try:
            if spec.standby:
                self.role = HostRole.create(spec.ring_name(ROLE))
            self.hops = HopBoard.create(spec.ring_name(HOPS))
            for name, plan in self.wiring.rings.items():
                self.by_name[name] = RingBuffer.create(
                    spec.ring_name(name), spec.capacity, plan.slot_size, plan.consumers
                )
        except BaseException:
            self.close()
            raise

    def __getitem__(self, ring: str) -> RingBuffer:
        return self.by_name[ring]

    def all(self) -> list[RingBuffer]:
        return list(self.by_name.values())

    def alert(self) -> None:
        for ring in self.all():
            ring.alert()

    def promote(self) -> None:
        """A standby host serves from now on: its stages see the role word, woken at once."""
        assert self.role is not None, "only a standby's rings have a role word"
        self.role.promote()
        for ring in self.all():
            ring.board.signal()

    def close(self) -> None:
        for ring in self.all():
            ring.close()
        self.by_name.clear()
        if self.role is not None:
            self.role.close()
            self.role = None
        if self.hops is not None:
            self.hops.close()
            self.hops = None


def sync_policy(spec: TopologySpec) -> SyncPolicy:
    if spec.journal_sync == "batch":
        return SyncPolicy.every_batch()
    if spec.journal_sync == "interval":
        return SyncPolicy.every_ms(spec.journal_interval_ms)
    if spec.journal_sync == "none":
        return SyncPolicy.never()
    raise ValueError(f"journal sync must be batch, interval or none, not {spec.journal_sync!r}")


def published_seq_no(spec: TopologySpec, ring_events: RingBuffer) -> int:
    """seq_no through which every command's events are in ring[events] (the watermark)."""
    watermark = spec.wiring().rings["events"].reserved[WATERMARK]
    return spec.base_seq + ring_events.consumer_sequence(watermark).get() + 1


def stand_in(rings: Rings, stages: set[str]) -> None:
    """Move the sequences of ``stages`` (readers that are not running) to their rings'
    cursors: what a reader that takes nothing would do. Their runner calls it while they are
    away; a producer waiting for them is then woken."""
    for name in stages:
        for item in rings.wiring.stages[name].inputs:
            ring = rings[item.ring]
            ring.consumer_sequence(item.consumer).set(ring.cursor.get())
            ring.board.signal()


#: Readers of ring[events] off the order path: they publish what happened to the world, never
#: gate an order's answer, and catch up from the journal when they fall behind.
BACKGROUND_READERS = frozenset({"marketdata", "views"})


def events_read(spec: TopologySpec, ring_events: RingBuffer, *, background: bool = True) -> bool:
    """Whether every running reader of ring[events] has taken everything published in it;
    ``background=False``: every reader on the order path (not :data:`BACKGROUND_READERS`)."""
    cursor = ring_events.cursor.get()
    readers = spec.wiring().rings["events"].readers
    return all(
        ring_events.consumer_sequence(i).get() >= cursor
        for name, i in readers.items()
        if background or name not in BACKGROUND_READERS
    )
