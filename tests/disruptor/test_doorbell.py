"""Doorbells: a waiter in an event loop declares its wait with the DOORBELL bit, and the
signallers ring its datagram socket instead of posting its semaphore, once per episode; a
doorbell nobody listens on falls back to the semaphore; an alert rings it too."""

from __future__ import annotations

import multiprocessing
import select
import time

import pytest

from disruptor import Doorbell, RingBuffer
from disruptor.wait import DOORBELL, EPOCH_MASK

pytestmark = pytest.mark.timeout(60)


def _rings(bell: Doorbell, wait_s: float = 0.0) -> int:
    """Rings queued at ``bell`` (waiting up to ``wait_s`` for the first)."""
    select.select([bell.fileno()], [], [], wait_s)
    return bell.clear()


def _episode(ring: RingBuffer, waiter: int) -> None:
    """One doorbell wait of ``waiter`` that a signaller answers."""
    ring.board.begin_wait(waiter, bell=True)
    ring.board.signal()
    ring.board.end_wait(waiter)


def test_an_armed_doorbell_is_rung_once_per_episode_and_the_semaphore_is_left_alone(
    prefix: str,
) -> None:
    with (
        RingBuffer.create(prefix + "ring", capacity=8, slot_size=8, consumers=2) as ring,
        Doorbell(ring.doorbell_name(2)) as bell,
    ):
        ring.board.begin_wait(2, bell=True)
        assert ring.is_waiting(2)
        for _ in range(3):
            ring.board.signal()
        assert _rings(bell, 5.0) == 1
        assert [sem.value for sem in ring._semaphores] == [0, 0, 0]
        ring.board.end_wait(2)
        assert not ring.is_waiting(2)
        ring.board.signal()  # not waiting: nothing
        assert _rings(bell) == 0
        _episode(ring, 2)  # a new episode is rung again
        assert _rings(bell, 5.0) == 1


def test_a_semaphore_wait_after_a_doorbell_wait_is_posted_not_rung(prefix: str) -> None:
    with (
        RingBuffer.create(prefix + "ring", capacity=8, slot_size=8, consumers=1) as ring,
        Doorbell(ring.doorbell_name(1)) as bell,
    ):
        ring.board.begin_wait(1, bell=True)
        ring.board.end_wait(1)
        ring.board.begin_wait(1)  # the same waiter now blocks on its semaphore
        flag = ring._counters[ring.board._flags[1]]
        assert flag > 0 and not flag & DOORBELL and flag & EPOCH_MASK == 2
        ring.board.signal()
        assert ring._semaphores[1].value == 1
        assert _rings(bell) == 0
        ring.board.end_wait(1)


def test_a_doorbell_nobody_listens_on_falls_back_to_the_semaphore(prefix: str) -> None:
    with RingBuffer.create(prefix + "ring", capacity=8, slot_size=8, consumers=1) as ring:
        _episode(ring, 1)  # declared, but the listener went away
        assert ring._semaphores[1].value == 1


def test_one_doorbell_has_one_listener_and_its_name_is_free_again_once_closed(
    prefix: str,
) -> None:
    with RingBuffer.create(prefix + "ring", capacity=8, slot_size=8, consumers=1) as ring:
        with Doorbell(ring.doorbell_name(1)), pytest.raises(OSError):
            Doorbell(ring.doorbell_name(1))
        Doorbell(ring.doorbell_name(1)).close()


def test_an_alert_rings_a_listening_doorbell(prefix: str) -> None:
    with (
        RingBuffer.create(prefix + "ring", capacity=8, slot_size=8, consumers=1) as ring,
        Doorbell(ring.doorbell_name(1)) as bell,
    ):
        ring.board.begin_wait(1, bell=True)
        ring.alert()
        assert _rings(bell, 5.0) == 1
        assert ring._semaphores[1].value == 1  # the semaphores are posted as before
        ring.board.end_wait(1)


def test_a_full_doorbell_queue_does_not_block_the_signaller(prefix: str) -> None:
    with (
        RingBuffer.create(prefix + "ring", capacity=8, slot_size=8, consumers=1) as ring,
        Doorbell(ring.doorbell_name(1)) as bell,
    ):
        started = time.monotonic()
        for _ in range(5000):  # far beyond a datagram socket's queue
            _episode(ring, 1)
        assert time.monotonic() - started < 30
        assert 0 < _rings(bell) <= 5000
        assert ring._semaphores[1].value == 0


def _publish_after(name: str, delay: float) -> None:
    ring = RingBuffer.attach(name)
    try:
        time.sleep(delay)
        sequencer = ring.sequencer()
        sequencer.publish(sequencer.next(1))  # publishing signals the board
    finally:
        ring.close()


def test_a_producer_in_another_process_rings_the_armed_doorbell(prefix: str) -> None:
    with (
        RingBuffer.create(prefix + "ring", capacity=8, slot_size=8, consumers=1) as ring,
        Doorbell(ring.doorbell_name(1)) as bell,
    ):
        ring.board.begin_wait(1, bell=True)
        child = multiprocessing.get_context("spawn").Process(
            target=_publish_after, args=(ring.name, 0.2)
        )
        child.start()
        try:
            assert _rings(bell, 30.0) == 1
            assert ring.cursor.get() == 0
        finally:
            child.join(30)
        assert child.exitcode == 0
        ring.board.end_wait(1)


def test_doorbell_names_are_short_secret_and_new_with_each_ring(prefix: str) -> None:
    name = prefix + "r" * (200 - len(prefix))  # a long ring name: its doorbells still bind
    with RingBuffer.create(name, capacity=8, slot_size=8, consumers=1) as ring:
        first = ring.doorbell_name(1)
        assert name not in first and len(first) < 60
        with RingBuffer.attach(name) as other:
            assert other.doorbell_name(1) == first  # every party agrees
        with Doorbell(first) as bell:
            _episode(ring, 1)
            assert _rings(bell, 5.0) == 1
    with RingBuffer.create(name, capacity=8, slot_size=8, consumers=1) as again:
        assert again.doorbell_name(1) != first  # a new ring of the same name: new doorbells


def test_doorbells_with_unread_rings_do_not_silence_another(prefix: str) -> None:
    # The rings a socket sent and nobody read count against its send buffer: shared by every
    # doorbell, a few dozen full queues elsewhere would make a ring to an idle one fail
    # (EAGAIN) and be dropped. Each doorbell has its own ringing socket.
    with RingBuffer.create(prefix + "ring", capacity=8, slot_size=8, consumers=40) as ring:
        bells = [Doorbell(ring.doorbell_name(w)) for w in range(1, 41)]
        try:
            for w in range(1, 40):  # waiters 1-39 never read their rings
                for _ in range(30):
                    _episode(ring, w)
            _episode(ring, 40)
            assert _rings(bells[-1], 5.0) == 1
            assert [s.value for s in ring._semaphores] == [0] * 41
        finally:
            for bell in bells:
                bell.close()
