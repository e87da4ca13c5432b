"""The JSON lines gateway server: asyncio TCP, the only socket code of the gateway.

It only moves bytes and calls the pure parts:

    socket ──► JsonSession (sans-IO) ──► LoginDesk / validate ──► RingInPort ──► ring[in]
    socket ◄── JsonSession.send_* ◄── firm_view ◄── EventsReader ◄── ring[events] ◄── core/publisher

The wire protocol, every message and error code: ``docs/json-gateway.md``.

Contract.

* Each admitted connection gets a session id, a u32 counting up from ``first_session_id``
  and never reused while this server lives; it is the ``origin`` stamped into every command
  record it sends, to which the answers to those commands are addressed.
* A command line is answered by exactly one line of its own: ``sequenced`` (it entered ring[in]
  as that seq_no) or ``error`` (refused; nothing reached ring[in]). Its reports follow
  later, once the command was journaled and processed (``accepted`` is the ack).
* ``ts`` is stamped here, from ``time.time_ns()`` when the command enters the sequence (its
  receive time unless backpressure held it), never below the previous command's ts, so ts is
  non-decreasing in seq_no order even if the wall clock steps back. After a restart the
  previous command is the journaled one at ``base_seq`` (read from ``config.data_dir``).
* Backpressure: when ring[in] is full, the connection's task retries ``try_submit_stamped`` every
  0.5 ms and reads nothing meanwhile (TCP pushes back on that client); the loop keeps running,
  so other sessions still log in and receive their reports. Nothing is dropped.
* Reports: the loop itself waits on ring[events] (its doorbell, a socket the producer rings
  once when it publishes while the loop waits; no polling) and takes every available record
  (``engine.gateway.report_pump``). Each report's address (the session
  it answers and/or the firm that owns its account: ``engine.gateway.router``) is resolved
  against the sessions logged in at that moment (``engine.gateway.directory``): a firm's
  order reports reach each of its sessions once, one that logged in after the order was
  entered too; a firm session never gets a report about another firm's account
  (``misrouted``, defence in depth); a report that reaches no session is ``dropped``. A firm
  session is told another firm's order as an unknown one (``engine.gateway.disclosure``).
* Logins (``engine.gateway.logins``): the password check runs off the loop, a failed login is
  logged with the peer's address and answered ``bad_credentials`` whatever was wrong, and
  repeated failures from one address are slowed down (``engine.gateway.login_guard``: the
  refusal, and early logins from that address, wait; other connections never do).
* At most ``max_connections`` connections are open at once (logged in or not), plus
  ``admin_reserve`` kept for the operator (``engine.gateway.admission``). A connection admitted
  into the reserve must send the operator's login within ``reserve_login_timeout`` seconds;
  a firm's login or none gets ``too_many_connections`` and is closed. A connection beyond both
  is refused at once. A refused connection gets one error line (``too_many_connections``, see
  ``engine.protocols.json_session``), its input is discarded for at most ``refuse_linger``
  seconds (closing with unread input would send a reset that can destroy that line before
  the client reads it), and it is closed. It takes no session id and open sessions are
  unaffected.
* A connection that has not logged in within ``login_timeout`` seconds gets an error line
  (``login_timeout``) and is closed.
* A client that does not read its reports is disconnected once ``write_limit`` bytes wait for
  it: ring[events], shared by every session and every reader, must never wait on one client.
* The configured FIX and OUCH sessions are served by their own listeners
  (``engine.gateway.fix_server``, ``engine.gateway.ouch_server``) from the outbound ledger
  (``engine.gateway.ledger``), which the reports feed before the JSON sessions get theirs.
  The named JSON sessions (``protocol = "json"``) log in here, and are served from their
  stores in the ledger like them (``engine.gateway.json_connections``); what is said above of
  delivery to sessions logged in at that moment is the anonymous sessions'.
* A client that disconnects, even mid-line, ends only its own session (the partial line is
  discarded). Cancelling :meth:`serve` closes the listener, every connection, the reports thread
  and the ring handles.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import Callable, Mapping, Sequence

from disruptor import RingBuffer
from engine.config import HostConfig
from engine.domain.types import Command
from engine.event_codec import TS_OFFSET as EVENT_TS_OFFSET
from engine.gateway.accounts import AccountRegistry
from engine.gateway.admission import ADMIN_RESERVE, Admission
from engine.gateway.auth import Authenticator, Principal
from engine.gateway.directory import SessionDirectory
from engine.gateway.disclosure import firm_view
from engine.gateway.events_reader import EventsReader, ReportBatch
from engine.gateway.fence_gate import FenceGate
from engine.gateway.fix_server import FixListener
from engine.gateway.json_connections import JsonConnections, _Connection
from engine.gateway.ledger import ReportLedger, catch_up
from engine.gateway.ledger_feed import LedgerFeed, for_json, unheard
from engine.gateway.login_guard import LoginGuard
from engine.gateway.logins import LoginDesk
from engine.gateway.ouch_server import OuchListener
from engine.gateway.publisher_port import RingInPort
from engine.gateway.report_pump import ReportPump
from engine.gateway.startup import journaled_ts as journaled_ts
from engine.gateway.startup import parse_endpoint as parse_endpoint
from engine.hop_board import HOPS, Hop, HopBoard, attach_if_present, column_stamps

BACKPRESSURE_SLEEP = 0.0005
WRITE_LIMIT = 4 * 1024 * 1024
#: Seconds a connection may stay without a successful login before it is closed: a silent
#: client must not hold a socket and a session id forever.
LOGIN_TIMEOUT = 10.0
#: Open connections at most (a socket and a task each): beyond it a connection is refused.
MAX_CONNECTIONS = 256
#: Seconds a refused connection's input is read and discarded before closing (see Contract).
REFUSE_LINGER = 2.0
#: Seconds a connection of the operator's reserve has to send the operator's login
#: (``sequex admin`` sends it at once).
RESERVE_LOGIN_TIMEOUT = 2.0
#: Seconds between two saves of the outbound ledger's position (engine.gateway.ledger)
LEDGER_SAVE_SECONDS = 1.0


class GatewayServer(JsonConnections):
    """One gateway: a TCP listener, its sessions, the port into ring[in], a ring[events]
    reader."""

    def __init__(
        self,
        config: HostConfig,
        ring_in_name: str,
        events_ring_name: str,
        events_consumer: int,
        base_seq: int,
        *,
        endpoint: str | None = None,
        setup: Sequence[Command] = (),
        first_session_id: int = 1,
        write_limit: int = WRITE_LIMIT,
        login_timeout: float = LOGIN_TIMEOUT,
        max_connections: int = MAX_CONNECTIONS,
        refuse_linger: float = REFUSE_LINGER,
        owners: Mapping[str, str] | None = None,
        ouch_endpoint: str | None = None,
        fix_endpoint: str | None = None,
        admin_reserve: int = ADMIN_RESERVE,
        reserve_login_timeout: float = RESERVE_LOGIN_TIMEOUT,
        login_guard: LoginGuard | None = None,
        clock: Callable[[], int] = time.monotonic_ns,
        journaled_seq: int | None = None,
        in_wakes: Sequence[int] | None = None,
    ) -> None:
        self._admission = Admission(max_connections, admin_reserve)
        #: the waiters of ring[in] a publish can wake (``engine.wiring.Wiring.wakes``; None:
        #: every one)
        self._in_wakes = in_wakes
        self._host, self._port = parse_endpoint(endpoint or config.endpoints["json"])
        self.logins = LoginDesk(Authenticator(config), login_guard)
        self._ring_in_name, self._events_ring_name = ring_in_name, events_ring_name
        self._events_consumer = events_consumer
        self._base_seq = base_seq
        #: the journal's last seq when we start (a promoted standby's is past its ring's base)
        self._journaled_seq = base_seq if journaled_seq is None else journaled_seq
        self._data_dir = config.data_dir
        self._setup = list(setup)
        self._ids = itertools.count(first_session_id)
        self._write_limit = write_limit
        self._login_timeout = login_timeout
        self._reserve_login_timeout = reserve_login_timeout
        self._max_connections = max_connections
        self._refuse_linger = refuse_linger
        #: refused connections still lingering (bounded by the cap: beyond it they are closed
        #: at once); the admitted ones are counted by self._admission
        self._lingering = 0
        #: logged-in sessions, opened and closed together with their directory entry
        self._connections: dict[int, _Connection] = {}
        #: who owns each account: the config's, then the recovered state's (``owners``), then
        #: every AccountOpened read from ring[events] (``engine.gateway.accounts``)
        self._accounts = AccountRegistry()
        for firm in config.firms:
            self._accounts.register_all(firm.firm, (a.account for a in firm.accounts))
        for account, owner in (owners or {}).items():
            self._accounts.register(owner, account)
        self._directory = SessionDirectory(self._accounts)
        #: the reports configured sessions are owed, and the FIX and OUCH listeners
        self._ledger = ReportLedger(config.data_dir, config.firms, self._accounts)
        self._named: dict[int, _Connection] = {}
        #: the named JSON sessions' throttle clock
        self._clock = clock
        self._ouch = OuchListener(
            config.firms, self._ledger, self._submit_many, self._check_password,
            login_timeout=login_timeout,
        )  # fmt: skip
        self._ouch_endpoint = parse_endpoint(ouch_endpoint or config.endpoints["ouch"])
        self._fix = FixListener(
            config.firms, self._ledger, self._submit, self._check_password, self._accounts,
            data_dir=config.data_dir, comp_id=config.endpoints["fix_target_comp_id"],
            login_timeout=login_timeout, replicated=config.replication.enabled,
            submit_many=self._submit_many,
        )  # fmt: skip
        self._fix_endpoint = parse_endpoint(fix_endpoint or config.endpoints["fix"])
        #: fencing (``engine.gateway.fence_gate``): every protocol asks it before sequencing
        self._fence = FenceGate(config.data_dir)
        self._ouch.fence = self._fix.fence = self._fence
        self._fence_watch: asyncio.Task[None] | None = None
        self._feed = LedgerFeed(
            self._ledger, (self._ouch.deliver, self._fix.deliver), self._deliver_named,
            self._fix.noted,
        )  # fmt: skip
        self.ouch_address: tuple[str, int] | None = None
        self.fix_address: tuple[str, int] | None = None
        self._handlers: set[asyncio.Task[None]] = set()
        self._server: asyncio.Server | None = None
        self._rings: list[RingBuffer] = []
        self._port_in: RingInPort | None = None
        self._pump: ReportPump | None = None
        self._hops: HopBoard | None = None  # engine.hop_board: attached at start
        self._last_ts = 0
        self.address: tuple[str, int] | None = None
        self.backpressure_waits = self.refused = 0
        self._saver: asyncio.Task[None] | None = None
        #: the saver's write of the ledger's position, off the loop (close waits for it)
        self._writing: asyncio.Future[None] | None = None

    @property
    def dropped(self) -> int:
        """Reports that reached no session (see Contract)."""
        return self._directory.dropped

    @property
    def misrouted(self) -> int:
        """Reports withheld from a session of another firm (a routing bug if ever non-zero)."""
        return self._directory.misrouted

    @property
    def open_connections(self) -> int:
        """Connections holding a place of the pool (the cap counts these)."""
        return self._admission.pool_open

    @property
    def reserve_connections(self) -> int:
        """Connections holding a place of the operator's reserve."""
        return self._admission.reserve_open

    # -- lifecycle -------------------------------------------------------------------------

    async def start(self) -> tuple[str, int]:
        """Attach the rings, inject ``setup`` (origin 0), listen; returns (host, port)."""
        ring_in = RingBuffer.attach(self._ring_in_name)
        self._rings.append(ring_in)
        events_ring = RingBuffer.attach(self._events_ring_name)
        self._rings.append(events_ring)
        if self._in_wakes is not None:  # the readers right behind the cursor (the journaler)
            ring_in.board.aim(self._in_wakes)
        self._port_in = RingInPort(ring_in, self._base_seq)
        # beside the rings, under their prefix (none where no host made the rings)
        self._hops = attach_if_present(self._ring_in_name.removesuffix("in") + HOPS)
        self._ouch.hops = self._fix.hops = self._hops
        # the stores owe what the journal holds before anything new is read (a crash may
        # have left them behind): replayed from the journal, off the loop
        journaled = self._journaled_seq
        await asyncio.to_thread(catch_up, self._ledger, self._data_dir, journaled)
        floor = await asyncio.to_thread(journaled_ts, self._data_dir, journaled)
        self._last_ts = max(self._last_ts, floor)
        # Reading the event stream before injecting: the setup's events must not wait for us.
        self._pump = ReportPump(EventsReader(events_ring, self._events_consumer), self._deliver)
        self._pump.start(asyncio.get_running_loop())
        if self._setup:
            # Before listening: nothing else writes ring[in] yet (may wait while it is full).
            await asyncio.to_thread(self._port_in.submit_blocking, self._setup)
        self._server = await asyncio.start_server(self._accept, self._host, self._port)
        sockname = self._server.sockets[0].getsockname()
        if self._ouch.has_sessions:
            self.ouch_address = await self._ouch.start(*self._ouch_endpoint)
        if self._fix.has_sessions:
            self.fix_address = await self._fix.start(*self._fix_endpoint)
        self._saver = asyncio.create_task(self._save_ledger())
        self._fence_watch = asyncio.create_task(self._fence.watch())
        # last: a set address means every listener is up
        self.address = (sockname[0], sockname[1])
        return self.address

    async def _save_ledger(self) -> None:
        """Record where the outbound stores stand, now and then (a crash replays from it),
        and sync the FIX sessions' sequence numbers and message stores."""
        while True:
            await asyncio.sleep(LEDGER_SAVE_SECONDS)
            # the position is taken here, in the loop that applies the reports (the table
            # must not change under it); syncing and writing go off the loop
            state = self._feed.checkpoint()
            if state is not None:
                # shielded: cancelling the saver must not leave the thread writing unseen
                self._writing = asyncio.ensure_future(asyncio.to_thread(self._feed.write, state))
                await asyncio.shield(self._writing)
            await self._fix.sync()

    async def _check_password(self, peername: object, firm: str, password: str) -> bool:
        """The OUCH (and FIX) listeners' login check: slowed down per peer address after
        failures and logged with it, like the JSON gateway's (``engine.gateway.logins``)."""
        return isinstance(await self.logins.login_firm(peername, firm, password), Principal)

    async def serve(self) -> None:
        """Start and serve until cancelled; then close everything."""
        try:
            await self.start()
            await asyncio.Event().wait()
        finally:
            await self.close()

    async def close(self) -> None:
        if self._fence_watch is not None:
            self._fence_watch.cancel()
            self._fence_watch = None
        if self._saver is not None:
            self._saver.cancel()
            self._saver = None
        if self._writing is not None:  # a write in flight ends before the last one starts
            await asyncio.gather(self._writing, return_exceptions=True)
            self._writing = None
        await self._ouch.close()
        await self._fix.close()
        if self._server is not None:
            self._server.close()
        for conn in list(self._connections.values()):
            conn.writer.transport.abort()
        for task in list(self._handlers):
            task.cancel()
        if self._handlers:
            await asyncio.gather(*self._handlers, return_exceptions=True)
        if self._server is not None:
            await self._server.wait_closed()
            self._server = None
        if self._pump is not None:
            await self._pump.stop()
            self._pump = None
        self.logins.close()

        for ring in self._rings:
            ring.close()  # attached handles only: the supervisor owns the segments
        self._rings.clear()
        self._feed.dirty = True
        self._feed.save()
        self._ledger.close()
        if self._hops is not None:
            self._ouch.hops = self._fix.hops = None
            self._hops.close()
            self._hops = None

    # -- connections -----------------------------------------------------------------------

    async def _submit(self, cmd: Command, origin: int) -> int:
        """Publish one command into ring[in] (see :meth:`_submit_many`); its seq_no."""
        return (await self._submit_many([cmd], origin))[0]

    async def _submit_many(self, commands: list[Command], origin: int) -> list[int]:
        """Publish ``commands`` of session ``origin`` into ring[in] in order, as many at once
        as fit (one claim, one wake-up of the journaler), awaiting while it is full; returns
        their seq_nos. They share one ts, the time they enter the sequence."""
        port = self._port_in
        assert port is not None
        seq_nos: list[int] = []
        while len(seq_nos) < len(commands):
            self._last_ts = ts = max(time.time_ns(), self._last_ts)
            rest = commands[len(seq_nos) :] if seq_nos else commands
            # stamped with the seq_no its slot gives it: the ledger sees the command as the
            # journal will hold it
            stamped = port.try_submit_stamped(rest, origin, ts)
            seq_nos += self._feed.sent_all(stamped, origin)
            if len(seq_nos) < len(commands):
                self.backpressure_waits += 1
                await asyncio.sleep(BACKPRESSURE_SLEEP)
        return seq_nos

    def _deliver(self, batch: ReportBatch) -> None:
        self._feed.reports(batch)  # the configured sessions' stores; FIX and OUCH delivery
        directory = self._directory
        if not len(directory):  # no JSON session open: only learn and count (``unheard``)
            directory.dropped += unheard(batch, directory.accounts)
            self._answered(batch)
            return
        for session_id, group in directory.deliveries(for_json(batch.reports())).items():
            conn = self._connections[session_id]  # opened and closed with the directory
            # Always true: a session leaves the directory in the same step as it stops
            # being LOGGED_IN (logout, end of input, fatal fault); never write out of state.
            if conn.session.can_send_reports:
                if conn.principal is not None and not conn.principal.is_admin:
                    group = [(seq, sub, firm_view(event)) for seq, sub, event in group]
                self._send(conn, conn.session.send_events(group))
        self._answered(batch)

    def _answered(self, batch: ReportBatch) -> None:
        """Count the age of each command whose first report the batch holds, its reports
        handed to the sockets (a command split over two polls counts once, at its first)."""
        if self._hops is not None and batch.commands:
            rows = [row for _, _, events, row in batch.commands if events and events[0][0] == 0]
            if rows:
                stamps = column_stamps(batch.rows[rows], EVENT_TS_OFFSET)
                self._hops.record_stamps(Hop.ANSWERED, stamps)
