"""Seeded command streams of every kind, for the compiled-versus-pure differential tests.

* :func:`every_kind`: mostly orders that pass risk and cross (prices a few ticks around one
  reference per symbol), cancels and replaces of recent orders by their owner (and sometimes
  by another account, or of an unknown id), so fills often meet replaces in flight; market,
  FOK, IOC and post-only orders, off-tick and off-lot prices and qtys, unknown symbols, plain
  ints where enums are expected, deposits and withdrawals of every size, risk limits, halts,
  resumes, EndOfDay, every self-trade prevention mode, orders for another firm's account or an
  account never opened, transfers to it, duplicate OpenAccounts, session notes, and jumps
  in seq_no (the window then drains before the command). Every reject reason the domain can
  give appears.
* :func:`replace_heavy`: resting orders replaced up, down and across prices while takers
  fill them: with W > 1 fills meet replaces in flight (``pending``, ``max_qty``, ``hi`` above
  the confirmed terms); some resting orders are post-only, and their replaces through the
  touch are refused by the matcher after the risk stage held for them.
* :func:`settlement_days`: :func:`every_kind` over several days, with settlements (rules 3)
  and withdrawals of unsettled receipts.
* :func:`full_mix`: the two above interleaved in blocks with the book workloads of
  `tools.workload` (accounts and symbols renamed per block), so one long stream exercises every
  path at volume.
"""

from __future__ import annotations

import random
from collections.abc import Iterator

from engine.domain.dates import to_yyyymmdd
from engine.domain.types import (
    CASH,
    AddSymbol,
    CancelOrder,
    Command,
    Deposit,
    EndOfDay,
    Halt,
    NewOrder,
    NoteKind,
    OpenAccount,
    OrderType,
    ReplaceOrder,
    Resume,
    SelfTradePrevention,
    SessionNote,
    SetRiskLimits,
    SetSelfTradePrevention,
    Settle,
    Side,
    TimeInForce,
    Withdraw,
)
from tools.workload import SYMBOL as BOOK_SYMBOL
from tools.workload import deep_book_workload, standard_book_workload

SYMBOLS = {"AAA": 1_000_000, "BBB": 250_000}
TICK = 100
LOT = 10
#: account -> firm; acc1 and acc2 share a firm, so self-trade prevention triggers.
ACCOUNTS = {"acc1": "F1", "acc2": "F1", "acc3": "F2", "acc4": "F3"}
NAMES = list(ACCOUNTS)
TIFS = list(TimeInForce)
MODES = list(SelfTradePrevention)


def setup_commands(cash: int) -> list[Command]:
    """Symbols, accounts and funding (seq_no 0: the caller numbers them)."""
    out: list[Command] = [AddSymbol(0, 0, sym, TICK, LOT, ref, 500) for sym, ref in SYMBOLS.items()]
    for acct, firm in ACCOUNTS.items():
        out.append(OpenAccount(0, 0, firm, acct))
        out.append(Deposit(0, 0, acct, CASH, cash))
        out.extend(Deposit(0, 0, acct, sym, 3_000) for sym in SYMBOLS)
    return out


class _Numbered:
    """Numbers commands from seq_no 1 (ts = seq_no * 1000), with jumps on demand."""

    def __init__(self) -> None:
        self.seq = 1
        self.out: list[Command] = []

    def add(self, cmd: Command) -> int:
        seq = self.seq
        self.out.append(cmd._replace(seq_no=seq, ts=seq * 1000))
        self.seq += 1
        return seq


def every_kind(seed: int, n: int, cash: int = 10**9) -> list[Command]:
    """Setup plus ``n`` commands of every kind (see the module docstring)."""
    rng = random.Random(seed)
    book = _Numbered()
    for cmd in setup_commands(cash):
        book.add(cmd)
    orders: list[tuple[int, str, str]] = []
    for _ in range(n):
        kind, a, s = rng.randrange(100), rng.randrange(4), rng.randrange(2)
        off, q, flag = rng.randint(-20, 20), rng.randint(-1, 40), rng.randrange(16)
        if rng.random() < 0.02:
            book.seq += 3 + flag * 40  # a jump in seq_no
        acct = NAMES[a]
        sym = list(SYMBOLS)[s]
        price = SYMBOLS[sym] + TICK * off
        cmd: Command
        if kind < 50 or kind >= 97:
            otype = OrderType.MARKET if flag == 15 else OrderType.LIMIT
            tif = TIFS[flag % 4] if flag < 12 else TimeInForce.DAY
            if otype == OrderType.MARKET and kind % 8:
                tif = TimeInForce.IOC if kind % 2 else TimeInForce.FOK  # else DAY: invalid
            side = Side.BUY if kind % 2 else Side.SELL
            post_only = flag in (12, 13)
            if otype == OrderType.MARKET:
                price = 0
            elif flag == 14:
                price += 1  # off tick
            elif flag == 11 and kind % 5 == 0:
                price *= 3  # outside the band
            qty = LOT * q + (kind == 7)  # 7: off-lot
            if kind == 97:
                sym = "ZZZ"  # unknown symbol
            if kind == 98:
                # plain ints where enums are expected
                cmd = NewOrder(0, 0, ACCOUNTS[acct], acct, sym, 1, 1, 1, LOT, price, "int")  # type: ignore[arg-type]
            else:
                firm = ACCOUNTS[acct]
                if kind == 99:  # another firm's account, or an account never opened
                    firm, acct = ("F3", acct) if firm != "F3" else (firm, "acc9")
                cmd = NewOrder(0, 0, firm, acct, sym, side, otype, tif, qty, price, "c", post_only)
            seq = book.add(cmd)
            if otype == OrderType.LIMIT and tif in (TimeInForce.DAY, TimeInForce.GTC):
                orders.append((seq, acct, sym))
            continue
        if kind < 85:
            oid, owner, osym = orders[-1 - flag % len(orders)] if orders else (999, acct, sym)
            owner = owner if off > -17 else acct  # sometimes another account's order
            price = SYMBOLS.get(osym, 1_000_000) + TICK * off
            if kind < 65:
                cmd = CancelOrder(0, 0, owner, oid if off < 19 else 12_345)
            else:
                cmd = ReplaceOrder(0, 0, owner, oid, LOT * q, price)
        elif kind < 88:
            asset = CASH if flag % 2 else sym
            amount = max(q, 0) * 10**flag
            if flag == 0:
                asset = "ZZZ"  # unknown asset
            elif flag == 1:
                acct = "acc9"  # an account never opened
            elif flag == 2 and q > 30:
                amount = 2**62  # twice is more than a signed 64-bit supply
            cmd = Deposit(0, 0, acct, asset, amount)
        elif kind < 90:
            cmd = Withdraw(0, 0, acct, CASH if flag % 2 else sym, max(q, 0) * 10**flag)
        elif kind < 92:
            # mostly lifting limits again, so that they do not refuse most of the stream
            limits = (0, 0, 0) if flag < 10 else ([100, 400][flag % 2], [0, 10**8][q % 2], q)
            cmd = SetRiskLimits(0, 0, acct, *limits)
        elif kind < 94:
            cmd = (Halt if flag < 2 else Resume)(0, 0, sym)
        elif kind < 95:
            if flag == 2:
                cmd = OpenAccount(0, 0, "F9", acct)  # a duplicate
            elif flag == 0:
                cmd = AddSymbol(0, 0, sym, TICK, LOT, 1_000, 500)  # a duplicate
            elif flag == 1:
                cmd = AddSymbol(0, 0, "BAD", 0, LOT, 1_000, 500)  # an invalid spec
            elif flag == 3:  # a gateway session's note: one event, nothing changes
                cmd = SessionNote(0, 0, NoteKind.REFUSED, acct, f"t{q}", ord("O"), max(q, 0), 0, 0)
            else:
                cmd = EndOfDay(0, 0, sym)
        else:
            cmd = SetSelfTradePrevention(0, 0, f"F{1 + a % 3}", MODES[flag % 3])
        book.add(cmd)
    return book.out


def replace_heavy(seed: int, n: int, jump: int) -> list[Command]:
    """Setup plus ``n`` orders, replaces and cancels on one symbol (module docstring)."""
    rng = random.Random(seed)
    ref = SYMBOLS["AAA"]
    setup: list[Command] = [AddSymbol(0, 0, "AAA", TICK, LOT, ref, 500)]
    for acct, firm in ACCOUNTS.items():
        setup.append(OpenAccount(0, 0, firm, acct))
        setup += [Deposit(0, 0, acct, CASH, 10**10), Deposit(0, 0, acct, "AAA", 20_000)]
    out = [cmd._replace(seq_no=i + 1, ts=i + 1) for i, cmd in enumerate(setup)]
    live: list[tuple[int, str]] = []
    seq = len(out)
    for _ in range(n):
        seq += 1 + (rng.randint(1, jump) if rng.random() < 0.05 else 0)
        acct = rng.choice(NAMES)
        roll = rng.random()
        cmd: Command
        if roll < 0.45 or not live:
            side = rng.choice([Side.BUY, Side.SELL])
            sign = 1 if side == Side.BUY else -1
            # Mostly passive, sometimes through the touch.
            off = -sign * rng.randint(1, 6) if rng.random() < 0.7 else sign * rng.randint(0, 6)
            tif = rng.choice([TimeInForce.DAY, TimeInForce.GTC, TimeInForce.IOC])
            qty = LOT * rng.randint(1, 30)
            # a resting order is sometimes post-only: its replaces through the touch are refused
            post_only = tif != TimeInForce.IOC and rng.random() < 0.2
            cmd = NewOrder(
                seq, seq, ACCOUNTS[acct], acct, "AAA", side, OrderType.LIMIT, tif, qty,
                ref + TICK * off, "r", post_only,
            )  # fmt: skip
            if tif != TimeInForce.IOC:
                live.append((seq, acct))
        elif roll < 0.85:
            oid, owner = live[-1 - rng.randrange(min(len(live), 12))]
            qty = LOT * rng.randint(1, 40)
            cmd = ReplaceOrder(seq, seq, owner, oid, qty, ref + TICK * rng.randint(-6, 6))
        else:
            oid, owner = live[-1 - rng.randrange(min(len(live), 12))]
            cmd = CancelOrder(seq, seq, owner, oid)
        out.append(cmd)
    return out


def full_mix(seed: int, n: int) -> Iterator[Command]:
    """About ``n`` commands: blocks of :func:`every_kind` and :func:`replace_heavy`
    renumbered into one stream, each block on a fresh symbol pair so the blocks' setups
    (AddSymbol, deposits) stay valid, with its own funding level."""
    rng = random.Random(seed)
    seq = 0
    block = 0
    made = 0
    while made < n:
        size = rng.randint(2_000, 20_000)
        if block % 4 == 2:
            cmds = replace_heavy(rng.randrange(1 << 30), size, rng.choice([2, 64, 2048]))
        elif block % 4 == 3:
            make = standard_book_workload if block % 8 == 3 else deep_book_workload
            wl = make(size, seed=rng.randrange(1 << 30))
            cmds = [
                c._replace(account=f"{c.account}-{block}")
                if isinstance(c, Deposit | SetRiskLimits | NewOrder | CancelOrder | OpenAccount)
                else c
                for c in wl.setup + wl.commands
            ]
        else:
            cash = rng.choice([10**6, 10**9, 10**12])
            cmds = every_kind(rng.randrange(1 << 30), size, cash)
        rename = {sym: f"{sym[0]}{block:05d}"[:8] for sym in (*SYMBOLS, BOOK_SYMBOL)}
        base = seq
        for cmd in cmds:
            seq = base + cmd.seq_no
            fields = cmd._asdict()
            for key in ("symbol", "asset"):
                if fields.get(key) in rename:
                    fields[key] = rename[fields[key]]
            if isinstance(cmd, CancelOrder | ReplaceOrder):
                fields["order_id"] = cmd.order_id + base
            fields["seq_no"] = seq
            fields["ts"] = seq * 1000
            yield type(cmd)(**fields)
        made += len(cmds)
        block += 1


def settlement_days(seed: int, n: int) -> list[Command]:
    """``every_kind`` spread over days (rules 3): the clock moves on by hours now and then,
    each symbol settles through some date (now and then again, or with its dates out of
    order), and withdrawals reach for unsettled receipts."""
    rng = random.Random(seed)
    out: list[Command] = []
    ts, settled = 0, dict.fromkeys(SYMBOLS, 0)
    for cmd in every_kind(seed, n):
        if rng.random() < 0.01:
            ts += rng.randint(1, 40) * 3_600 * 10**9
        out.append(cmd._replace(seq_no=len(out) + 1, ts=ts + len(out)))
        roll = rng.random()
        if roll < 0.01:
            sym = rng.choice(list(SYMBOLS))
            today = ts // 86_400_000_000_000
            through = max(settled[sym] + rng.choice((0, 1)), today - rng.randrange(3))
            settled[sym] = max(settled[sym], through)
            late = 2 if rng.random() < 0.9 else 0  # 0: INVALID_SETTLEMENT
            settle = Settle(0, 0, sym, to_yyyymmdd(through), to_yyyymmdd(through + late))
            out.append(settle._replace(seq_no=len(out) + 1, ts=ts + len(out)))
        elif roll < 0.03:
            asset = rng.choice((CASH, *SYMBOLS))
            amount = rng.randint(1, 9) * 10 ** rng.randint(*((3, 9) if asset == CASH else (0, 5)))
            withdraw = Withdraw(0, 0, rng.choice(NAMES), asset, amount)
            out.append(withdraw._replace(seq_no=len(out) + 1, ts=ts + len(out)))
    return out
