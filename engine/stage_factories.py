"""How each stage of the topology is built, and the in-process runner that polls them all.

Contract. :func:`build_stage` attaches to the rings of a ``engine.topology.TopologySpec`` and
builds one stage (a row of ``engine.topology.STAGES``) with its factory in :data:`FACTORIES`;
the stages in :data:`STATEFUL` restore their part of a recovered state
(``engine.stages.state_parts``). :func:`stage_factory` is the picklable form a stage process
runs first (it sets the process title, tunes the collector, then builds).
:class:`InProcessRunner` runs every stage in one thread, polled in turn: the same objects as
the process runner (``engine.supervisor``), deterministic scheduling, for tests.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from disruptor import Agent, RingBuffer
from engine.hop_board import HOPS, HopBoard, attach_if_present
from engine.journal_format import encode_user_header, journal_dir
from engine.mdfeed.publisher import MarketDataAgent
from engine.proctitle import set_title
from engine.replication.replicator import ReplicatorAgent
from engine.replication.role import ROLE
from engine.stages.auditor import AuditorAgent
from engine.stages.core import CoreAgent
from engine.stages.injector import Injector
from engine.stages.journaler import JournalerStage
from engine.stages.matcher import MatcherAgent
from engine.stages.publisher import PublisherAgent
from engine.stages.reporter import ReporterAgent
from engine.stages.risk import RiskAgent
from engine.stages.snapshotter import SnapshotterAgent
from engine.stages.state_parts import exchange_part, matcher_part, risk_part
from engine.stages.views import build_views
from engine.topology import Rings, TopologySpec, published_seq_no, stand_in, sync_policy
from engine.views.host import rebuilt_host
from engine.wiring import Plan, Wiring
from journal import JournalWriter


class Stage(Agent, Protocol):
    def poll(self) -> int: ...


#: Young-generation threshold of the stage processes. Every command allocates short-lived
#: tuples (commands, events); with the default 700 the collector runs every few commands and
#: costs about a quarter of a stage's time. Cycles are rare here, so collect far less often.
STAGE_GC_THRESHOLD = (20_000, 20, 100)

#: Niceness of the snapshotter, reporter and views processes: they get what core time the
#: pipeline leaves.
SNAPSHOTTER_NICE = 10


@dataclass(frozen=True)
class Context:
    """What a stage factory gets: the spec, its plan, the wiring, the recovered state."""

    spec: TopologySpec
    plan: Plan
    wiring: Wiring
    state: bytes | None
    tune: bool

    def attach(self, ring: str) -> RingBuffer:
        return RingBuffer.attach(self.spec.ring_name(ring))

    def hops(self) -> HopBoard | None:
        """The host's hop latencies (``engine.hop_board``), where its rings' owner made them."""
        return attach_if_present(self.spec.ring_name(HOPS))


def _journaler(c: Context) -> Stage:
    spec = c.spec
    writer = JournalWriter(
        journal_dir(spec.data_dir),
        user_header=encode_user_header(spec.feedback_window, spec.rules),
        policy=sync_policy(spec),
        segment_bytes=spec.journal_segment_bytes,
        first_seq=spec.base_seq + 1,
    )
    return JournalerStage(
        c.attach("in"), writer, c.plan.input("in").consumer, spec.base_seq, hops=c.hops()
    )


def _role(spec: TopologySpec) -> str | None:
    """The role word's name on a standby host (``engine.replication.role``), else None."""
    return spec.ring_name(ROLE) if spec.standby else None


def _replicator(c: Context) -> Stage:
    spec = c.spec
    assert spec.replication is not None, "a replicator row runs only with replication settings"
    reads = [i.consumer for i in c.plan.inputs if i.ring == "in"]  # none: async
    return ReplicatorAgent(
        c.attach("in"),
        reads[0] if reads else None,
        c.wiring.consumer("in", "journaler"),
        spec.replication,
        spec.data_dir,
        encode_user_header(spec.feedback_window, spec.rules),
        base_seq=spec.base_seq,
        snapshot_every=spec.snapshot_every,
        segment_bytes=spec.journal_segment_bytes,
        role=_role(spec),
    )


def _core(c: Context) -> Stage:
    spec = c.spec
    # The supervisor merges a "risk" part and one "matcher0" part: the core writes both.
    paths = [spec.report_path(part) for part in ("risk", "matcher0")]
    exchange = None
    if c.state is not None:
        exchange = exchange_part(c.state, spec.feedback_window, spec.base_seq)
    return CoreAgent(
        c.attach("in"),
        c.plan.input("in"),
        c.attach("events"),
        c.wiring.gating("events"),
        spec.feedback_window,
        spec.base_seq,
        spec.max_batch,
        exchange=exchange,
        report_paths=[p for p in paths if p is not None],
        rules=spec.rules,
        hops=c.hops(),
        in_wakes=c.wiring.wakes("in", c.plan.name),
    )


def _risk(c: Context) -> Stage:
    spec = c.spec
    restored = None
    if c.state is not None:
        restored = risk_part(c.state, spec.feedback_window, spec.base_seq)
    outs = c.plan.inputs_of("out")
    return RiskAgent(
        c.attach("in"),
        c.plan.input("in"),
        c.attach("risk"),
        [c.wiring.consumer("risk", f"matcher{k}") for k in range(spec.shards)],
        [c.attach(i.ring) for i in outs],
        [i.consumer for i in outs],
        spec.feedback_window,
        spec.base_seq,
        spec.max_batch,
        restored=restored,
        report_path=spec.report_path(c.plan.name),
        rules=spec.rules,
    )


def _matcher(c: Context) -> Stage:
    spec, shard = c.spec, c.plan.shard
    books = None
    if c.state is not None:
        books = matcher_part(c.state, spec.feedback_window, spec.base_seq, shard, spec.shards)
    return MatcherAgent(
        shard,
        c.attach("risk"),
        c.plan.input("risk").consumer,
        c.attach(f"out{shard}"),
        c.wiring.gating(f"out{shard}"),
        c.attach("in"),
        spec.max_batch,
        base_seq=spec.base_seq,
        matcher=books,
        window=spec.feedback_window,
        report_path=spec.report_path(c.plan.name),
        rules=spec.rules,
    )


def _publisher(c: Context) -> Stage:
    outs = c.plan.inputs_of("out")
    return PublisherAgent(
        c.attach("risk"),
        c.plan.input("risk"),
        [c.attach(i.ring) for i in outs],
        [i.consumer for i in outs],
        c.attach("events"),
        c.wiring.gating("events"),
        max_batch=c.spec.max_batch,
        hops=c.hops(),
    )


def _auditor(c: Context) -> Stage:
    spec = c.spec
    return AuditorAgent(
        c.attach("events"),
        c.plan.input("events").consumer,
        summary_path=spec.summary_path,
        events_path=spec.events_path,
        output_digest=spec.output_digest,
        measure_latency=spec.measure_latency,
        base_seq=spec.base_seq,
    )


def _snapshotter(c: Context) -> Stage:
    spec = c.spec
    return SnapshotterAgent(
        c.attach("in"),
        c.wiring.consumer("in", "journaler"),
        spec.data_dir,
        spec.feedback_window,
        spec.snapshot_every,
        base_seq=spec.base_seq,
        state=c.state,
        nice=SNAPSHOTTER_NICE if c.tune else 0,
        idle=c.tune,  # the idle class, as the reporter: docs/performance.md
        rules=spec.rules,
    )


def _marketdata(c: Context) -> Stage:
    spec = c.spec
    assert spec.market_data is not None, "a marketdata row runs only with feed settings"
    views = None
    if spec.http is not None:  # the feed's stage keeps the views (engine.views.host)
        rings = {name: c.attach(name) for name in c.wiring.rings}
        try:
            views = rebuilt_host(spec, rings, c.state, in_process=not c.tune)
        except BaseException:
            for ring in rings.values():
                ring.close()
            raise
    return MarketDataAgent(
        c.attach("events"),
        c.plan.input("events").consumer,
        spec.market_data,
        data_dir=spec.data_dir,
        window=spec.feedback_window,
        rules=spec.rules,
        base_seq=spec.base_seq,
        nice=spec.market_data.nice if c.tune else 0,
        views=views,
        role=_role(spec),
    )


def _reporter(c: Context) -> Stage:
    spec = c.spec
    assert spec.reporter is not None, "a reporter row runs only with a reporter config"
    return ReporterAgent(
        c.attach("in"),
        c.wiring.consumer("in", "journaler"),
        spec.data_dir,
        spec.reporter,
        base_seq=spec.base_seq,
        nice=SNAPSHOTTER_NICE if c.tune else 0,
        idle=c.tune,  # the idle class: docs/performance.md, "The consumers"
    )


def _views(c: Context) -> Stage:
    consumer = c.plan.input("events").consumer
    nice = SNAPSHOTTER_NICE if c.tune else 0
    return build_views(c.spec, consumer, c.state, in_process=not c.tune, nice=nice)


#: Stage kind (a row of STAGES) -> its factory.
FACTORIES: dict[str, Callable[[Context], Stage]] = {
    "journaler": _journaler,
    "replicator": _replicator,
    "core": _core,
    "risk": _risk,
    "matcher*": _matcher,
    "publisher": _publisher,
    "auditor": _auditor,
    "snapshotter": _snapshotter,
    "marketdata": _marketdata,
    "reporter": _reporter,
    "views": _views,
}
#: The stages that hold exchange state (and so restore it on a restart).
STATEFUL: frozenset[str] = frozenset({"core", "risk", "matcher*", "snapshotter", "views"})


def build_stage(
    spec: TopologySpec, name: str, *, tune_gc: bool = False, state: bytes | None = None
) -> Stage:
    """Attach to the rings of ``spec`` and build stage ``name`` (runs in the stage's process;
    ``tune_gc`` sets that process's collector thresholds and niceness, so only a stage process
    uses it). ``state`` is the recovered ``Exchange.snapshot()`` at ``spec.base_seq`` (None: a
    fresh start, which requires base_seq 0)."""
    wiring = spec.wiring()
    plan = wiring.stages.get(name)
    if plan is None or not plan.process:
        raise ValueError(f"unknown stage {name!r}; stages are {spec.stage_names()}")
    if state is None and spec.base_seq != 0 and plan.kind in STATEFUL:
        raise ValueError(f"stage {name} cannot start at base_seq {spec.base_seq} without state")
    if tune_gc:
        gc.set_threshold(*STAGE_GC_THRESHOLD)
    return FACTORIES[plan.kind](Context(spec, plan, wiring, state, tune_gc))


def stage_factory(spec: TopologySpec, name: str, state: bytes | None = None) -> Callable[[], Stage]:
    """A picklable factory of stage ``name`` for ``disruptor.AgentProcess``; ``state`` (bytes)
    is only pickled into the stages that restore from it."""
    kind = spec.wiring().stages[name].kind
    return _Factory(spec, name, state if kind in STATEFUL else None)


@dataclass(frozen=True)
class _Factory:
    spec: TopologySpec
    name: str
    state: bytes | None

    def __call__(self) -> Stage:
        set_title(self.name)  # runs first in the stage's own process: ps names the stage
        return build_stage(self.spec, self.name, tune_gc=True, state=self.state)


class InProcessRunner:
    """Every stage in this thread, polled in turn: the same objects as the process runner, no
    waiting (a poll never blocks), fully deterministic scheduling. For tests."""

    def __init__(self, spec: TopologySpec, state: bytes | None = None) -> None:
        self.spec = spec
        self.rings = Rings(spec)
        self.stages: dict[str, Stage] = {}
        try:
            for name in spec.stage_names():
                self.stages[name] = build_stage(spec, name, state=state)
            for stage in self.stages.values():
                stage.on_start()
        except BaseException:
            self.rings.close()
            raise
        self.injector = Injector(self.rings["in"], spec.base_seq)

    @property
    def auditor(self) -> AuditorAgent:
        stage = self.stages["auditor"]
        assert isinstance(stage, AuditorAgent)
        return stage

    def pump(self) -> int:
        """Poll every stage, upstream first, until none has work; returns the work done."""
        total = 0
        names = list(reversed(self.spec.stage_names()))
        away = {p.name for p in self.rings.wiring.stages.values() if not p.process}
        while True:
            stand_in(self.rings, away)
            done = sum(self.stages[n].poll() for n in names)
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
        return published_seq_no(self.spec, self.rings["events"])

    def close(self) -> None:
        for stage in self.stages.values():
            stage.on_close()
        self.rings.close()


@contextmanager
def in_process(spec: TopologySpec, state: bytes | None = None) -> Iterator[InProcessRunner]:
    runner = InProcessRunner(spec, state)
    try:
        yield runner
    finally:
        runner.close()
