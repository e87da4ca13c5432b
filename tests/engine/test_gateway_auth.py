"""Who may log in (firm passwords, the operator's) and what each may send."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from engine.config import ConfigError, load_config, parse_config
from engine.domain.types import CancelOrder, Deposit, NewOrder, OpenAccount
from engine.gateway.accounts import AccountRegistry
from engine.gateway.auth import (
    ADMIN_DISABLED,
    BAD_CREDENTIALS,
    OPERATOR,
    Authenticator,
    Principal,
)
from engine.gateway.validate import ADMIN_COMMANDS, FIRM_COMMANDS, Refusal, validate
from engine.protocols.json_session import Login

DEMO = Path(__file__).resolve().parents[2] / "config" / "demo.toml"
ALPHA = Principal("ALPHA", frozenset({"ALPHA-1"}))
#: the gateway's view of who owns which account (engine.gateway.accounts)
OWNERS = AccountRegistry({"ALPHA-1": "ALPHA", "BETA-1": "BETA", "ALPHA-9": "ALPHA"})


def test_the_demo_config_has_an_admin_password_and_the_json_endpoint() -> None:
    config = load_config(DEMO)
    assert config.admin_password == "admin-pass"
    assert config.endpoints["json"] == "127.0.0.1:9877"


def test_without_an_admin_table_there_is_no_operator_login() -> None:
    config = parse_config("")
    assert config.admin_password is None
    assert config.endpoints["json"] == "127.0.0.1:9877"
    assert Authenticator(config).authenticate(Login(None, "", 1)) == ADMIN_DISABLED


def test_the_admin_table_is_checked_like_the_rest() -> None:
    with pytest.raises(ConfigError, match=r"admin\.user: is not a known key"):
        parse_config('[admin]\npassword = "x"\nuser = "root"\n')
    with pytest.raises(ConfigError, match=r"admin\.password"):
        parse_config('[admin]\npassword = ""\n')


@pytest.mark.parametrize(
    ("firm", "password", "expected"),
    [
        ("ALPHA", "alpha-pass", Principal("ALPHA", frozenset({"ALPHA-1"}))),
        ("BETA", "beta-pass", Principal("BETA", frozenset({"BETA-1", "BETA-2"}))),
        ("ALPHA", "beta-pass", BAD_CREDENTIALS),
        ("ALPHA", "alpha-pass ", BAD_CREDENTIALS),
        ("GAMMA", "alpha-pass", BAD_CREDENTIALS),
        (None, "admin-pass", OPERATOR),
        (None, "alpha-pass", BAD_CREDENTIALS),
        ("ALPHA", "\u00e9", BAD_CREDENTIALS),
    ],
)
def test_authentication_table(firm: str | None, password: str, expected: object) -> None:
    assert Authenticator(load_config(DEMO)).authenticate(Login(firm, password, 1)) == expected


def _order(**changes: Any) -> dict[str, Any]:
    obj: dict[str, Any] = {
        "type": "new_order",
        "firm": "ALPHA",
        "account": "ALPHA-1",
        "symbol": "ACME",
        "side": "buy",
        "order_type": "limit",
        "tif": "day",
        "qty": 10,
        "price": 990_000,
        "client_order_id": "c1",
    }
    obj.update(changes)
    return obj


def test_a_firm_order_is_built_with_seq_no_0_and_the_given_ts() -> None:
    cmd = validate(ALPHA, _order(), 123, OWNERS)
    assert isinstance(cmd, NewOrder) and cmd.seq_no == 0 and cmd.ts == 123
    cancel = validate(
        ALPHA, {"type": "cancel_order", "account": "ALPHA-1", "order_id": 4}, 0, OWNERS
    )
    assert cancel == CancelOrder(0, 0, "ALPHA-1", 4)


@pytest.mark.parametrize(
    ("principal", "obj", "code"),
    [
        (ALPHA, _order(seq_no=1), "field_not_allowed"),
        (ALPHA, _order(ts=1), "field_not_allowed"),
        (ALPHA, _order(firm="BETA"), "wrong_firm"),
        (ALPHA, _order(account="BETA-1"), "not_owner"),
        (ALPHA, {"type": "cancel_order", "account": "BETA-1", "order_id": 1}, "not_owner"),
        (
            ALPHA,
            {"type": "replace_order", "account": "X", "order_id": 1, "qty": 1, "price": 1},
            "not_owner",
        ),
        (
            ALPHA,
            {"type": "deposit", "account": "ALPHA-1", "asset": "CASH", "amount": 1},
            "not_permitted",
        ),
        (ALPHA, {"type": "end_of_day", "symbol": "ACME"}, "not_permitted"),
        (OPERATOR, _order(), "not_permitted"),
        (OPERATOR, {"type": "cancel_order", "account": "A", "order_id": 1}, "not_permitted"),
        (ALPHA, _order(qty=True), "bad_command"),
        (ALPHA, _order(side="up"), "bad_command"),
        (ALPHA, _order(extra=1), "bad_command"),
        (ALPHA, _order(qty=1 << 70), "too_long"),
        (ALPHA, _order(symbol="ACME-LONG-NAME"), "too_long"),
        (OPERATOR, {"type": "halt", "symbol": "\u00e9"}, "too_long"),
    ],
)
def test_refusal_table(principal: Principal, obj: dict[str, Any], code: str) -> None:
    result = validate(principal, obj, 0, OWNERS)
    assert isinstance(result, Refusal) and result.code == code, result


def test_the_operator_may_send_every_admin_command_and_a_firm_every_order_command() -> None:
    assert len(ADMIN_COMMANDS) == 9 and len(FIRM_COMMANDS) == 3
    deposit = {"type": "deposit", "account": "ALPHA-1", "asset": "CASH", "amount": 5}
    assert validate(OPERATOR, deposit, 7, OWNERS) == Deposit(0, 7, "ALPHA-1", "CASH", 5)


def test_an_account_opened_at_run_time_is_the_firms_through_the_registry() -> None:
    """ALPHA-9 is in no configured principal: the registry (fed by AccountOpened and the
    recovered state) makes it ALPHA's; an account nobody registered is nobody's."""
    assert "ALPHA-9" not in ALPHA.accounts
    assert isinstance(validate(ALPHA, _order(account="ALPHA-9"), 0, OWNERS), NewOrder)
    refused = validate(ALPHA, _order(account="ALPHA-9"), 0, AccountRegistry())
    assert isinstance(refused, Refusal) and refused.code == "not_owner"
    opened = {"type": "open_account", "firm": "BETA", "account": "BETA-7"}
    assert validate(OPERATOR, opened, 3, OWNERS) == OpenAccount(0, 3, "BETA", "BETA-7")
    assert validate(ALPHA, opened, 3, OWNERS) == Refusal(
        "not_permitted", "'open_account' is not permitted for a firm"
    )
