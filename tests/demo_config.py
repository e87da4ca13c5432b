"""The demo configuration for tests that start a real host: its data in a temporary directory
and every TCP listener on a free loopback port, so hosts of tests running at the same time
on one machine (or a `make run` beside them) never fight over a port."""

from __future__ import annotations

import socket
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "config" / "demo.toml"
#: endpoint key -> its line in the demo config
LISTENERS = {
    "json": 'json = "127.0.0.1:9877"',
    "ouch": 'ouch = "127.0.0.1:9879"',
    "fix": 'fix = "127.0.0.1:9878"',
    "http": 'http = "127.0.0.1:8080"',
}


def free_port() -> int:
    with socket.socket() as probe:
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
    for key, line in LISTENERS.items():
        assert line in text, line
        endpoints[key] = f"127.0.0.1:{free_port()}"
        text = text.replace(line, f'{key} = "{endpoints[key]}"')
    return text, endpoints
