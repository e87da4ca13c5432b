"""Fast event record codec for the stages: byte-identical to ``engine.event_records``.

``engine.event_records`` interprets its layout table (``EVENT_LAYOUTS``) field by field for
every event; the stages encode and decode every event of the stream, so here the same table is
compiled once into one small function per event class (one ``pack_into`` call to encode, one
``tuple.__new__`` to decode). The table stays the single source of truth; the integration tests
check both directions against the reference codec for every event kind the engine emits.
Text fields are trusted to fit (they come from command records with the same limits).
"""

from __future__ import annotations

from collections.abc import Callable
from enum import IntEnum
from typing import Any, Final

from engine.domain.reasons import TEXT
from engine.domain.types import Event
from engine.event_records import EVENT_CLASSES, EVENT_LAYOUTS, EVENT_RECORD, EVENT_RECORD_SIZE

_SEQ: Final = 4
_TEXT_SLOTS: Final = (11, 12, 13)
_FIELDS: Final = 14  # values packed after the kind, in EVENT_RECORD order

Encoder = Callable[[Any, int, int, int, Event], None]
Decoder = Callable[[tuple[Any, ...]], Event]


def _build_encoder(cls: type, kind: int) -> Encoder:
    exprs = ["0"] * _FIELDS
    for slot in _TEXT_SLOTS:
        exprs[slot] = 'b""'
    for index, (slot, _convert) in enumerate(EVENT_LAYOUTS[cls]):
        if slot < 0:
            continue  # a Rejected's text: derived from its reason on decode
        if slot == _SEQ:
            continue  # the record's own seq_no
        value = f"e[{index}]"
        exprs[slot] = f"{value}.encode('ascii')" if slot in _TEXT_SLOTS else value
    exprs[0] = str(kind)
    exprs[3] = "sub"
    exprs[_SEQ] = "seq"
    source = f"def encode(buf, off, seq, sub, e):\n    pack(buf, off, {', '.join(exprs)})\n"
    namespace: dict[str, Any] = {"pack": EVENT_RECORD.pack_into}
    exec(source, namespace)
    encoder: Encoder = namespace["encode"]
    return encoder


def _build_decoder(cls: type, text: dict[bytes, str]) -> Decoder:
    args = []
    namespace: dict[str, Any] = {"new": tuple.__new__, "cls": cls, "T": text, "TEXT": TEXT}
    for index, (slot, convert) in enumerate(EVENT_LAYOUTS[cls]):
        if slot < 0:
            args.append(f"TEXT[a{index - 1}]")
            continue
        if convert is str:
            expr = f"(T[f[{slot}]] if f[{slot}] in T else txt(f[{slot}]))"
        elif convert is None:
            expr = f"f[{slot}]"
        elif convert is bool:
            expr = f"(f[{slot}] == 1)"
        else:
            assert isinstance(convert, type) and issubclass(convert, IntEnum)
            namespace[f"E{index}"] = {m.value: m for m in convert}
            expr = f"E{index}[f[{slot}]]"
        args.append(expr)
    names = [f"a{i}" for i in range(len(args))]
    body = "".join(f"    {n} = {a}\n" for n, a in zip(names, args, strict=True))
    source = f"def decode(f):\n{body}    return new(cls, ({', '.join(names)},))\n"
    exec(source, namespace)
    decoder: Decoder = namespace["decode"]
    return decoder


ENCODERS: Final[dict[type, Encoder]] = {
    cls: _build_encoder(cls, i + 1) for i, cls in enumerate(EVENT_CLASSES)
}


def encode_events_into(buf: bytearray, seq_no: int, events: list[Event]) -> None:
    """Append the records of one command's events (sub_seq 0, 1, ...) to ``buf``."""
    at = len(buf)
    buf.extend(bytes(EVENT_RECORD_SIZE * len(events)))
    encoders = ENCODERS
    for sub, event in enumerate(events):
        encoders[event.__class__](buf, at, seq_no, sub, event)
        at += EVENT_RECORD_SIZE


class FastEventDecoder:
    """Records back into ``(seq_no, sub_seq, event)``, one compiled builder per kind."""

    def __init__(self) -> None:
        self._text: dict[bytes, str] = {}
        self._builders: tuple[Decoder, ...] = tuple(
            _build_decoder(cls, self._text) for cls in EVENT_CLASSES
        )
        for builder in self._builders:
            builder.__globals__["txt"] = self._intern

    def _intern(self, raw: bytes) -> str:
        value = raw.rstrip(b"\0").decode("ascii")
        if len(self._text) > 1 << 16:
            self._text.clear()
        self._text[raw] = value
        return value

    def decode_many(self, buffer: bytes) -> list[tuple[int, int, Event]]:
        """Every event in ``buffer`` (whole records back to back)."""
        builders = self._builders
        return [(f[4], f[3], builders[f[0] - 1](f)) for f in EVENT_RECORD.iter_unpack(buffer)]

    def decode_grouped(self, buffer: bytes) -> list[tuple[int, list[Event]]]:
        """The events of ``buffer`` grouped by seq_no: ``[(seq_no, [event, ...]), ...]``."""
        builders = self._builders
        out: list[tuple[int, list[Event]]] = []
        last = -1
        group: list[Event] = []
        for f in EVENT_RECORD.iter_unpack(buffer):
            if f[4] != last:
                last = f[4]
                group = []
                out.append((last, group))
            group.append(builders[f[0] - 1](f))
        return out
