"""The out side's fast paths held to their references: ``DayClOrdIds.note_tokens`` to
``note(..., orders=False)`` report by report, and ``ReportStore.append`` to the generic
``NumberedStore.append`` (same numbers, same file bytes), on random report streams with
EndOfDays, replays and gaps in between."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from engine.domain.types import RejectReason
from engine.gateway import clordids
from engine.gateway.clordids import TOKEN_KINDS, DayClOrdIds
from engine.gateway.outbound import OrderReport, ReportKind
from engine.gateway.report_store import NumberedStore, ReportStore

SYMBOLS = ("", "ACME", "BOLT")
ORIGINS = (3, 4)


@st.composite
def _reports(draw: st.DrawFn) -> OrderReport:
    kind = draw(st.sampled_from(list(ReportKind)))
    reason = draw(st.sampled_from([0, int(RejectReason.UNKNOWN_SYMBOL), 1, 2]))
    return OrderReport(
        kind, draw(st.integers(1, 40)), draw(st.integers(0, 3)), draw(st.integers(0, 2**40)),
        draw(st.integers(0, 40)), draw(st.sampled_from(["A-1", "B-22"])),
        draw(st.sampled_from(SYMBOLS)), draw(st.integers(1, 2)), draw(st.integers(1, 3)),
        draw(st.integers(0, 4)), draw(st.booleans()), draw(st.sampled_from(["", "t1", "t2", "t3"])),
        draw(st.sampled_from(["", "t0"])), draw(st.integers(0, 10**6)),
        draw(st.integers(-(10**9), 10**9)), draw(st.integers(0, 10**6)),
        draw(st.integers(0, 10**6)), draw(st.integers(0, 10**12)), draw(st.integers(0, 99)),
        draw(st.integers(0, 10**6)), draw(st.integers(0, 10**6)), draw(st.integers(0, 2)),
        reason, draw(st.booleans()), draw(st.integers(0, 40)),
    )  # fmt: skip


#: a step: ("note", origin, [(number, report)]) or ("end", symbol, seq_no)
_steps = st.lists(
    st.one_of(
        st.tuples(
            st.just("note"),
            st.sampled_from(ORIGINS),
            st.lists(st.tuples(st.integers(1, 60), _reports()), max_size=6),
        ),
        st.tuples(st.just("end"), st.sampled_from(SYMBOLS[1:]), st.integers(1, 40)),
    ),
    max_size=25,
)


def _view(ids: DayClOrdIds) -> Any:
    def entries(tables: dict[int, dict[Any, Any]]) -> Any:
        return {
            origin: {k: (e.key, e.order_id, e.number, e.day, e.seq_no, e.first)
                     for k, e in table.items()}
            for origin, table in tables.items()
        }  # fmt: skip

    days_of = {
        origin: {day: [(e.key, e.number, e.seq_no) for e in es] for day, es in days.items()}
        for origin, days in ids._days_of.items()
    }
    return ids.days, entries(ids._used), entries(ids._orders), days_of, len(ids)


@settings(max_examples=300, deadline=None)
@given(_steps)
def test_noting_a_batch_of_tokens_is_noting_each_token_report(steps: list[Any]) -> None:
    fast, reference = DayClOrdIds(), DayClOrdIds()
    for step in steps:
        if step[0] == "end":
            fast.end_day(step[1], step[2])
            reference.end_day(step[1], step[2])
            continue
        _, origin, added = step
        fast.note_tokens(origin, added)
        for number, report in added:
            if report.kind in TOKEN_KINDS:
                reference.note(origin, number, report, orders=False)
        assert _view(fast) == _view(reference)
        for token in ("", "t1", "t2", "t3"):
            assert fast.taken(origin, token) == reference.taken(origin, token)
        assert fast.read_from(origin, 99) == reference.read_from(origin, 99)


class _EachReportInPython(DayClOrdIds):
    """The reference of a FIX session's ``note``: the table's own Python steps."""

    def note(self, origin: int, number: int, report: OrderReport, *, orders: bool = True) -> None:
        if report.kind is ReportKind.LOCAL_REJECTED or not report.client_order_id:
            return
        if not self.in_day(report):
            return
        order_id = clordids._named_order(report)
        self._remember(origin, report.client_order_id, False, order_id, number, report)
        if orders and report.kind in clordids._ORDER_KINDS:
            self._remember(origin, order_id, True, order_id, number, report)


@settings(max_examples=300, deadline=None)
@given(_steps)
def test_noting_a_fix_sessions_report_in_c_is_noting_it_step_by_step(steps: list[Any]) -> None:
    fast, reference = DayClOrdIds(), _EachReportInPython()
    for step in steps:
        if step[0] == "end":
            fast.end_day(step[1], step[2])
            reference.end_day(step[1], step[2])
            continue
        _, origin, added = step
        for number, report in added:
            fast.note(origin, number, report)
            reference.note(origin, number, report)
        assert _view(fast) == _view(reference)
        for table in ("_used", "_orders"):
            kinds = [{k: e.is_order for k, e in t.items()} for t in getattr(fast, table).values()]
            assert kinds == [
                {k: e.is_order for k, e in t.items()} for t in getattr(reference, table).values()
            ]
        for clid in ("", "t1", "t2", "t3"):
            assert fast.used(origin, clid) == reference.used(origin, clid)
        assert fast.read_from(origin, 99) == reference.read_from(origin, 99)


class _GenericStore(ReportStore):
    """The reference: the generic loop over ``_key`` and ``_encode``."""

    def append(self, items: list[OrderReport]) -> list[tuple[int, OrderReport]]:
        return NumberedStore.append(self, items)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.lists(_reports(), max_size=8), max_size=8), st.booleans())
def test_a_report_store_appends_what_the_generic_store_appends(
    batches: list[list[OrderReport]], reopen: bool
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        fast_path, ref_path = Path(tmp, "fast.reports"), Path(tmp, "ref.reports")
        fast, ref = ReportStore(fast_path), _GenericStore(ref_path)
        for i, batch in enumerate(batches):
            assert fast.append(batch) == ref.append(batch)
            assert (fast.count, fast.last_key) == (ref.count, ref.last_key)
            if reopen and i % 3 == 2:
                fast.close()
                ref.close()
                fast, ref = ReportStore(fast_path), _GenericStore(ref_path)
        fast.close()
        ref.close()
        assert fast_path.read_bytes() == ref_path.read_bytes()
