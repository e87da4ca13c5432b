"""The demo configuration's listeners, and free loopback ports to move them to.

A host that a tool or a test starts beside others (the drills, the pipeline bench, the
integration tests) must not take the demo's fixed ports: :data:`DEMO_LISTENERS` names each
listener's line in ``config/demo.toml`` so that it can be rewritten, and :func:`free_port`
finds a port the kernel says is free right now.
"""

from __future__ import annotations

import random
import socket
from pathlib import Path
from typing import Final

DEMO: Final = Path(__file__).resolve().parents[1] / "config" / "demo.toml"
#: endpoint key -> (its line in the demo config, its host, the socket type of its port)
DEMO_LISTENERS: Final = {
    "json": ('json = "127.0.0.1:9877"', "127.0.0.1", socket.SOCK_STREAM),
    "ouch": ('ouch = "127.0.0.1:9879"', "127.0.0.1", socket.SOCK_STREAM),
    "fix": ('fix = "127.0.0.1:9878"', "127.0.0.1", socket.SOCK_STREAM),
    "glimpse": ('glimpse = "127.0.0.1:30003"', "127.0.0.1", socket.SOCK_STREAM),
    "mold_retransmit": ('mold_retransmit = "127.0.0.1:30002"', "127.0.0.1", socket.SOCK_DGRAM),
    "itch_multicast": ('itch_multicast = "239.192.0.1:30001"', "239.192.0.1", socket.SOCK_DGRAM),
    "http": ('http = "127.0.0.1:8080"', "127.0.0.1", socket.SOCK_STREAM),
    "replication": ('replication = "127.0.0.1:9880"', "127.0.0.1", socket.SOCK_STREAM),
}


#: Where :func:`free_port` looks first: below the kernel's ephemeral range.
LOW_PORT: Final = 20000
#: Tries in that range before taking a port the kernel picks.
TRIES: Final = 64
#: Ports this process handed out already: never twice (a host's listeners must differ).
_given: set[int] = set()


def _ephemeral_low() -> int:
    try:
        text = Path("/proc/sys/net/ipv4/ip_local_port_range").read_text()
        return int(text.split()[0])
    except (OSError, ValueError, IndexError):
        return 32768  # Linux's default


def free_port(kind: socket.SocketKind = socket.SOCK_STREAM) -> int:
    """A loopback port of ``kind`` (TCP or UDP) that nothing holds now.

    Chosen at random below the kernel's ephemeral range when it can be: a port the kernel
    hands out itself (bind to port 0) is one it also gives outgoing connections, and with
    several suites running on the machine one of their connections took such a port between
    this check and the host's bind. The choice decides no outcome, only where a test host
    listens."""
    high = _ephemeral_low()
    if high - LOW_PORT > 1000:
        for _ in range(TRIES):
            port = random.randrange(LOW_PORT, high)
            if port in _given:
                continue
            with socket.socket(socket.AF_INET, kind) as probe:
                try:
                    probe.bind(("127.0.0.1", port))
                except OSError:
                    continue
                _given.add(port)
                return port
    with socket.socket(socket.AF_INET, kind) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])
