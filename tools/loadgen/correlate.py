"""Correlating one connection's reports with its orders: states, counts and latencies.

Orders are known by number (``tools.loadgen.clients``: an id is the connection's prefix and
the order's number in 8 digits, 1, 2, ...). Number n of connection ``index`` is planned order
g = index + (n - 1) * C of the run, intended at ``start + g * 1e9 // rate`` (``plan``), so
its intended time needs no table; :meth:`Correlator.sent` records when each was written.

Contract of :meth:`Correlator.take`, for each ``(kind, id, ts, detail)`` of a batch:

* an id that is not one of this connection's orders (another connection's, or "" for a
  refusal that names no order) matches no order; only an ERROR without an id counts (as
  refused);
* ACK of an order awaiting its ack: acked; ``ack`` latency from the intended time,
  ``service_ack`` from the write; the order now awaits its first fill or its end;
* FILL of an order awaiting its fill: filled (the first fill only); ``fill`` latency, and
  ``taker_fill`` unless the report says the order was the maker;
* DONE of an order awaiting its fill: ended, with its reason;
* REJECT of an order awaiting its ack: rejected, with the reason; ERROR: refused;
* any other report (a second fill, an answer to an order already answered) counts nothing.

Every order ends in at most one of acked, rejected, refused (and an acked one in at most one
of filled, ended); what is still awaiting its ack at the end is unanswered.

Compiled (Cython, pure-Python mode: ``engine.native.COMPILED_MODULES``) because this loop sees
every report of a run; the same source runs uncompiled.
"""

from __future__ import annotations

from array import array
from collections import Counter
from collections.abc import Callable
from typing import Final

import cython

from tools.loadgen.clients import ACK, DONE, ERROR, FILL, MAKER, NUMBER_DIGITS, REJECT, Report

#: an order's state: not sent (or answered for good), waiting for its ack, acked and waiting
#: for its first fill or its end
NOT_SENT: Final = 0
AWAITING_ACK: Final = 1
AWAITING_FILL: Final = 2


class Correlator:
    """One connection's orders by number, and what their reports measured."""

    #: order number -> NOT_SENT / AWAITING_ACK / AWAITING_FILL (index 0 unused)
    state: bytearray
    #: order number - 1 -> when it was written (ns)
    written: array[int]
    prefix: str
    width: cython.Py_ssize_t
    index: cython.longlong
    step: cython.longlong
    rate: cython.longlong
    #: the run's start (ns): set before the first order is sent
    start: cython.longlong
    #: orders sent and not yet acked, rejected or refused
    awaiting_ack: cython.Py_ssize_t
    acked: cython.Py_ssize_t
    filled: cython.Py_ssize_t
    ended: cython.Py_ssize_t
    rejected: cython.Py_ssize_t
    refused: cython.Py_ssize_t
    #: the ts of the last ack (0: none)
    last_ack: cython.longlong
    #: "kind: reason" -> how many (ends, rejects, refusals)
    reasons: Counter[str]
    # the latency buffers' appends (``tools.loadgen.report.Latency.buffer``)
    _ack: Callable[[int], None]
    _service: Callable[[int], None]
    _fill: Callable[[int], None]
    _taker: Callable[[int], None]

    def __init__(
        self,
        prefix: str,
        index: int,
        connections: int,
        rate: int,
        orders: int,
        buffers: tuple[array[int], array[int], array[int], array[int]],
    ) -> None:
        """Connection ``index`` of ``connections``, ``orders`` at most, ids ``prefix`` +
        number; ``buffers``: where the ack, service_ack, fill and taker_fill latencies go."""
        self.state = bytearray(orders + 1)
        self.written = array("q")
        self.prefix = prefix
        self.width = len(prefix) + NUMBER_DIGITS
        self.index, self.step, self.rate = index, connections, rate
        self.start = 0
        self.awaiting_ack = self.acked = self.filled = self.ended = 0
        self.rejected = self.refused = 0
        self.last_ack = 0
        self.reasons = Counter()
        self._ack, self._service, self._fill, self._taker = (b.append for b in buffers)

    def sent(self, first: int, count: int, now: int) -> None:
        """Orders ``first`` .. ``first + count - 1`` were written at ``now``."""
        self.state[first : first + count] = b"\x01" * count
        self.written.extend([now] * count)
        self.awaiting_ack += count

    def _due(self, n: cython.Py_ssize_t) -> cython.longlong:
        """When order ``n`` was intended to be sent (``tools.loadgen.plan.intended_ns``)."""
        return self.start + (self.index + (n - 1) * self.step) * 1_000_000_000 // self.rate

    def unanswered(self) -> int:
        return self.state.count(AWAITING_ACK)

    def take(self, batch: list[Report]) -> None:
        """Account for a batch of reports (module docstring)."""
        state: bytearray = self.state
        size: cython.Py_ssize_t = len(state)
        n: cython.Py_ssize_t
        due: cython.longlong
        ts: cython.longlong
        i: cython.Py_ssize_t
        digit: cython.Py_ssize_t
        for kind, oid, stamp, detail in batch:
            ts = stamp
            n = 0
            if len(oid) == self.width and oid.startswith(self.prefix):
                # the number's ASCII digits, read in place (compiled: no slice, no int())
                for i in range(self.width - NUMBER_DIGITS, self.width):
                    digit = ord(oid[i])
                    if digit < 48 or digit > 57:  # not 0-9
                        n = 0
                        break
                    n = n * 10 + digit - 48
                if n >= size:
                    n = 0
            if kind == ACK:
                if n and state[n] == AWAITING_ACK:
                    state[n] = AWAITING_FILL
                    self.awaiting_ack -= 1
                    due = (
                        self.start + (self.index + (n - 1) * self.step) * 1_000_000_000 // self.rate
                    )
                    self._ack((ts - due) // 1000)
                    self._service((ts - self.written[n - 1]) // 1000)
                    self.acked += 1
                    self.last_ack = ts
            elif kind == FILL:
                if n and state[n] == AWAITING_FILL:
                    state[n] = NOT_SENT
                    due = (
                        self.start + (self.index + (n - 1) * self.step) * 1_000_000_000 // self.rate
                    )
                    self._fill((ts - due) // 1000)
                    if detail != MAKER:
                        self._taker((ts - due) // 1000)
                    self.filled += 1
            elif kind == DONE:
                if n and state[n] == AWAITING_FILL:
                    state[n] = NOT_SENT
                    self.ended += 1
                    self.reasons["ended: " + detail] += 1
            elif kind == REJECT:
                if n and state[n] == AWAITING_ACK:
                    state[n] = NOT_SENT
                    self.awaiting_ack -= 1
                    self.rejected += 1
                    self.reasons["rejected: " + detail] += 1
            elif kind == ERROR:
                if n and state[n] == AWAITING_ACK:
                    state[n] = NOT_SENT
                    self.awaiting_ack -= 1
                elif oid:
                    continue  # about another connection's order, or one already answered
                self.refused += 1
                self.reasons["refused: " + detail] += 1
