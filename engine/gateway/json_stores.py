"""The named JSON sessions' report stores: what each is owed, stored and numbered from 1.

A named JSON session (``[[firms.sessions]]`` with ``protocol = "json"``) logs in with
``"session": NAME`` and is sent exactly its store, ``DATA_DIR/outbound/<firm>/<NAME>.events``
(:class:`EventStore`: the layout of ``engine.gateway.report_store``, one event record of
``engine.event_records`` each, with its ``(seq_no, sub)``). A report's number is its position;
the gateway puts it on the wire as ``"n"`` (``docs/json-gateway.md``).

Contract of :meth:`JsonSessionStores.apply` (one command's routed events, ``(sub, event)`` in
order, with the command's origin; ``apply_many``: several commands in seq order). It mirrors
what the live JSON routing gives a firm session (``engine.gateway.router``,
``engine.gateway.directory``): a named session of firm F is owed

* an answer to a command it sent (address ``session`` = its stable origin), when the event is
  about an account of F (the directory withholds anything else from a firm session);
* every order report (address ``owner``: fill, cancel, replace, expiry) about an account of
  F, whichever session or protocol entered the order;

each once, as the firm is told it (``engine.gateway.disclosure.firm_view``). Which firm owns
an account is the gateway's registry (``engine.gateway.accounts``), which learns every
``AccountOpened`` passing here too. Everything above is read from the command stream, so the
stores are a function of the journal and ``engine.gateway.ledger.catch_up`` regenerates them;
appends are idempotent by ``(seq_no, sub)``. :meth:`JsonSessionStores.apply_records` is the
live path: the same stores from the events' records as ring[events] carried them, copied
rather than encoded again; :meth:`JsonSessionStores.apply_many` is its reference (and
catch-up's path). Both hand on what they stored as a :class:`StoredRun` each.

:class:`ReportCursor` is one connection's place in its store: the stored backlog first, in
chunks, then the reports stored from then on, without a gap or a duplicate (see its docstring).
"""

from __future__ import annotations

import struct
from collections.abc import Iterable
from pathlib import Path
from typing import Any, Final

import numpy as np

from engine.config import FirmConfig, SessionConfig
from engine.domain.types import (
    AccountOpened,
    Event,
)
from engine.event_codec import EventReader, encode_event_at
from engine.event_records import EVENT_RECORD_SIZE, EventDecoder
from engine.gateway import json_records
from engine.gateway.accounts import AccountRegistry
from engine.gateway.disclosure import firm_view
from engine.gateway.json_records import NO_ROWS, Stored, StoredRun, as_stored, small_as_stored
from engine.gateway.out_batch import pick_rows
from engine.gateway.report_store import NumberedStore
from engine.gateway.router import address

#: One command's events for the stores: (seq_no, origin, [(sub, event), ...])
Owed = tuple[int, int, list[tuple[int, Event]]]


#: origin -> its newly stored reports
EventsDelivered = dict[int, StoredRun]

#: the ``(sub, seq_no)`` of an event record (little-endian u32 at 4, i64 at 8)
_KEY: Final = struct.Struct("<Iq")


EVENTS_MAGIC: Final = b"SQXJEV01"
#: The protocol value of a named JSON session in the config.
PROTOCOL: Final = "json"


def _add(owed: dict[int, list[Stored]], target: int, item: Stored) -> None:
    group = owed.get(target)
    if group is None:
        owed[target] = [item]
    else:
        group.append(item)


class EventStore(NumberedStore[Stored]):
    """One named JSON session's reports, numbered from 1."""

    MAGIC = EVENTS_MAGIC
    RECORD_SIZE = EVENT_RECORD_SIZE

    def __init__(self, path: Path) -> None:
        self._decoder = EventDecoder()
        #: decodes the runs :meth:`append_records` hands on (made once: ~30 µs)
        self._reader = EventReader()
        super().__init__(path)

    @staticmethod
    def _encode(item: Stored) -> bytes:
        # the compiled codec: the reference's bytes (engine.event_records.encode_event, held
        # to it by tests/engine/test_compiled_codecs.py) at a fraction of the cost
        record = bytearray(EVENT_RECORD_SIZE)
        encode_event_at(record, 0, item[0], item[1], item[2])
        return bytes(record)

    def _decode(self, raw: bytes) -> Stored:
        return self._decoder.decode(raw)

    def append(self, items: list[Stored]) -> list[tuple[int, Stored]]:
        """:meth:`NumberedStore.append` in one loop, into one buffer: the key check inline and
        every record encoded in place (the generic loop made a record's bytes apart, through
        two static calls). The file and the numbers are the same; the store moves only once
        every record of the batch is encoded."""
        added: list[tuple[int, Stored]] = []
        buffer = bytearray(len(items) * EVENT_RECORD_SIZE)
        at = 0
        last_seq, last_sub = self.last_key
        count = self.count
        for item in items:
            seq_no, sub, event = item
            if seq_no < last_seq or (seq_no == last_seq and sub <= last_sub):
                continue
            last_seq, last_sub = seq_no, sub
            count += 1
            added.append((count, item))
            encode_event_at(buffer, at, seq_no, sub, event)
            at += EVENT_RECORD_SIZE
        if at:
            self._file.write(buffer if at == len(buffer) else buffer[:at])
            self.last_key, self.count = (last_seq, last_sub), count
        return added

    def append_records(self, records: bytes) -> StoredRun | None:
        """:meth:`append` of the items ``records`` (whole records of this store, in key
        order) hold, from the bytes as they are: the ones not stored yet are written
        unchanged. Returns them as a run, or None when all were stored."""
        size = EVENT_RECORD_SIZE
        sub, seq_no = _KEY.unpack_from(records, 4)
        last_seq, last_sub = self.last_key
        if seq_no < last_seq or (seq_no == last_seq and sub <= last_sub):
            # a stretch stored already (a replay): skip to the first record after the key
            for at in range(size, len(records), size):
                sub, seq_no = _KEY.unpack_from(records, at + 4)
                if seq_no > last_seq or (seq_no == last_seq and sub > last_sub):
                    records = records[at:]
                    break
            else:
                return None
        sub, seq_no = _KEY.unpack_from(records, len(records) - size + 4)
        first = self.count + 1
        self._file.write(records)
        self.last_key, self.count = (seq_no, sub), self.count + len(records) // size
        return StoredRun(first, None, records, self._reader)

    @staticmethod
    def _key(item: Stored) -> tuple[int, int]:
        return item[0], item[1]


class JsonSessionStores:
    """The stores of the named JSON sessions of ``firms``, under ``directory``."""

    def __init__(
        self, directory: Path, firms: Iterable[FirmConfig], accounts: AccountRegistry
    ) -> None:
        self.accounts = accounts
        self.stores: dict[int, EventStore] = {}
        #: origin -> the session's config and its firm
        self.sessions: dict[int, tuple[str, SessionConfig]] = {}
        #: firm -> the origins of its named sessions
        self._of_firm: dict[str, list[int]] = {}
        for firm in firms:
            for session in firm.sessions:
                if session.protocol != PROTOCOL:
                    continue
                path = directory / firm.firm / f"{session.name}.events"
                self.stores[session.origin] = EventStore(path)
                self.sessions[session.origin] = (firm.firm, session)
                self._of_firm.setdefault(firm.firm, []).append(session.origin)
        #: account -> the named sessions of its firm (an order report is owed to them all),
        #: as of the registry's ``version`` noted
        self._owners: dict[str, tuple[int, ...]] = {}
        self._owners_version = -1

    def find(self, firm: str, name: str) -> SessionConfig | None:
        """The named JSON session ``name`` of ``firm``, if configured."""
        for session_firm, session in self.sessions.values():
            if session_firm == firm and session.name == name:
                return session
        return None

    def learn(self, events: Iterable[Event]) -> None:
        """Register the accounts opened by ``events`` with their firms."""
        for event in events:
            if isinstance(event, AccountOpened):
                self.accounts.register(event.firm, event.account)

    def apply(self, seq_no: int, origin: int, events: list[tuple[int, Event]]) -> EventsDelivered:
        """Store what the named sessions are owed of command ``seq_no``'s ``events`` (the
        contract); returns the newly stored reports, numbered, by session."""
        return self.apply_many([(seq_no, origin, events)])

    def apply_many(
        self, commands: list[tuple[int, int, list[tuple[int, Event]]]]
    ) -> EventsDelivered:
        """:meth:`apply` for several commands ``(seq_no, origin, events)`` in seq order, with
        one append per store."""
        if not self.stores:
            return {}
        owed: dict[int, list[Stored]] = {}
        sessions, of_firm, firm_of = self.sessions, self._of_firm, self.accounts.firm_of
        for seq_no, origin, events in commands:
            for sub, event in events:
                if isinstance(event, AccountOpened):
                    for target in self._targets(origin, event):
                        _add(owed, target, (seq_no, sub, firm_view(event)))
                    continue
                # ``_targets`` inline (a test holds the two to the same stores): an answer
                # (not owed to the owner's sessions) to a session that is not a named JSON
                # one is owed to nobody, decided before the account's firm is looked up
                where = address(origin, event)
                if where is None:
                    continue
                session, owner = where
                entry = sessions.get(session)
                if entry is None and not owner:
                    continue  # the FIX and OUCH sessions' acks
                account = getattr(event, "account", None)
                firm = firm_of(account) if isinstance(account, str) else None
                if firm is None:
                    continue
                item = (seq_no, sub, firm_view(event))
                if entry is not None and entry[0] == firm:
                    _add(owed, session, item)
                if owner:
                    for target in of_firm.get(firm, ()):
                        if target != session:
                            _add(owed, target, item)
        delivered: EventsDelivered = {}
        for target, items in owed.items():
            added = self.stores[target].append(items)
            if added:
                delivered[target] = StoredRun(added[0][0], [item for _, item in added])
        return delivered

    def apply_records(
        self, commands: list[Owed], rows: np.ndarray[Any, np.dtype[np.uint8]], at: list[int]
    ) -> EventsDelivered:
        """:meth:`apply_many` from the events' records as ring[events] had them: ``rows``
        (``engine.gateway.events_reader.ReportBatch.rows``: one per event, ``sub`` written in)
        and ``at[i]``, the row of the first event of ``commands[i]``. The same stores and
        numbers, with no event encoded again: each session's records are picked from
        ``rows`` and stored as they are, but for the header words and a hidden refusal
        (``engine.gateway.json_records``). ``tests/engine/test_out_batches.py`` holds it to
        :meth:`apply_many`."""
        if not self.stores:
            return {}
        accounts = self.accounts
        if self._owners_version != accounts.version:
            self._owners.clear()
            self._owners_version = accounts.version
        owners = self._owners
        picks = pick_rows(commands, at, self.sessions, owners, self._owners_of, self._targets)
        delivered: EventsDelivered = {}
        if not picks:
            return delivered
        # a small batch (an idle gateway's) is made ready and cut in Python: numpy's calls a
        # batch and a session cost more than that for a few records
        size = EVENT_RECORD_SIZE
        small = len(rows) <= json_records.SMALL_BATCH
        data = small_as_stored(rows) if small else b""
        stored = NO_ROWS if small else as_stored(rows)
        for target, picked in picks.items():
            if small:
                records = b"".join([data[i * size : i * size + size] for i in picked])
            else:
                records = stored[picked].tobytes()
            run = self.stores[target].append_records(records)
            if run is not None:
                delivered[target] = run
        return delivered

    def _owners_of(self, account: str) -> tuple[int, ...]:
        """The named sessions of the firm that owns ``account`` (noted in ``_owners`` until
        the registry changes)."""
        firm = self.accounts.firm_of(account)
        targets = tuple(self._of_firm.get(firm, ())) if firm is not None else ()
        self._owners[account] = targets
        return targets

    def _targets(self, origin: int, event: Event) -> list[int]:
        """The named sessions owed ``event`` of a command sent by ``origin``."""
        if isinstance(event, AccountOpened):
            self.accounts.register(event.firm, event.account)
        where = address(origin, event)
        account = getattr(event, "account", None)
        if where is None or not isinstance(account, str):
            return []
        firm = self.accounts.firm_of(account)
        if firm is None:
            return []
        session, owner = where
        targets: list[int] = []
        entry = self.sessions.get(session)
        if entry is not None and entry[0] == firm:
            targets.append(session)
        if owner:
            targets.extend(s for s in self._of_firm.get(firm, ()) if s != session)
        return targets

    def sync(self) -> None:
        for store in self.stores.values():
            store.sync()

    def close(self) -> None:
        for store in self.stores.values():
            store.close()


def first_number(requested: int, store: EventStore) -> int:
    """The first report a login asking for ``requested`` is sent: that one when it is stored;
    0, or one beyond what is stored: the next to be stored (only new reports)."""
    return requested if 1 <= requested <= store.count else store.next_number


class ReportCursor:
    """Where one connection of a named session stands in its store.

    ``next`` is the number of the next report the connection is owed. While it catches up,
    :meth:`backlog` hands out the stored reports from ``next`` on, a chunk at a time (the
    server writes each and waits for the socket to drain); reports stored meanwhile are not
    handed out by :meth:`fresh`, since the backlog reads them from the store. The call of
    :meth:`backlog` that finds nothing more stored makes the cursor live, in the same step:
    from then on :meth:`fresh` hands out each newly stored report, whose number is ``next``.
    Both run in the one event loop that stores the reports, so nothing can be stored between
    the last backlog read and going live: no gap, no duplicate.
    """

    def __init__(self, store: EventStore, first: int) -> None:
        self._store = store
        self.next = first
        self.live = False

    def backlog(self, limit: int) -> list[tuple[int, Stored]]:
        """Up to ``limit`` stored reports not yet handed out; empty once caught up (and live)."""
        first = self.next
        items = self._store.read(first, min(self._store.count, first + limit - 1))
        if not items:
            self.live = True
            return []
        self.next = first + len(items)
        return list(enumerate(items, first))

    def fresh(self, numbered: list[tuple[int, Stored]]) -> list[tuple[int, Stored]]:
        """Of the reports just stored, those to send now (none while catching up)."""
        if not self.live:
            return []
        out = [(n, item) for n, item in numbered if n >= self.next]
        if out:
            self.next = out[-1][0] + 1
        return out
