"""The FIX load client's fast lanes change no outcome: ``FixClient._parse`` gives the same
reports, writes the same answers and ends the same way with the ExecutionReport scanner
(``tools.loadgen.clients.fix_reports``) as without it, for random streams of the gateway's
reports, session messages, faults and garbage, fed whole or in random pieces (byte by byte
too); and ``FixInitiator.new_orders`` is ``new_order`` once per order, byte for byte.
Compiled, these compare the C loops with the generic path; in the SEQUEX_PURE run, the
same source uncompiled."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.domain.types import Side, TimeInForce
from engine.gateway.fix_render import render
from engine.gateway.outbound import OrderReport, ReportKind
from engine.protocols.fix.codec import checksum, encode
from engine.protocols.fix.timestamps import format_utc_timestamp
from tools.loadgen.clients import Identity
from tools.loadgen.clients import fix as fix_client
from tools.loadgen.clients.fix import FixClient
from tools.loadgen.clients.fix_reports import scan_reports
from tools.loadgen.clients.fix_session import FixInitiator

T0 = 1_709_294_400 * 1_000_000_000
_HEADER = [(49, "SEQUEX"), (56, "ALPHAFIX"), (34, "9"), (52, format_utc_timestamp(T0))]
_KINDS = [ReportKind.NEW, ReportKind.TRADE, ReportKind.CANCELED, ReportKind.EXPIRED,
          ReportKind.REJECTED, ReportKind.LOCAL_REJECTED, ReportKind.CANCEL_REJECTED]  # fmt: skip


def _report(kind: ReportKind, n: int, liquidity: int) -> bytes:
    oid = f"abcd00{n:08d}"
    r = OrderReport(kind, n, 0, T0, n, "ALPHA-1", "ACME", 1, 1, 1, False, oid, "", 10,
                    1_000_000, 5, 5, 5_000_000, 5, 1_000_000, 0, liquidity, 3)  # fmt: skip
    message = render(r)
    return encode(message.msg_type, [*_HEADER, *message.body])


def _framed(body: bytes) -> bytes:
    message = b"8=FIX.4.4\x019=%d\x01" % len(body) + body
    return message + b"10=%03d\x01" % checksum(message)


_OTHERS = [
    encode("0", _HEADER),
    encode("1", [*_HEADER, (112, "t-1")]),
    encode("2", [*_HEADER, (7, "1"), (16, "0")]),
    encode("3", [*_HEADER, (45, "3"), (58, "bad")]),
    encode("j", [*_HEADER, (45, "4"), (372, "D"), (380, "3")]),
    encode("5", [*_HEADER, (58, "bye")]),
    encode("8", [*_HEADER, (150, "0")]),  # no ClOrdID
    encode("8", [*_HEADER, (11, "x"), (150, "F"), (11, "y"), (851, "1"), (851, "2")]),
    encode("8", [*_HEADER, (11, "x"), (150, "8"), (103, "3")]),
    encode("8", [*_HEADER, (11, "x"), (150, "8"), (453, "1"), (448, "p"), (447, "D")]),
    _framed(b"35=8\x0111=x\x01150=0\x0195=3\x0196=a\x01b\x01"),  # a data field holding SOH
    _framed(b"35=8\x0111=x\x01150=0\x0158=\x01"),  # an empty value
    _framed(b"35=8\x0111=x\x01150=0\x01abc=1\x01"),  # a bad tag
    _framed(b"11=x\x0135=8\x01150=0\x01"),  # MsgType not first
    _framed(b"35=8\x0110=x\x0111=x\x01150=F\x01"),  # tag 10 inside the body
    encode("8", [*_HEADER, (11, "x"), (150, "0")])[:-4] + b"000\x01",  # a bad CheckSum
    b"8=FIX.4.4\x019=5x\x0135=0\x0110=000\x01",  # a BodyLength that is not a number
    b"8=FIX.4.2\x019=5\x0135=0\x0110=000\x01",  # another BeginString: fatal
]


@st.composite
def _streams(draw: st.DrawFn) -> bytes:
    parts = []
    for n in range(draw(st.integers(1, 8))):
        if draw(st.integers(0, 3)):
            parts.append(
                _report(draw(st.sampled_from(_KINDS)), n, draw(st.sampled_from([0, 1, 2])))
            )
        else:
            parts.append(draw(st.sampled_from(_OTHERS)))
    data = b"".join(parts)
    if draw(st.integers(0, 5)) == 0:
        at = draw(st.integers(0, len(data) - 1))
        data = data[:at] + bytes([draw(st.integers(0, 255))]) + data[at + 1 :]
    return data


def _client() -> FixClient:
    client = FixClient(Identity("ALPHA", "ALPHA-1", "alpha-pass", "ALPHAFIX"), "abcd00")
    client._login_bytes()
    logon = encode("A", [(49, "SEQUEX"), (56, "ALPHAFIX"), (34, "1"),
                         (52, format_utc_timestamp(T0)), (98, "0"), (108, "30")])  # fmt: skip
    assert client._login_answer(logon)
    client._outbox.clear()
    for _ in range(3):  # orders 1-3 in flight: a Reject naming 3 finds its order
        client.send_new_order(fix_client.OrderSpec("ACME", Side.BUY, 1, 1_000_000))
    client._outbox.clear()
    return client


def _outcome(data: bytes, cuts: list[int], lane: bool) -> Any:
    with pytest.MonkeyPatch.context() as patch:
        if not lane:
            patch.setattr(fix_client, "scan_reports", lambda buf, out: (0, 0))
        client = _client()
        reports = []
        start = 0
        for cut in [*sorted(set(c for c in cuts if 0 < c < len(data))), len(data)]:
            if client._ended.is_set():
                break
            reports += client._parse(data[start:cut], 7)
            start = cut
        written = bytes(client._outbox)
    # the answers carry the clock's SendingTime: compare what they are, not when
    return reports, written.count(b"\x0135=0\x01"), client.close_reason


@settings(max_examples=400, deadline=None)
@given(_streams(), st.lists(st.integers(0, 3000), max_size=8))
def test_the_client_parses_the_same_with_the_lane_as_without(data: bytes, cuts: list[int]) -> None:
    assert _outcome(data, cuts, True) == _outcome(data, cuts, False)


def test_reports_fed_byte_by_byte_through_the_lane_are_the_same() -> None:
    data = b"".join(_report(k, n, 1) for n, k in enumerate(_KINDS)) + _OTHERS[1] + _OTHERS[6]
    every = list(range(1, len(data)))
    slow = _outcome(data, [], False)
    assert len(slow[0]) == 7
    assert _outcome(data, every, True) == slow


def test_the_scanner_reads_the_gateways_reports_and_stops_at_anything_else() -> None:
    stream = _report(ReportKind.NEW, 1, 0) + _report(ReportKind.TRADE, 2, 2) + _OTHERS[0]
    out: list[tuple[str, str, str, str]] = []
    pos, count = scan_reports(stream, out)
    assert (count, out) == (2, [("0", "abcd0000000001", "", ""), ("F", "abcd0000000002", "", "")])
    assert stream[pos:] == _OTHERS[0]


def test_new_orders_are_new_order_once_each() -> None:
    burst = FixInitiator("ALPHAFIX", "SEQUEX", username="ALPHA", password="p")
    single = FixInitiator("ALPHAFIX", "SEQUEX", username="ALPHA", password="p")
    for tif, side, price in (
        (TimeInForce.DAY, Side.BUY, 1_002_500),
        (TimeInForce.IOC, Side.SELL, 10_000),
    ):
        terms: dict[str, Any] = {"account": "ALPHA-1", "symbol": "ACME", "side": side, "qty": 7,
                                 "price": price, "now_ns": T0 + 5, "tif": tif}  # fmt: skip
        first = burst.new_orders("abcd00", 41, 5, **terms)
        seqs = [single.new_order(f"abcd00{n:08d}", **terms) for n in range(41, 46)]
        assert first == seqs[0] and burst.next_seq == single.next_seq
        assert burst.data_to_send() == single.data_to_send()


def test_the_tests_above_compare_the_c_loops_unless_pure_is_asked_for() -> None:
    from engine import native
    from tools.loadgen.clients import fix_reports

    assert (not fix_reports.__file__.endswith(".py")) == (not native.pure_requested())
