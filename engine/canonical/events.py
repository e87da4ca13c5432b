"""Events as canonical JSON lines, and the digest of an event stream.

An event's JSON object has a fixed key order: ``seq`` (the seq_no of the command that caused
it), ``sub`` (its position among that command's events), ``type`` (snake_case class name), then
the event's fields in declaration order; enums are lower-case member names (``"buy"``,
``"maker"``, ``"insufficient_cash"``), booleans JSON booleans. A line is that object encoded
compactly (no spaces), ASCII only (other characters as ``\\uXXXX``), ending in ``\\n``: the same
bytes on every run and machine, so the digest of a run is xxh3_64 over exactly the bytes of
its events.jsonl.

:func:`event_to_json` + ``json`` define the format; :func:`encode_event_line` produces the
same bytes about eight times faster through one bytes %-format per event class, generated
once at import from the class's fields and annotations (tests check both agree).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from enum import IntEnum
from json.encoder import encode_basestring_ascii
from typing import Any, Final, get_type_hints

import xxhash

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
    DayEnded,
    Event,
    Expired,
    Fill,
    LimitsSet,
    Obligation,
    Rejected,
    Replaced,
    SessionNoted,
    SettlementDone,
    StpSet,
    SymbolAdded,
    TradingStatus,
)

#: event class -> json type name
EVENT_TYPES: Final[dict[type[Any], str]] = {
    Accepted: "accepted",
    Rejected: "rejected",
    Fill: "fill",
    Cancelled: "cancelled",
    Replaced: "replaced",
    Expired: "expired",
    BookAdd: "book_add",
    BookExecute: "book_execute",
    BookReduce: "book_reduce",
    BookDelete: "book_delete",
    BookReplace: "book_replace",
    SymbolAdded: "symbol_added",
    TradingStatus: "trading_status",
    BalanceChanged: "balance_changed",
    LimitsSet: "limits_set",
    StpSet: "stp_set",
    DayEnded: "day_ended",
    AccountOpened: "account_opened",
    Obligation: "obligation",
    AccountSettled: "account_settled",
    SettlementDone: "settlement_done",
    SessionNoted: "session_noted",
}


def _enum_fields(cls: type[Any]) -> dict[str, type[IntEnum]]:
    hints = get_type_hints(cls)
    return {
        f: hints[f]
        for f in cls._fields
        if isinstance(hints[f], type) and issubclass(hints[f], IntEnum)
    }


#: event class -> {field: its enum class} (a plain int in an enum field is named all the same)
_ENUM_FIELDS: Final[dict[type[Any], dict[str, type[IntEnum]]]] = {
    cls: _enum_fields(cls) for cls in EVENT_TYPES
}


def event_to_json(seq_no: int, sub_seq: int, event: Event) -> dict[str, Any]:
    """The JSON object of one event: keys "seq", "sub", "type", then the event's fields in
    declaration order; enums become their lower-case names, bools stay JSON booleans."""
    cls = type(event)
    enums = _ENUM_FIELDS[cls]
    obj: dict[str, Any] = {"seq": seq_no, "sub": sub_seq, "type": EVENT_TYPES[cls]}
    values: tuple[Any, ...] = event
    for field, value in zip(cls._fields, values, strict=True):
        kind = enums.get(field)
        obj[field] = value if kind is None else kind(value).name.lower()
    return obj


#: The reference encoding: what encode_event_line must equal, byte for byte.
json_encode: Callable[[object], str] = json.JSONEncoder(
    ensure_ascii=True, separators=(",", ":"), allow_nan=False, sort_keys=False
).encode


# -- the generated encoders ---------------------------------------------------------------

_Encoder = Callable[[int, int, Any], bytes]

#: String fields whose values repeat (accounts, symbols, firms, assets): their JSON form is
#: cached, bounded; the others (client order ids, reject texts) are unique and encoded each time.
_UNCACHED_STR_FIELDS: Final = frozenset({"client_order_id", "text"})
_STR_CACHE_LIMIT: Final = 65_536
_str_cache: dict[str, bytes] = {}


def _json_str(value: str) -> bytes:
    """A JSON string literal (quotes included, ASCII with ``\\uXXXX`` escapes) as bytes."""
    encoded: bytes = encode_basestring_ascii(value).encode("ascii")
    return encoded


def _json_str_cached(value: str) -> bytes:
    encoded = _str_cache.get(value)
    if encoded is None:
        if len(_str_cache) >= _STR_CACHE_LIMIT:
            _str_cache.clear()  # bounded: a replay of millions of orders must not grow it
        encoded = _str_cache[value] = _json_str(value)
    return encoded


def _field_format(
    cls: type[Any], index: int, field: str, names: dict[str, object]
) -> tuple[bytes, str]:
    """The %-format piece and the argument expression that render ``event[index]``."""
    kind = get_type_hints(cls)[field]
    value = "e[" + str(index) + "]"
    if kind is int:
        return b"%d", value  # an int renders as its decimal digits, as in JSON
    if kind is str:
        encoder = "_json_str" if field in _UNCACHED_STR_FIELDS else "_json_str_cached"
        return b"%b", encoder + "(" + value + ")"
    if kind is bool:
        return b"%b", '(b"true" if ' + value + ' else b"false")'
    assert isinstance(kind, type) and issubclass(kind, IntEnum), (cls, field, kind)
    table = "_" + kind.__name__
    # one table per enum: IntEnum members of different enums compare (and hash) equal
    names[table] = {member: b'"' + member.name.lower().encode() + b'"' for member in kind}
    return b"%b", table + "[" + value + "]"


def _build_encoder(cls: type[Any], type_name: str) -> _Encoder:
    """Compile ``encode(seq, sub, e) -> bytes`` for one event class: one bytes %-format (ints
    are formatted in C, no str -> bytes step); e.g. for DayEnded:
    ``_FORMAT % (seq, sub, _json_str_cached(e[0]))`` with
    ``_FORMAT = b'{"seq":%d,"sub":%d,"type":"day_ended","symbol":%b}\\n'``."""
    names: dict[str, object] = {"_json_str": _json_str, "_json_str_cached": _json_str_cached}
    template = b'{"seq":%d,"sub":%d,"type":"' + type_name.encode() + b'"'
    arguments = ["seq", "sub"]
    for index, field in enumerate(cls._fields):
        piece, argument = _field_format(cls, index, field, names)
        template += b',"' + field.encode() + b'":' + piece
        arguments.append(argument)
    names["_FORMAT"] = template + b"}\n"
    source = "def encode(seq, sub, e):\n    return _FORMAT % (" + ", ".join(arguments) + ")\n"
    exec(source, names)  # the source is built above from the event classes only
    encoder: _Encoder = names["encode"]  # type: ignore[assignment]
    return encoder


_ENCODERS: Final[dict[type[Any], _Encoder]] = {
    cls: _build_encoder(cls, name) for cls, name in EVENT_TYPES.items()
}


def encode_event_line(seq_no: int, sub_seq: int, event: Event) -> bytes:
    """One event as one compact ASCII JSON line ending in ``\\n``; the same bytes every run.
    Equal to ``json_encode(event_to_json(seq_no, sub_seq, event)) + "\\n"``."""
    return _ENCODERS[event.__class__](seq_no, sub_seq, event)


def encode_events(seq_no: int, events: Iterable[Event]) -> bytes:
    """The lines of one command's events (sub_seq = position in ``events``), concatenated."""
    encoders = _ENCODERS
    lines: list[bytes] = []
    append = lines.append
    for sub, event in enumerate(events):
        append(encoders[event.__class__](seq_no, sub, event))
    return b"".join(lines)


class OutputDigest:
    """xxh3_64 over the canonical lines of an event stream, fed one command at a time.

    After feeding every command of a run in seq_no order, :meth:`hexdigest` equals the xxh3_64
    of the bytes of the run's events.jsonl, and :attr:`count` is its number of lines.
    """

    __slots__ = ("_hasher", "count")

    def __init__(self) -> None:
        self._hasher = xxhash.xxh3_64()
        self.count = 0

    def update(self, seq_no: int, events: list[Event]) -> bytes:
        """Hash the lines of one command's events and return them (for a caller that also
        writes them out)."""
        data = encode_events(seq_no, events)
        self._hasher.update(data)
        self.count += len(events)
        return data

    def update_bytes(self, data: bytes, lines: int) -> None:
        """Hash already-encoded lines (``lines`` of them)."""
        self._hasher.update(data)
        self.count += lines

    def hexdigest(self) -> str:
        """The digest so far as 16 lower-case hex digits."""
        digest: str = self._hasher.hexdigest()
        return digest

    def intdigest(self) -> int:
        value: int = self._hasher.intdigest()
        return value
