"""The pair drills' parts that need no host: the two configs, the replicator's log as a drill
reads it, the scenario each drill draws, and the --protocol list."""

from __future__ import annotations

import argparse
import tomllib
from pathlib import Path

import pytest

from tools.drills.crash import Scenario, session_specs
from tools.drills.failover import _fence_findings
from tools.drills.pair import pair_configs, replicator_lines
from tools.drills.pair_cli import _protocols
from tools.drills.standby_restart import DOWN_SECONDS, down_seconds


def test_the_primary_replicates_in_sync_and_the_two_hosts_share_nothing(tmp_path: Path) -> None:
    configs = pair_configs(tmp_path, topology="fused", window=1, shards=1, snapshot_every=50)
    primary = tomllib.loads(configs.primary.read_text())
    standby = tomllib.loads(configs.standby.read_text())
    assert primary["replication"]["enabled"] is True
    assert primary["replication"]["mode"] == "sync"
    assert standby["replication"]["enabled"] is False
    assert primary["exchange"]["data_dir"] == str(configs.primary_dir)
    assert standby["exchange"]["data_dir"] == str(configs.standby_dir)
    ports = [port for _, port in configs.primary_endpoints.values()]
    ports += [port for _, port in configs.standby_endpoints.values()]
    assert len(set(ports)) == len(ports)  # every listener of both hosts on a port of its own
    assert 9880 not in ports and 9877 not in ports  # never the demo's fixed ones
    assert configs.replication == primary["endpoints"]["replication"]


def test_the_replicator_log_is_read_in_order_past_an_offset(tmp_path: Path) -> None:
    err = tmp_path / "primary.err"
    said = "sequex replicator: standby 127.0.0.1:{} {}\n"
    first = said.format(5000, "connected with its journal at seq 0; 17 to send")
    err.write_text(
        first
        + said.format(5000, "in sync at seq 17")
        + said.format(5000, "lost: 127.0.0.1:5000 closed the connection")
        + said.format(6000, "connected with its journal at seq 206; 55 to send")
        + said.format(6000, "in sync at seq 261")
    )
    lines = replicator_lines(err)
    assert [(x.kind, x.peer, x.seq, x.behind) for x in lines] == [
        ("connected", "127.0.0.1:5000", 0, 17),
        ("in sync", "127.0.0.1:5000", 17, 0),
        ("connected", "127.0.0.1:6000", 206, 55),
        ("in sync", "127.0.0.1:6000", 261, 0),
    ]
    later = replicator_lines(err, after=len(first))
    assert later[0].seq == 17 and later[1].seq == 206


def test_each_drill_draws_its_own_scenarios_from_the_seed() -> None:
    crash = [Scenario.pick(n, 7, "mixed", 400) for n in range(1, 21)]
    failover = [Scenario.pick(n, 7, "mixed", 400, drill="failover") for n in range(1, 21)]
    assert crash == [Scenario.pick(n, 7, "mixed", 400, drill="crash") for n in range(1, 21)]
    assert crash != failover
    assert all(80 <= s.kill_after <= 320 for s in failover)
    downs = [down_seconds(Scenario.pick(n, 7, "mixed", 400, drill="x")) for n in range(1, 21)]
    assert all(DOWN_SECONDS[0] <= d <= DOWN_SECONDS[1] for d in downs)
    assert len(set(downs)) > 1


def test_protocols_are_one_a_list_or_mixed() -> None:
    assert _protocols("json,ouch") == "json,ouch"
    assert {s.protocol for s in session_specs("json,ouch")} == {"json", "ouch"}
    assert len(session_specs("json,ouch")) == 8
    assert len(session_specs("mixed")) == 12
    for bad in ("json,json", "fox", "", "mixed,json"):
        with pytest.raises(argparse.ArgumentTypeError):
            _protocols(bad)


LINE = (
    "promoted: this host is the primary from seq 41, epoch 1 (Fence at seq 40); orders "
    "accepted on 127.0.0.1:1 12 ms after the primary was found lost"
)


def test_the_failover_drill_wants_the_one_fence_its_promotion_line_names() -> None:
    assert _fence_findings([(40, 1)], LINE, 41) == []
    assert "holds the Fences []" in _fence_findings([], LINE, 41)[0]
    assert "holds the Fences" in _fence_findings([(40, 1), (44, 2)], LINE, 41)[0]
    assert "not just before the reign" in _fence_findings([(40, 1)], LINE, 45)[0]
    stale = LINE.replace("epoch 1 ", "epoch 0 ")
    assert "not above its primary's" in _fence_findings([(40, 0)], stale, 41)[0]
    assert "names no Fence" in _fence_findings([], "promoted: from seq 41", 41)[0]
