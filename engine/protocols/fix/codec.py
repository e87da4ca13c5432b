"""FIX tag=value encoding and the field-level parse of one well-framed message.

Owns the message representation (:class:`FixMessage`), the encoder (:func:`encode`), the
checksum and :func:`decode_fields`, which turns the bytes between BodyLength(9) and CheckSum(10)
into fields and finds the first *tag-level* problem: an invalid tag number, a tag without a
value, a tag that appears twice, MsgType(35) missing or not first, a repeating group whose
count is wrong. Such a problem never raises; it rides on the message as a
:class:`FieldProblem` carrying the SessionRejectReason the session answers with (a Reject, 35=3),
because the message was framed correctly and still occupies its sequence number.

Framing (BeginString, BodyLength, CheckSum, the size bound) is :mod:`.framer`'s job.

Text: the wire is read and written as Latin-1, one character per byte, so any byte string
round-trips and no decoding error exists. Values we send must be non-empty, free of SOH and
Latin-1; anything else is our own bug and raises ValueError.

Repeating groups: the messages sequex reads need none, but clients commonly add Parties
(NoPartyIDs 453) and Logon may list NoMsgTypes (384). The groups in :data:`GROUPS` are
recognised so that their repeated member tags are not taken for duplicates; their instances
are counted against NumInGroup. Other groups are not known, and a repeated tag in one is
reported as a duplicate.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Final

from engine.protocols.fix.tags import BEGIN_STRING, SessionRejectReason, Tag

__all__ = [
    "GROUPS",
    "FieldProblem",
    "Fields",
    "FixMessage",
    "OutboundMessage",
    "checksum",
    "decode_fields",
    "encode",
]

#: (tag, value) pairs in wire order.
Fields = tuple[tuple[int, str], ...]

_SOH: Final = 1  # the byte value of SOH
_MAX_TAG_DIGITS: Final = 9  # tags are 32-bit in every engine; longer is garbage, not a tag

#: NumInGroup tag -> (delimiter tag that starts each instance, every tag an instance may hold).
#: Nested groups (NoPartySubIDs inside NoPartyIDs) are flattened into their parent.
GROUPS: Final[dict[int, tuple[int, frozenset[int]]]] = {
    Tag.NO_PARTY_IDS: (
        Tag.PARTY_ID,
        frozenset(
            {
                Tag.PARTY_ID,
                Tag.PARTY_ID_SOURCE,
                Tag.PARTY_ROLE,
                Tag.NO_PARTY_SUB_IDS,
                Tag.PARTY_SUB_ID,
                Tag.PARTY_SUB_ID_TYPE,
            }
        ),
    ),
    Tag.NO_MSG_TYPES: (Tag.REF_MSG_TYPE, frozenset({Tag.REF_MSG_TYPE, Tag.MSG_DIRECTION})),
}

#: Length tag -> the data tag it sizes. A data value may hold SOH, so it is cut by length.
_DATA_LENGTHS: Final[dict[int, int]] = {
    90: 91,  # SecureDataLen -> SecureData
    93: 89,  # SignatureLength -> Signature
    95: 96,  # RawDataLength -> RawData
    212: 213,  # XmlDataLen -> XmlData
    354: 355,  # EncodedTextLen -> EncodedText
}


# Looked up in every message, as plain ints (an IntEnum member is hashed in Python).
_MSG_SEQ_NUM: Final = int(Tag.MSG_SEQ_NUM)
_POSS_DUP_FLAG: Final = int(Tag.POSS_DUP_FLAG)
_POSS_RESEND: Final = int(Tag.POSS_RESEND)


@dataclass(frozen=True, slots=True)
class FieldProblem:
    """The first tag-level fault of a message: what the session's Reject (35=3) says."""

    reason: SessionRejectReason
    tag: int | None
    text: str


@dataclass(frozen=True, slots=True, eq=False)
class FixMessage:
    """One framed message: its fields after BodyLength (MsgType first), CheckSum excluded.

    ``get`` looks a tag up outside the known repeating groups (the first occurrence, if the
    message carries a duplicate); ``groups`` holds each known group's instances. ``problem``
    is the first tag-level fault, or None.
    """

    msg_type: str
    fields: Fields
    problem: FieldProblem | None = None
    groups: dict[int, tuple[Fields, ...]] = field(default_factory=dict, repr=False)
    raw: bytes = field(default=b"", repr=False)
    _index: dict[int, str] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        if not self._index and not self.groups:  # built by hand (tests, builders): index it
            for tag, value in self.fields:
                self._index.setdefault(tag, value)

    def get(self, tag: int) -> str | None:
        return self._index.get(tag)

    @property
    def getter(self) -> Callable[[int], str | None]:
        """:meth:`get` as the index's own (C) method: for a caller that looks up many tags."""
        return self._index.get

    def __contains__(self, tag: int) -> bool:
        return tag in self._index

    @property
    def seq_num(self) -> int | None:
        """MsgSeqNum(34) when present and a positive integer, else None."""
        return _positive_int(self._index.get(_MSG_SEQ_NUM))

    @property
    def poss_dup(self) -> bool:
        return self._index.get(_POSS_DUP_FLAG) == "Y"

    @property
    def poss_resend(self) -> bool:
        """PossResend(97)=Y: the application may have seen this under another MsgSeqNum."""
        return self._index.get(_POSS_RESEND) == "Y"


@dataclass(frozen=True, slots=True)
class OutboundMessage:
    """A message to send: its MsgType and body fields; the session adds header and trailer."""

    msg_type: str
    body: Fields

    def get(self, tag: int) -> str | None:
        return next((value for t, value in self.body if t == tag), None)


def _positive_int(text: str | None) -> int | None:
    if text is None or not text.isascii() or not text.isdigit() or len(text) > 18:
        return None
    number = int(text)
    return number if number > 0 else None


def checksum(data: bytes | bytearray | memoryview) -> int:
    """The FIX CheckSum: the sum of every byte before the CheckSum field, modulo 256."""
    return sum(data) & 0xFF


def encode(msg_type: str, fields: Iterable[tuple[int, str]]) -> bytes:
    """A whole message: BeginString, BodyLength, MsgType, ``fields`` in order, CheckSum.

    ``fields`` are everything after MsgType (header fields first, as FIX orders them). Raises
    ValueError for a value that cannot go on the wire (our bug, never the peer's).
    """
    parts = [b"35=" + _wire_value(35, msg_type)]
    parts.extend(b"%d=%s" % (tag, _wire_value(tag, value)) for tag, value in fields)
    body = b"\x01".join(parts) + b"\x01"
    head = b"8=%s\x019=%d\x01" % (BEGIN_STRING.encode("ascii"), len(body))
    message = head + body
    return message + b"10=%03d\x01" % checksum(message)


def _wire_value(tag: int, value: str) -> bytes:
    if tag <= 0:
        raise ValueError(f"tag {tag} is not a positive integer")
    if not value or "\x01" in value:
        raise ValueError(f"tag {tag}: value {value!r} is empty or holds SOH")
    return value.encode("latin-1")  # raises for characters beyond one byte


def decode_fields(body: bytes, raw: bytes = b"") -> FixMessage:
    """Parse the fields of a framed message (``body`` ends with SOH); never raises."""
    parser = _FieldParser(body)
    parser.run()
    msg_type = ""
    fields = tuple(parser.fields)
    if not fields or fields[0][0] != Tag.MSG_TYPE:
        where = next((i for i, (t, _) in enumerate(fields) if t == Tag.MSG_TYPE), None)
        if where is None:
            parser.note(SessionRejectReason.REQUIRED_TAG_MISSING, 35, "MsgType(35) is missing")
        else:
            msg_type = fields[where][1]
            parser.note(
                SessionRejectReason.TAG_SPECIFIED_OUT_OF_REQUIRED_ORDER,
                35,
                "MsgType(35) must be the third field",
            )
    else:
        msg_type = fields[0][1]
    return FixMessage(msg_type, fields, parser.problem, parser.groups, raw, parser.index)


class _FieldParser:
    """One pass over a body: fields, known groups, the first problem."""

    def __init__(self, body: bytes) -> None:
        self.body = body
        self.fields: list[tuple[int, str]] = []
        self.groups: dict[int, tuple[Fields, ...]] = {}
        self.problem: FieldProblem | None = None
        self.index: dict[int, str] = {}  # first value of each tag outside the groups
        self._data_length: tuple[int, int] | None = None  # (data tag, byte count) expected next
        self._group: tuple[int, int, frozenset[int], int] | None = None  # count tag, delim, ...
        self._instances: list[list[tuple[int, str]]] = []

    def note(self, reason: SessionRejectReason, tag: int | None, text: str) -> None:
        if self.problem is None:  # the first fault is the one the Reject names
            self.problem = FieldProblem(reason, tag, text)

    def run(self) -> None:
        body, pos, end = self.body, 0, len(self.body)
        while pos < end:
            stop = body.find(b"\x01", pos)  # the framer guarantees a final SOH
            eq = body.find(b"=", pos, stop)
            if eq < 0:
                self.note(SessionRejectReason.INVALID_TAG_NUMBER, None, "a field has no '='")
                pos = stop + 1
                continue
            tag = _tag_number(body[pos:eq])
            if tag is None:
                text = f"invalid tag number {body[pos:eq][:16].decode('latin-1')!r}"
                self.note(SessionRejectReason.INVALID_TAG_NUMBER, None, text)
                pos = stop + 1
                continue
            data = self._data_length
            self._data_length = None
            if data is not None and data[0] == tag and eq + 1 + data[1] < end:
                stop = eq + 1 + data[1]  # a data value is cut by its length, SOH or not
                if body[stop] != _SOH:
                    self.note(SessionRejectReason.INCORRECT_DATA_FORMAT, tag, "bad data length")
                    stop = body.find(b"\x01", stop)
            self._add(tag, body[eq + 1 : stop].decode("latin-1"))
            pos = stop + 1
        self._close_group()

    def _add(self, tag: int, value: str) -> None:
        if not value:
            self.note(SessionRejectReason.TAG_SPECIFIED_WITHOUT_A_VALUE, tag, f"tag {tag} is empty")
            return
        self.fields.append((tag, value))
        if self._group is not None:
            if tag in self._group[2]:
                self._add_to_group(tag, value)
                return
            self._close_group()
        if tag in self.index:
            self.note(
                SessionRejectReason.TAG_APPEARS_MORE_THAN_ONCE, tag, f"tag {tag} appears twice"
            )
        else:
            self.index[tag] = value
        if tag in _DATA_LENGTHS:
            length = _positive_int(value)
            if length is not None:
                self._data_length = (_DATA_LENGTHS[tag], length)
        if tag in GROUPS:
            self._open_group(tag, value)

    def _open_group(self, tag: int, value: str) -> None:
        count = int(value) if value.isascii() and value.isdigit() and len(value) < 7 else None
        if count is None:
            self.note(SessionRejectReason.INCORRECT_DATA_FORMAT, tag, f"NumInGroup {tag} bad")
            return
        delimiter, members = GROUPS[tag]
        self._group = (tag, delimiter, members, count)
        self._instances = []

    def _add_to_group(self, tag: int, value: str) -> None:
        assert self._group is not None
        count_tag, delimiter = self._group[0], self._group[1]
        if tag == delimiter:
            self._instances.append([])
        elif not self._instances:
            text = f"group {count_tag} must start with tag {delimiter}"
            self.note(SessionRejectReason.REPEATING_GROUP_FIELDS_OUT_OF_ORDER, tag, text)
            self._instances.append([])
        self._instances[-1].append((tag, value))

    def _close_group(self) -> None:
        if self._group is None:
            return
        count_tag, _, _, count = self._group
        self._group = None
        if len(self._instances) != count:
            text = f"NumInGroup {count_tag}={count} but {len(self._instances)} instances follow"
            self.note(SessionRejectReason.INCORRECT_NUMINGROUP_COUNT, count_tag, text)
        self.groups[count_tag] = tuple(tuple(i) for i in self._instances)


def _tag_number(text: bytes) -> int | None:
    if not text or len(text) > _MAX_TAG_DIGITS or not text.isdigit():
        return None
    tag = int(text)
    return tag if tag > 0 else None
