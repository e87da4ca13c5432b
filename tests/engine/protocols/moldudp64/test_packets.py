"""MoldUDP64 packets: exact bytes from the spec, round trips, faults with offsets, fuzz."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.protocols.moldudp64 import (
    DownstreamPacket,
    EndOfSession,
    Heartbeat,
    MessagePacket,
    PacketFault,
    RequestPacket,
    decode_downstream,
    decode_request,
)

SESSION = b"SEQX000001"


def test_a_message_packet_has_the_spec_layout() -> None:
    packet = MessagePacket("SEQX000001", 5, (b"AB", b"", b"xyz"))
    expected = (
        SESSION  # session, 10 bytes
        + b"\x00\x00\x00\x00\x00\x00\x00\x05"  # sequence number of the first message
        + b"\x00\x03"  # message count
        + b"\x00\x02AB"  # each message: 2-byte length, then its bytes
        + b"\x00\x00"
        + b"\x00\x03xyz"
    )
    assert packet.encode() == expected
    assert decode_downstream(expected) == packet
    assert packet.next_sequence == 8


def test_heartbeat_end_of_session_and_request_have_the_spec_layout() -> None:
    seq = b"\x00\x00\x00\x00\x00\x00\x01\x00"  # 256
    assert Heartbeat("SEQX000001", 256).encode() == SESSION + seq + b"\x00\x00"
    assert EndOfSession("SEQX000001", 256).encode() == SESSION + seq + b"\xff\xff"
    assert RequestPacket("SEQX000001", 256, 7).encode() == SESSION + seq + b"\x00\x07"
    assert decode_downstream(SESSION + seq + b"\x00\x00") == Heartbeat("SEQX000001", 256)
    assert decode_downstream(SESSION + seq + b"\xff\xff") == EndOfSession("SEQX000001", 256)
    assert decode_request(SESSION + seq + b"\x00\x07") == RequestPacket("SEQX000001", 256, 7)


def test_a_short_session_name_is_padded_with_spaces_on_the_right() -> None:
    raw = Heartbeat("DAY1", 1).encode()
    assert raw[:10] == b"DAY1      "
    assert decode_downstream(raw) == Heartbeat("DAY1", 1)


# -- round trips ---------------------------------------------------------------------------

session = st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7E), max_size=10)
sequence = st.integers(1, 2**40)
downstream = st.one_of(
    st.builds(
        MessagePacket, session, sequence, st.lists(st.binary(max_size=60), min_size=1, max_size=30)
        .map(tuple),
    ),
    st.builds(Heartbeat, session, sequence),
    st.builds(EndOfSession, session, sequence),
)  # fmt: skip


@settings(max_examples=500, deadline=None)
@given(downstream)
def test_every_downstream_packet_round_trips(packet: DownstreamPacket) -> None:
    assert decode_downstream(packet.encode()) == packet


@settings(max_examples=300, deadline=None)
@given(st.builds(RequestPacket, session, sequence, st.integers(1, 0xFFFE)))
def test_every_request_round_trips(request: RequestPacket) -> None:
    assert decode_request(request.encode()) == request


# -- faults ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("datagram", "code", "offset"),
    [
        (b"", "short_packet", 0),
        (SESSION + b"\x00" * 8, "short_packet", 18),
        (b"SEQ\x01000001" + b"\x00" * 7 + b"\x01\x00\x00", "bad_session", 3),
        (SESSION + b"\x00" * 8 + b"\x00\x00", "bad_sequence", 10),
        (SESSION + b"\x00" * 7 + b"\x01\x00\x00" + b"x", "trailing_bytes", 20),
        (SESSION + b"\x00" * 7 + b"\x01\xff\xff" + b"x", "trailing_bytes", 20),
        (SESSION + b"\x00" * 7 + b"\x01\x00\x02" + b"\x00\x01a", "truncated_block", 23),
        (SESSION + b"\x00" * 7 + b"\x01\x00\x01" + b"\x00\x05abc", "truncated_block", 20),
        (SESSION + b"\x00" * 7 + b"\x01\x00\x01" + b"\x00\x01ab", "trailing_bytes", 23),
        (SESSION + b"\xff" * 8 + b"\x00\x02" + b"\x00\x00" * 2, "bad_sequence", 10),
    ],
)
def test_a_malformed_datagram_is_a_fault_at_its_offset(
    datagram: bytes, code: str, offset: int
) -> None:
    fault = decode_downstream(datagram)
    assert isinstance(fault, PacketFault)
    assert (fault.code, fault.offset) == (code, offset), fault.text


@pytest.mark.parametrize(
    ("datagram", "code"),
    [
        (SESSION + b"\x00" * 7 + b"\x01\x00", "bad_length"),
        (SESSION + b"\x00" * 7 + b"\x01\x00\x01x", "bad_length"),
        (SESSION + b"\x00" * 7 + b"\x01\x00\x00", "bad_length"),  # a request for nothing
        (SESSION + b"\x00" * 7 + b"\x01\xff\xff", "bad_length"),
        (SESSION + b"\x00" * 8 + b"\x00\x01", "bad_sequence"),
        (b"\x7f" * 10 + b"\x00" * 7 + b"\x01\x00\x01", "bad_session"),
    ],
)
def test_a_malformed_request_is_a_fault(datagram: bytes, code: str) -> None:
    fault = decode_request(datagram)
    assert isinstance(fault, PacketFault) and fault.code == code


@pytest.mark.parametrize(
    "packet",
    [
        MessagePacket("S", 1, ()),
        MessagePacket("S", 0, (b"x",)),
        MessagePacket("S", 1, (b"x" * 65_536,)),
        MessagePacket("ELEVENCHARS", 1, (b"x",)),
        MessagePacket("Ä", 1, (b"x",)),
        Heartbeat("S", 2**64),
        RequestPacket("S", 1, 0),
        RequestPacket("S", 1, 0xFFFF),
    ],
)
def test_encoding_what_cannot_be_sent_is_our_misuse(packet: DownstreamPacket) -> None:
    with pytest.raises(ValueError):
        packet.encode()


# -- fuzz ------------------------------------------------------------------------------------

DOWNSTREAM_KINDS = (MessagePacket, Heartbeat, EndOfSession, PacketFault)


@settings(max_examples=1_000, deadline=None)
@given(st.one_of(st.binary(max_size=80), st.binary(max_size=60).map(lambda b: SESSION + b)))
def test_random_datagrams_decode_or_fault_never_raise(datagram: bytes) -> None:
    assert isinstance(decode_downstream(datagram), DOWNSTREAM_KINDS)
    assert isinstance(decode_request(datagram), (RequestPacket, PacketFault))


@settings(max_examples=500, deadline=None)
@given(downstream, st.data())
def test_mutated_and_cut_packets_decode_or_fault_never_raise(
    packet: DownstreamPacket, data: st.DataObject
) -> None:
    raw = bytearray(packet.encode())
    where = data.draw(st.integers(0, len(raw) - 1))
    raw[where] = data.draw(st.integers(0, 255))
    candidates = [bytes(raw), bytes(raw) + b"x"]
    candidates += [bytes(raw[:cut]) for cut in range(len(raw))]  # every cut, byte by byte
    for datagram in candidates:
        decoded = decode_downstream(datagram)
        assert isinstance(decoded, DOWNSTREAM_KINDS)
        if not isinstance(decoded, PacketFault):
            assert decoded.encode() == datagram
