"""``engine.gateway.fix_orders`` on a ClOrdID the session used today: a request flagged as
resent gets its order's status (or no answer while the first is still being sequenced); any
other reuse is refused as a duplicate; an unknown ClOrdID is sequenced."""

from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.domain.types import NewOrder, OrderType, Side, TimeInForce
from engine.gateway.accounts import AccountRegistry
from engine.gateway.clordids import Known
from engine.gateway.fix_orders import (
    DUPLICATE_TEXT,
    KnownIds,
    Sender,
    _fits_record,
    command_for,
)
from engine.gateway.outbound import OrderReport, OutboundProjection, ReportKind
from engine.protocols.fix.codec import OutboundMessage
from engine.protocols.fix.messages import NewOrderSingle, OrderCancelRequest
from engine.records import RecordError, encode_command

SENDER = Sender("ALPHA", 11, "ALPHA-1")
ACCOUNTS = AccountRegistry({"ALPHA-1": "ALPHA"})
EXPIRED = OrderReport(
    ReportKind.EXPIRED, 5, 1, 50, 5, "ALPHA-1", "ACME", 1, 2, 3, False, "a1", "", 10,
    1_000_000, 0, 0, 0,
)  # fmt: skip
ORDER = NewOrderSingle(
    7, "a1", None, "ACME", Side.BUY, OrderType.LIMIT, TimeInForce.IOC, 10, 1_000_000, False, 0
)
CANCEL = OrderCancelRequest(8, "a1", "a0", None, None, "ACME", Side.BUY, 0)


def _answer(request: NewOrderSingle | OrderCancelRequest, known: Known | None) -> object:
    def lookup(client_order_id: str) -> Known | None:
        return known if client_order_id == "a1" else None

    table: KnownIds = lookup
    return command_for(
        SENDER, request, ACCOUNTS, OutboundProjection(), table, exec_id="L9", now_ns=1
    )


def _tags(answer: object, *tags: int) -> tuple[str | None, ...]:
    assert isinstance(answer, OutboundMessage)
    return tuple(answer.msg_type if tag == 35 else answer.get(tag) for tag in tags)


def test_an_unknown_client_order_id_is_sequenced() -> None:
    assert isinstance(_answer(replace(ORDER, cl_ord_id="a2"), Known(5, EXPIRED)), NewOrder)


@pytest.mark.parametrize("flag", ["poss_dup", "poss_resend"])
def test_a_resent_request_of_a_known_client_order_id_gets_its_orders_status(flag: str) -> None:
    for request in (ORDER, CANCEL):
        answer = _answer(replace(request, **{flag: True}), Known(5, EXPIRED))
        assert _tags(answer, 35, 150, 39, 37, 11, 17) == ("8", "I", "C", "5", "a1", "L9")
        in_flight = Known(5, None, in_flight=True)
        assert _answer(replace(request, **{flag: True}), in_flight) is None  # its acks follow


def test_a_resent_request_whose_client_order_id_shows_no_order_is_a_duplicate() -> None:
    answer = _answer(replace(ORDER, poss_dup=True), Known(0, None))  # e.g. a refused cancel's
    assert _tags(answer, 150, 103, 58) == ("8", "6", DUPLICATE_TEXT)


def test_any_other_reuse_is_refused_as_a_duplicate() -> None:
    assert _tags(_answer(ORDER, Known(5, EXPIRED)), 150, 39, 103) == ("8", "8", "6")
    # the cancel names no live order here: unknown order comes first, as for any cancel
    assert _tags(_answer(CANCEL, Known(5, EXPIRED)), 35, 102) == ("9", "1")


_FIT_TEXT = st.text(alphabet=st.sampled_from(["a", "Z", "9", "-", "\0", "é", " "]), max_size=22)
_FIT_INT = st.one_of(st.integers(-(2**63), 2**63 - 1), st.integers(-(2**66), 2**66))


@settings(max_examples=400, deadline=None)
@given(_FIT_TEXT, _FIT_TEXT, _FIT_TEXT, _FIT_TEXT, _FIT_INT, _FIT_INT)
def test_an_order_the_cheap_check_passes_is_one_the_record_takes(
    firm: str, account: str, symbol: str, client: str, qty: int, price: int
) -> None:
    cmd = NewOrder(
        0, 0, firm, account, symbol, Side.BUY, OrderType.LIMIT, TimeInForce.DAY, qty, price,
        client, False,
    )  # fmt: skip
    try:
        encode_command(cmd)
        fits = True
    except RecordError:
        fits = False
    assert _fits_record(cmd) == fits
