"""The ITCH feed rebuilds the engine's books: random order streams through the in-process
exchange, the projection, MoldUDP64 with lost datagrams, and back to books.

The comparison is order by order: every price level of every side, its orders in priority
order with their open shares, and each order's ITCH reference as the projection assigned it.
"""

from __future__ import annotations

import random
from collections.abc import Iterable

import pytest

from engine.domain.exchange import Exchange
from engine.domain.types import Command, Side
from engine.marketdata.itch_book import ItchBook
from engine.marketdata.itch_projection import ItchProjection
from engine.protocols.itch import ItchMessage, MessageFault, decode_message
from engine.protocols.moldudp64 import (
    Message,
    MoldReceiver,
    MoldSender,
    ReceiverEvent,
    RecentMessages,
    RequestPacket,
    SessionEnded,
    answer_request,
    decode_request,
)
from tests.engine.mixed_commands import every_kind, full_mix, replace_heavy

SIDES = {Side.BUY: "B", Side.SELL: "S"}


def project(
    commands: Iterable[Command], window: int = 1
) -> tuple[Exchange, ItchProjection, list[ItchMessage]]:
    ex = Exchange(feedback_window=window)
    projection = ItchProjection()
    messages: list[ItchMessage] = []
    for cmd in commands:
        events = ex.submit(cmd)
        messages.extend(projection.apply(cmd.seq_no, cmd.ts, events))
    return ex, projection, messages


def rebuild(messages: Iterable[ItchMessage]) -> ItchBook:
    book = ItchBook()
    for message in messages:
        assert book.apply(message) is None, message
    return book


def assert_same_books(ex: Exchange, projection: ItchProjection, book: ItchBook) -> None:
    for symbol in ex.symbols():
        for side, char in SIDES.items():
            engine_depth = ex.depth(symbol, side, levels=10**6)
            assert book.depth(symbol, char, levels=10**6) == engine_depth, (symbol, side)
            for price, _total, _count in engine_depth:
                engine_level = []
                for oid in ex.orders_at(symbol, side, price):
                    view = ex.open_order(oid)
                    assert view is not None
                    engine_level.append((projection.reference_of(oid), view.leaves))
                assert book.level(symbol, char, price) == engine_level, (symbol, side, price)
    assert len(book.orders) == len(projection.orders)


@pytest.mark.parametrize("seed", range(6))
def test_every_kind_of_command_rebuilds_the_books(seed: int) -> None:
    ex, projection, messages = project(every_kind(seed, 3_000))
    assert_same_books(ex, projection, rebuild(messages))


@pytest.mark.parametrize(("seed", "jump"), [(1, 2), (2, 64), (3, 2048)])
def test_replaces_up_down_and_across_rebuild_the_books(seed: int, jump: int) -> None:
    ex, projection, messages = project(replace_heavy(seed, 3_000, jump), window=jump)
    assert_same_books(ex, projection, rebuild(messages))


def test_a_long_mixed_stream_rebuilds_the_books_at_every_step() -> None:
    ex = Exchange(feedback_window=16)
    projection = ItchProjection()
    book = ItchBook()
    for i, cmd in enumerate(full_mix(7, 6_000)):
        for message in projection.apply(cmd.seq_no, cmd.ts, ex.submit(cmd)):
            assert book.apply(message) is None, message
        if i % 500 == 0:
            assert_same_books(ex, projection, book)
    assert_same_books(ex, projection, book)


def test_the_feed_is_a_function_of_the_commands() -> None:
    # (the feedback window W is part of the input: it is in the journal's header)
    commands = every_kind(11, 2_000)
    first = [m.encode() for m in project(commands, window=64)[2]]
    assert first == [m.encode() for m in project(commands, window=64)[2]]
    assert len(set(first)) == len(first) > 300


def test_a_projection_restored_from_its_snapshot_continues_the_same_feed() -> None:
    commands = replace_heavy(5, 2_000, 64)
    whole = [m.encode() for m in project(commands, window=64)[2]]
    ex = Exchange(feedback_window=64)
    projection = ItchProjection()
    out: list[bytes] = []
    for i, cmd in enumerate(commands):
        if i == 1_000:
            projection = ItchProjection.restore(projection.snapshot())
        out += [m.encode() for m in projection.apply(cmd.seq_no, cmd.ts, ex.submit(cmd))]
    assert out == whole


def test_a_book_snapshot_rebuilds_the_books_for_a_late_joiner() -> None:
    commands = every_kind(3, 3_000)
    ex, projection, _ = project(commands[:2_000])
    late = rebuild(projection.book_messages(ts=0))
    tail: list[ItchMessage] = []
    for cmd in commands[2_000:]:
        tail += projection.apply(cmd.seq_no, cmd.ts, ex.submit(cmd))
    for message in tail:
        assert late.apply(message) is None, message
    assert_same_books(ex, projection, late)


# -- through MoldUDP64, losing datagrams ------------------------------------------------------


def test_the_books_survive_lost_datagrams_recovered_by_retransmission() -> None:
    rng = random.Random(4)
    ex, projection, messages = project(every_kind(9, 3_000))
    payloads = [m.encode() for m in messages]
    sender = MoldSender("SEQX000001")
    store = RecentMessages(capacity=len(payloads))
    receiver = MoldReceiver(request_timeout_ns=10)
    delivered: list[Message] = []
    ended = False
    now = 0

    def deliver(datagram: bytes) -> None:
        handle(receiver.datagram_received(datagram, now))

    def handle(events: list[ReceiverEvent]) -> None:
        nonlocal ended
        for event in events:
            if isinstance(event, Message):
                delivered.append(event)
            elif isinstance(event, RequestPacket):
                request = decode_request(event.encode())
                assert isinstance(request, RequestPacket)
                for answer in answer_request(request, sender.session, store):
                    if rng.random() > 0.1:  # answers get lost too
                        deliver(answer)
            elif isinstance(event, SessionEnded):
                ended = True
            else:
                raise AssertionError(event)

    for start in range(0, len(payloads), 37):
        batch = payloads[start : start + 37]
        store.extend(batch)
        now += 100
        for datagram in sender.send_many(batch, now) + sender.flush(now):
            if rng.random() > 0.2:
                deliver(datagram)
    for datagram in sender.end_session(now):
        deliver(datagram)
    for _ in range(1_000):
        if ended:
            break
        now += 100
        for datagram in sender.poll(now):
            deliver(datagram)
        handle(receiver.poll(now))
    assert ended
    assert [m.sequence for m in delivered] == list(range(1, len(payloads) + 1))
    decoded = [decode_message(m.payload) for m in delivered]
    assert not any(isinstance(d, MessageFault) for d in decoded)
    assert_same_books(
        ex, projection, rebuild(d for d in decoded if not isinstance(d, MessageFault))
    )
