"""``render_many`` (C stores for Accepted and Executed when compiled) gives the reference's
bytes, ``render_bytes`` of each report, and raises what it raises: on random reports of every
kind, side, order type and TIF, numbers at and beyond their OUCH fields' ranges, tokens and
symbols that are empty, at their field's length, longer or not ASCII. The byte layouts
themselves are the reference's (``tests/engine/test_ouch_render.py`` and the OUCH codec's)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine import native
from engine.domain.types import OrderType, Side, TimeInForce
from engine.gateway.ouch_frames import render_many, sequenced_packets
from engine.gateway.ouch_render import render_bytes
from engine.gateway.outbound import OrderReport, ReportKind
from engine.protocols.soupbin import LocalProtocolError, LoginRequest, ServerSession, encode
from engine.protocols.soupbin.server import _sequenced

_NUMBER = st.one_of(st.integers(0, 2**32 - 1), st.integers(-5, 2**33), st.integers(-(2**64), 2**65))
_TS = st.one_of(st.integers(0, 2**62), st.integers(-(2**63), 2**63 - 1))
_TEXT = st.one_of(
    st.text(alphabet=st.characters(max_codepoint=127), max_size=16),
    st.sampled_from(["", "c1", "ACME", "t" * 14, "s" * 8, "é", "x\u20ac"]),
)


@st.composite
def _reports(draw: st.DrawFn) -> OrderReport:
    kind = draw(st.sampled_from([*ReportKind, ReportKind.NEW, ReportKind.TRADE]))
    return OrderReport(
        kind, draw(_NUMBER), draw(st.integers(0, 3)), draw(_TS), draw(_NUMBER), "A-1",
        draw(_TEXT), draw(st.sampled_from([0, int(Side.BUY), int(Side.SELL), 7])),
        draw(st.sampled_from([0, *map(int, OrderType)])),
        draw(st.sampled_from([0, *map(int, TimeInForce), 99])), draw(st.booleans()),
        draw(_TEXT), draw(_TEXT), draw(_NUMBER), draw(_NUMBER), draw(_NUMBER), draw(_NUMBER),
        draw(_NUMBER), draw(_NUMBER), draw(_NUMBER), draw(_NUMBER),
        draw(st.sampled_from([0, 1, 2, 5])), draw(st.integers(0, 12)), draw(st.booleans()),
        draw(_NUMBER),
    )  # fmt: skip


def _outcome(render: Any, reports: list[OrderReport]) -> list[bytes] | type[BaseException]:
    try:
        out: list[bytes] = render(reports)
        return out
    except Exception as error:  # the reference's own error, whatever it is
        return type(error)


@settings(max_examples=500, deadline=None)
@given(st.lists(_reports(), max_size=5))
def test_rendered_reports_are_the_references_bytes_or_its_error(
    reports: list[OrderReport],
) -> None:
    reference = _outcome(lambda rs: [render_bytes(r) for r in rs], reports)
    assert _outcome(render_many, reports) == reference


def _framed(reports: list[OrderReport]) -> bytes | type[BaseException]:
    try:
        return sequenced_packets(list(enumerate(reports, 1)))
    except Exception as error:
        return type(error)


@settings(max_examples=300, deadline=None)
@given(st.lists(_reports(), max_size=5))
def test_sequenced_packets_are_the_soupbin_framing_of_the_references_bytes(
    reports: list[OrderReport],
) -> None:
    def reference(rs: list[OrderReport]) -> bytes:
        return b"".join(_sequenced(render_bytes(r)) for r in rs)

    assert _framed(reports) == _outcome(reference, reports)


@st.composite
def _common_reports(draw: st.DrawFn) -> OrderReport:
    """Mostly Accepted, Executed and Canceled the C path writes in place, now and then one it cannot
    (a number out of range, a long token, a market order) or another kind."""
    common = [ReportKind.NEW, ReportKind.TRADE, ReportKind.CANCELED, ReportKind.EXPIRED]
    kind = draw(st.sampled_from(common * 3 + list(ReportKind)))
    fine = st.integers(0, 2**32 - 1)
    number = draw(st.one_of(fine, fine, fine, _NUMBER))
    token = draw(st.one_of(st.sampled_from(["c1", "t" * 14, "", "A B"]), _TEXT))
    order_type = draw(st.sampled_from([int(OrderType.LIMIT)] * 5 + [*map(int, OrderType)]))
    tif = draw(st.sampled_from([int(TimeInForce.DAY)] * 5 + [*map(int, TimeInForce)]))
    return OrderReport(
        kind, draw(fine), draw(st.integers(0, 3)), draw(st.one_of(fine, _TS)), draw(fine),
        "A-1", draw(st.sampled_from(["ACME", "BOLT", "s" * 8])),
        draw(st.sampled_from([int(Side.BUY), int(Side.SELL)])), order_type, tif,
        draw(st.booleans()), token, "", draw(fine), number, draw(fine), draw(fine),
        draw(fine), number, draw(fine), draw(fine), draw(st.sampled_from([1, 2])),
        draw(st.integers(0, 12)), False, draw(fine),
    )  # fmt: skip


@settings(max_examples=400, deadline=None)
@given(st.lists(_common_reports(), max_size=40))
def test_packets_written_in_place_are_the_references(reports: list[OrderReport]) -> None:
    def reference(rs: list[OrderReport]) -> bytes:
        return b"".join(_sequenced(render_bytes(r)) for r in rs)

    assert _framed(reports) == _outcome(reference, reports)


def test_a_batch_the_c_path_cannot_write_whole_gets_the_references_answer() -> None:
    long_token = replace(_NEW, client_order_id="t" * 15)  # the reference's own Accepted
    market = replace(_NEW, order_type=int(OrderType.MARKET), price=0)
    for reports in ([_NEW, long_token, _TRADE], [_TRADE, market], [_NEW, _TRADE, _NEW]):
        expected = b"".join(_sequenced(render_bytes(r)) for r in reports)
        assert sequenced_packets(list(enumerate(reports, 1))) == expected
    with pytest.raises(ValueError):  # not (number, report) pairs: the reference's unpacking
        sequenced_packets([(1, _NEW, 0)])


def test_sending_framed_packets_is_sending_their_messages() -> None:
    reports = [_NEW, _TRADE, _TRADE]
    many, framed = _logged_in(), _logged_in()
    sent = many.send_many([render_bytes(r) for r in reports], first_sequence=1)
    assert framed.send_packets(_packets(reports), 3, first_sequence=1) == sent
    assert framed.next_sequence == many.next_sequence == 4
    assert framed.send_packets(b"", 0, first_sequence=4) == b""
    with pytest.raises(LocalProtocolError):
        framed.send_packets(_packets(reports), 3, first_sequence=2)


def _packets(reports: list[OrderReport]) -> bytes:
    return sequenced_packets(list(enumerate(reports, 1)))


def _logged_in() -> ServerSession:
    session = ServerSession()
    session.receive_data(encode(LoginRequest("u", "p", "", 0)))
    assert isinstance(session.next_event(), LoginRequest)
    session.accept_login("S1", 1)
    return session


_TRADE = OrderReport(ReportKind.TRADE, 12, 1, 86_400_000_000_123, 9, "A-1", "ACME", 1, 1, 1,
                     False, "c1", "", 10, 1000, 4, 6, 6000, 6, 1000, 3, 2, 0, False, 9)  # fmt: skip
_NEW = OrderReport(ReportKind.NEW, 9, 0, 5, 9, "A-1", "ACME", 2, 1, 1, True, "c1", "", 10,
                   1000, 10, 0, 0, 0, 0, 0, 0, 0, False, 9)  # fmt: skip


@pytest.mark.parametrize(
    "report",
    [
        _TRADE,
        _NEW,
        replace(_NEW, leaves_qty=0, post_only=False, side=0, symbol=""),
        replace(_NEW, tif=int(TimeInForce.FOK)),
        replace(_NEW, order_type=int(OrderType.MARKET), price=0),
        replace(_TRADE, liquidity=1, client_order_id="t" * 14, ts=-1),
    ],
)
def test_the_common_messages_are_the_references(report: OrderReport) -> None:
    assert render_many([report, report]) == [render_bytes(report)] * 2


def test_the_tests_above_compare_the_c_path_unless_pure_is_asked_for() -> None:
    from engine.gateway import ouch_frames

    compiled = not ouch_frames.__file__.endswith(".py")
    assert compiled == (not native.pure_requested())
