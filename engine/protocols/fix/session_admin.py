"""The administrative messages a logged-on FIX session receives in sequence: Heartbeat,
TestRequest, ResendRequest, Reject, SequenceReset (GapFill and Reset modes) and Logout.

Each handler takes the session, the message and its MsgSeqNum, does what FIX 4.4 prescribes
(answer, resend, move the expected number, close) and returns the event for the caller, if
any. They are the session's own parts (:mod:`.session` dispatches through
:data:`ADMIN_HANDLERS`) and use its internals. A Logon, first or in the middle of a session, is
:mod:`.session_logon`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Final

from engine.protocols.fix import admin
from engine.protocols.fix.codec import FixMessage
from engine.protocols.fix.events import SessionEvent, SessionNotice
from engine.protocols.fix.states import State
from engine.protocols.fix.states import Trigger as _T
from engine.protocols.fix.tags import MsgType, SessionRejectReason, Tag

if TYPE_CHECKING:
    from engine.protocols.fix.session import FixSession

__all__ = ["ADMIN_HANDLERS", "number", "on_resend_request", "sequence_reset"]


def on_heartbeat(session: FixSession, msg: FixMessage, seq: int) -> SessionEvent | None:
    return None  # its arrival already fed the heartbeat timer


def on_test_request(session: FixSession, msg: FixMessage, seq: int) -> SessionEvent | None:
    test_req_id = msg.get(Tag.TEST_REQ_ID)
    if test_req_id is None:
        reason = SessionRejectReason.REQUIRED_TAG_MISSING
        return session._reject(msg, seq, reason, Tag.TEST_REQ_ID, "TestReqID(112) missing")
    session._send_admin(admin.heartbeat(test_req_id))
    return None


def on_resend_request(session: FixSession, msg: FixMessage, seq: int) -> SessionEvent | None:
    """Resend BeginSeqNo..EndSeqNo (0: through the last sent) from the store, a batch at a
    time when the session's config says so; a range we never sent gets a Reject."""
    begin, end = number(msg.get(Tag.BEGIN_SEQ_NO)), number(msg.get(Tag.END_SEQ_NO))
    for tag, value in ((Tag.BEGIN_SEQ_NO, begin), (Tag.END_SEQ_NO, end)):
        if value is None:
            missing = msg.get(tag) is None
            reason = (
                SessionRejectReason.REQUIRED_TAG_MISSING
                if missing
                else SessionRejectReason.INCORRECT_DATA_FORMAT
            )
            return session._reject(msg, seq, reason, tag, f"tag {int(tag)} missing or bad")
    assert begin is not None and end is not None
    last = session._out.next_seq - 1
    if begin < 1 or begin > last or (end != 0 and end < begin):
        text = f"cannot resend {begin} to {end}: the last message sent is {last}"
        reason = SessionRejectReason.VALUE_IS_INCORRECT
        return session._reject(msg, seq, reason, Tag.BEGIN_SEQ_NO, text)
    return session._resend(begin, end)


def on_reject(session: FixSession, msg: FixMessage, seq: int) -> SessionEvent | None:
    ref, text = msg.get(Tag.REF_SEQ_NUM), msg.get(Tag.TEXT) or ""
    return SessionNotice(f"the peer rejected our message {ref}: {text[:200]}")


def on_gap_fill(session: FixSession, msg: FixMessage, seq: int) -> SessionEvent | None:
    new_seq = number(msg.get(Tag.NEW_SEQ_NO))
    if new_seq is None or new_seq <= seq:
        text = "NewSeqNo(36) missing or not above MsgSeqNum(34)"
        reason = SessionRejectReason.VALUE_IS_INCORRECT
        return session._reject(msg, seq, reason, Tag.NEW_SEQ_NO, text)
    session._in.jump_to(new_seq)
    return None


def sequence_reset(session: FixSession, msg: FixMessage, seq: int) -> SessionEvent | None:
    """SequenceReset in Reset mode (no GapFillFlag): it ignores MsgSeqNum, so the session
    calls it before classifying the number."""
    if msg.problem is not None:
        return session._reject(msg, seq, msg.problem.reason, msg.problem.tag, msg.problem.text)
    new_seq = number(msg.get(Tag.NEW_SEQ_NO))
    if new_seq is None or new_seq < session._in.next_seq:
        text = f"NewSeqNo(36) must be at least {session._in.next_seq}"
        reason = SessionRejectReason.VALUE_IS_INCORRECT
        return session._reject(msg, seq, reason, Tag.NEW_SEQ_NO, text)
    session._in.jump_to(new_seq)
    return SessionNotice(f"SequenceReset: next inbound MsgSeqNum is {new_seq}")


def on_logout(session: FixSession, msg: FixMessage, seq: int) -> SessionEvent | None:
    text = msg.get(Tag.TEXT)
    if session.state is State.ACTIVE:
        session._send_admin(admin.logout())  # answer it: the peer waits for ours
    return session._close(_T.RECV_LOGOUT, f"logout by the peer: {text or ''}".rstrip(": "))


Handler = Callable[["FixSession", FixMessage, int], SessionEvent | None]

#: Administrative messages in sequence, by MsgType; every other type is the application's.
ADMIN_HANDLERS: Final[dict[str, Handler]] = {
    MsgType.HEARTBEAT: on_heartbeat,
    MsgType.TEST_REQUEST: on_test_request,
    MsgType.RESEND_REQUEST: on_resend_request,
    MsgType.REJECT: on_reject,
    MsgType.SEQUENCE_RESET: on_gap_fill,  # Reset mode never reaches here
    MsgType.LOGOUT: on_logout,
}


def number(text: str | None) -> int | None:
    """A non-negative integer field (EndSeqNo may be 0), else None."""
    if text is None or not text.isascii() or not text.isdigit() or len(text) > 18:
        return None
    return int(text)
