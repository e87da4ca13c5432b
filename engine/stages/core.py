"""The fused core stage: durable commands -> one whole ``Exchange(W)`` -> ring[risk] + ring[out0].

Why. On 2 cores the sharded pipeline (risk stage, matcher shards, publisher) pays for every
event twice over the process boundaries (encode, decode, encode, decode) and runs more busy
processes than cores. ``Exchange(W)`` already *is* that wiring in one process (with its fused
serial path at W = 1), so the fused topology runs it whole and keeps only what must be separate:
the journaler (durability) and the publisher (digest, routing).

Contract (``TopologySpec.fused``; the publisher is the unchanged one of a 1-shard topology):

* Consumer 1 of ring[in], behind the journaler (consumer 0), exactly like the risk stage: it
  only reads durable commands and checks it per batch (else AssertionError: fail fast).
* Sole producer of ring[risk], 1:1 with ring[in]: each slot is the command record copied
  untouched with target 0 ("matcher shard 0") and no risk event, so the publisher finds every
  event of the command at the head of ring[out0], in sub_seq order, and the command's origin
  and ts in the slot for routing and latency.
* Sole producer of ring[out0] (128-byte event records stamped (seq_no, sub_seq), encoded with
  the fast codec) and sole writer of ring[risk]'s consumer sequence 0, the "matcher watermark"
  the publisher's barrier reads. As in ``engine.stages.matcher``: events are published before
  that watermark moves past their command, and when ring[out0] is full the events wait in a
  local buffer while the watermark holds below the first command not wholly out. Nothing
  consumes ring[out0] as consumer 0 in this topology, so its sequencer gates on the publisher
  only.

The outputs are ``Exchange(W).submit``'s, in ring order = seq order, so the canonical stream is
byte-identical to the in-process Exchange and to the sharded pipeline for the same W.

Restart: ``exchange`` is the recovered ``Exchange`` at ``base_seq`` (``Exchange.restore``). With
``report_paths`` the stage writes, when it closes, its live state (normalised, as
``engine.stages.state_parts.exchange_live_state``) to each of them: the supervisor merges a "risk"
part and one "matcher0" part with ``merge_parts``, and the whole state is a valid value of both.
"""

from __future__ import annotations

from collections.abc import Sequence

from disruptor import AlertException, RingBuffer
from engine.domain.exchange import Exchange
from engine.domain.types import Command
from engine.event_records import EVENT_RECORD_SIZE
from engine.records import RECORD_SIZE, CommandDecoder
from engine.stages.outbox import EventOutbox
from engine.stages.slots import RISK_SLOT_SIZE, TARGET_OFFSET
from engine.stages.state_parts import exchange_live_state, write_atomic
from engine.stages.waiting import Halt as HaltFlag
from engine.stages.waiting import PollingStage, park

IN_CONSUMER = 1  # the risk stage's place on ring[in]: behind the journaler
WATERMARK = 0  # ring[risk] consumer 0: "matcher shard 0" for the publisher's barrier
PUBLISHER = 1  # the publisher's consumer index on ring[risk] and on ring[out0]


class CoreAgent(PollingStage):
    """Consumer of ring[in]; producer of ring[risk] and ring[out0]."""

    def __init__(
        self,
        ring_in: RingBuffer,
        ring_risk: RingBuffer,
        out: RingBuffer,
        feedback_window: int,
        base_seq: int = 0,
        max_batch: int = 4096,
        *,
        exchange: Exchange | None = None,
        report_paths: Sequence[str] = (),
    ) -> None:
        if ring_risk.slot_size != RISK_SLOT_SIZE or ring_risk.capacity != ring_in.capacity:
            raise ValueError(f"ring[risk] must have {RISK_SLOT_SIZE}-byte slots, same capacity")
        if out.slot_size != EVENT_RECORD_SIZE:
            raise ValueError(f"ring[out] slots must be {EVENT_RECORD_SIZE} bytes")
        if exchange is not None and exchange.feedback_window != feedback_window:
            raise ValueError(
                f"restored exchange has W={exchange.feedback_window}, the stage runs W="
                f"{feedback_window}"
            )
        self._in, self._risk_ring, self._out = ring_in, ring_risk, out
        self._base, self._max_batch = base_seq, max_batch
        self._in_barrier = ring_in.barrier(IN_CONSUMER, depends_on=[0])
        self._in_seq = ring_in.consumer_sequence(IN_CONSUMER)
        self._journaled = ring_in.consumer_sequence(0)
        self._risk_seqr = ring_risk.sequencer(gating=[PUBLISHER])
        self._watermark = ring_risk.consumer_sequence(WATERMARK)
        self._exchange = exchange if exchange is not None else Exchange(feedback_window)
        self._report_paths = tuple(report_paths)
        self._commands = CommandDecoder()
        # ring[in] and ring[risk] sequences coincide here: the outbox's "through" is both
        self._outbox = EventOutbox(out, out.sequencer(gating=[PUBLISHER]), self._in_seq.get())
        self._park_on_input = True
        self._halt = HaltFlag()

    def poll(self) -> int:
        if self._outbox.pending:
            return self._flush()
        lo = self._in_seq.get() + 1
        hi = self._in_barrier.available()
        if hi < lo:
            self._park_on_input = True
            return 0
        self._park_on_input = False
        hi = min(hi, lo + self._max_batch - 1, lo + self._risk_seqr.remaining_capacity() - 1)
        if hi < lo:
            return 0  # ring[risk] is full: the publisher frees it
        if self._journaled.get() < hi:
            raise AssertionError(f"core reached slot {hi} before the journal made it durable")
        claimed = self._risk_seqr.next(hi - lo + 1)
        assert claimed == hi, f"ring[risk] claim {claimed} is not ring[in] slot {hi}"
        in_slots, risk_slots = self._in.slots, self._risk_ring.slots
        for start, stop in self._in.chunks(lo, hi):
            rows = in_slots[start:stop]
            risk_slots[start:stop, :RECORD_SIZE] = rows  # bytes 5..7, 120..127 are zero padding
            risk_slots[start:stop, TARGET_OFFSET] = 0  # every command's events are in ring[out0]
            self._handle(self._commands.decode_many(rows.tobytes()))
        self._risk_seqr.publish(hi)  # the publisher still waits for the watermark
        self._in_seq.set(hi)
        self._in.board.signal()  # the injector may wait for space
        self._outbox.through = hi
        self._flush()
        return hi - lo + 1

    def _handle(self, commands: list[Command]) -> None:
        submit, add = self._exchange.submit, self._outbox.add
        slot_of = -self._base - 1  # ring sequence = seq_no - base_seq - 1
        for cmd in commands:
            events = submit(cmd)
            if events:
                add(cmd.seq_no, events, cmd.seq_no + slot_of)

    def _flush(self) -> int:
        """Publish buffered events as space allows, then the watermark; returns records moved
        (the ordering rule lives in ``EventOutbox``, shared with the matcher shards)."""
        moved, watermark = self._outbox.flush()
        if watermark > self._watermark.get():
            self._watermark.set(watermark)  # x86-64: the event stores are visible before it
        self._risk_ring.board.signal()  # the publisher parks on ring[risk]'s board
        return moved

    # -- waiting and the agent interface ------------------------------------------------------

    def _ready_out(self) -> bool:
        return self._outbox.has_space()

    def _ready_input(self) -> bool:
        return self._in_barrier.available() > self._in_seq.get()

    def _ready_space(self) -> bool:
        return self._risk_seqr.remaining_capacity() > 0

    def _check_alert(self) -> None:
        self._halt.check_alert()
        if self._in.is_alerted() or self._risk_ring.is_alerted() or self._out.is_alerted():
            raise AlertException("ring alerted")

    def wait(self) -> None:
        """Park on the ring whose progress lets the next poll work: ring[out0] (the publisher
        drains it and signals its board), ring[in] (the journaler signals durability) or
        ring[risk] (the publisher signals after moving its sequence)."""
        if self._outbox.pending:
            park(self._out.board, 0, self._ready_out, self._check_alert)
        elif self._park_on_input:
            park(self._in.board, 1 + IN_CONSUMER, self._ready_input, self._check_alert)
        else:
            park(self._risk_ring.board, 0, self._ready_space, self._check_alert)

    def on_close(self) -> None:
        if self._report_paths:
            data = exchange_live_state(self._exchange)  # through the last command handled
            for path in self._report_paths:
                write_atomic(path, data)
        for ring in (self._in, self._risk_ring, self._out):
            ring.close()  # our attached handles (the supervisor owns the segments)

    def halt(self) -> None:
        self._halt.halted = True
