"""`sequex run`'s part of fencing (docs/replication.md): probe the peer, say so loudly.

A host that starts as the primary with ``[replication] peer`` set asks the peer for its epoch
before its gateway serves (``engine.replication.peer``):

* the peer's epoch is higher (it was promoted): this host is fenced (``engine.fencing``); its
  gateways refuse every order and cancel, and the banner says why;
* the peer's epoch is not higher: the host serves;
* the peer cannot be reached (a partition, the peer down, or a standby that does not listen):
  with sync replication the host serves, because it acknowledges nothing that a standby has
  not journaled first and a promoted host never follows a lower epoch (so nothing it
  acknowledges can diverge); with async replication, or no replicator, it refuses to start:
  it could acknowledge commands that a promoted peer never sees.

Then a :class:`engine.replication.peer.PeerWatch` keeps asking every second while the host
runs, and fences it as soon as the peer answers with a higher epoch (a partition healed).
A host already fenced (the marker from an earlier run) stays fenced, peer or not.
"""

from __future__ import annotations

import sys
from typing import Any

LOUD = "*" * 78


def shout(message: str) -> None:
    print(f"{LOUD}\nsequex run: FENCED: {message}\n  every gateway refuses orders and cancels "
          f"(`fenced`); rejoin this host as the standby of its successor:\n  sequex standby "
          f"--primary HOST:PORT CONFIG\n{LOUD}", file=sys.stderr, flush=True)  # fmt: skip


def check_peer(config: Any, spec: Any, epoch: int) -> bool:
    """Probe the peer before serving (see the module docstring); False: refuse to start."""
    from engine.fencing import fence_reason, mark_fenced
    from engine.replication.handshake import fenced_by
    from engine.replication.peer import probe
    from engine.replication.rejoin import hello_for

    already = fence_reason(spec.data_dir)
    if already is not None:
        shout(already)
        return True
    peer = config.replication.peer
    if not peer:
        return True
    answer = probe(peer, hello_for(spec, None, None, epoch), timeout=2.0)
    if answer.epoch is not None:
        reason = fenced_by(epoch, answer.epoch, peer)
        if reason is not None:
            mark_fenced(spec.data_dir, reason)
            shout(reason)
        else:
            print(f"sequex run: peer {peer} is at epoch {answer.epoch}; this host's is {epoch}")
        return True
    sync = spec.replication is not None and spec.replication.sync
    if not sync:
        print(
            f"sequex run: refusing to start: the peer {peer} cannot be asked for its epoch "
            f"({answer.detail}), and without sync replication this host could acknowledge "
            "commands that a promoted peer never saw. Start it when the peer answers, or "
            "remove [replication] peer if the peer is gone for good.",
            file=sys.stderr,
        )
        return False
    print(
        f"sequex run: peer {peer} not reached ({answer.detail}); serving: with sync "
        "replication nothing is acknowledged before a standby of this epoch has it. "
        "Asking it again every second.",
        flush=True,
    )
    return True


def watch_peer(config: Any, spec: Any, epoch: int) -> Any:
    """The running host's watch of its peer (None: no peer, or already fenced)."""
    from engine.fencing import fence_reason
    from engine.replication.peer import PeerWatch
    from engine.replication.rejoin import hello_for

    if not config.replication.peer or fence_reason(spec.data_dir) is not None:
        return None
    return PeerWatch(
        config.replication.peer, spec.data_dir, lambda: hello_for(spec, None, None, epoch), shout
    ).start()
