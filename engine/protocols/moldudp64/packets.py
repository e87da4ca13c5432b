"""MoldUDP64 1.0 packets: downstream (messages, heartbeat, end of session) and request.

A downstream packet is one UDP datagram (big-endian, no alignment)::

    offset  size  field
    0       10    session          ASCII: names the feed's session (a trading day's stream)
    10      8     sequence number  u64: the number of the first message in the packet;
                                   in a heartbeat or end of session, the next number to come
    18      2     message count    u16: messages in the packet; 0 = heartbeat,
                                   0xFFFF = end of session (no message follows)
    20      ...   message blocks, ``count`` of them, back to back:
                    0   2   message length   u16: the payload bytes that follow
                    2   n   message          one higher-level (ITCH) message

A request packet (receiver -> re-request server, unicast UDP) is 20 bytes::

    0   10  session     10  8   sequence number (the first one wanted)
    18  2   requested message count

The server answers a request with ordinary downstream packets, unicast to the requester.
Sequence numbers start at 1 and every message has its own; a session never reuses one.

Sizes. :data:`MAX_PACKET` (1,400 bytes, header included) keeps a datagram inside an Ethernet
MTU with the IP and UDP headers; the sender and the request server never exceed it, the
decoder takes any datagram that is well formed (up to the u16 count's limit).

The session is 10 bytes of printable ASCII: encoding pads a shorter name with spaces on the
right, decoding strips spaces on the right (so a decoded packet re-encodes to its bytes). A
peer's malformed datagram is a :class:`PacketFault` (``code``, ``offset`` into the datagram,
text); our own misuse raises ``ValueError``.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import Final, TypeAlias

__all__ = [
    "BLOCK_HEADER",
    "END_OF_SESSION_COUNT",
    "HEADER",
    "MAX_COUNT",
    "MAX_PACKET",
    "MAX_SEQUENCE",
    "SESSION_WIDTH",
    "DownstreamPacket",
    "EndOfSession",
    "Heartbeat",
    "MessagePacket",
    "PacketFault",
    "RequestPacket",
    "decode_downstream",
    "decode_request",
    "encode_session",
]

HEADER: Final = struct.Struct(">10sQH")
BLOCK_HEADER: Final = struct.Struct(">H")
SESSION_WIDTH: Final = 10
#: The whole datagram, header included, that sequex sends at most.
MAX_PACKET: Final = 1400
#: A message count of this value marks end of session.
END_OF_SESSION_COUNT: Final = 0xFFFF
#: The most messages one packet (or one request) can count.
MAX_COUNT: Final = 0xFFFE
MAX_SEQUENCE: Final = 0xFFFF_FFFF_FFFF_FFFF


@dataclass(frozen=True, slots=True)
class PacketFault:
    """A datagram that is not a well-formed packet. Codes: ``short_packet``, ``bad_session``,
    ``bad_sequence``, ``truncated_block``, ``trailing_bytes``, ``bad_length``."""

    code: str
    offset: int
    text: str


def encode_session(session: str) -> bytes:
    raw = session.encode("ascii", "replace")
    if len(raw) > SESSION_WIDTH or not session.isascii() or not all(0x20 <= b < 0x7F for b in raw):
        raise ValueError(f"session {session!r} is not printable ASCII of at most 10 chars")
    return raw.ljust(SESSION_WIDTH)


def _check_sequence(sequence: int, count: int) -> None:
    if not 1 <= sequence <= MAX_SEQUENCE or sequence + count - 1 > MAX_SEQUENCE:
        raise ValueError(f"sequence {sequence} (+{count}) is outside 1..2**64-1")


@dataclass(frozen=True, slots=True)
class MessagePacket:
    """Messages ``sequence``, ``sequence + 1``, ... in one datagram (at least one)."""

    session: str
    sequence: int
    messages: tuple[bytes, ...]

    def encode(self) -> bytes:
        count = len(self.messages)
        if not 1 <= count <= MAX_COUNT:
            raise ValueError(f"a message packet carries 1..{MAX_COUNT} messages, not {count}")
        _check_sequence(self.sequence, count)
        parts = [HEADER.pack(encode_session(self.session), self.sequence, count)]
        for message in self.messages:
            if len(message) > 0xFFFF:
                raise ValueError(f"a message of {len(message)} bytes exceeds 65,535")
            parts.append(BLOCK_HEADER.pack(len(message)))
            parts.append(message)
        return b"".join(parts)

    @property
    def next_sequence(self) -> int:
        return self.sequence + len(self.messages)


@dataclass(frozen=True, slots=True)
class Heartbeat:
    """No message: the session is alive and ``next_sequence`` is the next message's number."""

    session: str
    next_sequence: int

    def encode(self) -> bytes:
        _check_sequence(self.next_sequence, 0)
        return HEADER.pack(encode_session(self.session), self.next_sequence, 0)


@dataclass(frozen=True, slots=True)
class EndOfSession:
    """The session is over: ``next_sequence - 1`` was its last message."""

    session: str
    next_sequence: int

    def encode(self) -> bytes:
        _check_sequence(self.next_sequence, 0)
        return HEADER.pack(encode_session(self.session), self.next_sequence, END_OF_SESSION_COUNT)


DownstreamPacket: TypeAlias = MessagePacket | Heartbeat | EndOfSession


@dataclass(frozen=True, slots=True)
class RequestPacket:
    """Please resend ``count`` messages from ``sequence`` on, of ``session``."""

    session: str
    sequence: int
    count: int

    def encode(self) -> bytes:
        if not 1 <= self.count <= MAX_COUNT:
            raise ValueError(f"a request asks for 1..{MAX_COUNT} messages, not {self.count}")
        _check_sequence(self.sequence, self.count)
        return HEADER.pack(encode_session(self.session), self.sequence, self.count)


def _session(raw: bytes) -> str | PacketFault:
    for i, b in enumerate(raw):
        if not 0x20 <= b < 0x7F:
            return PacketFault("bad_session", i, f"session byte 0x{b:02x} is not printable")
    return raw.decode("ascii").rstrip(" ")


def decode_downstream(datagram: bytes) -> DownstreamPacket | PacketFault:
    """The packet in one datagram, or a PacketFault saying where it goes wrong."""
    if len(datagram) < HEADER.size:
        return PacketFault(
            "short_packet", len(datagram), f"{len(datagram)} bytes cannot hold a 20-byte header"
        )
    raw_session, sequence, count = HEADER.unpack_from(datagram)
    session = _session(raw_session)
    if isinstance(session, PacketFault):
        return session
    if sequence == 0:
        return PacketFault("bad_sequence", 10, "sequence numbers start at 1")
    if count in (0, END_OF_SESSION_COUNT):
        if len(datagram) != HEADER.size:
            kind = "a heartbeat" if count == 0 else "an end of session"
            return PacketFault("trailing_bytes", HEADER.size, f"{kind} carries no message block")
        return Heartbeat(session, sequence) if count == 0 else EndOfSession(session, sequence)
    if sequence + count - 1 > MAX_SEQUENCE:
        return PacketFault("bad_sequence", 10, f"messages {sequence}+{count} pass 2**64-1")
    messages: list[bytes] = []
    at = HEADER.size
    end = len(datagram)
    for i in range(count):
        if at + 2 > end:
            return PacketFault("truncated_block", at, f"message {i + 1} of {count}: no length")
        (length,) = BLOCK_HEADER.unpack_from(datagram, at)
        if at + 2 + length > end:
            return PacketFault(
                "truncated_block",
                at,
                f"message {i + 1} of {count}: {length} bytes run past the end",
            )
        messages.append(bytes(datagram[at + 2 : at + 2 + length]))
        at += 2 + length
    if at != end:
        return PacketFault("trailing_bytes", at, f"{end - at} bytes after the {count} messages")
    return MessagePacket(session, sequence, tuple(messages))


def decode_request(datagram: bytes) -> RequestPacket | PacketFault:
    if len(datagram) != HEADER.size:
        return PacketFault(
            "bad_length", min(len(datagram), HEADER.size),
            f"a request is 20 bytes, not {len(datagram)}",
        )  # fmt: skip
    raw_session, sequence, count = HEADER.unpack(datagram)
    session = _session(raw_session)
    if isinstance(session, PacketFault):
        return session
    if sequence == 0:
        return PacketFault("bad_sequence", 10, "sequence numbers start at 1")
    if not 1 <= count <= MAX_COUNT:
        return PacketFault("bad_length", 18, f"a request for {count} messages")
    if sequence + count - 1 > MAX_SEQUENCE:
        return PacketFault("bad_sequence", 10, f"messages {sequence}+{count} pass 2**64-1")
    return RequestPacket(session, sequence, count)
