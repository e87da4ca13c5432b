"""The replication wire codec: every frame round-trips, whole or byte by byte; garbage either
decodes or raises ProtocolError naming the offset of the bad frame; the error is sticky; a
frame too long is refused from its length alone."""

from __future__ import annotations

import struct

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from journal.replication import (
    MAX_HEADER,
    MODE_ASYNC,
    MODE_SYNC,
    Ack,
    Check,
    Feed,
    Frame,
    FrameDecoder,
    Heartbeat,
    Hello,
    ProtocolError,
    Records,
    Refuse,
    Start,
    encode,
    records_prefix,
)

u64 = st.integers(0, 2**64 - 1)
header = st.binary(max_size=MAX_HEADER)


@st.composite
def records(draw: st.DrawFn) -> Records:
    size = draw(st.integers(1, 200))
    count = draw(st.integers(1, 6))
    first = draw(st.integers(0, 2**64 - count))
    payload = draw(st.binary(min_size=size * count, max_size=size * count))
    return Records(first, count, size, payload)


frames: st.SearchStrategy[Frame] = st.one_of(
    st.builds(Hello, u64, u64, u64, header),
    st.builds(Start, u64, u64, u64, u64, u64, st.sampled_from([MODE_SYNC, MODE_ASYNC]), header),
    records(),
    st.builds(Ack, u64),
    st.builds(Heartbeat, u64),
    st.builds(Check, u64, u64),
    st.builds(Refuse, st.text(max_size=200)),
    st.builds(
        Feed,
        st.text("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", min_size=1, max_size=10),
        st.integers(-(2**31), 2**31 - 1),
    ),
)


def decode_all(decoder: FrameDecoder) -> list[Frame]:
    out: list[Frame] = []
    while (frame := decoder.next_frame()) is not None:
        out.append(frame)
    return out


@settings(max_examples=200, deadline=None)
@given(st.lists(frames, max_size=8))
def test_frames_round_trip_whole_and_byte_by_byte(sent: list[Frame]) -> None:
    stream = b"".join(encode(frame) for frame in sent)
    whole = FrameDecoder()
    whole.receive_data(stream)
    assert decode_all(whole) == sent
    assert whole.buffered == 0
    trickle = FrameDecoder()
    got: list[Frame] = []
    for i in range(len(stream)):
        trickle.receive_data(stream[i : i + 1])
        got += decode_all(trickle)
    assert got == sent


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=300), st.integers(1, 17))
def test_garbage_decodes_or_raises_the_protocol_error(garbage: bytes, step: int) -> None:
    decoder = FrameDecoder(max_frame=4096)
    try:
        for i in range(0, len(garbage), step):
            decoder.receive_data(garbage[i : i + step])
            decode_all(decoder)
    except ProtocolError as exc:
        assert 0 <= exc.offset <= len(garbage)
        assert f"at byte {exc.offset}" in str(exc)


@settings(max_examples=100, deadline=None)
@given(st.lists(frames, min_size=1, max_size=4), st.data())
def test_a_flipped_type_byte_is_named_at_its_frames_offset(
    sent: list[Frame], data: st.DataObject
) -> None:
    encoded = [encode(frame) for frame in sent]
    bad = data.draw(st.integers(0, len(encoded) - 1))
    offset = sum(len(e) for e in encoded[:bad])
    stream = bytearray(b"".join(encoded))
    stream[offset + 4] = data.draw(st.integers(9, 255))  # no such frame type
    decoder = FrameDecoder()
    decoder.receive_data(bytes(stream))
    with pytest.raises(ProtocolError) as raised:
        decode_all(decoder)
    assert raised.value.offset == offset
    assert "unknown frame type" in raised.value.reason


def test_a_too_long_frame_is_refused_from_its_length_alone() -> None:
    decoder = FrameDecoder(max_frame=1000)
    decoder.receive_data(encode(Ack(7)))
    decoder.receive_data(struct.pack("<I", 1001))  # only the length: no body needed to refuse
    assert decoder.next_frame() == Ack(7)
    with pytest.raises(ProtocolError, match="at byte 13: a frame of 1001 bytes exceeds"):
        decoder.next_frame()


def test_the_error_is_sticky() -> None:
    decoder = FrameDecoder()
    decoder.receive_data(b"\x00\x00\x00\x00")
    with pytest.raises(ProtocolError, match="length 0"):
        decoder.next_frame()
    with pytest.raises(ProtocolError):
        decoder.receive_data(encode(Ack(1)))
    with pytest.raises(ProtocolError):
        decoder.next_frame()


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (bytes((4,)) + b"\x01\x02", "bad ACK frame of 3 bytes: ACK needs 8 body bytes, got 2"),
        (bytes((3,)) + struct.pack("<QII", 5, 2, 128) + bytes(128), "2 records of 128 bytes"),
        (bytes((3,)) + struct.pack("<QII", 5, 0, 128), "0 records of 128 bytes"),
        (bytes((1,)) + struct.pack("<HQQQB", 9, 0, 0, 0, 0), "protocol version 9"),
        (bytes((1,)) + struct.pack("<HQQQB", 1, 0, 0, 0, 65) + bytes(65), "header of 65 bytes"),
        (
            bytes((2,)) + struct.pack("<HQQQQQBB", 1, 0, 1, 0, 0, 0, 7, 0),
            "unknown replication mode",
        ),
    ],
)
def test_malformed_bodies_say_what_is_wrong(body: bytes, reason: str) -> None:
    decoder = FrameDecoder()
    decoder.receive_data(encode(Heartbeat(3)) + struct.pack("<I", len(body)) + body)
    assert decoder.next_frame() == Heartbeat(3)
    with pytest.raises(ProtocolError) as raised:
        decoder.next_frame()
    assert raised.value.offset == 13
    assert reason in raised.value.reason


def test_records_go_out_as_a_prefix_and_the_payloads_as_they_lie() -> None:
    payload = bytes(range(256)) * 2
    sent = records_prefix(41, 4, 128) + payload
    assert sent == encode(Records(41, 4, 128, payload))
    decoder = FrameDecoder()
    decoder.receive_data(sent)
    frame = decoder.next_frame()
    assert isinstance(frame, Records) and (frame.first_seq, frame.last_seq) == (41, 44)


def test_the_encoder_refuses_what_no_decoder_would_accept() -> None:
    with pytest.raises(ValueError, match="header of 65 bytes"):
        encode(Hello(1, 2, 3, bytes(65)))
    with pytest.raises(ValueError, match="payload bytes"):
        encode(Records(1, 2, 128, bytes(128)))
    with pytest.raises(ValueError, match="outside"):
        encode(Ack(-1))


@pytest.mark.parametrize("session", ["", "ELEVENCHARS", " SQX", "SQX\u00e9", "SQ-X"])
def test_a_feed_frame_carries_only_a_moldudp64_session_name(session: str) -> None:
    with pytest.raises(ValueError, match="session name"):
        encode(Feed(session, 0))
    raw = session.encode("utf-8")
    if len(raw) > 10:
        return  # the frame has no room for it
    body = struct.pack("<i10s", 0, raw.ljust(10))
    decoder = FrameDecoder()
    decoder.receive_data(struct.pack("<I", len(body) + 1) + bytes((8,)) + body)
    with pytest.raises(ProtocolError, match="bad FEED frame"):
        decoder.next_frame()
