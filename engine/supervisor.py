"""The supervisor: owns every ring, runs each stage as an OS process, fails fast, drains.

Contract.

* ``start()`` first sweeps what crashed hosts left in /dev/shm: every prefix under
  :data:`SWEEP_ROOT` whose owner is gone (``disruptor.sweep_abandoned``; :attr:`swept` lists the
  names removed, for the operator). Then it claims its prefix (``disruptor.claim_prefix``; a
  live owner of it raises ``disruptor.PrefixInUse`` naming its pid, and nothing of that owner's
  is touched, by this start or by ``close()``), removes anything still under the prefix,
  creates every ring (this process owns every segment and semaphore), starts each stage as an
  ``AgentProcess`` (spawned; pinned when ``spec.pinning`` names its core; ``gc.freeze()`` after
  its start-up) and a watchdog thread.
* Every stage and the gateway die with the supervisor, however it dies (SIGKILL included):
  each child's first act is ``disruptor.exit_with_parent``, so no stage goes on acknowledging
  orders unsupervised, the journal's lock is freed and the next host can start (and sweep).
  Linux signals a child when the *thread* that started it exits: drive ``start()`` and
  :meth:`start_gateway` from the thread that lives as long as the host (``sequex run``: its
  main thread). Stages are never restarted one by one (fail fast), so no other thread does.
* Fail fast: when any stage exits while the host is running, the watchdog records it
  (:attr:`failure`), alerts every ring (every blocked wait, including an injector blocked on a
  full ring[in] in this process, raises ``AlertException``) and sets :attr:`stopped`. ``close()``
  then stops the others; :meth:`raise_if_failed` raises ``AgentCrashed`` naming the stage.
* ``drain(timeout)`` waits until the events of every command injected so far are in
  ring[events] (its watermark) and every running reader of ring[events] has taken them;
  ``close()`` after it is the clean stop: alert, join (``disruptor.agent.STOP_SIGNAL``, then
  SIGKILL after a grace period), unlink every ring, then release the claim (the marker
  last). Nothing is left in /dev/shm under the prefix either way.
* Shutdown snapshot: on the alert the snapshotter catches up with the durable journal and
  writes a last snapshot; ``close(snapshot_grace=...)`` is how long it may take (default: the
  grace of the other stages), then it is killed. Cutting it short is safe: a snapshot is
  written to a temp file, fsynced and renamed (``journal.SnapshotStore``), so it exists whole
  or not at all, and the next start uses the previous snapshot and replays a longer tail;
  :meth:`shutdown_snapshot_cut_short` tells whether it happened. While it runs (the journaler
  has stopped) the supervisor holds the journal writer's lock, so ``sequex replay --snapshot``
  is refused as while the host ran.
* Gateway: with ``spec.gateway``, :meth:`start_gateway` (after any setup was injected through
  :meth:`injector` and drained, so ring[in] keeps one writer at a time) starts the gateway
  process, which becomes the single writer of ring[in] and a reader of ring[events] (its row
  in ``engine.topology.STAGES``); the watchdog watches it like a stage. :meth:`stop_gateway`
  stops it first on the way down, so nothing enters a draining host. While the gateway is not
  running, the watchdog stands in for it on ring[events] (``engine.topology.stand_in``), so
  its place never holds the producer back.
* Restart: ``state`` (``engine.start_point.prepare_start``) is handed to the stage factories that
  restore from it; ``spec.base_seq`` says which seq it covers.
* The live state at a clean stop: with ``spec.report_dir`` set, the risk stage and every matcher
  (in a fused topology: the core, as the risk part and the one matcher part) write their parts
  when they close; after a clean ``close()`` (no failure), :meth:`live_state`
  merges them (``engine.stages.state_parts.merge_parts``) into ``(last_seq, state bytes)``: the
  host's in-memory state, for comparison with an offline rebuild of its journal.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Mapping
from multiprocessing.connection import wait as wait_for_exits
from pathlib import Path
from types import TracebackType

from disruptor import (
    AgentCrashed,
    AgentProcess,
    ManagedProcess,
    PrefixClaim,
    claim_prefix,
    cleanup_stale,
    list_names,
    sweep_abandoned,
)
from engine.config import HostConfig
from engine.gateway.process import GatewayProcess
from engine.journal_format import journal_dir
from engine.stage_factories import stage_factory
from engine.stages.injector import Injector
from engine.stages.state_parts import merge_parts
from engine.topology import (
    Rings,
    TopologySpec,
    events_read,
    published_seq_no,
    stand_in,
)
from journal import JournalError, lock_directory

#: How often the watchdog moves the sequences of readers that are away (``stand_in``).
STAND_IN_S = 0.01
#: The longest the watchdog sleeps on the processes' sentinels when no reader is away.
WATCH_S = 0.1

#: The stage name of the snapshotter (``TopologySpec.stage_names``).
SNAPSHOTTER = "snapshotter"
JOURNALER = "journaler"
#: Where hosts' prefixes live: ``start()`` sweeps the abandoned ones under it.
SWEEP_ROOT = "sequex-"


class Supervisor:
    """One host: rings + stage processes + watchdog."""

    def __init__(
        self, spec: TopologySpec, *, start_method: str = "spawn", state: bytes | None = None
    ) -> None:
        self.spec = spec
        self._state = state
        self._start_method = start_method
        self.rings: Rings | None = None
        self.processes: list[ManagedProcess] = []
        self.gateway: GatewayProcess | None = None
        self.failure: tuple[str, int | None] | None = None
        #: names ``start()`` removed from /dev/shm: what crashed hosts had left there
        self.swept: list[str] = []
        self._claim: PrefixClaim | None = None
        self.stopped = threading.Event()
        self._closing = False
        self._stopping_gateway = False
        self._watchdog: threading.Thread | None = None
        #: set by cut_snapshot_grace(): stop waiting for the shutdown snapshot. A plain flag, not
        #: a threading.Event: a signal handler sets it, and Event.set() takes a lock that the
        #: interrupted thread may hold (tools.stop_request)
        self._cut = False
        #: readers not running now (the gateway before and after it runs): the watchdog
        #: moves their sequences along (engine.topology.stand_in); the lock orders hand-overs
        self._away = {p.name for p in spec.wiring().stages.values() if not p.process}
        self._away_lock = threading.Lock()

    # -- lifecycle -----------------------------------------------------------------------------

    def start(self) -> Supervisor:
        self.swept = sweep_abandoned(SWEEP_ROOT)
        self._claim = claim_prefix(self.spec.prefix)
        # unmarked leftovers of our own prefix (older hosts, or a prefix outside SWEEP_ROOT)
        self.swept += cleanup_stale(self.spec.prefix)
        for part in self._part_paths():
            Path(part).unlink(missing_ok=True)  # a previous run's parts must never be merged
        # the stages write there (journal, reports.db, views.state) and start in any order
        Path(self.spec.data_dir).mkdir(parents=True, exist_ok=True)
        self.rings = Rings(self.spec)
        try:
            for name in self.spec.stage_names():
                proc = AgentProcess(
                    stage_factory(self.spec, name, self._state),
                    name=name,
                    cpu=self.spec.pinning.get(name),
                    start_method=self._start_method,
                )
                proc.start()
                self.processes.append(proc)
        except BaseException:
            self.close()
            raise
        self._watchdog = threading.Thread(target=self._watch, name="watchdog", daemon=True)
        self._watchdog.start()
        return self

    def _watch(self) -> None:
        while not self._closing:
            with self._away_lock:
                away = bool(self._away)
                if away and self.rings is not None:
                    stand_in(self.rings, self._away)
            watched = []
            for proc in list(self.processes):
                if proc is self.gateway and self._stopping_gateway:
                    continue  # stopped on purpose, on the way down
                if not proc.is_alive() and not self._closing:
                    self.failure = (proc.name, proc.exitcode)
                    if self.rings is not None:
                        self.rings.alert()
                    self.stopped.set()
                    return
                watched.append(proc.sentinel)
            if away or not watched:
                time.sleep(STAND_IN_S)  # a reader is away: its sequence must follow the cursor
            else:
                # a process's exit wakes us at once (no polling); the timeout only bounds
                # noticing close() and a process started meanwhile
                wait_for_exits(watched, timeout=WATCH_S)

    def start_gateway(
        self,
        config: HostConfig,
        owners: Mapping[str, str] | None = None,
        *,
        journaled_seq: int | None = None,
    ) -> GatewayProcess:
        """Start the gateway: from now on it alone writes ring[in] (no injector after this).
        ``owners``: account -> firm of the recovered state (accounts opened at run time);
        ``journaled_seq``: the journal's last seq, when commands entered ring[in] since the
        start (a promoted standby's); the gateway's stores catch up through it. A gateway
        :meth:`park_gateway` started is told to serve instead of started anew."""
        assert self.rings is not None and self.spec.gateway, "start() a spec with a gateway"
        parked = self.gateway
        with self._away_lock:
            self._away.discard("gateway")  # from here on the gateway moves its own sequence
        if parked is not None:
            seq = self.spec.base_seq if journaled_seq is None else journaled_seq
            parked.unpark(seq, owners or {})
            return parked
        gateway = self._gateway_process(config, owners, journaled_seq, parked=False)
        gateway.start()
        self.gateway = gateway
        self.processes.append(gateway)
        return gateway

    def park_gateway(self, config: HostConfig) -> GatewayProcess:
        """Spawn the gateway now, to serve later (:meth:`start_gateway`): a standby's, so
        that promotion does not wait for a new interpreter. Until then it reads and writes
        no ring; the watchdog stands in for it and watches it like a stage."""
        assert self.rings is not None and self.spec.gateway, "start() a spec with a gateway"
        assert self.gateway is None, "one gateway per host"
        gateway = self._gateway_process(config, None, None, parked=True)
        gateway.start()
        self.gateway = gateway
        self.processes.append(gateway)
        return gateway

    def _gateway_process(
        self,
        config: HostConfig,
        owners: Mapping[str, str] | None,
        journaled_seq: int | None,
        *,
        parked: bool,
    ) -> GatewayProcess:
        return GatewayProcess(
            config,
            self.spec.ring_name("in"),
            self.spec.ring_name("events"),
            self.spec.wiring().consumer("events", "gateway"),
            self.spec.base_seq,
            in_wakes=self.spec.wiring().wakes("in", None),
            max_connections=config.gateway_max_connections,
            owners=owners,
            journaled_seq=journaled_seq,
            parked=parked,
        )

    def stop_gateway(self, timeout: float = 5.0) -> None:
        """Stop the gateway (no more input); a no-op without one."""
        if self.gateway is not None and self.gateway.is_alive():
            self._stopping_gateway = True
            self.gateway.stop(timeout)
        if self.gateway is not None and not self.gateway.is_alive():
            with self._away_lock:
                self._away.add("gateway")  # gone: stand in again, so nothing waits on it

    def promote(self) -> None:
        """A standby host serves from now on: its feed unmutes, its replicator listens
        (``engine.replication.role``); after :meth:`start_gateway`, orders first."""
        assert self.rings is not None, "start() first"
        self.rings.promote()

    def injector(self, *, stamp_ts: bool = False) -> Injector:
        """The producer of ring[in] (one per host: single writer)."""
        assert self.rings is not None, "start() first"
        assert self.gateway is None or "gateway" in self._away, (
            "the gateway is the writer of ring[in] once started"
        )
        return Injector(self.rings["in"], self.spec.base_seq, stamp_ts=stamp_ts)

    def published_seq_no(self) -> int:
        assert self.rings is not None, "start() first"
        return published_seq_no(self.spec, self.rings["events"])

    def injected_seq_no(self) -> int:
        assert self.rings is not None, "start() first"
        return self.spec.base_seq + self.rings["in"].cursor.get() + 1

    def drain(self, timeout: float = 30.0, *, background: bool = True) -> bool:
        """Wait until the events of every injected command are in ring[events] and every
        running reader has taken them (``background=False``: every reader on the order path,
        not the market-data feed and the views, which may still be catching up); False on
        timeout or failure."""
        assert self.rings is not None, "start() first"
        target = self.injected_seq_no()
        deadline = time.monotonic() + timeout
        events = self.rings["events"]
        while self.published_seq_no() < target or not events_read(
            self.spec, events, background=background
        ):
            if self.failure is not None or time.monotonic() > deadline:
                return False
            with self._away_lock:
                stand_in(self.rings, self._away)
            time.sleep(0.002)
        return True

    def raise_if_failed(self) -> None:
        if self.failure is not None:
            raise AgentCrashed(*self.failure)

    def close(self, grace: float = 5.0, *, snapshot_grace: float | None = None) -> None:
        """Stop every stage and unlink every ring.

        From the alert, each stage has ``grace`` seconds to stop by itself, then gets STOP_SIGNAL
        and, ``grace`` later, SIGKILL. The snapshotter has ``snapshot_grace`` seconds (None:
        ``grace``) to finish its shutdown snapshot, then SIGKILL at once: STOP_SIGNAL would not
        interrupt it, and killing it is safe (see the module docstring)."""
        self._closing = True
        if self._watchdog is not None:
            self._watchdog.join()
        self.stop_gateway(grace)
        if self.rings is not None:
            self.rings.alert()
        now = time.monotonic()
        deadline = now + grace
        snapshot_deadline = now + (grace if snapshot_grace is None else snapshot_grace)
        # The journaler first: once it is gone the writer's lock is free, and the host takes it
        # at once (while the other stages stop and the snapshotter finishes: the host is still
        # writing its data directory, so `sequex replay --snapshot` or a second host must stay
        # out). The snapshotter last: waiting for its snapshot must not delay stopping a stuck
        # stage.
        lock = -1
        order = sorted(self.processes, key=lambda p: (p.name != JOURNALER, p.name == SNAPSHOTTER))
        try:
            for proc in order:
                if proc.name == SNAPSHOTTER:
                    self._join_snapshotter(proc, snapshot_deadline, grace)
                    continue
                proc.join(max(0.0, deadline - time.monotonic()))
                if proc.is_alive():
                    proc.stop(timeout=grace)
                if proc.name == JOURNALER and any(
                    p.name == SNAPSHOTTER and p.is_alive() for p in self.processes
                ):
                    lock = self._hold_journal()
        finally:
            if lock >= 0:
                os.close(lock)
        if self.rings is not None:
            self.rings.close()
            self.rings = None
        if self._claim is not None:  # never unlink under a prefix someone else holds
            self._claim.release()  # also semaphores of a killed stage's waits, if any
            self._claim = None
        self.stopped.set()

    def _join_snapshotter(self, proc: ManagedProcess, deadline: float, grace: float) -> None:
        """Wait for the shutdown snapshot until ``deadline`` (or cut_snapshot_grace()), then
        SIGKILL: STOP_SIGNAL would not interrupt it, and killing it is safe (module docstring)."""
        while proc.is_alive() and not self._cut:
            left = deadline - time.monotonic()
            if left <= 0:
                break
            proc.join(min(left, 0.05))
        if proc.is_alive():
            proc.stop(timeout=0.0)  # STOP_SIGNAL, SIGKILL
            proc.join(grace)  # reap it: its exit code tells the shutdown snapshot's fate

    def cut_snapshot_grace(self) -> None:
        """Stop waiting for the shutdown snapshot now (e.g. an operator's second Ctrl-C); safe
        from a signal handler or another thread. The next start replays a longer tail."""
        self._cut = True

    def _hold_journal(self) -> int:
        """The journal writer's lock, taken once the journaler has stopped and held while the
        snapshotter finishes (a descriptor; -1 if it is taken): the host is still writing its
        data directory, so ``sequex replay --snapshot`` or a second host must stay out."""
        try:
            return lock_directory(journal_dir(self.spec.data_dir))
        except (JournalError, OSError):
            return -1

    def _part_paths(self) -> list[str]:
        names = ["risk", *(f"matcher{k}" for k in range(self.spec.shards))]
        return [p for p in map(self.spec.report_path, names) if p is not None]

    def live_state(self) -> tuple[int, bytes]:
        """(last seq, live state) merged from the stages' parts after a clean close; raises
        RuntimeError if the host failed or has no report_dir, StateMismatch if not drained."""
        if self.failure is not None or self.spec.report_dir is None or not self._closing:
            raise RuntimeError("live_state needs a clean close() of a host with a report_dir")
        risk, *matchers = [Path(p).read_bytes() for p in self._part_paths()]
        return merge_parts(risk, matchers)

    def shutdown_snapshot_cut_short(self) -> bool:
        """After ``close()``: whether the snapshotter was stopped before it finished (its
        shutdown snapshot then is not written; an earlier one and the journal still are)."""
        codes = [proc.exitcode for proc in self.processes if proc.name == SNAPSHOTTER]
        return bool(codes) and codes[0] != 0

    def exit_codes(self) -> dict[str, int | None]:
        return {proc.name: proc.exitcode for proc in self.processes}

    def leftovers(self) -> list[str]:
        return list_names(self.spec.prefix)

    def __enter__(self) -> Supervisor:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
