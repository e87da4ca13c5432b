"""FIX clients for the gateway tests: :class:`FixClient`, a minimal blocking FIX 4.4 initiator
(encodes with ``engine.protocols.fix.codec``, frames with its framer, keeps every message it
received for QuickFIX's validation); :class:`Clients`, a test's clients, validated at the end;
:class:`QuickFix`, the real QuickFIX engine as a client in a child process. Test support
only: they trust their input."""

from __future__ import annotations

import contextlib
import queue
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from engine.protocols.fix.codec import FixMessage, encode
from engine.protocols.fix.framer import FixFramer
from engine.protocols.fix.timestamps import format_utc_timestamp
from tests.engine.protocols.fix.quickfix_check import fix44_xml, missing_required, quickfix_errors

#: QuickFIX as a client: run by :class:`QuickFix`
INITIATOR = Path(__file__).with_name("fix_gateway_initiator.py")


class FixClient:
    """One connection of a configured FIX session (ALPHAFIX of ALPHA by default)."""

    def __init__(
        self,
        address: tuple[str, int],
        comp_id: str = "ALPHAFIX",
        *,
        next_seq: int = 1,
        target: str = "SEQUEX",
        timeout: float = 5.0,
    ) -> None:
        self.sock = socket.create_connection(address, timeout=timeout)
        self.comp_id, self.target = comp_id, target
        self.next_seq = next_seq
        self.timeout = timeout
        self._framer = FixFramer()
        self._pending: list[FixMessage] = []
        self._corked: bytearray | None = None
        #: every message received, in order
        self.received: list[FixMessage] = []

    # -- sending -----------------------------------------------------------------------------

    def send(
        self,
        msg_type: str,
        body: list[tuple[int, str]] | None = None,
        *,
        seq: int | None = None,
        poss_dup: bool = False,
        poss_resend: bool = False,
    ) -> int:
        """Send one message; it takes the next MsgSeqNum unless ``seq`` is given."""
        if seq is None:
            seq, self.next_seq = self.next_seq, self.next_seq + 1
        now = format_utc_timestamp(time.time_ns())
        header = [(49, self.comp_id), (56, self.target), (34, str(seq))]
        if poss_dup:
            header.append((43, "Y"))
        if poss_resend:
            header.append((97, "Y"))
        header.append((52, now))
        if poss_dup:
            header.append((122, now))
        data = encode(msg_type, header + (body or []))
        if self._corked is not None:
            self._corked += data
        else:
            self.sock.sendall(data)
        return seq

    @contextlib.contextmanager
    def corked(self) -> Iterator[None]:
        """The messages sent inside the block go out in one write (one read of the peer's,
        as far as TCP on loopback goes)."""
        self._corked = bytearray()
        try:
            yield
        finally:
            data, self._corked = bytes(self._corked), None
            self.sock.sendall(data)

    def logon(
        self,
        username: str = "ALPHA",
        password: str = "alpha-pass",
        *,
        reset: bool = False,
        heart_bt_int: int = 30,
        next_expected: int | None = None,
    ) -> FixMessage:
        """Send a Logon (with NextExpectedMsgSeqNum(789) when ``next_expected`` is given);
        returns the answer (a Logon, or the Logout refusing it)."""
        body = [(98, "0"), (108, str(heart_bt_int))]
        if reset:
            body.append((141, "Y"))
        body += [(553, username), (554, password)]
        if next_expected is not None:
            body.append((789, str(next_expected)))
        self.send("A", body)
        return self.read()

    def new_order(
        self,
        cl_ord_id: str,
        side: str,
        qty: int,
        price: str | None,
        *,
        symbol: str = "ACME",
        account: str | None = None,
        tif: str = "0",
        poss_dup: bool = False,
        poss_resend: bool = False,
        seq: int | None = None,
    ) -> int:
        body = [(11, cl_ord_id)]
        if account is not None:
            body.append((1, account))
        body += [(55, symbol), (54, side), (60, _now()), (38, str(qty))]
        body.append((40, "1" if price is None else "2"))
        if price is not None:
            body.append((44, price))
        body.append((59, tif))
        return self.send("D", body, seq=seq, poss_dup=poss_dup, poss_resend=poss_resend)

    def cancel(
        self,
        cl_ord_id: str,
        orig: str,
        side: str = "1",
        *,
        order_id: str | None = None,
        symbol: str = "ACME",
    ) -> int:
        body = [(41, orig)]
        if order_id is not None:
            body.append((37, order_id))
        body += [(11, cl_ord_id), (55, symbol), (54, side), (60, _now())]
        return self.send("F", body)

    def replace(
        self,
        cl_ord_id: str,
        orig: str,
        side: str,
        qty: int,
        price: str,
        *,
        order_id: str | None = None,
        symbol: str = "ACME",
    ) -> int:
        body = [(41, orig)]
        if order_id is not None:
            body.append((37, order_id))
        body += [(11, cl_ord_id), (55, symbol), (54, side), (60, _now()), (38, str(qty))]
        body += [(40, "2"), (44, price)]
        return self.send("G", body)

    # -- receiving ---------------------------------------------------------------------------

    def read(self) -> FixMessage:
        """The next message of any type (EOFError once the gateway closed)."""
        deadline = time.monotonic() + self.timeout
        while not self._pending:
            assert time.monotonic() < deadline, "no message in time"
            data = self.sock.recv(65536)
            if not data:
                raise EOFError("closed by the gateway")
            self._framer.receive_data(data)
            while isinstance(event := self._framer.next_event(), FixMessage):
                assert event.problem is None, event.problem
                self._pending.append(event)
                self.received.append(event)
        return self._pending.pop(0)

    def app(self) -> FixMessage:
        """The next application message; TestRequests are answered, Heartbeats skipped."""
        while True:
            msg = self.read()
            if msg.msg_type == "1":
                self.send("0", [(112, msg.get(112) or "")])
            elif msg.msg_type != "0":
                return msg

    def until(self, predicate: Callable[[FixMessage], bool]) -> list[FixMessage]:
        """Messages (any type) up to and including the first that matches."""
        out = [self.read()]
        while not predicate(out[-1]):
            out.append(self.read())
        return out

    def still_up(self, test_req_id: str) -> bool:
        """Send a TestRequest; whether its Heartbeat comes back."""
        self.send("1", [(112, test_req_id)])
        answer = self.until(lambda m: m.msg_type == "0" and m.get(112) is not None)
        return answer[-1].get(112) == test_req_id

    def is_closed(self) -> bool:
        """True once the gateway closed the connection (what it sent before is read)."""
        try:
            while True:
                data = self.sock.recv(65536)
                if not data:
                    return True
                self._framer.receive_data(data)
                while isinstance(event := self._framer.next_event(), FixMessage):
                    self._pending.append(event)
                    self.received.append(event)
        except ConnectionError:
            return True
        except TimeoutError:
            return False

    def close(self) -> None:
        self.sock.close()


def _now() -> str:
    return format_utc_timestamp(time.time_ns())


def fields(msg: FixMessage, *tags: int) -> tuple[str | None, ...]:
    return tuple(msg.get(tag) for tag in tags)


#: the demo config's FIX sessions: SenderCompID -> (Username, Password)
DEMO_SESSIONS = {"ALPHAFIX": ("ALPHA", "alpha-pass"), "BETAFIX": ("BETA", "beta-pass")}


class Clients:
    """The FIX clients of one test: each connected to ``address``; :meth:`close` closes them
    and checks every message they received against QuickFIX's FIX 4.4 dictionary."""

    def __init__(self, address: tuple[str, int]) -> None:
        self.address = address
        self.made: list[FixClient] = []

    def connect(self, comp_id: str = "ALPHAFIX", *, next_seq: int = 1) -> FixClient:
        client = FixClient(self.address, comp_id, next_seq=next_seq)
        self.made.append(client)
        return client

    def logged_on(
        self, comp_id: str = "ALPHAFIX", *, next_seq: int = 1, reset: bool = False
    ) -> FixClient:
        """A client of a demo session past its Logon (asserted accepted)."""
        client = self.connect(comp_id, next_seq=next_seq)
        answer = client.logon(*DEMO_SESSIONS[comp_id], reset=reset)
        assert answer.msg_type == "A", answer.fields
        return client

    def close(self) -> None:
        for client in self.made:
            client.close()
        assert_valid_fix44([m for client in self.made for m in client.received])


def assert_valid_fix44(messages: list[FixMessage]) -> None:
    """QuickFIX's DataDictionary.validate passes each message (in a child process, see
    ``quickfix_check``), and each carries every field FIX44.xml requires."""
    errors = quickfix_errors([m.raw for m in messages])
    assert errors == {}, {i: (text, messages[i].raw) for i, text in errors.items()}
    for m in messages:
        present = {8, 9, 10} | {tag for tag, _ in m.fields}
        assert missing_required(m.msg_type, present) == set(), m.fields


class QuickFix:
    """QuickFIX as ALPHAFIX (``fix_gateway_initiator.py`` in a child process, in ``mode``,
    against 127.0.0.1:``port``); its output lines as they come."""

    def __init__(self, port: int, workdir: Path, mode: str) -> None:
        self.process = subprocess.Popen(
            [sys.executable, str(INITIATOR), str(port), str(fix44_xml()), str(workdir), mode],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.lines: list[str] = []
        self._queue: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self._queue.put(line.rstrip("\n"))
        self._queue.put("")

    def expect(self, prefix: str, timeout: float = 30.0) -> str:
        """The next line that starts with ``prefix`` (all lines are kept in ``lines``)."""
        deadline = time.monotonic() + timeout
        while True:
            line = self._queue.get(timeout=max(deadline - time.monotonic(), 0.01))
            self.lines.append(line)
            if line.startswith(prefix):
                return line
            if not line:
                err = self.finish()  # what it printed says how far it got (a rare failure)
                raise AssertionError(
                    f"QuickFIX ended before {prefix!r}; it printed {self.lines[-20:]}; "
                    f"stderr: {err}"
                )

    def finish(self) -> str:
        try:
            _, err = self.process.communicate(timeout=30)
        finally:
            self.process.kill()
        while not self._queue.empty():
            self.lines.append(self._queue.get())
        return err

    def rejected_anything(self) -> list[str]:
        """Rejects QuickFIX sent (a message of ours it found invalid), or Logouts it started."""
        return [line for line in self.lines if line.startswith("OUT") and "|35=3|" in line]

    def resent_to_it(self) -> list[dict[int, str]]:
        """The application messages it received flagged PossDupFlag=Y, as tag -> value."""
        return [
            {int(t): v for t, _, v in (f.partition("=") for f in line[3:].split("|") if f)}
            for line in self.lines
            if line.startswith("IN ") and "|43=Y|" in line and "|35=4|" not in line
        ]

    @staticmethod
    def forget_received(workdir: Path) -> None:
        """Make the file store of QuickFIX in ``workdir`` expect MsgSeqNum 1 from us: its
        next Logon asks for everything again (ResendRequest 1 to 0), like a client that lost
        what it had received."""
        path = workdir / "store" / "FIX.4.4-ALPHAFIX-SEQUEX.seqnums"
        sender = int(path.read_text().split(":")[0])
        path.write_text(f"{sender:010d} : {1:010d}")
