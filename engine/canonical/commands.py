"""Commands as JSON objects: strict parsing, writing back, and the commands.jsonl stream rules.

``{"type": "new_order", "ts": 1, "firm": "F1", ...}``: one snake_case ``type`` per command class
of :mod:`engine.domain.types` (schema and examples: ``docs/commands-jsonl.md``).
:func:`command_from_json` validates strictly and raises :class:`CommandFormatError` naming the
offending field; :class:`CommandReader` adds the stream rules (implicit ``seq_no`` and ``ts``).

Format rules (the wire protocols carry unsigned integers, so JSON does too): every integer
field is a JSON integer (not a bool, not a float) and non-negative; zero is accepted here and
left to the engine, which answers it with its business reject (``invalid_qty``, ...).
Identifiers (firm, account, symbol, asset) are non-empty strings; ``client_order_id`` may be
empty. Enum values are the lower-case member names. Error texts quote a bad value or key cut
short (``engine.canonical.shown``): a value can be as long as a whole line.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from enum import IntEnum
from typing import Any, Final

from engine.canonical.json_errors import describe_json_error
from engine.canonical.shown import SHOWN_MAX, shown
from engine.domain.types import (
    KEEP_LIMIT,
    AddSymbol,
    CancelOrder,
    Command,
    Deposit,
    EndOfDay,
    Fence,
    Halt,
    NewOrder,
    NoteKind,
    OpenAccount,
    OrderType,
    ReplaceOrder,
    Resume,
    SelfTradePrevention,
    SessionNote,
    SetRiskLimits,
    SetSelfTradePrevention,
    Settle,
    Side,
    TimeInForce,
    Withdraw,
)

__all__ = [
    "COMMAND_TYPES",
    "CommandFormatError",
    "CommandReader",
    "command_from_json",
    "command_to_json",
]


class CommandFormatError(ValueError):
    """A JSON object is not a valid command; ``field`` names the culprit ("type", "qty", ...)."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


# ---------------------------------------------------------------------------------------------
# Field kinds: how one command field is read from JSON and written back.
# ---------------------------------------------------------------------------------------------

UINT: Final = "uint"  # non-negative int, bool refused
ID: Final = "id"  # non-empty str
TEXT: Final = "text"  # any str
BOOL: Final = "bool"

FieldKind = str | type[IntEnum]

#: command class -> (json type name, {field: kind}) for the fields after seq_no and ts; a kind
#: is UINT, ID, TEXT, BOOL or the IntEnum whose lower-case member names the field takes.
COMMAND_SPECS: dict[type[Any], tuple[str, dict[str, FieldKind]]] = {
    NewOrder: (
        "new_order",
        {
            "firm": ID,
            "account": ID,
            "symbol": ID,
            "side": Side,
            "order_type": OrderType,
            "tif": TimeInForce,
            "qty": UINT,
            "price": UINT,
            "client_order_id": TEXT,
            "post_only": BOOL,
        },
    ),
    CancelOrder: (
        "cancel_order",
        {"account": ID, "order_id": UINT, "client_order_id": TEXT, "orig_client_order_id": TEXT},
    ),
    ReplaceOrder: (
        "replace_order",
        {
            "account": ID,
            "order_id": UINT,
            "qty": UINT,
            "price": UINT,
            "client_order_id": TEXT,
            "orig_client_order_id": TEXT,
        },
    ),
    AddSymbol: (
        "add_symbol",
        {
            "symbol": ID,
            "tick_size": UINT,
            "lot_size": UINT,
            "reference_price": UINT,
            "band_bps": UINT,
        },
    ),
    Deposit: ("deposit", {"account": ID, "asset": ID, "amount": UINT}),
    Withdraw: ("withdraw", {"account": ID, "asset": ID, "amount": UINT}),
    Halt: ("halt", {"symbol": ID}),
    Resume: ("resume", {"symbol": ID}),
    SetRiskLimits: (
        "set_risk_limits",
        {"account": ID, "max_order_qty": UINT, "max_notional": UINT, "max_open_orders": UINT},
    ),
    SetSelfTradePrevention: (
        "set_self_trade_prevention",
        {"firm": ID, "mode": SelfTradePrevention},
    ),
    EndOfDay: ("end_of_day", {"symbol": ID}),
    OpenAccount: ("open_account", {"firm": ID, "account": ID}),
    Settle: ("settle", {"symbol": ID, "trade_date": UINT, "settle_date": UINT}),
    Fence: ("fence", {"epoch": UINT}),
    SessionNote: (
        "session_note",
        {
            "note": NoteKind,
            "account": TEXT,
            "token": TEXT,
            "a": UINT,
            "b": UINT,
            "c": UINT,
            "d": UINT,
        },
    ),
}

#: the fields a cancel_order or replace_order may leave out ("": the request names none)
REQUEST_OPTIONAL: Final = frozenset({"client_order_id", "orig_client_order_id"})
#: json type name -> command class
COMMAND_TYPES: Final[dict[str, type[Any]]] = {name: cls for cls, (name, _) in COMMAND_SPECS.items()}

#: keys every command object may carry besides its own fields
_COMMON_KEYS: Final = frozenset({"type", "seq_no", "ts"})


def _enum_names(kind: type[IntEnum]) -> dict[str, IntEnum]:
    return {member.name.lower(): member for member in kind}


#: enum class -> {lower-case member name: member}
ENUM_BY_NAME: Final[dict[type[IntEnum], dict[str, IntEnum]]] = {
    kind: _enum_names(kind)
    for kind in (Side, OrderType, TimeInForce, SelfTradePrevention, NoteKind)
}


def _read_field(field: str, kind: FieldKind, value: object) -> object:
    """One field's value from JSON, or CommandFormatError saying what is wrong with it."""
    if kind == UINT:
        if type(value) is not int:  # bool is an int subclass: refuse it too
            raise CommandFormatError(field, f"expected a non-negative integer, got {shown(value)}")
        if value < 0:
            raise CommandFormatError(field, f"must not be negative, got {shown(value)}")
        return value
    if kind in (ID, TEXT):
        if not isinstance(value, str):
            raise CommandFormatError(field, f"expected a string, got {shown(value)}")
        if kind == ID and not value:
            raise CommandFormatError(field, "must not be empty")
        return value
    if kind == BOOL:
        if not isinstance(value, bool):
            raise CommandFormatError(field, f"expected true or false, got {shown(value)}")
        return value
    assert isinstance(kind, type)
    names = ENUM_BY_NAME[kind]
    if not isinstance(value, str) or value not in names:
        allowed = ", ".join(names)
        raise CommandFormatError(field, f"expected one of {allowed}; got {shown(value)}")
    return names[value]


def _read_uint(obj: Mapping[str, object], key: str, default: int) -> int:
    if key not in obj:
        return default
    value = _read_field(key, UINT, obj[key])
    assert isinstance(value, int)
    return value


def command_from_json(obj: object, *, seq_no: int, ts: int = 0) -> Command:
    """The command an already-parsed JSON object describes.

    ``seq_no`` and ``ts`` are the defaults used when the object carries no ``"seq_no"`` /
    ``"ts"`` of its own (stream rules such as "strictly increasing" live in CommandReader).
    ``post_only`` defaults to false, ``price`` may be omitted on a market order (0), and a limit
    of ``set_risk_limits`` left out keeps its value (KEEP_LIMIT); every other field is
    required. Raises CommandFormatError on an unknown type, a missing or extra field, a value
    of the wrong JSON type (bool where an int is expected, or the reverse), a negative
    integer, or an unknown enum name.
    """
    if not isinstance(obj, dict):
        raise CommandFormatError("type", f"a command is a JSON object, got {type(obj).__name__}")
    type_name = obj.get("type")
    if type_name is None:
        raise CommandFormatError("type", "missing")
    cls = COMMAND_TYPES.get(type_name) if isinstance(type_name, str) else None
    if cls is None:
        raise CommandFormatError("type", f"unknown command type {shown(type_name)}")
    _, fields = COMMAND_SPECS[cls]
    extra = sorted(k for k in obj if k not in fields and k not in _COMMON_KEYS)
    if extra:
        key = str(extra[0])
        name = key if len(key) <= SHOWN_MAX else shown(key)
        raise CommandFormatError(name, f"unknown field for {type_name}")
    values: list[object] = [_read_uint(obj, "seq_no", seq_no), _read_uint(obj, "ts", ts)]
    for field, kind in fields.items():
        if field in obj:
            values.append(_read_field(field, kind, obj[field]))
        elif field == "post_only":
            values.append(False)
        elif field in REQUEST_OPTIONAL and cls in (CancelOrder, ReplaceOrder):
            values.append("")  # optional on a cancel or replace
        elif field == "price" and obj.get("order_type") == "market":
            values.append(0)
        elif cls is SetRiskLimits:
            values.append(KEEP_LIMIT)  # a limit left out keeps its value
        else:
            raise CommandFormatError(field, f"missing (required by {type_name})")
    command: Command = cls(*values)
    return command


def command_to_json(cmd: Command) -> dict[str, Any]:
    """The JSON object of a command: type, seq_no, ts, then its fields; the inverse of
    :func:`command_from_json` (``command_from_json(command_to_json(c), seq_no=0) == c``)."""
    name, fields = COMMAND_SPECS[type(cmd)]
    obj: dict[str, Any] = {"type": name, "seq_no": cmd.seq_no, "ts": cmd.ts}
    for field in fields:
        value = getattr(cmd, field)
        if value is KEEP_LIMIT:
            continue  # kept: the object leaves the limit out, as its reader expects
        if field == "orig_client_order_id" and not value:
            continue  # named by none: left out, as every stream written before it had it
        obj[field] = value.name.lower() if isinstance(value, IntEnum) else value
    return obj


class CommandReader:
    """The stream rules of a commands.jsonl file, applied one object at a time.

    A command's ``seq_no`` is its explicit ``"seq_no"`` if present (it must be strictly above
    the previous command's), else the previous command's plus one (the first is 1): in a file
    without explicit seq_no and without bad lines, the n-th line is command n. Its ``ts`` is
    its explicit ``"ts"`` if present, else the previous command's (the first defaults to 0).
    A refused object changes neither.
    """

    def __init__(self) -> None:
        self.last_seq_no = 0
        self.last_ts = 0

    def read(self, obj: object) -> Command:
        """The next command; raises CommandFormatError (and keeps its state) if invalid."""
        cmd = command_from_json(obj, seq_no=self.last_seq_no + 1, ts=self.last_ts)
        if cmd.seq_no <= self.last_seq_no:
            raise CommandFormatError(
                "seq_no", f"{cmd.seq_no} is not above the previous seq_no {self.last_seq_no}"
            )
        self.last_seq_no = cmd.seq_no
        self.last_ts = cmd.ts
        return cmd

    def read_line(self, line: str | bytes) -> Command:
        """Parse one JSON line, then :meth:`read` it; invalid JSON is CommandFormatError("json")
        locating the error by byte offset in the line (the caller knows the line's number)."""
        try:
            obj = json.loads(line)
        except (ValueError, RecursionError) as exc:  # JSONDecodeError, UnicodeDecodeError,
            # and nesting deeper than the interpreter's recursion limit
            raise CommandFormatError("json", describe_json_error(exc)) from None
        return self.read(obj)
