"""Report routing by order ownership, and the exec ring round trip over a real RingBuffer."""

from __future__ import annotations

import os
import uuid

import pytest

from disruptor import RingBuffer, list_names
from engine.domain.reasons import reject
from engine.domain.types import (
    Accepted,
    BalanceChanged,
    BookAdd,
    Cancelled,
    CancelReason,
    DayEnded,
    Event,
    Expired,
    ExpireReason,
    Fill,
    Liquidity,
    RejectReason,
    Replaced,
    Side,
)
from engine.gateway.exec_ring import (
    SESSION_OFFSET,
    ExecRingReader,
    ExecRingWriter,
    create_exec_ring,
    encode_reports,
)
from engine.gateway.router import Report, ReportRouter, SessionQueues


def fill(order_id: int, leaves: int, liquidity: Liquidity = Liquidity.MAKER) -> Fill:
    return Fill(order_id, "A-1", "ACME", Side.SELL, 5, 100, leaves, 0, liquidity, 7)


def routed(router: ReportRouter, origin: int, seq: int, events: list[Event]) -> list[Report]:
    return router.resolve(origin, seq, events)


def test_answers_go_to_the_origin_and_accepted_records_the_owner() -> None:
    router = ReportRouter(lambda _: None)
    acc = Accepted(5, 5, "A-1", "c")
    assert routed(router, 1, 5, [BookAdd("ACME", 5, Side.BUY, 1, 1), acc]) == [(1, 5, 1, acc)]
    assert router.owners == {5: 1}
    rej = reject(6, "A-1", "", 0, RejectReason.UNKNOWN_SYMBOL)
    assert routed(router, 2, 6, [rej]) == [(2, 6, 0, rej)]
    bal = BalanceChanged("A-1", "CASH", 5, 5)
    assert routed(router, 3, 7, [bal]) == [(3, 7, 0, bal)]


def test_a_makers_fill_goes_to_the_maker_and_the_ended_order_is_forgotten() -> None:
    router = ReportRouter(lambda _: None)
    routed(router, 1, 5, [Accepted(5, 5, "A-1", "m")])
    taker_acc = Accepted(9, 9, "B-1", "t")
    maker_part, taker_fill = fill(5, 3), fill(9, 0, Liquidity.TAKER)
    out = routed(router, 2, 9, [taker_acc, maker_part, taker_fill])
    assert out == [(2, 9, 0, taker_acc), (1, 9, 1, maker_part), (2, 9, 2, taker_fill)]
    assert router.owners == {5: 1}  # the taker ended; the maker still rests
    routed(router, 2, 10, [fill(5, 0)])
    assert router.owners == {}


@pytest.mark.parametrize(
    ("event", "expected_sessions"),
    [
        (Expired(5, "A-1", 3, ExpireReason.END_OF_DAY), [1]),
        (Cancelled(5, "A-1", 3, CancelReason.SELF_TRADE), [1]),
        (Cancelled(5, "A-1", 3, CancelReason.USER), [1, 4]),
        (Cancelled(5, "A-1", 3, CancelReason.REPLACED_AWAY), [1, 4]),
    ],
)
def test_a_resting_orders_end_goes_to_its_owner_and_the_answer_to_the_requester(
    event: Event, expected_sessions: list[int]
) -> None:
    router = ReportRouter(lambda _: None)
    routed(router, 1, 5, [Accepted(5, 5, "A-1", "m")])
    out = routed(router, 4, 11, [event, DayEnded("ACME")])
    assert [s for s, _, _, e in out if e is event] == expected_sessions
    assert router.owners == {}


def test_a_replace_goes_to_the_owner_and_the_requester_once_each() -> None:
    router = ReportRouter(lambda _: None)
    routed(router, 1, 5, [Accepted(5, 5, "A-1", "m")])
    rep = Replaced(5, "A-1", 4, 100, 4, True)
    assert routed(router, 1, 6, [rep]) == [(1, 6, 0, rep)]
    assert routed(router, 3, 7, [rep]) == [(1, 7, 0, rep), (3, 7, 0, rep)]
    assert router.owners == {5: 1}


def test_origin_0_and_unknown_orders() -> None:
    router = ReportRouter(lambda _: None)
    assert routed(router, 0, 1, [BalanceChanged("A-1", "CASH", 1, 1)]) == []
    assert routed(router, 0, 2, [Accepted(2, 2, "A-1", "")]) == [] and router.owners == {}
    exp = Expired(77, "A-1", 1, ExpireReason.END_OF_DAY)  # entered before this router started
    assert routed(router, 3, 4, [exp]) == [(3, 4, 0, exp)]


def test_session_queues_drop_reports_for_sessions_that_are_gone() -> None:
    queues = SessionQueues()
    router = ReportRouter(queues)
    mine = queues.open(1)
    router.route(1, 5, [Accepted(5, 5, "A-1", "")])
    router.route(2, 6, [Accepted(6, 6, "B-1", "")])
    assert list(mine) == [(1, 5, 0, Accepted(5, 5, "A-1", ""))] and queues.dropped == 1
    queues.close(1)
    router.route(3, 7, [fill(5, 0)])
    assert queues.dropped == 2


REPORTS: list[Report] = [
    (1, 5, 0, Accepted(5, 5, "A-1", "c1")),
    (0xFFFF_FFFF, 9, 2, fill(5, 0)),
    (2, 10, 0, reject(10, "B-1", "x", 0, RejectReason.INSUFFICIENT_CASH)),
    (3, 11, 1, DayEnded("ACME")),
]


def test_the_session_sits_in_the_event_records_zero_bytes() -> None:
    data = encode_reports(REPORTS[:1])
    assert data[SESSION_OFFSET : SESSION_OFFSET + 4] == (1).to_bytes(4, "little")
    assert not any(data[SESSION_OFFSET + 4 :])


def test_exec_ring_round_trip_across_the_wrap() -> None:
    name = f"sqxgwt{os.getpid()}-{uuid.uuid4().hex[:6]}-exec"
    ring = create_exec_ring(name, 8)
    attached = RingBuffer.attach(name)  # the gateway's side, as in another process
    try:
        writer, reader = ExecRingWriter(ring), ExecRingReader(attached)
        got: list[Report] = []
        for _ in range(5):  # 20 slots through an 8-slot ring: wraps twice
            writer(REPORTS)
            got += reader.poll()
        assert got == REPORTS * 5
        assert reader.poll() == []
        writer(REPORTS[:2])
        assert reader.wait_available() == 21
        assert reader.poll() == REPORTS[:2]
    finally:
        attached.close()
        ring.close()
    assert list_names(name) == []
