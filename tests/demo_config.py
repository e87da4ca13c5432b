"""The demo configuration for tests that start a real host: its data in a temporary directory
and every listener on a free loopback port, so hosts of tests running at the same time on one
machine (or a `make run` beside them) never fight over a port: the TCP listeners (JSON, OUCH,
FIX, the book snapshot service), the retransmission server's UDP port, and the multicast
feed's port (a port of its own per host, so a test listening to the group hears its host
only)."""

from __future__ import annotations

from pathlib import Path

from tools.demo_ports import DEMO, DEMO_LISTENERS, free_port

__all__ = ["DEMO", "ROOT", "demo_text"]

ROOT = Path(__file__).resolve().parents[1]


def demo_text(data_dir: Path, window: int | None = None) -> tuple[str, dict[str, str]]:
    """The demo config's text for ``data_dir`` (and feedback window ``window``), and the
    endpoint each listener got."""
    text = DEMO.read_text().replace('data_dir = "var"', f'data_dir = "{data_dir}"')
    if window is not None:
        text = text.replace("feedback_window = 1024", f"feedback_window = {window}")
    endpoints: dict[str, str] = {}
    for key, (line, host, kind) in DEMO_LISTENERS.items():
        assert line in text, line
        endpoints[key] = f"{host}:{free_port(kind)}"
        text = text.replace(line, f'{key} = "{endpoints[key]}"')
    return text, endpoints
