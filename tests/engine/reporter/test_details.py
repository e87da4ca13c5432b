"""The ``detail`` column (engine.reporter.details) is the reference canonical JSON text."""

from __future__ import annotations

import json

from hypothesis import given
from hypothesis import strategies as st

from engine.canonical.commands import command_to_json
from engine.domain.types import (
    CancelOrder,
    Command,
    NewOrder,
    OrderType,
    ReplaceOrder,
    Side,
    TimeInForce,
)
from engine.reporter.details import command_detail
from tests.engine.reporter.journals import mixed


def _reference(cmd: Command) -> str:
    if isinstance(cmd, NewOrder):  # the reference names enum members only, not plain ints
        cmd = cmd._replace(
            side=Side(cmd.side), order_type=OrderType(cmd.order_type), tif=TimeInForce(cmd.tif)
        )
    return json.dumps(command_to_json(cmd), separators=(",", ":"))


def test_every_command_kind_has_the_reference_text() -> None:
    commands = mixed(400)  # enum fields as plain ints, as some stages hand them
    assert len({type(cmd) for cmd in commands}) >= 10
    for cmd in commands:
        assert command_detail(cmd) == _reference(cmd), cmd


_TEXT = st.text(min_size=1, max_size=12)  # quotes, backslashes, controls, DEL, non-ASCII


@given(_TEXT, _TEXT, _TEXT, _TEXT, st.sampled_from(Side), st.sampled_from(OrderType),
       st.sampled_from(TimeInForce), st.integers(0, 2**63 - 1), st.booleans())  # fmt: skip
def test_order_commands_escape_their_strings_as_json_does(
    firm: str, account: str, symbol: str, clid: str, side: Side, otype: OrderType,
    tif: TimeInForce, number: int, post_only: bool,
) -> None:  # fmt: skip
    commands: list[Command] = [
        NewOrder(number, number, firm, account, symbol, side, otype, tif, number, number, clid,
                 post_only),
        CancelOrder(1, 2, account, number, clid),
        ReplaceOrder(1, 2, account, 3, number, number, clid),
    ]  # fmt: skip
    for cmd in commands:
        assert command_detail(cmd) == _reference(cmd)
