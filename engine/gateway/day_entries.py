"""The entries of :class:`engine.gateway.clordids.DayClOrdIds`, and its OUCH hot path.

:class:`Entry` is one ClOrdID's (or one order's) latest report of the day;
:func:`note_tokens` is ``DayClOrdIds.note_tokens`` on the table's own dictionaries: the OUCH
out side runs it on every batch of stored reports (an entry per Enter Order), so it is
compiled (``engine.native``): the reports' fields are C loads
(``engine.gateway.report_types``) and an entry is built without a Python ``__init__``.
``engine.gateway.clordids`` documents what the entries mean; ``tests/engine/test_out_fast_paths.py``
holds :func:`note_tokens` to ``DayClOrdIds.note`` report by report, both builds.
"""

from __future__ import annotations

from typing import Any, Final

import cython

from engine.domain.types import RejectReason
from engine.gateway.report_types import ReportKind

if cython.compiled:
    from cython.cimports.engine.gateway.report_types import OrderReport
else:
    from engine.gateway.report_types import OrderReport

#: the reports that bring an OUCH token into use (its Enter's answer, or a replace's): the
#: only ones an OUCH session's day of tokens is fed (its fills name no new token)
TOKEN_KINDS: Final = frozenset(
    {ReportKind.NEW, ReportKind.REJECTED, ReportKind.REPLACED, ReportKind.REPLACE_REJECTED}
)
_REJECTED = ReportKind.REJECTED
_REPLACE_REJECTED = ReportKind.REPLACE_REJECTED
_LOCAL_REJECTED = ReportKind.LOCAL_REJECTED
#: reports that give a live order's state (``engine.gateway.clordids``'s ``_ORDER_KINDS``)
ORDER_KINDS: Final = frozenset(
    {ReportKind.NEW, ReportKind.TRADE, ReportKind.CANCELED, ReportKind.REPLACED, ReportKind.EXPIRED}
)
#: refusals of a cancel or a replace (``engine.gateway.clordids``'s ``_REQUEST_REFUSED``)
REQUEST_REFUSED: Final = frozenset({ReportKind.CANCEL_REJECTED, ReportKind.REPLACE_REJECTED})
_UNKNOWN_SYMBOL = RejectReason.UNKNOWN_SYMBOL


@cython.final
@cython.no_gc  # (its fields are numbers and strings: it is in no reference cycle)
@cython.freelist(64)
@cython.cclass
@cython.dataclasses.dataclass
class Entry:
    """A ClOrdID's (or an order's) latest report of the day."""

    #: its key: a ClOrdID, or an order id (``is_order``)
    key: str | int
    is_order: bool
    order_id: int
    #: the session's report that last named it
    number: int
    #: whose EndOfDay forgets it ("" = the next one of any symbol)
    day: str
    #: the seq_no of that report's command
    seq_no: int
    #: the report that made it (a rebuild reads from the smallest of these on)
    first: int


@cython.cfunc
def _new_entry(key: Any, order_id: Any, number: Any, day: Any, seq_no: Any) -> Entry:
    """``Entry(key, False, order_id, number, day, seq_no, number)``: a ClOrdID's entry."""
    return _entry_of(key, False, order_id, number, day, seq_no)


@cython.cfunc
def _entry_of(
    key: Any, is_order: cython.bint, order_id: Any, number: Any, day: Any, seq_no: Any
) -> Entry:
    """``Entry(key, is_order, order_id, number, day, seq_no, number)``."""
    if not cython.compiled:
        return Entry(key, bool(is_order), order_id, number, day, seq_no, number)
    entry: Entry = Entry.__new__(Entry)
    entry.key = key
    entry.is_order = bool(is_order)
    entry.order_id = order_id
    entry.number = number
    entry.day = day
    entry.seq_no = seq_no
    entry.first = number
    return entry


def note_tokens(
    used_of: dict[int, dict[str | int, Entry]],
    days_of_of: dict[int, dict[str, list[Entry]]],
    days: dict[str, int],
    last_end: Any,
    origin: Any,
    added: list[Any],
) -> None:
    """``DayClOrdIds.note_tokens(origin, added)`` on its tables: ``used_of`` (origin ->
    ClOrdID -> entry), ``days_of_of`` (origin -> day -> entries in the order they were
    made), ``days`` (symbol -> its last EndOfDay) and ``last_end`` (the last of any).
    ``added``: ``(number, report)`` pairs of a store's reports (compiled, anything but an
    OrderReport is a TypeError)."""
    used: dict[str | int, Entry] | None = None
    days_of: dict[str, list[Entry]] | None = None
    entry: Entry | None
    report: OrderReport
    item: Any
    for item in added:
        number, got = item
        if cython.compiled and type(got) is not OrderReport:
            raise TypeError(f"not an OrderReport: {got!r}")  # (a store's reports are)
        report = got  # compiled: its fields are C loads
        kind = report.kind
        clid = report.client_order_id
        if kind not in TOKEN_KINDS or not clid:
            continue
        symbol = report.symbol
        if kind is _REJECTED:
            day = "" if report.reason == _UNKNOWN_SYMBOL else symbol
            order_id = 0
        else:
            day = symbol
            order_id = 0 if kind is _REPLACE_REJECTED and not symbol else report.order_id
        seq_no = report.seq_no
        if seq_no <= (days.get(day, 0) if day else last_end):
            continue  # of a day that has ended
        if used is None:
            used = used_of.setdefault(origin, {})
        entry = used.get(clid)
        if entry is not None and entry.day == day:
            entry.order_id, entry.number, entry.seq_no = order_id, number, seq_no
            continue
        entry = used[clid] = _new_entry(clid, order_id, number, day, seq_no)
        if days_of is None:
            days_of = days_of_of.setdefault(origin, {})
        days_of.setdefault(day, []).append(entry)


def note_order(
    used_of: dict[int, dict[str | int, Entry]],
    orders_of: dict[int, dict[str | int, Entry]],
    days_of_of: dict[int, dict[str, list[Entry]]],
    days: dict[str, int],
    last_end: Any,
    origin: Any,
    number: Any,
    got: Any,
) -> None:
    """``DayClOrdIds.note(origin, number, report)`` (a FIX session's report: its ClOrdID
    and its order's latest state) on the table's dictionaries: ``used_of`` and ``orders_of``
    (origin -> ClOrdID, or order id, -> entry) and the rest as :func:`note_tokens` has them.
    The FIX out side runs it on every stored report (compiled, anything but an OrderReport
    is a TypeError)."""
    if cython.compiled and type(got) is not OrderReport:
        raise TypeError(f"not an OrderReport: {got!r}")
    report: OrderReport = got
    kind = report.kind
    clid = report.client_order_id
    if kind is _LOCAL_REJECTED or not clid:
        return
    symbol = report.symbol
    day = "" if kind is _REJECTED and report.reason == _UNKNOWN_SYMBOL else symbol
    seq_no = report.seq_no
    if seq_no <= (days.get(day, 0) if day else last_end):
        return  # of a day that has ended
    is_order = kind in ORDER_KINDS
    named = is_order or (kind in REQUEST_REFUSED and symbol)
    order_id = report.order_id if named else 0
    _remember(used_of, days_of_of, origin, clid, False, order_id, number, day, seq_no)
    if is_order:
        _remember(orders_of, days_of_of, origin, order_id, True, order_id, number, day, seq_no)


@cython.cfunc
def _remember(
    tables: dict[int, dict[str | int, Entry]],
    days_of_of: dict[int, dict[str, list[Entry]]],
    origin: Any,
    key: Any,
    is_order: cython.bint,
    order_id: Any,
    number: Any,
    day: Any,
    seq_no: Any,
) -> cython.void:
    """``DayClOrdIds._remember``: the entry of ``key`` now names this report, or a new entry
    when it has none of this day."""
    table = tables.get(origin)
    if table is None:
        table = tables[origin] = {}
    entry: Entry | None = table.get(key)
    if entry is not None and entry.day == day:
        entry.order_id, entry.number, entry.seq_no = order_id, number, seq_no
        return
    entry = table[key] = _entry_of(key, is_order, order_id, number, day, seq_no)
    days_of = days_of_of.get(origin)
    if days_of is None:
        days_of = days_of_of[origin] = {}
    listed = days_of.get(day)
    if listed is None:
        listed = days_of[day] = []
    listed.append(entry)
