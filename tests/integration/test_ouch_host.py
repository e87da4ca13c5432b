"""OUCH against a real host (`sequex run`): a session's reports survive its disconnects, a
clean restart of the host and a SIGKILL of the whole host; the numbers never change."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from disruptor import list_names
from engine.protocols.ouch.inbound import CancelOrder
from engine.protocols.ouch.outbound import Accepted, Canceled, Executed
from engine.protocols.soupbin.packets import LoginAccepted
from tests.demo_config import ROOT, demo_text
from tests.engine.test_ouch_gateway import Ouch, enter


def _address(endpoint: str) -> tuple[str, int]:
    host, _, port = endpoint.rpartition(":")
    return host, int(port)


def _start(config: Path, prefix: str) -> subprocess.Popen[str]:
    host = subprocess.Popen(
        [sys.executable, "-m", "tools.cli", "run", "--config", str(config), "--prefix", prefix],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        start_new_session=True,
    )  # fmt: skip
    assert host.stdout is not None
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        line = host.stdout.readline()
        assert line, f"host exited early: {host.stderr.read() if host.stderr else ''}"
        if line.startswith("press Ctrl-C"):
            return host
    raise AssertionError("the host did not come up")


def _login(address: tuple[str, int], user: str, password: str, sequence: int) -> Ouch:
    deadline = time.monotonic() + 20
    while True:  # the OUCH listener opens right after the JSON one
        try:
            client = Ouch(address, user, password, sequence)
        except OSError:
            assert time.monotonic() < deadline, "OUCH never listened"
            time.sleep(0.05)
            continue
        assert isinstance(client.login, LoginAccepted), client.login
        return client


def _stop(host: subprocess.Popen[str], prefix: str) -> None:
    host.send_signal(signal.SIGTERM)
    _, err = host.communicate(timeout=60)
    assert host.returncode == 0, err
    assert list_names(prefix) == []


@pytest.mark.timeout(240)
def test_reports_survive_disconnects_a_restart_and_a_crash(tmp_path: Path) -> None:
    text, endpoints = demo_text(tmp_path / "var", window=1)
    config = tmp_path / "host.toml"
    config.write_text(text)
    ouch = _address(endpoints["ouch"])
    prefix = f"sequex-ouch{os.getpid()}-"

    host = _start(config, prefix)
    alpha = _login(ouch, "ALPHA1", "alpha-pass", 0)
    alpha.send(enter("A-1", "B", 100, 1_000_000))
    assert [(n, type(m)) for n, m in alpha.messages(1)] == [(1, Accepted)]
    alpha.close()  # away while its bid trades
    beta = _login(ouch, "BETA1", "beta-pass", 0)
    beta.send(enter("B-1", "S", 30, 1_000_000))
    assert [type(m) for _, m in beta.messages(2)] == [Accepted, Executed]
    beta.close()
    _stop(host, prefix)

    host = _start(config, prefix)  # a clean restart: the stores are on disk
    alpha = _login(ouch, "ALPHA1", "alpha-pass", 2)
    assert [(n, type(m)) for n, m in alpha.messages(1)] == [(2, Executed)]
    beta = _login(ouch, "BETA1", "beta-pass", 0)
    beta.send(enter("B-2", "S", 20, 1_000_000))
    assert [type(m) for _, m in beta.messages(2)] == [Accepted, Executed]
    assert [(n, type(m)) for n, m in alpha.messages(1)] == [(3, Executed)]
    beta.close()
    alpha.close()
    os.killpg(host.pid, signal.SIGKILL)  # the whole host, stores mid-flight and all
    host.wait(timeout=60)

    host = _start(config, prefix)  # recovers; the ledger catches up from the journal
    try:
        alpha = _login(ouch, "ALPHA1", "alpha-pass", 1)
        replayed = alpha.messages(3)
        assert [(n, type(m)) for n, m in replayed] == [(1, Accepted), (2, Executed), (3, Executed)]
        assert [m.executed_shares for _, m in replayed[1:]] == [30, 20]  # type: ignore[union-attr]
        alpha.send(CancelOrder("A-1"))
        (number, canceled), = alpha.messages(1)  # fmt: skip
        assert number == 4 and isinstance(canceled, Canceled) and canceled.decrement_shares == 50
        alpha.close()
    finally:
        _stop(host, prefix)
    with socket.socket() as probe:  # nothing listens any more
        assert probe.connect_ex(ouch) != 0
