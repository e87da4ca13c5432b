"""SoupBinTCP 3.0 packets: one frozen dataclass per packet type, its byte layout and its codec.

Every logical packet on the wire (``encode`` builds it, the framer splits a byte stream into
them)::

    offset  size  field
    ------  ----  ---------------------------------------------------------------
    0       2     packet length: big-endian unsigned, the bytes that follow it
                  (packet type + payload), so at least 1
    2       1     packet type: one ASCII character
    3       n     payload, n = packet length - 1

Payloads, offsets counted from the first payload byte (after the type)::

    '+' Debug               (both directions)
        0   n   text            free-form ASCII text
    'A' Login Accepted      (server -> client)                         payload 30 bytes
        0   10  session         alpha, padded on the LEFT with spaces
        10  20  sequence number numeric ASCII, left padded with spaces: the number of
                                the next Sequenced Data packet the client will get
    'J' Login Rejected      (server -> client)                         payload 1 byte
        0   1   reject code     'A' not authorized, 'S' session not available
    'S' Sequenced Data      (server -> client)
        0   n   message         one higher-level message (OUCH outbound)
    'H' Server Heartbeat    (server -> client)                         payload 0 bytes
    'Z' End of Session      (server -> client)                         payload 0 bytes
    'L' Login Request       (client -> server)                         payload 46 bytes
        0   6   username        alpha, padded on the right with spaces
        6   10  password        alpha, padded on the right with spaces
        16  10  requested session   alpha; all blanks = the currently active session
        26  20  requested sequence number   numeric ASCII, left padded with spaces;
                                0 = start with the next message generated
    'U' Unsequenced Data    (client -> server)
        0   n   message         one higher-level message (OUCH inbound)
    'R' Client Heartbeat    (client -> server)                         payload 0 bytes
    'O' Logout Request      (client -> server)                         payload 0 bytes

Sequenced Data packets carry no number: both ends count them, starting from the number given
in Login Accepted. That is why the server session, not the caller, numbers them.

Alpha fields are printable ASCII (0x20-0x7E). Decoding strips the padding spaces on both sides
(peers disagree on which side a session name is padded); encoding pads as the table says and
refuses values that do not fit - that is our own misuse, so it raises ``ValueError``. A peer's
malformed payload raises :class:`PacketDecodeError` carrying a fault code; the framer turns it
into a fault event, so no peer input ever escapes as an exception.
"""

from __future__ import annotations

import struct
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import ClassVar, Final, TypeAlias

__all__ = [
    "CLIENT_PACKET_DECODERS",
    "HEADER",
    "LOGIN_REJECT_CODES",
    "MAX_PAYLOAD",
    "MAX_SEQUENCE_NUMBER",
    "NOT_AUTHORIZED",
    "SERVER_PACKET_DECODERS",
    "SESSION_NOT_AVAILABLE",
    "ClientHeartbeat",
    "ClientPacket",
    "Debug",
    "EndOfSession",
    "LoginAccepted",
    "LoginRejected",
    "LoginRequest",
    "LogoutRequest",
    "Packet",
    "PacketDecodeError",
    "SequencedData",
    "ServerHeartbeat",
    "ServerPacket",
    "UnsequencedData",
    "encode",
]

#: The 2-byte big-endian length that precedes every packet.
HEADER: Final = struct.Struct(">H")
#: The length field counts the type byte, so a packet carries at most 65,534 payload bytes.
MAX_PAYLOAD: Final = 0xFFFF - 1
#: Sequence numbers are 20 ASCII digits.
MAX_SEQUENCE_NUMBER: Final = 10**20 - 1

NOT_AUTHORIZED: Final = "A"
SESSION_NOT_AVAILABLE: Final = "S"
LOGIN_REJECT_CODES: Final = {
    NOT_AUTHORIZED: "not authorized: bad username or password",
    SESSION_NOT_AVAILABLE: "the requested session is not available",
}

_SESSION_WIDTH: Final = 10
_SEQUENCE_WIDTH: Final = 20
_USERNAME_WIDTH: Final = 6
_PASSWORD_WIDTH: Final = 10


class PacketDecodeError(ValueError):
    """The peer sent a payload that is not a valid packet of its type; ``code`` names why."""

    def __init__(self, code: str, text: str) -> None:
        super().__init__(text)
        self.code = code
        self.text = text


# -- field codecs ---------------------------------------------------------------------------


_PRINTABLE = bytes(range(0x20, 0x7F))


def _is_printable(raw: bytes) -> bool:
    # deleting every printable byte leaves nothing: one C-level pass
    return not raw.translate(None, _PRINTABLE)


def encode_alpha(value: str, width: int, name: str, *, pad_left: bool = False) -> bytes:
    """``value`` padded with spaces to ``width`` bytes (on the right unless ``pad_left``)."""
    raw = value.encode("ascii", "replace")  # "?" for a non-ASCII char: refused below
    if len(raw) > width or not _is_printable(raw) or not value.isascii():
        raise ValueError(f"{name} {value!r} is not printable ASCII of at most {width} bytes")
    return raw.rjust(width) if pad_left else raw.ljust(width)


def decode_alpha(raw: bytes, name: str) -> str:
    if not _is_printable(raw):
        raise PacketDecodeError("bad_field", f"{name} holds bytes that are not printable ASCII")
    return raw.decode("ascii").strip(" ")


def encode_numeric(value: int, width: int, name: str) -> bytes:
    """``value`` in ASCII digits, left padded with spaces to ``width`` bytes."""
    text = str(value)
    if value < 0 or len(text) > width:
        raise ValueError(f"{name} {value} does not fit {width} ASCII digits")
    return text.rjust(width).encode("ascii")


def decode_numeric(raw: bytes, name: str) -> int:
    # Padding is spaces by the spec; some peers pad on the right or zero-fill, both harmless.
    digits = raw.strip(b" ")
    if not digits or not digits.isdigit():
        raise PacketDecodeError("bad_field", f"{name} {raw!r} is not a number in ASCII digits")
    return int(digits)


def _expect_length(body: bytes, size: int, name: str) -> None:
    if len(body) != size:
        raise PacketDecodeError(
            "bad_length", f"{name} payload is {len(body)} bytes, the spec says {size}"
        )


# -- packets --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Debug:
    """Free-form text either side may send; the receiver may log it and must not act on it."""

    TYPE: ClassVar[bytes] = b"+"
    text: str

    def payload(self) -> bytes:
        return self.text.encode("ascii")  # UnicodeEncodeError is a ValueError: our misuse

    @classmethod
    def decode(cls, body: bytes) -> Debug:
        # Not validated: it is for people, so undecodable bytes are shown, not refused.
        return cls(body.decode("ascii", "replace"))


@dataclass(frozen=True, slots=True)
class LoginAccepted:
    TYPE: ClassVar[bytes] = b"A"
    session: str
    #: the number of the next Sequenced Data packet the client will receive
    sequence_number: int

    def payload(self) -> bytes:
        return encode_alpha(self.session, _SESSION_WIDTH, "session", pad_left=True) + (
            encode_numeric(self.sequence_number, _SEQUENCE_WIDTH, "sequence number")
        )

    @classmethod
    def decode(cls, body: bytes) -> LoginAccepted:
        _expect_length(body, _SESSION_WIDTH + _SEQUENCE_WIDTH, "Login Accepted")
        seq = decode_numeric(body[_SESSION_WIDTH:], "sequence number")
        if seq < 1:
            raise PacketDecodeError("bad_field", "sequence numbers start at 1")
        return cls(decode_alpha(body[:_SESSION_WIDTH], "session"), seq)


@dataclass(frozen=True, slots=True)
class LoginRejected:
    TYPE: ClassVar[bytes] = b"J"
    #: NOT_AUTHORIZED ('A') or SESSION_NOT_AVAILABLE ('S')
    code: str

    def payload(self) -> bytes:
        if self.code not in LOGIN_REJECT_CODES:
            raise ValueError(f"login reject code {self.code!r} is not one of 'A', 'S'")
        return self.code.encode("ascii")

    @classmethod
    def decode(cls, body: bytes) -> LoginRejected:
        _expect_length(body, 1, "Login Rejected")
        code = chr(body[0])
        if code not in LOGIN_REJECT_CODES:
            raise PacketDecodeError("bad_field", f"login reject code {code!r} is not 'A' or 'S'")
        return cls(code)


# Not frozen: a frozen dataclass's __init__ costs ~10x on CPython 3.11, and this
# one is made for every order on the gateway's hot path. Treat it as immutable.
@dataclass(slots=True)
class SequencedData:
    TYPE: ClassVar[bytes] = b"S"
    message: bytes

    def payload(self) -> bytes:
        return self.message

    @classmethod
    def decode(cls, body: bytes) -> SequencedData:
        return cls(body)


@dataclass(frozen=True, slots=True)
class ServerHeartbeat:
    TYPE: ClassVar[bytes] = b"H"

    def payload(self) -> bytes:
        return b""

    @classmethod
    def decode(cls, body: bytes) -> ServerHeartbeat:
        _expect_length(body, 0, "Server Heartbeat")
        return cls()


@dataclass(frozen=True, slots=True)
class EndOfSession:
    """The session has ended: no more Sequenced Data will ever be sent in it."""

    TYPE: ClassVar[bytes] = b"Z"

    def payload(self) -> bytes:
        return b""

    @classmethod
    def decode(cls, body: bytes) -> EndOfSession:
        _expect_length(body, 0, "End of Session")
        return cls()


@dataclass(frozen=True, slots=True)
class LoginRequest:
    TYPE: ClassVar[bytes] = b"L"
    username: str
    password: str
    #: "" = the currently active session
    requested_session: str
    #: the next sequence number the client wants; 0 = start with the next message generated
    requested_sequence_number: int

    def payload(self) -> bytes:
        return b"".join(
            (
                encode_alpha(self.username, _USERNAME_WIDTH, "username"),
                encode_alpha(self.password, _PASSWORD_WIDTH, "password"),
                # left padded like Login Accepted's session, which a resuming client echoes
                encode_alpha(self.requested_session, _SESSION_WIDTH, "session", pad_left=True),
                encode_numeric(self.requested_sequence_number, _SEQUENCE_WIDTH, "sequence"),
            )
        )

    @classmethod
    def decode(cls, body: bytes) -> LoginRequest:
        _expect_length(body, 46, "Login Request")
        return cls(
            decode_alpha(body[0:6], "username"),
            decode_alpha(body[6:16], "password"),
            decode_alpha(body[16:26], "requested session"),
            decode_numeric(body[26:46], "requested sequence number"),
        )


# Not frozen: a frozen dataclass's __init__ costs ~10x on CPython 3.11, and this
# one is made for every order on the gateway's hot path. Treat it as immutable.
@dataclass(slots=True)
class UnsequencedData:
    TYPE: ClassVar[bytes] = b"U"
    message: bytes

    def payload(self) -> bytes:
        return self.message

    @classmethod
    def decode(cls, body: bytes) -> UnsequencedData:
        return cls(body)


@dataclass(frozen=True, slots=True)
class ClientHeartbeat:
    TYPE: ClassVar[bytes] = b"R"

    def payload(self) -> bytes:
        return b""

    @classmethod
    def decode(cls, body: bytes) -> ClientHeartbeat:
        _expect_length(body, 0, "Client Heartbeat")
        return cls()


@dataclass(frozen=True, slots=True)
class LogoutRequest:
    TYPE: ClassVar[bytes] = b"O"

    def payload(self) -> bytes:
        return b""

    @classmethod
    def decode(cls, body: bytes) -> LogoutRequest:
        _expect_length(body, 0, "Logout Request")
        return cls()


#: What a server sends (and a client receives).
ServerPacket: TypeAlias = (
    Debug | LoginAccepted | LoginRejected | SequencedData | ServerHeartbeat | EndOfSession
)
#: What a client sends (and a server receives).
ClientPacket: TypeAlias = Debug | LoginRequest | UnsequencedData | ClientHeartbeat | LogoutRequest
Packet: TypeAlias = ServerPacket | ClientPacket

#: packet type byte -> decoder, for what a client receives
SERVER_PACKET_DECODERS: Final[Mapping[int, Callable[[bytes], ServerPacket]]] = {
    ord("+"): Debug.decode,
    ord("A"): LoginAccepted.decode,
    ord("J"): LoginRejected.decode,
    ord("S"): SequencedData.decode,
    ord("H"): ServerHeartbeat.decode,
    ord("Z"): EndOfSession.decode,
}
#: packet type byte -> decoder, for what a server receives
CLIENT_PACKET_DECODERS: Final[Mapping[int, Callable[[bytes], ClientPacket]]] = {
    ord("+"): Debug.decode,
    ord("L"): LoginRequest.decode,
    ord("U"): UnsequencedData.decode,
    ord("R"): ClientHeartbeat.decode,
    ord("O"): LogoutRequest.decode,
}


def encode(packet: Packet) -> bytes:
    """The packet's bytes on the wire: length, type, payload."""
    payload = packet.payload()
    if len(payload) > MAX_PAYLOAD:
        raise ValueError(f"a payload of {len(payload)} bytes exceeds {MAX_PAYLOAD}")
    return HEADER.pack(len(payload) + 1) + packet.TYPE + payload
