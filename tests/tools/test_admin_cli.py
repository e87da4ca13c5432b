"""`sequex admin` against a live gateway (fake pipeline): exit 0 / 1 / 2, lines printed."""

from __future__ import annotations

import json
import socket

import pytest

from tests.engine.gateway_harness import Host, gateway_host
from tools.cli import main


@pytest.fixture(scope="module")
def host() -> object:
    with gateway_host() as running:
        yield running


def admin(host: Host, *args: str, password: str = "admin-pass") -> int:
    endpoint = f"127.0.0.1:{host.port}"
    return main(["admin", "--endpoint", endpoint, "--password", password, "--timeout", "5", *args])


def lines(out: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in out.splitlines()]


def test_a_deposit_prints_the_balance_change_and_exits_0(
    host: Host, capsys: pytest.CaptureFixture[str]
) -> None:
    assert admin(host, "deposit", "BETA-2", "CASH", "500") == 0
    (event,) = lines(capsys.readouterr().out)
    assert event["type"] == "balance_changed" and event["account"] == "BETA-2"
    assert event["amount"] == 500 and event["total"] == 10_000_000_500


def test_every_action_reaches_the_exchange(host: Host, capsys: pytest.CaptureFixture[str]) -> None:
    assert admin(host, "add-symbol", "WIDGET", "--tick", "100", "--lot", "1",
                 "--reference", "500000", "--band-bps", "1000") == 0  # fmt: skip
    assert admin(host, "halt", "WIDGET") == 0
    assert admin(host, "resume", "WIDGET") == 0
    assert admin(host, "limits", "ALPHA-1", "--max-qty", "100", "--max-notional", "0",
                 "--max-open", "5") == 0  # fmt: skip
    assert admin(host, "stp", "BETA", "cancel_both") == 0
    assert admin(host, "end-of-day", "WIDGET") == 0
    assert admin(host, "withdraw", "BETA-2", "CASH", "1") == 0
    types = [e["type"] for e in lines(capsys.readouterr().out)]
    assert types == [
        "symbol_added",
        "trading_status",
        "trading_status",
        "limits_set",
        "stp_set",
        "day_ended",
        "balance_changed",
    ]
    assert host.pipeline.exchange.symbols().count("WIDGET") == 1


def test_an_exchange_rejection_exits_1_with_the_reason(
    host: Host, capsys: pytest.CaptureFixture[str]
) -> None:
    assert admin(host, "withdraw", "BETA-2", "CASH", str(10**15)) == 1
    captured = capsys.readouterr()
    assert lines(captured.out)[0]["type"] == "rejected"
    assert "rejected: insufficient_cash" in captured.err


def test_a_gateway_refusal_exits_1(host: Host, capsys: pytest.CaptureFixture[str]) -> None:
    assert admin(host, "deposit", "BETA-2", "CASH", "-5") == 1
    assert "refused: bad_command" in capsys.readouterr().err


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
