"""Authorisation and validation of one JSON request: a parsed JSON object becomes a Command or a
:class:`Refusal`. Pure: the receive time ``ts`` is an argument (the server reads the clock).

Rules, checked in this order (the first failure is the answer):

1. ``seq_no`` and ``ts`` are not the client's to give (the sequencer assigns seq_no, the
   gateway stamps ts): ``field_not_allowed``.
2. A firm may send only new_order / cancel_order / replace_order; the operator only the admin
   commands: ``not_permitted``.
3. The three firm commands have one shape: ``firm`` is optional on each (the session's firm is
   implied); given, it must be the session's own (``wrong_firm``; not a string:
   ``bad_command``). ``client_order_id`` is required on new_order and optional on cancel_order
   and replace_order, where the domain commands have no such field: the gateway checks it
   (a string, ``bad_command``; at most 20 ASCII characters, ``too_long``) and echoes it in its
   ``sequenced`` answer, and it goes no further.
4. The object must be a valid command (``engine.canonical.command_from_json``): ``bad_command``
   naming the field.
5. Every field must fit the 128-byte command record (``engine.gateway.fields``): an integer
   beyond 0 .. 2**63 - 1 is ``out_of_range``, a text field too long or not ASCII ``too_long``;
   the text names the field and its allowed range.
6. A firm acts only on accounts it owns (``not_owner``), as far as the gateway's account
   registry knows (``engine.gateway.accounts``; the exchange checks a new order's account
   again). Whether an order id belongs to the account is the engine's business reject
   (NOT_ORDER_OWNER), decided in sequence, which a firm is told as an unknown order
   (``engine.gateway.disclosure``).

Error texts quote a refused value cut short (``engine.canonical.shown``). Nothing refused here
reaches ring[in].
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

from engine.canonical import CommandFormatError, command_from_json
from engine.canonical.shown import shown
from engine.domain.types import CancelOrder, Command, NewOrder, ReplaceOrder
from engine.gateway.accounts import AccountRegistry
from engine.gateway.auth import Principal
from engine.gateway.fields import check_fields, text_problem

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
        "settle",
    }
)
#: Firm commands whose client_order_id is the gateway's to echo, not the command's.
ECHO_ONLY_CLIENT_ORDER_ID: Final = frozenset({"cancel_order", "replace_order"})
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
        return Refusal("not_permitted", f"{shown(kind)} is not permitted for {role}")
    if not principal.is_admin:
        shaped = _firm_shape(principal, obj)
        if isinstance(shaped, Refusal):
            return shaped
        obj = shaped
    try:
        cmd = command_from_json(obj, seq_no=0, ts=ts)
    except CommandFormatError as exc:
        return Refusal("bad_command", str(exc))  # names the field; values cut short
    problem = check_fields(cmd)
    if problem is not None:
        return Refusal(problem.code, problem.text)
    if isinstance(cmd, NewOrder | CancelOrder | ReplaceOrder) and not accounts.owns(
        principal.firm, cmd.account
    ):
        return Refusal("not_owner", f"account {shown(cmd.account)} is not one of your accounts")
    return cmd


def echoed_client_order_id(obj: dict[str, Any]) -> str | None:
    """The ``client_order_id`` the ``sequenced`` answer to a validated ``obj`` echoes."""
    value = obj.get("client_order_id")
    return value if isinstance(value, str) else None


def _firm_shape(principal: Principal, obj: dict[str, Any]) -> dict[str, Any] | Refusal:
    """``obj`` in the domain's shape (rule 3): a new_order with the session's firm, a cancel or
    replace without firm or client_order_id; or why not."""
    out = dict(obj)
    firm = out.pop("firm", principal.firm)
    if not isinstance(firm, str):
        return Refusal("bad_command", f"firm: expected a string, got {shown(firm)}")
    if firm != principal.firm:
        return Refusal("wrong_firm", f"firm must be your own ({principal.firm}), not {shown(firm)}")
    if out["type"] == "new_order":
        out["firm"] = firm
    elif "orig_client_order_id" in out:  # FIX's (journaled from OrigClOrdID): not this protocol's
        return Refusal("bad_command", f"orig_client_order_id: unknown field for {out['type']}")
    if out["type"] in ECHO_ONLY_CLIENT_ORDER_ID and "client_order_id" in out:
        cid = out.pop("client_order_id")
        if not isinstance(cid, str):
            return Refusal("bad_command", f"client_order_id: expected a string, got {shown(cid)}")
        problem = text_problem("client_order_id", cid)
        if problem is not None:
            return Refusal(problem.code, problem.text)
    return out
