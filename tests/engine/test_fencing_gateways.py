"""A fenced host's gateways (docs/replication.md, "Fencing"), real sockets over a fake
pipeline: JSON and OUCH refuse orders in their own terms, FIX closes the connection without
a message (anything it sent would take a MsgSeqNum the promoted host uses too), and nothing
is sequenced, both when the host starts fenced and when it learns it while serving."""

from __future__ import annotations

import shutil
import tempfile
import time
from pathlib import Path

import pytest

from engine.fencing import mark_fenced
from engine.protocols.ouch.outbound import Accepted, Rejected
from tests.engine.fix_client import DEMO_SESSIONS, Clients, fields
from tests.engine.gateway_harness import gateway_host, order
from tests.engine.test_ouch_gateway import Ouch, enter

REASON = "this host was superseded by epoch 1 at 10.0.0.2:9880 (its own epoch is 0)"


def test_a_host_that_starts_fenced_sequences_nothing_on_any_gateway() -> None:
    data_dir = tempfile.mkdtemp(prefix="sqxfence-")
    mark_fenced(data_dir, REASON)
    try:
        serve_fenced(data_dir)
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)


def serve_fenced(data_dir: str) -> None:
    with gateway_host(data_dir=data_dir) as host:
        before = host.pipeline.last_seq
        json = host.client()
        assert json.login()["type"] == "login_ok"
        json.send(order("buy", 10, 1_000_000, client_order_id="j1"))
        answer = json.read()
        assert (answer["type"], answer["code"], answer["text"]) == (
            "error", "fenced", f"fenced: {REASON}",
        )  # fmt: skip
        fix = Clients(host.fix_address)
        try:
            alpha = fix.connect()
            with pytest.raises((EOFError, ConnectionError)):  # closed, no Logout
                alpha.logon(*DEMO_SESSIONS["ALPHAFIX"])
            assert alpha.received == []
        finally:
            fix.close()
        ouch = Ouch(host, "ALPHA1", "alpha-pass")
        try:
            ouch.send(enter("O-1", "B", 10, 1_000_000))
            ((_, rejected),) = ouch.messages(1)
            assert isinstance(rejected, Rejected) and rejected.reason == "C"
        finally:
            ouch.close()
        assert host.pipeline.last_seq == before  # nothing entered the sequence


def test_a_host_that_learns_it_is_fenced_stops_sequencing_within_the_gates_interval() -> None:
    with gateway_host() as host:
        ouch = Ouch(host, "ALPHA1", "alpha-pass")
        try:
            ouch.send(enter("O-1", "B", 10, 1_000_000))
            ((_, accepted),) = ouch.messages(1)
            assert isinstance(accepted, Accepted)
            mark_fenced(Path(host.config.data_dir), REASON)
            deadline = time.monotonic() + 30
            answer: object = accepted
            n = 1
            while not isinstance(answer, Rejected):  # the gate looks every 0.2 s
                assert time.monotonic() < deadline, "never fenced"
                n += 1
                ouch.send(enter(f"O-{n}", "B", 10, 1_000_000))
                ((_, answer),) = ouch.messages(1)
            assert answer.reason == "C"
        finally:
            ouch.close()


def test_a_fix_session_of_a_host_that_learns_it_is_fenced_is_closed_without_a_message() -> None:
    with gateway_host() as host:
        fix = Clients(host.fix_address)
        try:
            alpha = fix.logged_on()
            alpha.new_order("f1", "1", 10, "100")
            assert fields(alpha.app(), 35, 150, 11) == ("8", "0", "f1")
            before = host.pipeline.last_seq
            received = len(alpha.received)
            mark_fenced(Path(host.config.data_dir), REASON)
            alpha.sock.settimeout(0.5)
            deadline = time.monotonic() + 30
            n = 1
            closed = False
            while not closed:  # the gate looks every 0.2 s; an order is then cut off
                assert time.monotonic() < deadline, "never fenced"
                n += 1
                try:
                    alpha.new_order(f"f{n}", "1", 10, "100")
                    closed = alpha.is_closed()
                except OSError:
                    closed = True
            new = alpha.received[received:]
            # what came before the fence are the orders' own acks; nothing after them
            assert all(fields(m, 35, 150) == ("8", "0") for m in new)
            # an order sequenced just before the gate saw the marker may miss its ack
            assert len(new) <= host.pipeline.last_seq - before <= n - 1
        finally:
            fix.close()
