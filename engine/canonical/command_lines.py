"""Command lines at compiled speed: msgspec decodes, the reference reader decides the rest.

:class:`FastCommandReader` reads commands.jsonl lines exactly as
:class:`engine.canonical.commands.CommandReader` does (same commands, same stream rules, same
CommandFormatError for the same line), several times faster. It has two paths:

* the fast path: msgspec decodes the line straight into a typed struct of its command
  (``msgspec.defstruct``, one per command class, generated from ``COMMAND_SPECS``: the ``type``
  tag, non-negative integers, non-empty identifiers, enum names as literals, no unknown key),
  and the struct's values become the command tuple, with the implicit ``seq_no`` and ``ts``;
* the reference path, for every line the fast path does not accept as it stands: a line msgspec
  refuses for any reason (bad JSON, a wrong type, a missing or unknown field, an integer beyond
  64 bits, a lone surrogate, ...), a limit order without a price, or an explicit seq_no that is
  not above the previous one. ``CommandReader`` then reads the line and either returns the
  command (some lines only it accepts, e.g. integers beyond 64 bits) or raises its error.

So the fast path only ever returns a command that the reference would return too (the fuzz tests
in ``tests/engine/test_command_lines.py`` check it on arbitrary lines); every error message
comes from the reference. msgspec's acceptance is a subset of ``json.loads``' with equal values
for everything our schema admits: strict integers (no ``1.0``, no ``true``), the same string
escapes, the last of duplicate keys.
"""

from __future__ import annotations

from enum import IntEnum
from typing import Annotated, Any, Final, Literal, Union

import cython
import msgspec
from msgspec.structs import astuple

from engine.canonical.commands import (
    BOOL,
    COMMAND_SPECS,
    ENUM_BY_NAME,
    ID,
    REQUEST_OPTIONAL,
    UINT,
    CommandReader,
    FieldKind,
)
from engine.domain.types import Command

if cython.compiled:
    from cython.cimports.cpython.ref import Py_INCREF
    from cython.cimports.cpython.tuple import PyTuple_SET_ITEM
    from cython.cimports.engine.domain.fast_tuple import alloc_instance

__all__ = ["FastCommandReader"]

#: The value of an optional integer field the line left out (valid values are >= 0).
ABSENT: Final = -1

_UInt = Annotated[int, msgspec.Meta(ge=0)]
_Id = Annotated[str, msgspec.Meta(min_length=1)]


def _field_type(kind: FieldKind) -> object:
    if kind == UINT:
        return _UInt
    if kind == ID:
        return _Id
    if kind == BOOL:
        return bool
    if isinstance(kind, type) and issubclass(kind, IntEnum):
        return Literal[tuple(ENUM_BY_NAME[kind])]
    return str  # TEXT


def _field_default(field: str, fields: dict[str, FieldKind]) -> object:
    """The default of a field a line may omit, else NODEFAULT (required). The price of an
    order (a command with an order type) left out becomes ABSENT: only a market order may
    omit it, which the conversion checks."""
    if field == "post_only":
        return False
    if field in REQUEST_OPTIONAL and "order_id" in fields:
        return ""  # optional on a cancel or replace (new_order requires client_order_id)
    if field == "price" and "order_type" in fields:
        return ABSENT
    return msgspec.NODEFAULT


def _struct(cls: type[Any], name: str, fields: dict[str, FieldKind]) -> type[msgspec.Struct]:
    """The msgspec struct of one command: seq_no, ts, then its fields, in the tuple's order."""
    spec: list[tuple[str, object, object]] = [("seq_no", _UInt, ABSENT), ("ts", _UInt, ABSENT)]
    spec += [(f, _field_type(kind), _field_default(f, fields)) for f, kind in fields.items()]
    assert [f for f, _, _ in spec] == list(cls._fields), cls
    return msgspec.defstruct(
        cls.__name__ + "Line",
        spec,
        kw_only=True,
        tag_field="type",
        tag=name,
        forbid_unknown_fields=True,
        gc=False,
    )


@cython.final
@cython.cclass
class _Shape:
    """How one struct becomes its command tuple."""

    cls: type
    size: cython.longlong
    enums: tuple  # per position: {name: member} of an enum field, else None
    price_at: cython.longlong  # position of a price only a market order may omit, or -1
    order_type_at: cython.longlong

    def __init__(self, cls: type[Any], fields: dict[str, FieldKind]) -> None:
        kinds: list[FieldKind | None] = [None, None, *fields.values()]
        names = list(cls._fields)
        self.cls = cls
        self.size = len(names)
        self.enums = tuple(
            ENUM_BY_NAME[k] if isinstance(k, type) and issubclass(k, IntEnum) else None
            for k in kinds
        )
        self.price_at = names.index("price") if "order_type" in names else -1
        self.order_type_at = names.index("order_type") if "order_type" in names else -1


_STRUCTS: Final = {cls: _struct(cls, name, fields) for cls, (name, fields) in COMMAND_SPECS.items()}
_SHAPES: Final[dict[type[Any], _Shape]] = {
    _STRUCTS[cls]: _Shape(cls, fields) for cls, (_, fields) in COMMAND_SPECS.items()
}
_DECODE: Final = msgspec.json.Decoder(Union[tuple(_STRUCTS.values())]).decode  # noqa: UP007


@cython.final
@cython.cclass
class FastCommandReader:
    """:class:`CommandReader`'s rules and results for JSON lines, at compiled speed.

    ``last_seq_no`` and ``last_ts`` are the stream state, as in CommandReader (a refused line
    changes neither)."""

    last_seq_no: int
    last_ts: int
    _reference: CommandReader

    def __init__(self) -> None:
        self.last_seq_no = 0
        self.last_ts = 0
        self._reference = CommandReader()

    @cython.ccall
    def read_line(self, line: Any) -> Any:
        """The command of one JSON line (str or bytes); raises CommandFormatError as
        ``CommandReader.read_line`` does, for the same lines."""
        try:
            struct = _DECODE(line)
        except Exception:  # whatever msgspec refuses, the reference decides
            return self._read_reference(line)
        shape: _Shape = _SHAPES[type(struct)]
        values: tuple = astuple(struct)
        seq_no = values[0]
        ts = values[1]
        if seq_no == ABSENT:
            seq_no = self.last_seq_no + 1
        elif seq_no <= self.last_seq_no:
            return self._read_reference(line)  # its error names both seq_nos
        if ts == ABSENT:
            ts = self.last_ts
        if (
            shape.price_at >= 0
            and values[shape.price_at] == ABSENT
            and values[shape.order_type_at] != "market"
        ):
            return self._read_reference(line)  # a limit order must carry its price
        command = _command(shape, values, seq_no, ts)
        self.last_seq_no = seq_no
        self.last_ts = ts
        return command

    @cython.cfunc
    def _read_reference(self, line: Any) -> Any:
        reference = self._reference
        reference.last_seq_no = self.last_seq_no
        reference.last_ts = self.last_ts
        command: Command = reference.read_line(line)
        self.last_seq_no = reference.last_seq_no
        self.last_ts = reference.last_ts
        return command


@cython.cfunc
def _command(shape: _Shape, values: tuple, seq_no: object, ts: object) -> object:
    """The command tuple of a struct's values (seq_no and ts already resolved)."""
    n: cython.Py_ssize_t = shape.size
    enums: tuple = shape.enums
    i: cython.Py_ssize_t
    if cython.compiled:
        out = alloc_instance(shape.cls, n)
        Py_INCREF(seq_no)
        PyTuple_SET_ITEM(out, 0, seq_no)
        Py_INCREF(ts)
        PyTuple_SET_ITEM(out, 1, ts)
        for i in range(2, n):
            value = _value(shape, enums, values, i)
            Py_INCREF(value)
            PyTuple_SET_ITEM(out, i, value)
        return out
    else:
        items = [seq_no, ts, *(_value(shape, enums, values, i) for i in range(2, n))]
        return tuple.__new__(shape.cls, items)


@cython.cfunc
def _value(shape: _Shape, enums: tuple, values: tuple, i: cython.Py_ssize_t) -> object:
    value = values[i]
    names = enums[i]
    if names is not None:
        return names[value]  # a literal msgspec checked: always a member's name
    if i == shape.price_at and value == ABSENT:
        return 0  # a market order's price
    return value
