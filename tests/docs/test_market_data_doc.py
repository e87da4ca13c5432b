"""docs/market-data.md says what the code does: its endpoint table and [market_data] defaults
are the configuration's, and the End of Snapshot it describes is the one encoded."""

from __future__ import annotations

import re
from pathlib import Path

from engine.config import DEFAULT_ENDPOINTS, MarketDataConfig
from engine.protocols.itch.glimpse import END_OF_SNAPSHOT_SIZE, EndOfSnapshot

DOC = (Path(__file__).resolve().parents[2] / "docs" / "market-data.md").read_text()


def test_the_endpoint_table_is_the_configurations_defaults() -> None:
    rows = re.findall(r"^\| [^|]+ \| `(\w+)` (?:\w+ )?([0-9.:]+)", DOC, re.M)
    assert {key for key, _ in rows} == {"itch_multicast", "mold_retransmit", "glimpse"}
    for key, value in rows:
        assert DEFAULT_ENDPOINTS[key] == value, key
    assert f"`itch_interface` {DEFAULT_ENDPOINTS['itch_interface']}" in DOC


def test_the_market_data_defaults_are_the_configurations() -> None:
    defaults = MarketDataConfig()
    pairs = re.findall(r"`(\w+)` \(([0-9,]+|true)", DOC)
    found = [(key, value) for key, value in pairs if hasattr(defaults, key)]
    assert {key for key, _ in found} == set(MarketDataConfig.__dataclass_fields__)
    for key, value in found:
        shown = True if value == "true" else int(value.replace(",", ""))
        assert shown == getattr(defaults, key), key


def test_end_of_snapshot_is_as_described() -> None:
    assert f"`G`, {END_OF_SNAPSHOT_SIZE} bytes" in DOC
    assert EndOfSnapshot(7).encode() == b"G" + b"7".rjust(20)
