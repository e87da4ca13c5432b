"""The host's background scrub: the journal segments its start did not read, checked niced.

A start reads only the newest snapshot's journal tail (and recovery the last segment), so damage
in older segments would go unnoticed until a replay from the start, or a new standby, needed
them. Once the host is up, :class:`BackgroundScrub` runs ``sequex journal verify PATH
--before-seq SEQ --contiguous-from 1 --nice 10`` in a child process (its own interpreter: the
checksums are CPU work that must not hold the supervisor's GIL) and reports its verdict
through ``report`` (a callable taking one line and whether it is an alert; the run CLI prints
it, on stderr when the scrub found damage). It never
stops the exchange: the running state does not depend on those segments. ``stop()`` ends a scrub
still running when the host stops; a host killed outright takes the scrub with it
(``disruptor.preexec_exit_with_parent``: SIGKILL when the host dies), so no orphan keeps
reading the journal for nobody. Its ``preexec_fn`` only calls a ``prctl`` loaded beforehand,
which is safe in the child of the threaded host.
"""

from __future__ import annotations

import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path

from disruptor import preexec_exit_with_parent
from engine import native

#: How much lower than the host the scrub runs (nice increment).
SCRUB_NICE = 10


class BackgroundScrub:
    """One scrub of the segments of ``journal_dir`` that start below ``before_seq``."""

    def __init__(
        self, journal_dir: Path, before_seq: int, report: Callable[[str, bool], None]
    ) -> None:
        self.journal_dir = journal_dir
        self.before_seq = before_seq
        self._report = report
        self._process: subprocess.Popen[str] | None = None
        self._thread = threading.Thread(target=self._run, name="journal-scrub", daemon=True)
        self.result: int | None = None  # the verify exit code once done

    def start(self) -> BackgroundScrub:
        command = [sys.executable, "-m", "tools.cli", "journal", "verify", str(self.journal_dir)]
        command += ["--before-seq", str(self.before_seq), "--nice", str(SCRUB_NICE)]
        command += ["--contiguous-from", "1"]  # a host journal: seqs 1, 2, 3, ...
        self._process = subprocess.Popen(
            command,
            cwd=native.ROOT,  # where `tools` imports from, wherever the host was started
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            preexec_fn=preexec_exit_with_parent(),  # dies with the host
        )
        self._thread.start()
        return self

    def _run(self) -> None:
        assert self._process is not None
        output, _ = self._process.communicate()
        code = self._process.returncode
        self.result = code
        lines = [line for line in output.splitlines() if line.strip()]
        if code == 0:
            self._report(f"journal scrub: {lines[-1] if lines else 'OK'}", False)
        elif code < 0:
            return  # stopped with the host: no verdict
        else:
            for line in lines:
                self._report(f"journal scrub: {line}", True)
            self._report(
                "journal scrub: the running exchange does not depend on these segments, but a "
                "replay from the start or a new standby does: restore them from a copy or a "
                "standby (`sequex journal repair` would cut the journal there, losing every "
                "later seq)",
                True,
            )

    def wait(self, timeout: float | None = None) -> int | None:
        self._thread.join(timeout)
        return self.result

    def stop(self) -> None:
        """End the scrub if it still runs (the host is stopping)."""
        if self._process is not None and self._process.poll() is None:
            self._process.kill()
        if self._thread.is_alive():
            self._thread.join(5.0)
