"""Ring segment descriptor: the byte layout of one ring in shared memory.

Every offset of the segment is defined here, as named constants and small pure functions, so
the code that reads or writes the segment never computes an offset of its own. All integers
are native little-endian (x86-64); every counter is an aligned int64 alone on its own 64-byte
cache line so that two processes writing two counters never share (false-share) a line.

::

      line  offset
     +----+--------+--------------------------------------------------------------+
     |  0 |      0 | header: magic u64 | version u32 | slot_size u32 |            |
     |    |        |         capacity u64 | consumers u32 | wait_kind u32 |         |
     |    |     32 | doorbell nonce: 16 random bytes (names the waiters' doorbells)|
     +----+--------+--------------------------------------------------------------+
     |  1 |     64 | cursor      int64   last sequence published by the producer  |
     |  2 |    128 | alert       int64   non-zero: every waiter must stop         |
     +----+--------+--------------------------------------------------------------+
     |  3 |    192 | consumer 0  int64   last sequence consumed by consumer 0     |
     |    |    ... | ...         one line per consumer (``consumers`` of them)    |
     +----+--------+--------------------------------------------------------------+
     | 3+c|        | waiter 0    int64   producer's "I am about to block" epoch   |
     |    |    ... | waiter 1+i  int64   consumer i's "I am about to block" epoch |
     +----+--------+--------------------------------------------------------------+
     |    | data   | slot 0 | slot 1 | ... | slot capacity-1   (slot_size bytes each)|
     +----+--------+--------------------------------------------------------------+

``data`` is 64-byte aligned; slot ``s`` of sequence ``n`` is ``n & (capacity - 1)``.
"""

from __future__ import annotations

import struct

MAGIC = 0x474E495258514553  # b"SEQXRING" read as a little-endian u64
VERSION = 1
LINE = 64  # bytes in one cache line
COUNTER_STRIDE = LINE // 8  # int64 index step between two counters

HEADER_FORMAT = "<QIIQII"  # magic, version, slot_size, capacity, consumers, wait_kind
HEADER_SIZE = struct.calcsize(HEADER_FORMAT)

#: where the ring's doorbell nonce lies in the header line, and its size: random bytes from
#: which the waiters' doorbells are named (``disruptor.wait.Doorbell``), so that only the
#: parties that map the segment know the names, and every name has the same short length
NONCE_OFFSET = 32
NONCE_SIZE = 16

# line numbers of the fixed counters
CURSOR_LINE = 1
ALERT_LINE = 2
FIRST_CONSUMER_LINE = 3

INITIAL_SEQUENCE = -1  # "nothing published / consumed yet", as in the Disruptor

MAX_CAPACITY = 1 << 30
MAX_SLOT_SIZE = 1 << 20
MAX_CONSUMERS = 64


def check_capacity(capacity: int, slot_size: int, consumers: int) -> None:
    """Raise ValueError, quoting the offending value, unless the ring geometry is valid."""
    if capacity < 2 or capacity > MAX_CAPACITY or capacity & (capacity - 1):
        raise ValueError(
            f"capacity must be a power of two in [2, {MAX_CAPACITY}], got capacity={capacity}"
        )
    if slot_size < 8 or slot_size > MAX_SLOT_SIZE or slot_size % 8:
        raise ValueError(
            f"slot_size must be a multiple of 8 in [8, {MAX_SLOT_SIZE}] so int64 fields stay "
            f"aligned, got slot_size={slot_size}"
        )
    if consumers < 0 or consumers > MAX_CONSUMERS:
        raise ValueError(f"consumers must be in [0, {MAX_CONSUMERS}], got consumers={consumers}")


def consumer_line(index: int) -> int:
    """Cache line of consumer ``index``'s sequence."""
    return FIRST_CONSUMER_LINE + index


def waiter_line(consumers: int, waiter: int) -> int:
    """Cache line of waiter flag ``waiter`` (0 = producer, 1 + i = consumer i)."""
    return FIRST_CONSUMER_LINE + consumers + waiter


def counter_lines(consumers: int) -> int:
    """Number of lines before the slot data: header, cursor, alert, consumers, waiters."""
    return FIRST_CONSUMER_LINE + consumers + (consumers + 1)


def data_offset(consumers: int) -> int:
    """Byte offset of slot 0."""
    return counter_lines(consumers) * LINE


def segment_size(capacity: int, slot_size: int, consumers: int) -> int:
    """Total bytes of the segment, validated."""
    check_capacity(capacity, slot_size, consumers)
    return data_offset(consumers) + capacity * slot_size


def pack_header(capacity: int, slot_size: int, consumers: int, wait_kind: int) -> bytes:
    """Header bytes for a new ring."""
    return struct.pack(HEADER_FORMAT, MAGIC, VERSION, slot_size, capacity, consumers, wait_kind)


def unpack_header(raw: bytes) -> tuple[int, int, int, int]:
    """Return ``(capacity, slot_size, consumers, wait_kind)``; ValueError for a foreign segment."""
    magic, version, slot_size, capacity, consumers, wait_kind = struct.unpack_from(
        HEADER_FORMAT, raw
    )
    if magic != MAGIC:
        raise ValueError(f"not a sequex ring: magic={magic:#x}, expected {MAGIC:#x}")
    if version != VERSION:
        raise ValueError(f"ring layout version={version}, this code reads version={VERSION}")
    check_capacity(capacity, slot_size, consumers)
    return capacity, slot_size, consumers, wait_kind
