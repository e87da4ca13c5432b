"""Who owns a shared-memory prefix, and the sweep of prefixes whose owner is gone.

Contract:

* :func:`claim_prefix` makes this process the owner of every name under a prefix: it creates
  (or opens) the marker ``/dev/shm/<prefix>owner.lock`` and holds ``flock(LOCK_EX)`` on it, with
  its pid written inside. Claim before creating anything under the prefix. The kernel drops the
  lock when the owner dies, however it dies (SIGKILL included), so an unlocked marker means an
  abandoned prefix. A prefix held by a live process raises :class:`PrefixInUse` naming its pid.
* :meth:`PrefixClaim.release` unlinks every name under the prefix, then the marker, then drops
  the lock: names never outlive their marker, so names without one are never a live claim's.
* :func:`sweep_abandoned` removes every name under ``root`` whose owner is gone: the prefixes of
  unlocked markers, and *legacy* prefixes ``<root><pid>-`` (from before markers: no marker)
  whose pid is no live process. It never removes a name of a live owner: a marked prefix is
  swept only while the sweep holds its lock, and a legacy prefix only when its pid is dead.
* Grouping: a name belongs to the longest marked prefix it starts with, so a prefix nested in
  another is judged by its own marker. A legacy pid is decimal without leading zeros and at
  most the kernel's ceiling (2**22), so a derived ``sequex-<12 hex>-`` prefix is never read as
  one. Owners whose prefixes nest under a legacy pid prefix are not supported.
* Races: a sweep and a claim may meet on one marker. Whoever takes the lock checks that the
  marker path still names the file it locked (a sweep unlinks the marker while holding it); if
  not, a claim starts over and a sweep leaves the prefix alone. A claim that finds the lock
  held while the recorded pid is dead (a sweep is at work, or the owner has not written its pid
  yet) retries for up to ``wait`` seconds before it gives up.
* Names of other users are skipped (``PermissionError``), never fatal: a sweep is best-effort.
"""

from __future__ import annotations

import errno
import fcntl
import os
import time
from types import TracebackType

from disruptor.shm import (
    OWNER_MARKER,
    SHM_DIR,
    cleanup_stale,
    list_names,
    marked_prefixes,
    owner_of,
    unlink_entry,
)

#: The kernel's ceiling on pids (PID_MAX_LIMIT on 64-bit Linux).
PID_CEILING = 1 << 22
_SEM = "sem."


class PrefixInUse(FileExistsError):
    """The prefix is claimed by another live process (``pid``, when the marker names one)."""

    def __init__(self, prefix: str, pid: int | None) -> None:
        holder = f"process {pid}" if pid is not None else "another process"
        super().__init__(
            f"shared-memory prefix {prefix!r} is in use by {holder} "
            f"(it holds {os.path.join(SHM_DIR, prefix + OWNER_MARKER)})"
        )
        self.prefix = prefix
        self.pid = pid


class PrefixClaim:
    """This process's ownership of ``prefix``: the locked marker's descriptor."""

    def __init__(self, prefix: str, fd: int) -> None:
        self.prefix = prefix
        self._fd = fd

    @property
    def held(self) -> bool:
        return self._fd >= 0

    def release(self) -> list[str]:
        """Unlink every name under the prefix, then the marker; returns what was removed.
        A second call does nothing."""
        if self._fd < 0:
            return []
        try:
            removed = cleanup_stale(self.prefix)
            if unlink_entry(self.prefix + OWNER_MARKER):
                removed.append(self.prefix + OWNER_MARKER)
        finally:
            os.close(self._fd)  # the lock goes with the last descriptor, after the unlinks
            self._fd = -1
        return removed

    def __enter__(self) -> PrefixClaim:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.release()


def claim_prefix(prefix: str, *, wait: float = 2.0) -> PrefixClaim:
    """Become the owner of ``prefix`` (module docstring); raises PrefixInUse if a live process
    holds it, ValueError for a prefix that is empty, has a '/' or does not end with '-'."""
    if not prefix or "/" in prefix or not prefix.endswith("-"):
        raise ValueError(f"a shared-memory prefix ends with '-' and has no '/', got {prefix!r}")
    path = os.path.join(SHM_DIR, prefix + OWNER_MARKER)
    deadline = time.monotonic() + wait
    while True:
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        try:
            locked = _try_lock(fd)
            if locked and _names_file(fd, path):
                os.ftruncate(fd, 0)
                os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
                return PrefixClaim(prefix, fd)
            holder = None if locked else _recorded_pid(fd)
        except BaseException:
            os.close(fd)
            raise
        os.close(fd)
        if locked:
            continue  # a sweep unlinked the marker between our open and our lock: start over
        if (holder is not None and pid_alive(holder)) or time.monotonic() > deadline:
            raise PrefixInUse(prefix, holder)
        time.sleep(0.01)


def prefix_holder(prefix: str) -> int | None:
    """The pid of the live process that holds ``prefix`` (0 when it cannot be told), or None
    when nobody does: a check before work that must not start if the claim would fail. Takes
    and drops the marker's lock, so it never waits."""
    path = os.path.join(SHM_DIR, prefix + OWNER_MARKER)
    try:
        fd = os.open(path, os.O_RDWR | os.O_CLOEXEC)
    except FileNotFoundError:
        return None
    try:
        if _try_lock(fd):
            return None  # unlocked: abandoned (or free); closing drops our lock
        holder = _recorded_pid(fd)
        return holder if holder is not None else 0
    finally:
        os.close(fd)


def sweep_abandoned(root: str = "sequex-") -> list[str]:
    """Remove every name under ``root`` whose owner is gone (module docstring); returns the
    names removed (markers included)."""
    if not root:
        raise ValueError("sweep_abandoned needs a non-empty root, got root=''")
    entries = list_names(root)
    removed: list[str] = []
    for prefix in marked_prefixes(entries):
        removed += _sweep_marked(prefix)
    for prefix in _legacy_prefixes(root, list_names(root)):
        names = list_names(prefix)
        marked = marked_prefixes(names)
        removed += [
            e for e in names if owner_of(e, marked) is None and _unlink_quietly(e) is not None
        ]
    return removed


def pid_alive(pid: int) -> bool:
    """Whether ``pid`` names a running process (of any user). A zombie is not one: it holds
    nothing any more, and one that nobody reaps (re-parented to an init that does not) would
    otherwise keep its names forever."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass
    try:
        with open(f"/proc/{pid}/stat") as stat:
            state = stat.read().rpartition(")")[2].split()[0]  # after the command's "(name)"
    except (OSError, IndexError):
        return True  # no /proc to ask: it exists
    return state not in ("Z", "X")


def _try_lock(fd: int) -> bool:
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError as exc:
        if exc.errno in (errno.EWOULDBLOCK, errno.EAGAIN):
            return False
        raise
    return True


def _names_file(fd: int, path: str) -> bool:
    """Whether ``path`` still names the file open as ``fd`` (no one unlinked or replaced it)."""
    try:
        on_disk = os.stat(path)
    except FileNotFoundError:
        return False
    mine = os.fstat(fd)
    return (on_disk.st_dev, on_disk.st_ino) == (mine.st_dev, mine.st_ino)


def _recorded_pid(fd: int) -> int | None:
    text = os.pread(fd, 32, 0).decode(errors="replace").strip()
    return int(text) if text.isdigit() else None


def _sweep_marked(prefix: str) -> list[str]:
    """Sweep ``prefix`` if its marker is unlocked, holding the lock while it does."""
    path = os.path.join(SHM_DIR, prefix + OWNER_MARKER)
    try:
        fd = os.open(path, os.O_RDWR | os.O_CLOEXEC)
    except OSError:
        return []  # gone meanwhile, or another user's
    try:
        if not _try_lock(fd) or not _names_file(fd, path):
            return []  # a live owner, or somebody swept it and maybe a new owner claimed it
        # Listed under the lock: nobody can claim the prefix and create names meanwhile.
        names = list_names(prefix)
        marked = marked_prefixes(names)
        removed = [
            e
            for e in names
            if owner_of(e, marked) == prefix
            and e != prefix + OWNER_MARKER
            and _unlink_quietly(e) is not None
        ]
        if _unlink_quietly(prefix + OWNER_MARKER) is not None:  # last: names never outlive it
            removed.append(prefix + OWNER_MARKER)
        return removed
    finally:
        os.close(fd)


def _legacy_prefixes(root: str, entries: list[str]) -> list[str]:
    """``<root><pid>-`` prefixes of unmarked names whose pid is no live process."""
    marked = marked_prefixes(entries)
    pids: set[int] = set()
    for entry in entries:
        if owner_of(entry, marked) is not None:
            continue
        name = entry[len(_SEM) :] if entry.startswith(_SEM) else entry
        digits, dash, _ = name[len(root) :].partition("-")
        if (
            dash
            and digits.isascii()
            and digits.isdigit()
            and digits[0] != "0"
            and int(digits) <= PID_CEILING
        ):
            pids.add(int(digits))
    return [f"{root}{pid}-" for pid in sorted(pids) if not pid_alive(pid)]


def _unlink_quietly(entry: str) -> str | None:
    """``entry`` if this call removed it; None if it was gone or is not ours to remove."""
    try:
        return entry if unlink_entry(entry) else None
    except PermissionError:
        return None
