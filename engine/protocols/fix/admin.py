"""Builders of the session-level (administrative) messages: Logon, Heartbeat, TestRequest,
ResendRequest, Reject, SequenceReset and Logout.

Each returns an :class:`~.codec.OutboundMessage` (MsgType and body); the session adds the
header (SenderCompID, TargetCompID, MsgSeqNum, SendingTime) and the trailer when it sends it.
:func:`reject` is also for the caller: a message whose fields break the FIX rules (a required
tag missing, a value in the wrong format) gets a session Reject rather than a business one.
"""

from __future__ import annotations

from engine.protocols.fix.codec import OutboundMessage
from engine.protocols.fix.tags import MsgType, SessionRejectReason, Tag

__all__ = [
    "MAX_TEXT",
    "clean_text",
    "heartbeat",
    "logon",
    "logout",
    "reject",
    "resend_request",
    "sequence_reset",
    "test_request",
]

#: Text(58) is cut to this many characters: a reason, not a document.
MAX_TEXT = 200


def clean_text(text: str) -> str:
    """``text`` made safe for a Text(58) field: one byte per character, no SOH, bounded."""
    safe = "".join(c if " " <= c <= "~" else "?" for c in text[:MAX_TEXT])
    return safe or "?"


def logon(
    heart_bt_int: int, *, reset_seq_num: bool = False, next_expected_seq: int | None = None
) -> OutboundMessage:
    """The acceptor's answer to a Logon: no encryption, the peer's HeartBtInt echoed; with
    ``next_expected_seq``, NextExpectedMsgSeqNum(789) (the MsgSeqNum we expect next)."""
    body = [(Tag.ENCRYPT_METHOD, "0"), (Tag.HEART_BT_INT, str(heart_bt_int))]
    if reset_seq_num:
        body.append((Tag.RESET_SEQ_NUM_FLAG, "Y"))
    if next_expected_seq is not None:
        body.append((Tag.NEXT_EXPECTED_MSG_SEQ_NUM, str(next_expected_seq)))
    return OutboundMessage(MsgType.LOGON, _fields(body))


def heartbeat(test_req_id: str | None = None) -> OutboundMessage:
    """A Heartbeat; with ``test_req_id`` it answers that TestRequest."""
    body = [] if test_req_id is None else [(Tag.TEST_REQ_ID, test_req_id)]
    return OutboundMessage(MsgType.HEARTBEAT, _fields(body))


def test_request(test_req_id: str) -> OutboundMessage:
    return OutboundMessage(MsgType.TEST_REQUEST, _fields([(Tag.TEST_REQ_ID, test_req_id)]))


def resend_request(begin_seq_no: int, end_seq_no: int = 0) -> OutboundMessage:
    """Ask for messages ``begin..end`` again; ``end`` 0 means "through your last one"."""
    body = [(Tag.BEGIN_SEQ_NO, str(begin_seq_no)), (Tag.END_SEQ_NO, str(end_seq_no))]
    return OutboundMessage(MsgType.RESEND_REQUEST, _fields(body))


def reject(
    ref_seq_num: int,
    reason: SessionRejectReason,
    *,
    ref_tag: int | None = None,
    ref_msg_type: str | None = None,
    text: str | None = None,
) -> OutboundMessage:
    """A session-level Reject (35=3) of the message numbered ``ref_seq_num``."""
    body: list[tuple[int, str]] = [(Tag.REF_SEQ_NUM, str(ref_seq_num))]
    if ref_tag is not None:
        body.append((Tag.REF_TAG_ID, str(ref_tag)))
    if ref_msg_type:
        body.append((Tag.REF_MSG_TYPE, ref_msg_type))
    body.append((Tag.SESSION_REJECT_REASON, str(int(reason))))
    if text:
        body.append((Tag.TEXT, clean_text(text)))
    return OutboundMessage(MsgType.REJECT, _fields(body))


def sequence_reset(new_seq_no: int, *, gap_fill: bool) -> OutboundMessage:
    """A SequenceReset: GapFill mode (123=Y) skips administrative messages in a resend."""
    body = [(Tag.GAP_FILL_FLAG, "Y")] if gap_fill else []
    body.append((Tag.NEW_SEQ_NO, str(new_seq_no)))
    return OutboundMessage(MsgType.SEQUENCE_RESET, _fields(body))


def logout(text: str | None = None) -> OutboundMessage:
    body = [] if not text else [(Tag.TEXT, clean_text(text))]
    return OutboundMessage(MsgType.LOGOUT, _fields(body))


def _fields(body: list[tuple[Tag, str]] | list[tuple[int, str]]) -> tuple[tuple[int, str], ...]:
    # Tag members are IntEnums: store plain ints so that equality and hashing stay cheap and
    # printed fields read as numbers.
    return tuple((int(tag), value) for tag, value in body)
