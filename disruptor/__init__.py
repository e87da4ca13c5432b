"""disruptor: LMAX-style rings over shared memory between OS processes.

Layout (``layout``), segment ownership (``shm``), who owns a prefix and the sweep of abandoned
ones (``shm_claim``), ``Sequence``, ``SingleProducerSequencer``, ``SequenceBarrier``, wait
strategies, ``BatchEventProcessor``, agent runners and a child's lifeline to its parent
(``lifeline``). Depends on the standard library, numpy and posix_ipc only; knows nothing of the
journal or the engine.

One producer and one consumer in two processes::

    ring = RingBuffer.create("sequex-demo-in", capacity=1024, slot_size=64, consumers=1)
    proc = AgentProcess(partial(make_consumer, "sequex-demo-in"), name="c0")  # attaches
    proc.start()
    seqr = ring.sequencer()
    hi = seqr.next(8)                      # claim 8 slots (waits while the ring is full)
    for lo, hi_ in ring.chunks(hi - 7, hi):
        ring.slots[lo:hi_] = payload_rows  # write payloads in bulk
    seqr.publish(hi)                       # then the cursor: consumers see the payload
    ...
    ring.alert(); proc.join(); ring.close()  # the owner unlinks on close
"""

from disruptor.agent import (
    Agent,
    AgentCrashed,
    AgentProcess,
    AgentRunner,
    AgentThread,
    ManagedProcess,
    wait_any,
)
from disruptor.barrier import SequenceBarrier
from disruptor.idle import (
    BackoffIdleStrategy,
    BusySpinIdleStrategy,
    IdleStrategy,
    NoOpIdleStrategy,
    YieldingIdleStrategy,
)
from disruptor.lifeline import exit_with_parent, preexec_exit_with_parent
from disruptor.processor import BatchEventProcessor, BatchHandler, PerEventHandler
from disruptor.ring import RingBuffer
from disruptor.sequence import LocalSequence, Sequence
from disruptor.sequencer import SingleProducerSequencer
from disruptor.shm import cleanup_stale, list_names
from disruptor.shm_claim import (
    PrefixClaim,
    PrefixInUse,
    claim_prefix,
    prefix_holder,
    sweep_abandoned,
)
from disruptor.wait import (
    AlertException,
    BusySpinWaitStrategy,
    Doorbell,
    SpinThenBlockWaitStrategy,
    WaitStrategy,
    WakeBoard,
    YieldingWaitStrategy,
)

__all__ = [
    "Agent",
    "AgentCrashed",
    "AgentProcess",
    "AgentRunner",
    "AgentThread",
    "AlertException",
    "BackoffIdleStrategy",
    "BatchEventProcessor",
    "BatchHandler",
    "BusySpinIdleStrategy",
    "BusySpinWaitStrategy",
    "Doorbell",
    "IdleStrategy",
    "LocalSequence",
    "ManagedProcess",
    "NoOpIdleStrategy",
    "PerEventHandler",
    "PrefixClaim",
    "PrefixInUse",
    "RingBuffer",
    "Sequence",
    "SequenceBarrier",
    "SingleProducerSequencer",
    "SpinThenBlockWaitStrategy",
    "WaitStrategy",
    "WakeBoard",
    "YieldingIdleStrategy",
    "YieldingWaitStrategy",
    "claim_prefix",
    "cleanup_stale",
    "exit_with_parent",
    "list_names",
    "preexec_exit_with_parent",
    "prefix_holder",
    "sweep_abandoned",
    "wait_any",
]
