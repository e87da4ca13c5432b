"""A matcher shard adapter: ring[risk] -> ``Matcher`` (the symbols of shard k) -> ring[out_k].

Contract. A consumer of ring[risk] (one per shard); it reads every slot and handles those that
target it (or every shard: SetSelfTradePrevention, which it records and answers with no
event). Each event is written to ring[out_k] as one 128-byte record stamped (seq_no, sub_seq).
Events are published *before* the consumer sequence on ring[risk] advances, so that sequence is
the watermark the risk stage and the publisher rely on: "every event of every command <= it is
in ring[out_k]".

Backpressure without deadlock. The events of a batch are encoded into a local buffer and
flushed into ring[out_k] as space allows; the consumer sequence advances to the last command
whose events are all out. When ring[out_k] is full the stage signals ring[risk] and ring[in]
(the boards its consumers park on) so that they wake and drain it, and then parks on ring[out_k].

Restart: ``matcher`` is this shard's part of the recovered state (``engine.stages.state_parts``)
at ``base_seq``. With ``report_path`` the stage writes, when it closes, its part of the live
state (its books, through the last command it handled) for the supervisor to merge.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from disruptor import AlertException, RingBuffer
from engine.command_reader import CommandReader
from engine.domain.matcher import Matcher
from engine.domain.risk import RiskStage
from engine.domain.rules import CURRENT_RULES
from engine.domain.types import (
    AddSymbol,
    CancelOrder,
    EndOfDay,
    Event,
    Halt,
    NewOrder,
    ReplaceOrder,
    Resume,
    SetSelfTradePrevention,
    Settle,
)
from engine.event_records import EVENT_RECORD_SIZE
from engine.stages.outbox import EventOutbox
from engine.stages.slots import CAP_OFFSET, TARGET_ALL, TARGET_OFFSET
from engine.stages.state_parts import live_state, write_atomic
from engine.stages.waiting import Halt as HaltFlag
from engine.stages.waiting import PollingStage, park

_CAP_WORD = CAP_OFFSET // 8


class MatcherAgent(PollingStage):
    """Consumer ``shard`` of ring[risk], producer of ring[out_k]."""

    def __init__(
        self,
        shard: int,
        ring_risk: RingBuffer,
        risk_consumer: int,
        out: RingBuffer,
        out_gating: Sequence[int],
        ring_in: RingBuffer,
        max_batch: int = 4096,
        *,
        base_seq: int = 0,
        matcher: Matcher | None = None,
        window: int = 1,
        report_path: str | None = None,
        rules: int = CURRENT_RULES,
    ) -> None:
        if out.slot_size != EVENT_RECORD_SIZE:
            raise ValueError(f"ring[out] slots must be {EVENT_RECORD_SIZE} bytes")
        self.shard = shard
        self._risk_ring, self._out, self._in = ring_risk, out, ring_in
        self._max_batch = max_batch
        self._risk_waiter = 1 + risk_consumer
        self._barrier = ring_risk.barrier(risk_consumer)
        self._sequence = ring_risk.consumer_sequence(risk_consumer)
        self._signal_risk = self._barrier.wait_strategy.signal_all_when_blocking
        if matcher is not None and matcher.rules != rules:
            raise ValueError(f"restored matcher runs rules {matcher.rules}, the stage {rules}")
        self._matcher = matcher if matcher is not None else Matcher(rules)
        self._base, self._window, self._report_path = base_seq, window, report_path
        self._commands = CommandReader()
        self._outbox = EventOutbox(out, out.sequencer(gating=out_gating), self._sequence.get())
        self._halt = HaltFlag()
        m = self._matcher
        self._dispatch: dict[type, Callable[[Any, int], list[Event]]] = {
            NewOrder: m.new_order,
            CancelOrder: lambda c, _: m.cancel(c),
            ReplaceOrder: lambda c, _: m.replace(c),
            AddSymbol: lambda c, _: m.add_symbol(c),
            Halt: lambda c, _: m.set_halted(c.symbol, True),
            Resume: lambda c, _: m.set_halted(c.symbol, False),
            EndOfDay: lambda c, _: m.end_of_day(c),
            Settle: lambda c, _: m.settle(c),
            SetSelfTradePrevention: self._set_stp,
        }

    def _set_stp(self, cmd: SetSelfTradePrevention, _cap: int) -> list[Event]:
        self._matcher.set_stp(cmd.firm, cmd.mode)
        return []  # answered by the risk stage

    def poll(self) -> int:
        if self._outbox.pending:
            return self._flush()
        lo = self._sequence.get() + 1
        hi = min(self._barrier.available(), lo + self._max_batch - 1)
        if hi < lo:
            return 0
        slots = self._risk_ring.slots
        first = lo  # ring[risk] sequence of the chunk's first row
        for start, stop in self._risk_ring.chunks(lo, hi):
            rows = slots[start:stop]
            targets = rows[:, TARGET_OFFSET]
            mine = np.flatnonzero((targets == self.shard) | (targets == TARGET_ALL))
            if len(mine):
                picked = rows[mine]
                caps = picked.view("<i8")[:, _CAP_WORD].tolist()
                commands = self._commands.decode_rows(picked)
                self._handle(commands, caps, (mine + first).tolist())
            first += stop - start
        self._outbox.through = hi
        self._flush()
        return hi - lo + 1

    def _handle(self, commands: list[Any], caps: list[int], seqs: list[int]) -> None:
        self._outbox.match(self._matcher, commands, caps, seqs, self._other)

    def _other(self, cmd: Any, cap: int) -> list[Event]:
        """The rare command kinds (the hot ones go straight to the matcher, compiled)."""
        return self._dispatch[cmd.__class__](cmd, cap)

    def _flush(self) -> int:
        """Publish buffered events as space allows, then the watermark; returns records."""
        moved, watermark = self._outbox.flush()
        if watermark > self._sequence.get():
            self._sequence.set(watermark)  # x86-64: the event stores are visible before it
        self._signal_risk()
        if self._outbox.pending:
            self._in.board.signal()  # the risk stage may be parked on input: let it drain us
        return moved

    def _ready(self) -> bool:
        if self._outbox.pending:
            return self._outbox.has_space()
        return self._barrier.available() > self._sequence.get()

    def _check_alert(self) -> None:
        self._halt.check_alert()
        if self._risk_ring.is_alerted() or self._out.is_alerted():
            raise AlertException("ring alerted")

    def wait(self) -> None:
        if self._outbox.pending:
            park(self._out.board, 0, self._ready, self._check_alert)
        else:
            park(self._risk_ring.board, self._risk_waiter, self._ready, self._check_alert)

    def on_close(self) -> None:
        if self._report_path is not None:
            last = self._base + self._outbox.through + 1  # the books hold every command through it
            risk = RiskStage(rules=self._matcher.rules)  # the matcher's part holds no wallets
            data = live_state(self._window, last, risk, [self._matcher], [])
            write_atomic(self._report_path, data)
        for ring in (self._risk_ring, self._out, self._in):
            ring.close()  # our attached handles (the supervisor owns the segments)

    def halt(self) -> None:
        self._halt.halted = True
