"""The host configuration: defaults, the demo file, and errors that name the key or line."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.config import ConfigError, load_config, parse_config, setup_commands
from engine.domain.types import (
    CASH,
    AddSymbol,
    Deposit,
    OpenAccount,
    SelfTradePrevention,
    SetSelfTradePrevention,
)
from engine.session_ids import is_stable, session_origin
from engine.topology import TopologySpec

DEMO = Path(__file__).resolve().parents[2] / "config" / "demo.toml"

MINIMAL = """
[[symbols]]
symbol = "ACME"
tick_size = 100
lot_size = 1
reference_price = 1000000
band_bps = 1000

[[firms]]
firm = "ALPHA"
password_hash = "scrypt$2$1$1$c2FsdHNhbHQ=$AAAAAAAAAAAAAAAAAAAAAA=="

[[firms.accounts]]
account = "A-1"
cash = 500
shares = { ACME = 7 }
"""


def test_an_empty_file_gives_the_documented_defaults() -> None:
    config = parse_config("")
    assert config.matcher_shards == 2
    assert config.ring_capacity == 65536
    assert config.journal_sync == "batch"
    assert config.topology == "sharded"
    assert config.endpoints["fix"] == "127.0.0.1:9878"
    assert config.endpoints["itch_multicast"] == "239.192.0.1:30001"
    assert config.symbols == () and config.firms == ()
    assert config.gateway_max_connections == 256


def test_the_demo_config_loads_with_symbols_and_two_firms() -> None:
    config = load_config(DEMO)
    assert [s.symbol for s in config.symbols] == ["ACME", "GLOBEX", "INITECH"]
    assert [f.firm for f in config.firms] == ["ALPHA", "BETA"]
    assert all(f.accounts for f in config.firms)
    assert config.gateway_max_connections == 256


def test_setup_commands_are_numbered_in_a_fixed_order() -> None:
    commands = setup_commands(parse_config(MINIMAL), first_seq=10, ts=5)
    assert commands == [
        AddSymbol(10, 5, "ACME", 100, 1, 1000000, 1000),
        SetSelfTradePrevention(11, 5, "ALPHA", SelfTradePrevention.CANCEL_RESTING),
        OpenAccount(12, 5, "ALPHA", "A-1"),
        Deposit(13, 5, "A-1", CASH, 500),
        Deposit(14, 5, "A-1", "ACME", 7),
    ]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[rings]\ncapacity = 1000\n", "rings.capacity: must be a power of two, not 1000"),
        ("[exchange]\nmatcher_shards = 0\n", "exchange.matcher_shards: must be at least 1, not 0"),
        ("[exchange]\nshards = 2\n", "exchange.shards: is not a known key"),
        ("[journal]\nsync = 'sometimes'\n", "journal.sync: must be one of batch, interval, none"),
        ("[endpoints]\nftp = 'x'\n", "endpoints.ftp: is not a known endpoint"),
        ("[exchange]\nfeedback_window = true\n", "exchange.feedback_window: must be an integer"),
        (MINIMAL.replace("tick_size = 100", "tick_size = 300"), "symbols[0].reference_price"),
        (MINIMAL.replace("ACME = 7", "NOPE = 7"), "shares.NOPE: is not a configured symbol"),
        (MINIMAL + MINIMAL.split("[[firms]]")[1].join(["[[firms]]", ""]), "listed twice"),
        ("[exchange]\ntopology = 'mesh'\n", "exchange.topology: must be one of sharded, fused"),
        ("[exchange\n", "at line 1"),
        ("[gateway]\nmax_connections = 0\n", "gateway.max_connections: must be at least 1"),
        ("[gateway]\nmax_sessions = 9\n", "gateway.max_sessions: is not a known key"),
        ("[gateway]\nmax_connections = 99999\n", "gateway.max_connections: must be at most"),
    ],
)
def test_a_bad_config_is_refused_with_the_key_or_line(text: str, message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_config(text, "test.toml")
    assert message in str(caught.value)
    assert str(caught.value).startswith("test.toml: ")


def test_a_missing_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read"):
        load_config(tmp_path / "absent.toml")


def test_the_topology_is_parsed_and_a_fused_spec_has_one_shard() -> None:
    config = parse_config("[exchange]\ntopology = 'fused'\nmatcher_shards = 4\n")
    assert config.topology == "fused"
    spec = TopologySpec.from_config(config, "p-")
    assert spec.fused and spec.shards == 1
    assert spec.stage_names()[-3:] == ["auditor", "core", "journaler"]
    sharded = TopologySpec.from_config(parse_config("[exchange]\nmatcher_shards = 4\n"), "p-")
    assert not sharded.fused and sharded.shards == 4
    with pytest.raises(ValueError, match="one \\(virtual\\) shard"):
        TopologySpec(prefix="p-", data_dir="d", shards=2, fused=True)


SESSION = '\n[[firms.sessions]]\nname = "{name}"\nprotocol = "{protocol}"\n'


def test_configured_sessions_get_stable_origins_and_their_account() -> None:
    text = MINIMAL + SESSION.format(name="AO1", protocol="ouch")
    text += SESSION.format(name="ALPHA-FIX", protocol="fix") + "account = 'A-1'\n"
    text += "max_messages_per_second = 50\n"
    (firm,) = parse_config(text).firms
    ouch, fix = firm.sessions
    assert (ouch.name, ouch.protocol, ouch.account, ouch.max_messages_per_second) == (
        "AO1", "ouch", "A-1", 0,
    )  # fmt: skip
    assert fix.max_messages_per_second == 50 and not firm.cancel_on_disconnect
    assert ouch.origin == session_origin("ALPHA", "AO1") and is_stable(ouch.origin)
    assert ouch.origin != fix.origin
    reordered = parse_config(MINIMAL + SESSION.format(name="AO1", protocol="ouch"))
    assert reordered.firms[0].sessions[0].origin == ouch.origin  # the same in every run


def test_a_named_json_session_is_configured_like_the_others() -> None:
    text = MINIMAL + SESSION.format(name="ALPHA-JSON_1", protocol="json")
    text += "max_messages_per_second = 20\n"
    (firm,) = parse_config(text).firms
    (named,) = firm.sessions
    assert (named.name, named.protocol, named.account, named.max_messages_per_second) == (
        "ALPHA-JSON_1", "json", "A-1", 20,
    )  # fmt: skip
    assert named.origin == session_origin("ALPHA", "ALPHA-JSON_1") and is_stable(named.origin)
    longest = "J" * 32
    assert parse_config(MINIMAL + SESSION.format(name=longest, protocol="json")).firms


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (SESSION.format(name="AO1", protocol="itch"), "protocol: must be one of fix, ouch, json"),
        (SESSION.format(name="J" * 33, protocol="json"), "at most 32 characters"),
        (
            SESSION.format(name="AO1", protocol="ouch")
            + SESSION.format(name="AO1", protocol="json"),
            "listed twice for ALPHA",
        ),
        (SESSION.format(name="TOOLONG", protocol="ouch"), "name: must be a non-empty string"),
        (SESSION.format(name="A O", protocol="fix"), "must be letters, digits"),
        (SESSION.format(name="AO1", protocol="ouch") + 'account = "B-9"\n', "not one of ALPHA"),
        (SESSION.format(name="AO1", protocol="ouch") * 2, "listed twice for ALPHA"),
        ("cancel_on_disconnect = 1\n", "cancel_on_disconnect: must be true or false"),
    ],
)
def test_a_bad_session_is_refused_naming_the_key(extra: str, message: str) -> None:
    text = MINIMAL.replace('firm = "ALPHA"\n', 'firm = "ALPHA"\n' + extra, 1)
    if extra.startswith("\n[[firms.sessions]]"):
        text = MINIMAL + extra
    with pytest.raises(ConfigError, match=message):
        parse_config(text)
