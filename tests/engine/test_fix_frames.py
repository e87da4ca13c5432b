"""ExecutionReports written straight from the report (``engine.gateway.fix_frames``) are the
reference's bytes: for random reports of every kind, ``report_body`` is None or the session
sends (``send_encoded``) exactly what it sends for ``render(r)``, resends it the same, and
the message store keeps the same record; the common reports take the lane and pass QuickFIX's
FIX 4.4 dictionary. ``wrap`` and ``utc_stamp`` (``engine.protocols.fix.wire``) are the codec's
``encode`` and ``format_utc_timestamp``. Compiled, these compare the C code with the
reference; in the SEQUEX_PURE run, the same source uncompiled."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from engine.domain.types import OrderType, Side, TimeInForce
from engine.gateway import fix_files
from engine.gateway.fix_frames import report_body
from engine.gateway.fix_render import render
from engine.gateway.outbound import OrderReport, ReportKind
from engine.protocols.fix.codec import FixMessage, decode_fields, encode
from engine.protocols.fix.outbound import Outbound
from engine.protocols.fix.store import MemoryStore, StoredMessage
from engine.protocols.fix.timestamps import format_utc_timestamp
from engine.protocols.fix.wire import utc_stamp, wrap
from tests.engine.fix_client import assert_valid_fix44
from tests.engine.protocols.fix.peer import T0
from tests.engine.test_fix_render import CASES


def _mostly(
    common: st.SearchStrategy[object], odd: st.SearchStrategy[object]
) -> st.SearchStrategy[object]:
    """``common`` nine times in ten, else ``odd``: most reports take the lane, some not."""
    return st.integers(0, 9).flatmap(lambda n: odd if n == 0 else common)


_NUMBER = _mostly(st.integers(0, 10**9), st.integers(-(2**70), 2**70))
_TS = _mostly(st.integers(0, 2**62), st.one_of(st.integers(-(2**63), 2**64), st.just(T0)))
_TEXT = _mostly(
    st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=255), max_size=8),
    st.sampled_from(["", "é", "x\u20ac", "a\x01b", "NONE", "\x00"]),
)


@st.composite
def _reports(draw: st.DrawFn) -> OrderReport:
    kind = draw(st.sampled_from([*ReportKind, ReportKind.NEW, ReportKind.TRADE]))
    side = draw(_mostly(st.sampled_from([1, 2]), st.sampled_from([0, 3, Side.BUY, True])))
    return OrderReport(
        kind, draw(_NUMBER), draw(st.integers(0, 3)), draw(_TS), draw(_NUMBER), draw(_TEXT),
        draw(_TEXT), side,
        draw(_mostly(st.sampled_from([1, 2]), st.sampled_from([0, OrderType.LIMIT]))),
        draw(_mostly(st.sampled_from([*map(int, TimeInForce)]), st.sampled_from([0, 99]))),
        draw(st.booleans()),
        draw(_TEXT), draw(_TEXT), draw(_NUMBER), draw(_NUMBER), draw(_NUMBER), draw(_NUMBER),
        draw(_NUMBER), draw(_NUMBER), draw(_NUMBER), draw(_NUMBER), draw(st.sampled_from([0, 1])),
        draw(st.integers(0, 12)), draw(st.booleans()), draw(_NUMBER),
    )  # fmt: skip


def _session() -> Outbound:
    out = Outbound("SEQUEX", 7, MemoryStore())
    out.target_comp_id = "ALPHAFIX"
    return out


def _reference(r: OrderReport, now: int) -> tuple[bytes, bytes] | type[BaseException]:
    """What the session sends for ``render(r)``, then resends of it; or the error."""
    out = _session()
    try:
        out.send(render(r), now)
    except Exception as error:  # the reference's own error, whatever it is
        return type(error)
    sent = out.take()
    out.resend(7, 7, now + 1_000_000_000)
    return sent, out.take()


@settings(max_examples=1500, deadline=None)
@given(_reports(), st.one_of(st.just(T0 + 123_456_789), st.integers(0, 2**62)))
def test_a_report_written_straight_is_the_references_bytes(r: OrderReport, now: int) -> None:
    body = report_body(r)
    if body is None:
        return  # the caller renders it through the reference
    out = _session()
    out.send_encoded("8", body, now)
    sent = out.take()
    out.resend(7, 7, now + 1_000_000_000)
    assert (sent, out.take()) == _reference(r, now)


def test_the_common_reports_take_the_lane_and_pass_quickfix() -> None:
    out = _session()
    fallback = {"rejected", "cancel rejected", "cancel rejected, unknown", "replace rejected",
                "local rejected"}  # fmt: skip
    wire: list[FixMessage] = []
    for name, r in CASES.items():
        body = report_body(r)
        assert (body is None) == (name in fallback), name
        if body is not None:
            out.send_encoded("8", body, T0)
            raw = out.take()
            wire.append(decode_fields(raw[raw.index(b"\x0135=") + 1 : raw.rindex(b"10=")], raw))
    assert len(wire) == len(CASES) - len(fallback)
    assert_valid_fix44(wire)


def test_the_store_keeps_the_same_record_either_way(tmp_path: Path) -> None:
    r = CASES["trade"]
    body = report_body(r)
    assert body is not None
    stamp = format_utc_timestamp(T0)
    fields = render(r).body
    assert fix_files._encode(StoredMessage(3, "8", body, stamp)) == fix_files._encode(
        StoredMessage(3, "8", fields, stamp)
    )
    store = fix_files.FileMessageStore(tmp_path)
    store.save(StoredMessage(3, "8", body, stamp))
    assert list(store.messages(3, 3)) == [StoredMessage(3, "8", fields, stamp)]
    store.close()


def test_a_number_or_text_the_lane_does_not_take_goes_to_the_reference() -> None:
    trade = CASES["trade"]
    for odd in (
        replace(trade, side=Side.BUY),
        replace(trade, order_qty=True),
        replace(trade, symbol="a\x01b"),
        replace(trade, account="x\u20ac"),
        replace(trade, ts=-1),
        replace(trade, tif=99),
    ):
        assert report_body(odd) is None


_FIELD = st.tuples(
    st.integers(1, 10_000),
    st.text(alphabet=st.characters(max_codepoint=255, exclude_characters="\x01"), min_size=1),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(_FIELD, max_size=6), st.lists(_FIELD, max_size=10))
def test_wrap_is_the_codecs_encoding(
    head: list[tuple[int, str]], body: list[tuple[int, str]]
) -> None:
    def fields(pairs: list[tuple[int, str]]) -> bytes:
        return b"".join(b"%d=%s\x01" % (t, v.encode("latin-1")) for t, v in pairs)

    whole = encode("8", head + body)
    assert wrap(b"35=8\x01" + fields(head), fields(body)) == whole


@settings(max_examples=500, deadline=None)
@given(
    st.lists(
        st.one_of(st.integers(-(2**40), 2**63 + 10), st.integers(T0, T0 + 3_000_000)), max_size=5
    )
)
def test_utc_stamp_is_the_formatter(times: list[int]) -> None:
    for ns in times:
        try:
            expected: str | type[BaseException] = format_utc_timestamp(ns)
        except ValueError as error:
            expected = type(error)
        try:
            got: str | type[BaseException] = utc_stamp(ns)
        except ValueError as error:
            got = type(error)
        assert got == expected


def test_the_tests_above_compare_the_c_code_unless_pure_is_asked_for() -> None:
    from engine import native
    from engine.gateway import fix_frames
    from engine.protocols.fix import wire

    compiled = not native.pure_requested()
    assert (not fix_frames.__file__.endswith(".py")) == compiled
    assert (not wire.__file__.endswith(".py")) == compiled
