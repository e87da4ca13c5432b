"""ITCH 5.0 messages: exact bytes from the spec tables, round trips, faults with offsets, fuzz."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.protocols.itch import (
    MESSAGE_CLASSES,
    NS_PER_DAY,
    AddOrder,
    AddOrderAttributed,
    ItchMessage,
    MessageFault,
    OrderCancel,
    OrderDelete,
    OrderExecuted,
    OrderExecutedWithPrice,
    OrderReplace,
    StockDirectory,
    StockTradingAction,
    SystemEvent,
    Trade,
    decode_message,
    ns_since_midnight,
)
from tests.engine.protocols.itch.strategies import any_message, messages

TS = 34_200_000_000_001  # 09:30:00.000000001 in ns since midnight
TS6 = b"\x1f\x1a\xce\xd9\xf0\x01"  # the same, in the 6 bytes of the header
LOCATE = b"\x00\x07"  # stock locate 7
TRACKING = b"\x00\x00"
H = LOCATE + TRACKING + TS6

# -- exact layouts, written by hand from the spec's tables ------------------------------------

# fmt: off
EXACT: list[tuple[ItchMessage, bytes]] = [
    (SystemEvent(0, 0, TS, "O"), b"S" + b"\x00\x00" + TRACKING + TS6 + b"O"),
    (
        StockDirectory(7, 0, TS, "AAPL", "Q", "N", 100, "Y", "C", "Z", "P", "N", "N", "1", "N", 0,
                       "N"),
        b"R" + H
        + b"AAPL    "  # stock
        + b"Q"  # market category: Nasdaq Global Select
        + b"N"  # financial status: normal
        + b"\x00\x00\x00\x64"  # round lot size 100
        + b"Y"  # round lots only
        + b"C"  # issue classification: common stock
        + b"Z "  # issue sub-type, 2 alpha
        + b"P"  # authenticity: live/production
        + b"N"  # short sale threshold
        + b"N"  # IPO flag
        + b"1"  # LULD reference price tier
        + b"N"  # ETP flag
        + b"\x00\x00\x00\x00"  # ETP leverage factor
        + b"N",  # inverse indicator
    ),
    (
        StockTradingAction(7, 0, TS, "AAPL", "H", " ", "O1"),
        b"H" + H + b"AAPL    " + b"H" + b" " + b"O1  ",
    ),
    (
        AddOrder(7, 0, TS, 42, "B", 100, "AAPL", 1_500_000),
        b"A" + H
        + b"\x00\x00\x00\x00\x00\x00\x00\x2a"  # order reference number 42
        + b"B"
        + b"\x00\x00\x00\x64"  # shares 100
        + b"AAPL    "
        + b"\x00\x16\xe3\x60",  # price 1,500,000 = $150.0000
    ),
    (
        AddOrderAttributed(7, 0, TS, 42, "S", 100, "AAPL", 1_500_000, "ALPH"),
        b"F" + H + b"\x00" * 7 + b"\x2a" + b"S" + b"\x00\x00\x00\x64" + b"AAPL    "
        + b"\x00\x16\xe3\x60" + b"ALPH",
    ),
    (
        OrderExecuted(7, 0, TS, 42, 40, 4_000_000_123),
        b"E" + H + b"\x00" * 7 + b"\x2a"
        + b"\x00\x00\x00\x28"  # executed shares 40
        + b"\x00\x00\x00\x00\xee\x6b\x28\x7b",  # match number 4,000,000,123
    ),
    (
        OrderExecutedWithPrice(7, 0, TS, 42, 40, 4_000_000_123, "Y", 1_499_900),
        b"C" + H + b"\x00" * 7 + b"\x2a" + b"\x00\x00\x00\x28"
        + b"\x00\x00\x00\x00\xee\x6b\x28\x7b"
        + b"Y"  # printable
        + b"\x00\x16\xe2\xfc",  # execution price $149.9900
    ),
    (
        OrderCancel(7, 0, TS, 42, 60),
        b"X" + H + b"\x00" * 7 + b"\x2a" + b"\x00\x00\x00\x3c",
    ),
    (OrderDelete(7, 0, TS, 42), b"D" + H + b"\x00" * 7 + b"\x2a"),
    (
        OrderReplace(7, 0, TS, 42, 43, 80, 1_500_100),
        b"U" + H
        + b"\x00" * 7 + b"\x2a"  # original reference 42
        + b"\x00" * 7 + b"\x2b"  # new reference 43
        + b"\x00\x00\x00\x50"  # shares 80
        + b"\x00\x16\xe3\xc4",  # price $150.0100
    ),
    (
        Trade(7, 0, TS, 0, "B", 100, "AAPL", 1_500_000, 9),
        b"P" + H + b"\x00" * 8 + b"B" + b"\x00\x00\x00\x64" + b"AAPL    "
        + b"\x00\x16\xe3\x60" + b"\x00" * 7 + b"\x09",
    ),
]
# fmt: on

SIZES = {"S": 12, "R": 39, "H": 25, "A": 36, "F": 40, "E": 31, "C": 36, "X": 23, "D": 19,
         "U": 35, "P": 44}  # fmt: skip


@pytest.mark.parametrize(("message", "raw"), EXACT, ids=lambda x: getattr(x, "TYPE", b"").decode())
def test_each_message_has_the_spec_layout(message: ItchMessage, raw: bytes) -> None:
    assert len(raw) == SIZES[raw[:1].decode()] == message.SIZE
    assert message.encode() == raw
    assert decode_message(raw) == message


def test_every_message_class_has_an_exact_bytes_test() -> None:
    assert {type(m) for m, _ in EXACT} == set(MESSAGE_CLASSES) == set(messages)


def test_timestamps_are_six_bytes_of_nanoseconds_since_midnight() -> None:
    day = 20_000 * NS_PER_DAY  # some midnight UTC
    assert ns_since_midnight(day + TS) == TS
    assert ns_since_midnight(day - 1) == NS_PER_DAY - 1
    # an exchange 5 hours west of UTC: 14:30 UTC is 09:30 there
    assert ns_since_midnight(day + 52_200 * 10**9, utc_offset_s=-5 * 3600) == 34_200 * 10**9
    last = OrderDelete(0, 0, NS_PER_DAY - 1, 1).encode()
    assert last[5:11] == (NS_PER_DAY - 1).to_bytes(6, "big")


# -- round trips --------------------------------------------------------------------------


@settings(max_examples=1_000, deadline=None)
@given(any_message)
def test_every_message_round_trips(message: ItchMessage) -> None:
    raw = message.encode()
    assert len(raw) == message.SIZE
    assert decode_message(raw) == message


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(sorted(SIZES)), st.data())
def test_bytes_that_decode_re_encode_to_themselves(kind: str, data: st.DataObject) -> None:
    raw = kind.encode() + data.draw(st.binary(min_size=SIZES[kind] - 1, max_size=SIZES[kind] - 1))
    decoded = decode_message(raw)
    if not isinstance(decoded, MessageFault):
        assert decoded.encode() == raw


# -- faults ----------------------------------------------------------------------------------


def _fault(raw: bytes) -> MessageFault:
    result = decode_message(raw)
    assert isinstance(result, MessageFault), result
    return result


@pytest.mark.parametrize(
    ("payload", "code", "offset"),
    [
        (b"", "empty_message", 0),
        (b"Z" + b"\x00" * 30, "unknown_type", 0),  # a message sequex does not read
        (b"A" + b"\x00" * 30, "bad_length", 31),
        (b"D" + b"\x00" * 30, "bad_length", 19),
    ],
)
def test_payloads_that_are_no_message_we_read(payload: bytes, code: str, offset: int) -> None:
    fault = _fault(payload)
    assert (fault.code, fault.offset) == (code, offset)


@pytest.mark.parametrize(
    ("message", "offset", "byte", "field"),
    [
        (AddOrder(1, 0, TS, 1, "B", 1, "AAPL", 1), 19, b"X", "side"),
        (AddOrder(1, 0, TS, 1, "B", 1, "AAPL", 1), 26, b"\x00", "stock"),
        (AddOrderAttributed(1, 0, TS, 1, "B", 1, "A", 1, "MPID"), 38, b"\xff", "attribution"),
        (SystemEvent(0, 0, TS, "O"), 11, b"X", "event code"),
        (StockTradingAction(1, 0, TS, "A", "T", " ", ""), 19, b"Z", "trading state"),
        (OrderExecutedWithPrice(1, 0, TS, 1, 1, 1, "Y", 1), 31, b"y", "printable"),
        (Trade(1, 0, TS, 0, "S", 1, "A", 1, 1), 19, b"T", "side"),
        (EXACT[1][0], 25, b"?", "round lots only"),
        (EXACT[1][0], 38, b" ", "inverse indicator"),
    ],
)
def test_a_bad_field_is_a_fault_at_its_offset(
    message: ItchMessage, offset: int, byte: bytes, field: str
) -> None:
    raw = bytearray(message.encode())
    raw[offset : offset + 1] = byte
    fault = _fault(bytes(raw))
    assert fault.code == "bad_field" and fault.offset == offset and field in fault.text


@pytest.mark.parametrize(
    "message",
    [
        AddOrder(0, 0, -1, 1, "B", 1, "A", 1),
        AddOrder(0, 0, 1 << 48, 1, "B", 1, "A", 1),
        AddOrder(0x10000, 0, 0, 1, "B", 1, "A", 1),
        AddOrder(0, 0, 0, 1 << 64, "B", 1, "A", 1),
        AddOrder(0, 0, 0, 1, "X", 1, "A", 1),
        AddOrder(0, 0, 0, 1, "B", 1 << 32, "A", 1),
        AddOrder(0, 0, 0, 1, "B", 1, "TOOLONGSYM", 1),
        AddOrder(0, 0, 0, 1, "B", 1, "Ä", 1),
        AddOrder(0, 0, 0, 1, "B", 1, "A", -1),
        OrderReplace(0, 0, 0, 1, 2, 1, 1 << 32),
        StockTradingAction(0, 0, 0, "A", "T", "", ""),
        StockDirectory(0, 0, 0, "A", " ", " ", 1, "Y", "C", "ZZZ", "P", " ", " ", " ", " ", 0, "N"),
    ],
)
def test_encoding_a_value_that_does_not_fit_is_our_misuse(message: ItchMessage) -> None:
    with pytest.raises(ValueError):
        message.encode()


# -- fuzz: whole and cut byte by byte ----------------------------------------------------------

KINDS = (*MESSAGE_CLASSES, MessageFault)


@settings(max_examples=1_000, deadline=None)
@given(
    st.one_of(
        st.binary(max_size=60),
        st.sampled_from(sorted(SIZES)).flatmap(
            lambda t: st.binary(min_size=SIZES[t] - 1, max_size=SIZES[t] - 1).map(
                lambda b: t.encode() + b
            )
        ),
    )
)
def test_random_bytes_decode_or_fault_never_raise(payload: bytes) -> None:
    assert isinstance(decode_message(payload), KINDS)


@settings(max_examples=500, deadline=None)
@given(any_message, st.data())
def test_mutated_messages_decode_or_fault_never_raise(
    message: ItchMessage, data: st.DataObject
) -> None:
    raw = bytearray(message.encode())
    where = data.draw(st.integers(0, len(raw) - 1))
    raw[where] = data.draw(st.integers(0, 255))
    for payload in (bytes(raw), bytes(raw) + b"x"):
        decoded = decode_message(payload)
        assert isinstance(decoded, KINDS)
        if not isinstance(decoded, MessageFault):
            assert decoded.encode() == payload


@settings(max_examples=200, deadline=None)
@given(any_message)
def test_every_cut_of_a_message_is_a_length_fault(message: ItchMessage) -> None:
    raw = message.encode()
    for cut in range(len(raw)):  # byte by byte: every prefix short of the whole
        fault = decode_message(raw[:cut])
        assert isinstance(fault, MessageFault)
        assert fault.code == ("empty_message" if cut == 0 else "bad_length")
