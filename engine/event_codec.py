"""Events into event records and back, compiled: what the stages write to and read from rings.

The layout and the reference codec are `engine.event_records` (``EVENT_LAYOUTS``,
``encode_event_into``, ``EventDecoder``); this module writes that table out once for the
compiler, kind by kind, and the tests hold both to the same bytes and objects. Compiled, an
event is written with C stores into the record and read back with C loads into a NamedTuple of
one allocation; uncompiled, both directions are the reference codec. Whatever the fast path
does not take as it stands (an unknown class, a text that is not ASCII or too long, an
integer outside 64 bits, a Rejected whose text is not its reason's, an enum byte out of range)
goes to the reference, which raises its RecordError, so errors are the same in both builds.

Two header words ride in the bytes the event layout leaves zero, for the merged event stream
(ring[events]) and its readers: ``origin`` (u32 at :data:`ORIGIN_OFFSET`, the gateway session
of the command that caused the event) and ``command_ts`` (i64 at :data:`TS_OFFSET`, that
command's ts). The out rings of the matchers leave them zero.
"""

from __future__ import annotations

import struct
from typing import Any, Final

import cython

from engine.domain.reasons import TEXT
from engine.domain.types import (
    Accepted,
    BookAdd,
    BookDelete,
    BookExecute,
    BookReduce,
    BookReplace,
    Cancelled,
    CancelReason,
    Event,
    Expired,
    ExpireReason,
    Fill,
    Liquidity,
    Rejected,
    RejectReason,
    Replaced,
    SelfTradePrevention,
    Side,
)
from engine.event_records import (
    EVENT_CLASSES,
    EVENT_RECORD,
    EVENT_RECORD_SIZE,
    EventDecoder,
    encode_event_into,
)
from engine.text_cache import TextCache

if cython.compiled:
    from cython.cimports.cpython.bytearray import PyByteArray_AS_STRING, PyByteArray_Resize
    from cython.cimports.engine.ascii_stores import copy_ascii
    from cython.cimports.engine.domain.fast_tuple import (
        tuple2,
        tuple3,
        tuple4,
        tuple5,
        tuple6,
        tuple10,
    )
    from cython.cimports.engine.text_cache import ascii_field
    from cython.cimports.libc.string import memcpy, memset
else:
    from engine.ascii_stores import copy_ascii
    from engine.domain.fast_tuple import tuple2, tuple3, tuple4, tuple5, tuple6, tuple10
    from engine.text_cache import ascii_field

ORIGIN_OFFSET: Final = 108
TS_OFFSET: Final = 112
# The same offsets and the record size as C constants for the compiled build.
_RECORD: cython.longlong = EVENT_RECORD_SIZE
_ORIGIN: cython.longlong = ORIGIN_OFFSET
_TS: cython.longlong = TS_OFFSET
_HEADER = struct.Struct("<Iq")
_KIND: dict[type, int] = {cls: i + 1 for i, cls in enumerate(EVENT_CLASSES)}
assert [c.__name__ for c in EVENT_CLASSES[:6]] == [
    "Accepted", "Rejected", "Fill", "Cancelled", "Replaced", "Expired",
]  # fmt: skip


def _members(enum: Any) -> tuple[Any, ...]:
    """Members by value, None where no member has that value (values are small ints)."""
    table: list[Any] = [None] * (max(enum) + 1)
    for member in enum:
        table[member] = member
    return tuple(table)


_SIDES: Final = _members(Side)
_LIQUIDITY: Final = _members(Liquidity)
_CANCEL: Final = _members(CancelReason)
_EXPIRE: Final = _members(ExpireReason)
_REJECT: Final = _members(RejectReason)
_STP: Final = _members(SelfTradePrevention)
_BOOLS: Final = (False, True)


# -- writing ----------------------------------------------------------------------------------


@cython.cfunc
@cython.inline
def _put(p: cython.p_uchar, value: cython.longlong) -> cython.void:
    if cython.compiled:
        memcpy(p, cython.address(value), 8)


@cython.cfunc
def _fast_write(p: cython.p_uchar, seq_no: cython.longlong, event: Any) -> cython.bint:
    """Write ``event`` (kind, fields) at ``p`` (zeroed, sub_seq and seq set); False if the
    reference must handle it."""
    cls = type(event)
    kind: cython.longlong
    # the kinds of nearly every event by identity first; the table for the rest
    if cls is Fill:
        kind = 3
    elif cls is BookAdd:
        kind = 7
    elif cls is Accepted:
        kind = 1
    elif cls is BookDelete:
        kind = 10
    elif cls is Cancelled:
        kind = 4
    elif cls is BookExecute:
        kind = 8
    else:
        kind = _KIND.get(cls, 0)
    e: tuple[Any, ...] = cython.cast(tuple, event)
    p[0] = kind
    if kind == 3:  # Fill
        _put(p + 16, e[0])
        _put(p + 24, e[4])
        _put(p + 32, e[5])
        _put(p + 40, e[6])
        _put(p + 48, e[7])
        _put(p + 56, e[9])
        p[1] = e[8]
        p[2] = e[3]
        return copy_ascii(p + 64, e[1], 16, True) >= 0 and copy_ascii(p + 80, e[2], 8, True) >= 0
    if kind == 7 or kind == 11:  # BookAdd, BookReplace
        _put(p + 16, e[1])
        _put(p + 24, e[3])
        _put(p + 32, e[4])
        p[1] = e[2]
        return copy_ascii(p + 80, e[0], 8, True) >= 0
    if kind == 1:  # Accepted
        if e[1] != seq_no:
            return False
        _put(p + 16, e[0])
        return copy_ascii(p + 64, e[2], 16, True) >= 0 and copy_ascii(p + 88, e[3], 20, True) >= 0
    if kind == 8:  # BookExecute
        _put(p + 16, e[1])
        _put(p + 24, e[2])
        _put(p + 32, e[3])
        _put(p + 56, e[4])
        return copy_ascii(p + 80, e[0], 8, True) >= 0
    if kind == 10 or kind == 9:  # BookDelete, BookReduce
        _put(p + 16, e[1])
        if kind == 9:
            _put(p + 24, e[2])
        return copy_ascii(p + 80, e[0], 8, True) >= 0
    if kind == 4 or kind == 6:  # Cancelled, Expired
        _put(p + 16, e[0])
        _put(p + 24, e[2])
        p[1] = e[3]
        return copy_ascii(p + 64, e[1], 16, True) >= 0
    if kind == 5:  # Replaced
        _put(p + 16, e[0])
        _put(p + 24, e[2])
        _put(p + 32, e[3])
        _put(p + 40, e[4])
        p[1] = 1 if e[5] else 0
        return copy_ascii(p + 64, e[1], 16, True) >= 0
    if kind == 2:  # Rejected: the text is its reason's, and not stored
        reason: cython.longlong = e[4]
        if e[0] != seq_no or e[5] != TEXT.get(reason):
            return False
        _put(p + 16, e[3])
        p[1] = reason
        return copy_ascii(p + 64, e[1], 16, True) >= 0 and copy_ascii(p + 88, e[2], 20, True) >= 0
    return False  # administration events: rare, the reference writes them


@cython.ccall
def write_events(
    buf: bytearray,
    at: cython.Py_ssize_t,
    seq_no: Any,
    events: list[Event],
    origin: cython.longlong = 0,
    command_ts: cython.longlong = 0,
) -> cython.Py_ssize_t:
    """Write the records of one command's events (sub_seq 0, 1, ...) at byte ``at`` of
    ``buf``, with the ``origin`` and ``command_ts`` header words; return the byte after them.
    ``buf`` grows (doubling) when it is too short; the bytes past the returned end are not
    records, so the caller keeps the end, not ``len(buf)``."""
    count: cython.Py_ssize_t = len(events)
    end: cython.Py_ssize_t = at + _RECORD * count
    if len(buf) < end:
        grown: cython.Py_ssize_t = 2 * len(buf)
        if cython.compiled:
            PyByteArray_Resize(buf, grown if grown > end else end)
        else:
            buf.extend(bytes(max(grown, end) - len(buf)))
    if cython.compiled:
        base: cython.p_uchar = cython.cast(cython.p_uchar, PyByteArray_AS_STRING(buf)) + at
        memset(base, 0, _RECORD * count)
        seq: cython.longlong = seq_no
        origin32: cython.uint = origin
        i: cython.Py_ssize_t
        for i in range(count):
            p: cython.p_uchar = base + i * _RECORD
            event = events[i]
            ok: cython.bint = False
            try:
                ok = _fast_write(p, seq, event)
            except (OverflowError, TypeError, ValueError):
                ok = False
            if not ok:
                memset(p, 0, _RECORD)
                encode_event_into(buf, at + i * _RECORD, seq_no, i, event)
            memcpy(p + 4, cython.address(i), 4)  # sub_seq u32 (little-endian host)
            _put(p + 8, seq)
            memcpy(p + _ORIGIN, cython.address(origin32), 4)
            _put(p + _TS, command_ts)
    else:
        for sub, event in enumerate(events):
            offset = at + sub * EVENT_RECORD_SIZE
            buf[offset : offset + EVENT_RECORD_SIZE] = bytes(EVENT_RECORD_SIZE)
            encode_event_into(buf, offset, seq_no, sub, event)
            _HEADER.pack_into(buf, offset + ORIGIN_OFFSET, origin, command_ts)
    return end


def encode_events_into(
    out: bytearray, seq_no: int, events: list[Event], origin: int = 0, command_ts: int = 0
) -> None:
    """Append the records of one command's events to ``out`` (tests and cold paths); on an
    error ``out`` is left as it was."""
    at = len(out)
    # grow with bytearray's own amortized extend (write_events' doubling is for a buffer whose
    # caller keeps the end; trimming it back after every command would make appends quadratic)
    out.extend(bytes(_RECORD * len(events)))
    try:
        write_events(out, at, seq_no, events, origin, command_ts)
    except BaseException:
        del out[at:]
        raise


@cython.ccall
def encode_event_at(
    buffer: Any, offset: cython.Py_ssize_t, seq_no: Any, sub_seq: cython.longlong, event: Any
) -> cython.void:
    """Write one record at ``buffer[offset:offset + 128]`` of a writable buffer (a ring slot),
    with zero header words."""
    if cython.compiled:
        view = cython.declare(cython.uchar[::1], buffer)  # type: ignore[misc]
        if offset < 0 or offset + _RECORD > view.shape[0]:
            raise IndexError(f"no record fits at byte {offset} of {view.shape[0]}")
        p: cython.p_uchar = cython.address(view[offset])
        memset(p, 0, _RECORD)
        seq: cython.longlong = seq_no
        ok: cython.bint = False
        try:
            ok = _fast_write(p, seq, event)
        except (OverflowError, TypeError, ValueError):
            ok = False
        if ok:
            sub32: cython.uint = sub_seq
            memcpy(p + 4, cython.address(sub32), 4)
            _put(p + 8, seq)
            return
        memset(p, 0, _RECORD)
    encode_event_into(buffer, offset, seq_no, sub_seq, event)
    _HEADER.pack_into(buffer, offset + ORIGIN_OFFSET, 0, 0)


# -- reading ----------------------------------------------------------------------------------


@cython.cfunc
@cython.inline
def _get(p: cython.p_const_uchar) -> cython.longlong:
    value: cython.longlong = 0
    if cython.compiled:
        memcpy(cython.address(value), p, 8)
    return value


@cython.cfunc
@cython.inline
def _member(table: tuple[Any, ...], value: cython.uchar) -> Any:
    return table[value] if value < len(table) else None


@cython.final
@cython.cclass
class EventReader:
    """Event records back into ``(seq_no, sub_seq, event)``; text fields are interned."""

    _text: TextCache
    _reference: EventDecoder

    def __init__(self) -> None:
        self._text = TextCache()
        self._reference = EventDecoder()

    @cython.ccall
    def decode_bytes(self, data: Any) -> list[Any]:
        """Every event in ``data`` (bytes-like, whole records back to back)."""
        if not cython.compiled:
            return self._reference.decode_many(data)
        view = cython.declare(cython.const[cython.uchar][::1], data)
        size: cython.Py_ssize_t = view.shape[0]
        if size % _RECORD:
            return self._reference.decode_many(data)  # raises: not whole records
        out: list[Any] = []
        i: cython.Py_ssize_t
        for i in range(size // _RECORD):
            offset: cython.Py_ssize_t = i * _RECORD
            out.append(self._record(cython.address(view[offset]), offset))
        return out

    @cython.ccall
    def decode_rows(self, rows: Any, column: cython.Py_ssize_t = 0) -> list[Any]:
        """The events of the records at byte ``column`` of each row of ``rows``, a C-contiguous
        ``(n, width)`` uint8 array (ring slots); errors name offset ``row * 128``."""
        if not cython.compiled:
            part = rows[:, column : column + EVENT_RECORD_SIZE]
            return self._reference.decode_many(part.tobytes())
        view = cython.declare(cython.const[cython.uchar][:, ::1], rows)
        if view.shape[1] < column + _RECORD:
            raise ValueError(f"rows of {view.shape[1]} bytes hold no record at byte {column}")
        out: list[Any] = []
        i: cython.Py_ssize_t
        for i in range(view.shape[0]):
            out.append(self._record(cython.address(view[i, column]), i * _RECORD))
        return out

    def decode_grouped(self, rows: Any) -> list[tuple[int, list[Event]]]:
        """The events of ``rows`` grouped by seq_no: ``[(seq_no, [event, ...]), ...]``."""
        out: list[tuple[int, list[Event]]] = []
        group: list[Event] = []
        last = None
        for seq_no, _sub, event in self.decode_rows(rows):
            if seq_no != last:
                last = seq_no
                group = []
                out.append((seq_no, group))
            group.append(event)
        return out

    def decode_commands(
        self, rows: Any, seq_no: cython.longlong, sub: cython.longlong
    ) -> tuple[list[Any], int, int]:
        """The events of ``rows`` (a writable C-contiguous ``(n, 128)`` uint8 array of
        records in ``(seq_no, sub_seq)`` order, ring[events]' routed ones) grouped by command:
        ``[(seq_no, origin, [(sub, event), ...], row), ...]``, ``origin`` the header word,
        ``row`` the index of the command's first record, ``sub`` numbering the command's
        records from 0, or on from ``sub`` for the first ones when they are of command
        ``seq_no`` (its records before them came in earlier rows). Each record's sub_seq
        (bytes 4-7) is overwritten with its ``sub``. Returns the groups and the
        ``(seq_no, sub)`` to go on from with the next rows."""
        commands: list[Any] = []
        group: list[Any] = []
        if cython.compiled:
            view = cython.declare(cython.uchar[:, ::1], rows)  # type: ignore[misc]
            if view.shape[0] and view.shape[1] != _RECORD:
                raise ValueError(f"rows of {view.shape[1]} bytes are not event records")
            i: cython.Py_ssize_t
            at_seq: cython.longlong
            origin: cython.uint = 0
            sub32: cython.uint
            for i in range(view.shape[0]):
                p: cython.p_uchar = cython.address(view[i, 0])
                at_seq = _get(p + 8)
                event = self._event(p, p[0], p[1], at_seq)
                if event is None:  # the reference decides (and raises what it raises)
                    event = self._record(p, i * _RECORD)[2]
                if at_seq != seq_no or not group:
                    if at_seq != seq_no:
                        seq_no, sub = at_seq, 0
                    group = []
                    memcpy(cython.address(origin), p + _ORIGIN, 4)
                    commands.append((at_seq, origin, group, i))
                group.append((sub, event))
                sub32 = cython.cast(cython.uint, sub)
                memcpy(p + 4, cython.address(sub32), 4)
                sub += 1
            return commands, seq_no, sub
        origins = rows[:, ORIGIN_OFFSET : ORIGIN_OFFSET + 4].copy().view("<u4")[:, 0].tolist()
        subs: list[int] = []
        for row, (seq, _, event) in enumerate(self.decode_rows(rows)):
            if seq != seq_no:
                seq_no, sub, group = seq, 0, []
                commands.append((seq, origins[row], group, row))
            elif not group:  # the first record goes on the last rows' command
                commands.append((seq, origins[row], group, row))
            group.append((sub, event))
            subs.append(sub)
            sub += 1
        if subs:
            rows[:, 4:8].view("<u4")[:, 0] = subs
        return commands, seq_no, sub

    @cython.cfunc
    def _record(self, p: cython.p_const_uchar, offset: cython.Py_ssize_t) -> Any:
        kind: cython.uchar = p[0]
        e1: cython.uchar = p[1]
        sub: cython.uint = 0
        if cython.compiled:
            memcpy(cython.address(sub), p + 4, 4)
        seq = _get(p + 8)
        event = self._event(p, kind, e1, seq)
        if event is None:
            raw: bytes = p[:_RECORD]
            return self._reference._build(EVENT_RECORD.unpack_from(raw), offset)
        return (seq, sub, event)

    @cython.cfunc
    def _event(
        self, p: cython.p_const_uchar, kind: cython.uchar, e1: cython.uchar, seq: Any
    ) -> Any:
        """The event of a record, or None where the reference must decide."""
        if kind == 3:  # Fill
            account = self._text.lookup(p + 64, 16)
            symbol = self._text.lookup(p + 80, 8)
            side = _member(_SIDES, p[2])
            liquidity = _member(_LIQUIDITY, e1)
            if account is None or symbol is None or side is None or liquidity is None:
                return None
            return tuple10(
                Fill, _get(p + 16), account, symbol, side, _get(p + 24), _get(p + 32),
                _get(p + 40), _get(p + 48), liquidity, _get(p + 56),
            )  # fmt: skip
        if (kind >= 7 and kind <= 13) or kind == 17:  # book events, SymbolAdded, status, day end
            symbol = self._text.lookup(p + 80, 8)
            if symbol is None:
                return None
            if kind == 7 or kind == 11:
                side = _member(_SIDES, e1)
                if side is None:
                    return None
                cls = BookAdd if kind == 7 else BookReplace
                return tuple5(cls, symbol, _get(p + 16), side, _get(p + 24), _get(p + 32))
            if kind == 8:
                return tuple5(
                    BookExecute, symbol, _get(p + 16), _get(p + 24), _get(p + 32), _get(p + 56)
                )
            if kind == 9:
                return tuple3(BookReduce, symbol, _get(p + 16), _get(p + 24))
            if kind == 10:
                return tuple2(BookDelete, symbol, _get(p + 16))
            return None  # administration: the reference decodes it
        account = self._text.lookup(p + 64, 16)
        if account is None:
            return None
        if kind == 1:
            client = ascii_field(p + 88, 20)
            return None if client is None else tuple4(Accepted, _get(p + 16), seq, account, client)
        if kind == 4 or kind == 6:
            reason = _member(_CANCEL if kind == 4 else _EXPIRE, e1)
            if reason is None:
                return None
            return tuple4(
                Cancelled if kind == 4 else Expired, _get(p + 16), account, _get(p + 24), reason
            )
        if kind == 5:
            if e1 > 1:
                return None
            return tuple6(
                Replaced, _get(p + 16), account, _get(p + 24), _get(p + 32), _get(p + 40),
                _BOOLS[e1],
            )  # fmt: skip
        if kind == 2:
            client = ascii_field(p + 88, 20)
            reason = _member(_REJECT, e1)
            if client is None or reason is None:
                return None
            return tuple6(Rejected, seq, account, client, _get(p + 16), reason, TEXT[reason])
        return None
