"""The replication wire protocol between a primary and its standby: a sans-IO codec.

The journal moves between hosts as it is on disk, record for record: the primary sends the
payloads of its journal records (for a host, the 128-byte command records, copied as slot
ranges of its ring or read from its segments) and the standby journals them under the same
seqs, so both journals are byte-identical. This module only turns frames into bytes and bytes
into frames; it knows nothing of sockets, rings or the engine (the standby and the primary's
replicator, in ``engine.replication``, drive it).

A frame is a 4-byte little-endian length (of what follows it), a 1-byte type, then the body::

     0        4      5
     +--------+------+---------------------------------+
     | length | type | body (length - 1 bytes)         |
     | u32    | u8   |                                 |
     +--------+------+---------------------------------+

Bodies (all integers little-endian):

=========  ==========  ====================================================================
type       direction   body
=========  ==========  ====================================================================
HELLO 1    standby ->  version u16, last_seq u64, last_digest u64, epoch u64,
                       header_len u8, journal user header (header_len bytes)
START 2    <- primary  version u16, epoch u64, from_seq u64, acked_seq u64,
                       snapshot_every u64, segment_bytes u64, mode u8, header_len u8,
                       journal user header
RECORDS 3  <- primary  first_seq u64, count u32, record_size u32, count * record_size bytes
ACK 4      standby ->  durable_seq u64
HEARTBEAT  both        position u64 (the sender's last sent or durable seq)
5
CHECK 6    <- primary  seq u64, state_hash u64 (the primary's state hash after ``seq``)
REFUSE 7   both        a UTF-8 reason (the connection then closes)
FEED 8     <- primary  utc_offset_s i32, the MoldUDP64 session of the primary's market-data
                       feed (10 ASCII bytes, space-padded)
=========  ==========  ====================================================================

FEED tells the standby under which session the primary publishes its feed (the numbers are
a function of the journal; the session name and the timestamps' UTC offset are not), so a
standby promoted later continues that session. It is sent when a link starts and whenever
the session changes.

``acked_seq`` bounds what the primary may have acknowledged to clients before this standby
connected: with sync replication, everything acknowledged later the standby acknowledged first,
so a standby holding every seq through ``acked_seq`` holds every acknowledged command.
``last_digest`` is xxh3_64 of the payload of the standby's last record (0 when it has none):
the primary compares it with its own record at that seq, so a standby whose journal is of
another history is refused rather than extended.

Decoding (:class:`FrameDecoder`): feed bytes with ``receive_data`` in any slicing, take frames
with ``next_frame`` until it returns None (it needs more data). Anything malformed raises
:class:`ProtocolError` naming the byte offset in the stream where the bad frame starts and what
is wrong; the error is sticky (the connection must be dropped). The buffer is bounded: a frame
longer than ``max_frame`` is refused from its length alone, before its bytes arrive.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import Final, NoReturn

import xxhash

PROTOCOL_VERSION: Final = 1
MAX_HEADER: Final = 64  # journal.layout.USER_HEADER_MAX
#: Largest frame accepted by default: 8,192 records of 128 bytes and change.
MAX_FRAME: Final = 1 << 20
MAX_RECORD: Final = 1 << 16

LENGTH: Final = struct.Struct("<I")
PREFIX_SIZE: Final = LENGTH.size + 1  # length + type

HELLO: Final = 1
START: Final = 2
RECORDS: Final = 3
ACK: Final = 4
HEARTBEAT: Final = 5
CHECK: Final = 6
REFUSE: Final = 7
FEED: Final = 8

MODE_SYNC: Final = 0
MODE_ASYNC: Final = 1
MODES: Final = {"sync": MODE_SYNC, "async": MODE_ASYNC}

_HELLO: Final = struct.Struct("<HQQQB")
_START: Final = struct.Struct("<HQQQQQBB")
_RECORDS: Final = struct.Struct("<QII")
_U64: Final = struct.Struct("<Q")
_CHECK: Final = struct.Struct("<QQ")
_FEED: Final = struct.Struct("<i10s")
#: A MoldUDP64 session name: 1..10 characters, ASCII letters, digits or spaces.
SESSION_SIZE: Final = 10
MAX_SEQ: Final = (1 << 64) - 1
MAX_REASON: Final = 4096


class ProtocolError(Exception):
    """Bytes that are not a valid frame: ``offset`` is where the bad frame starts in the
    stream, ``reason`` what is wrong."""

    def __init__(self, offset: int, reason: str) -> None:
        super().__init__(f"replication protocol error at byte {offset}: {reason}")
        self.offset = offset
        self.reason = reason


@dataclass(frozen=True, slots=True)
class Hello:
    last_seq: int
    last_digest: int
    epoch: int
    header: bytes
    version: int = PROTOCOL_VERSION


@dataclass(frozen=True, slots=True)
class Start:
    epoch: int
    from_seq: int
    acked_seq: int
    snapshot_every: int
    segment_bytes: int
    mode: int
    header: bytes
    version: int = PROTOCOL_VERSION


@dataclass(frozen=True, slots=True)
class Records:
    """``count`` journal record payloads of ``record_size`` bytes, seqs first_seq.."""

    first_seq: int
    count: int
    record_size: int
    payload: bytes

    @property
    def last_seq(self) -> int:
        return self.first_seq + self.count - 1


@dataclass(frozen=True, slots=True)
class Ack:
    durable_seq: int


@dataclass(frozen=True, slots=True)
class Heartbeat:
    position: int


@dataclass(frozen=True, slots=True)
class Check:
    seq: int
    state_hash: int


@dataclass(frozen=True, slots=True)
class Refuse:
    reason: str


@dataclass(frozen=True, slots=True)
class Feed:
    """The primary's market-data session (without its padding) and its UTC offset."""

    session: str
    utc_offset_s: int


Frame = Hello | Start | Records | Ack | Heartbeat | Check | Refuse | Feed


def record_digest(payload: bytes | bytearray | memoryview) -> int:
    """What HELLO's ``last_digest`` holds for a record payload."""
    return int(xxhash.xxh3_64_intdigest(payload))


def _frame(kind: int, body: bytes) -> bytes:
    return LENGTH.pack(len(body) + 1) + bytes((kind,)) + body


def _check_u64(name: str, value: int) -> None:
    if not 0 <= value <= MAX_SEQ:
        raise ValueError(f"{name} {value} is outside 0..{MAX_SEQ}")


def _check_header(header: bytes) -> None:
    if len(header) > MAX_HEADER:
        raise ValueError(f"a journal header of {len(header)} bytes (at most {MAX_HEADER})")


def records_prefix(first_seq: int, count: int, record_size: int) -> bytes:
    """The bytes before the payloads of a RECORDS frame: send them, then the payloads as they
    lie (a ring slot range), with no copy into one buffer."""
    _check_u64("first_seq", first_seq)
    if count <= 0 or not 0 < record_size <= MAX_RECORD:
        raise ValueError(f"{count} records of {record_size} bytes")
    if first_seq + count - 1 > MAX_SEQ:
        raise ValueError(f"seqs {first_seq}..{first_seq + count - 1} exceed {MAX_SEQ}")
    length = 1 + _RECORDS.size + count * record_size
    if length > 0xFFFF_FFFF:
        raise ValueError(f"a RECORDS frame of {length} bytes")
    return LENGTH.pack(length) + bytes((RECORDS,)) + _RECORDS.pack(first_seq, count, record_size)


def encode(frame: Frame) -> bytes:
    """The bytes of ``frame``; ValueError for values no decoder would accept."""
    if isinstance(frame, Hello):
        _check_header(frame.header)
        for name in ("last_seq", "last_digest", "epoch"):
            _check_u64(name, getattr(frame, name))
        fixed = _HELLO.pack(
            frame.version, frame.last_seq, frame.last_digest, frame.epoch, len(frame.header)
        )
        return _frame(HELLO, fixed + frame.header)
    if isinstance(frame, Start):
        _check_header(frame.header)
        for name in ("epoch", "from_seq", "acked_seq", "snapshot_every", "segment_bytes"):
            _check_u64(name, getattr(frame, name))
        if frame.mode not in MODES.values():
            raise ValueError(f"unknown replication mode {frame.mode}")
        fixed = _START.pack(
            frame.version, frame.epoch, frame.from_seq, frame.acked_seq, frame.snapshot_every,
            frame.segment_bytes, frame.mode, len(frame.header),
        )  # fmt: skip
        return _frame(START, fixed + frame.header)
    if isinstance(frame, Records):
        if len(frame.payload) != frame.count * frame.record_size:
            raise ValueError(
                f"{len(frame.payload)} payload bytes for {frame.count} records of "
                f"{frame.record_size}"
            )
        return records_prefix(frame.first_seq, frame.count, frame.record_size) + frame.payload
    if isinstance(frame, Ack):
        _check_u64("durable_seq", frame.durable_seq)
        return _frame(ACK, _U64.pack(frame.durable_seq))
    if isinstance(frame, Heartbeat):
        _check_u64("position", frame.position)
        return _frame(HEARTBEAT, _U64.pack(frame.position))
    if isinstance(frame, Check):
        _check_u64("seq", frame.seq)
        _check_u64("state_hash", frame.state_hash)
        return _frame(CHECK, _CHECK.pack(frame.seq, frame.state_hash))
    if isinstance(frame, Feed):
        _check_session(frame.session)
        if not -(1 << 31) <= frame.utc_offset_s < 1 << 31:
            raise ValueError(f"utc_offset_s {frame.utc_offset_s} does not fit 32 bits")
        session = frame.session.encode("ascii").ljust(SESSION_SIZE)
        return _frame(FEED, _FEED.pack(frame.utc_offset_s, session))
    reason = frame.reason.encode("utf-8")[:MAX_REASON]
    return _frame(REFUSE, reason)


def _check_session(session: str) -> None:
    if not (
        0 < len(session) <= SESSION_SIZE
        and session.isascii()
        and session.strip(" ") == session
        and all(c.isalnum() or c == " " for c in session)
    ):
        raise ValueError(f"{session!r} is not a MoldUDP64 session name")


class FrameDecoder:
    """Bytes in, frames out (see the module docstring); one per connection and direction."""

    def __init__(self, max_frame: int = MAX_FRAME) -> None:
        self._max = max_frame
        self._buffer = bytearray()
        self._offset = 0  # stream offset of the first byte of the buffer
        self._error: ProtocolError | None = None

    @property
    def buffered(self) -> int:
        """Bytes received and not yet taken as frames."""
        return len(self._buffer)

    def receive_data(self, data: bytes | bytearray | memoryview) -> None:
        if self._error is not None:
            raise self._error
        self._buffer += data

    def next_frame(self) -> Frame | None:
        """The next whole frame, or None until more data is received; ProtocolError (sticky)
        for a malformed one."""
        if self._error is not None:
            raise self._error
        buffer = self._buffer
        if len(buffer) < LENGTH.size:
            return None
        (length,) = LENGTH.unpack_from(buffer)
        if length < 1:
            self._fail("a frame of length 0 (it needs at least its type byte)")
        if length > self._max:
            self._fail(f"a frame of {length} bytes exceeds the limit of {self._max}")
        end = LENGTH.size + length
        if len(buffer) < end:
            if len(buffer) > LENGTH.size and buffer[LENGTH.size] not in _DECODERS:
                self._fail(f"unknown frame type {buffer[LENGTH.size]}")
            return None
        kind = buffer[LENGTH.size]
        decode = _DECODERS.get(kind)
        if decode is None:
            self._fail(f"unknown frame type {kind}")
        body = bytes(buffer[PREFIX_SIZE:end])
        try:
            frame = decode(body)
        except _BadBody as exc:
            self._fail(f"bad {_NAMES[kind]} frame of {length} bytes: {exc}")
        del buffer[:end]
        self._offset += end
        return frame

    def _fail(self, reason: str) -> NoReturn:
        self._error = ProtocolError(self._offset, reason)
        raise self._error


class _BadBody(Exception):
    pass


def _need(body: bytes, size: int, what: str) -> None:
    if len(body) != size:
        raise _BadBody(f"{what} needs {size} body bytes, got {len(body)}")


def _version(version: int) -> None:
    if version != PROTOCOL_VERSION:
        raise _BadBody(f"protocol version {version}, this build speaks {PROTOCOL_VERSION}")


def _header(body: bytes, at: int, length: int) -> bytes:
    if length > MAX_HEADER:
        raise _BadBody(f"a journal header of {length} bytes (at most {MAX_HEADER})")
    _need(body, at + length, "the header")
    return body[at:]


def _hello(body: bytes) -> Frame:
    if len(body) < _HELLO.size:
        raise _BadBody(f"shorter than its {_HELLO.size} fixed bytes")
    version, last_seq, digest, epoch, length = _HELLO.unpack_from(body)
    _version(version)
    return Hello(last_seq, digest, epoch, _header(body, _HELLO.size, length), version)


def _start(body: bytes) -> Frame:
    if len(body) < _START.size:
        raise _BadBody(f"shorter than its {_START.size} fixed bytes")
    version, epoch, from_seq, acked, every, segment, mode, length = _START.unpack_from(body)
    _version(version)
    if mode not in MODES.values():
        raise _BadBody(f"unknown replication mode {mode}")
    header = _header(body, _START.size, length)
    return Start(epoch, from_seq, acked, every, segment, mode, header, version)


def _records(body: bytes) -> Frame:
    if len(body) < _RECORDS.size:
        raise _BadBody(f"shorter than its {_RECORDS.size} fixed bytes")
    first, count, size = _RECORDS.unpack_from(body)
    if count == 0 or not 0 < size <= MAX_RECORD:
        raise _BadBody(f"{count} records of {size} bytes")
    if first + count - 1 > MAX_SEQ:
        raise _BadBody(f"seqs from {first} overflow")
    _need(body, _RECORDS.size + count * size, f"{count} records of {size} bytes")
    return Records(first, count, size, body[_RECORDS.size :])


def _ack(body: bytes) -> Frame:
    _need(body, _U64.size, "ACK")
    return Ack(_U64.unpack(body)[0])


def _heartbeat(body: bytes) -> Frame:
    _need(body, _U64.size, "HEARTBEAT")
    return Heartbeat(_U64.unpack(body)[0])


def _check(body: bytes) -> Frame:
    _need(body, _CHECK.size, "CHECK")
    seq, value = _CHECK.unpack(body)
    return Check(seq, value)


def _feed(body: bytes) -> Frame:
    _need(body, _FEED.size, "FEED")
    offset, raw = _FEED.unpack(body)
    session = raw.decode("ascii", errors="replace").rstrip(" ")
    try:
        _check_session(session)
    except ValueError as exc:
        raise _BadBody(str(exc)) from None
    return Feed(session, offset)


def _refuse(body: bytes) -> Frame:
    if len(body) > MAX_REASON:
        raise _BadBody(f"a reason of {len(body)} bytes (at most {MAX_REASON})")
    return Refuse(body.decode("utf-8", errors="replace"))


_DECODERS = {
    HELLO: _hello,
    START: _start,
    RECORDS: _records,
    ACK: _ack,
    HEARTBEAT: _heartbeat,
    CHECK: _check,
    REFUSE: _refuse,
    FEED: _feed,
}
_NAMES = {
    HELLO: "HELLO",
    START: "START",
    RECORDS: "RECORDS",
    ACK: "ACK",
    HEARTBEAT: "HEARTBEAT",
    CHECK: "CHECK",
    REFUSE: "REFUSE",
    FEED: "FEED",
}
