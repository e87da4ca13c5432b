"""Failed logins through the JSON gateway: one answer for every failure, logged with the peer's
address, and slowed down per address without holding up anyone else. Loopback sockets and a
fake pipeline (gateway_harness); the timing margins are wide (a hold of seconds against work
that takes a fraction of one)."""

from __future__ import annotations

import asyncio
import logging
import socket
import time

import pytest

from engine.config import load_config
from engine.gateway.auth import Authenticator
from engine.gateway.login_guard import LoginGuard
from engine.gateway.logins import LoginDesk
from tests.engine.gateway_harness import DEMO, Client, gateway_host, order

REFUSED = {
    "type": "login_rejected",
    "code": "bad_credentials",
    "text": "login refused: bad credentials",
}


def no_wait() -> LoginGuard:
    """A guard that answers at once, for tests about what is answered rather than when."""
    return LoginGuard(base_delay=0.0, max_delay=0.0)


def _has_data(client: Client) -> bool:
    """Whether anything (a line or the close) has arrived, without waiting."""
    timeout = client.sock.gettimeout()
    client.sock.setblocking(False)
    try:
        client.sock.recv(1, socket.MSG_PEEK)  # a byte, or b"" at the close: both arrived
    except BlockingIOError:
        return False
    finally:
        client.sock.settimeout(timeout)
    return True


def test_every_failed_login_gets_the_same_answer_and_is_logged_with_the_peer(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING, logger="sequex.gateway")
    with gateway_host(setup=False, login_guard=no_wait()) as host:
        replies, ports = [], []
        for firm, password in [("GAMMA", "alpha-pass"), ("ALPHA", "beta-pass"), (None, "nope")]:
            client = host.client()
            ports.append(client.sock.getsockname()[1])
            replies.append(client.login(firm, password))
            assert client.is_closed()
            client.close()
        assert replies == [REFUSED] * 3
        assert host.server.logins.failed == 3
    messages = [r.getMessage() for r in caplog.records if r.name == "sequex.gateway"]
    assert len(messages) == 3
    for message, port, reason in zip(
        messages,
        ports,
        ["unknown firm", "wrong password", "wrong operator password"],
        strict=True,
    ):
        assert f"from 127.0.0.1:{port} " in message and reason in message
        assert "pass" not in message.replace("password", "")  # never the password itself


def test_a_firm_name_in_the_log_is_cut_short(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="sequex.gateway")
    with gateway_host(setup=False, login_guard=no_wait()) as host:
        client = host.client()
        assert client.login("F" * 60_000, "x") == REFUSED
        client.close()
    (record,) = [r for r in caplog.records if r.name == "sequex.gateway"]
    assert len(record.getMessage()) < 400


def test_repeated_failures_from_one_address_are_slowed_down() -> None:
    guard = LoginGuard(base_delay=0.5, max_delay=1.0)
    with gateway_host(setup=False, login_guard=guard) as host:
        holds = []
        for _ in range(3):
            client = host.client()
            started = time.monotonic()
            assert client.login("ALPHA", "wrong") == REFUSED
            holds.append(time.monotonic() - started)
            client.close()
        # each refusal waited the backoff: 0.5, then 1.0 (the cap), then 1.0
        assert holds[0] >= 0.5 and holds[1] >= 1.0 and holds[2] >= 1.0
        # the right password still gets in: slowed down, never locked out
        client = host.client()
        assert client.login()["type"] == "login_ok"
        assert guard.failures("127.0.0.1", time.monotonic()) == 0  # forgiven by the success
        client.close()


def test_a_held_login_holds_up_no_other_connection_and_an_early_one_waits() -> None:
    """127.0.0.1 fails and is held 4 s. Meanwhile a session already logged in from the same
    address trades and a login from 127.0.0.2 succeeds, each in a fraction of a second; a
    second login from 127.0.0.1, sent during the hold, is considered only after it."""
    hold = 4.0
    guard = LoginGuard(base_delay=hold, max_delay=hold)
    with gateway_host(login_guard=guard) as host:
        trader = host.client()
        assert trader.login()["type"] == "login_ok"
        failing = host.client()
        failing.sock.settimeout(30)  # reads below wait out the hold
        started = time.monotonic()
        failing.send({"type": "login", "firm": "ALPHA", "password": "wrong"})
        host.wait_for(lambda: host.server.logins.failed == 1)
        early = host.client()
        early.sock.settimeout(30)
        early.send({"type": "login", "firm": "ALPHA", "password": "alpha-pass"})
        # other connections go on at once
        trader.send(order("buy", 1, 990_000))
        assert trader.read()["type"] == "sequenced"
        other = host.client(source="127.0.0.2")
        assert other.login("BETA", "beta-pass")["type"] == "login_ok"
        assert not _has_data(failing) and not _has_data(early)  # both still held
        assert failing.read() == REFUSED
        assert time.monotonic() - started >= hold
        assert early.read()["type"] == "login_ok"  # waited for the hold, then got in
        assert time.monotonic() - started >= hold
        assert host.server.logins.delayed == 1
        for client in (trader, failing, early, other):
            client.close()


def test_the_check_alone_for_a_caller_without_a_peer_runs_off_the_loop_and_logs_failures(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """LoginDesk.check_firm (the OUCH listener's check until it passes the peer): no
    slow-down, since there is no address to key it by."""
    caplog.set_level(logging.WARNING, logger="sequex.gateway")
    desk = LoginDesk(Authenticator(load_config(DEMO)), protocol="ouch")

    async def checks() -> list[bool]:
        return [
            await desk.check_firm("ALPHA", "alpha-pass"),
            await desk.check_firm("ALPHA", "nope"),
            await desk.check_firm("NOBODY", "alpha-pass"),
        ]

    try:
        assert asyncio.run(checks()) == [True, False, False]
    finally:
        desk.close()
    assert desk.failed == 2 and len(desk.guard) == 0
    messages = [r.getMessage() for r in caplog.records if r.name == "sequex.gateway"]
    assert ["wrong password" in messages[0], "unknown firm" in messages[1]] == [True, True]
