"""SoupBinTCP 3.0 packets: exact bytes from the spec, round trips, and what decoding refuses."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.protocols.soupbin.packets import (
    CLIENT_PACKET_DECODERS,
    MAX_SEQUENCE_NUMBER,
    SERVER_PACKET_DECODERS,
    ClientHeartbeat,
    Debug,
    EndOfSession,
    LoginAccepted,
    LoginRejected,
    LoginRequest,
    LogoutRequest,
    Packet,
    PacketDecodeError,
    SequencedData,
    ServerHeartbeat,
    UnsequencedData,
    encode,
)


def decode(raw: bytes, *, from_server: bool) -> Packet:
    """One whole encoded packet back to its object, checking the length header."""
    assert int.from_bytes(raw[:2], "big") == len(raw) - 2
    table = SERVER_PACKET_DECODERS if from_server else CLIENT_PACKET_DECODERS
    return table[raw[2]](raw[3:])


# -- exact layouts, written by hand from the spec tables -------------------------------------


def test_login_request_bytes_match_the_spec_layout() -> None:
    packet = LoginRequest("ALPHA", "secret", "", 0)
    expected = (
        b"\x00\x2f"  # length 47 = type + 6 + 10 + 10 + 20
        b"L"
        b"ALPHA "  # username, 6, right padded
        b"secret    "  # password, 10, right padded
        b"          "  # requested session: blank = the current session
        b"                   0"  # requested sequence number, 20, left padded; 0 = next
    )
    assert encode(packet) == expected
    assert decode(expected, from_server=False) == packet


def test_login_request_resuming_a_session_pads_the_numbers_on_the_left() -> None:
    raw = encode(LoginRequest("BETA", "pw", "SESSION1", 1234))
    assert raw[3 + 16 : 3 + 26] == b"  SESSION1"
    assert raw[3 + 26 :] == b" " * 16 + b"1234"


def test_login_accepted_bytes_match_the_spec_layout() -> None:
    packet = LoginAccepted("SESSION1", 42)
    expected = (
        b"\x00\x1f"  # length 31 = type + 10 + 20
        b"A"
        b"  SESSION1"  # session, 10, left padded with spaces
        b"                  42"  # next sequence number, 20, left padded with spaces
    )
    assert encode(packet) == expected
    assert decode(expected, from_server=True) == packet


@pytest.mark.parametrize(
    ("packet", "expected"),
    [
        (LoginRejected("A"), b"\x00\x02JA"),
        (LoginRejected("S"), b"\x00\x02JS"),
        (SequencedData(b"xyz"), b"\x00\x04Sxyz"),
        (ServerHeartbeat(), b"\x00\x01H"),
        (EndOfSession(), b"\x00\x01Z"),
        (UnsequencedData(b"\x00\xff"), b"\x00\x03U\x00\xff"),
        (ClientHeartbeat(), b"\x00\x01R"),
        (LogoutRequest(), b"\x00\x01O"),
        (Debug("hello"), b"\x00\x06+hello"),
    ],
)
def test_small_packets_have_their_spec_bytes(packet: Packet, expected: bytes) -> None:
    assert encode(packet) == expected


# -- round trips ---------------------------------------------------------------------------

printable = st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7E), max_size=10)


@settings(max_examples=200, deadline=None)
@given(
    st.one_of(
        st.builds(LoginAccepted, printable, st.integers(1, MAX_SEQUENCE_NUMBER)),
        st.builds(LoginRejected, st.sampled_from("AS")),
        st.builds(SequencedData, st.binary(max_size=300)),
        st.just(ServerHeartbeat()),
        st.just(EndOfSession()),
        st.builds(Debug, st.text(st.characters(max_codepoint=0x7F), max_size=50)),
    )
)
def test_every_server_packet_round_trips(packet: Packet) -> None:
    assert decode(encode(packet), from_server=True) == packet


@settings(max_examples=200, deadline=None)
@given(
    st.one_of(
        st.builds(
            LoginRequest,
            printable.filter(lambda s: len(s) <= 6),
            printable,
            printable,
            st.integers(0, MAX_SEQUENCE_NUMBER),
        ),
        st.builds(UnsequencedData, st.binary(max_size=300)),
        st.just(ClientHeartbeat()),
        st.just(LogoutRequest()),
    )
)
def test_every_client_packet_round_trips(packet: Packet) -> None:
    assert decode(encode(packet), from_server=False) == packet


def test_decoding_strips_padding_on_either_side() -> None:
    # a peer that pads the session on the right, or the number with zeros, still reads well
    body = b"BETA  " + b"pw        " + b"SESSION1  " + b"00000000000000000007"
    assert LoginRequest.decode(body) == LoginRequest("BETA", "pw", "SESSION1", 7)


# -- what decoding refuses -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("decoder", "body", "code"),
    [
        (LoginRequest.decode, b"x" * 45, "bad_length"),
        (LoginRequest.decode, b"x" * 47, "bad_length"),
        (LoginRequest.decode, b"ALPHA\x00" + b" " * 20 + b" " * 19 + b"0", "bad_field"),
        (LoginRequest.decode, b" " * 26 + b" " * 19 + b"x", "bad_field"),
        (LoginRequest.decode, b" " * 26 + b" " * 20, "bad_field"),  # a blank number
        (LoginRequest.decode, b" " * 26 + b" " * 18 + b"-1", "bad_field"),
        (LoginAccepted.decode, b" " * 10 + b" " * 19 + b"0", "bad_field"),  # seqs start at 1
        (LoginAccepted.decode, b" " * 29, "bad_length"),
        (LoginRejected.decode, b"X", "bad_field"),
        (LoginRejected.decode, b"AS", "bad_length"),
        (ServerHeartbeat.decode, b"x", "bad_length"),
        (EndOfSession.decode, b"x", "bad_length"),
        (ClientHeartbeat.decode, b"x", "bad_length"),
        (LogoutRequest.decode, b"x", "bad_length"),
    ],
)
def test_malformed_payloads_raise_decode_errors_with_a_code(
    decoder: object, body: bytes, code: str
) -> None:
    assert callable(decoder)
    with pytest.raises(PacketDecodeError) as info:
        decoder(body)
    assert info.value.code == code


def test_unicode_digits_are_not_a_sequence_number() -> None:
    # str.isdigit accepts superscripts; bytes.isdigit does not - the field is ASCII
    body = b" " * 26 + b" " * 18 + "\u00b2".encode("latin-1").rjust(2)
    with pytest.raises(PacketDecodeError):
        LoginRequest.decode(body)


@pytest.mark.parametrize(
    "packet",
    [
        LoginRequest("TOOLONG", "pw", "", 0),
        LoginRequest("U", "p" * 11, "", 0),
        LoginRequest("U", "pw", "S" * 11, 0),
        LoginRequest("U", "pw", "", -1),
        LoginRequest("U", "pw", "", MAX_SEQUENCE_NUMBER + 1),
        LoginRequest("Ü", "pw", "", 0),
        LoginRequest("U\n", "pw", "", 0),
        LoginAccepted("S", -5),
        LoginRejected("X"),
        Debug("caf\u00e9"),
    ],
)
def test_encoding_a_value_that_does_not_fit_is_our_misuse(packet: Packet) -> None:
    with pytest.raises(ValueError):
        encode(packet)


def test_a_payload_beyond_the_length_field_cannot_be_encoded() -> None:
    with pytest.raises(ValueError):
        encode(SequencedData(b"x" * 0xFFFF))
    assert len(encode(SequencedData(b"x" * 0xFFFE))) == 0xFFFF + 2
