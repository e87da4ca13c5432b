"""A FIX session's ClOrdIDs are entered once a day, whatever a client resends: a NewOrderSingle
flagged as resent (PossDupFlag or PossResend) whose ClOrdID the session used today is answered
with its order's status (ExecutionReport 150=I), any other reuse is refused as a duplicate
(103=6 / 102=6); EndOfDay frees them; a host restart, or a crash that lost the number of the
last message the gateway took, changes nothing. Every message the gateway sends here passes
QuickFIX's FIX 4.4 data dictionary (``Clients.close``)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from engine.gateway.fix_files import SeqNums
from engine.protocols.fix.codec import FixMessage
from tests.engine.fix_client import Clients, FixClient, fields
from tests.engine.gateway_harness import Host, gateway_host
from tests.engine.test_fix_gateway import _throttle_alpha as throttle_alpha


@pytest.fixture
def host() -> Iterator[Host]:
    with gateway_host() as running:
        yield running


@pytest.fixture
def fix(host: Host) -> Iterator[Clients]:
    clients = Clients(host.fix_address)
    yield clients
    clients.close()


def report(client: FixClient) -> FixMessage:
    msg = client.app()
    assert msg.msg_type == "8", msg.fields
    return msg


def nothing_sequenced(host: Host, client: FixClient, before: int) -> bool:
    """Whether no command was sequenced since ``before`` (a TestRequest round trip later)."""
    assert client.still_up("after")
    return host.pipeline.processed == before


def ended_orders(host: Host, fix: Clients) -> FixClient:
    """ALPHAFIX's a1 expires (IOC, nothing to meet), a2 fills, a3 rests, a4 is refused by
    the exchange (unknown symbol)."""
    alpha, beta = fix.logged_on(), fix.logged_on("BETAFIX")
    alpha.new_order("a1", "1", 10, "100", tif="3")
    assert [report(alpha).get(150) for _ in range(2)] == ["0", "C"]
    beta.new_order("b1", "2", 20, "100")
    assert report(beta).get(150) == "0"
    alpha.new_order("a2", "1", 20, "100")
    assert [report(alpha).get(150) for _ in range(2)] == ["0", "F"]
    alpha.new_order("a3", "1", 5, "90")
    assert report(alpha).get(150) == "0"
    alpha.new_order("a4", "1", 5, "90", symbol="NOPE")
    assert fields(report(alpha), 150, 103) == ("8", "1")
    return alpha


def test_a_resent_order_is_answered_with_its_status_and_never_entered_again(
    host: Host, fix: Clients
) -> None:
    alpha = ended_orders(host, fix)
    before = host.pipeline.processed
    alpha.new_order("a1", "1", 10, "100", tif="3", poss_dup=True)
    status = report(alpha)
    assert fields(status, 150, 39, 11, 14, 151) == ("I", "C", "a1", "0", "0")
    assert status.get(58) == "resent ClOrdID a1 was taken already: its order's status"
    alpha.new_order("a2", "1", 20, "100", poss_resend=True)
    assert fields(report(alpha), 150, 39, 11, 14, 151, 6) == ("I", "2", "a2", "20", "0", "100")
    alpha.new_order("a3", "1", 5, "90", poss_resend=True, poss_dup=True)  # still live
    assert fields(report(alpha), 150, 39, 14, 151, 44) == ("I", "0", "0", "5", "90")
    alpha.new_order("a4", "1", 5, "90", symbol="NOPE", poss_dup=True)
    assert fields(report(alpha), 150, 39, 37, 55) == ("I", "8", "NONE", "NOPE")
    assert nothing_sequenced(host, alpha, before)


def test_any_other_reuse_of_a_client_order_id_of_the_day_is_refused_as_a_duplicate(
    host: Host, fix: Clients
) -> None:
    alpha = ended_orders(host, fix)
    before = host.pipeline.processed
    for used in ("a1", "a2", "a3", "a4"):
        alpha.new_order(used, "1", 1, "95")
        refused = report(alpha)
        assert fields(refused, 150, 39, 103, 11) == ("8", "8", "6", used)
        assert refused.get(58) == "duplicate ClOrdID(11): the session used it today"
    alpha.cancel("a1", "a3")  # a cancel of a3 under the ClOrdID of a1
    assert fields(alpha.app(), 35, 102, 39, 11, 41) == ("9", "6", "0", "a1", "a3")
    alpha.replace("a2", "a3", "1", 5, "91")
    assert fields(alpha.app(), 35, 102, 434) == ("9", "6", "2")
    assert nothing_sequenced(host, alpha, before)
    alpha.cancel("a5", "a3")
    assert fields(report(alpha), 150, 11, 41) == ("4", "a5", "a3")
    alpha.new_order("a5", "1", 1, "95", poss_resend=True)  # a cancel's ClOrdID names its order
    assert fields(report(alpha), 150, 39, 11) == ("I", "4", "a5")


def test_a_resent_replace_or_cancel_is_answered_with_the_orders_status_not_applied_again(
    host: Host, fix: Clients
) -> None:
    alpha = fix.logged_on()
    alpha.new_order("r1", "1", 10, "90")
    order_id = report(alpha).get(37)
    alpha.replace("r2", "r1", "1", 8, "91")
    assert fields(report(alpha), 150, 11, 38) == ("5", "r2", "8")
    alpha.replace("r3", "r2", "1", 6, "92")
    assert fields(report(alpha), 150, 11, 38) == ("5", "r3", "6")
    before = host.pipeline.processed
    body = [(41, "r1"), (37, order_id or ""), (11, "r2"), (55, "ACME"), (54, "1")]
    body += [(60, "20260101-00:00:00.000"), (38, "8"), (40, "2"), (44, "91")]
    alpha.send("G", body, poss_dup=True)  # r2 again, after r3: it must not undo r3
    assert fields(report(alpha), 150, 39, 11, 38, 44) == ("I", "0", "r3", "6", "92")
    alpha.replace("r3", "r3", "1", 5, "92")  # its own ClOrdID again, unflagged
    assert fields(alpha.app(), 35, 102, 39) == ("9", "6", "0")
    assert nothing_sequenced(host, alpha, before)
    alpha.cancel("r4", "r3")
    assert fields(report(alpha), 150, 11) == ("4", "r4")
    body = [(41, "r3"), (11, "r4"), (55, "ACME"), (54, "1"), (60, "20260101-00:00:00.000")]
    alpha.send("F", body, poss_resend=True)  # the cancel again: done, not "unknown order"
    assert fields(report(alpha), 150, 39, 11, 37) == ("I", "4", "r4", order_id)


def test_over_its_rate_a_session_still_gets_its_resent_orders_status_not_throttled() -> None:
    with gateway_host(configure=throttle_alpha) as host:
        clients = Clients(host.fix_address)
        try:
            alpha = clients.logged_on()
            alpha.new_order("a1", "1", 10, "100", tif="3")
            assert [report(alpha).get(150) for _ in range(2)] == ["0", "C"]
            alpha.new_order("x1", "1", 1, "90")  # 3 a second: the burst goes over
            alpha.new_order("x2", "1", 1, "90")
            alpha.new_order("a1", "1", 10, "100", tif="3", poss_resend=True)
            alpha.new_order("x3", "1", 1, "90")
            answers = {m.get(11): fields(m, 150, 58) for m in (report(alpha) for _ in range(4))}
            assert answers["a1"][0] == "I"
            assert answers["x3"] == ("8", "throttled: more than 3 messages per second")
        finally:
            clients.close()


def test_two_orders_with_one_client_order_id_sent_at_once_enter_one(
    host: Host, fix: Clients
) -> None:
    alpha = fix.logged_on()
    alpha.new_order("twin", "1", 1, "90")
    alpha.new_order("twin", "1", 1, "90")  # before the first is acked: in flight
    answers = sorted(fields(report(alpha), 150, 103) for _ in range(2))
    assert answers == [("0", None), ("8", "6")]


def test_end_of_day_frees_the_days_client_order_ids_but_not_a_live_orders(
    host: Host, fix: Clients
) -> None:
    alpha = fix.logged_on()
    alpha.new_order("d1", "1", 10, "100", tif="3")
    assert [report(alpha).get(150) for _ in range(2)] == ["0", "C"]
    alpha.new_order("g1", "1", 10, "90", tif="1")  # GTC: lives through the end of day
    assert report(alpha).get(150) == "0"
    admin = host.client()
    try:
        assert admin.login(None, "admin-pass")["type"] == "login_ok"
        admin.send({"type": "end_of_day", "symbol": "ACME"})
        assert admin.read_until(lambda m: m.get("type") == "day_ended")
    finally:
        admin.close()
    alpha.new_order("d1", "1", 10, "90")  # a new day
    assert report(alpha).get(150) == "0"
    alpha.new_order("g1", "1", 10, "90")
    assert fields(report(alpha), 150, 103) == ("8", "6")


def test_client_order_ids_survive_a_host_restart_and_a_lost_msgseqnum(tmp_path: Path) -> None:
    data = str(tmp_path / "data")
    with gateway_host(data_dir=data) as first:
        clients = Clients(first.fix_address)
        try:
            alpha = clients.logged_on()
            alpha.new_order("a1", "1", 10, "100", tif="3")  # MsgSeqNum 2
            assert [report(alpha).get(150) for _ in range(2)] == ["0", "C"]
        finally:
            clients.close()
        exchange, last_seq = first.pipeline.exchange, first.pipeline.last_seq
    # As if the host crashed after sequencing a1 and before saving that it took MsgSeqNum 2
    seqnums = SeqNums(Path(data) / "fix" / "ALPHA" / "ALPHAFIX" / "seqnums")
    assert seqnums.next_target == 3
    seqnums.next_target = 2
    seqnums.save()
    seqnums.close()
    with gateway_host(data_dir=data, exchange=exchange, base_seq=last_seq, setup=False) as host:
        clients = Clients(host.fix_address)
        try:
            alpha = clients.connect(next_seq=3)
            assert alpha.logon().msg_type == "A"
            asked = alpha.read()
            assert fields(asked, 35, 7, 16) == ("2", "2", "0")  # a ResendRequest for 2 on
            before = host.pipeline.processed
            alpha.new_order("a1", "1", 10, "100", tif="3", poss_dup=True, seq=2)  # resent
            assert fields(report(alpha), 150, 39, 11) == ("I", "C", "a1")  # not entered again
            alpha.new_order("a1", "1", 10, "100")
            assert fields(report(alpha), 103, 11) == ("6", "a1")
            assert nothing_sequenced(host, alpha, before)
        finally:
            clients.close()
