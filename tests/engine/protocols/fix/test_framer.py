"""The streaming framer: whole and byte-by-byte input, garbled messages, fatal framing, bounds."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.protocols.fix.codec import FixMessage
from engine.protocols.fix.framer import (
    END_OF_INPUT,
    NEED_DATA,
    FixFramer,
    FramerEvent,
    FramingError,
    Garbled,
)
from tests.engine.protocols.fix.peer import T0, Peer, frame

PEER = Peer()
STREAM = [
    PEER.logon(),
    PEER.build("0"),
    PEER.build("1", [(112, "t-1")]),
    PEER.build("D", [(11, "c1"), (55, "ACME"), (54, "1"), (38, "100"), (40, "2"), (44, "1.5")]),
]


def drain(framer: FixFramer) -> list[FramerEvent]:
    events: list[FramerEvent] = []
    while (event := framer.next_event()) not in (NEED_DATA, END_OF_INPUT):
        events.append(event)
        if isinstance(event, FramingError):
            break
    return events


def feed(data: bytes, chunks: list[int] | None = None, **kw: int) -> list[FramerEvent]:
    framer = FixFramer(**kw)
    events: list[FramerEvent] = []
    cuts = [*sorted(set(chunks or [])), len(data)]
    start = 0
    for cut in cuts:
        framer.receive_data(data[start:cut])
        start = cut
        events += drain(framer)
    return events


def raws(events: list[FramerEvent]) -> list[bytes]:
    return [e.raw for e in events if isinstance(e, FixMessage)]


def test_a_stream_fed_whole_yields_every_message() -> None:
    assert raws(feed(b"".join(STREAM))) == STREAM


def test_a_stream_fed_byte_by_byte_yields_the_same_messages() -> None:
    data = b"".join(STREAM)
    assert raws(feed(data, list(range(1, len(data))))) == STREAM


@given(st.lists(st.integers(min_value=1, max_value=sum(map(len, STREAM)) - 1), max_size=30))
def test_any_chunking_yields_the_same_messages(cuts: list[int]) -> None:
    assert raws(feed(b"".join(STREAM), cuts)) == STREAM


def test_a_bad_checksum_is_garbled_and_the_next_message_still_arrives() -> None:
    bad = STREAM[1][:-4] + b"%03d\x01" % ((int(STREAM[1][-4:-1]) + 1) % 256)
    events = feed(STREAM[0] + bad + STREAM[2])
    assert raws(events) == [STREAM[0], STREAM[2]]
    assert [type(e) for e in events] == [FixMessage, Garbled, FixMessage]
    assert "CheckSum" in events[1].reason  # type: ignore[union-attr]


@pytest.mark.parametrize("delta", [-3, -1, 1, 5])
def test_a_wrong_body_length_is_garbled_and_the_framer_resyncs(delta: int) -> None:
    good = STREAM[1]
    length = int(good.split(b"\x01")[1][2:])
    bad = good.replace(b"9=%d\x01" % length, b"9=%d\x01" % (length + delta), 1)
    events = feed(STREAM[0] + bad + STREAM[2] + STREAM[3])
    assert raws(events) == [STREAM[0], STREAM[2], STREAM[3]]
    assert sum(isinstance(e, Garbled) for e in events) == 1


@pytest.mark.parametrize(
    "bad",
    [
        b"8=FIX.4.4\x019=abc\x0135=0\x0110=000\x01",
        b"8=FIX.4.4\x019=\x0135=0\x0110=000\x01",
        b"8=FIX.4.4\x0135=0\x019=5\x0110=000\x01",
        b"8=FIX.4.4\x019=1234567890123\x0135=0\x01",
    ],
)
def test_an_unreadable_body_length_is_garbled_then_resynced(bad: bytes) -> None:
    events = feed(STREAM[0] + bad + STREAM[1])
    assert raws(events) == [STREAM[0], STREAM[1]]
    assert isinstance(events[1], Garbled) and "BodyLength" in events[1].reason


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (b"GET / HTTP/1.1\r\n\r\n", "8=FIX.4.4"),
        (frame(b"35=0|", begin=b"FIX.4.2"), "FIX.4.2"),
        (frame(b"35=0|", begin=b"FIXT.1.1"), "FIXT.1.1"),
        (STREAM[0] + b"\r\n" + STREAM[1], "8=FIX.4.4"),
    ],
)
def test_bytes_that_cannot_start_a_message_are_fatal(data: bytes, words: str) -> None:
    events = feed(data)
    assert isinstance(events[-1], FramingError) and words in events[-1].text


def test_a_framing_error_is_sticky() -> None:
    framer = FixFramer()
    framer.receive_data(b"junk")
    first = framer.next_event()
    framer.receive_data(STREAM[0])
    assert isinstance(first, FramingError) and framer.next_event() is first


def test_an_oversize_body_length_is_fatal_before_the_body_arrives() -> None:
    framer = FixFramer(max_message_size=1024, max_pending=4096)
    framer.receive_data(b"8=FIX.4.4\x019=5000\x01")
    event = framer.next_event()
    assert isinstance(event, FramingError) and "1024" in event.text


def test_a_message_at_the_size_limit_is_accepted() -> None:
    message = PEER.build("0", [(58, "x" * 900)])
    assert raws(feed(message, max_message_size=len(message), max_pending=4096)) == [message]
    events = feed(message, max_message_size=len(message) - 1, max_pending=4096)
    assert isinstance(events[-1], FramingError)


def test_more_unread_bytes_than_max_pending_is_fatal_after_the_whole_messages() -> None:
    framer = FixFramer(max_message_size=1024, max_pending=2048)
    data = b"".join(STREAM) * 8
    assert len(data) > 2048
    framer.receive_data(data[:2000])
    framer.receive_data(data[2000:])  # over the bound: dropped, then reported
    events = drain(framer)
    assert isinstance(events[-1], FramingError) and "2048" in events[-1].text
    assert all(isinstance(e, FixMessage) for e in events[:-1]) and len(events) > 1


def test_garbage_without_a_message_start_after_a_garbled_message_is_fatal() -> None:
    framer = FixFramer(max_message_size=256, max_pending=4096)
    framer.receive_data(b"8=FIX.4.4\x019=x\x01" + b"z" * 300)
    events = drain(framer)
    assert isinstance(events[0], Garbled) and isinstance(events[-1], FramingError)


def test_a_partial_message_at_end_of_input_is_discarded() -> None:
    framer = FixFramer()
    framer.receive_data(STREAM[0] + STREAM[1][:10])
    framer.receive_data(b"")
    assert framer.next_event().raw == STREAM[0]  # type: ignore[union-attr]
    assert framer.next_event() is END_OF_INPUT


def test_the_buffer_is_compacted_on_a_long_stream() -> None:
    framer = FixFramer(max_message_size=1024, max_pending=8192)
    for _ in range(2000):
        framer.receive_data(STREAM[1])
        assert isinstance(framer.next_event(), FixMessage)
    assert len(framer._buf) < 70_000


ALLOWED = (FixMessage, Garbled, FramingError)


@settings(suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=400), st.lists(st.integers(min_value=0, max_value=400), max_size=5))
def test_random_bytes_frame_or_fail_as_a_protocol_error(junk: bytes, cuts: list[int]) -> None:
    for event in feed(junk, [c for c in cuts if c < len(junk)], max_message_size=512):
        assert isinstance(event, ALLOWED)


@settings(suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_mutated_valid_streams_frame_or_fail_as_a_protocol_error(data: st.DataObject) -> None:
    stream = bytearray(b"".join(STREAM))
    for _ in range(data.draw(st.integers(min_value=1, max_value=6))):
        i = data.draw(st.integers(min_value=0, max_value=len(stream) - 1))
        op = data.draw(st.sampled_from(["flip", "delete", "insert", "soh"]))
        if op == "flip":
            stream[i] = data.draw(st.integers(min_value=0, max_value=255))
        elif op == "delete":
            del stream[i]
        elif op == "insert":
            stream[i:i] = data.draw(st.binary(min_size=1, max_size=8))
        else:
            stream[i] = 1
    events = feed(bytes(stream), max_message_size=1024)
    assert all(isinstance(e, ALLOWED) for e in events)


def test_the_peer_helper_times_start_at_t0() -> None:
    assert b"52=20240301-12:00:00.000" in PEER.build("0", now_ns=T0)
