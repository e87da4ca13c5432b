"""Inbound MsgSeqNum bookkeeping: the expected number, the messages held behind a gap.

:class:`InboundSequencer` classifies each received MsgSeqNum against the expected one
(:class:`SeqVerdict`), holds messages that arrived early (bounded: ``max_queued``) until the
gap before them is filled, and remembers whether a ResendRequest for the gap is outstanding so
that a burst of early messages asks only once. It decides nothing about what a message means:
the session does.

:func:`poss_dup_fault` checks what FIX asks of a message sent again (PossDupFlag(43)=Y): its
OrigSendingTime(122), present, and not after its SendingTime(52).

A held message may be marked *served*: it was acted on when it arrived (a ResendRequest the
peer needs answered at once, the Logon itself); when its number comes up it only advances the
expected number.
"""

from __future__ import annotations

from enum import Enum

from engine.protocols.fix.codec import FixMessage
from engine.protocols.fix.tags import MsgType, SessionRejectReason, Tag
from engine.protocols.fix.timestamps import parse_utc_timestamp

__all__ = ["InboundSequencer", "SeqVerdict", "poss_dup_fault"]


class SeqVerdict(Enum):
    IN_ORDER = "in order"
    TOO_HIGH = "too high: a gap before it"
    DUPLICATE = "too low, PossDupFlag=Y: seen already, ignore"
    TOO_LOW = "too low without PossDupFlag: a fatal fault"


class InboundSequencer:
    """The next MsgSeqNum expected from the peer, and what waits behind a gap."""

    def __init__(self, next_seq: int, max_queued: int) -> None:
        if next_seq < 1:
            raise ValueError("the next inbound MsgSeqNum is at least 1")
        self.next_seq = next_seq
        self.max_queued = max_queued
        self._held: dict[int, tuple[FixMessage, bool]] = {}
        #: the gap a ResendRequest is outstanding for ends here (None: no request out)
        self._resend_until: int | None = None

    def classify(self, seq: int, poss_dup: bool) -> SeqVerdict:
        if seq == self.next_seq:
            return SeqVerdict.IN_ORDER
        if seq > self.next_seq:
            return SeqVerdict.TOO_HIGH
        return SeqVerdict.DUPLICATE if poss_dup else SeqVerdict.TOO_LOW

    def consume(self, seq: int) -> None:
        """Message ``seq`` (the expected one) was processed."""
        self.next_seq = seq + 1
        self._settle()

    def jump_to(self, new_seq: int) -> None:
        """A SequenceReset: the next number expected is ``new_seq``."""
        self.next_seq = new_seq
        self._settle()
        if self._held and min(self._held) < new_seq:
            # The jump went over them: they are duplicates now.
            for seq in [s for s in self._held if s < new_seq]:
                del self._held[seq]

    def reset(self, next_seq: int) -> None:
        """Both sides restarted their numbers (ResetSeqNumFlag=Y in the middle of a session):
        nothing held or requested before means anything now."""
        self.next_seq = next_seq
        self._held.clear()
        self._resend_until = None

    def hold(self, seq: int, message: FixMessage, served: bool) -> bool:
        """Keep an early message until its turn; False when the queue is full."""
        if seq in self._held:
            return True  # a second copy (a PossDup) of one held already: keep the first
        if len(self._held) >= self.max_queued:
            return False
        self._held[seq] = (message, served)
        return True

    def gap_to_request(self, seq: int) -> int | None:
        """The BeginSeqNo of a ResendRequest to send after early message ``seq``, or None if
        one is outstanding already (it asked through the peer's last message: EndSeqNo=0)."""
        if self._resend_until is not None:
            return None
        self._resend_until = seq - 1
        return self.next_seq

    def pop_ready(self) -> tuple[FixMessage, bool] | None:
        """The held message whose turn it is, with its served mark, or None."""
        if not self._held:
            return None
        return self._held.pop(self.next_seq, None)

    @property
    def held(self) -> int:
        return len(self._held)

    @property
    def resend_outstanding(self) -> bool:
        return self._resend_until is not None

    def _settle(self) -> None:
        if self._resend_until is not None and self.next_seq > self._resend_until:
            self._resend_until = None


def poss_dup_fault(msg: FixMessage) -> tuple[SessionRejectReason, str, bool] | None:
    """What is wrong with the OrigSendingTime(122) of ``msg``, a PossDupFlag=Y message in
    sequence, if anything: (the SessionRejectReason, its text, whether it also ends the
    session). A SequenceReset is exempt (a gap fill's header, as QuickFIX has it)."""
    if msg.msg_type == MsgType.SEQUENCE_RESET:
        return None
    orig = msg.get(Tag.ORIG_SENDING_TIME)
    if orig is None:
        text = "OrigSendingTime(122) missing on a PossDupFlag=Y message"
        return SessionRejectReason.REQUIRED_TAG_MISSING, text, False
    orig_ns = parse_utc_timestamp(orig)
    if orig_ns is None:
        return SessionRejectReason.INCORRECT_DATA_FORMAT, "OrigSendingTime(122) format", False
    sent_ns = parse_utc_timestamp(msg.get(Tag.SENDING_TIME) or "")
    if sent_ns is not None and orig_ns > sent_ns:
        text = "SendingTime accuracy problem: OrigSendingTime(122) after SendingTime(52)"
        return SessionRejectReason.SENDINGTIME_ACCURACY_PROBLEM, text, True
    return None
