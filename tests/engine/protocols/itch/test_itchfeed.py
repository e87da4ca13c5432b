"""An independent ITCH 5.0 parser (PyPI ``itchfeed``) reads what we encode as we meant it.

Every field of every message type is compared: numbers as numbers (prices as the raw Price(4)
integers), Alpha fields as their text without the padding. The feed itself, framed as
MoldUDP64 message blocks (a 2-byte length before each message, which is also the framing
itchfeed's stream parser reads), decodes message for message.
"""

from __future__ import annotations

from dataclasses import fields
from typing import Any

from hypothesis import given, settings
from itch.messages import messages as itch_classes
from itch.parser import MessageParser

from engine.domain.types import AddSymbol, NewOrder, OrderType, ReplaceOrder, Side, TimeInForce
from engine.protocols.itch import ItchMessage, OrderReplace, SystemEvent
from tests.engine.protocols.itch.strategies import any_message

#: our field name -> itchfeed's attribute, where they differ
RENAMED = {
    "side": "buy_sell_indicator",
    "original_order_reference_number": "order_reference_number",
    "luld_reference_price_tier": "luld_ref",
}


def theirs(message: ItchMessage, raw: bytes) -> Any:
    parsed = itch_classes[raw[:1]](raw)
    assert parsed.message_type == message.TYPE
    return parsed


def assert_same_fields(message: ItchMessage, parsed: Any) -> None:
    for name in (f.name for f in fields(message)):
        ours = getattr(message, name)
        value = getattr(parsed, RENAMED.get(name, name))
        if isinstance(value, bytes):
            value = value.decode("ascii").rstrip(" ") if len(value) > 1 else value.decode()
        assert value == ours, (type(message).__name__, name, value, ours)


@settings(max_examples=2_000, deadline=None)
@given(any_message)
def test_itchfeed_decodes_every_message_to_the_same_field_values(message: ItchMessage) -> None:
    raw = message.encode()
    parsed = theirs(message, raw)
    assert_same_fields(message, parsed)
    assert parsed.message_size == len(raw)
    assert parsed.to_bytes() == raw  # and packs it back to the very same bytes


def test_itchfeed_reads_the_feed_of_a_trading_session() -> None:
    from engine.domain.exchange import Exchange
    from engine.domain.types import CASH, Deposit, Halt, OpenAccount, Resume
    from engine.marketdata.itch_projection import ItchProjection

    ex = Exchange()
    projection = ItchProjection()
    day = 20_000 * 86_400 * 10**9
    commands = [
        AddSymbol(1, day + 1, "ACME", 100, 10, 1_000_000, 1_000),
        OpenAccount(2, day + 2, "A", "alice"),
        OpenAccount(3, day + 3, "B", "bob"),
        Deposit(4, day + 4, "alice", CASH, 10**12),
        Deposit(5, day + 5, "bob", "ACME", 10_000),
        NewOrder(6, day + 6, "A", "alice", "ACME", Side.BUY, OrderType.LIMIT, TimeInForce.DAY,
                 100, 999_900, "a1"),
        NewOrder(7, day + 7, "B", "bob", "ACME", Side.SELL, OrderType.LIMIT, TimeInForce.DAY,
                 30, 999_900, "b1"),
        ReplaceOrder(8, day + 8, "alice", 6, 100, 1_000_000),
        Halt(9, day + 9, "ACME"),
        Resume(10, day + 10, "ACME"),
    ]  # fmt: skip
    ours: list[ItchMessage] = []
    for cmd in commands:
        ours += projection.apply(cmd.seq_no, cmd.ts, ex.submit(cmd))
    assert [type(m).__name__ for m in ours] == [
        "SystemEvent", "SystemEvent", "SystemEvent", "StockDirectory", "StockTradingAction",
        "AddOrder", "OrderExecuted", "OrderReplace", "StockTradingAction", "StockTradingAction",
    ]  # fmt: skip
    assert isinstance(ours[0], SystemEvent) and ours[0].timestamp == 1
    assert isinstance(ours[7], OrderReplace)
    assert (ours[7].original_order_reference_number, ours[7].new_order_reference_number) == (6, 8)
    stream = b"".join(len(m.encode()).to_bytes(2, "big") + m.encode() for m in ours)
    parsed = list(MessageParser().parse_stream(stream))
    assert len(parsed) == len(ours)
    for message, theirs_ in zip(ours, parsed, strict=True):
        assert_same_fields(message, theirs_)
