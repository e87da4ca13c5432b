"""The fused core stage: durable commands -> one whole ``Exchange(W)`` -> ring[events].

Why. On 2 cores the sharded pipeline (risk stage, matcher shards, publisher) pays for every
event several times over the process boundaries and runs more busy processes than cores.
``Exchange(W)`` already *is* that wiring in one process, so the fused topology runs it whole
and keeps only what must be separate: the journaler (durability) and the readers of the event
stream.

Contract (``TopologySpec.fused``):

* A consumer of ring[in] behind the stages ``ring_in_input.after`` lists (the journaler): it
  only reads durable commands and checks it per batch (else AssertionError: fail fast).
* Sole producer of ring[events]: each command's events, in sub_seq order, as 128-byte records
  stamped (seq_no, sub_seq) with the command's origin and ts (`engine.event_codec`), gated on
  every reader of ring[events]. Since commands arrive in seq order, the ring is the canonical
  stream as it is.
* Sole writer of the ring[events] watermark (reserved consumer slot ``watermark``): the
  ring[in] sequence through which every command's events are in ring[events]. Events are
  published before the watermark moves past their command; when ring[events] is full they
  wait in a local buffer while the watermark holds below the first command not wholly out.

The outputs are ``Exchange(W).submit``'s, so the canonical stream is byte-identical to the
in-process Exchange and to the sharded pipeline for the same W. After each batch it counts the
age of each of its commands (hop MATCHED of ``engine.hop_board``): observed, never used.

Restart: ``exchange`` is the recovered ``Exchange`` at ``base_seq`` (``Exchange.restore``). With
``report_paths`` the stage writes, when it closes, its live state (normalised, as
``engine.stages.state_parts.exchange_live_state``) to each of them: the supervisor merges a
"risk" part and one "matcher0" part with ``merge_parts``, and the whole state is a valid value
of both.
"""

from __future__ import annotations

from collections.abc import Sequence

from disruptor import AlertException, RingBuffer
from engine.command_reader import CommandReader
from engine.domain.exchange import Exchange
from engine.domain.rules import CURRENT_RULES
from engine.event_records import EVENT_RECORD_SIZE
from engine.hop_board import Hop, HopBoard, ring_stamps
from engine.records import TS_OFFSET
from engine.stages.outbox import EventOutbox
from engine.stages.state_parts import exchange_live_state, write_atomic
from engine.stages.waiting import Halt as HaltFlag
from engine.stages.waiting import PollingStage, park
from engine.wiring import Input

#: The reserved consumer slot of ring[events] that holds the watermark (engine.topology).
WATERMARK = 0


class CoreAgent(PollingStage):
    """A consumer of ring[in]; producer of ring[events] and its watermark."""

    def __init__(
        self,
        ring_in: RingBuffer,
        ring_in_input: Input,
        ring_events: RingBuffer,
        events_gating: Sequence[int],
        feedback_window: int,
        base_seq: int = 0,
        max_batch: int = 4096,
        *,
        exchange: Exchange | None = None,
        report_paths: Sequence[str] = (),
        rules: int = CURRENT_RULES,
        hops: HopBoard | None = None,
        in_wakes: Sequence[int] | None = None,
    ) -> None:
        #: where the age of every command is counted, its events out (engine.hop_board)
        self._hops = hops
        if ring_events.slot_size != EVENT_RECORD_SIZE:
            raise ValueError(f"ring[events] slots must be {EVENT_RECORD_SIZE} bytes")
        if exchange is not None and exchange.feedback_window != feedback_window:
            raise ValueError(
                f"restored exchange has W={exchange.feedback_window}, the stage runs W="
                f"{feedback_window}"
            )
        if exchange is not None and exchange.rules != rules:
            raise ValueError(f"restored exchange runs rules {exchange.rules}, the stage {rules}")
        self._in, self._events = ring_in, ring_events
        self._base, self._max_batch = base_seq, max_batch
        self._in_waiter = 1 + ring_in_input.consumer
        self._in_barrier = ring_in.barrier(ring_in_input.consumer, depends_on=ring_in_input.after)
        self._in_seq = ring_in.consumer_sequence(ring_in_input.consumer)
        if in_wakes is not None:  # what taking commands can end: the producer's wait for space
            ring_in.board.aim(in_wakes)
        #: what makes a command durable (the journaler): checked per batch, fail fast
        self._durable = [ring_in.consumer_sequence(i) for i in ring_in_input.after]
        self._watermark = ring_events.consumer_sequence(WATERMARK)
        self._exchange = exchange if exchange is not None else Exchange(feedback_window, rules)
        self._report_paths = tuple(report_paths)
        self._commands = CommandReader()
        gated = ring_events.sequencer(gating=events_gating)
        self._outbox = EventOutbox(ring_events, gated, self._in_seq.get())
        self._park_on_input = True
        self._halt = HaltFlag()

    def poll(self) -> int:
        if self._outbox.pending:
            return self._flush()
        lo = self._in_seq.get() + 1
        hi = min(self._in_barrier.available(), lo + self._max_batch - 1)
        if hi < lo:
            self._park_on_input = True
            return 0
        self._park_on_input = False
        if any(seq.get() < hi for seq in self._durable):
            raise AssertionError(f"core reached slot {hi} before the journal made it durable")
        slots = self._in.slots
        first = lo
        for start, stop in self._in.chunks(lo, hi):
            self._handle(slots[start:stop], first)
            first += stop - start
        stamps = None if self._hops is None else ring_stamps(self._in, lo, hi, TS_OFFSET)
        self._in_seq.set(hi)
        self._in.board.signal()  # the injector may wait for space
        self._outbox.through = hi
        self._flush()
        if self._hops is not None and stamps is not None:
            self._hops.record_stamps(Hop.MATCHED, stamps)
        return hi - lo + 1

    def _handle(self, rows: object, first: int) -> None:
        """Submit the commands of ``rows`` (ring[in] slots from sequence ``first``)."""
        self._outbox.submit_rows(self._exchange, self._commands, rows, first)

    def _flush(self) -> int:
        """Publish buffered events as space allows, then the watermark; returns records moved
        (the ordering rule lives in ``EventOutbox``, shared with the matcher shards)."""
        moved, watermark = self._outbox.flush()
        if watermark > self._watermark.get():
            self._watermark.set(watermark)  # x86-64: the event stores are visible before it
        self._events.board.signal()  # readers of ring[events] may wait on the watermark
        return moved

    # -- waiting and the agent interface ------------------------------------------------------

    def _ready_out(self) -> bool:
        return self._outbox.has_space()

    def _ready_input(self) -> bool:
        return self._in_barrier.available() > self._in_seq.get()

    def _check_alert(self) -> None:
        self._halt.check_alert()
        if self._in.is_alerted() or self._events.is_alerted():
            raise AlertException("ring alerted")

    def wait(self) -> None:
        """Park on ring[events] while its readers free space for our buffered events, else on
        ring[in] until the journaler makes more commands durable."""
        if self._outbox.pending:
            park(self._events.board, 0, self._ready_out, self._check_alert)
        else:
            park(self._in.board, self._in_waiter, self._ready_input, self._check_alert)

    def on_close(self) -> None:
        if self._report_paths:
            data = exchange_live_state(self._exchange)  # through the last command handled
            for path in self._report_paths:
                write_atomic(path, data)
        for ring in (self._in, self._events):
            ring.close()  # our attached handles (the supervisor owns the segments)
        if self._hops is not None:
            self._hops.close()

    def halt(self) -> None:
        self._halt.halted = True
