"""A fenced host's gateways (docs/replication.md, "Fencing"), real sockets over a fake
pipeline: JSON, FIX and OUCH each refuse orders in their own terms and sequence nothing, both
when the host starts fenced and when it learns it while serving."""

from __future__ import annotations

import shutil
import tempfile
import time
from pathlib import Path

from engine.fencing import mark_fenced
from engine.protocols.ouch.outbound import Accepted, Rejected
from tests.engine.fix_client import Clients, fields
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
            alpha = fix.logged_on()
            alpha.new_order("f1", "1", 10, "100")
            reject = alpha.app()
            assert fields(reject, 35, 150, 39, 11) == ("8", "8", "8", "f1")
            assert reject.get(58) == f"fenced: {REASON}"
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
