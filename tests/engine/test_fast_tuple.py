"""The NamedTuples made by ``engine.domain.fast_tuple`` (through the compiled record reader).

They are ordinary instances of their class, equal to one built by its constructor; compiled,
they are not tracked by the cycle collector (their items cannot lead back to them), and
refcounting still frees them.
"""

from __future__ import annotations

import gc
import sys

from engine import native
from engine.command_reader import CommandReader
from engine.domain.types import NewOrder, OrderType, Side, TimeInForce
from engine.records import encode_command_into


def _records(order: NewOrder, count: int = 1) -> bytes:
    buf = bytearray(128)
    encode_command_into(buf, 0, order)
    return bytes(buf) * count


def _decoded(order: NewOrder) -> NewOrder:
    (decoded,) = CommandReader().decode_many(_records(order))
    assert isinstance(decoded, NewOrder)
    return decoded


def test_a_decoded_command_is_its_class_untracked_when_compiled() -> None:
    order = NewOrder(7, 99, "ALPHA", "ALPHA-1", "AAPL", Side.BUY, OrderType.LIMIT,
                     TimeInForce.DAY, 100, 15000, "c-1", True)  # fmt: skip
    decoded = _decoded(order)
    assert type(decoded) is NewOrder and decoded == order and hash(decoded) == hash(order)
    assert decoded.client_order_id == "c-1" and decoded._replace(qty=5).qty == 5
    assert gc.is_tracked(decoded) is (not native.is_compiled())


def test_untracked_tuples_are_still_freed_by_refcounting() -> None:
    order = NewOrder(8, 99, "ALPHA", "ALPHA-1", "AAPL", Side.SELL, OrderType.LIMIT,
                     TimeInForce.IOC, 3, 15100, "c-2", False)  # fmt: skip
    reader, records = CommandReader(), _records(order, 20_000)
    reader.decode_many(records[:128])  # (first-use allocations out of the way)
    gc.collect()
    gc.disable()
    try:
        before = sys.getallocatedblocks()
        decoded = reader.decode_many(records)
        assert sys.getallocatedblocks() > before + 20_000  # each instance is a block of its own
        del decoded
        assert sys.getallocatedblocks() < before + 10_000  # freed without the collector
    finally:
        gc.enable()
