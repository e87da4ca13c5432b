"""The primary's decision on a standby's HELLO, and the standby's on the primary's START: pure.

A standby says where its journal ends (``last_seq``), what its last record was (its digest),
and which journal header it holds (empty: a fresh data directory). The primary continues it
only if that journal is a prefix of its own:

* a header that differs is another exchange (another W or rules version): refused;
* a journal that ends past the primary's last seq holds commands this primary never had (its
  tail was never acknowledged here): refused, naming both seqs;
* a last record that differs from the primary's at that seq is another history: refused.

Epochs (fencing, docs/replication.md). Each side says the epoch of its journal (its last
``Fence``; 0 when none); the primary knows its fences, ``(epoch, seq)`` pairs:

* a standby whose epoch is above the primary's has seen a promotion this primary has not: the
  primary was superseded; refused, and the primary learns it is fenced (:func:`fenced_by`);
* a standby whose epoch is below the primary's holds a history that this primary's first fence
  above that epoch superseded: if its journal reaches that fence's seq, the tail from there is
  not in the primary's history (a former primary's unacknowledged commands): DIVERGED, with
  that seq (the standby quarantines the tail and says HELLO again); if it ends before, it is
  a prefix like any other and is checked as such.

Otherwise the primary answers START with ``from_seq = last_seq + 1``. The standby, in turn,
refuses a primary whose journal header names a feedback window other than its configuration's
(W decides outcomes). When the primary is lost, :func:`promotion_refusal` says whether the
standby can prove it holds every acknowledged command (it may take over only then).
"""

from __future__ import annotations

from collections.abc import Sequence

from engine.journal_format import HostFormatError, decode_header
from journal.replication import MODE_SYNC, Diverged, Hello, Refuse, Start

#: (epoch, seq of its Fence), epochs rising: a host's fencing history
Fences = Sequence[tuple[int, int]]


def epoch_of(fences: Fences) -> int:
    """The epoch a fencing history ends in (0: no fence)."""
    return fences[-1][0] if fences else 0


def fenced_by(epoch: int, peer_epoch: int, peer: str) -> str | None:
    """Why a host of ``epoch`` must serve no order, having met ``peer`` at ``peer_epoch``
    (None: it need not)."""
    if peer_epoch <= epoch:
        return None
    return f"this host was superseded by epoch {peer_epoch} at {peer} (its own epoch is {epoch})"


def divergence_seq(fences: Fences, epoch: int) -> int | None:
    """The seq of the first fence above ``epoch`` (None: there is none): where a history of
    ``epoch`` and this one part."""
    return next((seq for fence_epoch, seq in fences if fence_epoch > epoch), None)


def describe_header(header: bytes) -> str:
    """A journal user header as an operator reads it."""
    if not header:
        return "none (an empty journal)"
    try:
        decoded = decode_header(header)
    except HostFormatError as exc:
        return f"unreadable ({exc})"
    return f"W={decoded.feedback_window}, rules {decoded.rules}"


def answer_hello(
    hello: Hello,
    *,
    header: bytes,
    last_seq: int,
    acked_seq: int,
    digest_at: int | None,
    fences: Fences,
    snapshot_every: int,
    segment_bytes: int,
    mode: int,
) -> Start | Refuse | Diverged:
    """START for a standby whose journal is a prefix of ours, DIVERGED for one whose tail a
    fence of ours superseded, else REFUSE saying why (see the module docstring).
    ``last_seq`` is the last seq this primary holds (journaled or in its ring), ``acked_seq``
    the highest it may have acknowledged so far (START says it), ``digest_at``
    the digest of its record at ``hello.last_seq`` (None when that seq is 0)."""
    if hello.header and hello.header != header:
        return Refuse(
            f"the standby's journal header ({describe_header(hello.header)}) differs from the "
            f"primary's ({describe_header(header)}): it is another exchange's journal"
        )
    epoch = epoch_of(fences)
    if hello.epoch > epoch:
        return Refuse(
            f"the standby's journal is of epoch {hello.epoch}, this primary's of epoch {epoch}: "
            "this primary was superseded (fenced) and serves no standby"
        )
    if hello.epoch < epoch:
        parting = divergence_seq(fences, hello.epoch)
        if parting is not None and hello.last_seq >= parting:
            return Diverged(epoch, parting)
    if hello.probe:  # a host asking for our epoch: whatever its journal, it learns it
        return Start(epoch, 0, acked_seq, snapshot_every, segment_bytes, mode, header)
    if hello.last_seq > last_seq:
        return Refuse(
            f"the standby's journal ends at seq {hello.last_seq}, past the primary's last seq "
            f"{last_seq}: it holds commands this primary never acknowledged (another history); "
            "move that data directory away (or quarantine its tail) and start the standby again"
        )
    if hello.last_seq > 0 and digest_at != hello.last_digest:
        return Refuse(
            f"the standby's record at seq {hello.last_seq} differs from the primary's: its "
            "journal is of another history; move that data directory away and start the "
            "standby again"
        )
    first = hello.last_seq + 1
    return Start(epoch, first, acked_seq, snapshot_every, segment_bytes, mode, header)


def check_start(start: Start, feedback_window: int, epoch: int = 0) -> str | None:
    """Why the standby, whose journal is of ``epoch``, cannot follow this primary (None: it
    can)."""
    if start.epoch < epoch:
        return (
            f"the primary's journal is of epoch {start.epoch}, this standby's of epoch {epoch}: "
            "that primary was superseded (fenced); a standby never follows it"
        )
    try:
        decoded = decode_header(start.header)
    except HostFormatError as exc:
        return f"the primary's journal header is unreadable: {exc}"
    if decoded.feedback_window != feedback_window:
        return (
            f"the primary's journal runs feedback window W={decoded.feedback_window} but this "
            f"standby's configuration says {feedback_window}; W decides outcomes, so they must "
            "be equal"
        )
    return None


def promotion_refusal(start: Start, held: int) -> str | None:
    """Why a standby holding every seq through ``held`` may not take over from the primary that
    sent ``start`` (None: it may). It must hold every command that primary may have
    acknowledged: with sync replication, every seq through START's ``acked_seq`` (whatever
    was acknowledged later, this standby had first); with async replication it cannot know."""
    if start.mode != MODE_SYNC:
        return (
            "replication was async: the lost primary may have acknowledged commands past "
            f"seq {held}, which this standby never received"
        )
    if held < start.acked_seq:
        return (
            f"it holds seqs through {held}, but the primary may have acknowledged commands "
            f"through seq {start.acked_seq} before this standby caught up"
        )
    return None
