"""``OuchOrders.answered``'s loop over a batch of stored reports, compiled (``engine.native``).

:func:`answered` is the body of :meth:`engine.gateway.ouch_orders.OuchOrders.answered` on its
two tables (``pending``: the NewOrders sent and not answered yet; ``replacing``: the
replacement tokens of the replaces sent and not answered yet), which documents what it does.
It runs for every report of every OUCH batch, so the reports' fields are read with C loads
(``engine.gateway.report_types``). ``tests/engine/test_ouch_tokens.py`` and the OUCH gateway
tests exercise it through ``OuchOrders``, both builds.
"""

from __future__ import annotations

from typing import Any

import cython

from engine.gateway.report_types import ReportKind

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
            # its answer (unsequenced here only if the answer came while a full ring
            # held the rest of its batch back: then it is the one)
            if entered is not None and entered.seq_no in (0, report.seq_no):
                del pending[key]  # the projection has it now, or it is gone


@cython.cfunc
def _report(item: Any) -> OrderReport:
    """The report of a ``(number, report)`` pair, checked to be an OrderReport (compiled)."""
    got = item[1]
    if cython.compiled and type(got) is not OrderReport:
        raise TypeError(f"not an OrderReport: {got!r}")  # (a store's reports are)
    report: OrderReport = got
    return report
