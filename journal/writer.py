"""The journal writer: append records, group-commit them, roll segments.

Appends only encode into a pending buffer; ``commit()`` writes the whole buffer with one
``os.write`` and, per the ``SyncPolicy``, one ``os.fdatasync``. ``durable_seq`` is the last seq
known to be on stable storage and advances only after the sync returned. A segment rolls before
a record that would take it past ``segment_bytes`` (a segment always takes at least one record);
the old segment is written and synced before the new file exists, so a crash can only ever
damage the last segment: that is what makes tail recovery sound.

Opening takes an exclusive lock on the directory (a second writer, which would truncate the
first one's in-flight batch as a "torn tail", is refused), plans the recovery
(``journal.integrity``: a journal that ends before its durable checkpoint, or is corrupt, is
refused with nothing changed), checks the user header, then carries the recovery out (a torn
tail past the checkpoint quarantined and cut; report in ``writer.recovery``) and syncs the tail
segment and the directory before reporting anything durable: a previous process may have died
between write and fdatasync.

The durable checkpoint (``journal.checkpoint``) follows ``durable_seq``: after every sync, and
before ``durable_seq`` moves, the writer records the new durable end there (one aligned 4 KiB
block written with ``O_DIRECT | O_DSYNC``, or ``pwrite`` + ``fdatasync`` where the filesystem
refuses it), so whatever a caller learns is durable is at most the checkpoint, and recovery can
tell a journal cut short from a torn write.
A write or sync error makes the writer unusable: after a failed fdatasync the page cache state
is unknown, so retrying could report data durable that is not (fail fast; restart and recover
instead).

Usage::

    with JournalWriter("var/journal") as journal:
        journal.append(1, 1, b"hello")
        journal.append_fixed(2, 2, ring_bytes, payload_size=64)  # the hot path
        durable = journal.commit()
"""

from __future__ import annotations

import fcntl
import os
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from types import TracebackType

import numpy as np
import numpy.typing as npt
import xxhash

from journal.checkpoint import CheckpointWriter
from journal.checksums import frame_checksums
from journal.durable_files import fsync_directory, make_directory
from journal.errors import JournalError, SequenceError
from journal.integrity import RecoveryReport, apply_recovery, plan_recovery
from journal.layout import (
    CHECKSUM_FIELD,
    CHECKSUM_OFFSET,
    FILE_HEADER_SIZE,
    INDEX_ENTRY,
    INDEX_STRIDE,
    MAX_PAYLOAD,
    MAX_SEQ,
    MAX_TYPE,
    RECORD_HEADER,
    RECORD_HEADER_SIZE,
    check_user_header,
    encode_file_header,
    index_name,
    segment_name,
)
from journal.policy import SyncKind, SyncPolicy

Buffer = bytes | bytearray | memoryview
DEFAULT_SEGMENT_BYTES = 64 * 1024 * 1024
_FLAGS = os.O_WRONLY | os.O_APPEND


def _fixed_dtype(payload_size: int) -> np.dtype[np.void]:
    """A packed numpy record matching the frame layout, for encoding n records at once."""
    return np.dtype(
        [
            ("length", "<u4"),
            ("type", "<u4"),
            ("seq", "<u8"),
            ("checksum", "<u8"),
            ("payload", "u1", (payload_size,)),
        ]
    )


class JournalWriter:
    """Single writer of one journal directory. Not thread-safe; one process appends."""

    def __init__(
        self,
        directory: str | os.PathLike[str],
        *,
        segment_bytes: int = DEFAULT_SEGMENT_BYTES,
        policy: SyncPolicy | None = None,
        user_header: bytes | None = None,
        first_seq: int = 1,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """Open (creating if needed) and recover the journal in ``directory``.

        ``user_header`` is stored in every segment header; None keeps what an existing journal
        holds, bytes that differ from it raise JournalError. ``first_seq`` applies to a new
        journal only: its first record's seq must be >= it.
        """
        if segment_bytes <= FILE_HEADER_SIZE:
            raise ValueError(f"segment_bytes {segment_bytes} must exceed {FILE_HEADER_SIZE}")
        if user_header is not None:
            check_user_header(user_header)
        self._dir = Path(directory)
        self._limit = segment_bytes
        self._policy = policy or SyncPolicy.every_batch()
        make_directory(self._dir, durable=self._policy.syncs)
        self._clock = clock
        self._pending = bytearray()
        self._pending_index: list[tuple[int, int]] = []
        self._failed: BaseException | None = None
        self._closed = False
        self._fd = -1
        self._idx_fd = -1
        self._seg_path = self._dir
        self._seg_first = 0
        self._checkpoint: CheckpointWriter | None = None
        self._seg_bytes = 0
        self._seg_records = 0
        self._next_mark = 0
        self._lock_fd = lock_directory(self._dir)
        try:
            self._open(user_header, first_seq)
        except BaseException:
            self._release()
            raise
        self._written_seq = self._last_seq
        self._durable_seq = self._last_seq
        self._last_sync = clock()
        self.syncs = 0  # fdatasync calls made for commits; the benchmark reports it

    def _open(self, user_header: bytes | None, first_seq: int) -> None:
        # Decide first (read-only), check the header, only then change anything: a refused
        # open leaves the directory as it found it.
        self.recovery: RecoveryReport = plan_recovery(self._dir)
        tail = self.recovery.tail
        if tail is not None and user_header is not None and user_header != tail.user_header:
            raise JournalError(
                f"user header {user_header!r} differs from the journal's "
                f"{tail.user_header!r} ({tail.path.name})"
            )
        if tail is None and not 0 <= first_seq <= MAX_SEQ:
            raise ValueError(f"first_seq {first_seq} is outside 0..{MAX_SEQ}")
        apply_recovery(self._dir, self.recovery)
        syncs = self._policy.syncs
        checkpoint = self.recovery.checkpoint
        if tail is None:
            self._user_header = user_header or b""
            self._last_seq = first_seq - 1
            if checkpoint is None:
                self._checkpoint = CheckpointWriter.create(self._dir, self._last_seq, sync=syncs)
            else:  # a crash before the first segment was made (no record was ever durable)
                self._checkpoint = CheckpointWriter(self._dir, checkpoint, sync=syncs)
            self._create_segment(first_seq)
        else:
            assert checkpoint is not None  # plan_recovery refuses segments without one
            self._user_header = tail.user_header
            self._last_seq = (
                tail.last_seq if tail.last_seq is not None else tail.header_first_seq - 1
            )
            self._checkpoint = CheckpointWriter(self._dir, checkpoint, sync=syncs)
            self._open_segment(tail.path, tail.header_first_seq, tail.valid_end, tail.records)
            if tail.records and checkpoint.seq != self._last_seq:
                # the records recovery kept past the checkpoint are durable now (synced above)
                self._checkpoint.update(self._last_seq, tail.header_first_seq, tail.valid_end)
            if tail.index:
                self._next_mark = (tail.index[-1][1] // INDEX_STRIDE + 1) * INDEX_STRIDE

    # --- properties -------------------------------------------------------------------------
    @property
    def durable_seq(self) -> int:
        """Last seq on stable storage (first_seq - 1 for an empty journal)."""
        return self._durable_seq

    @property
    def last_seq(self) -> int:
        """Last seq appended (maybe still pending)."""
        return self._last_seq

    @property
    def user_header(self) -> bytes:
        return self._user_header

    @property
    def directory(self) -> Path:
        return self._dir

    @property
    def segment_path(self) -> Path:
        """The segment file currently appended to."""
        return self._seg_path

    # --- appending --------------------------------------------------------------------------
    def append(self, rtype: int, seq: int, payload: Buffer) -> None:
        """Encode one record into the pending batch (nothing reaches the file before commit)."""
        self._check_usable()
        if seq <= self._last_seq:
            raise SequenceError(f"seq {seq} is not greater than the last seq {self._last_seq}")
        if not (0 <= rtype <= MAX_TYPE and seq <= MAX_SEQ):
            raise ValueError(f"type {rtype} or seq {seq} is out of range")
        length = len(payload) if not isinstance(payload, memoryview) else payload.nbytes
        if length > MAX_PAYLOAD:
            raise ValueError(f"payload of {length} bytes exceeds the maximum {MAX_PAYLOAD}")
        size = RECORD_HEADER_SIZE + length
        if self._seg_bytes + size > self._limit and self._seg_records:
            self._roll(seq)
        frame = RECORD_HEADER.pack(length, rtype, seq, 0) + payload
        pending = self._pending
        start = len(pending)
        pending += frame
        CHECKSUM_FIELD.pack_into(pending, start + CHECKSUM_OFFSET, xxhash.xxh3_64_intdigest(frame))
        offset = self._seg_bytes
        if offset >= self._next_mark:
            self._pending_index.append((seq, offset))
            self._next_mark = (offset // INDEX_STRIDE + 1) * INDEX_STRIDE
        self._seg_bytes = offset + size
        self._seg_records += 1
        self._last_seq = seq

    def append_many(self, records: Iterable[tuple[int, int, Buffer]]) -> None:
        """Append ``(type, seq, payload)`` records in order; stops at the first invalid one
        (the records before it stay appended)."""
        append = self.append
        for rtype, seq, payload in records:
            append(rtype, seq, payload)

    def append_fixed(
        self,
        rtype: int | npt.NDArray[np.integer],
        first_seq: int,
        payloads: Buffer | npt.NDArray[np.uint8],
        payload_size: int,
    ) -> int:
        """Append n records of ``payload_size`` bytes with seqs first_seq .. first_seq + n - 1.

        ``payloads`` holds the n payloads back to back (e.g. a ring slot range); ``rtype`` is
        one type for all or an array of n types. Encodes with numpy, one hash call per record.
        Returns the last seq appended.
        """
        self._check_usable()
        src = np.frombuffer(payloads, dtype=np.uint8)
        if payload_size <= 0 or src.size % payload_size:
            raise ValueError(f"{src.size} payload bytes are not a multiple of {payload_size}")
        if payload_size > MAX_PAYLOAD:
            raise ValueError(f"payload of {payload_size} bytes exceeds the maximum {MAX_PAYLOAD}")
        count = src.size // payload_size
        if count == 0:
            return self._last_seq
        if first_seq <= self._last_seq:
            raise SequenceError(
                f"seq {first_seq} is not greater than the last seq {self._last_seq}"
            )
        if first_seq + count - 1 > MAX_SEQ:
            raise ValueError(f"seqs {first_seq}..{first_seq + count - 1} exceed {MAX_SEQ}")
        types = np.asarray(rtype)
        if types.ndim and types.shape != (count,):
            raise ValueError(f"{types.shape[0]} types given for {count} records")
        if types.dtype.kind not in "iu" or types.min() < 0 or types.max() > MAX_TYPE:
            raise ValueError(f"record types must be integers in 0..{MAX_TYPE}")
        src = src.reshape(count, payload_size)
        size = RECORD_HEADER_SIZE + payload_size
        done = 0
        while done < count:
            fit = (self._limit - self._seg_bytes) // size
            if fit <= 0:
                if self._seg_records:
                    self._roll(first_seq + done)
                    continue
                fit = 1  # an oversized record still gets a segment of its own
            take = min(fit, count - done)
            chunk_types = types[done : done + take] if types.ndim else types
            self._encode_fixed(chunk_types, first_seq + done, src[done : done + take])
            done += take
        return self._last_seq

    def _encode_fixed(
        self, types: npt.NDArray[np.integer], first_seq: int, src: npt.NDArray[np.uint8]
    ) -> None:
        count, payload_size = src.shape
        size = RECORD_HEADER_SIZE + payload_size
        frames = np.empty(count, dtype=_fixed_dtype(payload_size))
        frames["length"] = payload_size
        frames["type"] = types
        frames["seq"] = np.arange(first_seq, first_seq + count, dtype=np.uint64)
        frames["checksum"] = 0
        frames["payload"] = src
        # every frame hashed in one compiled loop (journal.checksums)
        frames["checksum"] = frame_checksums(frames.view(np.uint8).reshape(count, size))
        self._pending += frames.tobytes()
        offset = self._seg_bytes
        end = offset + count * size
        mark = self._next_mark
        while mark < end:
            i = max(0, -(-(mark - offset) // size))  # first record starting at or after mark
            if i >= count:
                break  # that record is not in this chunk: the next append indexes it
            at = offset + i * size
            self._pending_index.append((first_seq + i, at))
            mark = (at // INDEX_STRIDE + 1) * INDEX_STRIDE
        self._next_mark = mark
        self._seg_bytes = end
        self._seg_records += count
        self._last_seq = first_seq + count - 1

    # --- committing -------------------------------------------------------------------------
    def commit(self) -> int:
        """Write the pending batch (one write) and sync per policy; return ``durable_seq``."""
        self._check_usable()
        self._write_pending()
        kind = self._policy.kind
        if self._written_seq > self._durable_seq:
            if kind is SyncKind.EVERY_BATCH:
                self._sync()
            elif kind is SyncKind.INTERVAL:
                if (self._clock() - self._last_sync) * 1000.0 >= self._policy.interval_ms:
                    self._sync()
            else:
                self._mark_durable()
        return self._durable_seq

    def sync(self) -> int:
        """Write and fdatasync now, whatever the policy; return ``durable_seq``."""
        self._check_usable()
        self._write_pending()
        if self._written_seq > self._durable_seq:
            if self._policy.syncs:
                self._sync()
            else:
                self._mark_durable()
        return self._durable_seq

    def close(self) -> None:
        """Sync what was appended (unless the policy never syncs) and close the files."""
        if self._closed:
            return
        try:
            if self._failed is None:
                self.sync()
        finally:
            self._closed = True
            self._release()

    def __enter__(self) -> JournalWriter:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # --- internals --------------------------------------------------------------------------
    def _check_usable(self) -> None:
        if self._closed:
            raise JournalError("the journal writer is closed")
        if self._failed is not None:
            raise JournalError(f"the journal writer failed earlier: {self._failed}")

    def _write_pending(self) -> None:
        if not self._pending:
            return
        try:
            with memoryview(self._pending) as view:
                done = 0
                while done < len(view):
                    done += os.write(self._fd, view[done:])
            if self._pending_index:
                entries = b"".join(INDEX_ENTRY.pack(s, o) for s, o in self._pending_index)
                os.write(self._idx_fd, entries)
        except OSError as exc:
            self._failed = exc
            raise
        self._pending.clear()
        self._pending_index.clear()
        self._written_seq = self._last_seq

    def _sync(self) -> None:
        try:
            os.fdatasync(self._fd)
        except OSError as exc:
            self._failed = exc
            raise
        self.syncs += 1
        self._mark_durable()
        self._last_sync = self._clock()

    def _mark_durable(self) -> None:
        """The written records are on stable storage (or the policy never syncs): record the
        new end in the checkpoint, then report it (in that order: see the module docstring)."""
        assert self._checkpoint is not None
        try:
            self._checkpoint.update(self._written_seq, self._seg_first, self._seg_bytes)
        except OSError as exc:
            self._failed = exc
            raise
        self._durable_seq = self._written_seq

    def _release(self) -> None:
        """Close every descriptor still owned (-1 marks one already closed)."""
        if self._checkpoint is not None:
            self._checkpoint.close()
        fds = (self._fd, self._idx_fd, self._lock_fd)
        self._fd = self._idx_fd = self._lock_fd = -1
        for fd in fds:
            if fd >= 0:
                os.close(fd)

    def _roll(self, first_seq: int) -> None:
        """Finish the current segment (written and synced) and start one at ``first_seq``.

        Any error leaves the writer failed: its descriptors are closed (and marked so, since
        their numbers may be reused by other files) and no segment is open.
        """
        self._write_pending()
        try:
            if self._policy.syncs:
                os.fdatasync(self._fd)
            fd, idx_fd = self._fd, self._idx_fd
            self._fd = self._idx_fd = -1
            os.close(fd)
            os.close(idx_fd)
            self._create_segment(first_seq)
        except BaseException as exc:
            self._failed = exc
            raise

    def _create_segment(self, first_seq: int) -> None:
        path = self._dir / segment_name(first_seq)
        fd = os.open(path, _FLAGS | os.O_CREAT | os.O_EXCL, 0o644)
        try:
            os.write(fd, encode_file_header(first_seq, self._user_header))
            if self._policy.syncs:
                os.fsync(fd)
                fsync_directory(self._dir)
        except BaseException:
            os.close(fd)
            raise
        self._fd = fd
        self._attach(path, first_seq, FILE_HEADER_SIZE, 0, truncate_index=True)

    def _open_segment(self, path: Path, first_seq: int, size: int, records: int) -> None:
        self._fd = os.open(path, _FLAGS)
        if self._policy.syncs:
            # What recovery kept may still be only in the page cache (the previous process
            # died between write and fdatasync, or before its directory fsync): make it
            # durable before durable_seq reports it.
            os.fsync(self._fd)
            fsync_directory(self._dir)
        self._attach(path, first_seq, size, records, truncate_index=False)

    def _attach(
        self, path: Path, first_seq: int, size: int, records: int, *, truncate_index: bool
    ) -> None:
        self._seg_path = path
        self._seg_first = first_seq
        self._seg_bytes = size
        self._seg_records = records
        self._next_mark = 0
        idx_flags = _FLAGS | os.O_CREAT | (os.O_TRUNC if truncate_index else 0)
        self._idx_fd = os.open(self._dir / index_name(first_seq), idx_flags, 0o644)


def lock_directory(directory: Path) -> int:
    """An open descriptor of ``directory`` holding the writer's exclusive flock (released on
    close or process death); JournalError when another writer holds it. A tool that must not
    run beside a live writer (one that writes snapshots, say) takes it the same way."""
    fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        raise JournalError(f"journal directory {directory} is in use by another writer") from None
    except BaseException:
        os.close(fd)
        raise
    return fd
