"""The standby-restart drill: SIGKILL the standby under load, restart it, prove the pair heals.

With sync replication (the default) the primary acknowledges a command only once the standby
has journaled it, so while no standby is there nothing new is acknowledged: the primary
journals what arrives and holds it (docs/replication.md). One round
(:func:`standby_restart_round`), in a fresh directory:

1. pick the scenario from the seed (``Scenario.pick(..., drill="standby-restart")``):
   topology, W, the kill moment, and how long the standby stays dead (0.2 to 1.5 s);
2. start a primary with sync replication and a standby (without ``--promote``: its primary
   never dies here) and log every session in on the primary;
3. run the load; at the kill moment SIGKILL the standby's whole process tree, leave it dead
   for the drawn time, then start it again on the same data directory: it recovers its own
   journal, says where it ends, and the primary sends what it lacks, first from the journal
   files, then from the ring, until the replicator logs ``in sync``;
4. the load finishes on the primary, every session settles and logs out; the primary stops
   cleanly, then the standby.

A round checks, beyond the verifier's findings (the primary's journal replayed offline against
the ledger; no session had to log in again):

* **held**: no order entered after the standby's death was acknowledged before the standby
  was back (sync replication held);
* **caught up**: the replicator saw the restarted standby connect with its journal at a seq
  at or past every seq acknowledged until then, and then in sync;
* **copy**: the standby's journal equals the primary's byte for byte, and its
  ``live_state_hash`` at its stop equals the offline replay's.

Figures: ``held_ms``, from the standby's SIGKILL to the first ack of an order entered after
it (how long a client waited for an ack across the outage); ``up_ms``, from the restart to the
standby's banner (it recovered, connected and spawned its stages, which may still be
starting: its first journaled record can come seconds later on a loaded machine);
``sync_ms``, from the restart to the replicator's ``in sync`` line (it has sent all the
standby lacked: the standby connects before its stages start, so this can come first); how
many records the standby lacked when it came back.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

from engine.journal_format import journal_dir
from tools.drills.crash import Scenario, session_specs
from tools.drills.facts import read_facts
from tools.drills.ledger import Ledger
from tools.drills.load import ANSWER_SECONDS, LoadRunner
from tools.drills.pair import Pair, ReplicatorLine, pair_configs, replicator_lines, wait_for_line
from tools.drills.session import Target
from tools.drills.verify import Verdict, verify

__all__ = ["DOWN_SECONDS", "RestartResult", "down_seconds", "standby_restart_round"]

#: how long the standby stays dead, drawn from the seed within this range
DOWN_SECONDS: Final = (0.2, 1.5)


def down_seconds(scenario: Scenario) -> float:
    rng = random.Random(f"standby-restart/{scenario.seed}/{scenario.round}/down")
    return round(rng.uniform(*DOWN_SECONDS), 3)


@dataclass(slots=True)
class RestartResult:
    scenario: Scenario
    verdict: Verdict
    down_s: float
    #: SIGKILL of the standby -> the first ack of an order entered after it (None: no such)
    held_ms: float | None
    #: the standby's restart -> the replicator's "in sync" line seen (all it lacked was sent)
    sync_ms: float
    #: the standby's restart -> its banner (its stages spawned, perhaps still starting)
    up_ms: float
    acked_at_kill: int
    #: orders entered while the standby was dead or catching up, acknowledged after it
    held_orders: int
    #: the replicator's view of the restarted standby: its journal's end, what it lacked
    rejoined_at: int
    behind: int
    logins: dict[str, int] = field(default_factory=dict)
    pair: list[str] = field(default_factory=list)

    @property
    def findings(self) -> list[str]:
        return [*self.verdict.findings, *(f"standby: {x}" for x in self.pair)]


async def standby_restart_round(scenario: Scenario, workdir: Path) -> RestartResult:
    """Run one round in ``workdir`` (created); HostError or DrillError if it could not run."""
    workdir.mkdir(parents=True)
    configs = pair_configs(
        workdir,
        topology=scenario.topology,
        window=scenario.window,
        shards=scenario.shards,
        snapshot_every=max(50, scenario.orders // 3),
    )
    pair = Pair(configs, workdir, promote=False)
    ledger = Ledger()
    runner = LoadRunner(
        session_specs(scenario.protocol),
        Target(pair.endpoints("primary")),
        ledger,
        orders=scenario.orders,
        seed=scenario.seed * 1000 + scenario.round,
    )
    down = down_seconds(scenario)
    try:
        await pair.start()
        await runner.connect()
        load = asyncio.create_task(runner.run())
        while ledger.acked_count < scenario.kill_after and not load.done():
            await asyncio.sleep(0.002)
        acked_at_kill = ledger.acked_count
        killed_at = pair.standby.kill()
        await pair.standby.wait_dead()
        # The load's own orders may all be in flight (every window full) or all sent by now:
        # this one is surely entered while the standby is dead, so the hold is always tried.
        held_probe = await runner.enter_resting("held")
        await asyncio.sleep(max(0.0, killed_at + down - time.monotonic()))
        said = pair.primary.err.stat().st_size
        restarted_at = time.monotonic()
        pair.standby.spawn()
        (synced_at, _), up_at = await asyncio.gather(
            wait_for_line(pair.primary.err, "in sync at seq", after=said), _banner(pair)
        )
        await load
        with contextlib.suppress(TimeoutError):  # unanswered: a finding, below
            await asyncio.wait_for(asyncio.shield(held_probe), ANSWER_SECONDS)
        await runner.settle()
        await runner.close()
        primary = await pair.primary.stop()
        standby = await pair.standby.stop()
    finally:
        await runner.close()
        await pair.kill_all()
    facts = read_facts(configs.primary_dir)
    verdict = verify(ledger, facts, primary["live_state_hash"], kills=0)
    rejoin = _rejoin(pair.primary.err, said)
    held = [
        e for e in ledger.orders.values()
        if e.sent_at > killed_at and e.acked_at is not None and e.session != "probe"
    ]  # fmt: skip
    result = RestartResult(
        scenario,
        verdict,
        down_s=down,
        held_ms=min(
            ((e.acked_at - killed_at) * 1000 for e in held if e.acked_at is not None),
            default=None,
        ),
        sync_ms=(synced_at - restarted_at) * 1000,
        up_ms=(up_at - restarted_at) * 1000,
        acked_at_kill=acked_at_kill,
        held_orders=sum(1 for e in held if e.sent_at < synced_at),
        rejoined_at=rejoin.seq if rejoin else 0,
        behind=rejoin.behind if rejoin else 0,
        logins={name: trace.logins for name, trace in ledger.sessions.items()},
    )
    answered = held_probe.done() and not held_probe.cancelled()
    outcome = held_probe.result() if answered else "never answered"
    if outcome != "accepted":
        result.pair.append(f"the order entered while it was dead was {outcome}")
    result.pair.extend(_held_findings(ledger, killed_at, restarted_at))
    result.pair.extend(_rejoin_findings(ledger, rejoin, restarted_at))
    if _journal(configs.standby_dir) != _journal(configs.primary_dir):
        result.pair.append("its journal differs from the primary's")
    if standby["live_state_hash"] != facts.live_state_hash:
        result.pair.append(
            f"it stopped at live_state_hash {standby['live_state_hash']}, the replay of the "
            f"primary's journal gives {facts.live_state_hash}"
        )
    return result


async def _banner(pair: Pair) -> float:
    await pair.standby.wait_banner()
    return time.monotonic()


def _rejoin(err: Path, after: int) -> ReplicatorLine | None:
    """The replicator's "connected" line about the restarted standby."""
    lines = replicator_lines(err, after)
    return next((line for line in lines if line.kind == "connected"), None)


def _held_findings(ledger: Ledger, killed_at: float, restarted_at: float) -> list[str]:
    """Sync held: nothing entered after the standby's death was acknowledged without it."""
    return [
        f"{e.cid} ({e.session}) was entered {1000 * (e.sent_at - killed_at):.0f} ms after the "
        f"standby died and acknowledged {1000 * (restarted_at - e.acked_at):.0f} ms before it "
        "was restarted"
        for e in ledger.orders.values()
        if e.sent_at > killed_at and e.acked_at is not None and e.acked_at < restarted_at
    ]


def _rejoin_findings(
    ledger: Ledger, rejoin: ReplicatorLine | None, restarted_at: float
) -> list[str]:
    """The restarted standby came back holding every seq acknowledged until then."""
    if rejoin is None:
        return ["the primary's replicator never saw the restarted standby connect"]
    acked = [
        e.ack[1] for e in ledger.orders.values()
        if e.ack is not None and e.acked_at is not None and e.acked_at < restarted_at
    ]  # fmt: skip
    if acked and max(acked) > rejoin.seq:
        return [
            f"it came back with its journal at seq {rejoin.seq}, but seq {max(acked)} had "
            "been acknowledged to a client"
        ]
    return []


def _journal(data_dir: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(journal_dir(data_dir).glob("*.log"))}
