"""RecentPackets: a retransmission source read straight out of the datagrams that were sent."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.protocols.moldudp64 import (
    EndOfSession,
    Heartbeat,
    MoldSender,
    RecentMessages,
    RecentPackets,
    RequestPacket,
    answer_request,
)


def sent(messages: list[bytes], first: int = 1, max_packet: int = 1400) -> list[bytes]:
    sender = MoldSender("S1", next_sequence=first, max_packet=max_packet)
    return sender.send_many(messages, 0) + sender.flush(0)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.binary(min_size=1, max_size=60), min_size=1, max_size=300),
    st.integers(1, 10**6),
    st.integers(0, 320),
    st.integers(1, 400),
)
def test_it_answers_as_a_store_of_the_same_messages_would(
    messages: list[bytes], first: int, offset: int, count: int
) -> None:
    packets = RecentPackets(capacity=10**6)
    for datagram in sent(messages, first, max_packet=200):
        packets.add(datagram)
    store = RecentMessages(capacity=10**6, next_sequence=first)
    store.extend(messages)
    assert (packets.first_sequence, packets.next_sequence) == (first, first + len(messages))
    wanted = first + offset
    assert list(packets.messages(wanted, count)) == list(store.messages(wanted, count))
    request = RequestPacket("S1", first + offset, count)
    assert answer_request(request, "S1", packets) == answer_request(request, "S1", store)


def test_it_keeps_at_least_its_capacity_and_drops_whole_datagrams_from_the_old_end() -> None:
    messages = [bytes([i % 256]) * 30 for i in range(1_000)]
    packets = RecentPackets(capacity=100)
    for datagram in sent(messages):
        packets.add(datagram)
    assert packets.next_sequence == 1_001
    assert 100 <= packets.next_sequence - packets.first_sequence < 100 + 45
    assert packets.messages(packets.first_sequence - 1, 5) == []
    assert list(packets.messages(901, 100)) == messages[900:]
    assert packets.messages(1_001, 1) == []


def test_heartbeats_are_ignored_and_a_hole_is_refused() -> None:
    packets = RecentPackets(capacity=10)
    packets.add(Heartbeat("S1", 1).encode())
    first = sent([b"a", b"b"])
    packets.add(first[0])
    packets.add(EndOfSession("S1", 3).encode())
    assert list(packets.messages(1, 5)) == [b"a", b"b"]
    with pytest.raises(ValueError, match="does not follow"):
        packets.add(sent([b"c"], first=5)[0])
    with pytest.raises(ValueError):
        RecentPackets(capacity=0)
