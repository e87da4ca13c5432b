"""SetRiskLimits with some limits kept (KEEP_LIMIT): the domain, the record, the JSON form.

`sequex admin limits ACCOUNT --max-open 7` sends only that limit; the others keep their values.
A journal written before KEEP_LIMIT existed must replay as it did: a negative limit (which
tests/engine/mixed_commands.py journals, -1 included) is still refused with INVALID_LIMITS.
"""

from __future__ import annotations

import pytest

from engine.canonical import CommandReader as JsonReader
from engine.canonical import command_from_json, command_to_json
from engine.canonical.command_lines import FastCommandReader
from engine.command_reader import CommandReader
from engine.domain.exchange import Exchange
from engine.domain.types import (
    KEEP_LIMIT,
    LimitsSet,
    OpenAccount,
    Rejected,
    RejectReason,
    SetRiskLimits,
)
from engine.records import RECORD, CommandDecoder, RecordError, encode_command


def _opened() -> Exchange:
    exchange = Exchange()
    exchange.submit(OpenAccount(0, 0, "F1", "A1"))
    return exchange


def _limits(exchange: Exchange, seq: int, *limits: int | None) -> list[object]:
    events: list[object] = exchange.submit(SetRiskLimits(seq, 0, "A1", *limits))
    return events


def test_a_kept_limit_keeps_its_value_and_the_event_reports_the_limits_in_force() -> None:
    exchange = _opened()
    assert _limits(exchange, 1, 10, 20, 30) == [LimitsSet("A1", 10, 20, 30)]
    assert _limits(exchange, 2, KEEP_LIMIT, KEEP_LIMIT, 7) == [LimitsSet("A1", 10, 20, 7)]
    assert _limits(exchange, 3, 0, KEEP_LIMIT, KEEP_LIMIT) == [LimitsSet("A1", 0, 20, 7)]
    assert _limits(exchange, 4, KEEP_LIMIT, KEEP_LIMIT, KEEP_LIMIT) == [LimitsSet("A1", 0, 20, 7)]
    account = exchange.risk.accounts["A1"]
    assert (account.max_order_qty, account.max_notional, account.max_open_orders) == (0, 20, 7)


def test_a_kept_limit_on_a_new_account_keeps_no_limit() -> None:
    assert _limits(_opened(), 1, KEEP_LIMIT, 500, KEEP_LIMIT) == [LimitsSet("A1", 0, 500, 0)]


@pytest.mark.parametrize("limits", [(-1, 0, 0), (KEEP_LIMIT, -1, KEEP_LIMIT), (0, 0, 2**63)])
def test_a_negative_or_oversized_limit_is_still_refused(limits: tuple[int | None, ...]) -> None:
    exchange = _opened()
    _limits(exchange, 1, 10, 20, 30)
    (event,) = _limits(exchange, 2, *limits)
    assert isinstance(event, Rejected) and event.reason == RejectReason.INVALID_LIMITS
    account = exchange.risk.accounts["A1"]
    assert (account.max_order_qty, account.max_notional, account.max_open_orders) == (10, 20, 30)


@pytest.mark.parametrize(
    "limits",
    [(1, 2, 3), (-1, 0, 5), (KEEP_LIMIT, 2, 3), (1, KEEP_LIMIT, KEEP_LIMIT), (None, None, None)],
)
def test_the_record_round_trips_kept_limits_in_both_decoders(
    limits: tuple[int | None, ...],
) -> None:
    cmd = SetRiskLimits(9, 99, "A1", *limits)
    record = encode_command(cmd)
    assert CommandDecoder().decode(record)[0] == cmd
    assert CommandReader().decode_many(record) == [cmd]  # the compiled reader


def test_a_record_without_a_keep_mask_is_the_old_record() -> None:
    # what every journal written before KEEP_LIMIT holds: d = 0, a negative limit as it is
    fields = list(RECORD.unpack(encode_command(SetRiskLimits(3, 4, "A1", -1, 0, 5))))
    assert fields[10] == 0  # d
    fields[10] = 0b1000  # a bit no limit has
    with pytest.raises(RecordError, match="keep mask"):
        CommandDecoder().decode(RECORD.pack(*fields))


def test_json_leaves_a_kept_limit_out_both_ways() -> None:
    obj = {"type": "set_risk_limits", "account": "A1", "max_open_orders": 7}
    cmd = command_from_json(obj, seq_no=1)
    assert cmd == SetRiskLimits(1, 0, "A1", KEEP_LIMIT, KEEP_LIMIT, 7)
    assert command_to_json(cmd) == {"seq_no": 1, "ts": 0, **obj}
    line = b'{"type":"set_risk_limits","account":"A1","max_notional":0}'
    assert FastCommandReader().read_line(line) == JsonReader().read_line(line)
    assert JsonReader().read_line(line) == SetRiskLimits(1, 0, "A1", None, 0, None)
