"""The pipeline described as data, and resolved into each stage's place on each ring.

The Disruptor's DSL reads ``handleEventsWith(journaler, replicator).then(risk)``; here the same
graph is a table of :class:`StageDef` rows (the table itself is ``engine.topology.STAGES``):
which rings a stage consumes (:class:`Read`, with the stages it must stay behind on that ring:
its barrier; a name ending in ``?`` counts only where that stage runs), which rings it
produces, and under which configurations it exists. ``*`` in a
name stands for every matcher shard: ``matcher*`` is one stage per shard, ``out*`` one ring
per shard, and matcher k writes ``out{k}``.

:func:`resolve` turns the table and a configuration into a :class:`Wiring`: every ring with its
consumer count, and per stage a :class:`Plan` naming, for each ring it reads, its consumer
index and the indices its barrier depends on, in the order of the table. Adding a consumer is
adding a row: indices, barriers, the producers' gating and the rings' sizes follow from it.
A ring may reserve consumer slots for counters its producer publishes (the merged event
stream's command watermark): they come first and gate nobody.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

SHARDS = "*"
#: After a name in ``Read.after``: wait for that stage only where it runs (the replicator).
OPTIONAL = "?"


@dataclass(frozen=True)
class Read:
    """A stage consumes ``ring``, behind the stages ``after`` (their sequences on that ring)."""

    ring: str
    after: tuple[str, ...] = ()


@dataclass(frozen=True)
class RingDef:
    name: str
    slot_size: int
    #: counter slots the producer publishes (e.g. a watermark), consumer indices 0..n-1
    reserved: tuple[str, ...] = ()


@dataclass(frozen=True)
class StageDef:
    name: str
    reads: tuple[Read, ...] = ()
    writes: tuple[str, ...] = ()
    #: the configurations in which the stage exists (spec -> bool)
    when: Callable[[Any], bool] = field(default=lambda spec: True, compare=False)
    #: runs as an OS process of the host (False: a process the host starts on its own terms,
    #: such as the gateway, which still needs its place on the rings it reads)
    process: bool = True


@dataclass(frozen=True)
class Input:
    """A stage's place on one ring it reads."""

    ring: str
    consumer: int
    after: tuple[int, ...]


@dataclass(frozen=True)
class Plan:
    """One stage of a resolved wiring (picklable: it crosses ``spawn``)."""

    name: str
    kind: str  # the table row: "matcher*" for every shard
    shard: int
    inputs: tuple[Input, ...]
    outputs: tuple[str, ...]
    process: bool

    def input(self, ring: str) -> Input:
        for item in self.inputs:
            if item.ring == ring:
                return item
        raise KeyError(f"stage {self.name} does not read ring {ring}")

    def inputs_of(self, prefix: str) -> list[Input]:
        """The inputs on every ring named ``prefix<k>`` (one per shard), by shard."""
        return [i for i in self.inputs if i.ring.rstrip("0123456789") == prefix]


@dataclass(frozen=True)
class RingPlan:
    name: str
    slot_size: int
    consumers: int
    reserved: dict[str, int]
    #: the consumer indices of the stages reading the ring (what its producer gates on)
    readers: dict[str, int]


@dataclass(frozen=True)
class Wiring:
    rings: dict[str, RingPlan]
    stages: dict[str, Plan]

    def consumer(self, ring: str, stage: str) -> int:
        return self.rings[ring].readers[stage]

    def gating(self, ring: str) -> list[int]:
        """The sequences the producer of ``ring`` must not lap: every reader's."""
        return sorted(self.rings[ring].readers.values())

    def wakes(self, ring: str, stage: str | None) -> list[int]:
        """The waiters of ``ring`` (0: its producer, 1 + c: consumer c) whose wait the
        producer's publish (``stage`` None) or reader ``stage``'s progress can end: behind
        the cursor, the readers that wait for nothing else; behind a reader, the readers
        that wait for it, and the producer (every reader gates it). What a party of the
        ring posts when it moves (``disruptor.wait.WakeBoard.aim``); a stage parked on the
        ring for a condition on another ring is posted by that ring's parties, not these."""
        inputs = [i for plan in self.stages.values() for i in plan.inputs if i.ring == ring]
        if stage is None:
            return sorted(1 + i.consumer for i in inputs if not i.after)
        own = self.consumer(ring, stage)
        return [0, *sorted(1 + i.consumer for i in inputs if own in i.after)]


def _expand(name: str, shards: int) -> list[tuple[str, int]]:
    if SHARDS not in name:
        return [(name, 0)]
    return [(name.replace(SHARDS, str(k)), k) for k in range(shards)]


def _names(pattern: str, shards: int, shard: int) -> list[str]:
    """A ring or stage pattern as the names it stands for, seen from stage ``shard``: a
    stage of every shard reading/writing ``x*`` means its own ``x<shard>`` (the caller passes
    -1 for stages that are not per shard: they mean every shard)."""
    if SHARDS not in pattern:
        return [pattern]
    if shard >= 0:
        return [pattern.replace(SHARDS, str(shard))]
    return [pattern.replace(SHARDS, str(k)) for k in range(shards)]


def resolve(rings: list[RingDef], stages: list[StageDef], spec: Any, shards: int) -> Wiring:
    """The wiring of the stages that exist under ``spec`` (``shards`` matcher shards)."""
    ring_defs: dict[str, RingDef] = {}
    for ring_def in rings:
        for name, _ in _expand(ring_def.name, shards):
            ring_defs[name] = RingDef(name, ring_def.slot_size, ring_def.reserved)
    readers: dict[str, dict[str, int]] = {name: {} for name in ring_defs}
    live = [s for s in stages if s.when(spec)]
    expanded = [(s, name, k) for s in live for name, k in _expand(s.name, shards)]
    # Consumer indices in table order, after each ring's reserved slots.
    for stage, name, k in expanded:
        own = k if SHARDS in stage.name else -1
        for read in stage.reads:
            for ring in _names(read.ring, shards, own):
                if ring not in ring_defs:
                    raise ValueError(f"stage {name} reads unknown ring {ring}")
                table = readers[ring]
                table[name] = len(ring_defs[ring].reserved) + len(table)
    plans: dict[str, Plan] = {}
    for stage, name, k in expanded:
        own = k if SHARDS in stage.name else -1
        inputs = []
        for read in stage.reads:
            for ring in _names(read.ring, shards, own):
                after = []
                for dep in read.after:
                    optional = dep.endswith(OPTIONAL)
                    for dep_name in _names(dep.removesuffix(OPTIONAL), shards, -1):
                        if dep_name not in readers[ring] and optional:
                            continue  # a stage this configuration does not run
                        if dep_name not in readers[ring]:
                            raise ValueError(f"{name} waits for {dep_name}, not a reader of {ring}")
                        after.append(readers[ring][dep_name])
                inputs.append(Input(ring, readers[ring][name], tuple(after)))
        outputs = tuple(r for w in stage.writes for r in _names(w, shards, own))
        plans[name] = Plan(name, stage.name, k, tuple(inputs), outputs, stage.process)
    producers = [r for p in plans.values() for r in p.outputs]
    for ring in producers:
        if producers.count(ring) != 1:
            raise ValueError(f"ring {ring} must have exactly one producer stage")
    ring_plans = {
        name: RingPlan(
            name,
            d.slot_size,
            len(d.reserved) + len(readers[name]),
            {r: i for i, r in enumerate(d.reserved)},
            dict(readers[name]),
        )
        for name, d in ring_defs.items()
        if readers[name] or name in producers
    }
    return Wiring(ring_plans, plans)
