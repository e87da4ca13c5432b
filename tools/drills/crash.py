"""The single-host crash drill: SIGKILL a real host under load, restart it, verify.

One round (:func:`crash_round`), in a fresh data directory:

1. pick the scenario from the round's seed: topology (fused or sharded, 1 or 2 matcher
   shards), feedback window W (1 or 1024), and the kill moment: after a number of
   acknowledgements between a fifth and four fifths of the orders;
2. start ``sequex run`` (``tools.drills.host``) and log every session in;
3. run the load (``tools.drills.load``); at the kill moment SIGKILL the host's whole process
   tree, wait until none of it is left, start it again on the same data directory, and time
   how long until an order is acknowledged again (``restart_ms``: from the SIGKILL to the
   ack of a probe order through the restarted gateway);
4. the sessions log in again on their own and recover (``tools.drills.session``); the load
   finishes, every session settles (its last order acknowledged), they log out;
5. stop the host cleanly, read its ``live_state_hash``, replay its journal offline
   (``tools.drills.facts``) and hold the ledger against it (``tools.drills.verify``).

Nothing here decides an exchange outcome: the seed picks the scenario, the exchange does the
rest. The failover drill reuses the same parts with a standby in place of the restart.
"""

from __future__ import annotations

import asyncio
import random
from dataclasses import dataclass, field
from pathlib import Path

from tools.drills.facts import read_facts
from tools.drills.host import SESSIONS, HostController, drill_config
from tools.drills.ledger import Ledger
from tools.drills.load import LoadRunner
from tools.drills.session import SessionSpec, Target
from tools.drills.verify import Verdict, verify

__all__ = ["PROTOCOL_CHOICES", "RoundResult", "Scenario", "crash_round", "session_specs"]

PROTOCOL_CHOICES = ("json", "ouch", "fix", "mixed")
_PASSWORDS = {"ALPHA": "alpha-pass", "BETA": "beta-pass"}


@dataclass(frozen=True, slots=True)
class Scenario:
    round: int
    seed: int
    protocol: str
    orders: int
    topology: str
    shards: int
    window: int
    kill_after: int

    @classmethod
    def pick(
        cls, round_no: int, seed: int, protocol: str, orders: int, drill: str = "crash"
    ) -> Scenario:
        """The scenario of round ``round_no``: each drill draws its own from the seed."""
        rng = random.Random(f"{drill}/{seed}/{round_no}")
        topology = rng.choice(("fused", "sharded"))
        shards = rng.choice((1, 2)) if topology == "sharded" else 1
        window = rng.choice((1, 1024))
        kill_after = rng.randint(max(1, orders // 5), max(1, orders * 4 // 5))
        return cls(round_no, seed, protocol, orders, topology, shards, window, kill_after)


@dataclass(slots=True)
class RoundResult:
    scenario: Scenario
    verdict: Verdict
    restart_ms: float
    acked_at_kill: int
    logins: dict[str, int] = field(default_factory=dict)


def session_specs(protocol: str) -> list[SessionSpec]:
    """The sessions of ``protocol`` (every protocol's for "mixed", or a comma-separated list
    such as "json,ouch"): two per firm and protocol."""
    wanted = ("json", "ouch", "fix") if protocol == "mixed" else tuple(protocol.split(","))
    specs = []
    for firm, sessions in SESSIONS.items():
        for name, proto in sessions:
            if proto in wanted:
                specs.append(SessionSpec(name, proto, firm, _PASSWORDS[firm], f"{firm}-1"))
    return specs


async def crash_round(scenario: Scenario, workdir: Path) -> RoundResult:
    """Run one round in ``workdir`` (created); HostError or DrillError if it could not run."""
    workdir.mkdir(parents=True)
    data_dir = workdir / "var"
    text, endpoints = drill_config(
        data_dir,
        topology=scenario.topology,
        window=scenario.window,
        shards=scenario.shards,
        snapshot_every=max(50, scenario.orders // 3),
    )
    config = workdir / "host.toml"
    config.write_text(text)
    host = HostController(config, workdir)
    ledger = Ledger()
    target = Target({k: endpoints[k] for k in ("json", "ouch", "fix")})
    runner = LoadRunner(
        session_specs(scenario.protocol),
        target,
        ledger,
        orders=scenario.orders,
        seed=scenario.seed * 1000 + scenario.round,
    )
    await host.start()
    try:
        await runner.connect()
        load = asyncio.create_task(runner.run())
        while ledger.acked_count < scenario.kill_after and not load.done():
            await asyncio.sleep(0.002)
        acked_at_kill = ledger.acked_count
        killed_at = host.kill()
        await host.wait_dead()
        await host.start()
        accepting_at = await host.wait_accepting(endpoints["json"], ledger, "probe")
        restart_ms = (accepting_at - killed_at) * 1000
        await load
        await runner.settle()
        await runner.close()
        stopped = await host.stop()
    finally:
        await runner.close()
        if host.running:
            host.kill()
            await host.wait_dead()
    facts = read_facts(data_dir)
    verdict = verify(ledger, facts, stopped["live_state_hash"], kills=1)
    logins = {name: trace.logins for name, trace in ledger.sessions.items()}
    return RoundResult(scenario, verdict, restart_ms, acked_at_kill, logins)
