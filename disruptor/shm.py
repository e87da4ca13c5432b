"""Ownership of shared-memory segments and POSIX semaphores.

Contract:

* One owner creates a segment or semaphore (exclusive create: it fails if the name exists) and
  is the only one that unlinks it. Processes that attach never unlink.
* All names start with a caller-chosen prefix, e.g. ``sequex-<instance>-``, so that
  :func:`cleanup_stale` can remove what a crashed run left behind before the next start.
* Who owns a prefix is told by ``<prefix>owner.lock`` (:data:`OWNER_MARKER`), a file its owner
  holds ``flock``-ed (``disruptor.shm_claim``): the kernel drops the lock when the owner dies,
  however it dies, so a sweep can tell abandoned prefixes from live ones. ``cleanup_stale``
  never removes the marker: only its claim's release (or a sweep holding it) does.
* CPython 3.11's ``multiprocessing.resource_tracker`` registers every ``SharedMemory`` it sees,
  attached or created, and unlinks the registered names when the tracker exits. An attaching
  process that is not a child of the owner would therefore destroy the owner's segment at exit.
  Children share their parent's tracker, whose book is a set: two children attaching at once
  (register, register, unregister, unregister) make the tracker raise KeyError. So attaching
  does not go through ``SharedMemory`` at all: :class:`AttachedSegment` maps the segment with
  ``posix_ipc`` (no tracker). The owner creates with ``SharedMemory`` and unregisters at once,
  then registers again just before ``unlink()`` (which unregisters): one process, in order, so
  the book stays balanced. Crash clean-up is the job of :func:`cleanup_stale`, not the tracker.
* Semaphores come from ``posix_ipc`` which has no tracker; they live in ``/dev/shm/sem.<name>``.
"""

from __future__ import annotations

import contextlib
import mmap
import os
from multiprocessing import resource_tracker, shared_memory

import posix_ipc

SHM_DIR = "/dev/shm"
_SEM_FILE_PREFIX = "sem."
#: The owner marker's name under its prefix (``disruptor.shm_claim``).
OWNER_MARKER = "owner.lock"


def _untrack(shm: shared_memory.SharedMemory) -> None:
    # SharedMemory._name carries the leading slash the tracker was given.
    resource_tracker.unregister(shm._name, "shared_memory")  # type: ignore[attr-defined]


def create_segment(name: str, size: int) -> shared_memory.SharedMemory:
    """Create segment ``name`` of ``size`` zeroed bytes; raises FileExistsError if it exists."""
    shm = shared_memory.SharedMemory(name=name, create=True, size=size)
    _untrack(shm)
    return shm


class AttachedSegment:
    """An existing segment mapped without the resource tracker; it has no ``unlink``."""

    def __init__(self, name: str) -> None:
        try:
            mem = posix_ipc.SharedMemory("/" + name)
        except posix_ipc.ExistentialError as exc:
            raise FileNotFoundError(f"no shared-memory segment named {name!r}") from exc
        try:
            self._mmap = mmap.mmap(mem.fd, mem.size)
        finally:
            mem.close_fd()
        self.name = name
        self.buf: memoryview | None = memoryview(self._mmap)

    def close(self) -> None:
        """Unmap; raises BufferError (like SharedMemory) while views of ``buf`` exist."""
        if self.buf is not None:
            self.buf.release()
            self.buf = None
        self._mmap.close()


Segment = shared_memory.SharedMemory | AttachedSegment


def attach_segment(name: str) -> AttachedSegment:
    """Map an existing segment; the caller must never unlink it."""
    return AttachedSegment(name)


def unlink_segment(shm: Segment) -> None:
    """Owner only: remove the segment's name (mappings stay valid until closed)."""
    if not isinstance(shm, shared_memory.SharedMemory):
        raise TypeError(f"segment {shm.name!r} was attached: only its owner may unlink it")
    # Re-register so that unlink()'s own unregister finds the name and the tracker stays quiet.
    resource_tracker.register(shm._name, "shared_memory")  # type: ignore[attr-defined]
    try:
        shm.unlink()
    except FileNotFoundError:
        resource_tracker.unregister(shm._name, "shared_memory")  # type: ignore[attr-defined]


def close_segment(shm: Segment) -> None:
    """Unmap; if some view still exports the buffer, leave the mapping to process exit."""
    # A numpy view handed to user code may still point into the mapping; unmapping would leave
    # it dangling. The kernel unmaps at exit; the name is what must not leak.
    with contextlib.suppress(BufferError):
        shm.close()


def create_semaphore(name: str) -> posix_ipc.Semaphore:
    """Create semaphore ``/name`` with value 0; raises ExistentialError if it exists."""
    return posix_ipc.Semaphore("/" + name, flags=posix_ipc.O_CREX, initial_value=0)


def open_semaphore(name: str) -> posix_ipc.Semaphore:
    """Open an existing semaphore; the caller must never unlink it."""
    return posix_ipc.Semaphore("/" + name)


def unlink_semaphore(sem: posix_ipc.Semaphore) -> None:
    """Owner only: remove the semaphore's name."""
    with contextlib.suppress(posix_ipc.ExistentialError):
        sem.unlink()


def list_names(prefix: str) -> list[str]:
    """Names of segments and semaphores (as ``sem.<name>``) in /dev/shm under ``prefix``."""
    try:
        entries = os.listdir(SHM_DIR)
    except FileNotFoundError:
        return []
    return sorted(
        e for e in entries if e.startswith(prefix) or e.startswith(_SEM_FILE_PREFIX + prefix)
    )


def unlink_entry(entry: str) -> bool:
    """Remove ``entry`` as :func:`list_names` spells it (``sem.<name>`` for a semaphore);
    False if it was gone already."""
    try:
        if entry.startswith(_SEM_FILE_PREFIX):
            posix_ipc.unlink_semaphore("/" + entry[len(_SEM_FILE_PREFIX) :])
        else:
            os.unlink(os.path.join(SHM_DIR, entry))
    except (FileNotFoundError, posix_ipc.ExistentialError):
        return False  # somebody else removed it meanwhile
    return True


def cleanup_stale(prefix: str) -> list[str]:
    """Unlink every segment and semaphore under ``prefix``; returns what was removed.

    Call it before creating anything under a prefix: a crashed run (SIGKILL, power loss of the
    owner) leaves its names behind and exclusive create would then fail. The prefix must be
    specific to this instance; an empty prefix is refused. The prefix's owner marker stays: it
    belongs to whoever claims the prefix (``disruptor.shm_claim``). So do the names of any longer
    prefix with a marker of its own (another owner's, nested in this one: it judges them).
    """
    if not prefix:
        raise ValueError("cleanup_stale needs a non-empty prefix, got prefix=''")
    entries = list_names(prefix)
    marked = marked_prefixes(entries)
    marker = prefix + OWNER_MARKER
    return [
        e
        for e in entries
        if e != marker and owner_of(e, marked) in (None, prefix) and unlink_entry(e)
    ]


def marked_prefixes(entries: list[str]) -> list[str]:
    """Prefixes that have an owner marker among ``entries``, longest first."""
    size = len(OWNER_MARKER)
    marked = {
        e[:-size]
        for e in entries
        if e.endswith(OWNER_MARKER) and not e.startswith(_SEM_FILE_PREFIX)
    }
    return sorted(marked, key=len, reverse=True)


def owner_of(entry: str, marked: list[str]) -> str | None:
    """The longest marked prefix ``entry`` falls under (``marked`` longest first): the owner
    that judges it, or None for a name no marker covers."""
    name = entry[len(_SEM_FILE_PREFIX) :] if entry.startswith(_SEM_FILE_PREFIX) else entry
    return next((p for p in marked if name.startswith(p)), None)
