"""The risk stage adapter: durable commands -> ``RiskStage`` -> ring[risk], fill feedback in.

Contract (the wiring of ``engine.domain.exchange.Exchange``, split across processes):

* A consumer of ring[in] behind the stages ``ring_in_input.after`` lists (the journaler): it
  only ever reads durable commands, and checks it per batch (else AssertionError: fail fast).
* Sole producer of ring[risk]: every command gets one slot at the same sequence (layout in
  ``engine.stages.slots``): rejects, wallet/limits admin and session notes carry the risk
  stage's one event and target no matcher; SetSelfTradePrevention carries its event and
  targets every matcher; every other accepted command targets the shard of its symbol
  (NewOrder with its cap).
* A consumer of every ring[out_k]: drains them on every poll into bounded local buffers
  (bounded: matchers run at most one ring[risk] capacity ahead), so matchers never stall on it.

The window rule. Before handling command N it has applied the matcher events of exactly the
commands <= N - W, in seq order. The watermark of matcher k is its consumer sequence on
ring[risk] (a matcher publishes a command's events before advancing it), so after reading
wm = min over matchers and *then* draining the out rings, every event of commands <= wm is in
hand; those are merged across shards by seq into ``_ready``. A poll handles commands only up to
seq_no wm + W, publishes them, and returns: the next watermark can only come from matchers
working on what was just published (no deadlock), and ``wait`` parks on ring[risk], whose
consumers (the matchers, the publisher) signal it. Events with seq > N - W that were already
read stay buffered. Outputs depend on W only, never on shards, ring sizes or batch sizes.

Restart (``restored``, see ``engine.stages.state_parts``): the stage starts from the recovered
``RiskStage`` at ``base_seq`` with the recovered pending feedback already in ``_ready``; those
events (seq_no <= base_seq) are applied by the same rule as live ones, before the first command
N with N - W >= their seq_no, exactly when ``Exchange`` would. With ``report_path`` the stage
writes, when it closes, its part of :func:`engine.stages.state_parts.live_state` (after one last
drain of the out rings): the supervisor merges it with the matchers' parts after a clean stop.
"""

from __future__ import annotations

import struct
from collections import deque
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from disruptor import AlertException, RingBuffer
from engine.command_reader import CommandReader
from engine.domain.feedback import FEEDBACK_EVENTS
from engine.domain.risk import RiskStage
from engine.domain.rules import CURRENT_RULES
from engine.domain.types import (
    AddSymbol,
    CancelOrder,
    Command,
    Deposit,
    EndOfDay,
    Event,
    Fence,
    Halt,
    NewOrder,
    OpenAccount,
    Rejected,
    ReplaceOrder,
    Resume,
    SessionNote,
    SetRiskLimits,
    SetSelfTradePrevention,
    Settle,
    Withdraw,
)
from engine.event_codec import EventReader
from engine.event_records import EVENT_CLASSES
from engine.records import RECORD_SIZE
from engine.stages.kernel import decide_commands
from engine.stages.slots import (
    RISK_SLOT_SIZE,
    TARGET_ALL,
    TARGET_NONE,
    ShardMap,
)
from engine.stages.state_parts import RiskPart, live_state, write_atomic
from engine.stages.waiting import Halt as HaltFlag
from engine.stages.waiting import PollingStage, park
from engine.wiring import Input

_CAP = struct.Struct("<q")
_NONE_DUE = 1 << 62  # "no feedback in hand": beyond every seq_no
# (target, cap, event): what the stage decided for one command
Decision = tuple[int, int, Event | None]


class RiskAgent(PollingStage):
    """Consumer of ring[in] and of the out rings, producer of ring[risk]."""

    def __init__(
        self,
        ring_in: RingBuffer,
        ring_in_input: Input,
        ring_risk: RingBuffer,
        matcher_consumers: Sequence[int],
        outs: list[RingBuffer],
        out_consumers: Sequence[int],
        feedback_window: int,
        base_seq: int = 0,
        max_batch: int = 4096,
        *,
        restored: RiskPart | None = None,
        report_path: str | None = None,
        rules: int = CURRENT_RULES,
    ) -> None:
        if ring_risk.slot_size != RISK_SLOT_SIZE or ring_risk.capacity != ring_in.capacity:
            raise ValueError(f"ring[risk] must have {RISK_SLOT_SIZE}-byte slots, same capacity")
        self._in, self._risk_ring, self._outs = ring_in, ring_risk, outs
        self._window = feedback_window
        self._base = base_seq
        self._max_batch = max_batch
        self._in_waiter = 1 + ring_in_input.consumer
        self._in_barrier = ring_in.barrier(ring_in_input.consumer, depends_on=ring_in_input.after)
        self._in_seq = ring_in.consumer_sequence(ring_in_input.consumer)
        #: what makes a command durable (the journaler): checked per batch, fail fast
        self._durable = [ring_in.consumer_sequence(i) for i in ring_in_input.after]
        self._seqr = ring_risk.sequencer()
        self._watermarks = [ring_risk.consumer_sequence(k) for k in matcher_consumers]
        self._out_seqs = [o.consumer_sequence(c) for o, c in zip(outs, out_consumers, strict=True)]
        self._slot_bytes = memoryview(ring_risk.slots.reshape(-1))  # type: ignore[arg-type]
        self._risk = RiskStage(serial=feedback_window == 1, rules=rules)
        self._report_path = report_path
        self._shard = ShardMap(len(outs))
        self._commands = CommandReader()
        self._events = EventReader()
        self._pending: list[deque[tuple[int, Event]]] = [deque() for _ in outs]
        self._ready: deque[tuple[int, Event]] = deque()
        if restored is not None:
            if (restored.window, restored.last_seq) != (feedback_window, base_seq):
                raise ValueError(
                    f"restored risk state is W={restored.window} at seq {restored.last_seq}, "
                    f"the stage runs W={feedback_window} from base_seq {base_seq}"
                )
            if restored.risk.rules != rules:
                raise ValueError(
                    f"restored risk state runs rules {restored.risk.rules}, the stage {rules}"
                )
            self._risk = restored.risk
            self._ready.extend(restored.feedback)  # all <= base_seq: in hand, in seq order
        self._wm_seen = -2
        self._park_on_input = True
        self._space_seen = 0
        self._halt = HaltFlag()
        # Book events carry nothing the wallets need: skip decoding them (the feedback would).
        self._feedback_kinds = np.zeros(256, dtype=np.bool_)  # kind byte -> keep?
        kept = [i + 1 for i, cls in enumerate(EVENT_CLASSES) if cls in FEEDBACK_EVENTS]
        self._feedback_kinds[kept] = 1
        risk = self._risk
        self._dispatch: dict[type, Callable[[Any], Decision]] = {
            NewOrder: self._new_order,
            CancelOrder: self._cancel,
            ReplaceOrder: self._replace,
            AddSymbol: lambda c: self._symbol(c, risk.add_symbol(c)),
            Halt: lambda c: self._symbol(c, risk.set_halted(c.seq_no, c.symbol, True)),
            Resume: lambda c: self._symbol(c, risk.set_halted(c.seq_no, c.symbol, False)),
            EndOfDay: lambda c: self._symbol(c, risk.check_symbol(c.seq_no, c.symbol)),
            Deposit: lambda c: (TARGET_NONE, 0, risk.deposit(c)[0]),
            Withdraw: lambda c: (TARGET_NONE, 0, risk.withdraw(c)[0]),
            SetRiskLimits: lambda c: (TARGET_NONE, 0, risk.set_limits(c)[0]),
            SetSelfTradePrevention: lambda c: (TARGET_ALL, 0, risk.set_stp(c)[0]),
            OpenAccount: lambda c: (TARGET_NONE, 0, risk.open_account(c)[0]),
            Settle: lambda c: self._symbol(c, risk.check_settle(c)),
            Fence: self._fence,
            # a gateway session's note: its one event from here, as Exchange emits it
            SessionNote: lambda c: (TARGET_NONE, 0, risk.session_note(c)[0]),
        }
        self.durability_checks = 0

    # -- decisions (the Exchange's wiring) --------------------------------------------------

    def _new_order(self, cmd: NewOrder) -> Decision:
        cap = self._risk.new_order(cmd)
        if cap.__class__ is Rejected:
            return TARGET_NONE, 0, cap
        return self._shard(cmd.symbol), cap, None  # type: ignore[return-value]

    def _cancel(self, cmd: CancelOrder) -> Decision:
        refused = self._risk.cancel(cmd)
        if refused is not None:
            return TARGET_NONE, 0, refused
        return self._order_shard(cmd.order_id), 0, None

    def _replace(self, cmd: ReplaceOrder) -> Decision:
        refused = self._risk.replace(cmd)
        if refused is not None:
            return TARGET_NONE, 0, refused
        return self._order_shard(cmd.order_id), 0, None

    def _fence(self, cmd: Fence) -> Decision:
        self._risk.fence(cmd)  # no event, no matcher (the epoch is the risk stage's state)
        return TARGET_NONE, 0, None

    def _order_shard(self, order_id: int) -> int:
        if self._shard.shards == 1:
            return 0
        return self._shard(self._risk.orders[order_id].spec.symbol)

    def _symbol(
        self, cmd: AddSymbol | Halt | Resume | EndOfDay | Settle, refused: Rejected | None
    ) -> Decision:
        if refused is not None:
            return TARGET_NONE, 0, refused
        return self._shard(cmd.symbol), 0, None

    # -- feedback -----------------------------------------------------------------------------

    def _drain(self) -> int:
        """Read everything the matchers published; keep the feedback events, free the slots."""
        drained = 0
        kinds = self._feedback_kinds
        decode_rows = self._events.decode_rows
        for k, out in enumerate(self._outs):
            seq = self._out_seqs[k]
            lo = seq.get() + 1
            hi = out.cursor.get()
            if hi < lo:
                continue
            pending = self._pending[k]
            for start, stop in out.chunks(lo, hi):
                rows = out.slots[start:stop]
                keep = np.flatnonzero(kinds[rows[:, 0]])
                if len(keep):
                    pending.extend([(seq_no, e) for seq_no, _, e in decode_rows(rows[keep])])
            seq.set(hi)
            out.board.signal()  # the matcher may be waiting for space
            drained += hi - lo + 1
        return drained

    def _merge_upto(self, seq_no: int) -> None:
        """Move buffered events of commands <= seq_no (all in hand) to ``_ready``, seq order."""
        parts = []
        for pending in self._pending:
            if pending and pending[0][0] <= seq_no:
                part = []
                while pending and pending[0][0] <= seq_no:
                    part.append(pending.popleft())
                parts.append(part)
        if len(parts) == 1:
            self._ready.extend(parts[0])
        elif parts:
            # One command's events are all in one shard, so a stable sort on seq_no keeps them.
            self._ready.extend(sorted((e for p in parts for e in p), key=lambda e: e[0]))

    def _watermark(self) -> int:
        """seq_no through which every matcher has published its events."""
        return self._base + min(w.get() for w in self._watermarks) + 1

    # -- the loop -----------------------------------------------------------------------------

    def poll(self) -> int:
        wm = self._watermark()  # read before draining: then every event <= wm is drained
        work = self._drain()
        if wm != self._wm_seen:
            self._wm_seen = wm
            self._merge_upto(wm)
        lo = self._in_seq.get() + 1
        hi = self._in_barrier.available()
        if hi < lo:
            self._park_on_input = True
            return work
        self._park_on_input = False
        self._space_seen = self._seqr.remaining_capacity()
        limit = wm + self._window - self._base - 1  # last slot decidable with this watermark
        hi = min(hi, lo + self._max_batch - 1, limit, lo + self._space_seen - 1)
        if hi < lo:
            return work
        if any(seq.get() < hi for seq in self._durable):
            raise AssertionError(f"risk stage reached slot {hi} before the journal made it durable")
        self.durability_checks += 1
        claimed = self._seqr.next(hi - lo + 1)
        assert claimed == hi, f"ring[risk] claim {claimed} is not ring[in] slot {hi}"
        in_slots, risk_slots = self._in.slots, self._risk_ring.slots
        for start, stop in self._in.chunks(lo, hi):
            risk_slots[start:stop, :RECORD_SIZE] = in_slots[start:stop]
            self._decide(self._commands.decode_rows(in_slots[start:stop]), start)
        self._seqr.publish(hi)  # rule 1: everything decided is visible before we wait
        self._in_seq.set(hi)
        self._in.board.signal()  # the injector may wait for space
        return work + hi - lo + 1

    def _decide(self, commands: list[Command], first_index: int) -> None:
        decide_commands(self._risk, self, commands, self._slot_bytes, first_index * RISK_SLOT_SIZE)

    # The interface `engine.stages.kernel.decide_commands` calls back into, for what is rare.

    @property
    def window(self) -> int:
        return self._window

    @property
    def shards(self) -> int:
        return self._shard.shards

    def next_due(self) -> int:
        """The seq_no of the oldest feedback in hand (beyond any seq_no when none is)."""
        ready = self._ready
        return ready[0][0] if ready else _NONE_DUE

    def apply_due(self, upto: int) -> int:
        """Apply the feedback of every command <= ``upto``; returns the next one due."""
        ready = self._ready
        batch = []
        while ready and ready[0][0] <= upto:
            batch.append(ready.popleft()[1])
        self._risk.feedback.apply(batch)
        return self.next_due()

    def shard_of(self, symbol: str) -> int:
        return self._shard(symbol)

    def order_shard(self, order_id: int) -> int:
        return self._order_shard(order_id)

    def decide(self, cmd: Command) -> Decision:
        return self._dispatch[cmd.__class__](cmd)

    # -- waiting and the agent interface ------------------------------------------------------

    def _out_data(self) -> bool:
        return any(
            o.cursor.get() > s.get() for o, s in zip(self._outs, self._out_seqs, strict=True)
        )

    def _ready_input(self) -> bool:
        return self._in_barrier.available() > self._in_seq.get() or self._out_data()

    def _ready_progress(self) -> bool:
        # A poll stopped for the watermark or for space in ring[risk]: either may have moved.
        return (
            self._watermark() != self._wm_seen
            or self._seqr.remaining_capacity() != self._space_seen
            or self._out_data()
        )

    def _check_alert(self) -> None:
        self._halt.check_alert()
        if self._in.is_alerted() or self._risk_ring.is_alerted():
            raise AlertException("ring alerted")

    def wait(self) -> None:
        """Park until input, matcher progress, space or out data may let a poll do work.
        Input wakes come through ring[in] (journaler; a matcher about to block on a full out
        ring signals it too); progress and space through ring[risk]."""
        if self._park_on_input:
            park(self._in.board, self._in_waiter, self._ready_input, self._check_alert)
        else:
            park(self._risk_ring.board, 0, self._ready_progress, self._check_alert)

    def on_close(self) -> None:
        if self._report_path is not None:
            self._write_report(self._report_path)
        self._slot_bytes.release()
        for ring in (self._in, self._risk_ring, *self._outs):
            ring.close()  # our attached handles (the supervisor owns the segments)

    def halt(self) -> None:
        self._halt.halted = True  # a parked wait sees it within its timeout

    def _write_report(self, path: str) -> None:
        """Write the risk part of the live state through the last command handled. Meaningful
        after a drained stop (every matcher then has published through it); the supervisor
        checks that by comparing the last seqs of every part."""
        last = self._base + self._in_seq.get() + 1
        wm = self._watermark()
        self._drain()
        self._merge_upto(wm)
        ready = self._ready
        applied = []
        while ready and ready[0][0] <= last + 1 - self._window:  # what Exchange applied
            applied.append(ready.popleft()[1])
        self._risk.feedback.apply(applied)
        data = live_state(self._window, last, self._risk, [], list(ready))
        write_atomic(path, data)
