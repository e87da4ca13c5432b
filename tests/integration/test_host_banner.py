"""What an operator sees of a live host: the startup banner, and each process's title in ps.

The banner lists what is served and where (once every listed port accepts connections), and
names what is not served yet in one line (now nothing); the host's settings are one
``settings:`` line.
Every process of the host shows its role in /proc/PID/cmdline (what ps prints), never
``python -B -c from multiprocessing.spawn ...``.
"""

from __future__ import annotations

import os
from pathlib import Path

from tests.demo_config import demo_text
from tests.integration.test_gateway_host import running_host
from tests.integration.test_host_crash_shm import children

#: the demo runs the feed, so the marketdata stage keeps the views (no views process)
STAGES = (
    "journaler", "risk", "matcher0", "matcher1", "publisher", "auditor", "snapshotter",
    "marketdata", "reporter",
)  # fmt: skip


def cmdline(pid: int) -> str:
    return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode().strip()


def host_config(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    """The demo config (W = 1) on free ports, and the endpoint of each listener."""
    text, endpoints = demo_text(tmp_path / "var", 1)
    path = tmp_path / "host.toml"
    path.write_text(text)
    return path, endpoints


def test_every_process_of_a_live_host_shows_its_role(tmp_path: Path) -> None:
    config, _ = host_config(tmp_path)
    with running_host(config) as run:
        host_title = cmdline(run.pid)
        titles = sorted(cmdline(pid) for pid in children(run.pid))
        policies = {cmdline(pid): os.sched_getscheduler(pid) for pid in children(run.pid)}
    assert host_title == f"sequex: host {tmp_path / 'var'}"
    sequex_titles = [title for title in titles if title.startswith("sequex: ")]
    assert sorted(sequex_titles) == sorted(f"sequex: {role}" for role in (*STAGES, "gateway"))
    assert not [title for title in titles if "multiprocessing.spawn" in title], titles
    # the reporter and the snapshotter take only the core time nothing else wants
    # (engine.stages.priority)
    assert policies["sequex: reporter"] == os.SCHED_IDLE
    assert policies["sequex: snapshotter"] == os.SCHED_IDLE
    assert policies["sequex: journaler"] == os.SCHED_OTHER


def test_the_banner_lists_what_is_served_and_puts_settings_on_one_line(tmp_path: Path) -> None:
    config, endpoints = host_config(tmp_path)
    with running_host(config) as run:
        banner = [line.rstrip("\n") for line in run.banner]
    assert banner[0] == f"sequex host up (pid {run.pid})"
    (settings,) = [line for line in banner if line.startswith("settings: ")]
    assert f"W=1, rules 3, data in {tmp_path / 'var'}, shm prefix sequex-gw" in settings
    serving = banner[banner.index("serving:") + 1 :]
    assert serving == [
        f"  JSON lines on {endpoints['json']}: firms' orders and `sequex admin`, "
        "sessions ALPHAJSON, BETAJSON",
        f"  FIX 4.4 on {endpoints['fix']}: TargetCompID SEQUEX, sessions ALPHAFIX, BETAFIX",
        f"  OUCH 4.2 over SoupBinTCP 3.0 on {endpoints['ouch']}: sessions ALPHA1, BETA1",
        f"  ITCH 5.0 in MoldUDP64 on multicast {endpoints['itch_multicast']} (interface "
        "127.0.0.1, TTL 0)",
        f"  MoldUDP64 retransmission on UDP {endpoints['mold_retransmit']}",
        f"  book snapshots (GLIMPSE-style, SoupBinTCP) on {endpoints['glimpse']}",
        f"  HTTP views and the web page on http://{endpoints['http']}/ (docs/views.md)",
        "press Ctrl-C to stop",
    ]
    text = "\n".join(banner)
    for default in ("127.0.0.1:8080", "127.0.0.1:30003", "239.192.0.1:30001"):
        assert default not in text  # every listener is on the port the config gave it
