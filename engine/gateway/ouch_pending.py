"""``OuchOrders``' loops over a batch of orders or reports, compiled (``engine.native``).

They work on its two tables (``pending``: the NewOrders sent and not answered yet;
``replacing``: the replacement tokens of the replaces sent and not answered yet), and
:class:`engine.gateway.ouch_orders.OuchOrders` documents what each does: :func:`answered` is
the body of ``OuchOrders.answered`` (every report of every OUCH batch, the reports' fields read
with C loads, ``engine.gateway.report_types``), :func:`enter_all` of ``OuchOrders.enter_all``
and :func:`sequence_all` of ``OuchOrders.sequenced`` (every order of every read).
``tests/engine/test_ouch_tokens.py`` and the OUCH gateway tests exercise them through
``OuchOrders``, both builds.
"""

from __future__ import annotations

from typing import Any

import cython

from engine.domain.types import NewOrder
from engine.gateway.report_types import ReportKind
from engine.gateway.stamping import with_seq_no

if cython.compiled:
    from cython.cimports.engine.gateway.report_types import OrderReport
else:
    from engine.gateway.report_types import OrderReport

_NEW = ReportKind.NEW
_REJECTED = ReportKind.REJECTED
_REPLACED = ReportKind.REPLACED
_REPLACE_REJECTED = ReportKind.REPLACE_REJECTED


def answered(
    pending: dict[tuple[int, str], Any], replacing: set[tuple[int, str]], origin: Any,
    numbered: list[Any],
) -> None:  # fmt: skip
    """Reports ``numbered`` (``(number, report)`` pairs of a store's reports; compiled,
    anything but an OrderReport is a TypeError) were stored for session ``origin``: its
    orders' answers end their pendency."""
    report: OrderReport
    item: Any
    if replacing:
        for item in numbered:
            report = _report(item)
            kind = report.kind
            if kind is _REPLACED or kind is _REPLACE_REJECTED:
                # the ledger noted its token before this: still taken, by the day now
                replacing.discard((origin, report.client_order_id))
    if not pending:
        return
    for item in numbered:
        report = _report(item)
        kind = report.kind
        if kind is _NEW or kind is _REJECTED:
            key = (origin, report.client_order_id)
            entered = pending.get(key)
            if entered is None:
                continue
            # its answer (unsequenced here only if the answer came while a full ring
            # held the rest of its batch back: then it is the one); a pending NewOrder's
            # seq_no is its first item (a C load, not the NamedTuple's descriptor)
            if isinstance(entered, NewOrder):
                seq_no = cython.cast(tuple, entered)[0]
            else:
                seq_no = entered.seq_no
            if seq_no == 0 or seq_no == report.seq_no:
                del pending[key]  # the projection has it now, or it is gone


@cython.cfunc
def _report(item: Any) -> OrderReport:
    """The report of a ``(number, report)`` pair, checked to be an OrderReport (compiled)."""
    got = item[1]
    if cython.compiled and type(got) is not OrderReport:
        raise TypeError(f"not an OrderReport: {got!r}")  # (a store's reports are)
    report: OrderReport = got
    return report


def enter_all(
    pending: dict[tuple[int, str], Any],
    replacing: set[tuple[int, str]],
    by_token: dict[tuple[int, str], int],
    taken: Any,
    origin: Any,
    scanned: list[Any],
    over: Any,
    now: Any,
    commands: list[Any],
    refuse: Any,
) -> None:
    """Each NewOrder of ``scanned`` in turn: refused (``refuse(token)``) when ``over(now)``;
    ignored when session ``origin`` used its token today (pending, ``taken(origin, token)``,
    a replacement token in flight, or a live order's, ``by_token``); else pending from now on
    and appended to ``commands``."""
    item: tuple[Any, ...]
    for entered in scanned:
        item = cython.cast(tuple, entered)
        token = item[10]  # NewOrder.client_order_id (as out_lane.POSITIONS, which is tested)
        if over(now):
            refuse(token)
            continue
        key = (origin, token)
        if key in pending or taken(origin, token) or key in replacing or key in by_token:
            continue
        pending[key] = entered
        commands.append(entered)


def sequence_all(
    pending: dict[tuple[int, str], Any], origin: Any, commands: list[Any], seq_nos: list[int]
) -> None:
    """The batch ``commands`` is in ring[in] as ``seq_nos``: each pending NewOrder of it
    (still the one sent: gone already if its answer came while a full ring held the batch
    back) is replaced by itself with its seq_no."""
    if len(commands) != len(seq_nos):
        raise ValueError(f"{len(commands)} commands for {len(seq_nos)} seq_nos")
    index: cython.Py_ssize_t
    for index in range(len(commands)):
        command: NewOrder = commands[index]
        if type(command) is not NewOrder:
            continue
        key = (origin, cython.cast(tuple, command)[10])  # client_order_id: out_lane.POSITIONS
        sent = pending.get(key)
        if sent is command:
            pending[key] = with_seq_no(command, seq_nos[index])
