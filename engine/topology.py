"""Topology: the single place that wires rings, stages and processes.

::

    injector/gateway ──► ring[in]  128 B command records; slot s is seq_no = base + s + 1
                           ├── consumer 0: journaler   append + group commit; its sequence is
                           │                           published after fdatasync: durable_seq
                           └── consumer 1: risk stage  barrier on the journaler: durable only
    risk stage ────────► ring[risk]  256 B: command record (+ target, cap) + its one event;
                           │         1:1 with ring[in], so a sequence here = "through seq_no"
                           ├── consumer k: matcher shard k   (k = 0..N-1; xxh3(symbol) % N)
                           └── consumer N: publisher   (barrier on every matcher = watermark)
    matcher k ─────────► ring[out_k]  128 B event records stamped (seq_no, sub_seq), published
                           │          before the matcher's sequence on ring[risk] moves
                           ├── consumer 0: risk stage  fill feedback, window W (engine.stages.risk)
                           └── consumer 1: publisher   canonical merge -> digest, exec router
    fused (``TopologySpec.fused``, one shard): ring[in] -> journaler ∥ core (barrier on the
                           journaler) -> ring[risk] + ring[out0] -> publisher, unchanged: the
                           core runs a whole Exchange(W) (``engine.stages.core``) in place of
                           the risk stage and matcher 0; fewer processes, one codec pass
    snapshotter (niced, on no ring): follows the journal files up to durable_seq (the
                           journaler's sequence on ring[in]) into its own Exchange(W) and
                           writes a snapshot every ``snapshot_every`` commands and at close

Every ring has one writer. Every ring has the same capacity (ring[risk] slots map 1:1 onto
ring[in] slots). Names are ``<prefix>in``, ``<prefix>risk``, ``<prefix>out<k>`` so that
``disruptor.cleanup_stale(prefix)`` removes whatever a crashed run left.

Start and restart (:func:`prepare_start`). On a data directory without a journal the host
starts empty at seq 0. Otherwise the journal is opened once to recover it (torn tail truncated
and synced), ``engine.rebuild.rebuild`` replays the newest snapshot + journal tail into an
``Exchange(W)`` (W from the journal header; a different configured W is refused), and the spec
gets ``base_seq`` = its last seq. The ``Exchange.snapshot()`` bytes are the ``state`` handed to
the stage factories: risk and matcher stages decode and keep their part
(``engine.stages.state_parts``; matcher parts split by the *current* shard count), the snapshotter
restores it whole, the journaler continues at base_seq + 1 and ring[in] slot 0 is that seq.

Two runners execute the same stage objects: :class:`InProcessRunner` (one thread polls every
stage in turn; for fast deterministic tests) and ``engine.supervisor.Supervisor`` (one OS process
per stage, blocking waits).
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from disruptor import Agent, RingBuffer
from engine.config import HostConfig
from engine.domain.types import EXECUTION_REPORTS
from engine.event_records import EVENT_RECORD_SIZE
from engine.gateway.exec_ring import ExecRingWriter, create_exec_ring
from engine.gateway.router import ROUTED_EVENTS, ReportRouter
from engine.journal_format import encode_user_header, journal_dir
from engine.records import RECORD_SIZE
from engine.stages.core import CoreAgent
from engine.stages.injector import Injector
from engine.stages.journaler import JournalerStage
from engine.stages.matcher import MatcherAgent
from engine.stages.publisher import ExecRouter, PublisherAgent
from engine.stages.risk import RiskAgent
from engine.stages.slots import MAX_SHARDS, RISK_SLOT_SIZE
from engine.stages.snapshotter import SnapshotterAgent
from engine.stages.state_parts import exchange_part, matcher_part, risk_part
from journal import JournalWriter, SyncPolicy


@dataclass(frozen=True)
class TopologySpec:
    """Everything a stage needs to attach and run; picklable (it crosses ``spawn``)."""

    prefix: str
    data_dir: str
    shards: int = 1
    capacity: int = 65536
    feedback_window: int = 1024
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
    output_digest: bool = True  # the publisher digests the canonical stream (verification)
    gateway: bool = False  # an exec ring carries routed reports to the gateway process
    fused: bool = False  # one core stage runs the whole Exchange (engine.stages.core)

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
        }
        values.update(overrides)
        if values["fused"]:
            values["shards"] = 1  # matcher_shards means nothing to a fused core
        return cls(**values)

    # -- names ------------------------------------------------------------------------------

    @property
    def ring_in(self) -> str:
        return f"{self.prefix}in"

    @property
    def ring_risk(self) -> str:
        return f"{self.prefix}risk"

    def ring_out(self, shard: int) -> str:
        return f"{self.prefix}out{shard}"

    @property
    def ring_exec(self) -> str:
        return f"{self.prefix}exec"

    def stage_names(self) -> list[str]:
        """Stages in start order (downstream first, so nothing waits on a missing peer)."""
        if self.fused:
            names = ["publisher", "core", "journaler"]
        else:
            names = ["publisher", *(f"matcher{k}" for k in range(self.shards)), "risk"]
            names.append("journaler")
        return (["snapshotter"] if self.snapshot_every > 0 else []) + names

    def report_path(self, stage: str) -> str | None:
        """Where ``stage`` writes its part of the live state at close (None: it does not)."""
        if self.report_dir is None:
            return None
        return str(Path(self.report_dir) / f"{stage}.state")


@dataclass
class Rings:
    """The owner handles of every ring of a topology (close() unlinks them)."""

    ring_in: RingBuffer
    ring_risk: RingBuffer
    outs: list[RingBuffer]
    ring_exec: RingBuffer | None = None

    def all(self) -> list[RingBuffer]:
        extra = [] if self.ring_exec is None else [self.ring_exec]
        return [self.ring_in, self.ring_risk, *self.outs, *extra]

    def alert(self) -> None:
        for ring in self.all():
            ring.alert()

    def close(self) -> None:
        for ring in self.all():
            ring.close()


def create_rings(spec: TopologySpec) -> Rings:
    """Create every ring of ``spec`` (this process owns them)."""
    made: list[RingBuffer] = []
    try:
        made.append(RingBuffer.create(spec.ring_in, spec.capacity, RECORD_SIZE, 2))
        made.append(
            RingBuffer.create(spec.ring_risk, spec.capacity, RISK_SLOT_SIZE, spec.shards + 1)
        )
        for k in range(spec.shards):
            made.append(RingBuffer.create(spec.ring_out(k), spec.capacity, EVENT_RECORD_SIZE, 2))
        if spec.gateway:
            made.append(create_exec_ring(spec.ring_exec, spec.capacity))
    except BaseException:
        for ring in made:
            ring.close()
        raise
    outs = made[2 : 2 + spec.shards]
    return Rings(made[0], made[1], outs, made[2 + spec.shards] if spec.gateway else None)


def sync_policy(spec: TopologySpec) -> SyncPolicy:
    if spec.journal_sync == "batch":
        return SyncPolicy.every_batch()
    if spec.journal_sync == "interval":
        return SyncPolicy.every_ms(spec.journal_interval_ms)
    if spec.journal_sync == "none":
        return SyncPolicy.never()
    raise ValueError(f"journal sync must be batch, interval or none, not {spec.journal_sync!r}")


class Stage(Agent, Protocol):
    def poll(self) -> int: ...


#: Young-generation threshold of the stage processes. Every command allocates short-lived
#: tuples (commands, events); with the default 700 the collector runs every few commands and
#: costs about a quarter of a stage's time. Cycles are rare here, so collect far less often.
STAGE_GC_THRESHOLD = (20_000, 20, 100)


#: Niceness of the snapshotter process: it gets what core time the pipeline leaves.
SNAPSHOTTER_NICE = 10


def build_stage(
    spec: TopologySpec,
    name: str,
    router: ExecRouter | None = None,
    *,
    tune_gc: bool = False,
    state: bytes | None = None,
) -> Stage:
    """Attach to the rings of ``spec`` and build stage ``name`` (runs in the stage's process;
    ``tune_gc`` sets that process's collector thresholds and niceness, so only a stage process
    uses it). ``state`` is the recovered ``Exchange.snapshot()`` at ``spec.base_seq`` (None: a
    fresh start, which requires base_seq 0)."""
    if state is None and spec.base_seq != 0 and _restores(name):
        raise ValueError(f"stage {name} cannot start at base_seq {spec.base_seq} without state")
    if tune_gc:
        gc.set_threshold(*STAGE_GC_THRESHOLD)
    attach = RingBuffer.attach
    window, base = spec.feedback_window, spec.base_seq
    if name == "journaler":
        writer = JournalWriter(
            journal_dir(spec.data_dir),
            user_header=encode_user_header(window),
            policy=sync_policy(spec),
            segment_bytes=spec.journal_segment_bytes,
            first_seq=base + 1,
        )
        return JournalerStage(attach(spec.ring_in), writer, base, spec.capacity)
    if name == "snapshotter":
        return SnapshotterAgent(
            attach(spec.ring_in),
            spec.data_dir,
            window,
            spec.snapshot_every,
            base_seq=base,
            state=state,
            nice=SNAPSHOTTER_NICE if tune_gc else 0,
        )
    outs = [attach(spec.ring_out(k)) for k in range(spec.shards)]
    if name == "core":
        # The supervisor merges a "risk" part and one "matcher0" part: the core writes both.
        paths = [spec.report_path(part) for part in ("risk", "matcher0")]
        return CoreAgent(
            attach(spec.ring_in),
            attach(spec.ring_risk),
            outs[0],
            window,
            base,
            spec.max_batch,
            exchange=None if state is None else exchange_part(state, window, base),
            report_paths=[p for p in paths if p is not None],
        )
    if name == "risk":
        return RiskAgent(
            attach(spec.ring_in),
            attach(spec.ring_risk),
            outs,
            window,
            base,
            spec.max_batch,
            restored=None if state is None else risk_part(state, window, base),
            report_path=spec.report_path(name),
        )
    if name == "publisher":
        routed_kinds = EXECUTION_REPORTS
        if spec.gateway and router is None:
            # reports (and admin results, for the operator's session) go to the gateway
            router = ReportRouter(ExecRingWriter(attach(spec.ring_exec)))
            routed_kinds = ROUTED_EVENTS
        return PublisherAgent(
            attach(spec.ring_risk),
            outs,
            router=router,
            routed_kinds=routed_kinds,
            summary_path=spec.summary_path,
            events_path=spec.events_path,
            output_digest=spec.output_digest,
            measure_latency=spec.measure_latency,
            max_batch=spec.max_batch,
            base_seq=base,
        )
    if name.startswith("matcher"):
        shard = int(name.removeprefix("matcher"))
        books = None if state is None else matcher_part(state, window, base, shard, spec.shards)
        return MatcherAgent(
            shard,
            attach(spec.ring_risk),
            outs[shard],
            attach(spec.ring_in),
            spec.max_batch,
            base_seq=base,
            matcher=books,
            window=window,
            report_path=spec.report_path(name),
        )
    raise ValueError(f"unknown stage {name!r}; stages are {spec.stage_names()}")


def stage_factory(spec: TopologySpec, name: str, state: bytes | None = None) -> partial[Stage]:
    """A picklable factory of stage ``name`` for ``disruptor.AgentProcess``; ``state`` (bytes)
    is only pickled into the stages that restore from it."""
    state = state if _restores(name) else None
    return partial(build_stage, spec, name, tune_gc=True, state=state)


def _restores(name: str) -> bool:
    """Whether stage ``name`` holds exchange state (and so restores it on a restart)."""
    return name in ("risk", "snapshotter", "core") or name.startswith("matcher")


def published_seq_no(spec: TopologySpec, ring_risk: RingBuffer) -> int:
    """seq_no through which the publisher has published everything."""
    return spec.base_seq + ring_risk.consumer_sequence(spec.shards).get() + 1


class InProcessRunner:
    """Every stage in this thread, polled in turn: the same objects as the process runner, no
    waiting (a poll never blocks), fully deterministic scheduling. For tests."""

    def __init__(
        self, spec: TopologySpec, router: ExecRouter | None = None, state: bytes | None = None
    ) -> None:
        self.spec = spec
        self.rings = create_rings(spec)
        self.stages: dict[str, Stage] = {}
        try:
            for name in spec.stage_names():
                self.stages[name] = build_stage(spec, name, router, state=state)
            for stage in self.stages.values():
                stage.on_start()
        except BaseException:
            self.rings.close()
            raise
        self.injector = Injector(self.rings.ring_in, spec.base_seq)

    @property
    def publisher(self) -> PublisherAgent:
        stage = self.stages["publisher"]
        assert isinstance(stage, PublisherAgent)
        return stage

    def pump(self) -> int:
        """Poll every stage, upstream first, until none has work; returns the work done."""
        total = 0
        while True:
            done = sum(self.stages[n].poll() for n in reversed(self.spec.stage_names()))
            if not done:
                return total
            total += done

    def publish(self, records: np.ndarray[Any, np.dtype[np.uint8]]) -> None:
        """Inject every record, pumping the stages whenever ring[in] is full."""
        done = 0
        while done < len(records):
            done += self.injector.try_publish(records[done:])
            self.pump()

    def published_seq_no(self) -> int:
        return published_seq_no(self.spec, self.rings.ring_risk)

    def close(self) -> None:
        for stage in self.stages.values():
            stage.on_close()
        self.rings.close()


@contextmanager
def in_process(
    spec: TopologySpec, router: ExecRouter | None = None, state: bytes | None = None
) -> Iterator[InProcessRunner]:
    runner = InProcessRunner(spec, router, state)
    try:
        yield runner
    finally:
        runner.close()
