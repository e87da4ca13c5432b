"""The drills' verdict: what the clients saw (a :class:`~tools.drills.ledger.Ledger`) held
against what the journal says (:class:`~tools.drills.facts.JournalFacts`). Pure: no host, no
files, so tests feed it hand-built ledgers and journals, right and wrong.

:func:`verify` finds, each as a list of human-readable findings:

* **lost**: an acknowledged order whose client order id is in no journaled NewOrder;
* **duplicated**: a client order id journaled more than once (acknowledged or not: an
  unacknowledged order may be missing, never doubled);
* **wrong acks**: an acknowledgement that does not match the journal: its seq_no holds no
  ``accepted`` of that client order id, or of another order id, or the client was told two
  different acks for one order;
* **fills**: a fill a client was told that no journaled execution matches (by exec id and
  order, or, for a report named by the seq of the command that caused it, by that seq and
  order; then quantity and price); the same execution report told twice with different
  content; told twice without the protocol's repeat flag;
* **undelivered**: what a session is owed by its own orders and never read, once the load was
  finished and the sessions caught up: the ack of each of its journaled, accepted orders and
  every fill of those orders (the FIX and OUCH stores owe a session the reports of the orders
  it entered; a named JSON session is owed those and more);
* **sessions**: a session's numbers that do not run 1, 2, 3, ... (a gap or a repeat), a fault
  its client noted, a session that did not log in again after each kill;
* **state**: the host's ``live_state_hash`` at its stop differs from the offline replay's.

Lost and duplicated are the drill's headline counts; every finding fails the drill.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from tools.drills.facts import FillFact, JournalFacts
from tools.drills.ledger import Ledger, SessionTrace

__all__ = ["Verdict", "verify"]


@dataclass(slots=True)
class Verdict:
    acked: int = 0
    unacked: int = 0
    trades: int = 0
    fills_seen: int = 0
    lost: list[str] = field(default_factory=list)
    duplicated: list[str] = field(default_factory=list)
    wrong_acks: list[str] = field(default_factory=list)
    fills: list[str] = field(default_factory=list)
    undelivered: list[str] = field(default_factory=list)
    sessions: list[str] = field(default_factory=list)
    state: list[str] = field(default_factory=list)

    @property
    def findings(self) -> list[str]:
        return [
            *(f"lost: {x}" for x in self.lost),
            *(f"duplicated: {x}" for x in self.duplicated),
            *(f"wrong ack: {x}" for x in self.wrong_acks),
            *(f"fill: {x}" for x in self.fills),
            *(f"undelivered: {x}" for x in self.undelivered),
            *(f"session: {x}" for x in self.sessions),
            *(f"state: {x}" for x in self.state),
        ]

    @property
    def ok(self) -> bool:
        return not self.findings


def verify(ledger: Ledger, facts: JournalFacts, host_hash: str, kills: int = 0) -> Verdict:
    """The verdict on one drill round; ``host_hash`` is the ``live_state_hash`` the host
    printed at its clean stop, ``kills`` how many times the host was killed under the load."""
    verdict = Verdict(trades=len({f.exec_id for f in facts.fills}), fills_seen=len(ledger.fills))
    _check_orders(ledger, facts, verdict)
    _check_fills(ledger, facts, verdict)
    _check_owed(ledger, facts, verdict)
    for trace in ledger.sessions.values():
        verdict.sessions.extend(_check_numbers(trace))
        verdict.sessions.extend(f"{trace.name}: {fault}" for fault in trace.faults)
        if trace.logins < 1 + kills:
            verdict.sessions.append(
                f"{trace.name}: logged in {trace.logins} time(s) over {kills} kill(s)"
            )
    if host_hash != facts.live_state_hash:
        verdict.state.append(
            f"the host stopped at live_state_hash {host_hash or '(none printed)'}, "
            f"an offline replay of its journal gives {facts.live_state_hash}"
        )
    return verdict


def _check_orders(ledger: Ledger, facts: JournalFacts, verdict: Verdict) -> None:
    for cid, entry in ledger.orders.items():
        seqs = facts.new_orders.get(cid, [])
        if len(seqs) > 1:
            verdict.duplicated.append(f"{cid} ({entry.session}) journaled at seqs {seqs}")
        if entry.ack is None:
            verdict.unacked += 1
            continue
        verdict.acked += 1
        order_id, seq_no = entry.ack
        if not seqs:
            verdict.lost.append(f"{cid} ({entry.session}) acknowledged as seq {seq_no}")
            continue
        found = facts.accepted.get(seq_no)
        if seq_no not in seqs or found != (order_id, cid):
            verdict.wrong_acks.append(
                f"{cid} ({entry.session}) acknowledged as order {order_id} seq {seq_no}; the "
                f"journal has it at seqs {seqs}, and at seq {seq_no} "
                + (f"order {found[0]} of {found[1]!r}" if found else "no accepted order")
            )
        for other in entry.other_acks:
            verdict.wrong_acks.append(
                f"{cid} ({entry.session}) acknowledged twice: as {entry.ack} and as {other}"
            )


def _check_fills(ledger: Ledger, facts: JournalFacts, verdict: Verdict) -> None:
    by_exec = {(f.exec_id, f.order_id): f for f in facts.fills}
    by_seq: dict[tuple[int, int], list[FillFact]] = {}
    for fact in facts.fills:
        by_seq.setdefault((fact.seq, fact.order_id), []).append(fact)
    told: dict[tuple[str, tuple[str, int, int]], int] = {}
    for index, seen in enumerate(ledger.fills):
        content = (seen.order_id, seen.qty, seen.price)
        if seen.event is None:
            found = by_exec.get((seen.exec_id, seen.order_id))
            candidates = [] if found is None else [found]
        else:  # a report named by its seq: one of that command's fills of the order
            candidates = by_seq.get((seen.event[0], seen.order_id), [])
        if not candidates:
            verdict.fills.append(f"{seen.session} was told a fill no execution matches: {seen}")
        elif all((f.order_id, f.qty, f.price) != content for f in candidates):
            fact = candidates[0]
            verdict.fills.append(
                f"{seen.session} was told order {seen.order_id} filled {seen.qty} at "
                f"{seen.price} ({seen.key[0]} {seen.key[1:]}); the journal's execution is "
                f"order {fact.order_id}, {fact.qty} at {fact.price} (seq {fact.seq})"
            )
        first_index = told.setdefault((seen.session, seen.key), index)
        if first_index == index:
            continue
        first = ledger.fills[first_index]
        if (first.order_id, first.qty, first.price) != content:
            verdict.fills.append(f"{seen.session} was told {seen.key[1:]} twice: {first}, {seen}")
        elif not seen.resent:
            verdict.fills.append(f"{seen.session} was told {seen.key[1:]} twice, not as a resend")


def _check_owed(ledger: Ledger, facts: JournalFacts, verdict: Verdict) -> None:
    """Each session read the ack and every fill of each journaled order it entered."""
    fills_of: dict[int, list[FillFact]] = {}
    for fact in facts.fills:
        fills_of.setdefault(fact.order_id, []).append(fact)
    by_exec = {(s.session, s.exec_id, s.order_id) for s in ledger.fills if s.event is None}
    # reports named by seq (FIX): counted by content, each delivered one covering one fill
    by_content = Counter(
        (s.session, s.event[0], s.order_id, s.qty, s.price)
        for s in {(s.session, s.key): s for s in ledger.fills if s.event is not None}.values()
        if s.event is not None
    )
    for cid, entry in ledger.orders.items():
        if entry.session not in ledger.sessions:
            continue  # not a recovering session (a probe): owed nothing after a reconnect
        order_id = facts.order_of(cid)
        if order_id is None:
            continue
        if entry.ack is None:
            verdict.undelivered.append(f"{entry.session} never read the ack of {cid}")
        for fact in fills_of.get(order_id, []):
            if (entry.session, fact.exec_id, order_id) in by_exec:
                continue
            content = (entry.session, fact.seq, order_id, fact.qty, fact.price)
            if by_content[content] > 0:
                by_content[content] -= 1
                continue
            verdict.undelivered.append(
                f"{entry.session} never read the fill of its order {order_id} ({cid}): "
                f"{fact.qty} at {fact.price}, exec {fact.exec_id} (seq {fact.seq} sub "
                f"{fact.sub})"
            )


def _check_numbers(trace: SessionTrace) -> list[str]:
    """The numbers run 1, 2, 3, ...: name the first repeat and the first gap."""
    found: list[str] = []
    counts = Counter(trace.numbers)
    repeats = sorted(n for n, c in counts.items() if c > 1)
    if repeats:
        found.append(f"{trace.name}: numbers read more than once: {_some(repeats)}")
    expected = 1
    for number in trace.numbers:
        if number > expected:
            found.append(f"{trace.name}: gap: after {expected - 1} came {number}")
            break
        expected = max(expected, number + 1)
    return found


def _some(values: list[int]) -> str:
    shown = ", ".join(map(str, values[:5]))
    return shown + (f" and {len(values) - 5} more" if len(values) > 5 else "")
