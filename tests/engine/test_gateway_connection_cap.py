"""The gateway's cap on open connections, over loopback sockets with a fake pipeline."""

from __future__ import annotations

import socket
from contextlib import AbstractContextManager

import pytest

from engine.config import load_config
from engine.gateway.server import GatewayServer
from tests.engine.gateway_harness import DEMO, Client, Host, gateway_host


def capped_host(max_connections: int) -> AbstractContextManager[Host]:
    """``gateway_host`` (no setup) with a connection cap."""
    return gateway_host(setup=False, max_connections=max_connections)


def test_a_connection_over_the_cap_gets_one_error_line_and_is_closed() -> None:
    with capped_host(2) as host:
        logged_in, waiting = host.client(), host.client()
        assert logged_in.login()["type"] == "login_ok"
        host.wait_for(lambda: host.server.open_connections == 2)
        extra = host.client()
        reply = extra.read()
        assert reply == {
            "type": "error",
            "line": 0,
            "code": "too_many_connections",
            "text": "the gateway serves at most 2 connections; try again later",
        }
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
