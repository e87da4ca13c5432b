"""What a FIX session keeps on disk between connections and host restarts.

One directory per configured FIX session, ``DATA_DIR/fix/<firm>/<session>/``:

``seqnums``
    the next MsgSeqNum we send, the next we expect, and the number of the last report of the
    session's report store (``engine.gateway.report_store``) sent on this FIX session. Two
    32-byte slots written alternately in place (``pwrite``), each with a generation and a
    CRC; the valid slot with the higher generation wins, so a torn write leaves the other::

        slot: 0 magic "SQXFIXS1" (8s) | 8 generation (u64) | 16 next sender (u32)
              | 20 next target (u32) | 24 reports sent (u32) | 28 crc32 of bytes 0-27 (u32)

``messages.current``, ``messages.previous``
    the FIX message store: every application message sent with its MsgSeqNum, for
    ResendRequest (``engine.protocols.fix.store.OutboundStore``). Records::

        0 length of the text (u32) | 4 crc32 of seq + text (u32) | 8 MsgSeqNum (u64)
        | 16 text: MsgType SOH SendingTime SOH tag=value SOH tag=value ...  (Latin-1)

    **Bounded**: when ``messages.current`` holds ``capacity // 2`` messages it becomes
    ``messages.previous`` (the older one is dropped) and a new one starts, so the last
    ``capacity // 2`` to ``capacity`` messages can be resent (100,000 by default); a resend
    of anything older is a SequenceReset-GapFill, as for administrative messages. A torn
    last record (a crash mid-write) is cut on open.

``reports.index``
    for every report of the session's report store sent as a FIX message: its MsgSeqNum, its
    report number and its first SendingTime, so that a ResendRequest for a MsgSeqNum the
    message store no longer keeps still resends that report (``engine.gateway.fix_history``).
    Fixed records in MsgSeqNum order, appended, searched by bisection on disk (no memory per
    record)::

        0 MsgSeqNum (u32) | 4 report number (u32) | 8 SendingTime, ns since the epoch (u64)

    A torn last record is cut on open, and so are records numbered at or after the next
    MsgSeqNum of ``seqnums`` (saved later than the index, by a crash between the two syncs:
    those numbers will be used again). 16 bytes per report: a day of a million reports is
    16 MB.

Durability: :meth:`SessionFiles.flush` hands everything to the OS and is called before the
bytes it describes are written to the socket, so a peer never sees a MsgSeqNum that a
restarted gateway would use again (a killed process loses nothing the peer saw).
:meth:`SessionFiles.sync_fds` gives the descriptors to ``fdatasync`` (the gateway syncs them
with the outbound ledger, every second and at a clean stop): only a machine crash can lose
the last second, after which the peer's Logon may find our numbers behind its own (it logs
on with ResetSeqNumFlag=Y).

**Behind the journal** (:meth:`SessionFiles.adopt`): on a host with replication enabled the
journal holds the session's sequence marks (``engine.gateway.fix_marks``). When the gateway
opens a session's files and the journal's mark is ahead of them (a promoted standby, which
never had them; a host whose files were lost), ``seqnums`` and ``reports.index`` are
rewritten from the mark and the message store is emptied: a resend renders the reports
again from the report store through the index, and sends a SequenceReset-GapFill for every
other number (the Logon, heartbeats, the gateway's own refusals: FIX allows a gap fill for
messages the sender chooses not to resend, and none of them is worth resending). Files
ahead of the journal (a host restarting with its own files) are kept: they hold at least
what the journal says.

ResetSeqNumFlag(141)=Y on a Logon restarts both MsgSeqNums at 1 and empties the message store
and the index (nothing sent before can be resent); the reports-sent number is kept, so the
reports the session missed are still sent after that Logon, and nothing is sent twice.
"""

from __future__ import annotations

import os
import struct
import zlib
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Final

from engine.gateway.fix_records import index_records, store_records
from engine.protocols.fix.store import StoredMessage

SEQNUMS: Final = "seqnums"
CURRENT: Final = "messages.current"
PREVIOUS: Final = "messages.previous"
INDEX: Final = "reports.index"
#: application messages kept for resends (see the module docstring)
DEFAULT_CAPACITY: Final = 100_000

_SLOT: Final = struct.Struct("<8sQIII")
_SLOT_SIZE: Final = _SLOT.size + 4
_MAGIC: Final = b"SQXFIXS1"
_RECORD: Final = struct.Struct("<IIQ")
_SOH: Final = "\x01"
_INDEX_RECORD: Final = struct.Struct("<IIQ")


class SeqNums:
    """The ``seqnums`` file: (next sender, next target, reports sent), saved in place."""

    def __init__(self, path: Path) -> None:
        self._fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        self.next_sender, self.next_target, self.reports_sent = 1, 1, 0
        self._generation = 0
        best: tuple[int, int, int, int] | None = None
        for slot in range(2):
            raw = os.pread(self._fd, _SLOT_SIZE, slot * _SLOT_SIZE)
            if len(raw) < _SLOT_SIZE:
                continue
            (crc,) = struct.unpack_from("<I", raw, _SLOT.size)
            magic, generation, sender, target, sent = _SLOT.unpack_from(raw)
            if magic != _MAGIC or crc != zlib.crc32(raw[: _SLOT.size]):
                continue
            if best is None or generation > best[0]:
                best = (generation, sender, target, sent)
        #: whether the file held no numbers (new, or unreadable)
        self.fresh = best is None
        if best is not None:
            self._generation, self.next_sender, self.next_target, self.reports_sent = best
        self._saved = (self.next_sender, self.next_target, self.reports_sent)

    def save(self) -> None:
        """Write the numbers if they changed (into the slot not holding the newest copy)."""
        now = (self.next_sender, self.next_target, self.reports_sent)
        if now == self._saved:
            return
        self._generation += 1
        body = _SLOT.pack(_MAGIC, self._generation, *now)
        slot = self._generation % 2
        os.pwrite(self._fd, body + struct.pack("<I", zlib.crc32(body)), slot * _SLOT_SIZE)
        self._saved = now

    @property
    def fd(self) -> int:
        return self._fd

    def close(self) -> None:
        os.close(self._fd)


def _encode(message: StoredMessage) -> bytes:
    head = f"{message.msg_type}{_SOH}{message.sending_time}{_SOH}".encode("latin-1")
    if isinstance(message.body, bytes):  # the bytes the wire had (Outbound.send_encoded)
        text = head + message.body
    else:
        text = head + "".join(f"{tag}={value}{_SOH}" for tag, value in message.body).encode(
            "latin-1"
        )
    seq = struct.pack("<Q", message.seq)
    return _RECORD.pack(len(text), zlib.crc32(seq + text), message.seq) + text


def _decode(seq: int, text: bytes) -> StoredMessage:
    msg_type, sending_time, body = text.decode("latin-1").split(_SOH, 2)
    fields = []
    for field in body.split(_SOH)[:-1]:
        tag, _, value = field.partition("=")
        fields.append((int(tag), value))
    return StoredMessage(seq, msg_type, tuple(fields), sending_time)


class _Segment:
    """One message file: appended to, indexed by MsgSeqNum in memory."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        #: MsgSeqNum -> (offset of the text, its length)
        self.index: dict[int, tuple[int, int]] = {}
        data = os.pread(self.fd, os.fstat(self.fd).st_size, 0)
        offset = 0
        while offset + _RECORD.size <= len(data):
            length, crc, seq = _RECORD.unpack_from(data, offset)
            start, end = offset + _RECORD.size, offset + _RECORD.size + length
            if end > len(data) or crc != zlib.crc32(data[offset + 8 : end]):
                break
            self.index[seq] = (start, length)
            offset = end
        if offset != len(data):
            os.ftruncate(self.fd, offset)  # a torn last record
        self.size = offset

    def append(self, records: bytes, entries: list[tuple[int, int, int]]) -> None:
        os.pwrite(self.fd, records, self.size)
        for seq, start, length in entries:
            self.index[seq] = (self.size + start, length)
        self.size += len(records)

    def read(self, seq: int) -> StoredMessage:
        start, length = self.index[seq]
        return _decode(seq, os.pread(self.fd, length, start))

    def clear(self) -> None:
        os.ftruncate(self.fd, 0)
        self.index.clear()
        self.size = 0

    def close(self) -> None:
        os.close(self.fd)


class FileMessageStore:
    """A durable, bounded :class:`~engine.protocols.fix.store.OutboundStore`."""

    def __init__(self, directory: Path, capacity: int = DEFAULT_CAPACITY) -> None:
        if capacity < 2:
            raise ValueError(f"a message store keeps at least 2 messages, not {capacity}")
        self._directory = directory
        self._per_segment = capacity // 2
        self._previous = _Segment(directory / PREVIOUS)
        self._current = _Segment(directory / CURRENT)
        self._pending = bytearray()
        self._pending_entries: list[tuple[int, int, int]] = []

    def save(self, message: StoredMessage) -> None:
        record = _encode(message)
        start = len(self._pending) + _RECORD.size
        self._pending_entries.append((message.seq, start, len(record) - _RECORD.size))
        self._pending += record
        if len(self._current.index) + len(self._pending_entries) >= self._per_segment:
            self.flush()
            self._rotate()

    def save_run(
        self, first_seq: int, msg_type: str, sending_time: str, bodies: list[bytes]
    ) -> None:
        """:meth:`save` of a run of encoded bodies (MsgSeqNum ``first_seq`` on, one MsgType
        and SendingTime: ``Outbound.send_encoded_run``), with the same records and the same
        rotation; the records are built at once (``engine.gateway.fix_records``) when the run
        fits in the current segment."""
        room = self._per_segment - len(self._current.index) - len(self._pending_entries)
        if len(bodies) >= room:  # the run reaches a rotation: one at a time, as save does
            for i, body in enumerate(bodies):
                self.save(StoredMessage(first_seq + i, msg_type, body, sending_time))
            return
        records, entries = store_records(
            first_seq, msg_type, sending_time, bodies, len(self._pending)
        )
        self._pending += records
        self._pending_entries += entries

    def messages(self, from_seq: int, to_seq: int) -> Sequence[StoredMessage]:
        self.flush()
        out: list[StoredMessage] = []
        for segment in (self._previous, self._current):
            if to_seq - from_seq < len(segment.index):
                seqs = [s for s in range(from_seq, to_seq + 1) if s in segment.index]
            else:
                seqs = [s for s in segment.index if from_seq <= s <= to_seq]
            out.extend(segment.read(seq) for seq in seqs)
        return out

    def reset(self) -> None:
        self._pending.clear()
        self._pending_entries.clear()
        self._previous.clear()
        self._current.clear()

    def flush(self) -> None:
        """Hand the messages saved since the last flush to the OS."""
        if self._pending:
            self._current.append(bytes(self._pending), self._pending_entries)
            self._pending.clear()
            self._pending_entries = []

    def _rotate(self) -> None:
        self._previous.close()
        os.replace(self._current.path, self._previous.path)
        self._previous = self._current
        self._previous.path = self._directory / PREVIOUS
        self._current = _Segment(self._directory / CURRENT)

    @property
    def fds(self) -> tuple[int, ...]:
        return (self._current.fd, self._previous.fd)

    def __len__(self) -> int:
        return len(self._previous.index) + len(self._current.index) + len(self._pending_entries)

    def close(self) -> None:
        self.flush()
        self._previous.close()
        self._current.close()


class ReportIndex:
    """``reports.index``: MsgSeqNum -> (report number, first SendingTime), see the module
    docstring. Lookups bisect the file: a resend is rare, a day of reports is not small."""

    def __init__(self, path: Path, next_sender: int) -> None:
        self._fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        size = os.fstat(self._fd).st_size
        self._count = size // _INDEX_RECORD.size  # a torn last record is not counted
        self._count = self._first_at_or_after(next_sender)  # numbers not handed out yet
        if self._count * _INDEX_RECORD.size != size:
            os.ftruncate(self._fd, self._count * _INDEX_RECORD.size)
        self._pending = bytearray()
        #: told when the numbers restart (the journal's marks: ``engine.gateway.fix_marks``)
        self.on_reset: Callable[[], None] | None = None

    def note(self, seq: int, number: int, sent_ns: int) -> None:
        """Report ``number`` went out as MsgSeqNum ``seq`` (above every one noted before)."""
        self._pending += _INDEX_RECORD.pack(seq, number, sent_ns)

    def note_run(self, first_seq: int, first_number: int, count: int, sent_ns: int) -> None:
        """:meth:`note` of ``count`` reports numbered ``first_number`` on, sent as MsgSeqNums
        ``first_seq`` on (``engine.gateway.fix_records``)."""
        self._pending += index_records(first_seq, first_number, count, sent_ns)

    def flush(self) -> None:
        if self._pending:
            os.pwrite(self._fd, self._pending, self._count * _INDEX_RECORD.size)
            self._count += len(self._pending) // _INDEX_RECORD.size
            self._pending.clear()

    def between(self, first: int, last: int) -> list[tuple[int, int, int]]:
        """(MsgSeqNum, report number, SendingTime ns) of the reports sent as ``first`` to
        ``last``, in order."""
        self.flush()
        start = self._first_at_or_after(first)
        end = self._first_at_or_after(last + 1)
        size = _INDEX_RECORD.size
        raw = os.pread(self._fd, (end - start) * size, start * size)
        return list(_INDEX_RECORD.iter_unpack(raw))

    def _first_at_or_after(self, seq: int) -> int:
        """The position of the first record numbered ``seq`` or more (bisection)."""
        lo, hi = 0, self._count
        while lo < hi:
            mid = (lo + hi) // 2
            raw = os.pread(self._fd, _INDEX_RECORD.size, mid * _INDEX_RECORD.size)
            if _INDEX_RECORD.unpack(raw)[0] < seq:
                lo = mid + 1
            else:
                hi = mid
        return lo

    def reset(self) -> None:
        self._pending.clear()
        os.ftruncate(self._fd, 0)
        self._count = 0
        if self.on_reset is not None:
            self.on_reset()

    def __len__(self) -> int:
        return self._count + len(self._pending) // _INDEX_RECORD.size

    @property
    def fd(self) -> int:
        return self._fd

    def close(self) -> None:
        self.flush()
        os.close(self._fd)


class SessionFiles:
    """The seqnums, the message store and the report index of one FIX session."""

    def __init__(self, directory: Path, capacity: int = DEFAULT_CAPACITY) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        self.directory = directory
        self.seqnums = SeqNums(directory / SEQNUMS)
        self.store = FileMessageStore(directory, capacity)
        self.index = ReportIndex(directory / INDEX, self.seqnums.next_sender)

    def flush(self) -> None:
        """Everything to the OS: call before writing to the socket what it describes."""
        self.store.flush()
        self.index.flush()
        self.seqnums.save()

    def behind(self, next_sender: int) -> bool:
        """Whether the journal's mark (its next MsgSeqNum ``next_sender``) is ahead of these
        files (see the module docstring)."""
        return self.seqnums.fresh or next_sender > self.seqnums.next_sender

    def adopt(
        self,
        next_sender: int,
        next_target: int,
        reports_sent: int,
        index: list[tuple[int, int, int]],
    ) -> None:
        """Take the journal's numbers and report index (``index``: (MsgSeqNum, report
        number, SendingTime ns) in order), with an empty message store."""
        self.store.reset()
        self.index.reset()
        for seq, number, sent_ns in index:
            self.index.note(seq, number, sent_ns)
        seqnums = self.seqnums
        seqnums.next_sender, seqnums.next_target = next_sender, next_target
        seqnums.reports_sent = reports_sent
        seqnums.fresh = False
        self.flush()

    def sync_fds(self) -> list[int]:
        """Duplicates of the descriptors to fdatasync (the caller closes them): safe to sync
        from another thread while this session rotates or closes its files."""
        return [os.dup(fd) for fd in (self.seqnums.fd, self.index.fd, *self.store.fds)]

    def close(self) -> None:
        self.flush()
        self.store.close()
        self.index.close()
        self.seqnums.close()
