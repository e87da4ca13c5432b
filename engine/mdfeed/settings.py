"""Where and how the market-data stage publishes: the settings it is built with.

:class:`FeedSettings` is picklable (it crosses ``spawn`` in the topology spec). It comes from
the host configuration (:meth:`FeedSettings.from_config`): the endpoints of ``[endpoints]``
(``itch_multicast``, ``itch_interface``, ``mold_retransmit``, ``glimpse``) and the knobs of
``[market_data]``. Endpoints are checked here, with :class:`~engine.config.ConfigError`
naming the key: a multicast group for the feed, unicast addresses for the two servers.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

from engine.config import ConfigError, HostConfig

__all__ = ["FeedSettings", "parse_address"]


def parse_address(text: str, *, multicast: bool, what: str) -> tuple[str, int]:
    """``"a.b.c.d:port"`` as (host, port); ConfigError unless the host is an IPv4 address of
    the right kind (a multicast group or a unicast address) and the port is in 1..65535."""
    host, _, port = text.rpartition(":")
    try:
        address = ipaddress.IPv4Address(host)
    except ValueError:
        raise ConfigError(f"{what}: expected IPv4-address:port, not {text!r}") from None
    if not port.isdigit() or not 0 < int(port) < 65536:
        raise ConfigError(f"{what}: no port in 1..65535 in {text!r}")
    if address.is_multicast != multicast:
        kind = "a multicast group" if multicast else "a unicast address"
        raise ConfigError(f"{what}: {host} is not {kind}")
    return host, int(port)


@dataclass(frozen=True)
class FeedSettings:
    """The feed's endpoints and knobs (module docstring)."""

    group: tuple[str, int] = ("239.192.0.1", 30001)
    #: the interface the multicast leaves by (IP_MULTICAST_IF); loopback keeps it on the host
    interface: str = "127.0.0.1"
    ttl: int = 0
    retransmit: tuple[str, int] = ("127.0.0.1", 30002)
    snapshot: tuple[str, int] = ("127.0.0.1", 30003)
    heartbeat_ns: int = 1_000_000_000
    #: messages the retransmission server answers from memory
    recent_messages: int = 1_000_000
    #: what a new feed session stamps its timestamps with (a session keeps its own)
    utc_offset_s: int = 0
    #: records of ring[events] the stage may leave unread before it lets go of the ring and
    #: catches up from the journal (None: half the ring)
    detach_lag: int | None = None
    #: niceness of the market-data process: the pipeline first (engine.mdfeed.publisher)
    nice: int = 10

    @classmethod
    def from_config(cls, config: HostConfig) -> FeedSettings:
        endpoints = config.endpoints
        where = f"{config.source}: endpoints"
        interface = endpoints["itch_interface"]
        try:
            ipaddress.IPv4Address(interface)
        except ValueError:
            raise ConfigError(
                f"{where}.itch_interface: {interface!r} is not an IPv4 address"
            ) from None
        market = config.market_data
        return cls(
            group=parse_address(
                endpoints["itch_multicast"], multicast=True, what=f"{where}.itch_multicast"
            ),
            interface=interface,
            ttl=market.ttl,
            retransmit=parse_address(
                endpoints["mold_retransmit"], multicast=False, what=f"{where}.mold_retransmit"
            ),
            snapshot=parse_address(endpoints["glimpse"], multicast=False, what=f"{where}.glimpse"),
            heartbeat_ns=market.heartbeat_ms * 1_000_000,
            recent_messages=market.recent_messages,
            utc_offset_s=market.utc_offset_s,
        )

    def describe(self) -> list[str]:
        """The banner's lines: what is served where."""
        group = f"{self.group[0]}:{self.group[1]}"
        return [
            f"ITCH 5.0 in MoldUDP64 on multicast {group} (interface {self.interface}, "
            f"TTL {self.ttl})",
            f"MoldUDP64 retransmission on UDP {self.retransmit[0]}:{self.retransmit[1]}",
            f"book snapshots (GLIMPSE-style, SoupBinTCP) on {self.snapshot[0]}:{self.snapshot[1]}",
        ]
