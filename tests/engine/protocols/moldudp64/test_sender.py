"""The MoldUDP64 sender: numbering, full datagrams, heartbeats when idle, end of session."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.protocols.moldudp64 import (
    MAX_PACKET,
    EndOfSession,
    Heartbeat,
    LocalProtocolError,
    MessagePacket,
    MoldSender,
    RecentMessages,
    RequestPacket,
    answer_request,
    decode_downstream,
)

SECOND = 1_000_000_000


def packets(datagrams: list[bytes]) -> list[MessagePacket]:
    out = []
    for datagram in datagrams:
        packet = decode_downstream(datagram)
        assert isinstance(packet, MessagePacket), packet
        out.append(packet)
    return out


@settings(max_examples=200, deadline=None)
@given(st.lists(st.binary(max_size=120), max_size=200), st.integers(1, 10**6))
def test_messages_go_out_numbered_in_order_in_datagrams_of_at_most_1400_bytes(
    messages: list[bytes], first: int
) -> None:
    sender = MoldSender("S1", next_sequence=first)
    datagrams = sender.send_many(messages, 0) + sender.flush(0)
    assert all(len(d) <= MAX_PACKET for d in datagrams)
    sent = packets(datagrams)
    assert [m for p in sent for m in p.messages] == messages
    expected = first
    for packet in sent:
        assert packet.sequence == expected
        expected = packet.next_sequence
    assert sender.next_sequence == first + len(messages) == expected


def test_a_burst_fills_each_datagram_before_starting_the_next() -> None:
    sender = MoldSender("S1")
    message = b"A" * 34  # 36 bytes with its length: 38 fit in 1,400 after the 20-byte header
    full = sender.send_many([message] * 100, 0)
    assert [len(p.messages) for p in packets(full)] == [38, 38]
    assert sender.queued == 24
    assert len(full[0]) == 20 + 38 * 36 <= MAX_PACKET


def test_a_message_too_large_for_one_datagram_is_our_misuse() -> None:
    sender = MoldSender("S1", max_packet=100)
    assert sender.max_message == 78
    sender.send(b"x" * 78, 0)
    with pytest.raises(ValueError):
        sender.send(b"x" * 79, 0)


def test_an_idle_sender_heartbeats_with_the_next_sequence_number() -> None:
    sender = MoldSender("S1", heartbeat_ns=SECOND)
    assert sender.poll(0) == [Heartbeat("S1", 1).encode()]
    assert sender.poll(SECOND - 1) == []
    sender.send_many([b"a", b"b"], SECOND - 1)
    assert packets(sender.poll(SECOND - 1))[0].messages == (b"a", b"b")  # a tick flushes
    assert sender.poll(2 * SECOND - 2) == []  # the data was the sign of life
    assert sender.poll(2 * SECOND - 1) == [Heartbeat("S1", 3).encode()]


def test_end_of_session_flushes_then_repeats_in_place_of_heartbeats() -> None:
    sender = MoldSender("S1", heartbeat_ns=SECOND)
    sender.send(b"last", 0)
    out = sender.end_session(0)
    assert packets(out[:1])[0].messages == (b"last",)
    assert decode_downstream(out[1]) == EndOfSession("S1", 2)
    assert sender.poll(SECOND) == [EndOfSession("S1", 2).encode()]
    with pytest.raises(LocalProtocolError):
        sender.send(b"more", SECOND)


def test_a_restarted_sender_continues_the_sessions_numbers() -> None:
    sender = MoldSender("S1", next_sequence=1_001)
    (packet,) = packets(sender.send_many([b"x"], 0) + sender.flush(0))
    assert packet.sequence == 1_001


# -- the re-request server's side ---------------------------------------------------------


def test_recent_messages_keep_at_least_their_capacity_by_number() -> None:
    store = RecentMessages(capacity=10, next_sequence=5)
    assert store.extend(bytes([i]) for i in range(100)) == 5
    assert store.next_sequence == 105
    assert store.first_sequence <= 95
    assert store.messages(95, 3) == [bytes([90]), bytes([91]), bytes([92])]
    assert store.messages(104, 10) == [bytes([99])]
    assert store.messages(105, 1) == []  # not sent yet
    assert store.messages(1, 1) == []  # long gone


def test_a_request_is_answered_with_full_datagrams_of_the_range() -> None:
    store = RecentMessages(capacity=1_000)
    store.extend(b"M" * 48 for _ in range(300))  # 50 bytes a block: 27 fit a datagram
    answer = packets(answer_request(RequestPacket("S1", 11, 100), "S1", store))
    assert [p.sequence for p in answer] == [11, 38, 65, 92]
    assert sum(len(p.messages) for p in answer) == 100
    assert all(len(p.encode()) <= MAX_PACKET for p in answer)
    assert answer_request(RequestPacket("S2", 11, 100), "S1", store) == []  # not our session
    assert answer_request(RequestPacket("S1", 301, 5), "S1", store) == []  # not sent yet
    capped = answer_request(RequestPacket("S1", 1, 300), "S1", store, max_messages=30)
    assert sum(len(p.messages) for p in packets(capped)) == 30
