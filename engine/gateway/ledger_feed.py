"""Feeding the outbound ledger from the gateway process: its commands and its reports.

The ledger (``engine.gateway.ledger``) needs each command with its origin and its execution
reports. The gateway is the one writer of ring[in], so it knows every command it sent by the
seq_no the sequencer gave it (:meth:`LedgerFeed.sent`); the reports come from ring[events]
in ``(seq_no, sub)`` order, one command's possibly split over two batches
(:meth:`LedgerFeed.reports`). A command the gateway did not send (the setup, injected before
it listens) carries no order of a configured session, and is skipped. Every report reaches
the ledger before the JSON sessions' delivery, and what the ledger stores is handed on in the
same step of the event loop: the FIX and OUCH order reports to the protocol listeners (each
``deliver``: a fan-out, every listener picks its own sessions), the named JSON sessions'
events to ``deliver_events`` (the JSON listener), and which FIX sessions' sequence notes
came back to ``deliver_notes`` (the FIX listener writes the bytes that waited for them).

:func:`for_json` keeps the anonymous JSON sessions' part of the reports: a report that only
answers a configured (FIX, OUCH or named JSON) session is that session's, served from its
store, not the JSON directory's; an order report keeps its owner address (the firm's
anonymous JSON sessions see their firm's orders, as before).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable

from engine.domain.types import Command
from engine.gateway.accounts import AccountRegistry
from engine.gateway.events_reader import ReportBatch
from engine.gateway.json_stores import EventsDelivered
from engine.gateway.ledger import Delivered, ReportLedger
from engine.gateway.out_batch import count_unheard, sent_commands
from engine.gateway.router import Report
from engine.session_ids import is_stable


class LedgerFeed:
    def __init__(
        self,
        ledger: ReportLedger,
        deliver: Iterable[Callable[[Delivered], None]],
        deliver_events: Callable[[EventsDelivered], None] | None = None,
        deliver_notes: Callable[[dict[int, int]], None] | None = None,
    ) -> None:
        self._ledger = ledger
        #: the protocol listeners, each handed every delivery (each serves its own sessions)
        self._deliver = tuple(deliver)
        self._deliver_events = deliver_events
        self._deliver_notes = deliver_notes
        self._sent: dict[int, tuple[Command, int]] = {}
        #: the keys of ``_sent`` in the order they came (seq order)
        self._order: deque[int] = deque()
        #: whether the ledger changed since it was last saved
        self.dirty = False

    def sent(self, seq_no: int, cmd: Command, origin: int) -> None:
        """The gateway put ``cmd`` (as stamped) into ring[in] as ``seq_no``."""
        self._sent[seq_no] = (cmd, origin)
        self._order.append(seq_no)

    def sent_all(self, commands: list[Command], origin: int) -> list[int]:
        """:meth:`sent` for each of ``commands`` (as stamped: each carries its seq_no) of
        session ``origin``; returns their seq_nos."""
        entries = self._sent
        seq_nos = [cmd[0] for cmd in commands]
        for seq_no, cmd in zip(seq_nos, commands, strict=True):
            entries[seq_no] = (cmd, origin)
        self._order.extend(seq_nos)
        return seq_nos

    def reports(self, batch: ReportBatch) -> None:
        """A batch of reports from ring[events]: applied in one step, delivered at once."""
        applied, rows, last = sent_commands(batch.commands, self._sent)
        if applied:
            delivered = self._ledger.apply_many(applied, (batch.rows, rows))
            self.dirty = True
            if delivered.orders:
                for deliver in self._deliver:
                    deliver(delivered.orders)
            if delivered.events and self._deliver_events is not None:
                self._deliver_events(delivered.events)
            if delivered.notes and self._deliver_notes is not None:
                self._deliver_notes(delivered.notes)
        if last:
            # every command before the last one seen has all its reports in: forget them
            # (sent in seq order, so they are the oldest entries)
            order, sent = self._order, self._sent
            while order and order[0] < last:
                sent.pop(order.popleft(), None)

    def checkpoint(self) -> bytes | None:
        """The ledger's position if it changed since the last one (take it in the loop that
        applies the reports, then :meth:`write` it on any thread), else None."""
        if not self.dirty:
            return None
        self.dirty = False
        return self._ledger.checkpoint()

    def write(self, state: bytes) -> None:
        self._ledger.write_checkpoint(state)

    def save(self) -> None:
        state = self.checkpoint()
        if state is not None:
            self.write(state)


def for_json(reports: list[Report]) -> list[Report]:
    """The reports the JSON sessions' directory resolves (see the module docstring)."""
    out: list[Report] = []
    for report in reports:
        session, owner = report[0], report[1]
        if is_stable(session):
            if not owner:
                continue
            report = (0, owner, report[2], report[3], report[4])
        out.append(report)
    return out


def unheard(batch: ReportBatch, accounts: AccountRegistry) -> int:
    """What ``SessionDirectory.deliveries(for_json(batch.reports()))`` does while no JSON
    session is open (the common case of a gateway serving FIX and OUCH), without making the
    reports: register the accounts that the ``AccountOpened`` reports it sees open, and
    return how many reports it counts dropped (``out_batch.count_unheard``).
    ``tests/engine/test_out_batches.py`` holds the two to the same counts and
    registrations."""
    return count_unheard(batch.commands, accounts.register)
