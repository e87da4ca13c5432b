"""The gateway's cap on open connections and the operator's reserve beyond it, over loopback
sockets with a fake pipeline."""

from __future__ import annotations

import socket
import time
from contextlib import AbstractContextManager
from typing import Any

import pytest

from engine.config import load_config
from engine.gateway.server import GatewayServer
from tests.engine.gateway_harness import DEMO, Client, Host, gateway_host
from tools.cli import main

FULL = {
    "type": "error",
    "line": 0,
    "code": "too_many_connections",
    "text": "the gateway serves at most 2 connections; try again later",
}


def capped_host(max_connections: int, **options: Any) -> AbstractContextManager[Host]:
    """``gateway_host`` (no setup) with a connection cap and, unless given, no operator's
    reserve: a connection over the cap is refused at once."""
    options.setdefault("admin_reserve", 0)
    return gateway_host(setup=False, max_connections=max_connections, **options)


def admin(host: Host, *action: str) -> int:
    """``sequex admin`` against the harness's gateway; its exit code."""
    argv = ["admin", "--endpoint", f"127.0.0.1:{host.port}", "--password", "admin-pass"]
    return main([*argv, "--timeout", "20", *action])


def test_a_connection_over_the_cap_gets_one_error_line_and_is_closed() -> None:
    with capped_host(2) as host:
        logged_in, waiting = host.client(), host.client()
        assert logged_in.login()["type"] == "login_ok"
        host.wait_for(lambda: host.server.open_connections == 2)
        extra = host.client()
        assert extra.read() == FULL
        assert extra.is_closed()
        extra.close()
        assert host.server.refused == 1
        # the open ones are unaffected: one logs in now, the other goes on
        assert waiting.login("BETA", "beta-pass")["type"] == "login_ok"
        logged_in.send({"type": "logout"})
        assert logged_in.read() == {"type": "logged_out"}
        logged_in.close()
        # a freed place is taken by the next connection
        host.wait_for(lambda: host.server.open_connections == 1)
        later = host.client()
        assert later.login()["type"] == "login_ok"
        assert host.server.open_connections == 2
        later.close()
        waiting.close()


def test_a_refused_client_that_sent_at_once_still_reads_the_reason() -> None:
    """The client's login is already on its way when the refusal is written: the gateway
    discards it before closing, so the client sees the line then a clean end of stream, never
    a reset (closing over unread input resets the connection, which on a real network can
    destroy the line in flight; over loopback recv would raise ConnectionResetError here)."""
    with capped_host(1) as host:
        holder = host.client()
        holder.login()
        for _ in range(3):
            sock = socket.create_connection(("127.0.0.1", host.port), timeout=5)
            sock.sendall(Client.encode({"type": "login", "firm": "BETA", "password": "x"}) * 50)
            received = b""
            while chunk := sock.recv(65536):
                received += chunk
            sock.close()
            assert received.count(b"\n") == 1 and b'"too_many_connections"' in received
        assert host.server.refused == 3
        holder.send({"type": "logout"})
        assert holder.read() == {"type": "logged_out"}
        holder.close()


def test_the_cap_must_admit_someone() -> None:
    config = load_config(DEMO)
    with pytest.raises(ValueError, match="max_connections"):
        GatewayServer(config, "in", "events", 1, 0, endpoint="127.0.0.1:0", max_connections=0)


def test_idle_firm_connections_filling_the_cap_do_not_shut_the_operator_out(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The issue's 256 idle connections, with a cap of 2: one firm session logged in and idle,
    one connection that never logs in. ``sequex admin`` still gets in, through the reserve."""
    with gateway_host(max_connections=2, admin_reserve=2) as host:
        idle_firm, idle_anon = host.client(), host.client()
        assert idle_firm.login()["type"] == "login_ok"
        host.wait_for(lambda: host.server.open_connections == 2)
        assert admin(host, "halt", "ACME") == 0
        assert '"trading_status"' in capsys.readouterr().out
        assert admin(host, "resume", "ACME") == 0  # again: the reserve place was given back
        host.wait_for(lambda: host.server.reserve_connections == 0)
        # a firm is not let in through the reserve: its login is answered "full"
        extra = host.client()
        assert extra.login("BETA", "beta-pass") == FULL
        assert extra.is_closed()
        extra.close()
        assert host.server.refused == 1 and host.server.open_connections == 2
        idle_firm.close()
        idle_anon.close()


def test_an_operator_session_can_stay_open_in_the_reserve() -> None:
    with gateway_host(setup=False, max_connections=1, admin_reserve=1) as host:
        firm = host.client()
        assert firm.login()["type"] == "login_ok"
        operator = host.client()
        assert operator.login(None, "admin-pass")["role"] == "admin"
        assert host.server.reserve_connections == 1
        # reserve and pool full: the next connection is refused at once, before any line
        refused = host.client()
        assert refused.read()["code"] == "too_many_connections"
        refused.close()
        operator.send({"type": "logout"})
        assert operator.read() == {"type": "logged_out"}
        operator.close()
        firm.close()


def test_a_reserve_connection_that_does_not_log_in_promptly_is_told_the_gateway_is_full() -> None:
    with capped_host(2, admin_reserve=1, reserve_login_timeout=0.3) as host:
        holders = [host.client(), host.client()]
        host.wait_for(lambda: host.server.open_connections == 2)
        started = time.monotonic()
        silent = host.client()
        assert silent.read() == FULL
        assert time.monotonic() - started >= 0.3
        assert silent.is_closed()
        silent.close()
        host.wait_for(lambda: host.server.reserve_connections == 0)
        for holder in holders:
            holder.close()
