"""Layout descriptor: geometry checks quote the values; counters sit alone on their lines."""

from __future__ import annotations

import numpy as np
import pytest

from disruptor import RingBuffer, layout


@pytest.mark.parametrize(
    ("capacity", "slot_size", "consumers", "quoted"),
    [
        (12, 64, 1, "capacity=12"),
        (1, 64, 1, "capacity=1"),
        (8, 60, 1, "slot_size=60"),
        (8, 0, 1, "slot_size=0"),
        (8, 64, -1, "consumers=-1"),
        (8, 64, layout.MAX_CONSUMERS + 1, f"consumers={layout.MAX_CONSUMERS + 1}"),
    ],
)
def test_check_capacity_rejects_bad_geometry_quoting_the_value(
    capacity: int, slot_size: int, consumers: int, quoted: str
) -> None:
    with pytest.raises(ValueError, match=quoted):
        layout.check_capacity(capacity, slot_size, consumers)


def test_every_counter_is_on_its_own_line_and_data_is_aligned() -> None:
    consumers = 5
    lines = [layout.CURSOR_LINE, layout.ALERT_LINE]
    lines += [layout.consumer_line(i) for i in range(consumers)]
    lines += [layout.waiter_line(consumers, w) for w in range(consumers + 1)]
    assert len(set(lines)) == len(lines)
    assert min(lines) >= 1  # line 0 is the header
    assert max(lines) < layout.counter_lines(consumers)
    assert layout.data_offset(consumers) % layout.LINE == 0
    assert layout.HEADER_SIZE <= layout.LINE


def test_header_round_trips_and_foreign_bytes_are_refused() -> None:
    raw = layout.pack_header(1024, 64, 3, 0)
    assert layout.unpack_header(raw) == (1024, 64, 3, 0)
    with pytest.raises(ValueError, match="magic"):
        layout.unpack_header(b"\0" * layout.HEADER_SIZE)


def test_chunks_split_a_wrapping_range_in_two(prefix: str) -> None:
    with RingBuffer.create(prefix + "ring", capacity=8, slot_size=16, consumers=0) as ring:
        assert ring.chunks(2, 5) == [(2, 6)]
        assert ring.chunks(6, 10) == [(6, 8), (0, 3)]
        assert ring.chunks(8, 15) == [(0, 8)]
        assert ring.chunks(5, 4) == []
        with pytest.raises(ValueError, match="capacity=8"):
            ring.chunks(0, 8)


def test_structured_view_shares_the_slot_bytes(prefix: str) -> None:
    dtype = np.dtype([("seq", "<i8"), ("qty", "<i8")])
    with RingBuffer.create(prefix + "ring", capacity=8, slot_size=16, consumers=0) as ring:
        view = ring.view(dtype)
        view["seq"][3] = 77
        assert int(ring.slots[3].view(np.int64)[0]) == 77
        with pytest.raises(ValueError, match="slot_size=16"):
            ring.view(np.dtype("<i8"))
        del view
