"""What a firm session is told: the exchange's truth, less what would reveal another firm's
order. Pure; protocol-neutral (every gateway applies it to what it sends a firm).

The engine rejects a cancel or replace of an order of another account with
``not_order_owner`` (``engine.domain.risk``): the truth, which the journal, the reporter and
the operator keep. Told to a firm, it would confirm that the order id exists. So a firm is told
exactly what an unknown order gets: :func:`firm_view` turns that ``Rejected`` into the
``unknown_order`` one, reason and text, every other field unchanged (they are the requester's
own: its account, the order id it sent, no client order id). Every other event passes as is.
"""

from __future__ import annotations

from typing import Final

from engine.domain.reasons import TEXT
from engine.domain.types import Event, Rejected, RejectReason

_HIDDEN: Final = RejectReason.NOT_ORDER_OWNER
_SHOWN: Final = RejectReason.UNKNOWN_ORDER
_SHOWN_TEXT: Final = TEXT[RejectReason.UNKNOWN_ORDER]


def firm_view(event: Event) -> Event:
    """``event`` as a firm session may see it (see the module's contract)."""
    if isinstance(event, Rejected) and event.reason == _HIDDEN:
        return event._replace(reason=_SHOWN, text=_SHOWN_TEXT)
    return event
