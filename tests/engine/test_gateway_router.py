"""Report addressing (origin and/or owning firm), and the gateway's reader of ring[events]
over a real RingBuffer."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import Callable

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
from engine.event_codec import write_events
from engine.event_records import EVENT_RECORD_SIZE
from engine.gateway import report_pump
from engine.gateway.events_reader import EventsReader, ReportBatch
from engine.gateway.report_pump import ReportPump
from engine.gateway.router import ROUTED_EVENTS, Report, ReportRouter


def fill(order_id: int, leaves: int, liquidity: Liquidity = Liquidity.MAKER) -> Fill:
    return Fill(order_id, "A-1", "ACME", Side.SELL, 5, 100, leaves, 0, liquidity, 7)


def routed(origin: int, seq: int, events: list[Event]) -> list[Report]:
    return ReportRouter(lambda _: None).resolve(origin, seq, events)


def test_answers_go_to_the_origin_only() -> None:
    acc = Accepted(5, 5, "A-1", "c")
    assert routed(1, 5, [BookAdd("ACME", 5, Side.BUY, 1, 1), acc]) == [(1, False, 5, 1, acc)]
    rej = reject(6, "A-1", "", 0, RejectReason.UNKNOWN_SYMBOL)
    assert routed(2, 6, [rej]) == [(2, False, 6, 0, rej)]
    bal = BalanceChanged("A-1", "CASH", 5, 5)
    assert routed(3, 7, [bal]) == [(3, False, 7, 0, bal)]


def test_a_makers_fill_goes_to_the_owning_firm_never_to_the_takers_session() -> None:
    taker_acc = Accepted(9, 9, "B-1", "t")
    maker_part, taker_fill = fill(5, 3), fill(9, 0, Liquidity.TAKER)
    out = routed(2, 9, [taker_acc, maker_part, taker_fill])
    assert out == [
        (2, False, 9, 0, taker_acc),
        (0, True, 9, 1, maker_part),
        (0, True, 9, 2, taker_fill),
    ]


@pytest.mark.parametrize(
    ("event", "address"),
    [
        (Expired(5, "A-1", 3, ExpireReason.END_OF_DAY), (0, True)),
        (Expired(5, "A-1", 3, ExpireReason.IOC), (0, True)),
        (Cancelled(5, "A-1", 3, CancelReason.SELF_TRADE), (0, True)),
        (Cancelled(5, "A-1", 3, CancelReason.USER), (4, True)),
        (Cancelled(5, "A-1", 3, CancelReason.REPLACED_AWAY), (4, True)),
        (Replaced(5, "A-1", 4, 100, 4, True), (4, True)),
    ],
)
def test_order_reports_go_to_the_owner_and_answers_also_to_the_requester(
    event: Event, address: tuple[int, bool]
) -> None:
    out = routed(4, 11, [event, DayEnded("ACME")])
    assert [(s, o) for s, o, _, _, e in out if e is event] == [address]


def test_origin_0_answers_nobody_but_order_reports_still_reach_the_owner() -> None:
    assert routed(0, 1, [BalanceChanged("A-1", "CASH", 1, 1)]) == []
    assert routed(0, 2, [Accepted(2, 2, "A-1", "")]) == []
    exp = Expired(77, "A-1", 1, ExpireReason.END_OF_DAY)
    assert routed(0, 4, [exp]) == [(0, True, 4, 0, exp)]
    cancel = Cancelled(77, "A-1", 1, CancelReason.USER)
    assert routed(0, 5, [cancel]) == [(0, True, 5, 0, cancel)]


def test_the_router_is_stateless_so_a_restart_changes_no_address() -> None:
    """A fill of an order entered before this router existed (a host restart) is addressed
    exactly as if the router had seen the order accepted."""
    seen = ReportRouter(lambda _: None)
    seen.resolve(1, 5, [Accepted(5, 5, "A-1", "m")])
    events: list[Event] = [
        Accepted(9, 9, "B-1", "t"),
        fill(5, 0),
        BookAdd("ACME", 5, Side.BUY, 1, 1),
    ]
    assert seen.resolve(2, 9, events) == ReportRouter(lambda _: None).resolve(2, 9, events)
    assert not vars(seen).keys() - {"_sink"}  # nothing learned


def test_route_hands_a_commands_reports_to_the_sink_in_one_call() -> None:
    batches: list[list[Report]] = []
    router = ReportRouter(batches.append)
    router.route(1, 5, [BookAdd("ACME", 5, Side.BUY, 1, 1)])  # nothing routed: no call
    router.route(1, 6, [Accepted(6, 6, "A-1", ""), fill(6, 0)])
    assert [[r[:4] for r in batch] for batch in batches] == [[(1, False, 6, 0), (0, True, 6, 1)]]


#: (origin, seq_no, events) of a few commands: answers, order reports, book events, admin
COMMANDS: list[tuple[int, int, list[Event]]] = [
    (1, 5, [Accepted(5, 5, "A-1", "c1"), BookAdd("ACME", 5, Side.BUY, 1, 100)]),
    (2, 9, [Accepted(9, 9, "B-1", "t"), fill(5, 0), fill(9, 0, Liquidity.TAKER)]),
    (0xFFFF_FFFF, 10, [Cancelled(5, "A-1", 0, CancelReason.USER)]),
    (2, 11, [reject(11, "B-1", "x", 0, RejectReason.INSUFFICIENT_CASH)]),
    (3, 12, [DayEnded("ACME")]),
]


def _expected(commands: list[tuple[int, int, list[Event]]]) -> list[Report]:
    out: list[Report] = []
    for origin, seq, events in commands:
        out += routed(origin, seq, [e for e in events if e.__class__ in ROUTED_EVENTS])
    return out


def _publish(ring: RingBuffer, commands: list[tuple[int, int, list[Event]]]) -> None:
    seqr = ring.sequencer(gating=[1])
    for origin, seq, events in commands:
        buf = bytearray()
        end = write_events(buf, 0, seq, events, origin)
        for at in range(0, end, EVENT_RECORD_SIZE):
            hi = seqr.next(1)
            ring.slots[hi & ring.mask] = buf[at : at + EVENT_RECORD_SIZE]
            seqr.publish(hi)


def test_the_gateway_reads_addressed_reports_from_ring_events_across_the_wrap() -> None:
    name = f"sqxgwt{os.getpid()}-{uuid.uuid4().hex[:6]}-events"
    ring = RingBuffer.create(name, 8, EVENT_RECORD_SIZE, 2)  # 0: watermark, 1: gateway
    attached = RingBuffer.attach(name)  # the gateway's side, as in another process
    try:
        reader = EventsReader(attached, 1)
        got: list[Report] = []
        for _ in range(4):  # 40 records through an 8-slot ring: wraps five times
            for command in COMMANDS:
                _publish(ring, [command])
                got += reader.poll().reports()
        assert got == _expected(COMMANDS) * 4
        assert len(reader.poll()) == 0
        _publish(ring, COMMANDS[:1])
        assert reader.wait_available() == 4 * 8 + 2 - 1  # 8 records a round, 2 more
        assert reader.poll().reports() == _expected(COMMANDS[:1])
    finally:
        attached.close()
        ring.close()
    assert list_names(name) == []


def test_a_command_split_across_two_polls_keeps_its_report_numbering() -> None:
    name = f"sqxgwt{os.getpid()}-{uuid.uuid4().hex[:6]}-events"
    ring = RingBuffer.create(name, 8, EVENT_RECORD_SIZE, 2)
    try:
        reader = EventsReader(ring, 1)
        origin, seq, events = COMMANDS[1]
        buf = bytearray()
        end = write_events(buf, 0, seq, events, origin)
        seqr = ring.sequencer(gating=[1])
        got: list[Report] = []
        for at in range(0, end, EVENT_RECORD_SIZE):  # one record per poll
            hi = seqr.next(1)
            ring.slots[hi & ring.mask] = buf[at : at + EVENT_RECORD_SIZE]
            seqr.publish(hi)
            got += reader.poll().reports()
        assert got == _expected([COMMANDS[1]])
    finally:
        ring.close()


async def _until(condition: Callable[[], bool], what: str) -> None:
    for _ in range(3000):  # 30 s: generous, as the wake-up takes well under a second
        if condition():
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"never happened: {what}")


def test_the_report_pump_sleeps_on_the_doorbell_in_the_loop_and_stops_cleanly(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(report_pump, "SAFETY_S", 3600.0)  # so only a ring can wake it
    name = f"sqxgwt{os.getpid()}-{uuid.uuid4().hex[:6]}-events"
    ring = RingBuffer.create(name, 8, EVENT_RECORD_SIZE, 2)  # 0: watermark, 1: gateway
    attached = RingBuffer.attach(name)
    got: list[Report] = []
    failures = [1]  # the first delivery fails: the pump must carry on

    def deliver(batch: ReportBatch) -> None:
        if failures[0]:
            failures[0] -= 1
            raise RuntimeError("a delivery that failed")
        got.extend(batch.reports())

    async def main() -> None:
        loop = asyncio.get_running_loop()
        errors: list[object] = []
        loop.set_exception_handler(lambda _, context: errors.append(context.get("exception")))
        pump = ReportPump(EventsReader(attached, 1), deliver)
        pump.start(loop)
        try:
            await _until(lambda: ring.is_waiting(2), "the pump armed its doorbell")
            _publish(ring, COMMANDS)  # on the loop: all of it is there at the next look
            await _until(lambda: not failures[0] and ring.is_waiting(2), "a failed delivery")
            for n in range(1, 4):
                # from another thread, as the core publishes from another process
                await asyncio.to_thread(_publish, ring, COMMANDS)
                expected = _expected(COMMANDS) * n
                await _until(
                    lambda e=expected: ring.is_waiting(2) and got == e,  # type: ignore[misc]
                    "delivered",
                )
            assert [type(e) for e in errors] == [RuntimeError]
        finally:
            await pump.stop()
        assert not ring.is_waiting(2)
        _publish(ring, COMMANDS[:1])
        await asyncio.sleep(0.1)
        assert got == _expected(COMMANDS) * 3  # nothing delivered after stop

    try:
        asyncio.run(main())
    finally:
        attached.close()
        ring.close()
    assert list_names(name) == []
