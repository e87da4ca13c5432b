"""The FIX session's states and the one table of transitions between them.

::

    AWAITING_LOGON --recv Logon--> LOGON_PENDING --accept_logon--> ACTIVE
    LOGON_PENDING --reject_logon--> CLOSED
    ACTIVE --recv message / send--> ACTIVE --recv Logout (answered)--> CLOSED
    ACTIVE --logout()--> LOGOUT_SENT --recv Logout / logout timeout--> CLOSED
    any open state --peer's fatal fault / heartbeat timeout / end of input--> CLOSED

:func:`advance` is the only way the session changes state: a (state, trigger) pair missing
from :data:`TRANSITIONS` is our own misuse and raises :class:`LocalProtocolError` (the peer's
input is classified before it can move the state).
"""

from __future__ import annotations

from enum import Enum
from typing import Final

__all__ = ["TRANSITIONS", "LocalProtocolError", "State", "Trigger", "advance"]


class State(Enum):
    AWAITING_LOGON = "awaiting_logon"
    LOGON_PENDING = "logon_pending"
    ACTIVE = "active"
    LOGOUT_SENT = "logout_sent"
    CLOSED = "closed"


class Trigger(Enum):
    RECV_LOGON = "recv Logon"
    ACCEPT_LOGON = "accept_logon"
    REJECT_LOGON = "reject_logon"
    RECV_MESSAGE = "recv message"
    SEND = "send"
    START_LOGOUT = "logout"
    RECV_LOGOUT = "recv Logout"
    TIMEOUT = "timeout"
    FAULT = "peer's fatal fault"
    EOF = "end of input"


_S, _T = State, Trigger
_OPEN: Final = (_S.AWAITING_LOGON, _S.LOGON_PENDING, _S.ACTIVE, _S.LOGOUT_SENT)

#: (state, trigger) -> next state. A missing pair is our misuse (LocalProtocolError): the
#: peer's input is classified before it moves the state.
TRANSITIONS: Final[dict[tuple[State, Trigger], State]] = {
    (_S.AWAITING_LOGON, _T.RECV_LOGON): _S.LOGON_PENDING,
    (_S.LOGON_PENDING, _T.ACCEPT_LOGON): _S.ACTIVE,
    (_S.LOGON_PENDING, _T.REJECT_LOGON): _S.CLOSED,
    (_S.ACTIVE, _T.RECV_MESSAGE): _S.ACTIVE,
    (_S.ACTIVE, _T.SEND): _S.ACTIVE,
    (_S.ACTIVE, _T.RECV_LOGOUT): _S.CLOSED,
    (_S.ACTIVE, _T.START_LOGOUT): _S.LOGOUT_SENT,
    (_S.ACTIVE, _T.TIMEOUT): _S.CLOSED,
    # After our Logout the peer may still send (resends, its last reports) until it answers.
    (_S.LOGOUT_SENT, _T.RECV_MESSAGE): _S.LOGOUT_SENT,
    (_S.LOGOUT_SENT, _T.RECV_LOGOUT): _S.CLOSED,
    (_S.LOGOUT_SENT, _T.TIMEOUT): _S.CLOSED,
    **{(state, _T.FAULT): _S.CLOSED for state in _OPEN},
    **{(state, _T.EOF): _S.CLOSED for state in _OPEN},
}


class LocalProtocolError(RuntimeError):
    """We (the owner of the session) used it out of order: a bug on our side, not the peer's."""


def advance(state: State, trigger: Trigger) -> State:
    """The state after ``trigger`` in ``state``; LocalProtocolError if that is not allowed."""
    new = TRANSITIONS.get((state, trigger))
    if new is None:
        raise LocalProtocolError(f"cannot {trigger.value} in state {state.value}")
    return new
