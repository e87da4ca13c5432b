"""A FIX session's numbers in the journal (engine.gateway.fix_failover), real sockets over a
fake pipeline: with ``[replication] enabled`` the bytes wait for the notes that cover their
MsgSeqNums, without it nothing is journaled; a host whose FIX files are gone takes the
journal's numbers and the client logs on as if nothing happened."""

from __future__ import annotations

import dataclasses
import shutil
import time
from pathlib import Path

from engine.config import HostConfig
from engine.domain.types import NoteKind, SessionNoted
from tests.engine.fix_client import Clients, fields
from tests.engine.gateway_harness import Host, gateway_host


def replicated(config: HostConfig) -> HostConfig:
    return dataclasses.replace(
        config, replication=dataclasses.replace(config.replication, enabled=True)
    )


def notes(host: Host) -> list[SessionNoted]:
    return [e for _, events in host.pipeline.published for e in events if type(e) is SessionNoted]


def origin_of(host: Host, session: str) -> int:
    ledger = host.server._ledger
    (origin,) = [o for o, name in ledger.names.items() if name.endswith("/" + session)]
    return origin


def test_without_replication_nothing_is_journaled_and_nothing_waits() -> None:
    with gateway_host() as host:
        fix = Clients(host.fix_address)
        try:
            alpha = fix.logged_on()
            alpha.new_order("a1", "1", 10, "100")
            assert alpha.app().get(150) == "0"
            assert alpha.still_up("hb")
        finally:
            fix.close()
        assert notes(host) == []
        assert host.server._ledger.fix_marks.marks == {}


def test_with_replication_the_bytes_wait_for_the_mark_that_covers_them() -> None:
    with gateway_host(configure=replicated) as host:
        origin = origin_of(host, "ALPHAFIX")
        fix = Clients(host.fix_address)
        try:
            host.pipeline.gate.clear()  # nothing is sequenced: no note comes back
            alpha = fix.connect()
            alpha.send("A", [(98, "0"), (108, "30"), (553, "ALPHA"), (554, "alpha-pass")])
            listener = host.server._fix
            host.wait_for(lambda: any(c.marking and c.marking.holding for c in _live(listener)))
            time.sleep(0.2)  # were it written, the Logon answer would be here by now
            alpha.sock.setblocking(False)
            try:
                early = alpha.sock.recv(65536)
            except BlockingIOError:
                early = b""
            alpha.sock.setblocking(True)
            alpha.sock.settimeout(alpha.timeout)
            assert early == b""
            host.pipeline.gate.set()
            assert alpha.read().msg_type == "A"  # once its mark is journaled
            alpha.new_order("a1", "1", 10, "100")
            ack = alpha.app()
            assert (ack.seq_num, ack.get(150)) == (2, "0")
            assert alpha.still_up("hb")
        finally:
            fix.close()
        marks = [n for n in notes(host) if n.note is NoteKind.FIX_MARK]
        sent = [n for n in notes(host) if n.note is NoteKind.FIX_SENT]
        assert marks[0].a == 2  # after our Logon
        assert [(n.a, n.b, n.c) for n in sent] == [(2, 1, 1)]  # the ack: MsgSeqNum 2, report 1
        assert (marks[-1].a, marks[-1].c) == (4, 1)  # after the Heartbeat (3)
        files = host.server._fix._files[origin]
        mark = host.server._ledger.fix_marks.get(origin)
        assert mark is not None and mark.next_sender == files.seqnums.next_sender


def _live(listener: object) -> list:
    marked = listener._marks._marked  # type: ignore[attr-defined]
    return [c for group in marked.values() for c in group]


def test_a_host_without_the_files_takes_the_journals_numbers(tmp_path: Path) -> None:
    data = str(tmp_path / "data")
    with gateway_host(data_dir=data, configure=replicated) as first:
        fix = Clients(first.fix_address)
        try:
            alpha = fix.logged_on()
            alpha.new_order("a1", "1", 100, "100")
            ack = alpha.app()
            beta = fix.logged_on("BETAFIX")
            beta.new_order("b1", "2", 40, "100")
            assert [beta.app().get(150) for _ in range(2)] == ["0", "F"]
            fill = alpha.app()
            assert (ack.seq_num, fill.seq_num, fill.get(150)) == (2, 3, "F")
            alpha.close()  # gone without a Logout: it saw up to 3, its next is 3
        finally:
            fix.close()
        exchange, last_seq = first.pipeline.exchange, first.pipeline.last_seq
    shutil.rmtree(Path(data) / "fix")  # a promoted standby never had them
    with gateway_host(
        data_dir=data, exchange=exchange, base_seq=last_seq, setup=False, configure=replicated
    ) as host:
        fix = Clients(host.fix_address)
        try:
            again = fix.connect(next_seq=3)
            answer = again.logon(next_expected=2)  # it asks for the ack again
            assert (answer.msg_type, answer.seq_num, answer.get(789)) == ("A", 4, "4")
            copy = again.read()  # the ack, rendered again from the report store
            assert (copy.seq_num, *fields(copy, 35, 43, 11, 150)) == (2, "8", "Y", "a1", "0")
            assert copy.get(122) == ack.get(52)  # OrigSendingTime: the journal's
            copy = again.read()
            assert (copy.seq_num, *fields(copy, 35, 43, 150)) == (3, "8", "Y", "F")
            again.cancel("a2", "a1")  # and it trades on
            assert fields(again.app(), 150, 41, 151) == ("4", "a1", "0")
        finally:
            fix.close()


def test_a_client_that_sent_more_than_the_mark_says_is_asked_again(tmp_path: Path) -> None:
    data = str(tmp_path / "data")
    with gateway_host(data_dir=data, configure=replicated) as first:
        fix = Clients(first.fix_address)
        try:
            alpha = fix.logged_on()
            alpha.new_order("a1", "1", 100, "100")
            assert alpha.app().get(150) == "0"
            alpha.send("0")  # a Heartbeat (3): no answer, so no mark counts it
            first.wait_for(lambda: first.server._fix._files[origin_of(first, "ALPHAFIX")]
                           .seqnums.next_target == 4)  # fmt: skip
            alpha.close()
        finally:
            fix.close()
        exchange, last_seq = first.pipeline.exchange, first.pipeline.last_seq
    shutil.rmtree(Path(data) / "fix")
    with gateway_host(
        data_dir=data, exchange=exchange, base_seq=last_seq, setup=False, configure=replicated
    ) as host:
        fix = Clients(host.fix_address)
        try:
            again = fix.connect(next_seq=4)
            assert again.logon().msg_type == "A"
            request = again.read()  # the mark said 3: our ResendRequest for 3
            assert (request.msg_type, request.get(7)) == ("2", "3")
            again.send("4", [(123, "Y"), (36, "5")], seq=3, poss_dup=True)  # gap fill
            assert again.still_up("after")
        finally:
            fix.close()
