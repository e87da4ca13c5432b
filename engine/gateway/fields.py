"""Field limits a command must meet before it is sequenced. Pure and protocol-neutral.

A command that parsed can still not fit the 128-byte command record (``engine.records``):

* every integer field (qty, price, order_id, amount, limits, symbol spec) is a signed 64-bit
  slot, so it must lie in ``0 ..`` :data:`INT_MAX` (the parsers already refuse negatives);
* every text field has a fixed ASCII slot without NUL: firm 16, account 16, symbol and asset 8,
  client_order_id 20 characters (:data:`TEXT_LIMITS`).

:func:`check_fields` names the first field that does not fit and its allowed range, quoting the
value cut short (``engine.canonical.shown``). The JSON gateway answers ``out_of_range`` /
``too_long`` (``engine.gateway.validate``); FIX and OUCH map :class:`FieldProblem` to their own
reject codes. Fields are checked in the command's declaration order.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from engine.canonical.commands import COMMAND_SPECS, ID, TEXT, UINT
from engine.canonical.shown import shown
from engine.domain.types import Command
from engine.records import ACCOUNT_MAX, CLIENT_ORDER_ID_MAX, FIRM_MAX, SYMBOL_MAX

INT_MAX: Final = 2**63 - 1
#: text field -> most ASCII characters it holds
TEXT_LIMITS: Final[dict[str, int]] = {
    "firm": FIRM_MAX,
    "account": ACCOUNT_MAX,
    "symbol": SYMBOL_MAX,
    "asset": SYMBOL_MAX,
    "client_order_id": CLIENT_ORDER_ID_MAX,
    "orig_client_order_id": CLIENT_ORDER_ID_MAX,
}
OUT_OF_RANGE: Final = "out_of_range"
TOO_LONG: Final = "too_long"


@dataclass(frozen=True, slots=True)
class FieldProblem:
    """``field`` does not fit: ``code`` is OUT_OF_RANGE or TOO_LONG, ``text`` says the range."""

    code: str
    field: str
    text: str


def integer_problem(field: str, value: int) -> FieldProblem | None:
    if 0 <= value <= INT_MAX:
        return None
    text = f"{field}: must be an integer from 0 to {INT_MAX}, got {shown(value)}"
    return FieldProblem(OUT_OF_RANGE, field, text)


def text_problem(field: str, value: str) -> FieldProblem | None:
    limit = TEXT_LIMITS[field]
    if len(value) <= limit and value.isascii() and "\0" not in value:
        return None
    text = f"{field}: at most {limit} ASCII characters (no NUL), got {shown(value)}"
    return FieldProblem(TOO_LONG, field, text)


def check_fields(cmd: Command) -> FieldProblem | None:
    """The first field of ``cmd`` that does not fit its record slot, or None."""
    _, kinds = COMMAND_SPECS[type(cmd)]
    for field, kind in kinds.items():
        value = getattr(cmd, field)
        problem = None
        if kind == UINT and isinstance(value, int):  # a kept limit (None) has no slot value
            problem = integer_problem(field, value)
        elif kind in (ID, TEXT):
            problem = text_problem(field, value)
        if problem is not None:
            return problem
    return None
