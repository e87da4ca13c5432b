"""The title each host process shows in ``ps`` and ``top``: ``sequex: ROLE``.

Every stage and the gateway start through ``multiprocessing``'s spawn, so without a title they
all read ``python -B -c from multiprocessing.spawn import ...`` and an operator cannot tell the
journaler from a matcher. Each sets its title first thing in its own process: the stages in
``engine.stage_factories.stage_factory``'s factory, the gateway in ``engine.gateway.process``, the
host in ``sequex run``. (Here, not in ``disruptor``: that package depends on the stdlib, numpy
and posix_ipc only.)
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Final

import setproctitle

#: What every title starts with: ``pgrep -f '^sequex: '`` lists a host's processes.
TITLE_PREFIX: Final = "sequex: "


def set_title(role: str) -> None:
    """Show this process as ``sequex: <role>`` (its command line in /proc, ps and top)."""
    setproctitle.setproctitle(TITLE_PREFIX + role)


@contextmanager
def titled(role: str) -> Iterator[None]:
    """``set_title(role)`` for the duration of a block, then the title the process had (a host
    run in-process, as tests do, gives the test runner its own title back)."""
    before = setproctitle.getproctitle()
    set_title(role)
    try:
        yield
    finally:
        setproctitle.setproctitle(before)
