"""The outbound ledger: the projection, one report store per configured session, and where
they stand in the journal.

``DATA_DIR/outbound/`` holds the stores (FIX and OUCH sessions: ``engine.gateway.report_store``;
named JSON sessions: ``engine.gateway.json_stores``) and ``state.json``:
``{"through": [seq, sub], "orders": <projection snapshot>, "clordids": <days>}``, the last
execution report (command seq and report number ``sub``, ``engine.gateway.router``) the
projection has applied, its live-order table at that point and what rebuilds the FIX
sessions' ClOrdIDs of the day (``engine.gateway.clordids``), written durably (stores synced
first) by :meth:`ReportLedger.save`.

Contract.

* :meth:`ReportLedger.apply` takes every command's execution reports in ``(seq, sub)`` order
  with the command and its origin, each once (one at or before ``through`` is ignored, so a
  command whose reports come in two parts is applied in two calls, and a save between them
  loses nothing), and appends the owed reports to the stores of the sessions owed them; it
  returns them, numbered, for live delivery (:class:`Deliveries`: the FIX and OUCH sessions'
  order reports, the named JSON sessions' events).
* :func:`catch_up` brings a ledger that is behind the journal (a crash after commands were
  processed and before their reports were stored, or a data directory without ``outbound/``)
  up to ``through_seq`` by replaying the journal from the newest snapshot at or before the
  ledger's ``through`` (or from seq 1): the stores are a function of the journal, and their
  idempotent appends make a replayed stretch harmless.
* A session configured later starts with an empty store: it is owed the reports of the
  orders it enters from then on.
* The ClOrdIDs each FIX session used today (:attr:`ReportLedger.day_ids`) are noted from
  every report appended to its store and forgotten at EndOfDay; on open they are noted again
  from the stores (the part of them ``state.json`` says can still be of today), so they are
  a function of the journal like the stores (a ``state.json`` without them, from an older
  build, makes every stored report count as today's until its symbol's next EndOfDay).
  :meth:`ReportLedger.known` answers what a ClOrdID named, with the order's current state.
  The OUCH sessions' tokens of the day are kept the same way (tokens only, no orders).
* The FIX sessions' sequence marks (``SessionNote`` FIX_SENT / FIX_MARK, journaled by a
  gateway with replication enabled) are projected into :attr:`ReportLedger.fix_marks`
  (``engine.gateway.fix_marks``) as they are applied, kept in ``state.json`` (``fixmarks``)
  and caught up from the journal like the stores, so a promoted standby's gateway knows
  where each FIX session stood before it serves; :class:`Deliveries` says which sessions'
  notes came back (``notes``: origin -> the last note's seq_no), for the bytes held for them.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any, Final, NamedTuple

import numpy as np

from engine.command_batches import CommandBatchReader, check_seq_nos, contiguous
from engine.command_reader import CommandReader
from engine.config import FirmConfig
from engine.domain.exchange import Exchange
from engine.domain.types import Command, DayEnded, EndOfDay, Event, SessionNote, SessionNoted
from engine.gateway.accounts import AccountRegistry
from engine.gateway.clordids import STATE_KINDS, DayClOrdIds, Known
from engine.gateway.fix_marks import FixMarks
from engine.gateway.json_stores import PROTOCOL as JSON_PROTOCOL
from engine.gateway.json_stores import EventsDelivered, JsonSessionStores, Owed
from engine.gateway.out_batch import project_batch
from engine.gateway.out_lane import project_into
from engine.gateway.outbound import OrderReport, OutboundProjection
from engine.gateway.report_store import ReportStore
from engine.gateway.router import ROUTED_EVENTS
from engine.journal_format import journal_dir, snapshot_dir
from engine.rebuild import load_snapshot, read_header
from engine.records import ORIGIN_OFFSET, RECORD_SIZE
from journal.durable_files import make_directory, replace_durably

OUTBOUND_SUBDIR: Final = "outbound"
STATE_FILE: Final = "state.json"
#: reports read at a time when the ClOrdIDs of the day are noted again on open
_READ_CHUNK: Final = 4096

#: origin -> its newly stored reports, with their numbers
Delivered = dict[int, list[tuple[int, OrderReport]]]
#: (seq_no, the command, its origin, its execution reports as (sub, event))
Applied = tuple[int, Command, int, list[tuple[int, Event]]]
#: the records of the reports of the commands applied (``ReportLedger.apply_many``)
Records = tuple[np.ndarray[Any, np.dtype[np.uint8]], list[int]]


class Deliveries(NamedTuple):
    """What one :meth:`ReportLedger.apply_many` stored: by session, numbered."""

    #: the FIX and OUCH sessions' order reports
    orders: Delivered
    #: the named JSON sessions' events
    events: EventsDelivered
    #: the FIX sessions whose sequence notes were applied: origin -> the last one's seq_no
    notes: dict[int, int]


NOTHING: Final = Deliveries({}, {}, {})


class ReportLedger:
    """Projection + stores of one data directory's configured sessions. ``accounts``: the
    gateway's registry of who owns each account (by default the firms' configured accounts),
    which the named JSON sessions' stores are routed by."""

    def __init__(
        self,
        data_dir: str | Path,
        firms: Iterable[FirmConfig],
        accounts: AccountRegistry | None = None,
    ) -> None:
        self.directory = Path(data_dir) / OUTBOUND_SUBDIR
        self.stores: dict[int, ReportStore] = {}
        self.names: dict[int, str] = {}
        self.day_ids = DayClOrdIds()
        firms = tuple(firms)
        #: the FIX sessions' origins: whose ClOrdIDs of the day are kept
        self.fix_origins = frozenset(
            s.origin for firm in firms for s in firm.sessions if s.protocol == "fix"
        )
        #: the OUCH sessions' origins: whose tokens of the day are kept
        self.ouch_origins = frozenset(
            s.origin for firm in firms for s in firm.sessions if s.protocol == "ouch"
        )
        if any(firm.sessions for firm in firms):  # no configured session: nothing on disk
            make_directory(self.directory)
        if accounts is None:
            accounts = AccountRegistry()
            for firm in firms:
                accounts.register_all(firm.firm, (a.account for a in firm.accounts))
        for firm in firms:
            for session in firm.sessions:
                self.names[session.origin] = f"{firm.firm}/{session.name}"
                if session.protocol != JSON_PROTOCOL:
                    path = self.directory / firm.firm / f"{session.name}.reports"
                    self.stores[session.origin] = ReportStore(path)
        self.json = JsonSessionStores(self.directory, firms, accounts)
        state = self.directory / STATE_FILE
        self.through: tuple[int, int] = (0, -1)
        self.projection = OutboundProjection()
        #: the FIX sessions' sequence marks, from the journal
        self.fix_marks = FixMarks()
        read_from: dict[int, int] = {}
        if state.exists():
            saved = json.loads(state.read_bytes())
            seq, sub = saved["through"]
            self.through = (int(seq), int(sub))
            self.projection = OutboundProjection.from_rows(saved["orders"])
            read_from = self.day_ids.restore_days(saved.get("clordids", {}))
            self.fix_marks = FixMarks.from_state(saved.get("fixmarks", {}))
        for origin in self.fix_origins | self.ouch_origins:
            self._note_stored(origin, read_from.get(origin, 1))

    def _note_stored(self, origin: int, first: int) -> None:
        """Note the ClOrdIDs (tokens) of session ``origin``'s stored reports from ``first``."""
        store = self.stores[origin]
        for start in range(max(first, 1), store.count + 1, _READ_CHUNK):
            numbered = enumerate(store.read(start, start + _READ_CHUNK - 1), start)
            self._note(origin, list(numbered))

    def _note(self, origin: int, added: list[tuple[int, OrderReport]]) -> None:
        """Note what newly stored reports of session ``origin`` used today, if it is a FIX
        session (its ClOrdIDs and orders) or an OUCH one (its tokens)."""
        note = self.day_ids.note
        if origin in self.fix_origins:
            for number, report in added:
                note(origin, number, report)
        elif origin in self.ouch_origins:
            self.day_ids.note_tokens(origin, added)

    @property
    def has_stores(self) -> bool:
        """Whether any session is configured (else there is nothing to keep)."""
        return bool(self.stores or self.json.stores)

    @property
    def through_seq(self) -> int:
        """The last command whose reports were (at least partly) applied."""
        return self.through[0]

    def apply(
        self, seq_no: int, cmd: Command, origin: int, events: list[tuple[int, Event]]
    ) -> Deliveries:
        """Apply ``events`` (``(sub, event)``, in order) of command ``seq_no``."""
        return self.apply_many([(seq_no, cmd, origin, events)])

    def apply_many(self, commands: list[Applied], records: Records | None = None) -> Deliveries:
        """:meth:`apply` for several commands in seq order, with one append per store (an
        EndOfDay in the batch ends its day at once: the ClOrdIDs of the reports appended
        after it are noted only if they are of the day after, as one by one). With
        ``records`` (``(rows, at)``: the events' records as ring[events] had them, the first
        of ``commands[i]`` at row ``at[i]``), the named JSON sessions' stores copy them
        (``JsonSessionStores.apply_records``) instead of encoding the events again, and the
        commands are projected by the compiled loop (``engine.gateway.out_batch``); without,
        by :meth:`_project`, its reference."""
        if records is None:
            owed_events, _, by_origin, notes = self._project(commands)
        else:
            owed_events, owed_at, by_origin, notes = project_batch(self, commands, records[1])
        delivered: Delivered = {}
        for target, reports in by_origin.items():
            store = self.stores.get(target)
            if store is not None:  # a session no longer configured is owed nothing
                added = store.append(reports)
                if added:
                    delivered[target] = added
                    self._note(target, added)
        if records is None:
            return Deliveries(delivered, self.json.apply_many(owed_events), notes)
        stored = self.json.apply_records(owed_events, records[0], owed_at)
        return Deliveries(delivered, stored, notes)

    def _project(
        self, commands: list[Applied]
    ) -> tuple[list[Owed], list[int], dict[int, list[OrderReport]], dict[int, int]]:
        """The reference of ``out_batch.project_batch`` (without rows): the same owed events,
        reports by session and notes, and ``through`` moved the same way."""
        owed_events: list[Owed] = []
        by_origin: dict[int, list[OrderReport]] = {}
        notes: dict[int, int] = {}
        projection = self.projection
        for seq_no, cmd, origin, events in commands:
            through = self.through
            if seq_no > through[0]:  # the common case: a command not applied at all yet
                fresh = events
            else:
                fresh = [(sub, e) for sub, e in events if (seq_no, sub) > through]
            if not fresh:
                continue
            self.through = (seq_no, fresh[-1][0])
            if type(cmd) is SessionNote and origin in self.fix_origins:
                # a FIX session's sequence note (a flush of it): no report, no store
                if any(type(e) is SessionNoted for _, e in fresh):
                    self.fix_marks.apply(seq_no, cmd, origin)
                    notes[origin] = seq_no
                continue
            owed_events.append((seq_no, origin, fresh))
            project_into(projection, cmd, origin, fresh, by_origin)
            if isinstance(cmd, EndOfDay) and any(type(e) is DayEnded for _, e in fresh):
                self.day_ids.end_day(cmd.symbol, seq_no)
        return owed_events, [], by_origin, notes

    def known(self, origin: int, client_order_id: str) -> Known | None:
        """What ``client_order_id`` named today on FIX session ``origin`` (a live order's
        current ClOrdID always counts), with the order's current state when there is one."""
        live = self.projection.find(origin, client_order_id)
        if live is not None:
            return Known(live[0], self.projection.state_of(live[0]))
        used = self.day_ids.used(origin, client_order_id)
        if used is None:
            return None
        order = self.projection.orders.get(used.order_id)
        if used.order_id and order is not None and order.origin == origin:
            return Known(used.order_id, self.projection.state_of(used.order_id))
        state = None
        if used.state_report is not None:
            found = self.stores[origin].read(used.state_report, used.state_report)
            state = found[0] if found and found[0].kind in STATE_KINDS else None
        return Known(used.order_id, state)

    def checkpoint(self) -> bytes:
        """Where the ledger stands now: ``through`` and the live orders, as ``state.json``'s
        bytes. Taken where the ledger is applied (the gateway's event loop), so that it is
        consistent; :meth:`write_checkpoint` may then run on another thread."""
        through = json.dumps(list(self.through)).encode()
        counts = {o: self.stores[o].count for o in self.fix_origins | self.ouch_origins}
        day_ids = json.dumps(self.day_ids.state(counts), separators=(",", ":")).encode()
        orders = self.projection.snapshot()
        marks = json.dumps(self.fix_marks.state(), separators=(",", ":")).encode()
        return (
            b'{"through":' + through + b',"orders":' + orders + b',"clordids":' + day_ids
            + b',"fixmarks":' + marks + b"}"
        )  # fmt: skip

    def write_checkpoint(self, state: bytes) -> None:
        """Sync the stores, then record ``state`` (from :meth:`checkpoint`, taken before: the
        stores hold at least what it says; a crash between the two only makes a later
        catch-up replay a stretch the stores already hold)."""
        if not self.has_stores:
            return
        for store in self.stores.values():
            store.sync()
        self.json.sync()
        replace_durably(self.directory / STATE_FILE, state)

    def save(self) -> None:
        """:meth:`checkpoint` and :meth:`write_checkpoint`, in one go (one thread)."""
        self.write_checkpoint(self.checkpoint())

    def close(self) -> None:
        for store in self.stores.values():
            store.close()
        self.json.close()


def numbered_reports(events: list[Event]) -> list[tuple[int, Event]]:
    """A command's execution reports with their numbers, as the gateway reads them."""
    return list(enumerate(e for e in events if e.__class__ in ROUTED_EVENTS))


def catch_up(ledger: ReportLedger, data_dir: str | Path, through_seq: int) -> int:
    """Replay the journal of ``data_dir`` into ``ledger`` up to ``through_seq``; returns how
    many commands were replayed past the ledger's ``through`` (0 when it is not behind)."""
    if ledger.through_seq >= through_seq or not ledger.has_stores:
        return 0
    header = read_header(data_dir)
    exchange = Exchange(header.feedback_window, header.rules)
    start = 1
    if ledger.through_seq > 0:
        below = ledger.through_seq  # a snapshot before the command the ledger is in
        loaded = load_snapshot(snapshot_dir(data_dir), header, [], below=below)
        if loaded is not None:
            exchange, snapshot_seq = loaded
            start = snapshot_seq + 1
            for name, account in exchange.risk.accounts.items():  # opened before the snapshot
                ledger.json.accounts.register(account.firm, name)
        else:  # replaying from seq 1 rebuilds the projection's orders too
            ledger.projection = OutboundProjection()
            ledger.fix_marks.clear()  # (in place: the FIX listener holds it)
            ledger.through = (0, -1)
    directory = journal_dir(data_dir)
    reader = CommandBatchReader(directory)
    decode_many = CommandReader().decode_many
    behind = ledger.through_seq
    applied = 0
    for payload, seqs in contiguous(reader.batches(start, through_seq), start, directory):
        check_seq_nos(payload, seqs)
        records = np.frombuffer(payload, dtype=np.uint8).reshape(-1, RECORD_SIZE)
        origins = records[:, ORIGIN_OFFSET : ORIGIN_OFFSET + 4].copy().view("<u4")[:, 0]
        for cmd, origin in zip(decode_many(payload), origins.tolist(), strict=True):
            events = exchange.submit(cmd)
            if cmd.seq_no >= ledger.through_seq:
                ledger.apply(cmd.seq_no, cmd, origin, numbered_reports(events))
            else:  # already stored; who owns an account opened here still matters later
                ledger.json.learn(events)
            applied += cmd.seq_no > behind
    ledger.through = max(ledger.through, (through_seq, -1))
    ledger.save()
    return applied
