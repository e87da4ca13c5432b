"""The Logon a FIX session must start with: its checks and the event the caller decides on.

:func:`check_logon` validates the first message of a connection and returns either a
:class:`LogonRequest` (the caller checks the credentials and answers ``accept_logon`` or
``reject_logon``) or the text of the Logout that ends the connection. The session itself never
sees a password database: authentication is the server's job.

What is checked here (anything wrong closes the connection, as FIX prescribes for a bad Logon):
MsgType A; no tag-level fault; a MsgSeqNum; a SenderCompID; TargetCompID equal to ours;
EncryptMethod(98) absent or 0 (no encryption); HeartBtInt(108) within the configured range;
ResetSeqNumFlag(141) absent, Y or N, and MsgSeqNum 1 when it is Y; NextExpectedMsgSeqNum(789)
absent or a positive integer (what the session does with it: :mod:`.session_logon`). The
MsgSeqNum itself is compared with the expected number only when the caller accepts: the
caller may restore that number for this SenderCompID first.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from engine.protocols.fix.codec import FixMessage
from engine.protocols.fix.tags import MsgType, Tag

__all__ = ["LogonRequest", "check_logon"]


@dataclass(frozen=True, slots=True)
class LogonRequest:
    """A well-formed Logon awaiting the caller's answer (``accept_logon`` / ``reject_logon``)."""

    sender_comp_id: str
    target_comp_id: str
    username: str | None
    password: str | None = None
    heart_bt_int: int = 30
    #: ResetSeqNumFlag(141)=Y: both sides restart their sequence numbers at 1
    reset_seq_num: bool = False
    msg_seq_num: int = 1
    #: NextExpectedMsgSeqNum(789): the MsgSeqNum the peer expects from us next (None: absent)
    next_expected_seq: int | None = None
    #: the Logon itself, for any other field the caller wants (not part of equality)
    message: FixMessage | None = field(default=None, compare=False)

    def __repr__(self) -> str:  # never print a password into a log
        return (
            f"LogonRequest(sender_comp_id={self.sender_comp_id!r}, "
            f"username={self.username!r}, heart_bt_int={self.heart_bt_int}, "
            f"reset_seq_num={self.reset_seq_num}, msg_seq_num={self.msg_seq_num}, "
            f"next_expected_seq={self.next_expected_seq})"
        )


def check_logon(
    message: FixMessage, *, comp_id: str, min_heart_bt_int: int, max_heart_bt_int: int
) -> LogonRequest | str:
    """The LogonRequest of a valid first message, else the Logout text that refuses it."""
    if message.msg_type != MsgType.LOGON:
        return f"the first message must be a Logon (35=A), not 35={message.msg_type[:8]}"
    if message.problem is not None:
        return f"bad Logon: {message.problem.text}"
    seq = message.seq_num
    if seq is None:
        return "MsgSeqNum(34) missing or not a positive integer"
    sender = message.get(Tag.SENDER_COMP_ID)
    if sender is None:
        return "SenderCompID(49) missing"
    target = message.get(Tag.TARGET_COMP_ID)
    if target != comp_id:
        return f"TargetCompID(56) must be {comp_id}"
    encrypt = message.get(Tag.ENCRYPT_METHOD)
    if encrypt not in (None, "0"):
        return "EncryptMethod(98) must be 0: encryption is not supported"
    heart_bt_int = _int(message.get(Tag.HEART_BT_INT))
    if heart_bt_int is None or not min_heart_bt_int <= heart_bt_int <= max_heart_bt_int:
        return f"HeartBtInt(108) must be {min_heart_bt_int} to {max_heart_bt_int} seconds"
    reset = message.get(Tag.RESET_SEQ_NUM_FLAG)
    if reset not in (None, "Y", "N"):
        return "ResetSeqNumFlag(141) must be Y or N"
    if reset == "Y" and seq != 1:
        return "ResetSeqNumFlag(141)=Y requires MsgSeqNum(34)=1"
    next_expected: int | None = None
    if Tag.NEXT_EXPECTED_MSG_SEQ_NUM in message:
        next_expected = _int(message.get(Tag.NEXT_EXPECTED_MSG_SEQ_NUM))
        if not next_expected:
            return "NextExpectedMsgSeqNum(789) must be a positive integer"
    return LogonRequest(
        sender_comp_id=sender,
        target_comp_id=target,
        username=message.get(Tag.USERNAME),
        password=message.get(Tag.PASSWORD),
        heart_bt_int=heart_bt_int,
        reset_seq_num=reset == "Y",
        msg_seq_num=seq,
        next_expected_seq=next_expected,
        message=message,
    )


def _int(text: str | None) -> int | None:
    if text is None or not text.isascii() or not text.isdigit() or len(text) > 9:
        return None
    return int(text)
