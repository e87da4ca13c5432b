"""`sequex admin` against a live gateway (fake pipeline): exit 0 / 1 / 2, lines printed."""

from __future__ import annotations

import json
import socket

import pytest

from tests.engine.gateway_harness import Host, gateway_host, order
from tools.cli import main


@pytest.fixture(scope="module")
def host() -> object:
    with gateway_host() as running:
        yield running


def admin(host: Host, *args: str, password: str = "admin-pass") -> int:
    endpoint = f"127.0.0.1:{host.port}"
    return main(["admin", "--endpoint", endpoint, "--password", password, "--timeout", "5", *args])


LIMITS = ("max_order_qty", "max_notional", "max_open_orders")


def lines(out: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in out.splitlines()]


def test_a_cash_deposit_in_currency_units_prints_the_balance_change_and_exits_0(
    host: Host, capsys: pytest.CaptureFixture[str]
) -> None:
    before = host.pipeline.exchange.risk.accounts["BETA-2"].positions["CASH"].total
    assert admin(host, "deposit", "BETA-2", "--cash", "0.05") == 0  # 5 cents = 500 units
    (event,) = lines(capsys.readouterr().out)
    assert event["type"] == "balance_changed" and event["account"] == "BETA-2"
    assert event["asset"] == "CASH" and event["amount"] == 500
    assert event["total"] == before + 500


def test_a_share_deposit_and_withdrawal_are_whole_shares(
    host: Host, capsys: pytest.CaptureFixture[str]
) -> None:
    assert admin(host, "deposit", "BETA-2", "--shares", "ACME", "30") == 0
    assert admin(host, "withdraw", "BETA-2", "--shares", "ACME", "12") == 0
    first, second = lines(capsys.readouterr().out)
    assert (first["asset"], first["amount"]) == ("ACME", 30)
    assert (second["asset"], second["amount"], second["total"]) == ("ACME", -12, 18)


def test_every_action_reaches_the_exchange(host: Host, capsys: pytest.CaptureFixture[str]) -> None:
    assert admin(host, "add-symbol", "WIDGET", "--tick", "0.01", "--lot", "1",
                 "--reference", "50.00", "--band-bps", "1000") == 0  # fmt: skip
    assert admin(host, "halt", "WIDGET") == 0
    assert admin(host, "resume", "WIDGET") == 0
    assert admin(host, "limits", "ALPHA-1", "--max-qty", "100", "--max-notional", "0",
                 "--max-open", "5") == 0  # fmt: skip
    assert admin(host, "stp", "BETA", "cancel_both") == 0
    assert admin(host, "end-of-day", "WIDGET") == 0
    assert admin(host, "withdraw", "BETA-2", "--cash", "0.0001") == 0
    events = lines(capsys.readouterr().out)
    assert [e["type"] for e in events] == [
        "symbol_added",
        "trading_status",
        "trading_status",
        "limits_set",
        "stp_set",
        "day_ended",
        "balance_changed",
    ]
    added = events[0]
    assert (added["tick_size"], added["reference_price"]) == (100, 500_000)  # price units
    assert events[-1]["amount"] == -1
    assert host.pipeline.exchange.symbols().count("WIDGET") == 1


def test_limits_sends_only_the_flags_given_and_keeps_the_others(
    host: Host, capsys: pytest.CaptureFixture[str]
) -> None:
    assert admin(host, "limits", "BETA-1", "--max-qty", "500", "--max-notional", "12500.50",
                 "--max-open", "40") == 0  # fmt: skip
    assert admin(host, "limits", "BETA-1", "--max-open", "7") == 0
    assert admin(host, "limits", "BETA-1", "--max-notional", "0") == 0
    first, second, third = lines(capsys.readouterr().out)
    assert [first[k] for k in LIMITS] == [500, 125_005_000, 40]
    assert [second[k] for k in LIMITS] == [500, 125_005_000, 7]  # qty and notional kept
    assert [third[k] for k in LIMITS] == [500, 0, 7]  # 0: no notional limit any more
    account = host.pipeline.exchange.risk.accounts["BETA-1"]
    assert (account.max_order_qty, account.max_notional, account.max_open_orders) == (500, 0, 7)


def test_an_exchange_rejection_exits_1_with_the_reason(
    host: Host, capsys: pytest.CaptureFixture[str]
) -> None:
    assert admin(host, "withdraw", "BETA-2", "--cash", str(10**14)) == 1
    captured = capsys.readouterr()
    assert lines(captured.out)[0]["type"] == "rejected"
    assert "rejected: insufficient_cash" in captured.err


def test_a_gateway_refusal_exits_1(host: Host, capsys: pytest.CaptureFixture[str]) -> None:
    assert admin(host, "deposit", "B" * 40, "--cash", "1") == 1  # longer than the record holds
    assert "refused: too_long" in capsys.readouterr().err


def test_a_wrong_password_exits_2(host: Host, capsys: pytest.CaptureFixture[str]) -> None:
    assert admin(host, "halt", "ACME", password="guess") == 2
    assert "login refused: bad_credentials" in capsys.readouterr().err


def test_no_gateway_exits_2_without_a_traceback(capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # nobody listens there once closed
    code = main(["admin", "--endpoint", f"127.0.0.1:{port}", "--password", "x", "halt", "ACME"])
    assert code == 2
    err = capsys.readouterr().err
    assert "cannot connect" in err and "Traceback" not in err


def test_usage_errors_exit_2(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["admin", "deposit", "ALPHA-1"])
    assert exc.value.code == 2
    monkeypatch.delenv("SEQUEX_ADMIN_PASSWORD", raising=False)
    assert main(["admin", "halt", "ACME"]) == 2
    assert "no operator password" in capsys.readouterr().err
    assert main(["admin", "--endpoint", "nowhere", "--password", "x", "halt", "ACME"]) == 2


ADD_W = ["add-symbol", "W", "--lot", "1", "--reference", "1", "--band-bps", "1"]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["deposit", "BETA-2", "--cash", "0.00001"], "'0.00001' has more than 4 decimals"),
        (["deposit", "BETA-2", "--cash", "abc"], "'abc' is not an amount in currency units"),
        (["deposit", "BETA-2", "--cash", "-1"], "'-1' is negative"),
        (["withdraw", "BETA-2", "--cash", "0"], "'0' is zero"),
        (["deposit", "BETA-2", "--cash", "1e3"], "'1e3' is not an amount"),
        (["deposit", "BETA-2", "--cash", "nan"], "'nan' is not an amount"),
        (["deposit", "BETA-2", "--cash", "1000000000000000"], "more than the exchange can hold"),
        (["deposit", "BETA-2", "--shares", "ACME", "1.5"], "'1.5' is not a whole number"),
        (["deposit", "BETA-2", "--shares", "CASH", "5"], "CASH is not a symbol: use --cash"),
        (["deposit", "BETA-2", "CASH", "5000"], "one of the arguments --cash --shares"),
        (["deposit", "BETA-2", "--cash", "1", "--shares", "ACME", "1"], "not allowed with"),
        (["limits", "BETA-1", "--max-notional", "0.123456"], "more than 4 decimals"),
        (["limits", "BETA-1", "--max-qty", "-3"], "'-3' is negative"),
        ([*ADD_W, "--tick", "0.00001"], "'0.00001' has more than 4 decimals"),
    ],
)
def test_a_malformed_amount_is_a_usage_error_naming_it(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    # no host needed: nothing is sent (the endpoint refuses connections)
    with pytest.raises(SystemExit) as exc:
        main(["admin", "--endpoint", "127.0.0.1:1", "--password", "x", *argv])
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_limits_without_any_limit_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["admin", "--endpoint", "127.0.0.1:1", "--password", "x", "limits", "A"]) == 2
    assert "give at least one of --max-qty" in capsys.readouterr().err


def test_help_says_the_units(capsys: pytest.CaptureFixture[str]) -> None:
    for action in ("deposit", "limits", "add-symbol"):
        with pytest.raises(SystemExit):
            main(["admin", action, "--help"])
    out = capsys.readouterr().out
    assert "cash in currency units, e.g. 0.50" in out
    assert "QTY whole shares of SYMBOL" in out
    assert "largest order value (qty x price), in currency units" in out
    assert "price increment in currency units" in out


def test_an_account_is_opened_for_a_firm_and_a_typo_is_refused_not_created(
    host: Host, capsys: pytest.CaptureFixture[str]
) -> None:
    """`deposit BTEA-2` used to credit a new account and exit 0: now an account must be
    opened, and the firm that opened it can trade on it at once (the gateway learns the owner
    from the account_opened report)."""
    assert admin(host, "deposit", "BTEA-2", "--cash", "50") == 1
    captured = capsys.readouterr()
    assert "rejected: unknown_account" in captured.err
    assert "BTEA-2" not in host.pipeline.exchange.accounts()
    assert admin(host, "open-account", "ALPHA", "ALPHA-7") == 0
    (opened,) = lines(capsys.readouterr().out)
    assert opened["type"] == "account_opened" and opened["firm"] == "ALPHA"
    assert admin(host, "open-account", "BETA", "ALPHA-7") == 1
    assert "rejected: duplicate_account" in capsys.readouterr().err
    assert admin(host, "deposit", "ALPHA-7", "--cash", "1000") == 0
    capsys.readouterr()
    alpha, beta = host.client(), host.client()
    try:
        assert alpha.login()["type"] == "login_ok"
        assert beta.login("BETA", "beta-pass")["type"] == "login_ok"
        alpha.send(order("buy", 10, 990_000, account="ALPHA-7"))
        answers = alpha.read_until(lambda line: line.get("type") in ("accepted", "error"))
        assert answers[-1]["type"] == "accepted", answers
        beta.send(order("buy", 10, 990_000, firm="BETA", account="ALPHA-7"))
        assert beta.read()["code"] == "not_owner"  # refused by the gateway: not BETA's
    finally:
        alpha.close()
        beta.close()
