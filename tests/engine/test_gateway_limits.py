"""The gateway's connection cap fitted to the descriptor limit (engine.gateway.limits)."""

from __future__ import annotations

import subprocess
import sys

from engine.gateway.limits import RESERVED_DESCRIPTORS, descriptors_needed, fit_connection_cap

# Run in a child: lowering RLIMIT_NOFILE must not touch the test process.
PROBE = """
import resource, sys
from engine.gateway.limits import fit_connection_cap
soft, hard = (int(x) for x in sys.argv[1:3])
resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
print(fit_connection_cap(int(sys.argv[3])), resource.getrlimit(resource.RLIMIT_NOFILE)[0])
"""


def _probe(soft: int, hard: int, cap: int) -> tuple[list[int], str]:
    done = subprocess.run(
        [sys.executable, "-c", PROBE, str(soft), str(hard), str(cap)],
        capture_output=True, text=True, timeout=60, check=True,
    )  # fmt: skip
    return [int(x) for x in done.stdout.split()], done.stderr


def test_a_cap_within_the_limit_is_kept() -> None:
    assert fit_connection_cap(1) == 1
    assert descriptors_needed(256) == 512 + RESERVED_DESCRIPTORS


def test_the_soft_limit_is_raised_towards_the_hard_one_to_fit_the_cap() -> None:
    (cap, soft), err = _probe(100, 4096, 256)
    assert (cap, soft, err) == (256, descriptors_needed(256), "")


def test_a_hard_limit_too_low_shrinks_the_cap_with_a_warning() -> None:
    (cap, soft), err = _probe(200, 200, 256)
    assert cap == (200 - RESERVED_DESCRIPTORS) // 2 and soft == 200
    assert "max_connections 256 needs 576 file descriptors but the limit is 200" in err
