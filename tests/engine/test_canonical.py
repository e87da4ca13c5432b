"""The canonical JSON form of commands and events (engine.canonical)."""

from __future__ import annotations

import json
from typing import Any, get_type_hints

import pytest
import xxhash
from hypothesis import given
from hypothesis import strategies as st

from engine.canonical import (
    COMMAND_TYPES,
    EVENT_TYPES,
    CommandFormatError,
    CommandReader,
    OutputDigest,
    command_from_json,
    command_to_json,
    encode_event_line,
    encode_events,
    event_to_json,
    json_encode,
)
from engine.domain.types import (
    AddSymbol,
    CancelOrder,
    CancelReason,
    Command,
    Deposit,
    EndOfDay,
    Event,
    Fence,
    Fill,
    Halt,
    Liquidity,
    NewOrder,
    NoteKind,
    OpenAccount,
    OrderType,
    Rejected,
    RejectReason,
    ReplaceOrder,
    Resume,
    SelfTradePrevention,
    SessionNote,
    SetRiskLimits,
    SetSelfTradePrevention,
    Settle,
    Side,
    StpSet,
    TimeInForce,
    TradingStatus,
    Withdraw,
)
from engine.domain.types import Cancelled as CancelledEvent

BUY, SELL, LIMIT, MARKET = Side.BUY, Side.SELL, OrderType.LIMIT, OrderType.MARKET
ONE_OF_EACH: list[Command] = [
    NewOrder(1, 10, "F1", "A1", "XYZ", BUY, LIMIT, TimeInForce.DAY, 100, 1_000_000, "c1"),
    NewOrder(2, 11, "F1", "A1", "XYZ", SELL, MARKET, TimeInForce.IOC, 5, 0, "", False),
    NewOrder(3, 11, "F1", "A1", "XYZ", SELL, LIMIT, TimeInForce.GTC, 5, 7, "p", True),
    CancelOrder(4, 12, "A1", 1),
    ReplaceOrder(5, 13, "A1", 1, 50, 1_000_100),
    AddSymbol(6, 14, "XYZ", 100, 1, 1_000_000, 500),
    Deposit(7, 15, "A1", "CASH", 10**12),
    Withdraw(8, 16, "A1", "XYZ", 3),
    Halt(9, 17, "XYZ"),
    Resume(10, 18, "XYZ"),
    SetRiskLimits(11, 19, "A1", 1000, 0, 50),
    SetSelfTradePrevention(12, 20, "F1", SelfTradePrevention.CANCEL_BOTH),
    EndOfDay(13, 21, "XYZ"),
    OpenAccount(14, 22, "F1", "A1"),
    Settle(15, 23, "XYZ", 20261207, 20261209),
    Fence(16, 24, 2),
    SessionNote(17, 25, NoteKind.REFUSED, "A1", "O-1", ord("O"), 0, 0, 7),
]  # fmt: skip


def test_every_command_class_has_a_json_type() -> None:
    assert {type(c) for c in ONE_OF_EACH} == set(COMMAND_TYPES.values())


@pytest.mark.parametrize("cmd", ONE_OF_EACH, ids=lambda c: type(c).__name__)
def test_command_round_trips_through_json_text(cmd: Command) -> None:
    text = json.dumps(command_to_json(cmd))
    assert command_from_json(json.loads(text), seq_no=999) == cmd


def test_a_request_names_its_orig_client_order_id_only_when_it_has_one() -> None:
    # a request that names none writes the object every stream before the field had
    assert "orig_client_order_id" not in command_to_json(CancelOrder(4, 12, "A1", 1, "c2"))
    named = [
        CancelOrder(4, 12, "A1", 1, "c2", "c1"),
        ReplaceOrder(5, 13, "A1", 1, 50, 1_000_100, "c3", "c2"),
    ]
    for cmd in named:
        obj = command_to_json(cmd)
        assert obj["orig_client_order_id"] == cmd.orig_client_order_id
        assert command_from_json(json.loads(json.dumps(obj)), seq_no=999) == cmd


def test_command_enums_are_lower_case_names() -> None:
    obj = command_to_json(ONE_OF_EACH[0])
    assert (obj["side"], obj["order_type"], obj["tif"]) == ("buy", "limit", "day")
    assert command_to_json(ONE_OF_EACH[11])["mode"] == "cancel_both"


def _order(**changes: Any) -> dict[str, Any]:
    obj: dict[str, Any] = {
        "type": "new_order", "firm": "F", "account": "A", "symbol": "S", "side": "buy",
        "order_type": "limit", "tif": "day", "qty": 10, "price": 100, "client_order_id": "x",
    }  # fmt: skip
    obj.update(changes)
    return {k: v for k, v in obj.items() if v is not None}


def test_defaults_seq_no_ts_and_post_only_when_absent() -> None:
    cmd = command_from_json(_order(), seq_no=7, ts=42)
    assert (cmd.seq_no, cmd.ts) == (7, 42)
    assert isinstance(cmd, NewOrder) and cmd.post_only is False


def test_market_order_may_omit_its_price() -> None:
    cmd = command_from_json(_order(order_type="market", tif="ioc", price=None), seq_no=1)
    assert isinstance(cmd, NewOrder) and cmd.price == 0


@pytest.mark.parametrize(
    ("obj", "field"),
    [
        ({"type": "teleport"}, "type"),
        ({"firm": "F"}, "type"),
        ([1, 2], "type"),
        (_order(qty=None), "qty"),
        (_order(colour="red"), "colour"),
        (_order(qty="10"), "qty"),
        (_order(qty=10.0), "qty"),
        (_order(qty=True), "qty"),
        (_order(post_only=1), "post_only"),
        (_order(qty=-1), "qty"),
        (_order(ts=-5), "ts"),
        (_order(seq_no=-1), "seq_no"),
        (_order(side="long"), "side"),
        (_order(side=1), "side"),
        (_order(tif="DAY"), "tif"),
        (_order(account=""), "account"),
        (_order(account=7), "account"),
        (_order(price=None), "price"),
        ({"type": "set_self_trade_prevention", "firm": "F", "mode": "kill"}, "mode"),
    ],
)
def test_bad_command_raises_format_error_naming_the_field(obj: Any, field: str) -> None:
    with pytest.raises(CommandFormatError) as info:
        command_from_json(obj, seq_no=1)
    assert info.value.field == field
    assert str(info.value).startswith(f"{field}: ")


def test_reader_numbers_commands_by_position_and_carries_ts_forward() -> None:
    reader = CommandReader()
    first = reader.read_line('{"type": "halt", "symbol": "S", "ts": 5}')
    second = reader.read_line(b'{"type": "resume", "symbol": "S"}')
    assert (first.seq_no, first.ts, second.seq_no, second.ts) == (1, 5, 2, 5)


def test_reader_accepts_explicit_increasing_seq_no_and_refuses_a_step_back() -> None:
    reader = CommandReader()
    assert reader.read({"type": "halt", "symbol": "S", "seq_no": 10}).seq_no == 10
    assert reader.read({"type": "halt", "symbol": "S"}).seq_no == 11
    with pytest.raises(CommandFormatError, match="seq_no"):
        reader.read({"type": "halt", "symbol": "S", "seq_no": 11})
    assert reader.read({"type": "halt", "symbol": "S"}).seq_no == 12


def test_reader_reports_invalid_json_as_a_format_error() -> None:
    with pytest.raises(CommandFormatError) as info:
        CommandReader().read_line(b"{not json\n")
    assert info.value.field == "json"
    with pytest.raises(CommandFormatError):
        CommandReader().read_line(b"\xff\xfe")


FILL = Fill(5, "A1", "XYZ", Side.BUY, 10, 1_000_000, 0, 77, Liquidity.MAKER, 5_000_000)


def test_event_json_has_seq_sub_type_first_then_fields_in_order() -> None:
    obj = event_to_json(3, 1, FILL)
    assert list(obj)[:3] == ["seq", "sub", "type"]
    assert list(obj)[3:] == list(Fill._fields)
    assert (obj["type"], obj["side"], obj["liquidity"]) == ("fill", "buy", "maker")


def test_event_line_is_compact_deterministic_ascii() -> None:
    reject = Rejected(4, "Ä", "c", 0, RejectReason.INSUFFICIENT_CASH, "no cash")
    line = encode_event_line(4, 0, reject)
    assert line == (
        b'{"seq":4,"sub":0,"type":"rejected","seq_no":4,"account":"\\u00c4",'
        b'"client_order_id":"c","order_id":0,"reason":"insufficient_cash","text":"no cash"}\n'
    )
    assert encode_event_line(4, 0, reject) == line


def test_event_type_names_are_unique_snake_case() -> None:
    names = list(EVENT_TYPES.values())
    assert len(set(names)) == len(names)
    assert all(n == n.lower() and " " not in n for n in names)
    status = encode_event_line(1, 0, TradingStatus("S", True))
    assert status.endswith(b'"halted":true}\n')


def test_digest_equals_xxh3_of_the_concatenated_lines() -> None:
    batches: list[tuple[int, list[Event]]] = [
        (1, [StpSet("F", SelfTradePrevention.CANCEL_RESTING)]),
        (2, []),
        (3, [FILL, CancelledEvent(5, "A1", 10, CancelReason.USER)]),
    ]
    digest = OutputDigest()
    written = b"".join(digest.update(seq, events) for seq, events in batches)
    assert written == b"".join(encode_events(seq, events) for seq, events in batches)
    assert digest.hexdigest() == xxhash.xxh3_64(written).hexdigest()
    assert digest.count == 3 == written.count(b"\n")


@given(st.integers(0, 2**63), st.integers(0, 2**63), st.text())
def test_any_new_order_round_trips(qty: int, price: int, client_order_id: str) -> None:
    cmd = NewOrder(1, 0, "F", "A", "S", Side.SELL, OrderType.LIMIT, TimeInForce.FOK, qty, price,
                   client_order_id, True)  # fmt: skip
    assert command_from_json(json.loads(json.dumps(command_to_json(cmd))), seq_no=1) == cmd


def _event_strategy(cls: type) -> st.SearchStrategy[Event]:
    fields: list[st.SearchStrategy[Any]] = []
    for name in cls._fields:  # type: ignore[attr-defined]
        kind = get_type_hints(cls)[name]
        if kind is bool:
            fields.append(st.booleans())
        elif kind is int:
            fields.append(st.integers(-(2**70), 2**70))
        elif kind is str:
            fields.append(st.text())
        else:  # an enum member, or the plain int a restored engine object may carry
            fields.append(st.sampled_from(list(kind)) | st.sampled_from([int(m) for m in kind]))
    return st.tuples(*fields).map(lambda values: cls(*values))


any_event = st.one_of([_event_strategy(cls) for cls in EVENT_TYPES])


@given(st.integers(0, 2**64), st.integers(0, 1_000_000), any_event)
def test_fast_event_encoding_equals_the_json_reference(seq: int, sub: int, event: Event) -> None:
    line = encode_event_line(seq, sub, event)
    assert line == (json_encode(event_to_json(seq, sub, event)) + "\n").encode("ascii")
    assert line.endswith(b"\n") and line.count(b"\n") == 1
    decoded = json.loads(line)
    assert list(decoded) == ["seq", "sub", "type", *type(event)._fields]


def test_the_cache_of_repeated_strings_stays_bounded_and_exact() -> None:
    from engine.canonical import events as module

    limit = module._STR_CACHE_LIMIT
    for i in range(limit + 10):
        account = f"acct-{i}-\u00e9"
        event = CancelledEvent(i, account, 1, CancelReason.USER)
        expected = json_encode(event_to_json(i, 0, event)).encode() + b"\n"
        assert encode_event_line(i, 0, event) == expected
        assert len(module._str_cache) <= limit
