"""What a FIX session hands its caller: events out of ``next_event``, and its configuration."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from engine.protocols.fix.codec import FixMessage
from engine.protocols.fix.framer import MAX_MESSAGE_SIZE, MAX_PENDING
from engine.protocols.fix.logon import LogonRequest
from engine.protocols.fix.timestamps import NS_PER_SECOND

__all__ = [
    "NEED_DATA",
    "PAUSED",
    "ApplicationMessage",
    "LogonRequest",
    "SessionClosed",
    "SessionConfig",
    "SessionEvent",
    "SessionNotice",
]


class _Sentinel:
    __slots__ = ("_name",)

    def __init__(self, name: str) -> None:
        self._name = name

    def __repr__(self) -> str:
        return self._name


#: No whole message is buffered: feed more bytes.
NEED_DATA: Final = _Sentinel("NEED_DATA")
#: A LogonRequest awaits ``accept_logon`` / ``reject_logon`` before input is read further.
PAUSED: Final = _Sentinel("PAUSED")


@dataclass(frozen=True, slots=True)
class ApplicationMessage:
    """An application message, delivered in MsgSeqNum order (``message.poss_dup`` marks a
    resent one the application may have seen)."""

    message: FixMessage


@dataclass(frozen=True, slots=True)
class SessionNotice:
    """Something for the log; the session already did what FIX prescribes about it."""

    text: str


@dataclass(frozen=True, slots=True)
class SessionClosed:
    """The session is over: write ``data_to_send()`` and close the connection."""

    reason: str


SessionEvent = LogonRequest | ApplicationMessage | SessionNotice | SessionClosed | _Sentinel


@dataclass(frozen=True, slots=True)
class SessionConfig:
    #: our CompID: the TargetCompID(56) peers must address and the SenderCompID(49) we send
    comp_id: str = "SEQUEX"
    max_message_size: int = MAX_MESSAGE_SIZE
    max_pending: int = MAX_PENDING
    #: a SendingTime(52) further than this from the receive time is refused (Reject, Logout)
    sending_time_tolerance_ns: int = 120 * NS_PER_SECOND
    min_heart_bt_int: int = 1
    max_heart_bt_int: int = 3600
    #: messages held behind a sequence gap; one more ends the session
    max_queued: int = 10_000
    #: how long our Logout waits for the peer's before the session closes anyway
    logout_timeout_ns: int = 5 * NS_PER_SECOND
    #: MsgSeqNums a ResendRequest is answered with at a time (0: the whole range at once);
    #: the caller sends the rest with ``FixSession.resend_more`` while ``resending``
    resend_batch: int = 0
