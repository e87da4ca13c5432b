"""Fixed-size binary records of events: the slots of the matchers' and risk stage's output rings.

Each event travels as one 128-byte record stamped with the ``(seq_no, sub_seq)`` that places it
in the canonical output stream. The layout is generic; a table (`EVENT_LAYOUTS`) says which
field of which event class lives in which slot, so adding an event kind is one table row. A
Rejected event's text is not stored: it is a pure function of the reason code
(`engine.domain.reasons.TEXT`), which keeps records fixed-size and the text byte-identical.

```
 offset  size  field
 0       1     kind      event kind (index in EVENT_CLASSES, from 1)
 1       1     e1        u8: side | liquidity | reason | mode | flag | note kind
 2       1     e2        u8: side (Fill)
 3       1     (zero)
 4       4     sub_seq   u32, the event's index among its command's events
 8       8     seq_no    i64, the command that caused it
 16      48    i1..i6    i64 each: ids, quantities, prices, ts, exec id
 64      16    account   ASCII, NUL padded (the firm of StpSet and of Obligation)
 80      8     symbol    ASCII, NUL padded (the asset of BalanceChanged)
 88      20    client_order_id  ASCII, NUL padded (the firm of AccountOpened, the token of
                         SessionNoted)
 108     20    (zero)
```
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from typing import Any, Final

from engine.domain.reasons import TEXT
from engine.domain.types import (
    Accepted,
    AccountOpened,
    AccountSettled,
    BalanceChanged,
    BookAdd,
    BookDelete,
    BookExecute,
    BookReduce,
    BookReplace,
    Cancelled,
    CancelReason,
    DayEnded,
    Event,
    Expired,
    ExpireReason,
    Fill,
    LimitsSet,
    Liquidity,
    NoteKind,
    Obligation,
    Rejected,
    RejectReason,
    Replaced,
    SelfTradePrevention,
    SessionNoted,
    SettlementDone,
    Side,
    StpSet,
    SymbolAdded,
    TradingStatus,
)
from engine.records import RecordError

EVENT_RECORD_SIZE: Final = 128
EVENT_RECORD = struct.Struct("<BBBxIqqqqqqq16s8s20s20x")
assert EVENT_RECORD.size == EVENT_RECORD_SIZE

# Positions in the unpacked tuple.
_KIND, _E1, _E2, _SUB, _SEQ = 0, 1, 2, 3, 4
_I1, _I2, _I3, _I4, _I5, _I6 = 5, 6, 7, 8, 9, 10
_ACCOUNT, _SYMBOL, _CLIENT = 11, 12, 13
_TEXT_LIMITS: Final = {_ACCOUNT: 16, _SYMBOL: 8, _CLIENT: 20}

# One row per event class: for each field, in declaration order, (slot, decoder). The decoder
# turns the stored value back into the field's type; `None` stands for "stored as is".
_Slot = tuple[int, Callable[[Any], Any] | None]


def _reject_text(_: Any) -> str:  # placeholder: filled from the reason on decode
    raise AssertionError("unreachable")


EVENT_LAYOUTS: Final[dict[type, tuple[_Slot, ...]]] = {
    Accepted: ((_I1, None), (_SEQ, None), (_ACCOUNT, str), (_CLIENT, str)),
    Rejected: (
        (_SEQ, None),
        (_ACCOUNT, str),
        (_CLIENT, str),
        (_I1, None),
        (_E1, RejectReason),
        (-1, _reject_text),
    ),
    Fill: (
        (_I1, None),
        (_ACCOUNT, str),
        (_SYMBOL, str),
        (_E2, Side),
        (_I2, None),
        (_I3, None),
        (_I4, None),
        (_I5, None),
        (_E1, Liquidity),
        (_I6, None),
    ),
    Cancelled: ((_I1, None), (_ACCOUNT, str), (_I2, None), (_E1, CancelReason)),
    Replaced: (
        (_I1, None),
        (_ACCOUNT, str),
        (_I2, None),
        (_I3, None),
        (_I4, None),
        (_E1, bool),
    ),
    Expired: ((_I1, None), (_ACCOUNT, str), (_I2, None), (_E1, ExpireReason)),
    BookAdd: ((_SYMBOL, str), (_I1, None), (_E1, Side), (_I2, None), (_I3, None)),
    BookExecute: ((_SYMBOL, str), (_I1, None), (_I2, None), (_I3, None), (_I6, None)),
    BookReduce: ((_SYMBOL, str), (_I1, None), (_I2, None)),
    BookDelete: ((_SYMBOL, str), (_I1, None)),
    BookReplace: ((_SYMBOL, str), (_I1, None), (_E1, Side), (_I2, None), (_I3, None)),
    SymbolAdded: ((_SYMBOL, str), (_I1, None), (_I2, None), (_I3, None), (_I4, None)),
    TradingStatus: ((_SYMBOL, str), (_E1, bool)),
    BalanceChanged: ((_ACCOUNT, str), (_SYMBOL, str), (_I1, None), (_I2, None)),
    LimitsSet: ((_ACCOUNT, str), (_I1, None), (_I2, None), (_I3, None)),
    StpSet: ((_ACCOUNT, str), (_E1, SelfTradePrevention)),
    DayEnded: ((_SYMBOL, str),),
    AccountOpened: ((_CLIENT, str), (_ACCOUNT, str)),
    Obligation: (
        (_ACCOUNT, str),
        (_SYMBOL, str),
        (_I1, None),
        (_I2, None),
        (_I3, None),
        (_I4, None),
    ),
    AccountSettled: (
        (_ACCOUNT, str),
        (_SYMBOL, str),
        (_I1, None),
        (_I2, None),
        (_I3, None),
        (_I4, None),
        (_I5, None),
        (_I6, None),
    ),
    SettlementDone: ((_SYMBOL, str), (_I1, None), (_I2, None)),
    SessionNoted: (
        (_SEQ, None),
        (_E1, NoteKind),
        (_ACCOUNT, str),
        (_CLIENT, str),
        (_I1, None),
        (_I2, None),
        (_I3, None),
        (_I4, None),
    ),
}
EVENT_CLASSES: Final = tuple(EVENT_LAYOUTS)
_KIND_OF: Final = {cls: index + 1 for index, cls in enumerate(EVENT_CLASSES)}
_EMPTY: Final = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, b"", b"", b"")


def encode_event_into(
    buffer: bytearray | memoryview, offset: int, seq_no: int, sub_seq: int, event: Event
) -> None:
    """Write ``event`` of command ``seq_no`` at ``buffer[offset:offset + EVENT_RECORD_SIZE]``."""
    cls = type(event)
    if cls not in _KIND_OF:
        raise RecordError(f"{cls.__name__} is not an event")
    values: list[Any] = list(_EMPTY)
    values[_KIND] = _KIND_OF[cls]
    values[_SUB] = sub_seq
    values[_SEQ] = seq_no
    fields: tuple[Any, ...] = event
    for (slot, _), value in zip(EVENT_LAYOUTS[cls], fields, strict=True):
        if slot < 0:  # a Rejected's text: derived from the reason, so it must be that text
            if value != TEXT[fields[4]]:
                raise RecordError(f"Rejected text {value!r} is not the text of its reason")
            continue
        if slot in _TEXT_LIMITS:
            try:
                raw = value.encode("ascii")
            except (UnicodeEncodeError, AttributeError):
                raise RecordError(f"{cls.__name__}: {value!r} is not ASCII text") from None
            if len(raw) > _TEXT_LIMITS[slot]:
                raise RecordError(f"{cls.__name__}: {value!r} is longer than {_TEXT_LIMITS[slot]}")
            values[slot] = raw
        elif slot == _SEQ and value != seq_no:
            raise RecordError(f"{cls.__name__}: seq_no {value} differs from the record's {seq_no}")
        else:
            values[slot] = int(value)
    try:
        EVENT_RECORD.pack_into(buffer, offset, *values)
    except struct.error as exc:
        raise RecordError(f"{cls.__name__} of seq {seq_no}: {exc}") from None


def encode_event(seq_no: int, sub_seq: int, event: Event) -> bytes:
    out = bytearray(EVENT_RECORD_SIZE)
    encode_event_into(out, 0, seq_no, sub_seq, event)
    return bytes(out)


class EventDecoder:
    """Records back into ``(seq_no, sub_seq, event)``; text fields are interned."""

    def __init__(self) -> None:
        self._text: dict[bytes, str] = {}

    def _str(self, raw: bytes) -> str:
        text = self._text.get(raw)
        if text is None:
            try:
                text = raw.rstrip(b"\0").decode("ascii")
            except UnicodeDecodeError:
                raise RecordError(f"text field {raw!r} is not ASCII") from None
            if len(self._text) > 1 << 16:
                self._text.clear()
            self._text[raw] = text
        return text

    def decode(
        self, buffer: bytes | bytearray | memoryview, offset: int = 0
    ) -> tuple[int, int, Event]:
        if len(buffer) - offset < EVENT_RECORD_SIZE:
            raise RecordError(f"event record at offset {offset} is short")
        return self._build(EVENT_RECORD.unpack_from(buffer, offset), offset)

    def decode_many(self, buffer: bytes | bytearray | memoryview) -> list[tuple[int, int, Event]]:
        """Every event in ``buffer``, which holds whole records back to back."""
        if len(buffer) % EVENT_RECORD_SIZE:
            raise RecordError(f"{len(buffer)} bytes is not a whole number of event records")
        build = self._build
        size = EVENT_RECORD_SIZE
        return [build(f, i * size) for i, f in enumerate(EVENT_RECORD.iter_unpack(buffer))]

    def _build(self, fields: tuple[Any, ...], offset: int) -> tuple[int, int, Event]:
        kind = fields[_KIND]
        if not 0 < kind <= len(EVENT_CLASSES):
            raise RecordError(f"event record at offset {offset}: unknown event kind {kind}")
        cls = EVENT_CLASSES[kind - 1]
        args: list[Any] = []
        try:
            for slot, convert in EVENT_LAYOUTS[cls]:
                if convert is _reject_text:
                    args.append(TEXT[args[-1]])
                elif convert is str:
                    args.append(self._str(fields[slot]))
                elif convert is None:
                    args.append(fields[slot])
                elif convert is bool:
                    if fields[slot] > 1:
                        raise ValueError(f"flag byte {fields[slot]} is not 0 or 1")
                    args.append(fields[slot] == 1)
                else:
                    args.append(convert(fields[slot]))
        except (ValueError, KeyError) as exc:
            raise RecordError(f"event record at offset {offset}: {cls.__name__}: {exc}") from None
        return fields[_SEQ], fields[_SUB], cls(*args)
