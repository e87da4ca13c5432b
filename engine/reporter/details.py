"""The ``detail`` column of ``commands``: a command as its canonical JSON text, written fast.

Contract: :func:`command_detail` returns exactly
``json.dumps(command_to_json(cmd), separators=(",", ":"))`` (``engine.canonical.commands``:
type, seq_no, ts, then the fields in their spec order, enums as lower-case names, ASCII with
everything else escaped as ``json`` does), whether an order command's enum fields hold members or
plain ints (the reference names members only). ``tests/engine/reporter/test_details.py`` holds the
two equal over every command class and over strings that need escaping.

Why not the reference itself: it builds a dict per command and walks it in ``json``'s encoder,
about half the row builder's time. The order commands (nearly every command of a trading day)
are one ``%``-format each here, with the strings escaped by ``json``'s own C escaper; every
other command (setup and admin) goes through the reference.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from enum import IntEnum
from json.encoder import encode_basestring_ascii
from typing import Any, Final

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

__all__ = ["command_detail"]


def _quoted(kind: type[IntEnum]) -> dict[int, str]:
    """enum value -> its JSON string (the lower-case name, quoted); keys match members too."""
    return {int(member): f'"{member.name.lower()}"' for member in kind}


_SIDE: Final = _quoted(Side)
_ORDER_TYPE: Final = _quoted(OrderType)
_TIF: Final = _quoted(TimeInForce)
_BOOL: Final = {False: "false", True: "true"}

# One format per order command; the keys in COMMAND_SPECS order (the test compares them).
_NEW_ORDER: Final = (
    '{"type":"new_order","seq_no":%d,"ts":%d,"firm":%s,"account":%s,"symbol":%s,"side":%s,'
    '"order_type":%s,"tif":%s,"qty":%d,"price":%d,"client_order_id":%s,"post_only":%s}'
)
_CANCEL_ORDER: Final = (
    '{"type":"cancel_order","seq_no":%d,"ts":%d,"account":%s,"order_id":%d,"client_order_id":%s}'
)
_REPLACE_ORDER: Final = (
    '{"type":"replace_order","seq_no":%d,"ts":%d,"account":%s,"order_id":%d,"qty":%d,'
    '"price":%d,"client_order_id":%s}'
)


def _new_order(cmd: Any) -> str:
    seq, ts, firm, account, symbol, side, otype, tif, qty, price, clid, post_only = cmd
    q = encode_basestring_ascii
    return _NEW_ORDER % (
        seq, ts, q(firm), q(account), q(symbol), _SIDE[side], _ORDER_TYPE[otype], _TIF[tif],
        qty, price, q(clid), _BOOL[post_only],
    )  # fmt: skip


def _cancel_order(cmd: Any) -> str:
    seq, ts, account, order_id, clid = cmd
    q = encode_basestring_ascii
    return _CANCEL_ORDER % (seq, ts, q(account), order_id, q(clid))


def _replace_order(cmd: Any) -> str:
    seq, ts, account, order_id, qty, price, clid = cmd
    q = encode_basestring_ascii
    return _REPLACE_ORDER % (seq, ts, q(account), order_id, qty, price, q(clid))


def _reference(cmd: Command) -> str:
    return json.dumps(command_to_json(cmd), separators=(",", ":"))


_FAST: Final[dict[type[Any], Callable[[Any], str]]] = {
    NewOrder: _new_order,
    CancelOrder: _cancel_order,
    ReplaceOrder: _replace_order,
}


def command_detail(cmd: Command) -> str:
    """``cmd`` as canonical JSON text (see the module contract)."""
    return _FAST.get(type(cmd), _reference)(cmd)
