"""Canonical event lines at compiled speed: from event tuples, or straight from event records.

The format is the one :mod:`engine.canonical.events` defines (``event_to_json`` +
``json_encode`` is the reference; ``encode_event_line`` its %-format twin): one compact ASCII
JSON object a line, keys ``seq``, ``sub``, ``type`` and then the fields in declaration order,
enums as lower-case names. This module writes the same bytes without building a JSON object, a
format tuple or, for records, an event tuple:

* :class:`EventLines` is a growing buffer of lines: :meth:`~EventLines.add_events` appends the
  lines of one command's events (what ``encode_events`` returns),
  :meth:`~EventLines.add_records` the lines of a buffer of 128-byte event records
  (`engine.event_records`, each stamped with its seq_no and sub_seq), and
  :meth:`~EventLines.take` hands the bytes over and empties the buffer;
* :func:`encode_events`, :func:`encode_record_lines` and :func:`digest_records` are the
  one-shot forms.

Every line is driven by one :class:`_Layout` per event class, built at import from the event
classes' annotations (how each value is written) and from ``EVENT_LAYOUTS`` (where a record
keeps it), so a new event kind needs no code here. Compiled, the values are formatted in C
into one malloc'd buffer: integers that fit in 64 bits digit by digit, ASCII strings copied or
escaped byte by byte (as ``json.encoder.encode_basestring_ascii`` does); anything else (a big
integer, a non-ASCII string) goes through the same Python formatting as the reference.
Uncompiled, the same layouts drive ``b"%d"`` and ``encode_basestring_ascii`` on a bytearray.

A record the reference decoder (``EventDecoder``) would refuse (unknown kind, enum value or
flag out of range, a non-ASCII text, a length that is not a whole number of records) is
refused with that decoder's own RecordError, never written.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable
from enum import IntEnum
from json.encoder import encode_basestring_ascii
from typing import Any, Final, NoReturn, get_type_hints

import cython

from engine.canonical.events import EVENT_TYPES, OutputDigest
from engine.domain.reasons import TEXT
from engine.event_records import (
    EVENT_CLASSES,
    EVENT_LAYOUTS,
    EVENT_RECORD,
    EVENT_RECORD_SIZE,
    EventDecoder,
)

if cython.compiled:
    from cython.cimports.cpython.buffer import PyBUF_SIMPLE, PyBuffer_Release, PyObject_GetBuffer
    from cython.cimports.cpython.bytes import (
        PyBytes_AS_STRING,
        PyBytes_FromStringAndSize,
        PyBytes_GET_SIZE,
    )
    from cython.cimports.cpython.long import PyLong_AsLongLongAndOverflow
    from cython.cimports.cpython.object import Py_buffer
    from cython.cimports.cpython.unicode import PyUnicode_1BYTE_DATA, PyUnicode_GET_LENGTH
    from cython.cimports.libc.stdlib import free, realloc
    from cython.cimports.libc.string import memcpy

__all__ = ["EventLines", "digest_records", "encode_events", "encode_record_lines"]

K_INT: cython.longlong = 0  # an integer: decimal digits (a record's slot: little-endian)
K_STR: cython.longlong = 1  # a string: JSON string literal (a record's slot: NUL-padded ASCII)
K_BOOL: cython.longlong = 2  # true / false (a record's slot: a 0 / 1 flag byte)
K_ENUM: cython.longlong = 3  # an enum member's lower-case name (a record's slot: its value)
K_REASON_TEXT: cython.longlong = 4  # a Rejected's text: the text of the field before it
RECORD_SIZE: cython.longlong = EVENT_RECORD_SIZE
MAX_KINDS: cython.longlong = 32  # the size of EventLines' count per event class


def _json_str(value: str) -> bytes:
    encoded: bytes = encode_basestring_ascii(value).encode("ascii")
    return encoded


# -- layouts ------------------------------------------------------------------------------


def _slot_geometry() -> list[tuple[int, int, bool]]:
    """(offset, width, signed) of every value of ``EVENT_RECORD``, in unpack order."""
    out: list[tuple[int, int, bool]] = []
    fmt = EVENT_RECORD.format
    prefix, index, count = fmt[0], 1, ""
    while index < len(fmt):
        char = fmt[index]
        index += 1
        if char.isdigit():
            count += char
            continue
        code = count + char
        count = ""
        if char != "x":
            offset = struct.calcsize(prefix)
            out.append((offset, struct.calcsize(prefix[0] + code), char.islower() and char != "s"))
        prefix += code
    return out


def _by_value(table: object) -> tuple[bytes | None, ...] | None:
    """A {value: text} table as a tuple indexed by value."""
    if not isinstance(table, dict):
        return None
    out: list[bytes | None] = [None] * (max(table) + 1)
    for value, text in table.items():
        out[value] = text
    return tuple(out)


@cython.final
@cython.cclass
class _Layout:
    """How the lines of one event class are written: the literal pieces, and per field how its
    value is formatted and where a record keeps it."""

    head: bytes  # ',"type":"fill"'
    keys: tuple  # per field: ',"name":'
    kinds: bytes  # per field: K_*
    names: tuple  # per field: {member: b'"name"'} of an enum, the texts of a reason, or None
    by_value: tuple  # per field: names as a tuple indexed by value (None where no member)
    offsets: bytes  # per field: the byte offset of its slot in a record
    widths: bytes  # per field: the slot's width in bytes
    signed: bytes  # per field: 1 if the slot holds a signed integer
    index: cython.longlong  # the class's position in EVENT_CLASSES (its record kind - 1)

    def __init__(self, cls: type[Any], type_name: str) -> None:
        self.index = EVENT_CLASSES.index(cls)
        hints = get_type_hints(cls)
        geometry = _slot_geometry()
        self.head = b',"type":"' + type_name.encode() + b'"'
        keys: list[bytes] = []
        kinds: list[int] = []
        names: list[object] = []
        offsets: list[int] = []
        widths: list[int] = []
        signed: list[int] = []
        for field, (slot, convert) in zip(cls._fields, EVENT_LAYOUTS[cls], strict=True):
            kind = hints[field]
            keys.append(b',"' + field.encode() + b'":')
            table: object = None
            if slot < 0:  # not stored: a Rejected's text, derived from its reason
                code = K_REASON_TEXT
                table = {reason: _json_str(text) for reason, text in TEXT.items()}
                offset, width, sign = 0, 0, False
            else:
                offset, width, sign = geometry[slot]
                if kind is int:
                    code = K_INT
                elif kind is str:
                    code = K_STR
                elif kind is bool:
                    code = K_BOOL
                else:
                    assert isinstance(kind, type) and issubclass(kind, IntEnum), (cls, field)
                    code = K_ENUM
                    # one table per enum: members of different enums compare equal
                    table = {m: b'"' + m.name.lower().encode() + b'"' for m in kind}
                    assert convert is kind, (cls, field, convert)
            if kind is str and slot >= 0:
                assert convert is str, (cls, field, convert)
            kinds.append(code)
            names.append(table)
            offsets.append(offset)
            widths.append(width)
            signed.append(1 if sign else 0)
        self.keys = tuple(keys)
        self.kinds = bytes(kinds)
        self.names = tuple(names)
        self.by_value = tuple(_by_value(table) for table in names)
        self.offsets = bytes(offsets)
        self.widths = bytes(widths)
        self.signed = bytes(signed)


_LAYOUTS: Final[tuple[_Layout, ...]] = tuple(
    _Layout(cls, EVENT_TYPES[cls]) for cls in EVENT_CLASSES
)
#: event class -> its layout (the classes of EVENT_CLASSES, which are EVENT_TYPES' classes)
_BY_CLASS: Final[dict[type[Any], _Layout]] = dict(zip(EVENT_CLASSES, _LAYOUTS, strict=True))
assert set(_BY_CLASS) == set(EVENT_TYPES)
assert len(_LAYOUTS) <= MAX_KINDS


def _refuse(records: Any, offset: int) -> NoReturn:
    """Raise the reference decoder's RecordError for the record at ``offset``."""
    EventDecoder().decode(records, offset)
    raise AssertionError(f"the event record at offset {offset} decodes, yet was refused")


# -- the buffer ---------------------------------------------------------------------------


@cython.final
@cython.cclass
class EventLines:
    """A growing buffer of canonical event lines; :attr:`count` lines are in it, and
    :meth:`counts_by_class` tells how many of each event class it was given in all."""

    _pure: bytearray
    _pure_kinds: list
    count: cython.longlong

    def __init__(self) -> None:
        self._pure = bytearray()
        self._pure_kinds = [0] * MAX_KINDS
        self.count = 0

    def counts_by_class(self) -> dict[type[Any], int]:
        """Event class -> how many lines of it were added since this buffer was made."""
        if cython.compiled:
            return {cls: self._kinds[i] for i, cls in enumerate(EVENT_CLASSES)}
        else:
            return {cls: self._pure_kinds[i] for i, cls in enumerate(EVENT_CLASSES)}

    def __dealloc__(self) -> None:
        if cython.compiled:
            free(self._data)

    def __len__(self) -> int:
        """The number of bytes in the buffer."""
        if cython.compiled:
            return self._size
        else:
            return len(self._pure)

    @cython.ccall
    def add_events(self, seq_no: Any, events: Any) -> cython.void:
        """Append the lines of one command's events (sub_seq = position in ``events``): the
        bytes ``encode_events(seq_no, events)`` returns."""
        items: list = events if type(events) is list else list(events)
        sub: cython.Py_ssize_t = 0
        start: cython.Py_ssize_t = self._mark()
        try:
            for event in items:
                self._add_event(seq_no, sub, event)
                sub += 1
        except BaseException:  # all or nothing: the earlier events' lines and counts go too
            for event in items[:sub]:
                self._rewind(start, _BY_CLASS[type(event)].index + 1)
            self._rewind(start, 0)
            raise
        self.count += sub

    @cython.ccall
    def add_records(self, records: Any) -> cython.void:
        """Append the lines of ``records``: whole 128-byte event records back to back (any
        buffer). The same bytes as decoding them with ``EventDecoder`` and encoding each
        ``(seq_no, sub_seq, event)`` with ``encode_event_line``."""
        if cython.compiled:
            buf = cython.declare(Py_buffer)
            PyObject_GetBuffer(records, cython.address(buf), PyBUF_SIMPLE)
            try:
                size: cython.Py_ssize_t = buf.len
                if size % RECORD_SIZE:
                    EventDecoder().decode_many(records)  # raises its RecordError
                start = cython.cast(cython.p_uchar, buf.buf)
                offset: cython.Py_ssize_t = 0
                while offset < size:
                    self._add_record(records, start + offset, offset)
                    offset += RECORD_SIZE
                self.count += size // RECORD_SIZE
            finally:
                PyBuffer_Release(cython.address(buf))
        else:
            data = bytes(memoryview(records).cast("B"))
            if len(data) % RECORD_SIZE:
                EventDecoder().decode_many(records)  # raises its RecordError
            for offset in range(0, len(data), RECORD_SIZE):
                self._add_record(records, data[offset : offset + RECORD_SIZE], offset)
            self.count += len(data) // RECORD_SIZE

    @cython.ccall
    def take(self) -> bytes:
        """The buffered lines; the buffer is empty afterwards (``count`` back to 0)."""
        self.count = 0
        if cython.compiled:
            out = PyBytes_FromStringAndSize(self._data, self._size)
            self._size = 0
            if self._cap > 1 << 22:  # a huge batch: give the memory back
                free(self._data)
                self._data = cython.NULL
                self._cap = 0
            return out
        else:
            out_pure = bytes(self._pure)
            self._pure.clear()
            return out_pure

    # -- primitives: C into the malloc'd buffer compiled, bytes into a bytearray uncompiled ----

    @cython.cfunc
    @cython.exceptval(-1, check=False)
    def _grow(self, n: cython.Py_ssize_t) -> cython.int:  # compiled only
        """Make room for ``n`` more bytes."""
        if cython.compiled:
            cap: cython.Py_ssize_t = max(self._size + n, 2 * self._cap, 4096)
            grown = cython.cast(cython.p_char, realloc(self._data, cap))
            if grown == cython.NULL:
                raise MemoryError()
            self._data = grown
            self._cap = cap
            return 0
        else:
            raise AssertionError("compiled only")

    @cython.cfunc
    @cython.exceptval(-1, check=False)
    def _put(self, data: bytes) -> cython.int:
        if cython.compiled:
            n: cython.Py_ssize_t = PyBytes_GET_SIZE(data)
            if self._size + n > self._cap:
                self._grow(n)
            memcpy(self._data + self._size, PyBytes_AS_STRING(data), n)
            self._size += n
        else:
            self._pure += data
        return 0

    @cython.cfunc
    @cython.exceptval(-1, check=False)
    @cython.cdivision(True)
    def _put_i64(self, value: cython.longlong) -> cython.int:
        if cython.compiled:
            digits = cython.declare(cython.char[24])
            at: cython.int = 24
            magnitude: cython.ulonglong = cython.cast(cython.ulonglong, value)
            if value < 0:
                magnitude = cython.cast(cython.ulonglong, 0) - magnitude
            pairs = DIGIT_PAIRS  # noqa: F821 (lines.pxd: "00", "01", ... "99")
            pair: cython.Py_ssize_t
            while magnitude >= 100:  # two digits a division
                pair = 2 * cython.cast(cython.Py_ssize_t, magnitude % 100)
                magnitude //= 100
                at -= 2
                digits[at] = pairs[pair]
                digits[at + 1] = pairs[pair + 1]
            if magnitude >= 10:
                pair = 2 * cython.cast(cython.Py_ssize_t, magnitude)
                at -= 2
                digits[at] = pairs[pair]
                digits[at + 1] = pairs[pair + 1]
            else:
                at -= 1
                digits[at] = cython.cast(cython.char, 48 + magnitude)
            if value < 0:
                at -= 1
                digits[at] = 45  # '-'
            if self._size + 24 > self._cap:
                self._grow(24)
            memcpy(self._data + self._size, cython.address(digits[at]), 24 - at)
            self._size += 24 - at
        else:
            self._pure += b"%d" % value
        return 0

    @cython.cfunc
    @cython.exceptval(-1, check=False)
    def _put_int(self, value: Any) -> cython.int:
        if cython.compiled:
            if isinstance(value, int):
                overflow: cython.int = 0
                number: cython.longlong = PyLong_AsLongLongAndOverflow(
                    value, cython.address(overflow)
                )
                if overflow == 0:
                    return self._put_i64(number)
            return self._put(b"%d" % value)  # beyond 64 bits (or not an int): as the reference
        else:
            self._pure += b"%d" % value
            return 0

    @cython.cfunc
    @cython.exceptval(-1, check=False)
    def _put_str(self, value: Any) -> cython.int:
        if cython.compiled:
            if type(value) is str and PyUnicode_IS_ASCII(value):  # noqa: F821
                return self._put_ascii(
                    cython.cast(cython.p_uchar, PyUnicode_1BYTE_DATA(value)),
                    PyUnicode_GET_LENGTH(value),
                )
            return self._put(_json_str(value))  # not ASCII (or not a str): as the reference
        else:
            self._pure += _json_str(value)
            return 0

    @cython.cfunc
    @cython.exceptval(-1, check=False)
    @cython.boundscheck(False)
    @cython.wraparound(False)
    def _put_ascii(self, text: cython.p_uchar, n: cython.Py_ssize_t) -> cython.int:
        """``text[:n]`` (ASCII) as a JSON string literal, escaped as encode_basestring_ascii:
        printable bytes but ``"`` and ``\\`` as they are, ``\\b \\t \\n \\f \\r`` short, any
        other byte (DEL included) as ``\\u00xx``."""
        if cython.compiled:
            if self._size + 6 * n + 2 > self._cap:
                self._grow(6 * n + 2)
            out = self._data + self._size
            at: cython.Py_ssize_t = 1
            i: cython.Py_ssize_t
            c: cython.uchar
            out[0] = 34  # '"'
            for i in range(n):
                c = text[i]
                if 32 <= c < 127 and c != 34 and c != 92:
                    out[at] = c
                    at += 1
                    continue
                out[at] = 92  # '\\'
                if c == 34 or c == 92:
                    out[at + 1] = c
                    at += 2
                elif c == 8 or c == 9 or c == 10 or c == 12 or c == 13:
                    out[at + 1] = b"btn?fr"[c - 8]
                    at += 2
                else:
                    out[at + 1] = 117  # 'u'
                    out[at + 2] = 48
                    out[at + 3] = 48
                    out[at + 4] = b"0123456789abcdef"[c >> 4]
                    out[at + 5] = b"0123456789abcdef"[c & 15]
                    at += 6
            out[at] = 34
            self._size += at + 1
        else:
            self._pure += _json_str(bytes(text[:n]).decode("ascii"))
        return 0

    # -- lines ----------------------------------------------------------------------------

    @cython.cfunc
    @cython.exceptval(-1, check=False)
    @cython.boundscheck(False)
    @cython.wraparound(False)
    def _add_event(self, seq: Any, sub: cython.Py_ssize_t, event: Any) -> cython.int:
        layout: _Layout = _BY_CLASS[type(event)]  # KeyError for a non-event, as the reference
        values: tuple = cython.cast(tuple, event)
        keys: tuple = layout.keys
        kinds: bytes = layout.kinds
        names: tuple = layout.names
        n: cython.Py_ssize_t = len(keys)
        if len(values) != n:
            raise ValueError(f"{type(event).__name__} has {len(values)} values, not {n}")
        if cython.compiled:
            self._kinds[layout.index] += 1
        else:
            self._pure_kinds[layout.index] += 1
        self._put(b'{"seq":')
        self._put_int(seq)
        self._put(b',"sub":')
        self._put_i64(sub)
        self._put(layout.head)
        i: cython.Py_ssize_t
        kind: cython.longlong
        for i in range(n):
            self._put(keys[i])
            value = values[i]
            kind = kinds[i]
            if kind == K_INT:
                self._put_int(value)
            elif kind == K_BOOL:
                self._put(b"true" if value else b"false")
            elif kind == K_ENUM:
                self._put(names[i][value])  # KeyError for a value of no member, as the reference
            else:  # K_STR, K_REASON_TEXT: a str field of the tuple
                self._put_str(value)
        return self._put(b"}\n")

    @cython.cfunc
    @cython.exceptval(-1, check=False)
    @cython.boundscheck(False)
    @cython.wraparound(False)
    def _add_record(
        self, records: Any, record: cython.p_uchar, offset: cython.Py_ssize_t
    ) -> cython.int:
        """One record's line; ``record`` points at its bytes (compiled) or is them. A record
        the reference decoder refuses raises its RecordError, with nothing written."""
        kind: cython.Py_ssize_t = record[0]
        if kind < 1 or kind > len(_LAYOUTS):
            _refuse(records, offset)
        layout: _Layout = _LAYOUTS[kind - 1]
        keys: tuple = layout.keys
        kinds: bytes = layout.kinds
        by_value: tuple = layout.by_value
        offsets: bytes = layout.offsets
        widths: bytes = layout.widths
        signed: bytes = layout.signed
        start: cython.Py_ssize_t = self._mark()
        if cython.compiled:
            self._kinds[kind - 1] += 1
        else:
            self._pure_kinds[kind - 1] += 1
        self._put(b'{"seq":')
        self._put_i64(_read_int(record, 8, 8, True))
        self._put(b',"sub":')
        self._put_i64(_read_int(record, 4, 4, False))
        self._put(layout.head)
        i: cython.Py_ssize_t
        j: cython.Py_ssize_t
        code: cython.longlong
        at: cython.Py_ssize_t
        width: cython.Py_ssize_t
        value: cython.longlong = 0
        previous: cython.longlong = 0
        for i in range(len(keys)):
            self._put(keys[i])
            code = kinds[i]
            at = offsets[i]
            width = widths[i]
            if code == K_STR:
                while width > 0 and record[at + width - 1] == 0:
                    width -= 1  # NUL padding, as the reference strips it
                for j in range(width):
                    if record[at + j] > 127:
                        self._rewind(start, kind)
                        _refuse(records, offset)
                if cython.compiled:
                    self._put_ascii(record + at, width)
                else:
                    self._put_ascii(record[at:], width)
                continue
            value = (
                previous if code == K_REASON_TEXT else _read_int(record, at, width, signed[i] == 1)
            )
            previous = value
            if code == K_INT:
                self._put_i64(value)
            elif code == K_BOOL:
                if value > 1:
                    self._rewind(start, kind)
                    _refuse(records, offset)
                self._put(b"true" if value else b"false")
            else:  # K_ENUM, K_REASON_TEXT: a member's name or a reason's text, by value
                table: tuple = by_value[i]
                text: bytes | None = table[value] if 0 <= value < len(table) else None
                if text is None:
                    self._rewind(start, kind)
                    _refuse(records, offset)
                self._put(text)
        return self._put(b"}\n")

    @cython.cfunc
    @cython.exceptval(check=False)
    def _mark(self) -> cython.Py_ssize_t:
        """The size to rewind to."""
        if cython.compiled:
            return self._size
        else:
            return len(self._pure)

    @cython.cfunc
    @cython.exceptval(check=False)
    def _rewind(self, size: cython.Py_ssize_t, kind: cython.Py_ssize_t) -> cython.void:
        """Drop what was written after ``size``, and one line of ``kind`` from the counts
        (none for kind 0)."""
        if cython.compiled:
            self._size = size
            if kind > 0:
                self._kinds[kind - 1] -= 1
        else:
            del self._pure[size:]
            if kind > 0:
                self._pure_kinds[kind - 1] -= 1


@cython.cfunc
@cython.exceptval(check=False)
@cython.boundscheck(False)
@cython.wraparound(False)
def _read_int(
    record: cython.p_uchar, at: cython.Py_ssize_t, width: cython.Py_ssize_t, signed: cython.bint
) -> cython.longlong:
    """The little-endian integer of ``width`` (1, 2, 4 or 8) bytes at ``record[at:]``."""
    if cython.compiled:
        value: cython.ulonglong = 0
        if width == 8:  # the common case, one load
            p = record + at
            value = (
                cython.cast(cython.ulonglong, p[0])
                | (cython.cast(cython.ulonglong, p[1]) << 8)
                | (cython.cast(cython.ulonglong, p[2]) << 16)
                | (cython.cast(cython.ulonglong, p[3]) << 24)
                | (cython.cast(cython.ulonglong, p[4]) << 32)
                | (cython.cast(cython.ulonglong, p[5]) << 40)
                | (cython.cast(cython.ulonglong, p[6]) << 48)
                | (cython.cast(cython.ulonglong, p[7]) << 56)
            )
            return cython.cast(cython.longlong, value)
        i: cython.Py_ssize_t
        for i in range(width - 1, -1, -1):
            value = (value << 8) | record[at + i]
        if signed and value >> (8 * width - 1):
            value -= cython.cast(cython.ulonglong, 1) << (8 * width)
        return cython.cast(cython.longlong, value)
    else:
        number: int = int.from_bytes(record[at : at + width], "little", signed=signed)
        return number


# -- one-shot forms -----------------------------------------------------------------------

_SCRATCH: Final = EventLines()


def encode_events(seq_no: int, events: Iterable[object]) -> bytes:
    """The lines of one command's events, concatenated: ``events.encode_events``' bytes."""
    _SCRATCH.add_events(seq_no, events)
    return _SCRATCH.take()


def encode_record_lines(records: bytes | bytearray | memoryview) -> bytes:
    """The canonical lines of a buffer of whole event records, in buffer order."""
    _SCRATCH.add_records(records)
    return _SCRATCH.take()


def digest_records(digest: OutputDigest, records: bytes | bytearray | memoryview) -> bytes:
    """Feed ``digest`` the lines of ``records`` (as ``OutputDigest.update`` does for event
    tuples) and return them, for a caller that also writes them out."""
    data = encode_record_lines(records)
    digest.update_bytes(data, len(records) // EVENT_RECORD_SIZE)
    return data
