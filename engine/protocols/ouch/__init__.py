"""OUCH 4.2 order entry, sans-IO: messages, their mapping to engine terms, and sessions.

OUCH messages travel in SoupBinTCP 3.0 data packets (:mod:`engine.protocols.soupbin`).
Several names here are also names of engine events (Accepted, Rejected, Replaced) and commands
(ReplaceOrder, CancelOrder); import the package and qualify them: ``ouch.Accepted``.

* :mod:`~engine.protocols.ouch.fields` - field types, one-character value sets, decode errors;
* :mod:`~engine.protocols.ouch.inbound` - Enter Order, Replace Order, Cancel Order;
* :mod:`~engine.protocols.ouch.outbound` - System Event, Accepted, Replaced, Canceled,
  Executed, Rejected;
* :mod:`~engine.protocols.ouch.terms` - OUCH orders in engine terms (TIF, FOK, post-only);
* :mod:`~engine.protocols.ouch.codes` - reject and cancel reason tables, engine -> OUCH;
* :mod:`~engine.protocols.ouch.session` - the server and client session ends.
"""

from engine.protocols.ouch.codes import (
    CANCEL_REASONS,
    REJECT_REASONS,
    cancel_reason,
    expire_reason,
    liquidity_flag,
    reject_reason,
)
from engine.protocols.ouch.fields import MARKET_PRICE, MessageFault, ns_since_midnight
from engine.protocols.ouch.inbound import (
    CancelOrder,
    EnterOrder,
    InboundMessage,
    ReplaceOrder,
    decode_inbound,
)
from engine.protocols.ouch.outbound import (
    Accepted,
    Canceled,
    Executed,
    OutboundMessage,
    Rejected,
    Replaced,
    SystemEvent,
    decode_outbound,
)
from engine.protocols.ouch.session import OuchClientSession, OuchSequenced, OuchServerSession
from engine.protocols.ouch.terms import (
    CancelAll,
    NoChange,
    OrderTerms,
    ReduceTo,
    Refused,
    ReplaceTerms,
    cancel_terms,
    display_char,
    enter_terms,
    price_field,
    replace_terms,
    side_char,
    tif_field,
)

__all__ = [
    "CANCEL_REASONS",
    "MARKET_PRICE",
    "REJECT_REASONS",
    "Accepted",
    "CancelAll",
    "CancelOrder",
    "Canceled",
    "EnterOrder",
    "Executed",
    "InboundMessage",
    "MessageFault",
    "NoChange",
    "OrderTerms",
    "OuchClientSession",
    "OuchSequenced",
    "OuchServerSession",
    "OutboundMessage",
    "ReduceTo",
    "Refused",
    "Rejected",
    "ReplaceOrder",
    "ReplaceTerms",
    "Replaced",
    "SystemEvent",
    "cancel_reason",
    "cancel_terms",
    "decode_inbound",
    "decode_outbound",
    "display_char",
    "enter_terms",
    "expire_reason",
    "liquidity_flag",
    "ns_since_midnight",
    "price_field",
    "reject_reason",
    "replace_terms",
    "side_char",
    "tif_field",
]
