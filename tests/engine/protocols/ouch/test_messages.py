"""OUCH 4.2 messages: exact bytes from the spec, round trips, validation, fuzz."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.protocols.ouch.fields import (
    BBO_WEIGHTS,
    CAPACITIES,
    CROSS_TYPES,
    CUSTOMER_TYPES,
    DISPLAYS,
    EVENT_CODES,
    INTERMARKET_SWEEP,
    MARKET_PRICE,
    NS_PER_DAY,
    ORDER_STATES,
    SIDES,
    MessageFault,
    ns_since_midnight,
)
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
    CancelReject,
    Executed,
    OutboundMessage,
    Rejected,
    Replaced,
    SystemEvent,
    decode_outbound,
)

TS = 34_200_000_000_001  # 09:30:00.000000001 in ns since midnight
TS_BYTES = b"\x00\x00\x1f\x1a\xce\xd9\xf0\x01"

ENTER = EnterOrder(
    token="ORD1",
    side="B",
    shares=100,
    stock="AAPL",
    price=1_500_000,  # $150.0000: 4 implied decimals, as the engine's price units
    time_in_force=99_998,
    firm="ALPH",
    display="Y",
    capacity="A",
    intermarket_sweep="N",
    minimum_quantity=0,
    cross_type="N",
    customer_type=" ",
)
ACCEPTED = Accepted(
    timestamp=TS,
    token="ORD1",
    side="B",
    shares=100,
    stock="AAPL",
    price=1_500_000,
    time_in_force=99_998,
    firm="ALPH",
    display="Y",
    order_reference_number=42,
    capacity="A",
    intermarket_sweep="N",
    minimum_quantity=0,
    cross_type="N",
    order_state="L",
    bbo_weight_indicator=" ",
)
EXECUTED = Executed(TS, "ORD1", 40, 1_500_000, "A", 4_000_000_123)


# -- exact layouts, written by hand from the spec tables -------------------------------------


def test_enter_order_bytes_match_the_spec_layout() -> None:
    expected = (
        b"O"
        b"ORD1          "  # order token, 14, right padded
        b"B"  # buy
        b"\x00\x00\x00\x64"  # shares 100
        b"AAPL    "  # stock, 8, right padded
        b"\x00\x16\xe3\x60"  # price 1,500,000 = $150.0000
        b"\x00\x01\x86\x9e"  # time in force 99998: market hours
        b"ALPH"  # firm
        b"Y"  # display: anonymous
        b"A"  # capacity: agency
        b"N"  # intermarket sweep: not eligible
        b"\x00\x00\x00\x00"  # minimum quantity
        b"N"  # cross type: none
        b" "  # customer type: the port's default
    )
    assert len(expected) == 49
    assert ENTER.encode() == expected
    assert decode_inbound(expected) == ENTER


def test_replace_and_cancel_order_bytes_match_the_spec_layout() -> None:
    replace = ReplaceOrder("ORD1", "ORD2", 80, 1_500_100, 99_999, "P", "N", 0)
    assert replace.encode() == (
        b"U" + b"ORD1          " + b"ORD2          " + b"\x00\x00\x00\x50"
        b"\x00\x16\xe3\xc4" + b"\x00\x01\x86\x9f" + b"P" + b"N" + b"\x00\x00\x00\x00"
    )
    assert len(replace.encode()) == 47
    assert CancelOrder("ORD2", 0).encode() == b"X" + b"ORD2          " + b"\x00\x00\x00\x00"


def test_accepted_bytes_match_the_spec_layout() -> None:
    expected = (
        b"A"
        + TS_BYTES  # timestamp: ns since midnight
        + b"ORD1          "  # order token
        + b"B"
        + b"\x00\x00\x00\x64"  # shares
        + b"AAPL    "  # stock
        + b"\x00\x16\xe3\x60"  # price
        + b"\x00\x01\x86\x9e"  # time in force
        + b"ALPH"  # firm
        + b"Y"  # display
        + b"\x00\x00\x00\x00\x00\x00\x00\x2a"  # order reference number 42 (our order id)
        + b"A"  # capacity
        + b"N"  # intermarket sweep
        + b"\x00\x00\x00\x00"  # minimum quantity
        + b"N"  # cross type
        + b"L"  # order state: live
        + b" "  # BBO weight indicator: unspecified
    )
    assert len(expected) == 66
    assert ACCEPTED.encode() == expected
    assert decode_outbound(expected) == ACCEPTED


def test_executed_bytes_match_the_spec_layout() -> None:
    expected = (
        b"E"
        + TS_BYTES
        + b"ORD1          "
        + b"\x00\x00\x00\x28"  # executed shares 40
        + b"\x00\x16\xe3\x60"  # execution price $150.0000
        + b"A"  # liquidity: added
        + b"\x00\x00\x00\x00\xee\x6b\x28\x7b"  # match number 4,000,000,123 (our exec id)
    )
    assert len(expected) == 40
    assert EXECUTED.encode() == expected
    assert decode_outbound(expected) == EXECUTED


def test_the_short_outbound_messages_match_the_spec_layout() -> None:
    assert SystemEvent(TS, "S").encode() == b"S" + TS_BYTES + b"S"
    assert Canceled(TS, "ORD1", 60, "U").encode() == (
        b"C" + TS_BYTES + b"ORD1          " + b"\x00\x00\x00\x3c" + b"U"
    )
    assert Rejected(TS, "ORD1", "X").encode() == b"J" + TS_BYTES + b"ORD1          " + b"X"


def test_replaced_is_accepted_plus_the_previous_token() -> None:
    replaced = Replaced(
        TS, "ORD2", "B", 80, "AAPL", 1_500_100, 99_998, "ALPH", "Y", 43, "A", "N", 0, "N", "L",
        "ORD1", " ",
    )  # fmt: skip
    raw = replaced.encode()
    assert len(raw) == 80 and raw[:1] == b"U"
    assert raw[9:23] == b"ORD2          " and raw[65:79] == b"ORD1          "
    assert decode_outbound(raw) == replaced


# -- round trips ---------------------------------------------------------------------------

token = st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7E), min_size=1, max_size=14)
alpha = st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7E), max_size=8)
firm = st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7E), max_size=4)
u32 = st.integers(0, 0xFFFF_FFFF)
u64 = st.integers(0, 0xFFFF_FFFF_FFFF_FFFF)
code = st.sampled_from("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmn0123456789")


def one(values: frozenset[str]) -> st.SearchStrategy[str]:
    return st.sampled_from(sorted(values))


inbound = st.one_of(
    st.builds(
        EnterOrder, token, one(SIDES), u32, alpha, u32, u32, firm, one(DISPLAYS),
        one(CAPACITIES), one(INTERMARKET_SWEEP), u32, one(CROSS_TYPES), one(CUSTOMER_TYPES),
    ),
    st.builds(
        ReplaceOrder, token, token, u32, u32, u32, one(DISPLAYS), one(INTERMARKET_SWEEP), u32
    ),
    st.builds(CancelOrder, token, u32),
)  # fmt: skip

_order = (
    token, one(SIDES), u32, alpha, u32, u32, firm, one(DISPLAYS), u64, one(CAPACITIES),
    one(INTERMARKET_SWEEP), u32, one(CROSS_TYPES), one(ORDER_STATES),
)  # fmt: skip
outbound = st.one_of(
    st.builds(SystemEvent, u64, one(EVENT_CODES)),
    st.builds(Accepted, u64, *_order, one(BBO_WEIGHTS)),
    st.builds(Replaced, u64, *_order, token, one(BBO_WEIGHTS)),
    st.builds(Canceled, u64, token, u32, code),
    st.builds(Executed, u64, token, u32, u32, code, u64),
    st.builds(Rejected, u64, token, code),
    st.builds(CancelReject, u64, token),
)


@settings(max_examples=500, deadline=None)
@given(inbound)
def test_every_inbound_message_round_trips(message: InboundMessage) -> None:
    assert decode_inbound(message.encode()) == message


@settings(max_examples=500, deadline=None)
@given(outbound)
def test_every_outbound_message_round_trips(message: OutboundMessage) -> None:
    assert decode_outbound(message.encode()) == message


# -- validation ------------------------------------------------------------------------------


def _fault(payload: bytes) -> MessageFault:
    result = decode_inbound(payload)
    assert isinstance(result, MessageFault), result
    return result


def test_a_wrong_length_is_a_fault_that_still_names_the_token() -> None:
    fault = _fault(ENTER.encode()[:-1])
    assert fault.code == "bad_length" and fault.token == "ORD1" and fault.reject_reason == "O"
    assert "48" in fault.text and "49" in fault.text


def test_a_rejected_replace_names_the_replacement_token() -> None:
    raw = bytearray(ReplaceOrder("OLD", "NEW", 1, 1, 0).encode())
    raw[41] = ord("!")  # display
    fault = _fault(bytes(raw))
    assert fault.token == "NEW" and fault.code == "bad_field" and fault.reject_reason == "D"


@pytest.mark.parametrize(
    ("offset", "byte", "reason"),
    [
        (15, b"X", "O"),  # side
        (40, b"?", "D"),  # display
        (41, b"Z", "O"),  # capacity
        (42, b"Q", "O"),  # intermarket sweep
        (47, b"I", "R"),  # cross type (the long-removed intraday cross)
        (48, b"X", "O"),  # customer type
        (20, b"\x00", "O"),  # stock not printable
        (36, b"\xff", "O"),  # firm not printable
    ],
)
def test_a_field_value_outside_its_set_is_a_fault_with_the_reject_reason(
    offset: int, byte: bytes, reason: str
) -> None:
    raw = bytearray(ENTER.encode())
    raw[offset : offset + 1] = byte
    fault = _fault(bytes(raw))
    assert fault.code == "bad_field" and fault.reject_reason == reason and fault.token == "ORD1"


def test_a_blank_token_cannot_be_named_in_a_reject() -> None:
    raw = b"X" + b" " * 14 + b"\x00\x00\x00\x00"
    fault = _fault(raw)
    assert fault.code == "bad_field" and fault.token is None


@pytest.mark.parametrize(
    ("payload", "code"),
    [(b"", "empty_message"), (b"Q123", "unknown_type"), (b"M" + b"x" * 19, "unsupported_type")],
)
def test_payloads_that_are_no_message_we_take(payload: bytes, code: str) -> None:
    assert _fault(payload).code == code


def test_outbound_reason_letters_we_have_not_heard_of_still_decode() -> None:
    # the spec: clients should expect new reason letters
    assert decode_outbound(Rejected(TS, "T", "q").encode()) == Rejected(TS, "T", "q")
    raw = bytearray(Rejected(TS, "T", "O").encode())
    raw[-1] = ord("#")
    assert isinstance(decode_outbound(bytes(raw)), MessageFault)


@pytest.mark.parametrize(
    "message",
    [
        EnterOrder("", "B", 1, "A", 1, 0),
        EnterOrder("T" * 15, "B", 1, "A", 1, 0),
        EnterOrder("T", "X", 1, "A", 1, 0),
        EnterOrder("T", "B", -1, "A", 1, 0),
        EnterOrder("T", "B", 2**32, "A", 1, 0),
        EnterOrder("T", "B", 1, "TOOLONGSYM", 1, 0),
        EnterOrder("T", "B", 1, "A", 1, 0, firm="Ä"),
        CancelOrder("  "),
        Rejected(-1, "T", "O"),
        Rejected(0, "T", "OO"),
        Executed(0, "T", 1, 1, "A", 2**64),
    ],
)
def test_encoding_a_value_that_does_not_fit_is_our_misuse(
    message: InboundMessage | OutboundMessage,
) -> None:
    with pytest.raises(ValueError):
        message.encode()


def test_the_market_price_is_the_reserved_largest_value() -> None:
    assert MARKET_PRICE == 0x7FFFFFFF
    market = EnterOrder("T", "S", 10, "AAPL", MARKET_PRICE, 0)
    assert market.encode()[28:32] == b"\x7f\xff\xff\xff"


def test_timestamps_are_nanoseconds_since_the_exchanges_midnight() -> None:
    day = 20_000 * NS_PER_DAY  # some midnight UTC
    assert ns_since_midnight(day + TS) == TS
    assert ns_since_midnight(day - 1) == NS_PER_DAY - 1
    # an exchange 5 hours west of UTC: 14:30 UTC is 09:30 there
    assert ns_since_midnight(day + 52_200 * 10**9, utc_offset_s=-5 * 3600) == 34_200 * 10**9


# -- fuzz ------------------------------------------------------------------------------------


@settings(max_examples=500, deadline=None)
@given(st.one_of(st.binary(max_size=100), st.sampled_from("OUXM").map(str.encode).flatmap(
    lambda t: st.binary(min_size=18, max_size=50).map(lambda b: t + b))))  # fmt: skip
def test_random_inbound_bytes_decode_or_fault_never_raise(payload: bytes) -> None:
    assert isinstance(
        decode_inbound(payload), (EnterOrder, ReplaceOrder, CancelOrder, MessageFault)
    )


@settings(max_examples=500, deadline=None)
@given(inbound, st.data())
def test_mutated_inbound_messages_decode_or_fault_never_raise(
    message: InboundMessage, data: st.DataObject
) -> None:
    raw = bytearray(message.encode())
    where = data.draw(st.integers(0, len(raw) - 1))
    raw[where] = data.draw(st.integers(0, 255))
    cut = data.draw(st.integers(0, len(raw)))
    for payload in (bytes(raw), bytes(raw[:cut]), bytes(raw) + b"x"):
        decoded = decode_inbound(payload)
        assert isinstance(decoded, (EnterOrder, ReplaceOrder, CancelOrder, MessageFault))
        if not isinstance(decoded, MessageFault):
            assert decoded.encode() == payload  # what decodes re-encodes to the same bytes


@settings(max_examples=500, deadline=None)
@given(outbound, st.data())
def test_mutated_outbound_messages_decode_or_fault_never_raise(
    message: OutboundMessage, data: st.DataObject
) -> None:
    raw = bytearray(message.encode())
    where = data.draw(st.integers(0, len(raw) - 1))
    raw[where] = data.draw(st.integers(0, 255))
    kinds = (
        SystemEvent,
        Accepted,
        Replaced,
        Canceled,
        Executed,
        Rejected,
        CancelReject,
        MessageFault,
    )
    # A changed type byte plus a cut can spell another valid message (a Rejected
    # retyped to 'I' and cut by one byte is a CancelReject), so the property is:
    # a fault, or a message that re-encodes to exactly the bytes it came from.
    for payload in (bytes(raw), bytes(raw[:-1]), bytes(raw) + b"x"):
        decoded = decode_outbound(payload)
        assert isinstance(decoded, kinds)
        if not isinstance(decoded, MessageFault):
            assert decoded.encode() == payload
    assert isinstance(decode_outbound(message.encode()[:-1]), MessageFault)
