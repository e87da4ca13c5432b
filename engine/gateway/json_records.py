"""The named JSON sessions' stored records made from ring[events]' records, and what a store
hands on for live delivery.

A named session's store (``engine.gateway.json_stores.EventStore``) holds one event record
(``engine.event_records``) a report, with the report's ``(seq_no, sub)``, zero header words,
and the event as the firm is told it (``engine.gateway.disclosure.firm_view``). The records
``engine.gateway.events_reader`` copies out of ring[events] are that already, but for the
header words (``origin``, ``command_ts``) and a refusal the firm may not see as such
(``not_order_owner``, shown as ``unknown_order``: the reason byte; the text is not stored).
:func:`as_stored` (numpy, for large batches) and :func:`small_as_stored` (Python, record by
record, for a few) make them so; ``tests/engine/test_out_batches.py`` holds both to the
stores the events make.

:class:`StoredRun` is what one append stored, handed on for live delivery and decoded only
when a connected session takes it. Pure: no I/O.
"""

from __future__ import annotations

from typing import Any, Final

import numpy as np

from engine.domain.types import Event, Rejected, RejectReason
from engine.event_codec import ORIGIN_OFFSET, EventReader
from engine.event_records import EVENT_CLASSES, EVENT_RECORD_SIZE

#: One stored report: (seq_no, sub, event), as the JSON gateway sends reports.
Stored = tuple[int, int, Event]

_REJECTED: Final = EVENT_CLASSES.index(Rejected) + 1
_HIDDEN: Final = int(RejectReason.NOT_ORDER_OWNER)
_SHOWN: Final = int(RejectReason.UNKNOWN_ORDER)
_ZERO_HEADER: Final = bytes(12)
#: a batch of up to this many records is made ready and cut in Python, not by numpy (the
#: tests set it to run either way)
SMALL_BATCH = 32
NO_ROWS: Final = np.zeros((0, EVENT_RECORD_SIZE), dtype=np.uint8)


class StoredRun:
    """The reports one append stored in a session's store, numbered from ``first``, as
    ``(number, (seq_no, sub, event))`` (:meth:`numbered`). Made into objects only when asked:
    a run stored from records (``engine.gateway.json_stores.EventStore.append_records``)
    keeps the records, and a
    session that is not connected never needs more."""

    __slots__ = ("_items", "_reader", "_records", "first")

    def __init__(
        self,
        first: int,
        items: list[Stored] | None,
        records: bytes = b"",
        reader: EventReader | None = None,
    ) -> None:
        self.first = first
        self._items = items
        self._records = records
        self._reader = reader

    def numbered(self) -> list[tuple[int, Stored]]:
        items = self._items
        if items is None:
            # what reading the store back gives (the compiled reader, held to the store's
            # decoder by tests/engine/test_compiled_codecs.py)
            reader = self._reader if self._reader is not None else EventReader()
            items = self._items = reader.decode_bytes(self._records)
        return list(enumerate(items, self.first))


def as_stored(rows: np.ndarray[Any, np.dtype[np.uint8]]) -> np.ndarray[Any, np.dtype[np.uint8]]:
    """Event records of ring[events] (``sub`` already the report number, as
    ``engine.gateway.events_reader`` leaves them) as a named session's store holds them, in a
    copy: the header words zero, and a refusal a firm may not see as such shown as the one it
    gets (``engine.gateway.disclosure.firm_view``: the reason byte; the text is not stored)."""
    stored = rows.copy()
    stored[:, ORIGIN_OFFSET : ORIGIN_OFFSET + 12] = 0
    hidden = (stored[:, 0] == _REJECTED) & (stored[:, 1] == _HIDDEN)
    if hidden.any():
        stored[hidden, 1] = _SHOWN
    return stored


def small_as_stored(rows: np.ndarray[Any, np.dtype[np.uint8]]) -> bytes:
    """:func:`as_stored`'s records as bytes, record by record in Python (a few records)."""
    data = bytearray(rows.tobytes())
    for at in range(0, len(data), EVENT_RECORD_SIZE):
        data[at + ORIGIN_OFFSET : at + ORIGIN_OFFSET + 12] = _ZERO_HEADER
        if data[at] == _REJECTED and data[at + 1] == _HIDDEN:
            data[at + 1] = _SHOWN
    return bytes(data)
