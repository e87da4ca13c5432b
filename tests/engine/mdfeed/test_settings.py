"""The feed's configuration: [market_data], and the endpoints it serves checked by kind."""

from __future__ import annotations

import dataclasses

import pytest

from engine.config import DEFAULT_ENDPOINTS, ConfigError, HostConfig, parse_config
from engine.mdfeed.settings import FeedSettings, parse_address


def test_the_defaults_are_the_architectures_endpoints() -> None:
    config = parse_config("")
    settings = FeedSettings.from_config(config)
    assert settings.group == ("239.192.0.1", 30001)
    assert (settings.interface, settings.ttl) == ("127.0.0.1", 0)
    assert settings.retransmit == ("127.0.0.1", 30002)
    assert settings.snapshot == ("127.0.0.1", 30003)
    assert settings.heartbeat_ns == 1_000_000_000
    assert config.market_data.enabled
    assert settings.describe()[0].startswith("ITCH 5.0 in MoldUDP64 on multicast 239.192.0.1")


def test_market_data_keys_are_read_and_checked() -> None:
    config = parse_config(
        "[market_data]\nenabled = false\nheartbeat_ms = 250\nttl = 1\n"
        "recent_messages = 5000\nutc_offset_s = -18000\n"
    )
    market = config.market_data
    assert (market.enabled, market.heartbeat_ms, market.ttl) == (False, 250, 1)
    assert (market.recent_messages, market.utc_offset_s) == (5000, -18000)
    for bad, key in (("ttl = 300", "ttl"), ("utc_offset_s = 90000", "utc_offset_s"),
                     ("heartbeat_ms = 0", "heartbeat_ms"), ("colour = 1", "colour"),
                     ("utc_offset_s = true", "utc_offset_s")):  # fmt: skip
        with pytest.raises(ConfigError, match=f"market_data.{key}"):
            parse_config(f"[market_data]\n{bad}\n")


@pytest.mark.parametrize(
    ("key", "value", "words"),
    [
        ("itch_multicast", "127.0.0.1:30001", "not a multicast group"),
        ("itch_multicast", "239.192.0.1", "IPv4-address:port"),
        ("mold_retransmit", "239.192.0.1:30002", "not a unicast address"),
        ("glimpse", "localhost:30003", "IPv4-address:port"),
        ("glimpse", "127.0.0.1:70000", "no port"),
        ("itch_interface", "eth0", "not an IPv4 address"),
    ],
)
def test_an_endpoint_of_the_wrong_kind_is_refused_by_name(key: str, value: str, words: str) -> None:
    config = HostConfig(source="host.toml", endpoints={**DEFAULT_ENDPOINTS, key: value})
    with pytest.raises(ConfigError, match=f"host.toml: endpoints.{key}: .*{words}"):
        FeedSettings.from_config(config)


def test_an_address_parses_to_host_and_port() -> None:
    assert parse_address("239.1.2.3:9", multicast=True, what="x") == ("239.1.2.3", 9)
    assert dataclasses.replace(FeedSettings(), detach_lag=5).detach_lag == 5
