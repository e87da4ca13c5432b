"""The out side's per-command loops for a batch of ring[events], compiled.

A batch of reports (``engine.gateway.events_reader.ReportBatch``) goes through four loops over
its commands before any report is stored: picking the commands this gateway sent
(:func:`sent_commands`, for ``LedgerFeed.reports``), projecting them into the sessions' order
reports (:func:`project_batch`, for ``ReportLedger.apply_many``), routing their events to the
named JSON sessions' stores (:func:`pick_rows`, for ``JsonSessionStores.apply_records``) and
counting what no JSON session hears (:func:`count_unheard`, for ``ledger_feed.unheard``).
Interpreted, they cost the gateway about a fifth of its out side. They are the same steps
here, compiled, with the items of the batch's tuples read by position.

References, held to these by ``tests/engine/test_out_batches.py`` (compiled and pure):
``ReportLedger.apply_many`` without records (the catch-up's and ``apply``'s path) for
:func:`project_batch` and :func:`pick_rows` (there the named sessions' stores encode the
events again, ``JsonSessionStores.apply_many``), and the JSON directory's own counting for
:func:`count_unheard`.
Pure: no I/O.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import cython

from engine.domain.types import (
    Accepted,
    AccountOpened,
    Cancelled,
    DayEnded,
    EndOfDay,
    Expired,
    Fill,
    Replaced,
    SessionNote,
    SessionNoted,
)
from engine.gateway.out_lane import project_into
from engine.session_ids import STABLE_BIT

#: the router's ORDER_REPORTS, tested one by one below (a pointer compare each); a test keeps
#: the two the same
UNHEARD_ORDER_REPORTS = (Fill, Cancelled, Replaced, Expired)

#: (the commands applied, the row of each one's first report, the last seq_no seen)
Sent = tuple[list[Any], list[int], int]
#: (owed events, their rows, the reports by session, the FIX sessions' notes)
Projected = tuple[list[Any], list[int], dict[int, list[Any]], dict[int, int]]


def sent_commands(commands: list[Any], sent: dict[int, tuple[Any, int]]) -> Sent:
    """Of ``commands`` (``(seq_no, origin, events, row)``), those in ``sent`` (seq_no ->
    ``(command, origin)``), as ``(seq_no, command, origin, events)``, with their rows and
    the last seq_no of the batch (0 for none)."""
    applied: list[Any] = []
    rows: list[int] = []
    last: object = 0
    item: tuple[Any, ...]
    entry: tuple[Any, ...]
    for item in commands:
        seq_no = item[0]
        last = seq_no
        found = sent.get(seq_no)
        if found is None:
            continue  # not ours (the setup's): no configured session is owed anything
        entry = found
        applied.append((seq_no, entry[0], entry[1], item[2]))
        rows.append(item[3])
    return applied, rows, last  # type: ignore[return-value]


def project_batch(ledger: Any, commands: list[Any], at: list[int] | None) -> Projected:
    """``ReportLedger.apply_many``'s loop over ``commands`` (``(seq_no, command, origin,
    events)``, in seq order): skip what is at or before ``ledger.through``, note the FIX
    sessions' sequence notes, project the rest into the sessions' reports and end the day
    of an EndOfDay that ended it. Returns the owed events (and, with ``at``, the row of the
    first fresh report of each), the reports by session and the notes; moves
    ``ledger.through``."""
    owed_events: list[Any] = []
    owed_at: list[int] = []
    by_origin: dict[int, list[Any]] = {}
    notes: dict[int, int] = {}
    projection = ledger.projection
    fix_origins = ledger.fix_origins
    through: tuple[int, int] = ledger.through
    through_seq: cython.longlong = through[0]
    index: cython.Py_ssize_t
    item: tuple[Any, ...]
    events: list[Any]
    fresh: list[Any]
    for index in range(len(commands)):
        item = commands[index]
        seq_no = item[0]
        cmd = item[1]
        origin = item[2]
        events = item[3]
        if seq_no > through_seq:  # the common case: a command not applied at all yet
            fresh = events
        else:
            fresh = [(sub, e) for sub, e in events if (seq_no, sub) > through]
        if not fresh:
            continue
        through = ledger.through = (seq_no, fresh[len(fresh) - 1][0])
        through_seq = seq_no
        kind = type(cmd)
        if kind is SessionNote and origin in fix_origins:
            # a FIX session's sequence note (a flush of it): no report, no store
            if any(type(e) is SessionNoted for _, e in fresh):
                ledger.fix_marks.apply(seq_no, cmd, origin)
                notes[origin] = seq_no
            continue
        owed_events.append((seq_no, origin, fresh))
        if at is not None:  # what was applied before is the head of the events
            owed_at.append(at[index] + len(events) - len(fresh))
        project_into(projection, cmd, origin, fresh, by_origin)
        if kind is EndOfDay and any(type(e) is DayEnded for _, e in fresh):
            ledger.day_ids.end_day(cmd.symbol, seq_no)
    return owed_events, owed_at, by_origin, notes


def count_unheard(commands: list[Any], register: Callable[[str, str], None]) -> int:
    """``ledger_feed.unheard``'s count over ``commands`` (``(seq_no, origin, events,
    row)``): each order report counts (seen by its owner's address, heard by no open
    session); an answer counts when it answers an anonymous session; an ``AccountOpened``
    of an anonymous session or of the setup is registered (``register(firm, account)``)."""
    dropped: cython.Py_ssize_t = 0
    item: tuple[Any, ...]
    stable: cython.longlong = STABLE_BIT
    for item in commands:
        origin: cython.longlong = item[1]
        # origin 0 is nobody's; a configured session is served from its store (for_json)
        anonymous: cython.bint = origin != 0 and not (origin & stable)
        for _, event in item[2]:
            kind = type(event)
            if kind is Fill or kind is Cancelled or kind is Replaced or kind is Expired:
                dropped += 1  # addressed to the owner too: always seen, never heard
            elif kind is AccountOpened:
                if anonymous or not origin:  # the setup's is seen (learnt), not counted
                    register(event.firm, event.account)
                    dropped += anonymous
            elif anonymous:
                dropped += 1
    return dropped


def pick_rows(
    commands: list[Any],
    at: list[int],
    sessions: Any,
    owners: dict[str, tuple[int, ...]],
    owners_of: Callable[[str], tuple[int, ...]],
    targets_of: Callable[[int, Any], list[int]],
) -> dict[int, list[int]]:
    """``JsonSessionStores.apply_records``' routing: for each named JSON session, the rows
    (``at[i]`` is the row of the first event of ``commands[i]``, ``(seq_no, origin,
    events)``) of the events it is owed. A fill or an expiry goes to the named sessions of
    the firm owning its account (``owners``, filled by ``owners_of``), and so does a cancel
    or a replace that no named session asked for; an ack only when it answers a named
    session; the rest as ``targets_of(origin, event)`` routes it (an
    ``AccountOpened`` empties ``owners``: an account's firm may have changed)."""
    picks: dict[int, list[int]] = {}
    item: tuple[Any, ...]
    ev: tuple[Any, ...]
    index: cython.Py_ssize_t
    row: cython.Py_ssize_t
    for index in range(len(commands)):
        item = commands[index]
        origin = item[1]
        row = at[index]
        answers_named: cython.bint = origin in sessions
        for _, event in item[2]:
            kind = type(event)
            if (
                kind is Fill
                or kind is Expired
                or (not answers_named and (kind is Cancelled or kind is Replaced))
            ):  # to the owner only (an answer too, when no named session asked): its firm's
                ev = cython.cast(tuple, event)
                account = ev[1]  # the account of the four (POSITIONS of out_lane)
                targets = owners.get(account)
                if targets is None:
                    targets = owners_of(account)
                for target in targets:
                    _pick(picks, target, row)
            elif kind is Accepted and not answers_named:
                pass  # a FIX or OUCH session's ack: not a named JSON session's
            else:  # the rest, and the rare kinds, as apply_many routes them
                for target in targets_of(origin, event):
                    _pick(picks, target, row)
                if kind is AccountOpened:
                    owners.clear()
            row += 1
    return picks


@cython.cfunc
def _pick(picks: dict[int, list[int]], target: Any, row: cython.Py_ssize_t) -> None:
    group = picks.get(target)
    if group is None:
        picks[target] = [row]
    else:
        group.append(row)
