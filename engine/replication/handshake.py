"""The primary's decision on a standby's HELLO, and the standby's on the primary's START: pure.

A standby says where its journal ends (``last_seq``), what its last record was (its digest),
and which journal header it holds (empty: a fresh data directory). The primary continues it
only if that journal is a prefix of its own:

* a header that differs is another exchange (another W or rules version): refused;
* a journal that ends past the primary's last seq holds commands this primary never had (its
  tail was never acknowledged here): refused, naming both seqs;
* a last record that differs from the primary's at that seq is another history: refused.

Otherwise the primary answers START with ``from_seq = last_seq + 1``. The standby, in turn,
refuses a primary whose journal header names a feedback window other than its configuration's
(W decides outcomes). When the primary is lost, :func:`promotion_refusal` says whether the
standby can prove it holds every acknowledged command (it may take over only then).
"""

from __future__ import annotations

from engine.journal_format import HostFormatError, decode_header
from journal.replication import MODE_SYNC, Hello, Refuse, Start


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
    epoch: int,
    snapshot_every: int,
    segment_bytes: int,
    mode: int,
) -> Start | Refuse:
    """START for a standby whose journal is a prefix of ours, else REFUSE saying why.
    ``last_seq`` is the last seq this primary holds (journaled or in its ring), ``acked_seq``
    the highest it may have acknowledged so far (START says it), ``digest_at``
    the digest of its record at ``hello.last_seq`` (None when that seq is 0)."""
    if hello.header and hello.header != header:
        return Refuse(
            f"the standby's journal header ({describe_header(hello.header)}) differs from the "
            f"primary's ({describe_header(header)}): it is another exchange's journal"
        )
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


def check_start(start: Start, feedback_window: int) -> str | None:
    """Why the standby cannot follow this primary (None: it can)."""
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
