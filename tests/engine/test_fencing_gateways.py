"""A fenced host's gateways (docs/replication.md, "Fencing"), real sockets over a fake
pipeline: JSON refuses orders in its own terms; OUCH and FIX, whose every answer is
numbered (the promoted host uses the same numbers), refuse logins and end their sessions
without a message; nothing is sequenced, both when the host starts fenced and when it learns
it while serving."""

from __future__ import annotations

import contextlib
import shutil
import tempfile
from pathlib import Path

import pytest

from engine.fencing import mark_fenced
from engine.protocols.ouch.outbound import Accepted
from engine.protocols.soupbin.packets import LoginRejected
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
        ouch = Ouch(host, "ALPHA1", "alpha-pass")  # every OUCH answer is numbered: no login
        try:
            assert isinstance(ouch.login, LoginRejected) and ouch.login.code == "S"
        finally:
            ouch.close()
        assert host.pipeline.last_seq == before  # nothing entered the sequence


def test_a_host_that_learns_it_is_fenced_ends_ouch_sessions_without_a_numbered_message() -> None:
    with gateway_host() as host:
        ouch = Ouch(host, "ALPHA1", "alpha-pass")
        try:
            ouch.send(enter("O-1", "B", 10, 1_000_000))
            ((number, accepted),) = ouch.messages(1)
            assert (number, type(accepted)) == (1, Accepted)
            before = host.pipeline.last_seq
            mark_fenced(Path(host.config.data_dir), REASON)
            gate = host.server._ouch.fence
            host.wait_for(lambda: gate.reason is not None, timeout=30)  # it looks every 0.2 s
            # the host ends the session without a word (a Rejected's number would not be the
            # new primary's): at its next tick, or on what the session sends now
            with contextlib.suppress(OSError):  # it may have closed already
                ouch.send(enter("O-2", "B", 10, 1_000_000))
            ouch.sock.settimeout(30)
            assert ouch.rest() == []  # closed: nothing more, numbered or not
            assert host.pipeline.last_seq == before  # O-2 never entered the sequence
            again = Ouch(host, "ALPHA1", "alpha-pass", sequence=2)
            try:
                assert isinstance(again.login, LoginRejected) and again.login.code == "S"
            finally:
                again.close()
        finally:
            ouch.close()


def test_a_fix_session_of_a_host_that_learns_it_is_fenced_is_closed_without_a_message() -> None:
    with gateway_host() as host:
        fix = Clients(host.fix_address)
        try:
            alpha = fix.logged_on()
            alpha.new_order("f1", "1", 10, "100")
            assert fields(alpha.app(), 35, 150, 11) == ("8", "0", "f1")
            before, received = host.pipeline.last_seq, len(alpha.received)
            mark_fenced(Path(host.config.data_dir), REASON)
            gate = host.server._fix.fence
            host.wait_for(lambda: gate.reason is not None, timeout=30)  # it looks every 0.2 s
            with contextlib.suppress(OSError):  # an order is cut off, not answered
                alpha.new_order("f2", "1", 10, "100")
            alpha.sock.settimeout(30)
            assert alpha.is_closed()
            assert alpha.received[received:] == []  # nothing, numbered or not
            assert host.pipeline.last_seq == before  # f2 never entered the sequence
        finally:
            fix.close()
