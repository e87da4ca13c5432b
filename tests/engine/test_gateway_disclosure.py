"""What a firm session is told (engine.gateway.disclosure) and who is admitted
(engine.gateway.admission): the pure parts of the tidied JSON gateway."""

from __future__ import annotations

import pytest

from engine.domain.exchange import Exchange
from engine.domain.reasons import reject
from engine.domain.types import (
    AddSymbol,
    CancelOrder,
    Deposit,
    Fill,
    Liquidity,
    NewOrder,
    OpenAccount,
    OrderType,
    Rejected,
    RejectReason,
    Side,
    TimeInForce,
)
from engine.gateway.admission import Admission, Slot
from engine.gateway.disclosure import firm_view


def test_not_order_owner_is_shown_to_a_firm_as_the_unknown_order_reject() -> None:
    truth = reject(9, "BETA-1", "", 4, RejectReason.NOT_ORDER_OWNER)
    assert firm_view(truth) == reject(9, "BETA-1", "", 4, RejectReason.UNKNOWN_ORDER)


@pytest.mark.parametrize(
    "event",
    [
        reject(9, "BETA-1", "c", 0, RejectReason.INSUFFICIENT_CASH),
        reject(9, "BETA-1", "", 4, RejectReason.UNKNOWN_ORDER),
        Fill(4, "A-1", "ACME", Side.BUY, 1, 100, 0, 0, Liquidity.TAKER, 1),
    ],
)
def test_every_other_event_passes_unchanged(event: object) -> None:
    assert firm_view(event) is event  # type: ignore[arg-type]


def test_the_exchange_answers_a_foreign_and_an_unknown_order_alike_but_for_the_reason() -> None:
    """The premise of firm_view: the two rejects differ only in reason and text besides what
    the request chose (its seq_no, the order id it named), so nothing else can leak."""
    exchange = Exchange()
    setup = [
        AddSymbol(1, 0, "ACME", 1, 1, 100, 1000),
        OpenAccount(2, 0, "ALPHA", "ALPHA-1"),
        OpenAccount(3, 0, "BETA", "BETA-1"),
        Deposit(4, 0, "ALPHA-1", "ACME", 10),
    ]
    for cmd in setup:
        exchange.submit(cmd)
    sell = NewOrder(
        5, 0, "ALPHA", "ALPHA-1", "ACME", Side.SELL, OrderType.LIMIT, TimeInForce.DAY, 5, 100, "s"
    )
    assert not any(isinstance(e, Rejected) for e in exchange.submit(sell))
    (foreign,) = exchange.submit(CancelOrder(6, 0, "BETA-1", 5))
    (unknown,) = exchange.submit(CancelOrder(7, 0, "BETA-1", 99))
    assert isinstance(foreign, Rejected) and foreign.reason == RejectReason.NOT_ORDER_OWNER
    assert firm_view(foreign)._replace(seq_no=7, order_id=99) == unknown  # type: ignore[union-attr]


def test_admission_fills_the_pool_then_the_reserve_then_refuses() -> None:
    admission = Admission(2, reserve=1)
    slots = [admission.admit() for _ in range(4)]
    assert slots == [Slot.POOL, Slot.POOL, Slot.RESERVE, None]
    admission.release(Slot.POOL)
    assert admission.admit() is Slot.POOL  # a freed pool place goes to the next one
    admission.release(Slot.RESERVE)
    assert (admission.pool_open, admission.reserve_open) == (2, 0)
    assert Admission(1, reserve=0).admit() is Slot.POOL


def test_admission_refuses_nonsense() -> None:
    with pytest.raises(ValueError, match="max_connections"):
        Admission(0)
    with pytest.raises(ValueError, match="reserve"):
        Admission(1, reserve=-1)
