"""What the gateway reads before it serves: its endpoint, and the ts floor of a restarted host.

* :func:`parse_endpoint`: ``"HOST:PORT"`` of the configuration (also ``sequex admin``'s
  ``--endpoint``).
* :func:`journaled_ts`: the receive time of the last journaled command; a restarted gateway
  stamps no ts below it (``engine.gateway.server``: ts is non-decreasing in seq_no order even
  when the wall clock stepped back between two runs).
"""

from __future__ import annotations

from engine.journal_format import journal_dir
from engine.records import RECORD_SIZE, CommandDecoder
from journal import JournalReader


def parse_endpoint(endpoint: str) -> tuple[str, int]:
    """``"HOST:PORT"`` -> (host, port); ValueError naming the endpoint otherwise."""
    host, sep, port = endpoint.rpartition(":")
    if not sep or not host or not port.isdigit() or int(port) > 65535:
        raise ValueError(f"endpoint {endpoint!r} is not HOST:PORT")
    return host, int(port)


def journaled_ts(data_dir: str, seq: int) -> int:
    """The ts of the command journaled as ``seq`` in ``data_dir`` (0 for seq 0 or when it is
    not there): a restarted gateway stamps no ts below it, whatever the wall clock says now."""
    directory = journal_dir(data_dir)
    if seq <= 0 or not directory.is_dir():
        return 0
    for _rtype, got, payload in JournalReader(directory).records(seq):
        if got == seq and len(payload) == RECORD_SIZE:
            return int(CommandDecoder().decode_many(payload)[0].ts)
        break
    return 0
