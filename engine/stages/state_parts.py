"""Splitting a recovered exchange state among the stages, and putting their states back together.

Recovery rebuilds one ``Exchange`` (``engine.rebuild.rebuild``); the pipeline holds that state in
parts. The bytes of ``Exchange.snapshot()`` cross the process boundary (a spawn argument), never
live objects, and each stage decodes them with ``engine.domain.codec.decode_state`` and keeps:

* the risk stage: the whole ``RiskStage`` (symbols, accounts, wallets, limits, risk orders) and
  the pending feedback, i.e. the matcher events of commands <= last_seq whose effect on the
  wallets the window W has not yet let through (flattened to ``(seq_no, event)``, seq order);
* matcher shard k of N: the books of the symbols with ``shard_of(symbol, N) == k``, their resting
  orders, and every firm's self-trade-prevention mode (SetSelfTradePrevention reaches every
  shard). N may differ from the run that wrote the journal: the split follows the current N.

The way back, for comparing a live host with an offline replay, is :func:`live_state`: the
encoding of (risk part, union of the shards, pending feedback) in the snapshot format, with the
pending feedback *normalised*: only events the fill feedback acts on (``FEEDBACK_EVENTS``: fills,
ends, replaces, rejects) and only commands with seq_no > last_seq + 1 - W, grouped by command.
The risk stage drops the other kinds as they arrive (they cannot change a wallet), so this is
the state as far as every future output is concerned. :func:`exchange_live_state` applies the
same normalisation to an ``Exchange``; with W = 1 (nothing pending) both equal its snapshot.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import xxhash

from engine.domain.codec import decode_state, encode_state
from engine.domain.exchange import Exchange
from engine.domain.feedback import FEEDBACK_EVENTS
from engine.domain.matcher import Matcher
from engine.domain.risk import RiskStage
from engine.domain.rules import CURRENT_RULES
from engine.domain.types import Event
from engine.stages.slots import shard_of

#: The pending feedback of the risk stage: (seq_no of the causing command, event), seq order.
Feedback = list[tuple[int, Event]]


class StateMismatch(ValueError):
    """Recovered state bytes that do not fit the topology they are handed to."""


@dataclass(frozen=True, slots=True)
class RiskPart:
    """What the risk stage restores from a recovered state."""

    window: int
    last_seq: int
    risk: RiskStage
    feedback: Feedback


def _decode(state: bytes, window: int, base_seq: int) -> tuple[RiskStage, Matcher, Feedback]:
    got_window, last_seq, risk, matcher, queue = decode_state(state)
    if got_window != window:
        raise StateMismatch(f"recovered state has feedback window {got_window}, topology {window}")
    if last_seq != base_seq:
        raise StateMismatch(f"recovered state covers seq {last_seq}, topology base_seq {base_seq}")
    return risk, matcher, [(seq, event) for seq, events in queue for event in events]


def risk_part(state: bytes, window: int, base_seq: int) -> RiskPart:
    """The risk stage's part of ``state`` (an ``Exchange.snapshot()`` at ``base_seq``)."""
    risk, _, feedback = _decode(state, window, base_seq)
    return RiskPart(window, base_seq, risk, feedback)


def exchange_part(state: bytes, window: int, base_seq: int) -> Exchange:
    """The whole ``Exchange`` of ``state``, for the fused core stage (checked like the parts)."""
    _decode(state, window, base_seq)  # start-up only: validates window and seq
    return Exchange.restore(state)


def account_owners(state: bytes) -> dict[str, str]:
    """The gateway's part of a recovered state: account -> the firm that opened it (accounts
    of rules 1, which no firm opened, are left out)."""
    _, _, risk, _, _ = decode_state(state)
    return {name: acct.firm for name, acct in risk.accounts.items() if acct.firm}


def fences_of(state: bytes | None) -> list[tuple[int, int]]:
    """The fencing history, (epoch, seq), of a recovered state (none: a fresh start)."""
    if state is None:
        return []
    _, _, risk, _, _ = decode_state(state)
    return list(risk.fences)


def split_matcher(matcher: Matcher, shard: int, shards: int) -> Matcher:
    """A matcher holding the books (and their resting orders) of shard ``shard`` of ``shards``;
    the STP modes are copied whole (every shard needs every firm's)."""
    part = Matcher(matcher.rules)
    part.books = {s: b for s, b in matcher.books.items() if shard_of(s, shards) == shard}
    part.orders = {oid: o for oid, o in matcher.orders.items() if o.book.spec.symbol in part.books}
    part.stp = dict(matcher.stp)
    return part


def matcher_part(state: bytes, window: int, base_seq: int, shard: int, shards: int) -> Matcher:
    """Matcher shard ``shard``'s part of ``state``."""
    _, matcher, _ = _decode(state, window, base_seq)
    return split_matcher(matcher, shard, shards)


def merge_matchers(parts: Iterable[Matcher]) -> Matcher:
    """The union of disjoint shards (STP modes: every shard holds all of them)."""
    parts = list(parts)
    merged = Matcher(parts[0].rules if parts else CURRENT_RULES)
    for part in parts:
        merged.books.update(part.books)
        merged.orders.update(part.orders)
        merged.stp.update(part.stp)
    return merged


def normalise_feedback(
    risk: RiskStage, window: int, last_seq: int, feedback: Sequence[tuple[int, Event]]
) -> list[tuple[int, list[Event]]]:
    """Pending feedback as the snapshot format groups it: feedback-relevant events of commands
    with seq_no > last_seq + 1 - W, one entry per command (``feedback`` in seq order)."""
    kinds = FEEDBACK_EVENTS
    floor = last_seq + 1 - window
    grouped: list[tuple[int, list[Event]]] = []
    for seq, event in feedback:
        if seq <= floor or event.__class__ not in kinds:
            continue
        if grouped and grouped[-1][0] == seq:
            grouped[-1][1].append(event)
        else:
            grouped.append((seq, [event]))
    return grouped


def live_state(
    window: int,
    last_seq: int,
    risk: RiskStage,
    matchers: Iterable[Matcher],
    feedback: Sequence[tuple[int, Event]],
) -> bytes:
    """The normalised state of a host whose risk stage has applied exactly the feedback of
    commands <= last_seq + 1 - W (what ``Exchange`` has applied after last_seq)."""
    merged = merge_matchers(matchers)
    queue = normalise_feedback(risk, window, last_seq, feedback)
    return encode_state(window, last_seq, risk, merged, queue)


def exchange_live_state(exchange: Exchange) -> bytes:
    """:func:`live_state` of an in-process ``Exchange`` (the offline side of a comparison)."""
    return snapshot_live_state(exchange.snapshot())


def snapshot_live_state(snapshot: bytes) -> bytes:
    """:func:`live_state` of the state bytes of ``Exchange.snapshot()``."""
    window, last_seq, risk, matcher, queue = decode_state(snapshot)
    flat = [(seq, event) for seq, events in queue for event in events]
    return live_state(window, last_seq, risk, [matcher], flat)


def live_state_hash(exchange: Exchange) -> int:
    """The ``live_state_hash`` every tool prints for ``exchange``: the hash of the state as far
    as every future output is concerned (pending feedback normalised, see the module
    docstring), the one quantity a stopped host, a start and a replay can all compute.
    ``Exchange.state_hash()`` (``state_hash`` in the tools' output) also covers the pending
    feedback as it stands, which a host's stages do not keep; with W = 1 the two are equal."""
    return state_hash(exchange_live_state(exchange))


def write_atomic(path: str, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file: a reader sees all of it or none."""
    tmp = f"{path}.tmp"
    with open(tmp, "wb") as f:
        f.write(data)
    os.replace(tmp, path)


def merge_parts(risk_part: bytes, matcher_parts: Sequence[bytes]) -> tuple[int, bytes]:
    """(last_seq, live state) from the parts the risk stage and the matchers wrote at close.
    StateMismatch unless every part covers the same window and last seq (a drained stop)."""
    window, last_seq, risk, _, queue = decode_state(risk_part)
    matchers = []
    for data in matcher_parts:
        got_window, got_last, _, matcher, _ = decode_state(data)
        if (got_window, got_last) != (window, last_seq):
            raise StateMismatch(
                f"a matcher stopped at seq {got_last} (W={got_window}), the risk stage at "
                f"{last_seq} (W={window}): the host was not drained"
            )
        matchers.append(matcher)
    feedback = [(seq, event) for seq, events in queue for event in events]
    return last_seq, live_state(window, last_seq, risk, matchers, feedback)


def state_hash(state: bytes) -> int:
    """The hash ``Exchange.state_hash`` computes, of state bytes in the snapshot format."""
    return int(xxhash.xxh3_64_intdigest(state))
