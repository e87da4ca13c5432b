"""The gateway end to end over loopback sockets, with a fake pipeline (see gateway_harness)."""

from __future__ import annotations

import threading
import time
from typing import Any

from tests.engine.gateway_harness import Client, gateway_host, order


def test_a_firm_logs_in_enters_an_order_and_is_sequenced_then_accepted() -> None:
    with gateway_host() as host:
        client = host.client()
        assert client.login() == {"type": "login_ok", "session": 1, "role": "firm", "firm": "ALPHA"}
        client.send(order("buy", 10, 990_000, client_order_id="b1"))
        sequenced = client.read()
        assert sequenced["type"] == "sequenced" and sequenced["line"] == 2
        seq = sequenced["seq"]
        accepted = client.read()
        assert accepted == {
            "seq": seq,
            "sub": 0,
            "type": "accepted",
            "order_id": seq,
            "seq_no": seq,
            "account": "ALPHA-1",
            "client_order_id": "b1",
        }
        client.send({"type": "logout"})
        assert client.read() == {"type": "logged_out"}
        assert client.is_closed()
        client.close()


def test_a_makers_fill_reaches_the_makers_session_and_no_other() -> None:
    with gateway_host() as host:
        maker, taker = host.client(), host.client()
        maker.login()
        taker.login("BETA", "beta-pass")
        maker.send(order("sell", 5, 1_000_000, client_order_id="m1"))
        maker_seq = maker.read()["seq"]
        assert maker.read()["type"] == "accepted"
        taker.send(order("buy", 5, 1_000_000, firm="BETA", account="BETA-1", client_order_id="t1"))
        taker_seq = taker.read()["seq"]
        taker_lines = taker.read_until(lambda line: line["type"] == "fill")
        assert [line["type"] for line in taker_lines] == ["accepted", "fill"]
        assert taker_lines[1]["liquidity"] == "taker" and taker_lines[1]["account"] == "BETA-1"
        maker_fill = maker.read()
        assert maker_fill["type"] == "fill" and maker_fill["seq"] == taker_seq
        assert maker_fill["order_id"] == maker_seq and maker_fill["liquidity"] == "maker"
        assert maker_fill["leaves_qty"] == 0
        # the taker saw nothing of ALPHA's: its next line is the answer to its next request
        taker.send({"type": "cancel_order", "account": "BETA-1", "order_id": maker_seq})
        assert taker.read()["type"] == "sequenced"
        rejected = taker.read()
        assert rejected["type"] == "rejected" and rejected["reason"] in (
            "unknown_order",
            "not_order_owner",
        )
        maker.close()
        taker.close()


def test_a_firm_that_logs_in_again_gets_the_fills_of_its_resting_order() -> None:
    with gateway_host() as host:
        first = host.client()
        first.login()
        first.send(order("sell", 5, 1_000_000, client_order_id="m1"))
        maker_seq = first.read()["seq"]
        assert first.read()["type"] == "accepted"
        first.close()  # gone without a logout: the order rests
        host.wait_for(lambda: host.server.open_connections == 0)
        again, taker = host.client(), host.client()
        assert again.login()["session"] != 1
        taker.login("BETA", "beta-pass")
        taker.send(order("buy", 2, 1_000_000, firm="BETA", account="BETA-1"))
        taker_seq = taker.read()["seq"]
        maker_fill = again.read()
        assert maker_fill["type"] == "fill" and maker_fill["seq"] == taker_seq
        assert (maker_fill["order_id"], maker_fill["leaves_qty"]) == (maker_seq, 3)
        # the owner's cancel is answered on the new session too, once
        again.send({"type": "cancel_order", "account": "ALPHA-1", "order_id": maker_seq})
        assert again.read()["type"] == "sequenced"
        assert again.read()["type"] == "cancelled"
        again.send({"type": "logout"})
        assert again.read() == {"type": "logged_out"}  # nothing twice in between
        assert host.server.misrouted == 0
        again.close()
        taker.close()


def test_every_session_of_the_owning_firm_gets_an_order_report_once() -> None:
    with gateway_host() as host:
        desk, drop_copy, taker = host.client(), host.client(), host.client()
        desk.login()
        drop_copy.login()
        taker.login("BETA", "beta-pass")
        desk.send(order("sell", 5, 1_000_000, client_order_id="m1"))
        desk.read_until(lambda line: line["type"] == "accepted")
        taker.send(order("buy", 5, 1_000_000, firm="BETA", account="BETA-1"))
        taker.read_until(lambda line: line["type"] == "fill")
        for session in (desk, drop_copy):
            line = session.read()
            assert (line["type"], line["liquidity"]) == ("fill", "maker")
            session.send({"type": "logout"})
            assert session.read() == {"type": "logged_out"}
            session.close()
        assert host.server.misrouted == 0
        taker.close()


def test_refusals_are_immediate_error_lines_and_never_reach_ring_in() -> None:
    with gateway_host() as host:
        client = host.client()
        client.login()
        cursor = host.ring_in.cursor.get()
        bad = [
            ({**order("buy", 1, 990_000), "account": "BETA-1"}, "not_owner"),
            (order("buy", 1, 990_000, firm="BETA"), "wrong_firm"),
            ({**order("buy", 1, 990_000), "seq_no": 5}, "field_not_allowed"),
            ({**order("buy", 1, 990_000), "ts": 5}, "field_not_allowed"),
            ({"type": "halt", "symbol": "ACME"}, "not_permitted"),
            ({**order("buy", 1, 990_000), "qty": -1}, "bad_command"),
            ({**order("buy", 1, 990_000), "client_order_id": "x" * 21}, "too_long"),
            ({"type": "bogus"}, "unknown_type"),
        ]
        for line, (obj, code) in enumerate(bad, start=2):
            client.send(obj)
            reply = client.read()
            assert reply["type"] == "error" and reply["code"] == code and reply["line"] == line
        client.send_raw(b"{not json\n")
        assert client.read()["code"] == "bad_json"  # confined to its line after login
        assert host.ring_in.cursor.get() == cursor
        client.send(order("buy", 1, 990_000))
        assert client.read()["type"] == "sequenced"  # the session goes on
        client.close()


def test_a_wrong_password_is_rejected_and_the_connection_closed() -> None:
    with gateway_host(setup=False) as host:
        client = host.client()
        reply = client.login("ALPHA", "nope")
        assert reply["type"] == "login_rejected" and reply["code"] == "bad_credentials"
        assert client.is_closed()
        client.close()
        other = host.client()
        other.send({"type": "cancel_order", "account": "ALPHA-1", "order_id": 1})
        assert other.read()["code"] == "not_logged_in"
        assert other.is_closed()
        other.close()


def test_a_connection_that_never_logs_in_is_closed_with_a_reason() -> None:
    with gateway_host(setup=False, login_timeout=0.3) as host:
        silent = host.client()
        reply = silent.read()
        assert (reply["type"], reply["code"]) == ("error", "login_timeout")
        assert silent.is_closed()
        silent.close()
        prompt = host.client()  # a client that logs in in time is unaffected
        assert prompt.login()["type"] == "login_ok"
        time.sleep(0.5)
        prompt.send({"type": "logout"})
        assert prompt.read()["type"] == "logged_out"
        prompt.close()


def test_backpressure_stops_reading_without_dropping_or_blocking_the_loop() -> None:
    with gateway_host(capacity=4) as host:
        client = host.client()
        client.login()
        host.pipeline.gate.clear()  # the pipeline stops consuming: ring[in] fills up
        lines = b"".join(
            Client.encode(order("buy", 1, 990_000, client_order_id=f"o{i}")) for i in range(20)
        )
        client.send_raw(lines)
        host.wait_for(lambda: host.server.backpressure_waits > 0)
        # the loop is not blocked: another firm logs in while ring[in] is full
        other = host.client()
        assert other.login("BETA", "beta-pass")["type"] == "login_ok"
        host.pipeline.gate.set()
        sequenced: list[dict[str, Any]] = []
        accepted: list[dict[str, Any]] = []
        while len(sequenced) < 20 or len(accepted) < 20:
            line = client.read()
            (sequenced if line["type"] == "sequenced" else accepted).append(line)
        seqs = [line["seq"] for line in sequenced]
        assert seqs == list(range(seqs[0], seqs[0] + 20))
        assert [line["line"] for line in sequenced] == list(range(2, 22))
        assert [a["client_order_id"] for a in accepted] == [f"o{i}" for i in range(20)]
        client.close()
        other.close()


def test_a_client_dropping_mid_line_does_not_affect_the_others() -> None:
    with gateway_host() as host:
        quitter, stayer = host.client(), host.client()
        quitter.login()
        stayer.login("BETA", "beta-pass")
        cursor = host.ring_in.cursor.get()
        quitter.send_raw(Client.encode(order("buy", 1, 990_000))[:40])
        quitter.close()  # half a line, then gone
        host.wait_for(lambda: host.server.open_connections == 1)  # the server saw it go
        assert host.ring_in.cursor.get() == cursor  # half a command is never executed
        stayer.send(order("buy", 1, 990_000, firm="BETA", account="BETA-1"))
        assert stayer.read()["type"] == "sequenced"
        assert stayer.read()["type"] == "accepted"
        stayer.close()


def test_reports_for_a_session_that_left_are_dropped() -> None:
    with gateway_host() as host:
        maker, taker = host.client(), host.client()
        maker.login()
        taker.login("BETA", "beta-pass")
        maker.send(order("sell", 5, 1_000_000))
        maker.read_until(lambda line: line["type"] == "accepted")
        maker.send({"type": "logout"})
        maker.read_until(lambda line: line["type"] == "logged_out")
        maker.close()
        taker.send(order("buy", 5, 1_000_000, firm="BETA", account="BETA-1"))
        taker.read_until(lambda line: line["type"] == "fill")
        host.wait_for(lambda: host.server.dropped == 1)  # the maker's fill: nobody to read it
        taker.close()


def test_stopping_the_gateway_leaves_no_thread_behind() -> None:
    before = set(threading.enumerate())
    with gateway_host(setup=False) as host:
        client = host.client()
        client.login()
    assert client.is_closed()
    client.close()
    leftover = {t.name for t in set(threading.enumerate()) - before}
    assert not leftover & {"gateway-exec", "gateway-loop", "fake-pipeline"}
