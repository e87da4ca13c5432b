"""`sequex latency` against a real host: every hop of an OUCH, JSON or FIX order's path is
counted, an interval with no orders counts nothing, and the host's stop removes the histograms'
segment."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from engine.protocols.ouch.outbound import Accepted, Executed
from tests.demo_config import ROOT, demo_text
from tests.engine.test_ouch_gateway import enter
from tests.integration.test_ouch_host import _address, _login, _start, _stop


def _latency(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tools.cli", "latency", *args],
        cwd=ROOT, capture_output=True, text=True, timeout=60,
    )  # fmt: skip


@pytest.mark.timeout(240)
def test_every_hop_of_an_order_is_counted(tmp_path: Path) -> None:
    text, endpoints = demo_text(tmp_path / "var", window=1)
    config = tmp_path / "host.toml"
    config.write_text(text)
    prefix = f"sequex-lat{os.getpid()}-"
    host = _start(config, prefix)
    try:
        quiet = _latency("--prefix", prefix, "--interval", "0.3", "--json")
        assert quiet.returncode == 0, quiet.stderr
        assert {h: e["count"] for h, e in json.loads(quiet.stdout)["hops"].items()} == {
            "entered": 0, "durable": 0, "matched": 0, "answered": 0,
        }  # fmt: skip
        alpha = _login(_address(endpoints["ouch"]), "ALPHA1", "alpha-pass", 0)
        for k in range(3):  # one at a time: a batch each
            alpha.send(enter(f"A-{k}", "B", 10, 1_000_000))
            assert [type(m) for _, m in alpha.messages(1)] == [Accepted]
        alpha.close()
        beta = _login(_address(endpoints["ouch"]), "BETA1", "beta-pass", 0)
        beta.send(enter("B-sell", "S", 10, 1_000_000))  # trades with A-0
        assert [type(m) for _, m in beta.messages(2)] == [Accepted, Executed]
        beta.close()

        with socket.create_connection(_address(endpoints["json"]), timeout=30) as json_client:
            lines = json_client.makefile("rwb")
            for obj in (
                {"type": "login", "firm": "ALPHA", "password": "alpha-pass"},
                {"type": "new_order", "account": "ALPHA-1", "symbol": "ACME", "side": "buy",
                 "order_type": "limit", "tif": "day", "qty": 5, "price": 900000,
                 "client_order_id": "j1"},
            ):  # fmt: skip
                lines.write(json.dumps(obj).encode() + b"\n")
                lines.flush()
                assert json.loads(lines.readline()).get("type") != "error"

        run = _latency("--prefix", prefix, "--json")
        assert run.returncode == 0, run.stderr
        hops = json.loads(run.stdout)["hops"]
        # read in by a session: the four OUCH orders and the JSON one (the setup is not)
        assert hops["entered"]["count"] == 5
        assert list(hops) == ["entered", "durable", "matched", "answered"]
        for name, entry in hops.items():
            # the demo's setup commands are journaled and matched too, with no session to read
            # them from: at least our four orders, each counted once in its own batch
            assert entry["count"] >= 4, (name, entry)
            assert 0 < entry["p50_us"] <= entry["p99_us"] <= entry["max_us"], (name, entry)

        for protocol, sender in (("ouch", "{firm}1"), ("fix", "{firm}FIX")):
            load = subprocess.run(
                [sys.executable, "-m", "tools.cli", "loadgen", "--protocol", protocol,
                 "--endpoint", endpoints[protocol], "--sender", sender, "--connections", "2",
                 "--rate", "200", "--duration", "1", "--host-prefix", prefix, "--json"],
                cwd=ROOT, capture_output=True, text=True, timeout=120,
            )  # fmt: skip
            assert load.returncode == 0, load.stderr
            driven = json.loads(load.stdout)
            assert driven["sent"] > 0
            # the host's side of the same run: every order sent was read in and answered
            assert driven["host_hops"]["entered"]["count"] == driven["sent"], protocol
            assert driven["host_hops"]["answered"]["count"] >= driven["acked"], protocol

        table = _latency("--config", str(config), "--prefix", prefix)
        assert table.returncode == 2  # --config and --prefix name the host twice
        shown = _latency("--prefix", prefix)
        assert shown.returncode == 0 and "answered" in shown.stdout and "p99" in shown.stdout
    finally:
        _stop(host, prefix)  # also: nothing of the prefix is left in /dev/shm
    gone = _latency("--prefix", prefix)
    assert gone.returncode == 1
    assert f"no host is running with shared-memory prefix {prefix!r}" in gone.stderr
    refused = subprocess.run(
        [sys.executable, "-m", "tools.cli", "loadgen", "--host-prefix", prefix],
        cwd=ROOT, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert refused.returncode == 2  # before connecting to anything
    assert "no host is running with shared-memory prefix" in refused.stderr


def test_a_config_that_does_not_load_is_a_usage_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text("[exchange\n")
    run = _latency("--config", str(bad))
    assert run.returncode == 2
    assert run.stderr.startswith("sequex latency: ")
