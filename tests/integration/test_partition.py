"""A network partition between a primary and its standby, in network namespaces: the fencing
holds (docs/replication.md, "Fencing"; ``tests.integration.netns_pair``).

The link between the hosts is cut under a sync pair. The standby finds its primary silent and
promotes (``Fence(1)``); the primary, cut off, keeps its clients but acknowledges nothing more
(no standby of its epoch has what they send). The link healed, the primary's probe of its peer
finds epoch 1: it is fenced, every order refused. Every order the primary acknowledged is in
the promoted host's journal under its seq, and the one it journaled during the partition is
not: it was never acknowledged.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest

from disruptor import sweep_abandoned
from engine.journal_format import journal_dir
from journal import JournalReader
from tests.engine.gateway_harness import order
from tests.integration.netns_pair import NetnsPair
from tests.integration.replication_pair import TIMEOUT, Trader, make_pair, stop, wait_line

#: The pair's liveness timeout: the partition is found by silence, which a loaded machine can
#: also fake for a moment (a false failover would fence the primary before the test cuts).
PATIENT = "timeout_ms = 3000"


def wait_for(condition: Any, what: str) -> None:
    deadline = time.monotonic() + TIMEOUT
    while not condition():
        assert time.monotonic() < deadline, f"not in time: {what}"
        time.sleep(0.05)


def records(data_dir: Path) -> dict[int, bytes]:
    return {seq: bytes(p) for _, seq, p in JournalReader(journal_dir(data_dir)).records()}


def rehost(
    text: str, endpoints: dict[str, str], moves: dict[str, str]
) -> tuple[str, dict[str, str]]:
    """``text`` with the listeners of ``moves`` on another address (same port)."""
    moved = dict(endpoints)
    for key, host in moves.items():
        port = endpoints[key].rpartition(":")[2]
        moved[key] = f"{host}:{port}"
        text = text.replace(f'{key} = "{endpoints[key]}"', f'{key} = "{moved[key]}"')
    return text, moved


def refused_in_the_end(trader: Trader) -> list[dict[str, Any]]:
    """Send orders until the gateway answers one ``error``; every line read."""
    lines: list[dict[str, Any]] = []
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline:
        trader.client.send(order("sell", 10, 1_050_000, firm="ALPHA", account="ALPHA-1"))
        lines += trader.client.read_until(lambda line: line["type"] in ("sequenced", "error"))
        if lines[-1]["type"] == "error":
            return lines
        time.sleep(0.05)
    raise AssertionError(f"never refused: {lines}")


@pytest.mark.timeout(600)
def test_a_partition_promotes_the_standby_and_fences_the_primary(tmp_path: Path) -> None:
    pair = make_pair(tmp_path)
    net = NetnsPair()
    tag = f"sequex-np{os.getpid()}"
    running: list[subprocess.Popen[str]] = []
    try:
        b_text, b_ends = rehost(
            pair.standby_config.read_text(), pair.standby_endpoints,
            {"json": net.b_public, "replication": net.b_link},
        )  # fmt: skip
        b_text = b_text.replace(  # promoted, its replicator answers the primary's probes
            "enabled = false            # true: a standby", "enabled = true  # true: a standby"
        )
        pair.standby_config.write_text(b_text.replace("timeout_ms = 500", PATIENT))
        a_text, a_ends = rehost(
            pair.primary_config.read_text(), pair.endpoints,
            {"json": net.a_public, "replication": net.a_link},
        )  # fmt: skip
        a_text = a_text.replace("timeout_ms = 500", f'{PATIENT}\npeer = "{b_ends["replication"]}"')
        pair.primary_config.write_text(a_text)
        a_err, b_err = tmp_path / "a.err", tmp_path / "b.err"
        primary = net.spawn(
            net.a, ["run", "--config", str(pair.primary_config), "--prefix", f"{tag}a-"], a_err
        )
        running.append(primary)
        # its replicator listens before the standby looks for it: on a loaded machine the
        # primary took longer to start than the standby's 10 s of patience
        wait_line(primary, "sequex run: waiting for a standby", a_err)
        standby = net.spawn(
            net.b,
            ["standby", "--promote", "--primary", a_ends["replication"], str(pair.standby_config),
             "--prefix", f"{tag}b-"],
            b_err,
        )  # fmt: skip
        running.append(standby)
        wait_line(standby, "press Ctrl-C", b_err)
        wait_line(primary, "press Ctrl-C", a_err)
        a_port = int(a_ends["json"].rpartition(":")[2])
        alpha = Trader(a_port, host=net.a_public)
        acked = []
        for i in range(3):
            alpha.send(price=1_050_000 + 100 * i)
            acked.append(alpha.acked()["seq_no"])

        net.partition()
        (promoted,) = wait_line(standby, "promoted:", b_err)[-1:]
        fence_seq = acked[-1] + 1
        assert f"epoch 1 (Fence at seq {fence_seq})" in promoted
        cut_off = alpha.send(price=1_070_000)  # the primary journals it, acknowledges nothing
        beta = Trader(int(b_ends["json"].rpartition(":")[2]), host=net.b_public)
        taken = beta.send(price=1_060_000)
        assert beta.acked()["seq_no"] == taken == fence_seq + 1

        net.heal()
        wait_for(lambda: "FENCED" in a_err.read_text(), "the old primary learns it is fenced")
        assert f"superseded by epoch 1 at {b_ends['replication']}" in a_err.read_text()
        # the gateway looks at the marker every 0.2 s: what it sequences until then is never
        # acknowledged either (no standby of its epoch follows it)
        answers = refused_in_the_end(alpha)
        assert answers[-1]["code"] == "fenced", answers
        assert all(line["type"] != "accepted" for line in answers)  # the cut-off order: never
        os.killpg(primary.pid, signal.SIGKILL)
        primary.wait(timeout=TIMEOUT)
        stop(standby)
    finally:
        for proc in running:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        net.close()
        sweep_abandoned(tag)  # what a host killed here left in /dev/shm
    old, new = records(pair.primary_dir), records(pair.standby_dir)
    assert all(old[seq] == new[seq] for seq in range(1, acked[-1] + 1))  # every ack survived
    assert cut_off in old and old[cut_off] != new[cut_off]  # journaled there, never acked
    assert max(new) == fence_seq + 1
