"""Authorisation and validation of one request: a parsed JSON object becomes a Command or a
:class:`Refusal`. Pure: the receive time ``ts`` is an argument (the server reads the clock).

Rules, checked in this order (the first failure is the answer):

1. ``seq_no`` and ``ts`` are not the client's to give (the sequencer assigns seq_no, the
   gateway stamps ts): ``field_not_allowed``.
2. A firm may send only new_order / cancel_order / replace_order; the operator only the admin
   commands: ``not_permitted``.
3. The object must be a valid command (``engine.canonical.command_from_json``): ``bad_command``
   naming the field.
4. A firm acts only for itself (``firm`` of a new_order is its own: ``wrong_firm``) and only
   on accounts it owns (``not_owner``), as far as the gateway's account registry knows
   (``engine.gateway.accounts``; the exchange checks a new order's account again). Whether
   an order id belongs to the account is the engine's business reject (NOT_ORDER_OWNER),
   decided in sequence.
5. Text fields must fit the 128-byte command record (``engine.records``): ``too_long``.

Nothing refused here reaches ring[in].
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

from engine.canonical import CommandFormatError, command_from_json
from engine.domain.types import CancelOrder, Command, NewOrder, ReplaceOrder
from engine.gateway.accounts import AccountRegistry
from engine.gateway.auth import Principal
from engine.records import RecordError, encode_command

FIRM_COMMANDS: Final = frozenset({"new_order", "cancel_order", "replace_order"})
ADMIN_COMMANDS: Final = frozenset(
    {
        "open_account",
        "add_symbol",
        "deposit",
        "withdraw",
        "halt",
        "resume",
        "set_risk_limits",
        "set_self_trade_prevention",
        "end_of_day",
    }
)
_SEQUENCER_FIELDS: Final = ("seq_no", "ts")


@dataclass(frozen=True, slots=True)
class Refusal:
    code: str
    text: str


def validate(
    principal: Principal, obj: dict[str, Any], ts: int, accounts: AccountRegistry
) -> Command | Refusal:
    """The command ``obj`` describes, stamped with ``ts`` and seq_no 0 (the sequencer's to set),
    or why ``principal`` may not send it (``accounts``: who owns which account)."""
    for field in _SEQUENCER_FIELDS:
        if field in obj:
            return Refusal("field_not_allowed", f"{field} is assigned by the exchange")
    kind = obj.get("type")
    allowed = ADMIN_COMMANDS if principal.is_admin else FIRM_COMMANDS
    if kind not in allowed:
        role = "the operator" if principal.is_admin else "a firm"
        return Refusal("not_permitted", f"{kind!r} is not permitted for {role}")
    try:
        cmd = command_from_json(obj, seq_no=0, ts=ts)
    except CommandFormatError as exc:
        return Refusal("bad_command", f"{exc.field}: {exc.reason}")
    if isinstance(cmd, NewOrder) and cmd.firm != principal.firm:
        return Refusal("wrong_firm", f"firm must be your own ({principal.firm})")
    if isinstance(cmd, NewOrder | CancelOrder | ReplaceOrder) and not accounts.owns(
        principal.firm, cmd.account
    ):
        return Refusal("not_owner", f"account {cmd.account!r} is not one of your accounts")
    try:
        encode_command(cmd)
    except RecordError as exc:
        return Refusal("too_long", str(exc))
    return cmd
