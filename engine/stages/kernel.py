"""The stages' inner loops, compiled: one call per batch instead of Python work per command.

* :func:`submit_rows` (the fused core): for a run of ring[in] slots it decodes each command
  record (`engine.command_reader`), submits the command to the ``Exchange`` and writes its
  events, stamped with the command's origin and ts, into the outbox buffer
  (`engine.event_codec.write_events`), keeping the outbox's bookkeeping (records through each
  command, its ring sequence);
* :func:`match_commands` (a matcher shard) and :func:`decide_commands` (the risk stage): the
  same for the sharded topology's two halves; the rare command kinds call back into the stage.

Compiled, the loops and the calls in them for the hot kinds are C calls: no Python frame, no
argument tuple per command. Uncompiled they are the same loops in Python, with the same
results. The stages keep every rule; these only move the loop.
"""

from __future__ import annotations

from typing import Any

import cython

from engine.command_reader import CommandReader
from engine.domain.exchange import Exchange
from engine.domain.matcher import Matcher
from engine.domain.risk import RiskStage
from engine.domain.types import CancelOrder, NewOrder, ReplaceOrder
from engine.event_records import EVENT_RECORD_SIZE
from engine.records import ORIGIN_OFFSET
from engine.stages.slots import (
    CAP_OFFSET,
    EVENT_OFFSET,
    HAS_EVENT_OFFSET,
    RISK_SLOT_SIZE,
    TARGET_NONE,
    TARGET_OFFSET,
)

if cython.compiled:
    from cython.cimports.engine.event_codec import encode_event_at, write_events
    from cython.cimports.libc.string import memcpy
else:
    from engine.event_codec import encode_event_at, write_events


@cython.ccall
def submit_rows(
    exchange: Exchange,
    reader: CommandReader,
    rows: Any,
    buf: bytearray,
    at: cython.Py_ssize_t,
    first_slot: cython.longlong,
    ends: list[int],
    end_slots: list[int],
) -> cython.Py_ssize_t:
    """Handle the commands of ``rows`` (a C-contiguous ``(n, 128)`` run of ring[in] slots whose
    first is ring sequence ``first_slot``); their events go into ``buf`` from byte ``at``;
    ``ends``/``end_slots`` get one entry per command with events. Returns the new end."""
    commands: list[Any] = reader.decode_rows(rows)
    n: cython.Py_ssize_t = len(commands)
    i: cython.Py_ssize_t
    origin: cython.uint = 0
    if cython.compiled:
        view = cython.declare(cython.const[cython.uchar][:, ::1], rows)
    for i in range(n):
        cmd = commands[i]
        events: list[Any] = exchange.submit(cmd)
        if len(events) == 0:
            continue
        if cython.compiled:
            memcpy(cython.address(origin), cython.address(view[i, ORIGIN_OFFSET]), 4)
        else:
            origin = int.from_bytes(bytes(rows[i, ORIGIN_OFFSET : ORIGIN_OFFSET + 4]), "little")
        c: tuple[Any, ...] = cython.cast(tuple, cmd)
        at = write_events(buf, at, c[0], events, origin, c[1])
        ends.append(at // EVENT_RECORD_SIZE)
        end_slots.append(first_slot + i)
    return at


@cython.ccall
def match_commands(
    matcher: Matcher,
    commands: list[Any],
    caps: list[int],
    slots: list[int],
    other: Any,
    buf: bytearray,
    at: cython.Py_ssize_t,
    ends: list[int],
    end_slots: list[int],
) -> cython.Py_ssize_t:
    """A matcher shard's batch: NewOrder, CancelOrder and ReplaceOrder go straight to the
    ``matcher`` (C calls), any other command to ``other(command, cap)``; each command's events
    go into ``buf`` from byte ``at`` (header words zero). Returns the new end."""
    n: cython.Py_ssize_t = len(commands)
    i: cython.Py_ssize_t
    events: list[Any]
    for i in range(n):
        cmd = commands[i]
        cls = type(cmd)
        c: tuple[Any, ...] = cython.cast(tuple, cmd)
        if cls is NewOrder:
            events = matcher.match_new(
                c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7], c[8], c[9], c[10], c[11], caps[i]
            )
        elif cls is CancelOrder:
            events = matcher.cancel_order(c[0], c[2], c[3])
        elif cls is ReplaceOrder:
            events = matcher.replace_order(c[0], c[1], c[2], c[3], c[4], c[5])
        else:
            events = other(cmd, caps[i])
        if len(events) == 0:
            continue
        at = write_events(buf, at, c[0], events)
        ends.append(at // EVENT_RECORD_SIZE)
        end_slots.append(slots[i])
    return at


@cython.ccall
def decide_commands(
    risk: RiskStage, stage: Any, commands: list[Any], mem: Any, offset: cython.Py_ssize_t
) -> cython.void:
    """The risk stage's batch: before each command, ``stage.apply_due(seq_no)`` applies the
    feedback the window lets through (called only when some is due); NewOrder, CancelOrder
    and ReplaceOrder are decided by ``risk`` (C calls), the rest by ``stage.decide(command)``
    -> (target, cap, event). Each decision is written into its ring[risk] slot, the first at
    byte ``offset`` of ``mem`` (the slots' bytes, writable)."""
    n: cython.Py_ssize_t = len(commands)
    i: cython.Py_ssize_t
    window: cython.longlong = stage.window
    sharded: cython.bint = stage.shards > 1
    due: cython.longlong = stage.next_due()
    target: cython.longlong
    cap: cython.longlong
    for i in range(n):
        cmd = commands[i]
        cls = type(cmd)
        c: tuple[Any, ...] = cython.cast(tuple, cmd)
        seq: cython.longlong = c[0]
        if seq - window >= due:
            due = stage.apply_due(seq - window)
        event: Any = None
        target = 0
        cap = 0
        if cls is NewOrder:
            cap = risk.hold_new(c[0], c[2], c[3], c[4], c[5], c[6], c[7], c[8], c[9], c[10], c[11])
            if cap == 0:
                event = risk.last_reject
                target = TARGET_NONE
            elif sharded:
                target = stage.shard_of(c[4])
        elif cls is CancelOrder or cls is ReplaceOrder:
            if cls is CancelOrder:
                event = risk.check_cancel(c[0], c[2], c[3])
            else:
                event = risk.check_replace(c[0], c[2], c[3], c[4], c[5])
            if event is not None:
                target = TARGET_NONE
            elif sharded:
                target = stage.order_shard(c[3])
        else:
            target, cap, event = stage.decide(cmd)
        at: cython.Py_ssize_t = offset + i * RISK_SLOT_SIZE
        if cython.compiled:
            view = cython.declare(cython.uchar[::1], mem)  # type: ignore[misc]
            view[at + TARGET_OFFSET] = target
            if cap:
                memcpy(cython.address(view[at + CAP_OFFSET]), cython.address(cap), 8)
            if event is not None:
                view[at + HAS_EVENT_OFFSET] = 1
                encode_event_at(mem, at + EVENT_OFFSET, c[0], 0, event)
        else:
            mem[at + TARGET_OFFSET] = target
            if cap:
                mem[at + CAP_OFFSET : at + CAP_OFFSET + 8] = cap.to_bytes(8, "little", signed=True)
            if event is not None:
                mem[at + HAS_EVENT_OFFSET] = 1
                encode_event_at(mem, at + EVENT_OFFSET, c[0], 0, event)
