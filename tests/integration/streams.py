"""Command streams for the integration tests: every command kind (session notes too), several
symbols, rejects.

Deterministic (seeded), fixed ``ts``. Funding is tight on purpose, so that whether a hold fits
depends on fill feedback: the digest then depends on the feedback window W, which makes the
"same W, same digest" checks sensitive.
"""

from __future__ import annotations

import random

from engine.canonical import OutputDigest
from engine.domain.exchange import Exchange
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
    Side,
    TimeInForce,
    Withdraw,
)

SYMBOLS = (("ACME", 100, 1, 10_000), ("GLOBEX", 50, 10, 5_000), ("INIT", 10, 1, 1_000))
ACCOUNTS = (("F1", "A1"), ("F1", "A2"), ("F2", "B1"), ("F3", "C1"))
TS = 1_700_000_000_000_000_000


def mixed_stream(count: int, seed: int = 7) -> list[Command]:
    """Setup plus ``count`` random commands of every kind (seq_no from 1, ts fixed)."""
    rng = random.Random(seed)
    out: list[Command] = []

    def seq() -> int:
        return len(out) + 1

    for sym, tick, lot, ref in SYMBOLS:
        out.append(AddSymbol(seq(), TS, sym, tick, lot, ref, 2000))
    out.append(AddSymbol(seq(), TS, "ACME", 100, 1, 10_000, 2000))  # duplicate: rejected
    out.append(SetSelfTradePrevention(seq(), TS, "F1", SelfTradePrevention.CANCEL_RESTING))
    out.append(SetSelfTradePrevention(seq(), TS, "F2", SelfTradePrevention.CANCEL_INCOMING))
    for firm, acct in ACCOUNTS:
        out.append(OpenAccount(seq(), TS, firm, acct))
        out.append(Deposit(seq(), TS, acct, CASH, rng.randrange(2_000_000, 20_000_000)))
        for sym, *_ in SYMBOLS:
            out.append(Deposit(seq(), TS, acct, sym, rng.randrange(200, 3_000)))
    out.append(SetRiskLimits(seq(), TS, "C1", 500, 5_000_000, 20))
    orders: list[tuple[int, str]] = []  # (order_id, account) of every accepted-looking order
    for i in range(count):
        roll = rng.random()
        firm, acct = rng.choice(ACCOUNTS)
        if i % 50 == 25:  # a gateway session's note (draws nothing: the rest stays as it was)
            out.append(SessionNote(seq(), TS, NoteKind.REFUSED, acct, f"t{i}", ord("O"), i, 0, 0))
        sym, tick, lot, ref = rng.choice(SYMBOLS)
        if roll < 0.55:
            side = rng.choice((Side.BUY, Side.SELL))
            tif = rng.choice((TimeInForce.DAY, TimeInForce.DAY, TimeInForce.GTC, TimeInForce.IOC))
            kind = OrderType.LIMIT
            price = ref + tick * rng.randint(-15, 15)
            post_only = False
            r2 = rng.random()
            if r2 < 0.05:
                kind, tif, price = OrderType.MARKET, TimeInForce.IOC, 0
            elif r2 < 0.08:
                tif = TimeInForce.FOK
            elif r2 < 0.11:
                post_only, tif = True, TimeInForce.DAY
            elif r2 < 0.13:
                price += 1  # off tick (except INIT's tick of 10... still off unless 1)
            elif r2 < 0.14:
                price = ref * 3  # outside the band
            qty = lot * rng.randint(1, 40)
            if rng.random() < 0.02:
                qty += 1 if lot > 1 else 0
            out.append(
                NewOrder(
                    seq(), TS, firm, acct, sym, side, kind, tif, qty, price, f"c{seq()}", post_only
                )
            )
            orders.append((out[-1].seq_no, acct))
        elif roll < 0.75 and orders:
            oid, owner = rng.choice(orders)
            who = owner if rng.random() < 0.9 else acct
            out.append(CancelOrder(seq(), TS, who, oid if rng.random() < 0.95 else 999_999))
        elif roll < 0.88 and orders:
            oid, owner = rng.choice(orders)
            out.append(
                ReplaceOrder(
                    seq(),
                    TS,
                    owner,
                    oid,
                    10 * rng.randint(1, 30),
                    ref + tick * rng.randint(-10, 10),
                )
            )
        elif roll < 0.92:
            out.append(Deposit(seq(), TS, acct, CASH, rng.randrange(1, 500_000)))
        elif roll < 0.94:
            out.append(
                Withdraw(seq(), TS, acct, rng.choice((CASH, sym)), rng.randrange(1, 2_000_000))
            )
        elif roll < 0.955:
            out.append(Halt(seq(), TS, sym))
        elif roll < 0.975:
            out.append(Resume(seq(), TS, sym))
        elif roll < 0.98:
            out.append(EndOfDay(seq(), TS, sym))
        elif roll < 0.985:
            out.append(Halt(seq(), TS, "NOPE"))  # unknown symbol
        else:
            out.append(
                NewOrder(
                    seq(),
                    TS,
                    firm,
                    acct,
                    sym,
                    Side.BUY,
                    OrderType.LIMIT,
                    TimeInForce.DAY,
                    lot,
                    ref,
                    "",
                    False,
                )
            )
            orders.append((out[-1].seq_no, acct))
    for sym, *_ in SYMBOLS:
        out.append(EndOfDay(seq(), TS, sym))
    return out


def reference_digest(commands: list[Command], feedback_window: int) -> tuple[str, int]:
    """(digest, event count) of ``Exchange(feedback_window).submit`` over ``commands``."""
    exchange = Exchange(feedback_window=feedback_window)
    digest = OutputDigest()
    for cmd in commands:
        digest.update(cmd.seq_no, exchange.submit(cmd))
    return digest.hexdigest(), digest.count
