"""The out side's records (``engine.gateway.report_types``, an extension type when compiled)
behave as the plain dataclasses they replace, both builds: fields, equality, repr,
``dataclasses.replace`` / ``asdict`` / ``fields``, pickling; and ``fresh_reports`` (the
store's key check, compiled) takes what the loop it replaced took."""

from __future__ import annotations

import dataclasses
import pickle
from types import SimpleNamespace
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine import native
from engine.gateway import report_types
from engine.gateway.ouch_frames import render_many
from engine.gateway.outbound import LiveOrder, OrderReport, ReportKind
from engine.gateway.report_records import fresh_reports, pack_reports

_FIELDS = [
    "kind", "seq_no", "sub", "ts", "order_id", "account", "symbol", "side", "order_type", "tif",
    "post_only", "client_order_id", "orig_client_order_id", "order_qty", "price", "leaves_qty",
    "cum_qty", "cum_cost", "last_qty", "last_price", "exec_id", "liquidity", "reason",
    "priority_kept", "entered_seq",
]  # fmt: skip


def _report(**change: Any) -> OrderReport:
    report = OrderReport(ReportKind.TRADE, 12, 1, 6, 9, "A-1", "ACME", 1, 1, 1, True, "c1", "o",
                         10, 1000, 4, 6, 6000, 6, 1000, 3, 2)  # fmt: skip
    return dataclasses.replace(report, **change)


def test_a_report_is_a_dataclass_of_its_fields_in_order_with_their_defaults() -> None:
    report = _report()
    assert [f.name for f in dataclasses.fields(OrderReport)] == _FIELDS
    assert (report.reason, report.priority_kept, report.entered_seq) == (0, False, 0)
    assert list(dataclasses.asdict(report)) == _FIELDS
    assert repr(report).startswith("OrderReport(kind=<ReportKind.TRADE: 3>, seq_no=12, sub=1,")
    assert repr(report).endswith("priority_kept=False, entered_seq=0)")


def test_equality_replace_and_pickling_are_by_fields() -> None:
    report = _report()
    assert report == _report() and report != _report(sub=2)
    as_tuple: Any = dataclasses.astuple(report)
    assert report != as_tuple
    assert dataclasses.replace(report, sub=2).sub == 2 and report.sub == 1
    assert pickle.loads(pickle.dumps(report)) == report
    with pytest.raises(TypeError):
        hash(report)  # mutable, compared by value: unhashable, as the dataclass was
    odd: Any = _report(account=b"A-1", side=2.0, exec_id=2**70)  # a report takes what it is given
    assert (odd.account, odd.side, odd.exec_id) == (b"A-1", 2.0, 2**70)


def test_a_live_order_is_a_mutable_dataclass() -> None:
    order = LiveOrder(7, "A-1", "ACME", 1, 1, 1, False, "c1", "", 10, 1000, 10, 0, 0, 3)
    copy = dataclasses.replace(order)
    copy.client_order_id = "c2"
    assert order.client_order_id == "c1" and copy != order
    assert list(dataclasses.asdict(order).values())[:3] == [7, "A-1", "ACME"]
    assert LiveOrder(*dataclasses.astuple(order)) == order


def test_the_types_are_compiled_unless_pure_is_asked_for() -> None:
    compiled = not report_types.__file__.endswith(".py")
    assert compiled == (not native.pure_requested())


def _loop(items: list[Any], last_key: tuple[int, int], count: int) -> Any:
    """The key check ``ReportStore.append`` ran before ``fresh_reports``."""
    added, fresh = [], []
    last_seq, last_sub = last_key
    for r in items:
        seq_no, sub = r.seq_no, r.sub
        if seq_no < last_seq or (seq_no == last_seq and sub <= last_sub):
            continue
        last_seq, last_sub = seq_no, sub
        count += 1
        added.append((count, r))
        fresh.append(r)
    return added, fresh, (last_seq, last_sub)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.tuples(st.integers(0, 6), st.integers(-1, 3), st.booleans()), max_size=12),
    st.tuples(st.integers(0, 4), st.integers(-1, 2)),
    st.integers(0, 50),
)
def test_fresh_reports_takes_what_the_loop_took(
    keys: list[tuple[int, int, bool]], last_key: tuple[int, int], count: int
) -> None:
    items: list[Any] = [
        _report(seq_no=seq, sub=sub) if real else SimpleNamespace(seq_no=seq, sub=sub)
        for seq, sub, real in keys
    ]
    got = fresh_reports(items, last_key, count)
    want = _loop(items, last_key, count)
    assert got == want
    assert all(a[1] is b[1] for a, b in zip(got[0], want[0], strict=True))


@pytest.mark.parametrize("kind", [ReportKind.NEW, ReportKind.TRADE])
def test_a_look_alike_of_a_report_takes_the_reference_to_the_same_bytes(kind: ReportKind) -> None:
    """The compiled paths read an OrderReport's fields as C loads; anything else is read by
    the reference, as before (not refused)."""
    report = _report(kind=kind, order_type=2)
    duck = SimpleNamespace(**dataclasses.asdict(report))
    assert pack_reports([report, duck]) == pack_reports([duck, report])
    assert render_many([duck]) == render_many([report])
