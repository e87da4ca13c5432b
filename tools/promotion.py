"""`sequex standby --promote`'s takeover (docs/replication.md, "Promotion" and "Fencing").

:func:`promote` runs once the standby lost its primary and proved it holds every command the
primary may have acknowledged:

1. everything received takes effect (the pipeline drains);
2. ``Fence(its epoch + 1)`` is journaled, the first command of this host's reign, durable
   before any order is taken (the fencing token: a former primary of a lower epoch is told
   it was superseded, and its tail past this seq is not in this history);
3. the gateway (spawned parked at start) serves CONFIG's endpoints from the next seq;
4. the stages learn the promotion (``engine.replication.role``): the feed unmutes, the
   replicator listens and answers epoch probes (it learns the Fence's epoch from ring[in],
   which the Fence went through, or from the journal before it answers) and, with
   ``[replication] enabled``, takes a standby of its own.
"""

from __future__ import annotations

import time
from typing import Any


def promote(
    config: Any,
    spec: Any,
    state: bytes | None,
    owners: dict[str, str],
    supervisor: Any,
    injector: Any,
    lost: float,
    fences: list[tuple[int, int]],
) -> bool:
    """Take over (see the module docstring); False: a stage failed on the way. ``fences``
    gets the new fence."""
    from engine.domain.types import Fence
    from engine.replication.handshake import epoch_of
    from engine.stages.injector import encode_records
    from engine.stages.state_parts import account_owners
    from tools.host_banner import LISTEN_SECONDS, wait_listening

    if not supervisor.drain(timeout=30.0):
        return False
    epoch = epoch_of(fences) + 1
    # the wall clock stamps the command, as a gateway would: it decides no outcome
    fence = Fence(injector.last_seq_no + 1, time.time_ns(), epoch)
    injector.publish(encode_records([fence]))  # before any gateway: the reign's first command
    if not supervisor.drain(timeout=30.0):  # journaled (durable) before an order is taken
        return False
    fences.append((epoch, fence.seq_no))
    last = injector.last_seq_no
    known = account_owners(state) if state is not None else {}
    supervisor.start_gateway(config, {**known, **owners}, journaled_seq=last)
    endpoints = [config.endpoints["json"]]
    for protocol in ("fix", "ouch"):
        if any(s.protocol == protocol for f in config.firms for s in f.sessions):
            endpoints.append(config.endpoints[protocol])
    for endpoint in endpoints:
        if not wait_listening(endpoint, supervisor, timeout=LISTEN_SECONDS):
            return False
    took = (time.monotonic() - lost) * 1000.0
    print(
        f"promoted: this host is the primary from seq {last + 1}, epoch {epoch} (Fence at seq "
        f"{fence.seq_no}); orders accepted on {', '.join(endpoints)} {took:.0f} ms after the "
        "primary was found lost",
        flush=True,
    )
    supervisor.promote()  # the feed unmutes, the replicator listens
    return serving_after_promotion(spec, supervisor)


def serving_after_promotion(spec: Any, supervisor: Any) -> bool:
    """Wait until the promoted stages listen, and say what they serve (False: one failed)."""
    from tools.host_banner import LISTEN_SECONDS, wait_listening

    lines = []
    feed = spec.market_data
    if feed is not None:
        snapshot = f"{feed.snapshot[0]}:{feed.snapshot[1]}"
        if not wait_listening(snapshot, supervisor, timeout=LISTEN_SECONDS):
            return False
        lines += feed.describe()
    replication = spec.replication
    if replication is not None:
        if not wait_listening(replication.endpoint, supervisor, timeout=LISTEN_SECONDS):
            return False
        if replication.probes_only:
            lines.append(
                f"epoch probes answered on {replication.endpoint} (no standby of its own: "
                "[replication] is not enabled here)"
            )
        else:
            mode = replication.mode
            if replication.sync:
                mode = "sync from the first standby on; none yet: commands take effect alone"
            lines.append(
                f"a standby of its own on {replication.endpoint} ({mode}); epoch probes "
                "answered there"
            )
    if lines:
        print("  now serving: " + "; ".join(lines), flush=True)
    return True
