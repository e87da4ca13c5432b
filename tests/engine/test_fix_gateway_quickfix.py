"""QuickFIX, a real FIX engine, as the gateway's client (``fix_gateway_initiator.py`` in a
child process, validating everything it receives against its FIX 4.4 dictionary): it logs
on, orders, is filled, replaces, cancels, leaves a bid resting and logs out; the bid fills
while it is away; the host restarts on the same data directory; QuickFIX logs on again with
the MsgSeqNums of its file store, which the gateway kept, and gets the fill it missed. Its
store is made to forget what it received, so it also asks for everything sent before the
restart: each comes again with PossDupFlag=Y, OrigSendingTime(122) the time it was first sent
and SendingTime(52) now, which QuickFIX checks."""

from __future__ import annotations

from pathlib import Path

from tests.engine.fix_client import Clients, QuickFix
from tests.engine.gateway_harness import Host, gateway_host


def test_quickfix_trades_comes_back_after_a_host_restart_and_gets_what_it_missed(
    tmp_path: Path,
) -> None:
    data = str(tmp_path / "data")
    workdir = tmp_path / "quickfix"
    workdir.mkdir()
    with gateway_host(data_dir=data) as host:
        beta = Clients(host.fix_address)
        try:
            seller = beta.logged_on("BETAFIX")
            qf = QuickFix(host.fix_address[1], workdir, "trade")
            _, order_id, seq_no = qf.expect("ACK").split()
            assert order_id.isdigit() and seq_no == order_id  # the New ack's 37 and 198
            seller.new_order("b1", "2", 20, "100")
            assert qf.expect("FILL").split()[1:] == ["20", "100", "80"]  # CumQty AvgPx Leaves
            qf.expect("RESTING")
            qf.expect("DONE")
            qf.finish()
            assert qf.rejected_anything() == []
            seller.new_order("b2", "2", 10, "99")  # fills the bid QuickFIX left resting
            host.wait_for(lambda: _stored(host) == 6)
        finally:
            beta.close()  # QuickFIX validated its messages; these are validated here
        exchange, last_seq = host.pipeline.exchange, host.pipeline.last_seq
    QuickFix.forget_received(workdir)
    with gateway_host(data_dir=data, exchange=exchange, base_seq=last_seq, setup=False) as host:
        qf = QuickFix(host.fix_address[1], workdir, "again")
        qf.expect("LOGON")
        assert qf.expect("MISSED").split()[1:] == ["qf-5", "10"]
        qf.expect("DONE")
        qf.finish()
        assert qf.rejected_anything() == []
        # QuickFIX's numbers went on from its file store: no reset, no "too low" Logout
        logons = [line for line in qf.lines if line.startswith(("IN", "OUT")) and "|35=A|" in line]
        assert logons and all("|34=1|" not in line for line in logons), logons
        assert not [line for line in qf.lines if "too low" in line]
        resent = qf.resent_to_it()  # the 6 reports it had before the restart, again
        assert [m[35] for m in resent] == ["8"] * 4 + ["9", "8"], resent
        assert [int(m[34]) for m in resent] == sorted(int(m[34]) for m in resent)
        assert all(m[122] < m[52] for m in resent), resent


def _stored(host: Host) -> int:
    ledger = host.server._ledger
    (origin,) = [o for o, name in ledger.names.items() if name.endswith("/ALPHAFIX")]
    return ledger.stores[origin].count


def test_quickfix_logging_on_with_next_expected_msg_seq_num(tmp_path: Path) -> None:
    """QuickFIX's Logon carries NextExpectedMsgSeqNum(789): equal to our next number, our
    Logon answers with our own 789 (which its dictionary accepts); above it, the gateway
    refuses with a Logout saying why; below it (its store forgot what it received), what it
    missed comes again, flagged PossDupFlag=Y, and it accepts all of it."""
    workdir = tmp_path / "quickfix"
    workdir.mkdir()
    with gateway_host(data_dir=str(tmp_path / "data")) as host:
        port = host.fix_address[1]
        qf = QuickFix(port, workdir, "expect")
        first_ack = qf.expect("ACK").split()[1]
        qf.expect("DONE")
        qf.finish()
        [answer] = [line for line in qf.lines if line.startswith("IN") and "|35=A|" in line]
        assert "|789=" in answer and qf.rejected_anything() == []

        qf = QuickFix(port, workdir, "ahead")
        qf.expect("LOGGED_OUT")
        qf.finish()
        [logout] = [line for line in qf.lines if line.startswith("IN") and "|35=5|" in line]
        assert "NextExpectedMsgSeqNum(789)" in logout and "cannot be recovered" in logout

        QuickFix.forget_received(workdir)  # its 789 is now 1: below our next number
        qf = QuickFix(port, workdir, "expect")
        qf.expect("ACK")
        qf.expect("DONE")
        qf.finish()
        assert qf.rejected_anything() == []
        resent = qf.resent_to_it()
        assert any(m[35] == "8" and m[11] == first_ack and m[150] == "0" for m in resent), resent
        assert all(m[122] <= m[52] for m in resent), resent
