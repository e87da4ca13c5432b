"""The drills' report: one line per round, a summary, every finding; or the same as JSON.

Per round: the scenario (topology, W, protocol), ``restart_ms`` (SIGKILL to an order
acknowledged by the restarted host), the orders acknowledged and not, lost and duplicated, the
trades the journal holds and the fills the clients were told (each checked against them), the
sessions' logins. The summary gives restart_ms as median and range over the rounds, and the
totals. :func:`exit_status`: 0 when no round found anything, 1 otherwise.
"""

from __future__ import annotations

import statistics
from typing import Any

from tools.drills.crash import RoundResult

__all__ = ["as_json", "exit_status", "print_report"]


def _round_json(r: RoundResult) -> dict[str, Any]:
    s, v = r.scenario, r.verdict
    return {
        "round": s.round,
        "protocol": s.protocol,
        "topology": s.topology,
        "shards": s.shards,
        "window": s.window,
        "kill_after_acks": r.acked_at_kill,
        "restart_ms": round(r.restart_ms, 1),
        "acked": v.acked,
        "unacked": v.unacked,
        "lost": len(v.lost),
        "duplicated": len(v.duplicated),
        "trades": v.trades,
        "fills_checked": v.fills_seen,
        "sessions": len(r.logins),
        "logins": sum(r.logins.values()),
        "findings": v.findings,
    }


def _summary(results: list[RoundResult]) -> dict[str, Any]:
    times = [r.restart_ms for r in results]
    return {
        "rounds": len(results),
        "restart_ms": {
            "median": round(statistics.median(times), 1) if times else None,
            "min": round(min(times), 1) if times else None,
            "max": round(max(times), 1) if times else None,
        },
        "acked": sum(r.verdict.acked for r in results),
        "unacked": sum(r.verdict.unacked for r in results),
        "lost": sum(len(r.verdict.lost) for r in results),
        "duplicated": sum(len(r.verdict.duplicated) for r in results),
        "trades": sum(r.verdict.trades for r in results),
        "fills_checked": sum(r.verdict.fills_seen for r in results),
        "findings": sum(len(r.verdict.findings) for r in results),
    }


def as_json(drill: str, seed: int, results: list[RoundResult]) -> dict[str, Any]:
    return {
        "drill": drill,
        "seed": seed,
        "rounds": [_round_json(r) for r in results],
        "total": _summary(results),
    }


def print_report(drill: str, seed: int, results: list[RoundResult]) -> None:
    total = _summary(results)
    print(f"{drill} drill, seed {seed}: {total['rounds']} round(s)")
    print(
        "  round  protocol  topology    W  restart_ms  acked  unacked  lost  dup  trades"
        "  fills  logins"
    )
    for r in results:
        j = _round_json(r)
        topology = f"{j['topology']}/{j['shards']}"
        print(
            f"  {j['round']:>5}  {j['protocol']:<8}  {topology:<9} {j['window']:>4}"
            f"  {j['restart_ms']:>10.1f}  {j['acked']:>5}  {j['unacked']:>7}  {j['lost']:>4}"
            f"  {j['duplicated']:>3}  {j['trades']:>6}  {j['fills_checked']:>5}"
            f"  {j['logins']:>3}/{j['sessions']}"
        )
    ms = total["restart_ms"]
    if total["rounds"]:
        print(
            f"restart_ms: median {ms['median']:.1f}, range {ms['min']:.1f}-{ms['max']:.1f}; "
            f"acked {total['acked']}, lost {total['lost']}, duplicated {total['duplicated']}, "
            f"trades {total['trades']}, fills checked {total['fills_checked']}, "
            f"findings {total['findings']}"
        )
    for r in results:
        for finding in r.verdict.findings:
            print(f"FAILED round {r.scenario.round}: {finding}")


def exit_status(results: list[RoundResult]) -> int:
    return 1 if any(r.verdict.findings for r in results) else 0
