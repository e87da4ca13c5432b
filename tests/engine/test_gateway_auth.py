"""Who may log in (firm passwords, the operator's) and what each may send."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from engine.config import ConfigError, load_config, parse_config
from engine.domain.types import CancelOrder, Deposit, NewOrder, OpenAccount, ReplaceOrder
from engine.gateway.accounts import AccountRegistry
from engine.gateway.auth import (
    BAD_CREDENTIALS,
    FAILURE_REASONS,
    OPERATOR,
    OPERATOR_DISABLED,
    UNKNOWN_FIRM,
    UNKNOWN_SESSION,
    WRONG_OPERATOR_PASSWORD,
    WRONG_PASSWORD,
    Authenticator,
    LoginFailure,
    Principal,
)
from engine.gateway.validate import (
    ADMIN_COMMANDS,
    FIRM_COMMANDS,
    Refusal,
    echoed_client_order_id,
    validate,
)
from engine.passwords import hash_password

DEMO = Path(__file__).resolve().parents[2] / "config" / "demo.toml"
ALPHA = Principal("ALPHA", frozenset({"ALPHA-1"}))
#: the gateway's view of who owns which account (engine.gateway.accounts)
OWNERS = AccountRegistry({"ALPHA-1": "ALPHA", "BETA-1": "BETA", "ALPHA-9": "ALPHA"})
#: a cheap hash for config tests (the format is self-describing; n = 2 is fast, not safe)
CHEAP = hash_password("pw", n=2, r=1, p=1)
DEMO_AUTH = Authenticator(load_config(DEMO))


def test_the_demo_config_holds_hashes_of_the_readme_passwords() -> None:
    config = load_config(DEMO)
    assert config.admin_password_hash is not None
    assert config.admin_password_hash.verify("admin-pass")
    assert [(f.firm, f.password_hash.verify(f"{f.firm.lower()}-pass")) for f in config.firms] == [
        ("ALPHA", True),
        ("BETA", True),
    ]
    assert "-pass" not in "".join(line.split("#")[0] for line in DEMO.read_text().splitlines()), (
        "a demo password in clear outside a comment"
    )
    assert config.endpoints["json"] == "127.0.0.1:9877"


def test_without_an_admin_table_there_is_no_operator_login() -> None:
    config = parse_config("")
    assert config.admin_password_hash is None
    assert config.endpoints["json"] == "127.0.0.1:9877"
    assert Authenticator(config).authenticate(None, "") == OPERATOR_DISABLED


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            '[admin]\npassword = "admin-pass"\n',
            r"admin\.password: plain passwords are not accepted",
        ),
        (
            '[[firms]]\nfirm = "F"\npassword = "pw"\n',
            r"firms\[0\]\.password: plain passwords are not accepted; store a hash as "
            r"password_hash \(run `sequex passwd`",
        ),
        ('[[firms]]\nfirm = "F"\n', r"firms\[0\]\.password_hash: is required"),
        ('[admin]\npassword_hash = "admin-pass"\n', r"admin\.password_hash: not a password hash"),
        (
            '[admin]\npassword_hash = "scrypt$3$8$1$AAAAAAAAAAA=$AAAAAAAAAAAAAAAAAAAAAA=="\n',
            "power of two",
        ),
        (
            '[admin]\npassword_hash = "scrypt$1048576$8$1$AAAAAAAAAAA=$AAAAAAAAAAAAAAAAAAAAAA=="\n',
            "memory",
        ),
        (
            '[admin]\npassword_hash = "scrypt$16384$8$64$AAAAAAAAAAA=$AAAAAAAAAAAAAAAAAAAAAA=="\n',
            "too long",
        ),
        ('[admin]\npassword_hash = "scrypt$2$1$1$AAAA$AAAAAAAAAAAAAAAAAAAAAA=="\n', "salt must be"),
        ('[admin]\npassword_hash = "scrypt$2$1$1$AAAAAAAAAAA=$not*base64"\n', "hash is not"),
    ],
)
def test_a_plain_password_or_a_bad_hash_is_refused_naming_the_key(text: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        parse_config(text)


def test_the_admin_table_is_checked_like_the_rest() -> None:
    with pytest.raises(ConfigError, match=r"admin\.user: is not a known key"):
        parse_config(f'[admin]\npassword_hash = "{CHEAP}"\nuser = "root"\n')
    with pytest.raises(ConfigError, match=r"admin\.password_hash"):
        parse_config('[admin]\npassword_hash = ""\n')
    config = parse_config(f'[admin]\npassword_hash = "{CHEAP}"\n')
    assert Authenticator(config).authenticate(None, "pw") == OPERATOR


@pytest.mark.parametrize(
    ("firm", "password", "expected"),
    [
        ("ALPHA", "alpha-pass", Principal("ALPHA", frozenset({"ALPHA-1"}))),
        ("BETA", "beta-pass", Principal("BETA", frozenset({"BETA-1", "BETA-2"}))),
        ("ALPHA", "beta-pass", WRONG_PASSWORD),
        ("ALPHA", "alpha-pass ", WRONG_PASSWORD),
        ("ALPHA", "", WRONG_PASSWORD),
        ("GAMMA", "alpha-pass", UNKNOWN_FIRM),
        (None, "admin-pass", OPERATOR),
        (None, "alpha-pass", WRONG_OPERATOR_PASSWORD),
        ("ALPHA", "\u00e9", WRONG_PASSWORD),
        ("ALPHA", "\ud800", WRONG_PASSWORD),  # a lone surrogate, which JSON can carry
    ],
)
def test_authentication_table(firm: str | None, password: str, expected: object) -> None:
    assert DEMO_AUTH.authenticate(firm, password) == expected


def test_a_named_json_session_must_be_one_of_the_firms_after_the_right_password() -> None:
    alpha = DEMO_AUTH.authenticate_firm("ALPHA", "alpha-pass")
    assert DEMO_AUTH.authenticate_firm("ALPHA", "alpha-pass", "ALPHAJSON") == alpha
    assert DEMO_AUTH.authenticate_firm("ALPHA", "wrong", "ALPHAJSON") == WRONG_PASSWORD
    for other in ("BETAJSON", "ALPHA1", "ALPHAFIX", "NOPE"):  # another firm's, not JSON, none
        assert DEMO_AUTH.authenticate_firm("ALPHA", "alpha-pass", other) == UNKNOWN_SESSION


def test_every_failure_is_refused_the_same_way_and_says_why_only_to_the_log() -> None:
    failures = [
        DEMO_AUTH.authenticate_firm("GAMMA", "x"),
        DEMO_AUTH.authenticate_firm("ALPHA", "x"),
        DEMO_AUTH.authenticate_firm("ALPHA", "alpha-pass", "BETAJSON"),  # not ALPHA's session
        DEMO_AUTH.authenticate_operator("x"),
        Authenticator(parse_config("")).authenticate_operator("x"),
    ]
    assert all(isinstance(f, LoginFailure) for f in failures)
    assert {f.refusal for f in failures if isinstance(f, LoginFailure)} == {BAD_CREDENTIALS}
    assert {f.reason for f in failures if isinstance(f, LoginFailure)} == FAILURE_REASONS


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
        (ALPHA, _order(qty=1 << 70), "out_of_range"),
        (ALPHA, _order(price=10**30), "out_of_range"),
        (ALPHA, _order(firm=7), "bad_command"),
        (
            ALPHA,
            {"type": "cancel_order", "firm": "BETA", "account": "BETA-1", "order_id": 1},
            "wrong_firm",
        ),
        (
            ALPHA,
            {"type": "cancel_order", "account": "ALPHA-1", "order_id": 1 << 63},
            "out_of_range",
        ),
        (
            ALPHA,
            {"type": "cancel_order", "account": "ALPHA-1", "order_id": 1, "client_order_id": 5},
            "bad_command",
        ),
        (
            ALPHA,
            {
                "type": "cancel_order",
                "account": "ALPHA-1",
                "order_id": 1,
                "client_order_id": "x" * 21,
            },
            "too_long",
        ),
        (
            ALPHA,
            {
                "type": "cancel_order",
                "account": "ALPHA-1",
                "order_id": 1,
                "client_order_id": "\u00e9",
            },
            "too_long",
        ),
        (
            OPERATOR,
            {"type": "deposit", "account": "A", "asset": "CASH", "amount": 2**63},
            "out_of_range",
        ),
        (ALPHA, _order(symbol="ACME-LONG-NAME"), "too_long"),
        (OPERATOR, {"type": "halt", "symbol": "\u00e9"}, "too_long"),
        (  # FIX's OrigClOrdID, journaled with FIX cancels: no field of this protocol's
            ALPHA,
            {
                "type": "cancel_order",
                "account": "ALPHA-1",
                "order_id": 1,
                "orig_client_order_id": "a",
            },
            "bad_command",
        ),
        (ALPHA, _order(orig_client_order_id="a"), "bad_command"),
    ],
)
def test_refusal_table(principal: Principal, obj: dict[str, Any], code: str) -> None:
    result = validate(principal, obj, 0, OWNERS)
    assert isinstance(result, Refusal) and result.code == code, result


def test_the_operator_may_send_every_admin_command_and_a_firm_every_order_command() -> None:
    assert len(ADMIN_COMMANDS) == 10 and len(FIRM_COMMANDS) == 3
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


def test_firm_is_optional_on_every_firm_command_and_must_be_the_sessions_own() -> None:
    without = {k: v for k, v in _order().items() if k != "firm"}
    assert validate(ALPHA, without, 0, OWNERS) == validate(ALPHA, _order(), 0, OWNERS)
    cancel = {"type": "cancel_order", "account": "ALPHA-1", "order_id": 4}
    assert validate(ALPHA, {**cancel, "firm": "ALPHA"}, 0, OWNERS) == CancelOrder(
        0, 0, "ALPHA-1", 4
    )
    replace = {"type": "replace_order", "account": "ALPHA-1", "order_id": 4, "qty": 5, "price": 9}
    assert validate(ALPHA, {**replace, "firm": "ALPHA"}, 0, OWNERS) == ReplaceOrder(
        0, 0, "ALPHA-1", 4, 5, 9
    )
    assert validate(ALPHA, {**replace, "firm": "BETA"}, 0, OWNERS) == Refusal(
        "wrong_firm", "firm must be your own (ALPHA), not 'BETA'"
    )


def test_cancel_and_replace_may_carry_a_client_order_id_that_only_the_gateway_sees() -> None:
    cancel = {"type": "cancel_order", "account": "ALPHA-1", "order_id": 4, "client_order_id": "k1"}
    assert validate(ALPHA, cancel, 0, OWNERS) == CancelOrder(0, 0, "ALPHA-1", 4)
    assert echoed_client_order_id(cancel) == "k1"
    assert echoed_client_order_id({"type": "cancel_order"}) is None
    # the operator's commands keep their exact shape: no client_order_id, no firm where none
    halt = {"type": "halt", "symbol": "ACME", "client_order_id": "k"}
    assert validate(OPERATOR, halt, 0, OWNERS) == Refusal(
        "bad_command", "client_order_id: unknown field for halt"
    )


def test_a_huge_integer_is_refused_naming_the_field_and_its_range() -> None:
    refused = validate(ALPHA, _order(qty=10**30), 0, OWNERS)
    assert refused == Refusal(
        "out_of_range",
        "qty: must be an integer from 0 to 9223372036854775807, "
        "got 1000000000000000000000000000000",
    )
    assert isinstance(validate(ALPHA, _order(qty=2**63 - 1), 0, OWNERS), NewOrder)


@pytest.mark.parametrize(
    "obj",
    [
        _order(account="A" * 65536),
        _order(symbol="S" * 65536),
        _order(side="s" * 65536),
        _order(qty="9" * 65536),
        _order(**{"k" * 65536: 1}),
        {
            "type": "cancel_order",
            "account": "ALPHA-1",
            "order_id": 1,
            "client_order_id": "c" * 65536,
        },
        _order(firm="F" * 65536),
    ],
)
def test_an_error_text_quotes_a_huge_value_cut_short(obj: dict[str, Any]) -> None:
    refused = validate(ALPHA, obj, 0, OWNERS)
    assert isinstance(refused, Refusal) and len(refused.text) < 200, refused
    assert "..." in refused.text
