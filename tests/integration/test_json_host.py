"""A named JSON session against a real host (`sequex run`): its reports survive its
disconnects, a clean restart of the host and a SIGKILL of the whole host; the numbers, and
the lines, never change."""

from __future__ import annotations

import os
import signal
from pathlib import Path
from typing import Any

import pytest

from tests.demo_config import demo_text
from tests.engine.gateway_harness import Client, order
from tests.integration.test_ouch_host import _start, _stop

TIMEOUT = 30.0


def _login(port: int, firm: str, password: str, session: str, first: int) -> Client:
    client = Client(port, timeout=TIMEOUT)
    login = {"type": "login", "firm": firm, "password": password, "session": session}
    client.send({**login, "from": first})
    ok = client.read()
    assert ok["type"] == "login_ok" and ok["name"] == session, ok
    return client


def _reports(client: Client, count: int) -> list[dict[str, Any]]:
    """The next ``count`` numbered report lines (answers to commands skipped)."""
    out: list[dict[str, Any]] = []
    while len(out) < count:
        line = client.read()
        if "n" in line:
            out.append(line)
        else:
            assert line["type"] == "sequenced", line
    return out


def _logout(client: Client) -> None:
    client.send({"type": "logout"})
    client.read_until(lambda line: line["type"] == "logged_out")
    client.close()


@pytest.mark.timeout(240)
def test_a_named_sessions_reports_survive_a_restart_and_a_crash(tmp_path: Path) -> None:
    text, endpoints = demo_text(tmp_path / "var", window=1)
    config = tmp_path / "host.toml"
    config.write_text(text)
    port = int(endpoints["json"].rpartition(":")[2])
    prefix = f"sequex-json{os.getpid()}-"

    host = _start(config, prefix)
    alpha = _login(port, "ALPHA", "alpha-pass", "ALPHAJSON", 0)
    alpha.send(order("sell", 100, 1_000_000, firm=None, client_order_id="s1"))
    (accepted,) = _reports(alpha, 1)
    assert (accepted["n"], accepted["type"]) == (1, "accepted")
    _logout(alpha)  # away while its offer trades
    beta = _login(port, "BETA", "beta-pass", "BETAJSON", 0)
    beta.send(order("buy", 30, 1_000_000, firm=None, account="BETA-1", client_order_id="b1"))
    assert [r["type"] for r in _reports(beta, 2)] == ["accepted", "fill"]
    _logout(beta)
    _stop(host, prefix)

    host = _start(config, prefix)  # a clean restart: the stores are on disk
    alpha = _login(port, "ALPHA", "alpha-pass", "ALPHAJSON", 2)
    (fill,) = _reports(alpha, 1)
    assert (fill["n"], fill["type"], fill["fill_qty"], fill["leaves_qty"]) == (2, "fill", 30, 70)
    beta = _login(port, "BETA", "beta-pass", "BETAJSON", 0)
    beta.send(order("buy", 20, 1_000_000, firm=None, account="BETA-1", client_order_id="b2"))
    assert [r["type"] for r in _reports(beta, 2)] == ["accepted", "fill"]
    (second,) = _reports(alpha, 1)
    assert (second["n"], second["type"], second["fill_qty"]) == (3, "fill", 20)
    _logout(beta)
    _logout(alpha)
    os.killpg(host.pid, signal.SIGKILL)  # the whole host, stores mid-flight and all
    host.wait(timeout=60)

    host = _start(config, prefix)  # recovers; the stores catch up from the journal
    try:
        alpha = _login(port, "ALPHA", "alpha-pass", "ALPHAJSON", 1)
        assert _reports(alpha, 3) == [accepted, fill, second]
        alpha.send({"type": "cancel_order", "order_id": accepted["order_id"]})
        (cancelled,) = _reports(alpha, 1)
        assert (cancelled["n"], cancelled["type"], cancelled["remaining_qty"]) == (
            4, "cancelled", 50,
        )  # fmt: skip
        _logout(alpha)
    finally:
        _stop(host, prefix)
