"""Resolving report addresses to the sessions logged in: the firm's order reports reach every
session of that firm (a new one too), once each, and never another firm's session."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.domain.reasons import reject
from engine.domain.types import (
    Accepted,
    AccountOpened,
    BalanceChanged,
    Cancelled,
    CancelReason,
    Event,
    Expired,
    ExpireReason,
    Fill,
    Liquidity,
    RejectReason,
    Side,
    SymbolAdded,
)
from engine.gateway.auth import OPERATOR, Principal
from engine.gateway.directory import SessionDirectory, SessionQueues
from engine.gateway.router import Report, ReportRouter

ALPHA = Principal("ALPHA", frozenset({"A-1", "A-2"}))
BETA = Principal("BETA", frozenset({"B-1"}))


def fill(order_id: int, account: str, leaves: int = 0) -> Fill:
    return Fill(order_id, account, "ACME", Side.SELL, 5, 100, leaves, 0, Liquidity.MAKER, 7)


def directory(**sessions: Principal) -> SessionDirectory:
    """Sessions named s1, s2, ... -> ids 1, 2, ..."""
    d = SessionDirectory()
    for name, principal in sessions.items():
        d.open(int(name[1:]), principal)
    return d


def test_an_order_report_reaches_every_session_of_the_owning_firm_once() -> None:
    d = directory(s1=ALPHA, s2=BETA, s3=ALPHA)
    assert d.targets(0, True, fill(5, "A-2")) == [1, 3]
    cancel = Cancelled(5, "A-1", 3, CancelReason.USER)
    assert d.targets(3, True, cancel) == [3, 1]  # the requester first, nobody twice
    assert d.targets(0, True, fill(6, "B-1")) == [2]
    assert (d.dropped, d.misrouted) == (0, 0)


def test_a_firm_that_logs_in_again_gets_its_orders_reports_on_the_new_session() -> None:
    d = directory(s1=ALPHA, s2=BETA)
    d.close(1)
    assert d.targets(0, True, fill(5, "A-1", leaves=3)) == []
    assert d.dropped == 1  # nobody of ALPHA was there to read it
    d.open(7, ALPHA)
    assert d.targets(0, True, fill(5, "A-1")) == [7]
    assert 1 not in d and 7 in d and len(d) == 2


def test_answers_reach_only_their_origin_while_it_is_open() -> None:
    d = directory(s1=ALPHA, s2=OPERATOR, s3=ALPHA)
    acc = Accepted(5, 5, "A-1", "c")
    assert d.targets(1, False, acc) == [1]
    assert d.targets(2, False, BalanceChanged("A-1", "CASH", 5, 5)) == [2]
    assert d.targets(2, False, SymbolAdded("ACME", 100, 1, 1_000_000, 1000)) == [2]
    d.close(1)
    assert d.targets(1, False, acc) == [] and d.dropped == 1


def test_a_firm_session_never_gets_a_report_about_another_firms_account() -> None:
    d = directory(s1=ALPHA, s2=BETA)
    assert d.targets(2, False, Accepted(5, 5, "A-1", "c")) == []  # a routing bug: withheld
    assert d.targets(2, True, fill(5, "A-1")) == [1]
    assert d.targets(1, False, SymbolAdded("ACME", 100, 1, 1_000_000, 1000)) == []
    assert d.misrouted == 3 and d.dropped == 2


def test_the_operator_gets_no_order_report_it_did_not_ask_for() -> None:
    d = directory(s1=OPERATOR)
    assert d.targets(0, True, Expired(5, "A-1", 3, ExpireReason.END_OF_DAY)) == []
    assert d.targets(0, True, fill(5, "ZZ-1")) == []  # an account of no firm: nobody
    assert d.dropped == 2


def test_deliveries_group_by_session_and_keep_the_batch_order() -> None:
    d = directory(s1=ALPHA, s2=BETA, s3=ALPHA)
    reports: list[Report] = [
        (2, False, 9, 0, Accepted(9, 9, "B-1", "t")),
        (0, True, 9, 1, fill(5, "A-1", leaves=2)),
        (0, True, 9, 2, fill(9, "B-1")),
        (3, True, 10, 0, Cancelled(5, "A-1", 2, CancelReason.USER)),
    ]
    got = d.deliveries(reports)
    events = [r[4] for r in reports]
    assert got == {
        2: [(9, 0, events[0]), (9, 2, events[2])],
        1: [(9, 1, events[1]), (10, 0, events[3])],
        3: [(9, 1, events[1]), (10, 0, events[3])],
    }


def test_opening_a_session_twice_is_a_bug_and_closing_an_unknown_one_is_a_no_op() -> None:
    d = directory(s1=ALPHA)
    with pytest.raises(ValueError, match="already open"):
        d.open(1, BETA)
    d.close(99)
    d.close(1)
    d.close(1)
    assert len(d) == 0 and d.targets(0, True, fill(5, "A-1")) == []


def test_session_queues_apply_the_routers_addresses_end_to_end() -> None:
    queues = SessionQueues()
    router = ReportRouter(queues)
    alpha = queues.open(1, ALPHA)
    beta = queues.open(2, BETA)
    router.route(1, 5, [Accepted(5, 5, "A-1", "m")])
    taker_acc, maker_fill, taker_fill = Accepted(6, 6, "B-1", "t"), fill(5, "A-1"), fill(6, "B-1")
    router.route(2, 6, [taker_acc, maker_fill, taker_fill])
    assert list(alpha) == [(5, 0, Accepted(5, 5, "A-1", "m")), (6, 1, maker_fill)]
    assert list(beta) == [(6, 0, taker_acc), (6, 2, taker_fill)]
    queues.close(1)
    router.route(2, 7, [fill(5, "A-1")])
    assert queues.dropped == 1 and 1 not in queues.queues


# -- against a reference: random sessions and reports --------------------------------------

FIRMS = {"ALPHA": ALPHA, "BETA": BETA, "GAMMA": Principal("GAMMA", frozenset({"G-1"}))}
ACCOUNTS = ["A-1", "A-2", "B-1", "G-1", "Z-9"]


def _event(kind: int, account: str) -> Event:
    if kind == 0:
        return Accepted(5, 5, account, "c")
    if kind == 1:
        return reject(5, account, "c", 0, RejectReason.UNKNOWN_SYMBOL)
    if kind == 2:
        return fill(5, account)
    return Cancelled(5, account, 1, CancelReason.USER)


operations = st.lists(
    st.one_of(
        st.tuples(st.just("open"), st.sampled_from([*FIRMS, None])),
        st.tuples(st.just("close"), st.integers(1, 12)),
        st.tuples(
            st.just("report"),
            st.tuples(
                st.integers(0, 12), st.booleans(), st.integers(0, 3), st.sampled_from(ACCOUNTS)
            ),
        ),
    ),
    max_size=60,
)


@settings(max_examples=200, deadline=None)
@given(operations)
def test_targets_match_the_contract_for_any_sessions(ops: list[tuple[str, object]]) -> None:
    d = SessionDirectory()
    live: dict[int, Principal] = {}
    next_id = 1
    for op, arg in ops:
        if op == "open":
            principal = OPERATOR if arg is None else FIRMS[str(arg)]
            d.open(next_id, principal)
            live[next_id] = principal
            next_id += 1
        elif op == "close":
            assert isinstance(arg, int)
            d.close(arg)
            live.pop(arg, None)
        else:
            assert isinstance(arg, tuple)
            session, owner, kind, account = arg
            event = _event(kind, account)
            got = d.targets(session, owner, event)
            assert len(got) == len(set(got))  # once each
            for target in got:
                p = live[target]  # only open sessions
                assert p.is_admin or account in p.accounts  # never another firm's
            expected = {
                s
                for s, p in live.items()
                if (s == session and (p.is_admin or account in p.accounts))
                or (owner and account in p.accounts)
            }
            assert set(got) == expected
            if session in got:
                assert got[0] == session  # the requester first


def test_an_opened_account_routes_to_its_firm_from_its_opening_on() -> None:
    """AccountOpened registers the account before it is delivered; the setup's (origin 0) is
    delivered to nobody and not counted as dropped."""
    d = directory(s1=ALPHA, s2=BETA, s9=OPERATOR)
    assert d.targets(0, True, fill(5, "A-7")) == []  # unknown yet: nobody's
    assert d.dropped == 1
    assert d.targets(9, False, AccountOpened("ALPHA", "A-7")) == [9]  # the operator's answer
    assert d.targets(0, True, fill(5, "A-7")) == [1]
    assert d.targets(0, False, AccountOpened("BETA", "B-7")) == []
    assert d.dropped == 1
    assert d.targets(2, True, fill(6, "B-7")) == [2]
    assert d.accounts.firm_of("B-7") == "BETA"


def test_the_router_addresses_every_account_opened_even_from_the_setup() -> None:
    router = ReportRouter(lambda reports: None)
    opened = AccountOpened("ALPHA", "A-7")
    assert router.resolve(0, 3, [opened]) == [(0, False, 3, 0, opened)]
    assert router.resolve(4, 5, [opened]) == [(4, False, 5, 0, opened)]
