"""Prefix ownership: a claimed prefix is never swept, an abandoned one (marker unlocked, or a
legacy ``<root><pid>-`` prefix of a dead pid) is, and a second claim names the holder.

Every test sweeps only under its own root ``sequex_t<pid>-<hex>-``: outside ``sequex-``, the root
that hosts sweep, so neither a host started meanwhile nor these tests touch each other's names.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from disruptor import (
    PrefixInUse,
    claim_prefix,
    cleanup_stale,
    list_names,
    sweep_abandoned,
)
from disruptor.shm import (
    OWNER_MARKER,
    SHM_DIR,
    close_segment,
    create_segment,
    create_semaphore,
    unlink_entry,
)

pytestmark = pytest.mark.timeout(60)

REPO = str(Path(__file__).resolve().parents[2])


@pytest.fixture
def root() -> Iterator[str]:
    """A sweep root owned by this test; the test fails if anything is left under it."""
    value = f"sequex_t{os.getpid()}-{uuid.uuid4().hex[:8]}-"
    yield value
    leftovers = list_names(value)
    for entry in leftovers:
        unlink_entry(entry)
    assert leftovers == [], f"left in /dev/shm: {leftovers}"


@contextmanager
def held_by_child(prefix: str) -> Iterator[subprocess.Popen[str]]:
    """A process that claims ``prefix``, owns a ring under it and waits; on exit it releases
    (stdin closed) unless the test killed it."""
    code = (
        "import sys; from disruptor import RingBuffer, claim_prefix; "
        f"claim = claim_prefix({prefix!r}); "
        f"ring = RingBuffer.create({prefix + 'ring'!r}, 8, 64, 1); "
        "print('claimed', flush=True); sys.stdin.read(); ring.close(); claim.release()"
    )
    child = subprocess.Popen(
        [sys.executable, "-c", code],
        cwd=REPO,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert child.stdout is not None
        assert child.stdout.readline().strip() == "claimed"
        yield child
    finally:
        if child.poll() is None:
            child.communicate(timeout=30)
        assert child.returncode in (0, -signal.SIGKILL)


def ring_names(prefix: str) -> list[str]:
    return sorted([prefix + "ring", f"sem.{prefix}ring-w0", f"sem.{prefix}ring-w1"])


def make_names(prefix: str) -> list[str]:
    """A segment and a semaphore under ``prefix``, left as a crashed owner leaves them."""
    close_segment(create_segment(prefix + "seg", 64))
    create_semaphore(prefix + "sem").close()
    return sorted([prefix + "seg", f"sem.{prefix}sem"])


def dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait(30)
    return child.pid


def test_a_prefix_claimed_by_a_live_process_is_not_swept(root: str) -> None:
    prefix = root + "live-"
    with held_by_child(prefix):
        before = list_names(root)
        assert before == sorted([*ring_names(prefix), prefix + OWNER_MARKER])
        assert sweep_abandoned(root) == []
        assert list_names(root) == before
    assert list_names(root) == []  # released: names, then the marker


def test_a_second_claim_of_a_held_prefix_raises_naming_the_holder(root: str) -> None:
    prefix = root + "held-"
    with held_by_child(prefix) as child:
        with pytest.raises(PrefixInUse, match=f"process {child.pid}") as caught:
            claim_prefix(prefix)
        assert caught.value.pid == child.pid
        assert prefix + "ring" in list_names(prefix)  # the holder's names untouched


def test_a_prefix_whose_owner_was_killed_is_swept_with_its_marker(root: str) -> None:
    prefix = root + "dead-"
    with held_by_child(prefix) as child:
        os.kill(child.pid, signal.SIGKILL)
        child.wait(30)
    left = sorted([*ring_names(prefix), prefix + OWNER_MARKER])
    assert list_names(root) == left
    assert sorted(sweep_abandoned(root)) == left
    assert list_names(root) == []
    with claim_prefix(prefix):  # free to claim again
        pass


def test_an_unclaimed_marker_with_leftover_segments_and_semaphores_is_swept(root: str) -> None:
    prefix = root + "left-"
    made = make_names(prefix)
    # a marker nobody holds locked: its owner died (the kernel dropped the lock)
    Path(SHM_DIR, prefix + OWNER_MARKER).write_text(f"{dead_pid()}\n")
    assert sorted(sweep_abandoned(root)) == sorted([*made, prefix + OWNER_MARKER])
    assert list_names(root) == []


def test_legacy_pid_prefixes_are_swept_only_when_the_pid_is_dead(root: str) -> None:
    dead = make_names(f"{root}{dead_pid()}-")
    live = make_names(f"{root}{os.getpid()}-")
    # not a pid: a label, a leading zero, beyond the kernel's pid ceiling (a derived prefix)
    others = [
        *make_names(root + "label-"),
        *make_names(root + "0123-"),
        *make_names(root + "123456789012-"),
    ]
    assert sorted(sweep_abandoned(root)) == dead
    assert list_names(root) == sorted([*live, *others])
    cleanup_stale(root)


def test_a_legacy_pid_that_is_a_zombie_owns_nothing(root: str) -> None:
    # a crashed host re-parented to an init that never reaps stays a zombie for good
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    try:
        stat = Path(f"/proc/{child.pid}/stat")
        deadline = time.monotonic() + 30
        while stat.read_text().rpartition(")")[2].split()[0] != "Z":
            assert time.monotonic() < deadline, "the child did not exit"
            time.sleep(0.01)
        assert sorted(sweep_abandoned(root)) == []
        made = make_names(f"{root}{child.pid}-")
        assert sorted(sweep_abandoned(root)) == made
    finally:
        child.wait(30)


def test_a_live_prefix_nested_in_an_abandoned_one_is_kept(root: str) -> None:
    outer, inner = root + "a-", root + "a-b-"
    with held_by_child(outer) as child:
        os.kill(child.pid, signal.SIGKILL)
        child.wait(30)
    with held_by_child(inner):
        assert sorted(sweep_abandoned(root)) == sorted([*ring_names(outer), outer + OWNER_MARKER])
        assert list_names(root) == sorted([*ring_names(inner), inner + OWNER_MARKER])


def test_cleaning_or_releasing_a_prefix_leaves_a_nested_owners_names_alone(root: str) -> None:
    outer, inner = root + "a-", root + "a-b-"
    claim = claim_prefix(outer)
    made = make_names(outer)
    with held_by_child(inner):
        assert sorted(cleanup_stale(outer)) == made  # not the live inner host's ring or marker
        make_names(outer)
        assert sorted(claim.release()) == sorted([*made, outer + OWNER_MARKER])
        assert list_names(root) == sorted([*ring_names(inner), inner + OWNER_MARKER])


def test_release_removes_every_name_and_then_the_marker(root: str) -> None:
    prefix = root + "mine-"
    claim = claim_prefix(prefix)
    made = make_names(prefix)
    assert sorted(cleanup_stale(prefix)) == made  # cleanup keeps the claim's marker
    assert list_names(root) == [prefix + OWNER_MARKER]
    make_names(prefix)
    assert sorted(claim.release()) == sorted([*made, prefix + OWNER_MARKER])
    assert not claim.held and claim.release() == []
    assert list_names(root) == []


def test_a_prefix_must_end_with_a_dash(root: str) -> None:
    with pytest.raises(ValueError, match="ends with '-'"):
        claim_prefix(root + "x")
    with pytest.raises(ValueError, match="root=''"):
        sweep_abandoned("")
