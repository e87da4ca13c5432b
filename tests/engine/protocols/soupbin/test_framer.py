"""The SoupBinTCP framer: whole and byte by byte, bounded, faults with reasons, fuzzed."""

from __future__ import annotations

from itertools import pairwise

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.protocols.soupbin.events import NEED_DATA, ConnectionClosed, PacketFault
from engine.protocols.soupbin.framer import PacketFramer
from engine.protocols.soupbin.packets import (
    CLIENT_PACKET_DECODERS,
    ClientHeartbeat,
    ClientPacket,
    LoginRequest,
    LogoutRequest,
    UnsequencedData,
    encode,
)
from tests.engine.protocols.drive import bytewise

Framer = PacketFramer[ClientPacket]

STREAM = (
    encode(LoginRequest("ALPHA", "pw", "", 1))
    + encode(UnsequencedData(b"O" + b"x" * 48))
    + encode(ClientHeartbeat())
    + encode(UnsequencedData(b""))
    + encode(LogoutRequest())
)


def framer(**kwargs: int) -> Framer:
    return PacketFramer(CLIENT_PACKET_DECODERS, **kwargs)


def collect(f: Framer, chunks: list[bytes], limit: int = 100_000) -> list[object]:
    out: list[object] = []
    for chunk in [*chunks, b""]:
        f.receive_data(chunk)
        for _ in range(limit):
            item = f.next_packet()
            if item is NEED_DATA:
                break
            out.append(item)
            if isinstance(item, ConnectionClosed) or (isinstance(item, PacketFault) and item.fatal):
                return out
        else:
            raise AssertionError("next_packet did not settle")
    return out


def test_a_stream_splits_into_its_packets() -> None:
    assert collect(framer(), [STREAM]) == [
        LoginRequest("ALPHA", "pw", "", 1),
        UnsequencedData(b"O" + b"x" * 48),
        ClientHeartbeat(),
        UnsequencedData(b""),
        LogoutRequest(),
        ConnectionClosed(),
    ]


def test_byte_by_byte_gives_the_same_packets_as_whole() -> None:
    assert collect(framer(), bytewise(STREAM)) == collect(framer(), [STREAM])


@settings(max_examples=100, deadline=None)
@given(st.lists(st.integers(1, len(STREAM)), max_size=20))
def test_any_split_of_the_stream_gives_the_same_packets(cuts: list[int]) -> None:
    points = sorted({0, len(STREAM), *cuts})
    chunks = [STREAM[a:b] for a, b in pairwise(points)]
    assert collect(framer(), chunks) == collect(framer(), [STREAM])


def test_an_oversize_length_is_fatal_before_its_body_arrives() -> None:
    f = framer(max_packet=100)
    f.receive_data(b"\x00\x65")  # 101: one more than allowed, and no body buffered yet
    fault = f.next_packet()
    assert fault == PacketFault("packet_too_large", fault.text, fatal=True)  # type: ignore[union-attr]
    assert "101" in fault.text and "100" in fault.text  # type: ignore[union-attr]
    f.receive_data(b"x" * 200)
    assert f.next_packet() is fault  # sticky: the stream is out of step for good
    assert f.pending == 2  # the body was never buffered


def test_a_packet_of_exactly_max_packet_is_taken() -> None:
    f = framer(max_packet=10)
    f.receive_data(encode(UnsequencedData(b"123456789")))
    assert f.next_packet() == UnsequencedData(b"123456789")


def test_unknown_types_and_wrong_lengths_are_faults_that_keep_the_stream_in_step() -> None:
    data = b"\x00\x01S" + b"\x00\x02Lx" + b"\x00\x00" + encode(LogoutRequest())
    got = collect(framer(), [data])
    assert [type(g) for g in got] == [
        PacketFault,
        PacketFault,
        PacketFault,
        LogoutRequest,
        ConnectionClosed,
    ]
    codes = [g.code for g in got if isinstance(g, PacketFault)]
    assert codes == ["unknown_type", "bad_length", "empty_packet"]
    assert not any(g.fatal for g in got if isinstance(g, PacketFault))
    assert "'S'" in got[0].text  # type: ignore[union-attr]  # a server packet sent by a client


def test_too_much_unread_input_overflows_after_the_whole_packets() -> None:
    f = framer(max_packet=10, max_pending=20)
    f.receive_data(encode(ClientHeartbeat()) * 6)  # 18 bytes
    f.receive_data(b"\x00\x05")  # 20: still fits
    f.receive_data(b"U")  # 21: over
    assert [f.next_packet() for _ in range(6)] == [ClientHeartbeat()] * 6
    fault = f.next_packet()
    assert isinstance(fault, PacketFault) and fault.code == "buffer_overflow" and fault.fatal


def test_half_a_packet_at_end_of_input_is_discarded() -> None:
    whole = encode(LogoutRequest())
    assert collect(framer(), [whole + encode(UnsequencedData(b"abc"))[:-1]]) == [
        LogoutRequest(),
        ConnectionClosed(),
    ]


def test_limits_that_cannot_hold_one_packet_are_refused() -> None:
    with pytest.raises(ValueError):
        framer(max_packet=0)
    with pytest.raises(ValueError):
        framer(max_packet=0x10000)
    with pytest.raises(ValueError):
        framer(max_packet=100, max_pending=101)


def test_a_long_stream_fed_byte_by_byte_is_framed_whole() -> None:
    # 129 KB one byte at a time through a 4 KB bound: the consumed prefix is compacted away
    f = framer(max_packet=100, max_pending=4096)
    packet = encode(UnsequencedData(b"y" * 40))
    total = 0
    for byte in bytewise(packet * 3000):
        f.receive_data(byte)
        while (item := f.next_packet()) is not NEED_DATA:
            assert item == UnsequencedData(b"y" * 40)
            total += 1
    assert total == 3000 and f.pending == 0


@settings(max_examples=400, deadline=None)
@given(st.binary(max_size=400), st.integers(1, 64))
def test_random_bytes_give_packets_or_faults_never_an_exception(data: bytes, step: int) -> None:
    chunks = [data[i : i + step] for i in range(0, len(data), step)]
    for item in collect(framer(max_packet=128, max_pending=512), chunks):
        assert isinstance(item, (PacketFault, ConnectionClosed, *_CLIENT_TYPES))


_CLIENT_TYPES = (LoginRequest, UnsequencedData, ClientHeartbeat, LogoutRequest)
