"""How far behind the journal the reporter is: a pure lag function and the status file.

The reporter's lag is counted in commands: the durable seq (what the journaler has made
durable) minus the reporter's position (the last command whose rows are committed).
:func:`reporter_lag` is that, as a pure function, for whoever shows it (``sequex report
status``, the host's stop line, an HTTP ``/health``).

The reporter stage writes ``DATA_DIR/reporter.status.json`` (:func:`write_status`: a temp file
renamed over the old one, no fsync: it is a gauge, not a record) at most about once a second
while its position moves, and when it stops. :func:`read_status` reads it back.
:func:`journal_end` is the last command seq in the journal's files, read from their sizes
(the durable seq of a stopped host), for a status taken while no reporter runs.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Final

from engine.journal_format import COMMAND_FRAME_SIZE, journal_dir
from journal.layout import FILE_HEADER_SIZE
from journal.scan import list_segments

STATUS_FILE: Final = "reporter.status.json"


def reporter_lag(durable_seq: int, position: int) -> int:
    """Commands durable in the journal and not yet in the reports database."""
    return max(0, durable_seq - position)


@dataclass(frozen=True, slots=True)
class ReporterStatus:
    #: the last command seq whose rows are committed
    position: int
    #: the durable seq the reporter last saw
    durable_seq: int
    backend: str
    where: str

    @property
    def lag(self) -> int:
        return reporter_lag(self.durable_seq, self.position)

    def describe(self) -> str:
        return (
            f"reporter ({self.backend}, {self.where}): through seq {self.position} of durable "
            f"seq {self.durable_seq}, lag {self.lag} commands"
        )


def status_path(data_dir: str | Path) -> Path:
    return Path(data_dir) / STATUS_FILE


def write_status(data_dir: str | Path, status: ReporterStatus) -> None:
    path = status_path(data_dir)
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_text(json.dumps(asdict(status), sort_keys=True) + "\n")
    os.replace(temporary, path)


def read_status(data_dir: str | Path) -> ReporterStatus | None:
    """The last status the reporter stage wrote (None: none, or unreadable)."""
    try:
        data = json.loads(status_path(data_dir).read_text())
        return ReporterStatus(
            int(data["position"]), int(data["durable_seq"]), str(data["backend"]),
            str(data["where"]),
        )  # fmt: skip
    except (OSError, ValueError, KeyError, TypeError):
        return None


def journal_end(data_dir: str | Path) -> int:
    """The last command seq in the journal files of ``data_dir`` (0: none), from the size of
    the last segment (fixed-size command frames; a torn last frame is not counted)."""
    directory = journal_dir(data_dir)
    if not directory.is_dir():
        return 0
    segments = list_segments(directory)
    if not segments:
        return 0
    first, path = segments[-1]
    frames = max(0, path.stat().st_size - FILE_HEADER_SIZE) // COMMAND_FRAME_SIZE
    return first + frames - 1
