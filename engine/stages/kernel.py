"""The fused core's inner loop, compiled: ring[in] slots -> Exchange -> event records.

For a run of ring[in] slots it decodes each command record (`engine.command_reader`), submits
the command to the ``Exchange`` and writes its events, stamped with the command's origin and
ts, into the outbox buffer (`engine.event_codec.write_events`), keeping the outbox's
bookkeeping (records through each command, its ring sequence). Compiled, the loop and every
call in it are C calls: no Python frame, no argument tuple per command. Uncompiled it is the
same loop in Python, with the same results.
"""

from __future__ import annotations

from typing import Any

import cython

from engine.command_reader import CommandReader
from engine.domain.exchange import Exchange
from engine.event_records import EVENT_RECORD_SIZE
from engine.records import ORIGIN_OFFSET

if cython.compiled:
    from cython.cimports.engine.event_codec import write_events
    from cython.cimports.libc.string import memcpy
else:
    from engine.event_codec import write_events


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
