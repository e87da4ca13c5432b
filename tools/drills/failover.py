"""The failover drill: SIGKILL a primary under load, let its hot standby take over, verify.

One round (:func:`failover_round`), in a fresh directory:

1. pick the scenario from the seed (``Scenario.pick(..., drill="failover")``): topology, W and
   the kill moment (after a number of acknowledgements between a fifth and four fifths of the
   orders);
2. start a primary with sync replication and a standby with ``--promote``
   (``tools.drills.pair``), on free loopback ports, and log every session in on the primary;
3. run the load (``tools.drills.load``); at the kill moment SIGKILL the primary's whole process
   tree and, in the same instant, switch the sessions' :class:`Target` to the standby's
   endpoints: each logs in there at its next attempt and recovers its numbering (JSON
   ``"from"``, SoupBinTCP sequence, FIX NextExpectedMsgSeqNum; OUCH and FIX resend what was
   unanswered under the same token or ClOrdID);
4. time the takeover from the client side: ``failover_ms`` runs from the SIGKILL to the ack of
   a probe order sent to the standby's JSON endpoint (tried every 5 ms from the kill on), and
   ``promoted_ms`` to the moment the standby's ``promoted:`` line is seen (polled every 5 ms),
   ``probe_login_ms`` to the probe's login accepted (a firm login costs an scrypt derivation);
5. the load finishes on the standby, every session settles and logs out, the standby stops
   cleanly (its ``live_state_hash``); its journal is replayed offline from the first record
   (``tools.drills.facts``) and held against the clients' ledger (``tools.drills.verify``,
   with one kill: every session must have logged in again).

Beyond the verifier's findings a round checks that the standby promoted from the seq after
the last one any client was acknowledged before the kill or later (it holds them all), and
that every session's logins after the kill went to the standby (they could go nowhere else),
and that the standby's journal holds exactly one Fence, the one its ``promoted:`` line names
(its seq and an epoch of at least 1), above every seq acknowledged before the kill.
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

from tools.drills.crash import Scenario, session_specs
from tools.drills.facts import read_facts
from tools.drills.host import HostError
from tools.drills.ledger import Ledger
from tools.drills.load import LoadRunner
from tools.drills.pair import Pair, pair_configs, wait_for_line
from tools.drills.session import Target
from tools.drills.verify import Verdict, verify

__all__ = ["FailoverResult", "failover_round"]

#: how often the probe tries the standby's JSON endpoint while it does not listen yet
PROBE_RETRY_SECONDS: Final = 0.005
_PROMOTED: Final = re.compile(r"primary from seq (\d+)\b.* (\d+) ms after the primary was found")
_FENCE: Final = re.compile(r"epoch (\d+) \(Fence at seq (\d+)\)")


@dataclass(slots=True)
class FailoverResult:
    scenario: Scenario
    verdict: Verdict
    #: SIGKILL of the primary -> a probe order acknowledged by the promoted standby
    failover_ms: float
    #: SIGKILL of the primary -> the standby's "promoted:" line seen on its stdout
    promoted_ms: float
    #: the standby's own figure: primary found lost -> its endpoints listening
    standby_ms: float
    #: SIGKILL of the primary -> the probe's login accepted by the promoted standby
    probe_login_ms: float
    acked_at_kill: int
    #: the first seq the promoted standby gives
    promoted_from: int
    logins: dict[str, int] = field(default_factory=dict)
    #: what the failover itself got wrong (beyond the verifier's findings)
    failover: list[str] = field(default_factory=list)

    @property
    def findings(self) -> list[str]:
        return [*self.verdict.findings, *(f"failover: {x}" for x in self.failover)]


async def failover_round(scenario: Scenario, workdir: Path) -> FailoverResult:
    """Run one round in ``workdir`` (created); HostError or DrillError if it could not run
    (a host would not start or stop, the standby did not take over)."""
    workdir.mkdir(parents=True)
    configs = pair_configs(
        workdir,
        topology=scenario.topology,
        window=scenario.window,
        shards=scenario.shards,
        snapshot_every=max(50, scenario.orders // 3),
    )
    pair = Pair(configs, workdir, promote=True)
    ledger = Ledger()
    target = Target(pair.endpoints("primary"))
    runner = LoadRunner(
        session_specs(scenario.protocol),
        target,
        ledger,
        orders=scenario.orders,
        seed=scenario.seed * 1000 + scenario.round,
    )
    standby = pair.standby
    try:
        await pair.start()
        await runner.connect()
        load = asyncio.create_task(runner.run())
        while ledger.acked_count < scenario.kill_after and not load.done():
            await asyncio.sleep(0.002)
        acked_at_kill = ledger.acked_count
        killed_at = pair.primary.kill()
        target.switch(pair.endpoints("standby"))  # before any session can try again
        logins_at_kill = {name: trace.logins for name, trace in ledger.sessions.items()}
        probe = asyncio.create_task(
            standby.wait_accepting(
                configs.standby_endpoints["json"], ledger, "probe", retry=PROBE_RETRY_SECONDS
            )
        )
        promoted = asyncio.create_task(wait_for_line(standby.out, "^promoted: "))
        await pair.primary.wait_dead()
        try:
            accepting_at = await probe
        except HostError as exc:  # say why: the standby's stderr ("not promoting: ...")
            said = standby.err.read_text(errors="replace").strip()[-600:]
            raise HostError(f"the standby did not take over: {exc}; it said: {said}") from None
        promoted_at, promoted_line = await promoted
        await load
        await runner.settle()
        await runner.close()
        stopped = await standby.stop()
    finally:
        await runner.close()
        await pair.kill_all()
    found = _PROMOTED.search(promoted_line)
    promoted_from = int(found[1]) if found else 0
    facts = read_facts(configs.standby_dir)
    verdict = verify(ledger, facts, stopped["live_state_hash"], kills=1)
    result = FailoverResult(
        scenario,
        verdict,
        failover_ms=(accepting_at - killed_at) * 1000,
        promoted_ms=(promoted_at - killed_at) * 1000,
        standby_ms=float(found[2]) if found else 0.0,
        probe_login_ms=(standby.probe_login_at - killed_at) * 1000,
        acked_at_kill=acked_at_kill,
        promoted_from=promoted_from,
        logins={name: trace.logins for name, trace in ledger.sessions.items()},
    )
    result.failover.extend(_takeover_findings(ledger, promoted_line, promoted_from, killed_at))
    result.failover.extend(_fence_findings(facts.fences, promoted_line, promoted_from))
    for name, before in logins_at_kill.items():
        if result.logins[name] <= before:
            result.failover.append(f"{name} never logged in to the promoted standby")
    return result


def _takeover_findings(
    ledger: Ledger, line: str, promoted_from: int, killed_at: float
) -> list[str]:
    """The standby took over past every seq acknowledged by the lost primary."""
    if not promoted_from:
        return [f"the standby's promotion line names no seq: {line!r}"]
    found = []
    for entry in ledger.orders.values():
        if entry.ack is None or entry.acked_at is None or entry.acked_at >= killed_at:
            continue
        _order_id, seq = entry.ack
        if seq >= promoted_from:
            found.append(
                f"{entry.cid} was acknowledged at seq {seq} before the kill, but the standby "
                f"took over from seq {promoted_from}"
            )
    return found


def _fence_findings(fences: list[tuple[int, int]], line: str, promoted_from: int) -> list[str]:
    """The standby journaled the one Fence its promotion line names, as the last command before
    its reign (so every seq the lost primary acknowledged is below it, by the takeover check),
    with an epoch above its primary's 0 (so a former primary coming back is fenced)."""
    named = _FENCE.search(line)
    if named is None:
        return [f"the standby's promotion line names no Fence: {line!r}"]
    epoch, seq = int(named[1]), int(named[2])
    found = []
    if fences != [(seq, epoch)]:
        found.append(f"the standby's journal holds the Fences {fences}, not [({seq}, {epoch})]")
    if epoch < 1:
        found.append(f"the promoted standby's epoch is {epoch}, not above its primary's")
    if seq != promoted_from - 1:
        found.append(f"the Fence is at seq {seq}, not just before the reign (seq {promoted_from})")
    return found
