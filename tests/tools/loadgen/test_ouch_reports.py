"""The OUCH load client's fast lane (``tools.loadgen.clients.ouch_reports``) against its
specification written out plainly here: random packets, valid and not, whole and cut."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from engine.protocols import ouch
from tools.loadgen.clients import ACK, DONE, FILL, MAKER, TAKER, Report
from tools.loadgen.clients.ouch import _decoded_report
from tools.loadgen.clients.ouch_reports import scan_sequenced

_ALNUM = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"


def reference(buf: bytes, ts: int) -> tuple[list[Report], int, int]:
    """What the fast lane must give: each whole, non-empty Sequenced Data packet's report."""
    out: list[Report] = []
    pos = count = 0
    while pos + 3 <= len(buf) and buf[pos + 2] == ord("S"):
        stop = pos + 2 + int.from_bytes(buf[pos : pos + 2], "big")
        if stop > len(buf) or stop <= pos + 3:
            break
        message = buf[pos + 3 : stop]
        token = message[9:23]
        plain = len(message) >= 23 and all(0x20 <= b <= 0x7E for b in token) and token.strip(b" ")
        text = token.decode("ascii").rstrip(" ") if plain else ""
        kind = message[0]
        report: Report | None
        if plain and kind == ord("A") and len(message) == 66:
            report = (ACK, text, ts, "")
        elif plain and kind == ord("E") and len(message) == 40 and message[31] in _ALNUM:
            report = (FILL, text, ts, {ord("A"): MAKER, ord("R"): TAKER}.get(message[31], ""))
        elif plain and kind == ord("C") and len(message) == 28 and message[27] in _ALNUM:
            report = (DONE, text, ts, f"canceled: {chr(message[27])}")
        else:
            report = _decoded_report(message, ts)
        if report is not None:
            out.append(report)
        count += 1
        pos = stop
    return out, pos, count


_token_bytes = st.one_of(
    st.sampled_from([b"abcd0000000001", b"  lead  trail  ", b" " * 14, b"x" + b" " * 13]),
    st.binary(min_size=14, max_size=14),
    st.text("ab \x7e\x7f\x1f", min_size=14, max_size=14).map(lambda t: t.encode("latin-1")),
)


@st.composite
def _message(draw: st.DrawFn) -> bytes:
    kind = draw(st.sampled_from(b"AECJUSX"))
    size = draw(st.one_of(st.sampled_from([66, 40, 28]), st.integers(1, 80)))
    body = bytearray(draw(st.binary(min_size=size, max_size=size)))
    body[0] = kind
    if size >= 23:
        body[9:23] = draw(_token_bytes)
    for at in (27, 31):
        if size > at:
            body[at] = draw(st.sampled_from(b"AR1Q? \x00"))
    return bytes(body)


@st.composite
def _packet(draw: st.DrawFn) -> bytes:
    choice = draw(st.integers(0, 9))
    if choice == 0:
        return b"\x00\x01H"  # a Server Heartbeat
    if choice == 1:
        return b"\x00\x01S"  # an empty Sequenced Data packet
    message = draw(_message())
    return (len(message) + 1).to_bytes(2, "big") + b"S" + message


def _real_messages() -> list[bytes]:
    token = "abcd0000000001"
    return [
        ouch.Accepted(
            1, token, "B", 1, "ACME", 10_000, 99998, "ALPH", "Y", 7, "A", "N", 0, "N", "L"
        ).encode(),
        ouch.Executed(2, token, 1, 10_000, "R", 9).encode(),
        ouch.Executed(2, token, 1, 10_000, "A", 9).encode(),
        ouch.Canceled(3, token, 1, "Q").encode(),
        ouch.Rejected(4, token, "Z").encode(),
    ]


@settings(max_examples=300, deadline=None)
@given(st.lists(_packet(), max_size=12), st.integers(0, 40))
def test_the_fast_lane_gives_the_specified_reports_where_it_stops(
    packets: list[bytes], cut: int
) -> None:
    stream = b"".join(packets)
    stream = stream[: len(stream) - cut] if cut < len(stream) else stream
    got: list[Report] = []
    pos, count = scan_sequenced(stream, 7, got, _decoded_report)
    assert (got, pos, count) == reference(stream, 7)


def test_real_messages_read_as_the_full_decoder_reads_them() -> None:
    for message in _real_messages():
        packet = (len(message) + 1).to_bytes(2, "big") + b"S" + message
        got: list[Report] = []
        assert scan_sequenced(packet, 5, got, _decoded_report) == (len(packet), 1)
        decoded = _decoded_report(message, 5)
        assert got == ([decoded] if decoded is not None else [])


_TOKENS = [
    b"abcd0000000001",
    b"x" + b" " * 13,
    b"  lead  trail ",
    b" " * 14,
    b"abc\x7f" + b"0" * 10,
    b"\x1f" + b"a" * 13,
    b"a" * 13 + b"\x80",
]


def test_every_kind_size_token_and_flag_reads_as_specified() -> None:
    for kind, size in [(b"A", 66), (b"E", 40), (b"C", 28), (b"J", 24)]:
        for length in (size - 1, size, size + 1):
            for token in _TOKENS:
                for flag in b"AR1Q? \x00":
                    body = bytearray(kind + bytes(length - 1))
                    body[9:23] = token
                    for at in (27, 31):
                        if at < length:
                            body[at] = flag
                    packet = (length + 1).to_bytes(2, "big") + b"S" + bytes(body)
                    stream = packet + packet[:-1]  # and one cut short: left where it starts
                    got: list[Report] = []
                    pos, count = scan_sequenced(stream, 3, got, _decoded_report)
                    assert (got, pos, count) == reference(stream, 3), (kind, length, token, flag)
                    assert pos == len(packet)
