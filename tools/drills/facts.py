"""What the journal says happened: the facts a drill's ledger is held against.

:class:`JournalFacts` is plain data (a test builds one by hand); :func:`read_facts` derives it
from a stopped host's data directory by an offline replay of the whole journal
(``engine.rebuild.rebuild(from_start=True)``, the events ``sequex replay --events`` writes):

* ``new_orders``: client order id -> the seqs of every journaled NewOrder carrying it (a
  command the gateway sequenced twice shows up here twice);
* ``accepted``: seq -> ``(order_id, client_order_id)`` of each ``accepted`` event;
* ``fills``: every ``fill`` event, with its ``(seq, sub)``, order, exec id, quantity and price;
* ``fences``: ``(seq, epoch)`` of every journaled Fence (a promoted standby's first command);
* ``live_state_hash``: the replayed state's hash as a stopping host prints it
  (``engine.stages.state_parts.live_state_hash``: equal to the host's at every W).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from engine.domain.types import Fence, NewOrder
from engine.journal_format import RECORD_COMMAND, journal_dir
from engine.rebuild import rebuild
from engine.records import CommandDecoder
from engine.stages.state_parts import live_state_hash
from journal import JournalReader

__all__ = ["FillFact", "JournalFacts", "read_facts"]


@dataclass(frozen=True, slots=True)
class FillFact:
    seq: int
    sub: int
    order_id: int
    exec_id: int
    qty: int
    price: int
    account: str = ""


@dataclass(slots=True)
class JournalFacts:
    last_seq: int = 0
    new_orders: dict[str, list[int]] = field(default_factory=dict)
    accepted: dict[int, tuple[int, str]] = field(default_factory=dict)
    fills: list[FillFact] = field(default_factory=list)
    fences: list[tuple[int, int]] = field(default_factory=list)
    live_state_hash: str = ""

    def order_of(self, cid: str) -> int | None:
        """The order id the journal gave the (first) NewOrder of ``cid``, if it was accepted."""
        seqs = self.new_orders.get(cid)
        if not seqs or seqs[0] not in self.accepted:
            return None
        return self.accepted[seqs[0]][0]


def read_facts(data_dir: Path) -> JournalFacts:
    """Replay ``data_dir``'s journal from its first record (the host must be stopped: the
    journal is read as it lies)."""
    facts = JournalFacts()
    reader = CommandDecoder()
    for rtype, seq, payload in JournalReader(journal_dir(data_dir)):
        if rtype != RECORD_COMMAND:
            continue
        command, _origin = reader.decode(payload)
        if isinstance(command, NewOrder):
            facts.new_orders.setdefault(command.client_order_id, []).append(seq)
        elif isinstance(command, Fence):
            facts.fences.append((seq, command.epoch))
    lines: list[bytes] = []
    rebuilt = rebuild(data_dir, from_start=True, sink=lines.append)
    for line in b"".join(lines).splitlines():
        _take(facts, json.loads(line))
    facts.last_seq = rebuilt.last_seq
    facts.live_state_hash = f"{live_state_hash(rebuilt.exchange):016x}"
    return facts


def _take(facts: JournalFacts, event: dict[str, object]) -> None:
    kind = event["type"]
    if kind == "accepted":
        seq, order_id = event["seq"], event["order_id"]
        assert isinstance(seq, int) and isinstance(order_id, int)
        facts.accepted[seq] = (order_id, str(event.get("client_order_id", "")))
    elif kind == "fill":
        values = [event[k] for k in ("seq", "sub", "order_id", "exec_id", "fill_qty", "fill_price")]
        assert all(isinstance(v, int) for v in values), event
        seq, sub, order_id, exec_id, qty, price = (int(str(v)) for v in values)
        facts.fills.append(
            FillFact(seq, sub, order_id, exec_id, qty, price, str(event.get("account", "")))
        )
