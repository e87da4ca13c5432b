"""The OUCH fast lane (`engine.gateway.ouch_scan`) gives the slow path's answers.

Two levels. The scanner alone: for any one packet, it takes it exactly when the slow path
(`decode_inbound` + `enter_terms`) makes a NewOrder of it, and makes the same NewOrder (classes
of the fields included); it stops at the first packet it does not take. The listener: the same
SoupBinTCP bytes, cut into the same reads (or byte by byte, or fuzzed), given to one
`OuchListener` with the fast lane and one without, submit the same commands in the same
batches (a refusal, of terms or over the throttle, is a REFUSED ``SessionNote`` in its
message's place), write the same bytes, and end the session at the same point. The clock is
fixed, so whatever carries a timestamp agrees.
"""

from __future__ import annotations

import dataclasses
import itertools
import struct
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.config import load_config
from engine.domain.types import Command, NewOrder
from engine.gateway import ouch_server
from engine.gateway.ledger import ReportLedger
from engine.gateway.ouch_scan import PACKET_SIZE, scan_enters
from engine.gateway.ouch_server import OuchListener, _Live
from engine.gateway.rate_window import RateWindow
from engine.protocols.ouch import OuchServerSession
from engine.protocols.ouch import session as ouch_session
from engine.protocols.ouch.fields import MessageFault
from engine.protocols.ouch.inbound import EnterOrder, decode_inbound
from engine.protocols.ouch.terms import Refused, enter_terms
from engine.protocols.soupbin import LoginRequest, encode
from tests.demo_config import DEMO

_ENTER = struct.Struct(">c14scI8sII4scccIcc")
TOKENS = [b"T1", b"T2", b"T3", b"T 4", b" ", b"T\x015", b"\xc3\xa9", b"TOKEN-OF-14-CH"]


def _packet(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">H", len(body) + 1) + kind + body


@st.composite
def enter_payloads(draw: st.DrawFn) -> bytes:
    """Enter Orders, mostly valid, with every field sometimes outside its set."""
    shares = draw(st.sampled_from([0, 1, 100, 0xFFFFFFFF]))
    return _ENTER.pack(
        b"O",
        draw(st.sampled_from(TOKENS)).ljust(14),
        draw(st.sampled_from(list(b"BBBSSTEx"))).to_bytes(1, "big"),
        shares,
        draw(st.sampled_from([b"ACME", b"GLOBX", b"", b"AC\x7fME", b"NOSUCH"])).ljust(8),
        draw(st.sampled_from([1_000_000, 990_000, 0, 0x7FFFFFFF, 0xFFFFFFFF])),
        draw(st.sampled_from([99_998, 99_998, 99_999, 0, 5, 100_000])),
        draw(st.sampled_from([b"    ", b"ALPH", b"\x00AB "])),
        draw(st.sampled_from(list(b"AYPLNZx"))).to_bytes(1, "big"),
        draw(st.sampled_from(list(b"APROx"))).to_bytes(1, "big"),
        draw(st.sampled_from(list(b"YNyx"))).to_bytes(1, "big"),
        draw(st.sampled_from([0, 0, shares, 7])),
        draw(st.sampled_from(list(b"NNNOx"))).to_bytes(1, "big"),
        draw(st.sampled_from(list(b"RN x"))).to_bytes(1, "big"),
    )


def _cancel(token: bytes, shares: int) -> bytes:
    return b"X" + token.ljust(14) + struct.pack(">I", shares)


def _replace(existing: bytes, new: bytes, shares: int) -> bytes:
    return (
        b"U" + existing.ljust(14) + new.ljust(14)
        + struct.pack(">III", shares, 1_000_000, 99_998) + b"YN" + struct.pack(">I", 0)
    )  # fmt: skip


_token = st.sampled_from(TOKENS[:4])
packets = st.one_of(
    enter_payloads().map(lambda p: _packet(b"U", p)),
    enter_payloads().map(lambda p: _packet(b"U", p)),
    enter_payloads().map(lambda p: _packet(b"U", p[:-1])),  # one byte short
    enter_payloads().map(lambda p: _packet(b"U", p + b"N")),  # one byte long
    st.builds(_cancel, _token, st.sampled_from([0, 0, 5])).map(lambda p: _packet(b"U", p)),
    st.builds(_replace, _token, _token, st.sampled_from([0, 5])).map(lambda p: _packet(b"U", p)),
    st.just(_packet(b"R", b"")),  # a client heartbeat
    st.just(_packet(b"+", b"debug text")),
    st.just(_packet(b"Q", b"?")),  # an unknown packet type
    st.just(_packet(b"U", b"")),  # an empty message
    st.just(b"\x00\x00"),  # an empty packet
)


# -- the scanner alone --------------------------------------------------------------------------


def _reference(payload: bytes) -> NewOrder | None:
    """What the slow path makes of one Unsequenced Data payload: a NewOrder, or None."""
    message = decode_inbound(payload)
    if isinstance(message, MessageFault) or not isinstance(message, EnterOrder):
        return None
    terms = enter_terms(message)
    if isinstance(terms, Refused):
        return None
    return NewOrder(0, 0, "ALPHA", "ALPHA-1", message.stock, terms.side, terms.order_type,
                    terms.tif, terms.qty, terms.price, message.token, terms.post_only)  # fmt: skip


def _typed(command: Command) -> list[tuple[type, Any]]:
    return [(type(command), None), *((type(value), value) for value in command)]


@given(enter_payloads())
@settings(max_examples=600, deadline=None)
def test_the_scanner_takes_an_enter_order_exactly_when_the_slow_path_makes_an_order(
    payload: bytes,
) -> None:
    expected = _reference(payload)
    buf = bytearray(b"junk" + _packet(b"U", payload) + b"\x00\x01R")
    out: list[NewOrder] = []
    stop = scan_enters(buf, 4, len(buf), "ALPHA", "ALPHA-1", out)
    if expected is None:
        assert (stop, out) == (4, [])
    else:
        assert stop == 4 + PACKET_SIZE
        assert [_typed(c) for c in out] == [_typed(expected)]


@given(st.lists(packets, max_size=12), st.integers(min_value=0, max_value=60))
@settings(max_examples=300, deadline=None)
def test_the_scanner_stops_at_the_first_packet_it_does_not_take(
    stream: list[bytes], cut: int
) -> None:
    data = b"".join(stream)
    end = max(0, len(data) - cut)  # the last packet may be incomplete
    out: list[NewOrder] = []
    stop = scan_enters(bytearray(data), 0, end, "ALPHA", "ALPHA-1", out)
    at, taken = 0, 0
    for packet in stream:
        payload = packet[3:]
        whole = at + len(packet) <= end
        if not (whole and packet[2:3] == b"U" and len(packet) == PACKET_SIZE):
            break
        if _reference(payload) is None:
            break
        at, taken = at + len(packet), taken + 1
    assert (stop, len(out)) == (at, taken)


def test_the_scanner_refuses_an_end_past_the_buffer() -> None:
    with pytest.raises(ValueError, match="past the buffer"):
        scan_enters(bytearray(10), 0, 11, "ALPHA", "ALPHA-1", [])


# -- the listener, fast lane against slow path ------------------------------------------------


class _Transport:
    def is_closing(self) -> bool:
        return False


class _Writer:
    def __init__(self) -> None:
        self.transport = _Transport()
        self.data = bytearray()

    def write(self, data: bytes) -> None:
        self.data += data


class _Clock:
    """The listener's clock, fixed: replies carry the same timestamps in both runs."""

    @staticmethod
    def monotonic_ns() -> int:
        return 5_000_000_000

    @staticmethod
    def time_ns() -> int:
        return 1_700_000_000_123_456_789


@dataclasses.dataclass
class _Run:
    listener: OuchListener
    live: _Live
    writer: _Writer
    #: every batch submitted: (origin, the commands as given)
    batches: list[tuple[int, list[Command]]]
    ledger: ReportLedger
    ended: bool = False


def _run(directory: Path, fast: bool, throttle: int) -> _Run:
    config = dataclasses.replace(load_config(DEMO), data_dir=str(directory))
    ledger = ReportLedger(directory, config.firms)
    batches: list[tuple[int, list[Command]]] = []
    next_seq = [100]

    async def submit(commands: list[Command], origin: int) -> list[int]:
        batches.append((origin, list(commands)))
        first = next_seq[0]
        next_seq[0] += len(commands)
        return list(range(first, first + len(commands)))

    async def check(peer: object, firm: str, password: str) -> bool:
        return True

    listener = OuchListener(config.firms, ledger, submit, check, fast_lane=fast)
    firm, session = listener._sessions["ALPHA1"]
    ouch = OuchServerSession()
    ouch.receive_data(encode(LoginRequest("ALPHA1", "x", "", 0)))
    assert isinstance(ouch.next_event(), LoginRequest)
    ouch.accept_login("SEQUEX", ledger.stores[session.origin].next_number)
    writer = _Writer()
    live = _Live(session, firm.firm, False, ouch, writer, RateWindow(throttle))  # type: ignore[arg-type]
    listener._live[session.origin] = live
    return _Run(listener, live, writer, batches, ledger)


def _feed(run: _Run, chunks: list[bytes]) -> None:
    with mock.patch.object(ouch_server, "time", _Clock):
        for chunk in chunks:
            if run.ended:
                return
            run.live.ouch.receive_data(chunk)
            coroutine = run.listener.submit_buffered(run.live)
            try:
                coroutine.send(None)
            except StopIteration as done:
                run.ended = bool(done.value)
            else:
                raise AssertionError("submit_buffered waited")


def _outcome(run: _Run) -> tuple[object, ...]:
    batches = [(origin, [_typed(c) for c in commands]) for origin, commands in run.batches]
    return batches, bytes(run.writer.data), run.ended


@pytest.fixture
def directories(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    made = iter(range(1_000_000))

    def fresh() -> Path:
        return tmp_path_factory.mktemp(f"lane{next(made)}")

    yield fresh


def _both(fresh: Any, chunks: list[bytes], throttle: int) -> tuple[tuple[object, ...], ...]:
    outcomes = []
    for fast in (True, False):
        run = _run(fresh(), fast, throttle)
        try:
            _feed(run, chunks)
            outcomes.append(_outcome(run))
        finally:
            run.ledger.close()
    return outcomes[0], outcomes[1]


def _cut(data: bytes, points: list[int]) -> list[bytes]:
    bounds = sorted({0, len(data), *(p % (len(data) + 1) for p in points)})
    return [data[a:b] for a, b in itertools.pairwise(bounds)]


@given(
    st.lists(packets, min_size=1, max_size=25),
    st.lists(st.integers(min_value=0, max_value=10_000), max_size=6),
    st.sampled_from([0, 0, 2, 5]),
)
@settings(
    max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
def test_the_same_reads_give_the_same_commands_and_replies_in_both_lanes(
    directories: Any, stream: list[bytes], points: list[int], throttle: int
) -> None:
    chunks = _cut(b"".join(stream), points)
    fast, slow = _both(directories, chunks, throttle)
    assert fast == slow


@given(st.lists(packets, min_size=1, max_size=12))
@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
def test_byte_by_byte_the_fast_lane_answers_as_the_slow_path_does_whole(
    directories: Any, stream: list[bytes]
) -> None:
    data = b"".join(stream)
    fast = _run(directories(), True, 0)
    slow = _run(directories(), False, 0)
    try:
        _feed(fast, [data[i : i + 1] for i in range(len(data))])
        _feed(slow, [data])
        fast_batches, fast_bytes, fast_ended = _outcome(fast)
        slow_batches, slow_bytes, slow_ended = _outcome(slow)
        # the reads differ, so the batches may too: the commands, in order, may not
        assert [c for _, b in fast_batches for c in b] == [c for _, b in slow_batches for c in b]
        assert (fast_bytes, fast_ended) == (slow_bytes, slow_ended)
    finally:
        fast.ledger.close()
        slow.ledger.close()


@given(st.binary(max_size=400), st.lists(st.integers(min_value=0, max_value=400), max_size=4))
@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
def test_garbage_gets_the_same_answers_in_both_lanes(
    directories: Any, garbage: bytes, points: list[int]
) -> None:
    order = _packet(b"U", EnterOrder("G1", "B", 1, "ACME", 1_000_000, 99_998).encode())
    fast, slow = _both(directories, _cut(order + garbage + order, points), 0)
    assert fast == slow


def test_a_plain_run_of_orders_is_taken_by_the_fast_lane(directories: Any) -> None:
    """Not only equal answers: the lane is taken (the slow path would decode each message)."""
    orders = [EnterOrder(f"P{i}", "B", 1, "ACME", 1_000_000, 99_998).encode() for i in range(5)]
    data = b"".join(_packet(b"U", o) for o in orders)
    run = _run(directories(), True, 0)
    try:
        with mock.patch.object(ouch_session, "decode_inbound", side_effect=AssertionError):
            _feed(run, [data])
        assert [c.client_order_id for _, b in run.batches for c in b] == [f"P{i}" for i in range(5)]
    finally:
        run.ledger.close()
