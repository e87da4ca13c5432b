"""The checks a logged-on FIX session makes of each inbound message (:mod:`.session`).

:func:`header_fault`: what ends the session whatever the message's MsgSeqNum (a CompID that
is not the session's, a SendingTime too far from our clock: a Reject, then a Logout with the
reason). :func:`message_fault`: what a message in sequence must have before it is handled (a
tag-level problem the parser found, the header tags, SendingTime's format, a PossDup's
OrigSendingTime, a FIX 4.4 MsgType: a Reject that costs the message its number, or the close
for an OrigSendingTime after the SendingTime). Each returns the event to report, or None when
the message passes. They are the session's own parts and use its internals, as
:mod:`.session_admin` does.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from engine.protocols.fix.codec import FixMessage
from engine.protocols.fix.events import SessionEvent
from engine.protocols.fix.order_scan import parse_utc
from engine.protocols.fix.sequencing import poss_dup_fault
from engine.protocols.fix.tags import FIX44_MSG_TYPES, SessionRejectReason, Tag

if TYPE_CHECKING:
    from engine.protocols.fix.session import FixSession

__all__ = ["header_fault", "message_fault"]

# Tags looked up in every message, as plain ints: a look-up by IntEnum member hashes it in
# Python (Enum.__hash__), one by int does not.
_SENDER_COMP_ID: Final = int(Tag.SENDER_COMP_ID)
_TARGET_COMP_ID: Final = int(Tag.TARGET_COMP_ID)
_SENDING_TIME: Final = int(Tag.SENDING_TIME)
_HEADER_TAGS: Final = tuple(
    (int(tag), tag) for tag in (Tag.SENDER_COMP_ID, Tag.TARGET_COMP_ID, Tag.SENDING_TIME)
)


def header_fault(session: FixSession, msg: FixMessage, seq: int) -> SessionEvent | None:
    """The checks that end a session whatever the message's number: CompIDs, clock."""
    get = msg.getter
    sender, target = get(_SENDER_COMP_ID), get(_TARGET_COMP_ID)
    wrong = Tag.SENDER_COMP_ID if sender not in (None, session._out.target_comp_id) else None
    if target not in (None, session.config.comp_id):
        wrong = Tag.TARGET_COMP_ID
    if wrong is not None:
        text = f"CompID problem: tag {int(wrong)} does not match the logged-on session"
        session._reject(msg, seq, SessionRejectReason.COMPID_PROBLEM, wrong, text)
        return session._fatal(text)
    sent = parse_utc(get(_SENDING_TIME) or "")
    if sent is not None and abs(sent - session._now) > session.config.sending_time_tolerance_ns:
        text = "SendingTime accuracy problem: SendingTime(52) too far from our clock"
        reason = SessionRejectReason.SENDINGTIME_ACCURACY_PROBLEM
        session._reject(msg, seq, reason, Tag.SENDING_TIME, text)
        return session._fatal(text)
    return None


def message_fault(session: FixSession, msg: FixMessage, seq: int) -> SessionEvent | None:
    """The checks of a message in sequence (its number consumed already) before it is
    handled: a Reject's notice, or the session's close."""
    problem = msg.problem
    if problem is not None:
        return session._reject(msg, seq, problem.reason, problem.tag, problem.text)
    get = msg.getter
    for key, tag in _HEADER_TAGS:
        if get(key) is None:
            text = f"required tag {int(tag)} missing"
            return session._reject(msg, seq, SessionRejectReason.REQUIRED_TAG_MISSING, tag, text)
    if parse_utc(get(_SENDING_TIME) or "") is None:
        reason = SessionRejectReason.INCORRECT_DATA_FORMAT
        return session._reject(msg, seq, reason, Tag.SENDING_TIME, "SendingTime(52) format")
    dup_fault = poss_dup_fault(msg) if msg.poss_dup else None
    if dup_fault is not None:
        reason, text, fatal = dup_fault
        notice = session._reject(msg, seq, reason, Tag.ORIG_SENDING_TIME, text)
        return session._fatal(text) if fatal else notice
    if msg.msg_type not in FIX44_MSG_TYPES:
        text = f"MsgType {msg.msg_type[:8]!r} is not a FIX 4.4 message type"
        return session._reject(msg, seq, SessionRejectReason.INVALID_MSGTYPE, Tag.MSG_TYPE, text)
    return None
