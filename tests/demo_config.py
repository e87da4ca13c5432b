"""The demo configuration for tests that start a real host: its data in a temporary directory
and every listener on a free loopback port, so hosts of tests running at the same time on one
machine (or a `make run` beside them) never fight over a port: the TCP listeners (JSON, OUCH,
FIX, the book snapshot service), the retransmission server's UDP port, and the multicast
feed's port (a port of its own per host, so a test listening to the group hears its host
only)."""

from __future__ import annotations

import socket
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "config" / "demo.toml"
#: endpoint key -> (its line in the demo config, its host, the socket type of its port)
LISTENERS = {
    "json": ('json = "127.0.0.1:9877"', "127.0.0.1", socket.SOCK_STREAM),
    "ouch": ('ouch = "127.0.0.1:9879"', "127.0.0.1", socket.SOCK_STREAM),
    "fix": ('fix = "127.0.0.1:9878"', "127.0.0.1", socket.SOCK_STREAM),
    "glimpse": ('glimpse = "127.0.0.1:30003"', "127.0.0.1", socket.SOCK_STREAM),
    "mold_retransmit": ('mold_retransmit = "127.0.0.1:30002"', "127.0.0.1", socket.SOCK_DGRAM),
    "itch_multicast": ('itch_multicast = "239.192.0.1:30001"', "239.192.0.1", socket.SOCK_DGRAM),
    "http": ('http = "127.0.0.1:8080"', "127.0.0.1", socket.SOCK_STREAM),
    "replication": ('replication = "127.0.0.1:9880"', "127.0.0.1", socket.SOCK_STREAM),
}


def free_port(kind: socket.SocketKind = socket.SOCK_STREAM) -> int:
    """A port the kernel just found free on loopback (TCP or UDP)."""
    with socket.socket(socket.AF_INET, kind) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def demo_text(data_dir: Path, window: int | None = None) -> tuple[str, dict[str, str]]:
    """The demo config's text for ``data_dir`` (and feedback window ``window``), and the
    endpoint each listener got."""
    text = DEMO.read_text().replace('data_dir = "var"', f'data_dir = "{data_dir}"')
    if window is not None:
        text = text.replace("feedback_window = 1024", f"feedback_window = {window}")
    endpoints: dict[str, str] = {}
    for key, (line, host, kind) in LISTENERS.items():
        assert line in text, line
        endpoints[key] = f"{host}:{free_port(kind)}"
        text = text.replace(line, f'{key} = "{endpoints[key]}"')
    return text, endpoints
