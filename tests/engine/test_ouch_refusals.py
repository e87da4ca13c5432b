"""The OUCH gateway's own refusals are journaled (a REFUSED ``SessionNote``), so a session's
store is a pure function of the journal: the store a replay of the journal builds is the live
gateway's, byte for byte, throttle refusals and refused terms included; and each refusal is
answered in journal order, after the answers to what the session sent before it."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from engine.config import HostConfig
from engine.domain.exchange import Exchange
from engine.domain.types import NoteKind, SessionNote
from engine.gateway.ledger import ReportLedger, numbered_reports
from engine.protocols.ouch.inbound import CancelOrder, EnterOrder, ReplaceOrder
from engine.protocols.ouch.outbound import Accepted, Rejected
from engine.session_ids import session_origin
from tests.engine.gateway_harness import gateway_host
from tests.engine.test_ouch_gateway import DAY, Ouch, enter

THROTTLE = 6
BURST = 12


def _throttled(config: HostConfig) -> HostConfig:
    firms = tuple(
        dataclasses.replace(
            firm,
            sessions=tuple(
                dataclasses.replace(s, max_messages_per_second=THROTTLE)
                if s.name == "ALPHA1"
                else s
                for s in firm.sessions
            ),
        )
        for firm in config.firms
    )
    return dataclasses.replace(config, firms=firms)


def test_a_store_rebuilt_from_the_journal_is_the_live_one_byte_for_byte(tmp_path: Path) -> None:
    with gateway_host(configure=_throttled) as host:
        ouch = Ouch(host, "ALPHA1", "alpha-pass")
        try:
            ouch.send(EnterOrder("T-TIMED", "B", 10, "ACME", 1_000_000, 30))  # terms: "O"
            ouch.send(ReplaceOrder("NOT-LIVE", "T-NEW", 10, 1_000_000, DAY))  # not live: "O"
            ouch.send(CancelOrder("NOT-LIVE"))  # ignored, as OUCH does: no answer
            # a burst in one write: the session's throttle refuses what is over its rate
            burst = b"".join(
                ouch.session.send(enter(f"T-{i}", "B", 10, 990_000)) for i in range(BURST)
            )
            ouch.sock.sendall(burst)
            answers = ouch.messages(2 + BURST)
        finally:
            ouch.close()
        assert [n for n, _ in answers] == list(range(1, 3 + BURST))
        refused = [m for _, m in answers if isinstance(m, Rejected)]
        accepted = [m for _, m in answers if isinstance(m, Accepted)]
        assert len(refused) + len(accepted) == 2 + BURST
        assert {m.reason for m in refused} == {"O"} and len(refused) > 2 and accepted
        # each refusal is journaled in its message's place, as a note of the session
        origin = session_origin("ALPHA", "ALPHA1")
        notes = [c for c, o in host.pipeline.journaled if isinstance(c, SessionNote)]
        assert [(c.note, c.token, chr(c.a)) for c in notes] == [
            (NoteKind.REFUSED, m.token, "O") for m in refused
        ]
        assert {o for c, o in host.pipeline.journaled if isinstance(c, SessionNote)} == {origin}
        live_store = Path(host.config.data_dir) / "outbound" / "ALPHA" / "ALPHA1.reports"
        live = live_store.read_bytes()
        firms = host.config.firms
        journaled = list(host.pipeline.journaled)
    # the journal alone, replayed into an empty data directory (what catch-up and a promoted
    # standby do): the same store, byte for byte
    rebuilt = ReportLedger(tmp_path, firms)
    exchange = Exchange()
    for cmd, origin in journaled:
        rebuilt.apply(cmd.seq_no, cmd, origin, numbered_reports(exchange.submit(cmd)))
    rebuilt.close()
    assert (tmp_path / "outbound" / "ALPHA" / "ALPHA1.reports").read_bytes() == live
