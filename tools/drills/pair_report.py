"""The reports of the two drills on a primary and standby pair: one line per round, a summary,
every finding; or the same as JSON.

* ``failover``: per round ``failover_ms`` (SIGKILL of the primary to a probe order acknowledged
  by the promoted standby), ``promoted_ms`` (to the standby's ``promoted:`` line), the seq it
  took over from, then the verifier's counts. The summary gives both times as median and range.
  The JSON's top level carries ``failover_ms`` (the median over the rounds), ``acked``,
  ``lost`` and ``duplicated`` (totals), as the issue asks of ``sequex drill --json``.
* ``standby-restart``: per round how long the standby stayed dead (``down_s``), ``held_ms``
  (its SIGKILL to the first ack of an order entered after it), ``up_ms`` (its restart to its
  banner), ``sync_ms`` (its restart to the replicator's ``in sync``), how many records it
  lacked when it came back (``behind``) and the orders held meanwhile, then the verifier's
  counts.

:func:`exit_status`: 0 when no round found anything, 1 otherwise.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from typing import Any, Protocol

from tools.drills.crash import Scenario
from tools.drills.failover import FailoverResult
from tools.drills.standby_restart import RestartResult
from tools.drills.verify import Verdict

__all__ = ["as_json", "exit_status", "print_report"]

_VERDICT_HEAD = "  acked  unacked  lost  dup  trades  fills  logins"


class _Round(Protocol):
    @property
    def scenario(self) -> Scenario: ...
    @property
    def verdict(self) -> Verdict: ...
    @property
    def logins(self) -> dict[str, int]: ...
    @property
    def findings(self) -> list[str]: ...


def _common(r: _Round) -> dict[str, Any]:
    s, v = r.scenario, r.verdict
    return {
        "round": s.round,
        "protocol": s.protocol,
        "topology": s.topology,
        "shards": s.shards,
        "window": s.window,
        "acked": v.acked,
        "unacked": v.unacked,
        "lost": len(v.lost),
        "duplicated": len(v.duplicated),
        "trades": v.trades,
        "fills_checked": v.fills_seen,
        "sessions": len(r.logins),
        "logins": sum(r.logins.values()),
    }


def _round_json(r: FailoverResult | RestartResult) -> dict[str, Any]:
    own: dict[str, Any]
    if isinstance(r, FailoverResult):
        own = {
            "kill_after_acks": r.acked_at_kill,
            "failover_ms": round(r.failover_ms, 1),
            "promoted_ms": round(r.promoted_ms, 1),
            "standby_ms": round(r.standby_ms, 1),
            "probe_login_ms": round(r.probe_login_ms, 1),
            "promoted_from_seq": r.promoted_from,
        }
    else:
        own = {
            "kill_after_acks": r.acked_at_kill,
            "down_s": r.down_s,
            "held_ms": None if r.held_ms is None else round(r.held_ms, 1),
            "sync_ms": round(r.sync_ms, 1),
            "up_ms": round(r.up_ms, 1),
            "rejoined_at_seq": r.rejoined_at,
            "behind": r.behind,
            "held_orders": r.held_orders,
        }
    return {**_common(r), **own, "findings": r.findings}


def _spread(values: Sequence[float]) -> dict[str, float | None]:
    return {
        "median": round(statistics.median(values), 1) if values else None,
        "min": round(min(values), 1) if values else None,
        "max": round(max(values), 1) if values else None,
    }


def _summary(results: Sequence[FailoverResult | RestartResult]) -> dict[str, Any]:
    total: dict[str, Any] = {"rounds": len(results)}
    if results and isinstance(results[0], FailoverResult):
        failovers = [r for r in results if isinstance(r, FailoverResult)]
        total["failover_ms"] = _spread([r.failover_ms for r in failovers])
        total["promoted_ms"] = _spread([r.promoted_ms for r in failovers])
    else:
        restarts = [r for r in results if isinstance(r, RestartResult)]
        total["held_ms"] = _spread([r.held_ms for r in restarts if r.held_ms is not None])
        total["up_ms"] = _spread([r.up_ms for r in restarts])
        total["sync_ms"] = _spread([r.sync_ms for r in restarts])
    verdicts = [r.verdict for r in results]
    total.update(
        acked=sum(v.acked for v in verdicts),
        unacked=sum(v.unacked for v in verdicts),
        lost=sum(len(v.lost) for v in verdicts),
        duplicated=sum(len(v.duplicated) for v in verdicts),
        trades=sum(v.trades for v in verdicts),
        fills_checked=sum(v.fills_seen for v in verdicts),
        findings=sum(len(r.findings) for r in results),
    )
    return total


def as_json(
    drill: str, seed: int, results: Sequence[FailoverResult | RestartResult]
) -> dict[str, Any]:
    total = _summary(results)
    head: dict[str, Any] = {"drill": drill, "seed": seed}
    if drill == "failover":
        head["failover_ms"] = total["failover_ms"]["median"]
    else:
        head["held_ms"] = total["held_ms"]["median"]
    head.update(acked=total["acked"], lost=total["lost"], duplicated=total["duplicated"])
    return {**head, "rounds": [_round_json(r) for r in results], "total": total}


def _verdict_cells(j: dict[str, Any]) -> str:
    return (
        f"  {j['acked']:>5}  {j['unacked']:>7}  {j['lost']:>4}  {j['duplicated']:>3}"
        f"  {j['trades']:>6}  {j['fills_checked']:>5}  {j['logins']:>3}/{j['sessions']}"
    )


def print_report(drill: str, seed: int, results: Sequence[FailoverResult | RestartResult]) -> None:
    total = _summary(results)
    print(f"{drill} drill, seed {seed}: {total['rounds']} round(s)")
    failover = drill == "failover"
    if failover:
        print(
            "  round  protocol  topology    W  failover_ms  promoted_ms  from_seq" + _VERDICT_HEAD
        )
    else:
        print(
            "  round  protocol  topology    W  down_s  held_ms    up_ms  sync_ms  behind  held"
            + _VERDICT_HEAD
        )
    for r in results:
        j = _round_json(r)
        topology = f"{j['topology']}/{j['shards']}"
        start = f"  {j['round']:>5}  {j['protocol']:<8}  {topology:<9} {j['window']:>4}"
        if failover:
            own = (
                f"  {j['failover_ms']:>11.1f}  {j['promoted_ms']:>11.1f}"
                f"  {j['promoted_from_seq']:>8}"
            )
        else:
            held = "-" if j["held_ms"] is None else f"{j['held_ms']:.1f}"
            own = (
                f"  {j['down_s']:>6.2f}  {held:>7}  {j['up_ms']:>7.1f}  {j['sync_ms']:>7.1f}"
                f"  {j['behind']:>6}"
                f"  {j['held_orders']:>4}"
            )
        print(start + own + _verdict_cells(j))
    if total["rounds"]:
        times = ("failover_ms", "promoted_ms") if failover else ("held_ms", "up_ms")
        spreads = "; ".join(
            f"{name}: median {s['median']:.1f}, range {s['min']:.1f}-{s['max']:.1f}"
            for name in times
            if (s := total[name])["median"] is not None
        )
        print(
            f"{spreads}; acked {total['acked']}, lost {total['lost']}, duplicated "
            f"{total['duplicated']}, trades {total['trades']}, fills checked "
            f"{total['fills_checked']}, findings {total['findings']}"
        )
    for r in results:
        for finding in r.findings:
            print(f"FAILED round {r.scenario.round}: {finding}")


def exit_status(results: Sequence[FailoverResult | RestartResult]) -> int:
    return 1 if any(r.findings for r in results) else 0
