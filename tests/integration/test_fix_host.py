"""FIX 4.4 against the real host (`sequex run`: every stage a process, the journal durable),
with QuickFIX as the client: it logs on as ALPHAFIX, is acked with OrderID(37) and
SecondaryOrderID(198) = the seq_no, is filled, replaces, cancels and leaves a bid resting,
then logs out. The bid fills while it is away; the host stops and starts again on its data
directory; QuickFIX logs on with the MsgSeqNums of its own file store, which the host kept
(``DATA_DIR/fix``), and gets the fill it missed. Its store is made to forget what it received,
so it also asks for everything the host sent before the restart, which comes again from the
host's message store with PossDupFlag=Y, OrigSendingTime(122) its first SendingTime and
SendingTime(52) now. QuickFIX validates every message it gets against its FIX 4.4
dictionary and would answer a bad one with a Reject."""

from __future__ import annotations

from pathlib import Path

from tests.demo_config import demo_text
from tests.engine.fix_client import Clients, FixClient, QuickFix
from tests.integration.test_gateway_host import running_host


def _address(endpoint: str) -> tuple[str, int]:
    host, _, port = endpoint.rpartition(":")
    return host, int(port)


def test_quickfix_against_the_real_host_across_a_restart(tmp_path: Path) -> None:
    text, endpoints = demo_text(tmp_path / "var", 1)
    config = tmp_path / "host.toml"
    config.write_text(text)
    fix = _address(endpoints["fix"])
    workdir = tmp_path / "quickfix"
    workdir.mkdir()
    with running_host(config) as run:
        assert any(line.startswith("  FIX 4.4 on ") for line in run.banner)
        beta = Clients(fix)
        try:
            seller = beta.logged_on("BETAFIX")
            qf = QuickFix(fix[1], workdir, "trade")
            _, order_id, seq_no = qf.expect("ACK").split()
            assert seq_no == order_id  # the order id derives from the seq_no of its NewOrder
            seller.new_order("b1", "2", 20, "100")
            assert qf.expect("FILL").split()[1:] == ["20", "100", "80"]
            qf.expect("RESTING")
            qf.expect("DONE")
            qf.finish()
            assert qf.rejected_anything() == []
            seller.new_order("b2", "2", 10, "99")  # the bid QuickFIX left: it is away
            replies = seller.until(lambda m: m.get(150) == "F" and m.get(11) == "b2")
            assert replies[-1].get(14) == "10"
        finally:
            beta.close()
    QuickFix.forget_received(workdir)
    with running_host(config) as run:
        assert any("recovered through seq" in line for line in run.banner)
        qf = QuickFix(fix[1], workdir, "again")
        qf.expect("LOGON")
        assert qf.expect("MISSED").split()[1:] == ["qf-5", "10"]
        qf.expect("DONE")
        qf.finish()
        assert qf.rejected_anything() == []
        assert not [line for line in qf.lines if "too low" in line]
        resent = qf.resent_to_it()  # the 6 reports it had before the restart, again
        assert [m[35] for m in resent] == ["8"] * 4 + ["9", "8"], resent
        assert all(m[122] < m[52] for m in resent), resent
        beta_again = FixClient(fix, "BETAFIX", next_seq=4)  # Logon 1, orders 2 and 3
        try:
            assert beta_again.logon("BETA", "beta-pass").msg_type == "A"
        finally:
            beta_again.close()
