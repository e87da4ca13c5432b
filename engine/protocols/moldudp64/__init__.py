"""MoldUDP64 1.0, sans-IO: packets, a sender, a receiver that fills gaps, a re-request answer.

MoldUDP64 carries a sequenced stream of messages (ITCH 5.0 here:
:mod:`engine.protocols.itch`) in UDP datagrams, each numbered, so a listener detects a lost
datagram and asks a re-request server for the missing numbers. It knows nothing of the
messages it carries. Nothing here opens a socket or reads a clock.

* :mod:`~engine.protocols.moldudp64.packets` - downstream and request packets, byte layouts;
* :mod:`~engine.protocols.moldudp64.sender` - numbering, full datagrams, heartbeats, end;
* :mod:`~engine.protocols.moldudp64.receiver` - in-order delivery, gaps, requests;
* :mod:`~engine.protocols.moldudp64.retransmit` - the answer to a request, recent messages.
"""

from engine.protocols.moldudp64.packets import (
    END_OF_SESSION_COUNT,
    MAX_PACKET,
    DownstreamPacket,
    EndOfSession,
    Heartbeat,
    MessagePacket,
    PacketFault,
    RequestPacket,
    decode_downstream,
    decode_request,
)
from engine.protocols.moldudp64.receiver import (
    Message,
    MoldReceiver,
    ReceiverEvent,
    SessionEnded,
)
from engine.protocols.moldudp64.retransmit import MessageSource, RecentMessages, answer_request
from engine.protocols.moldudp64.sender import LocalProtocolError, MoldSender

__all__ = [
    "END_OF_SESSION_COUNT",
    "MAX_PACKET",
    "DownstreamPacket",
    "EndOfSession",
    "Heartbeat",
    "LocalProtocolError",
    "Message",
    "MessagePacket",
    "MessageSource",
    "MoldReceiver",
    "MoldSender",
    "PacketFault",
    "ReceiverEvent",
    "RecentMessages",
    "RequestPacket",
    "SessionEnded",
    "answer_request",
    "decode_downstream",
    "decode_request",
]
