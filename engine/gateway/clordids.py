"""The ClOrdIDs each FIX session (and the tokens each OUCH session) used today: a function of
its report store (pure, no I/O).

FIX asks that a ClOrdID(11) be unique among a session's requests of a trading day, and a
client that reconnects may resend its queue (PossDupFlag(43)=Y or PossResend(97)=Y): an order
that already ended must not be entered twice. :class:`DayClOrdIds` remembers, per session,
every ClOrdID its stored reports name (``note``, fed every report appended to a FIX
session's store, ``engine.gateway.report_store``), the order it named, and the number of the
latest report of each of the session's orders (its current state, for a status answer).

Which reports name a ClOrdID, and which order:

* NEW, TRADE, CANCELED, REPLACED, EXPIRED: ``client_order_id`` names ``order_id`` (after a
  replace or a cancel, the request's own ClOrdID); these also move the order's latest report;
* REJECTED (a NewOrder refused by the exchange): the ClOrdID names no order (0);
* CANCEL_REJECTED, REPLACE_REJECTED: the request's ClOrdID names the order, or none when the
  order was not a live order of the session (no symbol);
* LOCAL_REJECTED (a message the gateway refused, journaled as a note): nothing; the refused
  message never named an order.

**The day.** EndOfDay is one symbol's (``engine.domain.types.EndOfDay``), so each entry has
the day of its report's symbol: :meth:`end_day` ``(symbol, seq_no)`` forgets that symbol's
entries noted at or before ``seq_no``. A request about no listed symbol (a NewOrder refused
as ``unknown_symbol``, a cancel of an unknown order) belongs to no symbol's day: the next
EndOfDay of any symbol forgets it. A GTC order that outlives its day keeps its current
ClOrdID through the outbound projection's live-order table, which the gateway also checks.
Memory: an entry per ClOrdID and per order of the sessions' current days.

**OUCH tokens.** OUCH 4.2 asks that an order token be day-unique per session, and lets a
client repeat any inbound message benignly: an Enter Order or a Replace Order whose (new)
token the session used today is ignored. The same table keeps each OUCH session's tokens
(``note(..., orders=False)``, fed only the reports of :data:`TOKEN_KINDS`), with the same
days, EndOfDay and rebuild; :meth:`taken` is the one lookup per order.

:meth:`engine.gateway.ledger.ReportLedger.known` turns an entry into a :class:`Known` (the
order, its current state report). Between the gateway sending a command and the ledger
applying its reports, :class:`InFlight` knows its ClOrdID instead.

**Restarts.** The stores are a function of the journal (``engine.gateway.ledger``), so this
is too: :meth:`state` (the last EndOfDay of each symbol, and per session the first report
number that can still name an entry) is saved with the ledger's position, and on open the
ledger notes again every stored report from that number on that :meth:`in_day` keeps. An
entry is forgotten by the ``seq_no`` of its latest report, so a replay (catch-up) of an
EndOfDay the stores had already gone past forgets exactly what the live gateway forgot.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from typing import Any, Final

from engine.domain.types import CancelOrder, Command, NewOrder, RejectReason, ReplaceOrder
from engine.gateway.day_entries import TOKEN_KINDS as TOKEN_KINDS
from engine.gateway.day_entries import Entry, note_order, note_tokens
from engine.gateway.outbound import OrderReport, ReportKind

#: reports that give an order's state (what a status answer renders)
STATE_KINDS: Final = frozenset(
    {
        ReportKind.NEW,
        ReportKind.TRADE,
        ReportKind.CANCELED,
        ReportKind.REPLACED,
        ReportKind.EXPIRED,
        ReportKind.REJECTED,
    }
)
_ORDER_KINDS: Final = STATE_KINDS - {ReportKind.REJECTED}
_REQUEST_REFUSED: Final = frozenset({ReportKind.CANCEL_REJECTED, ReportKind.REPLACE_REJECTED})


@dataclass(frozen=True, slots=True)
class Used:
    """What a ClOrdID of the session named today."""

    #: the order it named (0: none, e.g. a NewOrder the exchange refused)
    order_id: int
    #: the number of the session's report with that order's current state (or the refused
    #: NewOrder's), None when there is none to show
    state_report: int | None


@dataclass(frozen=True, slots=True)
class Known:
    """A ClOrdID a session used today, as the gateway answers about it."""

    #: the order it named (0: none)
    order_id: int
    #: that order's current state (or the refused NewOrder's report); None when there is
    #: none to show
    state: OrderReport | None
    #: its command is still being sequenced (no state yet)
    in_flight: bool = False


def day_of(report: OrderReport) -> str:
    """The symbol whose EndOfDay ends the report's day ("" = none: the next one of any)."""
    if report.kind is ReportKind.REJECTED and report.reason == RejectReason.UNKNOWN_SYMBOL:
        return ""
    return report.symbol


def _named_order(report: OrderReport) -> int:
    if report.kind in _ORDER_KINDS:
        return report.order_id
    if report.kind in _REQUEST_REFUSED and report.symbol:
        return report.order_id
    return 0


class DayClOrdIds:
    """The ClOrdIDs of the FIX sessions' current days; see the module docstring."""

    def __init__(self) -> None:
        #: symbol -> seq_no of its last EndOfDay
        self.days: dict[str, int] = {}
        #: the last EndOfDay of any symbol (the end of the day of "")
        self._last_end = 0
        #: origin -> ClOrdID -> what it named
        self._used: dict[int, dict[str | int, Entry]] = {}
        #: origin -> order id -> the order's latest state report
        self._orders: dict[int, dict[str | int, Entry]] = {}
        #: origin -> day -> its entries in the order they were made (an EndOfDay reads only
        #: its own; an entry whose day changed, or that is gone, is skipped there)
        self._days_of: dict[int, dict[str, list[Entry]]] = {}

    def note(self, origin: int, number: int, report: OrderReport, *, orders: bool = True) -> None:
        """Report ``number`` of session ``origin``'s store is ``report`` (one of a day that
        has ended is not noted: a rebuild reads a little before the current day). Without
        ``orders`` only the ClOrdID is noted, not its order's latest report: an OUCH
        session's day-unique tokens (``engine.gateway.ouch_orders``) need no status."""
        if orders:  # a FIX session's: compiled (engine.gateway.day_entries.note_order)
            note_order(
                self._used, self._orders, self._days_of, self.days, self._last_end,
                origin, number, report,
            )  # fmt: skip
            return
        if report.kind is ReportKind.LOCAL_REJECTED or not report.client_order_id:
            return
        if not self.in_day(report):
            return
        order_id = _named_order(report)
        self._remember(origin, report.client_order_id, False, order_id, number, report)

    def note_tokens(self, origin: int, added: list[tuple[int, OrderReport]]) -> None:
        """``note(origin, number, report, orders=False)`` for each report of
        :data:`TOKEN_KINDS` in ``added`` (numbered, in order), in one pass: the OUCH out side
        runs it on every batch, so the lookups of ``in_day``, ``day_of``, ``_named_order``
        and ``_remember`` are made once per report, not through four calls, in compiled code
        (``engine.gateway.day_entries.note_tokens``)."""
        note_tokens(self._used, self._days_of, self.days, self._last_end, origin, added)

    def _remember(
        self, origin: int, key: str | int, is_order: bool, order_id: int, number: int,
        report: OrderReport,
    ) -> None:  # fmt: skip
        table = (self._orders if is_order else self._used).setdefault(origin, {})
        day, entry = day_of(report), table.get(key)
        if entry is not None and entry.day == day:
            entry.order_id, entry.number, entry.seq_no = order_id, number, report.seq_no
            return
        entry = table[key] = Entry(key, is_order, order_id, number, day, report.seq_no, number)
        self._days_of.setdefault(origin, {}).setdefault(day, []).append(entry)

    def used(self, origin: int, client_order_id: str) -> Used | None:
        """What ``client_order_id`` named today on session ``origin``, if it was used."""
        entry = self._used.get(origin, {}).get(client_order_id)
        if entry is None:
            return None
        if entry.order_id == 0:
            return Used(0, entry.number)  # a refused NewOrder's report is its state
        latest = self._orders.get(origin, {}).get(entry.order_id)
        return Used(entry.order_id, None if latest is None else latest.number)

    def taken(self, origin: int, client_order_id: str) -> bool:
        """Whether session ``origin`` used ``client_order_id`` today (one lookup: the OUCH
        hot path asks it of every order)."""
        used = self._used.get(origin)
        return used is not None and client_order_id in used

    def end_day(self, symbol: str, seq_no: int) -> None:
        """EndOfDay ``seq_no`` of ``symbol``: forget the entries of that day (and those of
        no symbol's day) noted at or before it."""
        if seq_no <= self.days.get(symbol, 0):
            return  # already ended (a replay)
        self.days[symbol] = seq_no
        self._last_end = max(self._last_end, seq_no)
        for origin, days in self._days_of.items():
            for day in {symbol, ""} & days.keys():
                kept: list[Entry] = []
                for entry in days.pop(day):
                    table = (self._orders if entry.is_order else self._used)[origin]
                    if entry.day != day or table.get(entry.key) is not entry:
                        continue  # moved to another day, or replaced
                    if entry.seq_no <= seq_no:
                        del table[entry.key]
                    else:
                        kept.append(entry)
                if kept:
                    days[day] = kept

    def in_day(self, report: OrderReport) -> bool:
        """Whether a stored ``report`` belongs to the current day of its symbol."""
        day = day_of(report)
        floor = self.days.get(day, 0) if day else self._last_end
        return report.seq_no > floor

    def read_from(self, origin: int, count: int) -> int:
        """The first report number of session ``origin`` a rebuild reads (``count``: how many
        its store holds now, from which on nothing is noted yet). Each day's entries are in
        the order they were made, so its first made is its oldest: O(days)."""
        firsts = [entries[0].first for entries in self._days_of.get(origin, {}).values()]
        return min(firsts, default=count + 1)

    def __len__(self) -> int:
        return sum(len(t) for t in self._used.values())

    # -- state ------------------------------------------------------------------------------

    def state(self, counts: dict[int, int]) -> dict[str, Any]:
        """What a rebuild needs (JSON-able): the days, and per session the first report to
        read again (``counts``: each session's stored count, for a session with nothing)."""
        return {
            "days": dict(sorted(self.days.items())),
            "from": {str(o): self.read_from(o, n) for o, n in sorted(counts.items())},
        }

    def restore_days(self, state: dict[str, Any]) -> dict[int, int]:
        """Take the days of :meth:`state`; returns its first report number per session."""
        self.days = {str(s): int(q) for s, q in state.get("days", {}).items()}
        self._last_end = max(self.days.values(), default=0)
        return {int(o): int(n) for o, n in state.get("from", {}).items()}


class InFlight:
    """The ClOrdIDs each session sent to be sequenced whose reports the ledger has not
    applied yet: between the two, :class:`DayClOrdIds` cannot know them. Entries go once the
    ledger is through their command (checked on every look-up). A session's commands are
    sent in seq_no order, so each session's entries wait in that order in a queue, and a
    look-up drops only those the ledger is through: O(1) amortised, however many are in
    flight (thousands, for a session sending tens of thousands of orders a second)."""

    def __init__(self) -> None:
        #: origin -> ClOrdID -> (its command's seq_no, the order it names, the NewOrder)
        self._sent: dict[int, dict[str, tuple[int, int, NewOrder | None]]] = {}
        #: origin -> (seq_no, ClOrdID) of its entries, in the order they were sent
        self._order: dict[int, deque[tuple[int, str]]] = {}

    def sent(self, origin: int, seq_no: int, cmd: Command) -> None:
        """Session ``origin`` sent ``cmd``, sequenced as ``seq_no`` (a NewOrder's order id is
        its seq_no; a cancel's or a replace's ClOrdID names the order it acts on)."""
        if isinstance(cmd, NewOrder):
            self._sent.setdefault(origin, {})[cmd.client_order_id] = (seq_no, seq_no, cmd)
        elif isinstance(cmd, CancelOrder | ReplaceOrder):
            sent = self._sent.setdefault(origin, {})
            # the order's own NewOrder, when it is in flight too
            entering = next((e[2] for e in sent.values() if e[2] and e[0] == cmd.order_id), None)
            sent[cmd.client_order_id] = (seq_no, cmd.order_id, entering)
        else:
            return
        order = self._order.get(origin)
        if order is None:
            order = self._order[origin] = deque()
        order.append((seq_no, cmd.client_order_id))

    def get(self, origin: int, client_order_id: str, through_seq: int) -> Known | None:
        """The order ``client_order_id`` names if it is in flight (the ledger has applied the
        reports of every command up to ``through_seq``)."""
        hit = self._entry(origin, client_order_id, through_seq)
        return None if hit is None else Known(hit[1], None, in_flight=True)

    def order(
        self, origin: int, client_order_id: str, through_seq: int
    ) -> tuple[int, NewOrder | None] | None:
        """What a cancel or a replace naming ``client_order_id`` (OrigClOrdID) acts on while
        that ClOrdID is in flight: the order's id, and the NewOrder that enters it if that
        was in flight too when the ClOrdID was sent (None: the order was live)."""
        hit = self._entry(origin, client_order_id, through_seq)
        return None if hit is None else (hit[1], hit[2])

    def _entry(
        self, origin: int, client_order_id: str, through_seq: int
    ) -> tuple[int, int, NewOrder | None] | None:
        sent = self._sent.get(origin)
        if not sent:
            return None
        order = self._order[origin]
        while order and order[0][0] <= through_seq:
            seq, done = order.popleft()
            entry = sent.get(done)
            if entry is not None and entry[0] == seq:  # not sent again since, with a later one
                del sent[done]
        return sent.get(client_order_id)
