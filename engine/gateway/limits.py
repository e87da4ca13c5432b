"""Fitting the gateway's connection cap to the process's file-descriptor limit.

Each open connection is a socket, and a refused one lingers for a while before it closes
(``engine.gateway.server``), so ``max_connections`` admitted plus as many lingering refusals
need about ``2 * max_connections`` descriptors, plus a few for the listener, the rings and the
standard streams. Past the limit ``accept`` fails with EMFILE instead of refusing cleanly.

:func:`fit_connection_cap` raises the soft ``RLIMIT_NOFILE`` towards the hard limit as needed
and returns the cap that fits (the configured one, or a smaller one with a warning on stderr
when even the hard limit is too low). Called once, in the gateway process, before listening.
"""

from __future__ import annotations

import resource
import sys

#: Descriptors the gateway process needs besides its connections.
RESERVED_DESCRIPTORS = 64


def descriptors_needed(max_connections: int) -> int:
    return 2 * max_connections + RESERVED_DESCRIPTORS


def fit_connection_cap(max_connections: int) -> int:
    """The connection cap this process can honour; raises the soft descriptor limit first."""
    needed = descriptors_needed(max_connections)
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY and soft < needed:
        target = needed if hard == resource.RLIM_INFINITY else min(needed, hard)
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
            soft = target
        except (ValueError, OSError):
            pass  # keep the current limit; the cap is fitted to it below
    if soft == resource.RLIM_INFINITY or soft >= needed:
        return max_connections
    fitted = max(1, (soft - RESERVED_DESCRIPTORS) // 2)
    print(
        f"sequex gateway: warning: max_connections {max_connections} needs {needed} file "
        f"descriptors but the limit is {soft}; serving at most {fitted} connections",
        file=sys.stderr,
    )
    return fitted
