"""The NewOrderSingles of one read of a FIX session, gathered for one claim of ring[in].

Submitting each order on its own costs a ring claim and a wake-up of the journaler (and a
journal batch) per order; the FIX listener (``engine.gateway.fix_server``) gathers the orders
of one read in an :class:`OrderBatch` and submits them together, as OUCH's listener does.

Contract: what the listener answers and sequences is what it did order by order. Only a
NewOrderSingle whose ClOrdID is new to the batch joins it; before anything else is handled
(a cancel or a replace, which may name one of the batch's orders by its ClOrdID, or a
NewOrderSingle reusing one) the batch is submitted, so every ClOrdID lookup sees the earlier
orders in flight with their seq_nos, exactly as when each was submitted before the next
message was read.
"""

from __future__ import annotations

from engine.domain.types import Command
from engine.protocols.fix.messages import NewOrderSingle

__all__ = ["OrderBatch"]


class OrderBatch:
    """The commands of one read's NewOrderSingles, not yet in ring[in].

    A message is handled with the batch pending only if it is a NewOrderSingle whose ClOrdID
    no command of the batch used; anything else (a cancel or replace, which may name one of
    the batch's orders by ClOrdID) is handled after the batch is submitted, so every lookup
    sees the commands before it as in flight, as when each was submitted on its own.
    """

    def __init__(self) -> None:
        self.commands: list[Command] = []
        self.client_order_ids: set[str] = set()

    def may_take(self, parsed: object) -> bool:
        """Whether ``parsed`` may be handled with the batch still pending."""
        if not self.commands:
            return True
        return type(parsed) is NewOrderSingle and parsed.cl_ord_id not in self.client_order_ids

    def add(self, client_order_id: str, command: Command) -> None:
        """``command``, made of a message with ``client_order_id`` (ClOrdID(11))."""
        self.commands.append(command)
        self.client_order_ids.add(client_order_id)

    def take(self) -> list[Command]:
        commands, self.commands = self.commands, []
        self.client_order_ids.clear()
        return commands
