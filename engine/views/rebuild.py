"""The market view at a host's start: the saved trade history, the journal, the recovered state.

::

    DATA_DIR/views.state (history through P) ──┐
    newest snapshot S <= P (else seq 1) ───────┼─► replay S+1..base_seq ─► MarketView at base_seq
    DATA_DIR/journal ──────────────────────────┘   (trades <= P skipped by exec id)

Contract. :func:`rebuild_view` returns the view of every command through ``base_seq`` (the
seq the host recovered; ring[events] carries the later ones), equal to what a view fed the
whole stream from seq 1 holds (tests compare them):

* the trade history (tape, candles) comes from ``views.state``, which the views stage writes
  atomically now and then and at its stop (:func:`save_history`), and covers commands
  through its ``through_seq`` P. Missing, unreadable, or ahead of the journal (P > base_seq:
  another journal's), it is ignored and the history is rebuilt from seq 1;
* when P == base_seq and the recovered exchange state is given, nothing is replayed: the
  depth is seeded from that state's resting orders;
* otherwise the journal is replayed from the newest snapshot at or before P (none: seq 1)
  through base_seq, as ``engine.reporter.follower`` does, seeding the depth from the
  snapshot's orders; the history's idempotence (by exec id) drops the trades it holds.

Host code: file I/O. The view itself is pure (``engine.views.projection``).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from engine.command_batches import CommandBatchReader, check_seq_nos, contiguous
from engine.command_reader import CommandReader
from engine.domain.exchange import Exchange
from engine.domain.types import Side
from engine.journal_format import journal_dir, snapshot_dir
from engine.rebuild import load_snapshot, read_header
from engine.views.depth import RestingOrder
from engine.views.projection import MarketView, SymbolInfo

__all__ = ["HISTORY_FILE", "Rebuilt", "history_path", "rebuild_view", "save_history"]

HISTORY_FILE: Final = "views.state"


def history_path(data_dir: str | Path) -> Path:
    return Path(data_dir) / HISTORY_FILE


def save_history(data_dir: str | Path, view: MarketView) -> None:
    """Write the view's trade history to DATA_DIR/views.state, whole or not at all (a temp
    file renamed over it). Not fsynced: a lost file only means a longer replay next start."""
    path = history_path(data_dir)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(view.history_bytes())
    os.replace(tmp, path)


@dataclass(frozen=True, slots=True)
class Rebuilt:
    view: MarketView
    #: through which seq views.state held the history (0: none used), why it was not used
    history_seq: int
    ignored: str | None
    #: the snapshot the replay started from (None: seq 1, or no replay) and commands replayed
    snapshot_seq: int | None
    replayed: int


def _load_history(data_dir: str | Path, base_seq: int) -> tuple[MarketView | None, str | None]:
    path = history_path(data_dir)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return None, None
    except OSError as exc:
        return None, f"cannot read {path}: {exc}"
    try:
        view = MarketView.restore_history(data)
    except (ValueError, KeyError, TypeError) as exc:
        return None, f"{path} does not load ({type(exc).__name__}: {exc})"
    if view.through_seq > base_seq:
        return None, (
            f"{path} covers seq {view.through_seq} but the journal ends at seq {base_seq}: "
            "it belongs to another journal"
        )
    return view, None


def seed_from_exchange(view: MarketView, exchange: Exchange) -> None:
    """Make ``view`` show the books of ``exchange`` (symbols, halts, resting orders)."""
    matcher = exchange.matcher
    for symbol, book in matcher.books.items():
        spec = book.spec
        view.seed_symbol(SymbolInfo(symbol, spec.tick, spec.lot, bool(spec.halted)))
    orders = []
    for order_id in matcher.orders:
        o = exchange.open_order(order_id)
        if o is not None and o.leaves > 0:
            orders.append((o.order_id, RestingOrder(o.symbol, Side(o.side), o.price, o.leaves)))
    view.seed_orders(orders)


def rebuild_view(data_dir: str | Path, base_seq: int, state: bytes | None) -> Rebuilt:
    """The view through ``base_seq`` (see the module contract); ``state`` is the recovered
    ``Exchange.snapshot()`` at ``base_seq`` (None on a fresh start)."""
    history, ignored = _load_history(data_dir, base_seq)
    view = history if history is not None else MarketView()
    history_seq = view.through_seq
    if base_seq == 0:
        return Rebuilt(view, history_seq, ignored, None, 0)
    if history_seq == base_seq and state is not None:
        seed_from_exchange(view, Exchange.restore(state))
        return Rebuilt(view, history_seq, ignored, None, 0)
    header = read_header(data_dir)
    exchange = Exchange(header.feedback_window, header.rules)
    start = 0
    if history_seq > 0:
        loaded = load_snapshot(snapshot_dir(data_dir), header, [], below=history_seq + 1)
        if loaded is not None:
            exchange, start = loaded
    seed_from_exchange(view, exchange)
    replayed = _replay(data_dir, exchange, view, start + 1, base_seq)
    return Rebuilt(view, history_seq, ignored, start or None, replayed)


def _replay(
    data_dir: str | Path, exchange: Exchange, view: MarketView, first: int, through: int
) -> int:
    directory = journal_dir(data_dir)
    decode_many = CommandReader().decode_many
    submit, apply = exchange.submit, view.apply
    replayed = 0
    for payload, seqs in contiguous(
        CommandBatchReader(directory).batches(first, through), first, directory
    ):
        check_seq_nos(payload, seqs)
        for cmd in decode_many(payload):
            apply(cmd.seq_no, submit(cmd))
        replayed += len(seqs)
    if first + replayed - 1 != through:
        raise ValueError(
            f"the journal of {data_dir} ends at seq {first + replayed - 1}, before the "
            f"recovered seq {through}"
        )
    view.through_seq = max(view.through_seq, through)
    return replayed
