"""The MoldUDP64 receiver: in order, exactly once, gaps filled by request, bounded, fuzzed."""

from __future__ import annotations

import random

from hypothesis import given, settings
from hypothesis import strategies as st

from engine.protocols.moldudp64 import (
    EndOfSession,
    Heartbeat,
    Message,
    MessagePacket,
    MoldReceiver,
    PacketFault,
    ReceiverEvent,
    RecentMessages,
    RequestPacket,
    SessionEnded,
    answer_request,
)

S = "SEQX000001"


def pkt(first: int, *payloads: bytes) -> bytes:
    return MessagePacket(S, first, payloads).encode()


def delivered(events: list[ReceiverEvent]) -> list[int]:
    return [e.sequence for e in events if isinstance(e, Message)]


def requests(events: list[ReceiverEvent]) -> list[RequestPacket]:
    return [e for e in events if isinstance(e, RequestPacket)]


def test_packets_in_order_are_delivered_in_order() -> None:
    rx = MoldReceiver(S, 1)
    events = rx.datagram_received(pkt(1, b"a", b"b"), 0) + rx.datagram_received(pkt(3, b"c"), 0)
    assert events == [Message(1, b"a"), Message(2, b"b"), Message(3, b"c")]
    assert rx.expected == 4 and rx.gap is None


def test_a_lost_packet_is_requested_and_the_rest_waits_for_it() -> None:
    rx = MoldReceiver(S, 1, request_timeout_ns=100)
    rx.datagram_received(pkt(1, b"a"), 0)
    events = rx.datagram_received(pkt(4, b"d", b"e"), 10)  # 2 and 3 were lost
    assert events == [RequestPacket(S, 2, 2)]
    assert rx.gap == (2, 4)
    assert rx.datagram_received(pkt(6, b"f"), 20) == []  # held; the request is out
    assert rx.poll(109) == []
    assert rx.poll(110) == [RequestPacket(S, 2, 2)]  # unanswered: asked again
    events = rx.datagram_received(pkt(2, b"b", b"c"), 120)  # the answer
    assert delivered(events) == [2, 3, 4, 5, 6]
    assert [e.payload for e in events if isinstance(e, Message)] == [b"b", b"c", b"d", b"e", b"f"]
    assert rx.gap is None and rx.poll(10_000) == []


def test_duplicates_and_old_messages_are_dropped() -> None:
    rx = MoldReceiver(S, 5)
    assert rx.datagram_received(pkt(1, b"1", b"2", b"3", b"4", b"5"), 0) == [Message(5, b"5")]
    assert rx.datagram_received(pkt(5, b"5", b"6"), 0) == [Message(6, b"6")]
    assert rx.duplicates == 5


def test_a_heartbeat_reveals_a_gap_at_the_tail() -> None:
    rx = MoldReceiver(S, 1)
    rx.datagram_received(pkt(1, b"a"), 0)
    assert rx.datagram_received(Heartbeat(S, 4).encode(), 0) == [RequestPacket(S, 2, 2)]


def test_a_late_joiner_starts_at_the_first_packet_it_hears() -> None:
    rx = MoldReceiver()
    assert delivered(rx.datagram_received(pkt(1_000, b"x"), 0)) == [1_000]
    assert rx.session == S
    hb = MoldReceiver()
    assert hb.datagram_received(Heartbeat(S, 77).encode(), 0) == []
    assert hb.expected == 77


def test_a_request_is_capped_and_a_partly_answered_gap_is_asked_again_at_once() -> None:
    rx = MoldReceiver(S, 1, max_request=3, request_timeout_ns=10**9)
    assert requests(rx.datagram_received(pkt(11, b"k"), 0)) == [RequestPacket(S, 1, 3)]
    events = rx.datagram_received(pkt(1, b"a", b"b", b"c"), 1)
    assert delivered(events) == [1, 2, 3] and requests(events) == [RequestPacket(S, 4, 3)]


def test_end_of_session_waits_for_the_last_gap_then_ends() -> None:
    rx = MoldReceiver(S, 1)
    rx.datagram_received(pkt(1, b"a"), 0)
    assert rx.datagram_received(EndOfSession(S, 3).encode(), 0) == [RequestPacket(S, 2, 1)]
    events = rx.datagram_received(pkt(2, b"b"), 1)
    assert events == [Message(2, b"b"), SessionEnded(S, 3)]
    assert rx.ended and rx.datagram_received(EndOfSession(S, 3).encode(), 2) == []


def test_packets_of_another_session_and_garbage_are_faults_and_change_nothing() -> None:
    rx = MoldReceiver(S, 1)
    (fault,) = rx.datagram_received(MessagePacket("OTHER", 1, (b"x",)).encode(), 0)
    assert isinstance(fault, PacketFault) and fault.code == "wrong_session"
    (fault,) = rx.datagram_received(b"\x00" * 5, 0)
    assert isinstance(fault, PacketFault) and fault.code == "short_packet"
    assert rx.expected == 1 and delivered(rx.datagram_received(pkt(1, b"a"), 0)) == [1]


def test_what_is_held_beyond_a_gap_is_bounded_and_fetched_again() -> None:
    rx = MoldReceiver(S, 1, max_pending=3, request_timeout_ns=10)
    for seq in range(2, 10):
        rx.datagram_received(pkt(seq, bytes([seq])), 0)
    assert rx.held == 3  # 2, 3, 4 held; 5..9 dropped
    store = RecentMessages(100)
    store.extend(bytes([seq]) for seq in range(1, 10))
    got: list[int] = []
    now = 0
    events = rx.datagram_received(pkt(1, b"\x01"), now)
    for _ in range(20):
        got += delivered(events)
        reqs = requests(events)
        now += 10
        events = []
        for req in reqs:
            for datagram in answer_request(req, S, store):
                events += rx.datagram_received(datagram, now)
        events += rx.poll(now)
    assert got == list(range(1, 10))


# -- a lossy, reordering, duplicating network ------------------------------------------------


@settings(max_examples=100, deadline=None)
@given(st.integers(0, 2**32), st.integers(1, 300), st.floats(0, 0.6))
def test_every_message_arrives_once_in_order_over_a_bad_network(
    seed: int, count: int, loss: float
) -> None:
    rng = random.Random(seed)
    store = RecentMessages(capacity=count)
    store.extend(f"m{i}".encode() for i in range(1, count + 1))
    datagrams = [pkt(s, *store.messages(s, 5)) for s in range(1, count + 1, 5)]
    datagrams.append(EndOfSession(S, count + 1).encode())
    wire = [d for d in datagrams if rng.random() >= loss]
    wire += rng.sample(wire, len(wire) // 4)  # duplicates
    rng.shuffle(wire)  # and reordering
    wire.append(EndOfSession(S, count + 1).encode())  # repeated until the end: one gets through
    rx = MoldReceiver(S, 1, request_timeout_ns=5, max_request=7)
    out: list[Message] = []
    ended = False
    now = 0
    queue = list(wire)
    while queue and not ended and now < 100_000:
        now += 1
        events = rx.datagram_received(queue.pop(0), now) if queue else []
        events += rx.poll(now)
        for event in events:
            if isinstance(event, Message):
                out.append(event)
            elif isinstance(event, RequestPacket):
                for answer in answer_request(event, S, store):
                    if rng.random() >= loss / 2:
                        queue.insert(rng.randrange(len(queue) + 1), answer)
            elif isinstance(event, SessionEnded):
                ended = True
        if not queue and not ended:
            queue.append(EndOfSession(S, count + 1).encode())
    assert ended
    assert [m.sequence for m in out] == list(range(1, count + 1))
    assert [m.payload for m in out] == [f"m{i}".encode() for i in range(1, count + 1)]


@settings(max_examples=500, deadline=None)
@given(st.lists(st.binary(max_size=60), max_size=20))
def test_random_datagrams_never_raise(datagrams: list[bytes]) -> None:
    rx = MoldReceiver()
    for i, datagram in enumerate(datagrams):
        for event in rx.datagram_received(datagram, i) + rx.poll(i):
            assert isinstance(event, (Message, RequestPacket, SessionEnded, PacketFault))
