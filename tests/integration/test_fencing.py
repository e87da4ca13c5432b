"""Fencing with real processes on loopback (docs/replication.md, "Fencing").

A primary with ``[replication] peer`` set and a ``--promote`` standby: the primary is killed,
the standby promotes and journals ``Fence(1)`` first. The old primary, restarted without a
peer, still acknowledges nothing (sync: no standby of its epoch follows it) but journals an
order: a divergent tail. Restarted with its peer, it learns that it was superseded and every
gateway refuses orders (``fenced``): the promoted host's replicator answered its probe with the
epoch it learned from the Fence passing through ring[in]. The promoted host then takes the old
primary back as its standby (its first standby: sync replication from then on): the tail past
the fence is quarantined, and both hosts end with the same journal and the same state hash.
"""

from __future__ import annotations

import os
import signal
import struct
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest

from disruptor import sweep_abandoned
from engine.domain.exchange import Exchange
from engine.domain.types import Fence
from engine.fencing import marker_path
from engine.journal_format import journal_dir
from engine.stage_factories import in_process
from engine.stages.injector import encode_records
from engine.topology import TopologySpec
from journal import JournalReader
from tests.engine.gateway_harness import order
from tests.integration.replication_pair import (
    TIMEOUT,
    Pair,
    Trader,
    journal_bytes,
    journaled_seqs,
    live_hash,
    make_pair,
    spawn,
    stop,
    wait_line,
)
from tests.integration.streams import mixed_stream, reference_digest


def port(endpoint: str) -> int:
    return int(endpoint.rpartition(":")[2])


def wait_for(condition: Any, what: str) -> None:
    deadline = time.monotonic() + TIMEOUT
    while not condition():
        assert time.monotonic() < deadline, f"not in time: {what}"
        time.sleep(0.05)


def kill(proc: subprocess.Popen[str]) -> None:
    os.killpg(proc.pid, signal.SIGKILL)  # the whole host, at once
    proc.wait(timeout=TIMEOUT)


#: The pair's liveness timeout here: a primary is lost by being killed (its connection closes at
#: once), never by silence, which a loaded machine can fake with 500 ms.
PATIENT = "timeout_ms = 10000"


def configs(pair: Pair, tmp_path: Path) -> Path:
    """The old primary's config with its peer set; both of the pair's own configurations made
    patient, the standby's with [replication] enabled: promoted, its replicator answers the old
    primary's probes with the epoch it journaled and takes it back as its standby."""
    for path in (pair.primary_config, pair.standby_config):
        path.write_text(path.read_text().replace("timeout_ms = 500", PATIENT))
    pair.standby_config.write_text(
        pair.standby_config.read_text().replace(
            "enabled = false            # true: a standby", "enabled = true  # true: a standby"
        )
    )
    text = pair.primary_config.read_text()
    peered = tmp_path / "primary-peer.toml"
    peered.write_text(
        text.replace(PATIENT, f'{PATIENT}\npeer = "{pair.standby_endpoints["replication"]}"')
    )
    return peered


@pytest.mark.timeout(600)
def test_a_former_primary_is_fenced_then_rejoins_with_its_tail_quarantined(tmp_path: Path) -> None:
    pair = make_pair(tmp_path)
    peered = configs(pair, tmp_path)
    tag = f"sequex-fe{os.getpid()}"
    running: list[subprocess.Popen[str]] = []

    def run(args: list[str], name: str, until: str) -> subprocess.Popen[str]:
        err = tmp_path / f"{name}.err"
        proc = spawn(args, err)
        running.append(proc)
        wait_line(proc, until, err)
        return proc

    try:
        primary = run(["run", "--config", str(peered), "--prefix", f"{tag}a-"], "a1", "sequex run")
        standby_args = ["standby", "--promote", "--primary", pair.replication]
        standby = run(
            [*standby_args, str(pair.standby_config), "--prefix", f"{tag}b-"], "b1", "press Ctrl-C"
        )
        wait_line(primary, "press Ctrl-C", tmp_path / "a1.err")
        alpha = Trader(pair.json_port)
        acked = []
        for i in range(3):
            alpha.send(price=1_050_000 + 100 * i)
            acked.append(alpha.acked()["seq_no"])
        kill(primary)
        (promoted,) = wait_line(standby, "promoted:", tmp_path / "b1.err")[-1:]
        fence_seq = acked[-1] + 1
        assert f"epoch 1 (Fence at seq {fence_seq})" in promoted
        beta = Trader(port(pair.standby_endpoints["json"]))
        assert beta.send(price=1_060_000) == fence_seq + 1
        assert beta.acked()["seq_no"] == fence_seq + 1

        # the old primary back without its peer: sync replication alone acknowledges nothing
        old = run(["run", "--config", str(pair.primary_config), "--prefix", f"{tag}a-"], "a2",
                  "press Ctrl-C")  # fmt: skip
        stray = Trader(pair.json_port)
        assert stray.send(price=1_070_000) == fence_seq  # journaled there: the divergent tail
        wait_for(lambda: journaled_seqs(pair.primary_dir) == fence_seq, "the stray order journaled")
        assert stray.nothing_pending()  # never acknowledged: no standby of its epoch follows it
        kill(old)

        # with its peer: fenced, loudly, and every order refused
        old = run(["run", "--config", str(peered), "--prefix", f"{tag}a-"], "a3", "press Ctrl-C")
        shout = (tmp_path / "a3.err").read_text()
        superseded = f"superseded by epoch 1 at {pair.standby_endpoints['replication']}"
        assert "FENCED" in shout and superseded in shout
        refused = Trader(pair.json_port)
        refused.client.send(
            order("sell", 10, 1_050_000, firm="ALPHA", account="ALPHA-1", client_order_id="late")
        )
        answer = refused.client.read()
        assert (answer["type"], answer["code"]) == ("error", "fenced"), answer
        assert superseded in answer["text"]
        assert marker_path(pair.primary_dir).exists()
        kill(old)

        # the old primary rejoins the promoted host itself: its replicator (dormant until the
        # promotion) knows the epoch it journaled and tells it where the histories part
        rejoin = [
            "standby", "--primary", pair.standby_endpoints["replication"], str(pair.primary_config),
            "--prefix", f"{tag}a-",
        ]  # fmt: skip
        follower = run(rejoin, "a4", "press Ctrl-C")
        told = (tmp_path / "a4.err").read_text()
        assert f"seqs from {fence_seq} on are not in the primary's history" in told
        assert "quarantine: cut journal-" in told or "quarantine: moved journal-" in told
        assert beta.send(price=1_060_100) == fence_seq + 2  # sync now: its standby has it first
        assert beta.acked()["seq_no"] == fence_seq + 2
        wait_for(
            lambda: journaled_seqs(pair.primary_dir) == journaled_seqs(pair.standby_dir),
            "the former primary caught up",
        )
        assert not marker_path(pair.primary_dir).exists()
        follower_out = stop(follower)
        new_out = stop(standby)
    finally:
        for proc in running:
            if proc.poll() is None:
                kill(proc)
        sweep_abandoned(tag)  # what a host killed here left in /dev/shm
    assert live_hash(follower_out) == live_hash(new_out)
    segments = [journal_bytes(d) for d in (pair.primary_dir, pair.standby_dir)]
    assert [{n: b for n, b in s.items() if n.startswith("journal-")} for s in segments] == [
        {n: b for n, b in segments[1].items() if n.startswith("journal-")}
    ] * 2
    kept = b"".join(p.read_bytes() for p in journal_dir(pair.primary_dir).glob("*.quarantine"))
    assert struct.pack("<q", 1_070_000) in kept  # the stray order's record is kept aside
    seqs = [seq for _, seq, _ in JournalReader(journal_dir(pair.primary_dir)).records()]
    assert acked[-1] in seqs and seqs[-1] == fence_seq + 2


def with_fences(commands: list[Any], at: dict[int, int]) -> list[Any]:
    """``commands`` renumbered, with Fence(epoch) inserted before the i-th of ``at``."""
    out: list[Any] = []
    for i, cmd in enumerate(commands):
        if i in at:
            out.append(Fence(len(out) + 1, cmd.ts, at[i]))
        out.append(cmd._replace(seq_no=len(out) + 1))
    return out


@pytest.mark.parametrize(("shards", "fused"), [(3, False), (1, True)])
def test_fences_run_through_either_topology_as_through_the_exchange(
    prefix: str, tmp_path: Path, shards: int, fused: bool
) -> None:
    commands = with_fences(mixed_stream(600, seed=3), {40: 1, 300: 2, 301: 1, 500: 5})
    exchange = Exchange(1024)
    for cmd in commands:
        exchange.submit(cmd)
    assert exchange.risk.fences == [(1, 41), (2, 302), (5, 504)]
    spec = TopologySpec(
        prefix=prefix, data_dir=str(tmp_path), shards=shards, capacity=256,
        feedback_window=1024, journal_sync="none", fused=fused,
    )  # fmt: skip
    with in_process(spec) as runner:
        runner.publish(encode_records(commands))
        runner.pump()
        got = (runner.auditor.digest.hexdigest(), runner.auditor.digest.count)
        stage = runner.stages["core" if fused else "risk"]
        risk = stage._exchange.risk if fused else stage._risk  # type: ignore[attr-defined]
        assert risk.fences == exchange.risk.fences
    assert got == reference_digest(commands, 1024)
