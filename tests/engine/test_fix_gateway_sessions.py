"""FIX sessions that survive: the reports a session missed while away arrive after its next
Logon, a ResendRequest is answered from the durable message store, and MsgSeqNums continue
across a host restart (the harness restarted on the same data directory). Every message the
gateway sends here passes QuickFIX's FIX 4.4 data dictionary."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path

import pytest

from engine.protocols.fix.codec import FixMessage
from tests.engine.fix_client import Clients, FixClient, fields
from tests.engine.gateway_harness import Host, gateway_host
from tests.engine.test_fix_failover import replicated


@pytest.fixture(params=[False, True], ids=["alone", "replicated"])
def host(request: pytest.FixtureRequest) -> Iterator[Host]:
    """A host alone, and one with ``[replication] enabled`` (its bytes wait for their
    marks, engine.gateway.fix_failover): the sessions behave the same."""
    with gateway_host(configure=replicated if request.param else None) as running:
        yield running


@pytest.fixture
def fix(host: Host) -> Iterator[Clients]:
    clients = Clients(host.fix_address)
    yield clients
    clients.close()


def stored(host: Host, session: str) -> int:
    """How many reports the session's store holds."""
    ledger = host.server._ledger
    (origin,) = [o for o, name in ledger.names.items() if name.endswith("/" + session)]
    return ledger.stores[origin].count


def trade_while_alpha_is_away(host: Host, clients: Clients) -> None:
    """ALPHAFIX rests a bid (its MsgSeqNums 1-2 each way) and goes away without a Logout;
    BETAFIX sells into it. ALPHAFIX's fill waits in its store."""
    alpha = clients.logged_on()
    alpha.new_order("a1", "1", 100, "100")
    assert alpha.app().get(150) == "0"
    alpha.close()
    beta = clients.logged_on("BETAFIX")
    beta.new_order("b1", "2", 40, "100")
    assert [beta.app().get(150) for _ in range(2)] == ["0", "F"]
    host.wait_for(lambda: stored(host, "ALPHAFIX") == 2)


def test_a_session_that_comes_back_gets_the_fill_it_missed_once(host: Host, fix: Clients) -> None:
    trade_while_alpha_is_away(host, fix)
    again = fix.connect(next_seq=3)
    assert again.logon().seq_num == 3  # our numbers went on too
    missed = again.app()
    assert (missed.seq_num, *fields(missed, 150, 39, 11, 32, 14, 151)) == (
        4, "F", "1", "a1", "40", "40", "60",
    )  # fmt: skip
    again.send("5")
    assert again.read().msg_type == "5" and again.is_closed()
    once_more = fix.connect(next_seq=5)
    assert once_more.logon().seq_num == 6  # after our Logout (5): nothing sent twice
    assert once_more.still_up("nothing-else")
    assert [m.msg_type for m in once_more.received] == ["A", "0"]


def test_a_resend_request_is_answered_with_poss_dup_copies_and_gap_fills(
    host: Host, fix: Clients
) -> None:
    alpha = fix.logged_on()
    alpha.new_order("a1", "1", 10, "99")
    ack = alpha.app()
    alpha.new_order("x" * 21, "1", 10, "99")  # refused by the gateway: stored all the same
    refused = alpha.app()
    assert alpha.still_up("hb")  # a Heartbeat (4): administrative, never resent
    alpha.send("2", [(7, "1"), (16, "0")])
    resent = [alpha.read() for _ in range(4)]
    assert [(m.msg_type, m.seq_num, m.get(43)) for m in resent] == [
        ("4", 1, "Y"), ("8", 2, "Y"), ("8", 3, "Y"), ("4", 4, "Y"),
    ]  # fmt: skip
    assert [m.get(36) for m in (resent[0], resent[3])] == ["2", "5"]  # gap fills
    for copy, first in ((resent[1], ack), (resent[2], refused)):
        assert copy.get(122) == first.get(52)  # OrigSendingTime: when it was first sent
        assert _body(copy) == _body(first)


def _body(msg: FixMessage) -> list[tuple[int, str]]:
    return [(t, v) for t, v in msg.fields if t not in (34, 43, 52, 122)]


def test_reset_seq_num_flag_restarts_both_numbers_and_forgets_what_was_sent(
    host: Host, fix: Clients
) -> None:
    alpha = fix.logged_on()
    alpha.new_order("a1", "1", 100, "100")
    assert alpha.app().get(150) == "0"
    alpha.close()
    reset = fix.logged_on(reset=True)
    assert fields(reset.received[0], 34, 141) == ("1", "Y")
    reset.send("2", [(7, "1"), (16, "0")])  # the ack sent before the reset is gone
    assert fields(reset.read(), 35, 34, 123, 36) == ("4", "1", "Y", "2")
    beta = fix.logged_on("BETAFIX")
    beta.new_order("b1", "2", 100, "100")
    fill = reset.app()  # the report numbers were kept: only the new fill comes
    assert (fill.seq_num, *fields(fill, 150, 39, 14)) == (2, "F", "2", "100")


def test_a_host_restart_keeps_msgseqnums_the_resend_store_and_what_is_owed(
    tmp_path: Path,
) -> None:
    data = str(tmp_path / "data")
    with gateway_host(data_dir=data) as first_host:
        clients = Clients(first_host.fix_address)
        try:
            trade_while_alpha_is_away(first_host, clients)
            ack = clients.made[0].received[1]
        finally:
            clients.close()
        exchange, last_seq = first_host.pipeline.exchange, first_host.pipeline.last_seq
    assert (Path(data) / "fix" / "ALPHA" / "ALPHAFIX" / "seqnums").exists()
    with gateway_host(data_dir=data, exchange=exchange, base_seq=last_seq, setup=False) as host:
        clients = Clients(host.fix_address)
        try:
            too_low = clients.connect("BETAFIX")  # BETAFIX's next is 3 (Logon 1, order 2)
            refused = too_low.logon("BETA", "beta-pass")
            assert fields(refused, 35, 58) == ("5", "MsgSeqNum too low, expecting 3 but received 1")
            alpha = clients.connect(next_seq=3)
            assert alpha.logon().seq_num == 3
            missed = alpha.app()
            assert (missed.seq_num, *fields(missed, 150, 14)) == (4, "F", "40")
            alpha.send("2", [(7, "2"), (16, "2")])  # the ack, sent before the restart
            copy = alpha.read()
            assert (copy.seq_num, copy.get(43), copy.get(122)) == (2, "Y", ack.get(52))
            assert _body(copy) == _body(ack)
            alpha.cancel("a2", "a1")  # the order is still known after the restart
            assert fields(alpha.app(), 150, 41, 151) == ("4", "a1", "0")
        finally:
            clients.close()


def test_cancel_on_disconnect_cancels_the_sessions_live_orders_and_reports_it_later() -> None:
    with gateway_host(cancel_on_disconnect=("ALPHA",)) as host:
        clients = Clients(host.fix_address)
        try:
            alpha = clients.logged_on()
            alpha.new_order("a1", "1", 100, "99")
            order_id = alpha.app().get(37)
            assert order_id is not None
            alpha.close()
            host.wait_for(lambda: host.pipeline.exchange.open_order(int(order_id)) is None)
            host.wait_for(lambda: stored(host, "ALPHAFIX") == 2)
            back = clients.connect(next_seq=3)
            assert back.logon().msg_type == "A"
            assert fields(back.app(), 150, 37, 11) == ("4", order_id, "a1")
        finally:
            clients.close()


def test_a_client_that_never_logs_on_is_closed_after_the_login_timeout() -> None:
    with gateway_host(login_timeout=0.3) as host:
        silent = FixClient(host.fix_address)
        try:
            assert silent.is_closed()
        finally:
            silent.close()


def test_a_session_far_behind_gets_its_reports_and_a_resend_a_part_at_a_time(
    host: Host, fix: Clients
) -> None:
    listener = host.server._fix  # parts of 2 reports and of 3 MsgSeqNums
    listener._batch = 2
    listener._config = dataclasses.replace(listener._config, resend_batch=3)
    alpha = fix.logged_on()
    alpha.new_order("a1", "1", 100, "100")
    assert alpha.app().get(150) == "0"
    alpha.close()
    beta = fix.logged_on("BETAFIX")
    for n in range(7):
        beta.new_order(f"b{n}", "2", 1, "100")
        assert [beta.app().get(150) for _ in range(2)] == ["0", "F"]
    host.wait_for(lambda: stored(host, "ALPHAFIX") == 8)
    again = fix.connect(next_seq=3)
    assert again.logon().seq_num == 3
    fills = [again.app() for _ in range(7)]
    assert [(m.seq_num, m.get(14)) for m in fills] == [(4 + n, str(n + 1)) for n in range(7)]
    again.send("2", [(7, "1"), (16, "0")])
    covered: list[int] = []
    while not covered or covered[-1] < 10:
        m = again.read()
        if m.get(43) == "Y":  # a copy, or a gap fill up to NewSeqNo(36)
            assert m.seq_num is not None
            covered += range(m.seq_num, int(m.get(36) or m.seq_num + 1))
    assert covered == list(range(1, 11))
    assert again.still_up("after")


def test_a_logon_expecting_an_older_number_is_resent_what_it_missed_unasked(
    host: Host, fix: Clients
) -> None:
    alpha = fix.logged_on()
    alpha.new_order("n1", "1", 10, "90")
    ack = alpha.app()
    assert (ack.seq_num, ack.get(150)) == (2, "0")
    alpha.close()  # gone without a Logout; it lost the ack
    again = fix.connect(next_seq=3)
    answer = again.logon(next_expected=2)
    assert (answer.msg_type, answer.seq_num, answer.get(789)) == ("A", 3, "4")
    resent = again.read()  # no ResendRequest sent: it comes unasked
    assert (resent.seq_num, *fields(resent, 35, 43, 11, 150)) == (2, "8", "Y", "n1", "0")
    assert resent.get(122) == ack.get(52)  # OrigSendingTime: when it was first sent
    assert again.still_up("after-789")


def test_a_logon_expecting_a_number_we_never_sent_is_logged_out(host: Host, fix: Clients) -> None:
    alpha = fix.logged_on()
    alpha.close()
    again = fix.connect(next_seq=2)
    answer = again.logon(next_expected=9)
    assert answer.msg_type == "5"
    assert "NextExpectedMsgSeqNum(789) 9 is higher than our next MsgSeqNum 2" in (
        answer.get(58) or ""
    )
    assert again.is_closed()


def test_a_reset_logon_in_the_middle_of_a_session_restarts_at_one(host: Host, fix: Clients) -> None:
    alpha = fix.logged_on()
    alpha.new_order("r1", "1", 10, "90")
    assert alpha.app().seq_num == 2
    alpha.next_seq = 1
    answer = alpha.logon(reset=True)
    assert (answer.msg_type, answer.seq_num, answer.get(141)) == ("A", 1, "Y")
    alpha.new_order("r2", "1", 10, "90")  # MsgSeqNum 2 on both sides now
    ack = alpha.app()
    assert (ack.seq_num, ack.get(11)) == (2, "r2")
    alpha.send("2", [(7, "1"), (16, "0")])  # what it was sent before the reset is gone
    fill = alpha.read()
    assert (fill.msg_type, fill.seq_num, fill.get(36)) == ("4", 1, "2")  # our reset Logon
    again = alpha.read()
    assert (again.seq_num, *fields(again, 43, 11)) == (2, "Y", "r2")


def test_a_report_older_than_the_message_store_is_resent_not_gap_filled(
    host: Host, fix: Clients
) -> None:
    host.server._fix._capacity = 2  # the session's message store keeps 1 or 2 messages
    alpha = fix.logged_on()
    acks = []
    for i in range(5):
        alpha.new_order(f"o{i}", "1", 1, "90")
        acks.append(alpha.app())
    alpha.send("2", [(7, "2"), (16, "0")])
    resent = [alpha.read() for _ in acks]
    assert [(m.seq_num, *fields(m, 35, 43, 11)) for m in resent] == [
        (2 + i, "8", "Y", f"o{i}") for i in range(5)
    ]
    assert [m.get(122) for m in resent] == [a.get(52) for a in acks]
