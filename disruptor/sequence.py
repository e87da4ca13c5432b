"""Sequence: one int64 counter in shared memory, with exactly one writing process.

A ``Sequence`` is an index into a ``memoryview`` cast to ``'q'`` over the counter area of a
ring segment. Reads and writes are single aligned 8-byte native loads and stores, which x86-64
performs atomically. Ordering comes from x86-64's TSO memory model: stores become visible to
other cores in program order and loads are not reordered with older loads, so a writer that
stores the payload and *then* the counter guarantees that a reader that sees the counter also
sees the payload. (On a weakly ordered CPU this module would need fences; sequex targets x86-64.)

There is no compare-and-swap: the single-writer rule of the architecture makes it unnecessary.
"""

from __future__ import annotations


class Sequence:
    """A shared int64 counter; ``get`` from any process, ``set`` from its single writer only."""

    __slots__ = ("_counters", "_index")

    def __init__(self, counters: memoryview, index: int) -> None:
        if counters.format != "q":
            raise ValueError(f"counters must be a memoryview cast to 'q', got {counters.format!r}")
        self._counters = counters
        self._index = index

    def get(self) -> int:
        """Current value (a plain load)."""
        return self._counters[self._index]

    def set(self, value: int) -> None:
        """Store ``value``; everything the caller stored before is visible first (TSO)."""
        self._counters[self._index] = value

    def __repr__(self) -> str:
        return f"Sequence(index={self._index}, value={self.get()})"


class LocalSequence(Sequence):
    """A sequence in private memory: for in-process tests and single-process pipelines."""

    __slots__ = ()

    def __init__(self, initial: int = -1) -> None:
        super().__init__(memoryview(bytearray(8)).cast("q"), 0)
        self.set(initial)
