"""An ExecutionReport's body written by C stores (``engine.gateway.fix_written``) is the body
from Python's texts (``fix_frames._text_body``) byte for byte, for reports whose numbers run
over int64's whole range and past it, prices and AvgPx at the C sums' limits, and texts of
every width; and ``report_body`` is still the reference renderer's body
(``test_fix_frames.py`` holds that for random reports of every kind). Compiled, this compares
the C writer with the texts; in the SEQUEX_PURE run ``written`` is None and the texts are
compared with themselves (``report_body`` with the reference all the same)."""

from __future__ import annotations

from dataclasses import replace

from hypothesis import given, settings
from hypothesis import strategies as st

from engine import native
from engine.domain.types import CancelReason
from engine.gateway import fix_frames, fix_written
from engine.gateway.fix_frames import report_body
from engine.gateway.fix_render import NO_ID, NO_SYMBOL, render
from engine.gateway.outbound import OrderReport, ReportKind
from engine.protocols.fix.outbound import Outbound
from engine.protocols.fix.store import MemoryStore
from tests.engine.protocols.fix.peer import T0
from tests.engine.test_fix_render import CASES

_I64 = 2**63
_EDGES = [0, 1, -1, 9, 10, 99, 100, 9_999, 10_000, 10_001, -10_000, _I64 - 1, -_I64, _I64]
_EDGES += [40_000_000_000, 40_000_000_001, -40_000_000_000, -40_000_000_001]
_EDGES += [100_000_000_000, 100_000_000_001, 12_345_678, 2**62]
_NUMBER = st.one_of(
    st.integers(0, 10**7),
    st.integers(-(10**12), 10**12),
    st.integers(-_I64, _I64 - 1),
    st.sampled_from(_EDGES),
    st.integers(-(2**70), 2**70),
)
_TEXT = st.one_of(
    st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126), max_size=20),
    st.text(alphabet=st.characters(min_codepoint=2, max_codepoint=255), max_size=8),
    st.sampled_from(["", "NONE", "x\u20ac", "ab\x01", "A" * 900]),
)
_KINDS = [ReportKind.NEW, ReportKind.TRADE, ReportKind.CANCELED, ReportKind.REPLACED]
_KINDS += [ReportKind.EXPIRED]


@st.composite
def _reports(draw: st.DrawFn) -> OrderReport:
    base = CASES[draw(st.sampled_from(["new", "trade", "canceled", "replaced", "market"]))]
    return replace(
        base,
        kind=draw(st.sampled_from(_KINDS)),
        order_id=draw(_NUMBER), seq_no=draw(_NUMBER), sub=draw(_NUMBER),
        order_qty=draw(_NUMBER), price=draw(_NUMBER), leaves_qty=draw(_NUMBER),
        cum_qty=draw(_NUMBER), cum_cost=draw(_NUMBER), last_qty=draw(_NUMBER),
        last_price=draw(_NUMBER), entered_seq=draw(_NUMBER),
        ts=draw(st.one_of(st.integers(0, _I64 - 1), st.just(T0))),
        client_order_id=draw(_TEXT), symbol=draw(_TEXT), account=draw(_TEXT),
        orig_client_order_id=draw(_TEXT),
        reason=draw(st.sampled_from([0, int(CancelReason.USER), int(CancelReason.SELF_TRADE)])),
        side=draw(st.sampled_from([1, 2])),
    )  # fmt: skip


def _texts(r: OrderReport) -> bytes:
    """``fix_frames._text_body`` with the arguments ``report_body`` gives it."""
    requested = r.kind is ReportKind.REPLACED or (
        r.kind is ReportKind.CANCELED and r.reason in fix_frames._REQUESTED
    )
    orig = (r.orig_client_order_id or "") if requested else ""
    tif = fix_frames._TIF[r.tif]
    cl_ord_id, symbol = r.client_order_id or NO_ID, r.symbol or NO_SYMBOL
    return fix_frames._text_body(r, cl_ord_id, symbol, r.account or "", orig, tif)


def _rendered(r: OrderReport) -> bytes:
    """The body the session writes for ``render(r)`` (the reference)."""
    out = Outbound("SEQUEX", 7, MemoryStore())
    out.target_comp_id = "ALPHAFIX"
    out.send(render(r), T0)
    raw = out.take()
    start = raw.index(b"\x0152=") + 1
    return raw[raw.index(b"\x01", start) + 1 : raw.rindex(b"10=")]


@settings(max_examples=3000, deadline=None)
@given(_reports())
def test_the_c_writer_writes_the_texts_bytes(r: OrderReport) -> None:
    body = report_body(r)
    if body is None:
        return  # refused before any writer: the caller renders it through the reference
    assert body == _texts(r) == _rendered(r)
    requested = r.kind is ReportKind.REPLACED or (
        r.kind is ReportKind.CANCELED and r.reason in fix_frames._REQUESTED
    )
    orig = (r.orig_client_order_id or "") if requested else ""
    tif = fix_frames._TIF[r.tif]
    try:
        direct = fix_written.written(
            r, r.client_order_id or NO_ID, r.symbol or NO_SYMBOL, r.account or "", orig, tif
        )
    except OverflowError:
        return  # a number past int64: report_body took the texts
    assert direct is None or direct == body


def test_the_common_reports_take_the_c_writer_when_compiled() -> None:
    for name in ("new", "trade", "canceled", "replaced", "market", "expired"):
        r = CASES[name]
        tif = fix_frames._TIF[r.tif]
        orig = r.orig_client_order_id if name in ("canceled", "replaced") else ""
        direct = fix_written.written(r, r.client_order_id, r.symbol, r.account or "", orig, tif)
        if native.pure_requested():
            assert direct is None
        else:
            assert direct == report_body(r) == _rendered(r), name


def test_the_test_above_compares_the_c_writer_unless_pure_is_asked_for() -> None:
    compiled = not native.pure_requested()
    assert (not fix_written.__file__.endswith(".py")) == compiled
