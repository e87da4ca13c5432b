"""docs/replication.md says what the code does: its frame table is the codec's, its table of
``[replication]`` keys the configuration's defaults, and its demo pair the files in config/."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

from engine.config import ReplicationConfig, load_config
from journal import replication
from tools.cli import build_parser

ROOT = Path(__file__).resolve().parents[2]
DOC = (ROOT / "docs" / "replication.md").read_text(encoding="utf-8")


def test_the_frame_table_is_the_codecs() -> None:
    rows = re.findall(r"^\| `([A-Z]+)` (\d+) \|", DOC, re.M)
    assert [(name, int(number)) for name, number in rows] == sorted(
        ((name, getattr(replication, name)) for name in replication._NAMES.values()),
        key=lambda row: row[1],
    )
    assert f"limit of {replication.MAX_FRAME >> 20} MiB" in DOC


def test_the_key_table_gives_the_configurations_defaults() -> None:
    rows = dict(re.findall(r"^\| `(\w+)` \| `?([^|`]+?)`? \|", DOC, re.M))
    defaults = ReplicationConfig()
    assert rows == {
        "enabled": str(defaults.enabled).lower(),
        "mode": f'"{defaults.mode}"',
        "heartbeat_ms": str(defaults.heartbeat_ms),
        "timeout_ms": str(defaults.timeout_ms),
    }


def test_the_demo_pair_runs_as_shown() -> None:
    (primary_line,) = re.findall(r"^\.venv/bin/sequex (run .*)$", DOC, re.M)
    (standby_line,) = re.findall(r"^\.venv/bin/sequex (standby .*)$", DOC, re.M)
    for line in (primary_line, standby_line):
        argv = shlex.split(line)
        build_parser(argv).parse_args(argv)  # a usage error exits: the test fails
    standby = build_parser(shlex.split(standby_line)).parse_args(shlex.split(standby_line))
    primary = load_config(ROOT / shlex.split(primary_line)[-1])
    assert primary.replication.enabled
    assert standby.primary == primary.endpoints["replication"]
    standby_config = load_config(ROOT / standby.config)
    assert standby_config.replication.enabled  # dormant until promoted (its own endpoint)
    assert standby_config.endpoints["replication"] != primary.endpoints["replication"]
    assert standby_config.endpoints["itch_multicast"] == primary.endpoints["itch_multicast"]
