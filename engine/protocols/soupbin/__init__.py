"""SoupBinTCP 3.0, sans-IO: packets, a stream framer and both session ends.

SoupBinTCP carries OUCH order entry here (:mod:`engine.protocols.ouch`) and can carry any other
message protocol (a GLIMPSE-style snapshot is ITCH over SoupBinTCP), so it knows nothing of the
messages it frames.

* :mod:`~engine.protocols.soupbin.packets` - the packet types, their byte layouts, ``encode``;
* :mod:`~engine.protocols.soupbin.framer` - bytes to packets, bounded, faults with reasons;
* :mod:`~engine.protocols.soupbin.liveness` - heartbeat and silence timing, clock passed in;
* :mod:`~engine.protocols.soupbin.server` - the acceptor's session state machine;
* :mod:`~engine.protocols.soupbin.client` - the initiator's session state machine;
* :mod:`~engine.protocols.soupbin.events` - sentinels, faults, closure, our own misuse.
"""

from engine.protocols.soupbin.client import ClientSession, ClientState, SequencedMessage
from engine.protocols.soupbin.events import (
    NEED_DATA,
    PAUSED,
    ConnectionClosed,
    LocalProtocolError,
    PacketFault,
)
from engine.protocols.soupbin.framer import PacketFramer
from engine.protocols.soupbin.packets import (
    NOT_AUTHORIZED,
    SESSION_NOT_AVAILABLE,
    ClientHeartbeat,
    Debug,
    EndOfSession,
    LoginAccepted,
    LoginRejected,
    LoginRequest,
    LogoutRequest,
    SequencedData,
    ServerHeartbeat,
    UnsequencedData,
    encode,
)
from engine.protocols.soupbin.server import ServerSession, ServerState, start_sequence

__all__ = [
    "NEED_DATA",
    "NOT_AUTHORIZED",
    "PAUSED",
    "SESSION_NOT_AVAILABLE",
    "ClientHeartbeat",
    "ClientSession",
    "ClientState",
    "ConnectionClosed",
    "Debug",
    "EndOfSession",
    "LocalProtocolError",
    "LoginAccepted",
    "LoginRejected",
    "LoginRequest",
    "LogoutRequest",
    "PacketFault",
    "PacketFramer",
    "SequencedData",
    "SequencedMessage",
    "ServerHeartbeat",
    "ServerSession",
    "ServerState",
    "UnsequencedData",
    "encode",
    "start_sequence",
]
