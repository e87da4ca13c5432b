"""The host configuration: one TOML file, every key optional, validated with clear errors.

`load_config(path)` parses and validates; `parse_config(text, source)` does the same for a string.
Any problem raises `ConfigError` naming the file and the key path (``symbols[1].tick_size``) or,
for TOML syntax, the line and column that the parser reports.

Secrets are never in the file: a firm's and the operator's credential is ``password_hash``, a
salted scrypt hash (``engine.passwords``; ``sequex passwd`` prints one). A plain ``password`` key
is refused with an error that says so. `setup_commands(config)` turns
the symbols, firms and accounts into the admin commands a fresh journal starts with, in a fixed
order, so that two hosts started on the same config journal byte-identical preambles.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, Final

from engine.domain.types import (
    CASH,
    AddSymbol,
    Command,
    Deposit,
    OpenAccount,
    SelfTradePrevention,
    SetSelfTradePrevention,
)
from engine.passwords import PasswordHash, PasswordHashError, parse_password_hash
from engine.session_ids import session_origin


class ConfigError(ValueError):
    """The configuration cannot be used; the message names the file and the key."""


@dataclass(frozen=True, slots=True)
class SymbolConfig:
    symbol: str
    tick_size: int
    lot_size: int
    reference_price: int
    band_bps: int


@dataclass(frozen=True, slots=True)
class AccountConfig:
    account: str
    cash: int
    shares: tuple[tuple[str, int], ...]


@dataclass(frozen=True, slots=True)
class SessionConfig:
    """A configured gateway session of a firm: a FIX SenderCompID, an OUCH user or a named
    JSON session (``docs/json-gateway.md``)."""

    name: str
    protocol: str  # "fix", "ouch" or "json"
    #: its stable origin (engine.session_ids)
    origin: int
    #: the account its orders trade for (OUCH orders name none; FIX orders may name another
    #: of the firm's accounts in Account(1); a JSON command that names none trades for it)
    account: str
    #: messages it may send per second before orders are rejected (0: no throttle)
    max_messages_per_second: int = 0


@dataclass(frozen=True, slots=True)
class FirmConfig:
    firm: str
    password_hash: PasswordHash
    stp: SelfTradePrevention
    accounts: tuple[AccountConfig, ...]
    sessions: tuple[SessionConfig, ...] = ()
    #: cancel the resting orders a session entered when that session disconnects
    cancel_on_disconnect: bool = False


@dataclass(frozen=True, slots=True)
class MarketDataConfig:
    """``[market_data]``: the ITCH 5.0 feed over MoldUDP64 (``engine.mdfeed``). Where it is
    served is ``[endpoints]``: ``itch_multicast``, ``itch_interface``, ``mold_retransmit``
    and ``glimpse``."""

    #: run the market-data stage under ``sequex run``
    enabled: bool = True
    #: a heartbeat goes out when nothing was sent for this long
    heartbeat_ms: int = 1000
    #: multicast TTL: 0 keeps the datagrams on this host, 1 on the local network
    ttl: int = 0
    #: messages kept in memory for retransmission (older ones are regenerated from the journal)
    recent_messages: int = 1_000_000
    #: ITCH timestamps count nanoseconds from the exchange's midnight, this far east of UTC
    utc_offset_s: int = 0


@dataclass(frozen=True, slots=True)
class ReporterConfig:
    """``[reporter]``: the books-and-records database (``engine.reporter``)."""

    #: run the reporter stage (it follows the journal into the database)
    enabled: bool = True
    #: a PostgreSQL connection string (libpq keywords or a postgresql:// URI); None: SQLite in
    #: DATA_DIR/reports.db
    dsn: str | None = None
    #: the PostgreSQL schema that holds the tables
    schema: str = "sequex"


@dataclass(frozen=True, slots=True)
class ReplicationConfig:
    """``[replication]``: a hot standby follows this host (``engine.replication``,
    docs/replication.md); it connects to ``[endpoints] replication``."""

    #: run the replicator stage: the host waits for its standby (sync) or ships to it (async)
    enabled: bool = False
    #: "sync": nothing takes effect before the standby journaled it; "async": the standby
    #: trails, and acknowledged commands past its position can be lost at a failover
    mode: str = "sync"
    #: a heartbeat goes each way when nothing else was sent for this long
    heartbeat_ms: int = 100
    #: the peer is taken for dead when nothing arrived from it for this long
    timeout_ms: int = 500
    #: the other host's replication endpoint ("HOST:PORT"; "" none): a primary probes it for
    #: a higher epoch (it was promoted) and then refuses orders (fencing, docs/replication.md)
    peer: str = ""


@dataclass(frozen=True, slots=True)
class SettlementConfig:
    """``[settlement]``: the business-day calendar of T+2 settlement (``sequex settle``)."""

    #: dates (ISO) that are not business days besides Saturdays and Sundays
    holidays: tuple[date, ...] = ()
    #: business days from a trade date to its settlement date
    cycle_days: int = 2


@dataclass(frozen=True, slots=True)
class HostConfig:
    source: str = "<defaults>"
    data_dir: str = "var"
    matcher_shards: int = 2
    feedback_window: int = 1024
    #: "sharded" (risk stage + matcher shards) or "fused" (one core stage runs the Exchange)
    topology: str = "sharded"
    ring_capacity: int = 65536
    journal_sync: str = "batch"
    journal_interval_ms: int = 2
    journal_segment_bytes: int = 256 * 1024 * 1024
    snapshot_every: int = 1_000_000
    endpoints: dict[str, str] = field(default_factory=dict)
    pinning: dict[str, int] = field(default_factory=dict)
    symbols: tuple[SymbolConfig, ...] = ()
    firms: tuple[FirmConfig, ...] = ()
    #: The operator's password hash (``[admin] password_hash``); None: no operator login.
    admin_password_hash: PasswordHash | None = None
    #: ``[gateway] max_connections``: open TCP connections the JSON gateway serves at once;
    #: one more gets a ``too_many_connections`` error line and is closed.
    gateway_max_connections: int = 256
    #: ``[market_data]``: the ITCH feed
    market_data: MarketDataConfig = field(default_factory=MarketDataConfig)
    #: ``[reporter]``: where the reporter stage writes the orders and executions
    reporter: ReporterConfig = field(default_factory=ReporterConfig)
    #: ``[settlement]``: the calendar ``sequex settle`` settles by
    settlement: SettlementConfig = field(default_factory=SettlementConfig)
    #: ``[replication]``: the hot standby
    replication: ReplicationConfig = field(default_factory=ReplicationConfig)


DEFAULT_ENDPOINTS = {
    "fix": "127.0.0.1:9878",
    "fix_target_comp_id": "SEQUEX",
    "ouch": "127.0.0.1:9879",
    "itch_multicast": "239.192.0.1:30001",
    "itch_interface": "127.0.0.1",
    "mold_retransmit": "127.0.0.1:30002",
    "glimpse": "127.0.0.1:30003",
    "http": "127.0.0.1:8080",
    "json": "127.0.0.1:9877",
    "replication": "127.0.0.1:9880",
}
SYNC_POLICIES = ("batch", "interval", "none")
TOPOLOGIES = ("sharded", "fused")
STP_NAMES = {mode.name.lower(): mode for mode in SelfTradePrevention}


class _Reader:
    """Typed access to one TOML table that reports the key path of anything wrong."""

    def __init__(self, table: Any, path: str, source: str) -> None:
        if not isinstance(table, dict):
            raise ConfigError(f"{source}: {path or 'top level'} must be a table")
        self.table: dict[str, Any] = table
        self.path = path
        self.source = source
        self.used: set[str] = set()

    def where(self, key: str) -> str:
        return f"{self.path}.{key}" if self.path else key

    def fail(self, key: str, reason: str) -> ConfigError:
        return ConfigError(f"{self.source}: {self.where(key)}: {reason}")

    def integer(self, key: str, default: int | None, *, minimum: int = 0) -> int:
        self.used.add(key)
        value = self.table.get(key, default)
        if value is None:
            raise self.fail(key, "is required")
        if not isinstance(value, int) or isinstance(value, bool):
            raise self.fail(key, f"must be an integer, not {value!r}")
        if value < minimum:
            raise self.fail(key, f"must be at least {minimum}, not {value}")
        return value

    def text(self, key: str, default: str | None, *, max_len: int = 64) -> str:
        self.used.add(key)
        value = self.table.get(key, default)
        if value is None:
            raise self.fail(key, "is required")
        if not isinstance(value, str) or not value or len(value) > max_len:
            raise self.fail(key, f"must be a non-empty string of at most {max_len} characters")
        if not value.isascii() or not value.isprintable():
            raise self.fail(key, f"must be printable ASCII, not {value!r}")
        return value

    def password_hash(self, key: str = "password_hash") -> PasswordHash:
        """A required password hash (``engine.passwords``); a plain ``password`` key is refused:
        the configuration never holds a password itself."""
        if "password" in self.table:
            raise self.fail(
                "password",
                f"plain passwords are not accepted; store a hash as {key} "
                "(run `sequex passwd` and paste what it prints)",
            )
        text = self.text(key, None, max_len=512)
        try:
            return parse_password_hash(text)
        except PasswordHashError as exc:
            raise self.fail(key, f"{exc} (run `sequex passwd` to make one)") from None

    def flag(self, key: str, default: bool) -> bool:
        self.used.add(key)
        value = self.table.get(key, default)
        if not isinstance(value, bool):
            raise self.fail(key, f"must be true or false, not {value!r}")
        return value

    def table_list(self, key: str) -> list[_Reader]:
        self.used.add(key)
        items = self.table.get(key, [])
        if not isinstance(items, list):
            raise self.fail(key, "must be an array of tables ([[...]])")
        where = self.where(key)
        return [_Reader(item, f"{where}[{i}]", self.source) for i, item in enumerate(items)]

    def sub(self, key: str) -> _Reader:
        self.used.add(key)
        return _Reader(self.table.get(key, {}), self.where(key), self.source)

    def done(self) -> None:
        """Refuse unknown keys: a typo must not silently fall back to a default."""
        unknown = sorted(set(self.table) - self.used)
        if unknown:
            raise self.fail(unknown[0], "is not a known key")


def _symbols(top: _Reader) -> tuple[SymbolConfig, ...]:
    symbols: list[SymbolConfig] = []
    for r in top.table_list("symbols"):
        spec = SymbolConfig(
            symbol=r.text("symbol", None, max_len=8),
            tick_size=r.integer("tick_size", None, minimum=1),
            lot_size=r.integer("lot_size", None, minimum=1),
            reference_price=r.integer("reference_price", None, minimum=1),
            band_bps=r.integer("band_bps", None, minimum=1),
        )
        r.done()
        if spec.reference_price % spec.tick_size:
            raise r.fail("reference_price", f"must be a multiple of tick_size {spec.tick_size}")
        if any(s.symbol == spec.symbol for s in symbols):
            raise r.fail("symbol", f"{spec.symbol!r} is listed twice")
        symbols.append(spec)
    return tuple(symbols)


def _firms(top: _Reader, symbols: tuple[SymbolConfig, ...]) -> tuple[FirmConfig, ...]:
    known = {s.symbol for s in symbols}
    firms: list[FirmConfig] = []
    seen_accounts: set[str] = set()
    for f in top.table_list("firms"):
        name = f.text("firm", None, max_len=16)
        password_hash = f.password_hash()
        stp_name = f.text("stp", "cancel_resting")
        if stp_name not in STP_NAMES:
            raise f.fail("stp", f"must be one of {', '.join(STP_NAMES)}, not {stp_name!r}")
        accounts: list[AccountConfig] = []
        for a in f.table_list("accounts"):
            account = a.text("account", None, max_len=16)
            if account in seen_accounts:
                raise a.fail("account", f"{account!r} is listed twice")
            seen_accounts.add(account)
            cash = a.integer("cash", 0)
            holdings = a.sub("shares")
            shares = tuple((sym, holdings.integer(sym, None)) for sym in sorted(holdings.table))
            for sym, _ in shares:
                if sym not in known:
                    raise holdings.fail(sym, "is not a configured symbol")
            a.done()
            accounts.append(AccountConfig(account, cash, shares))
        sessions = _sessions(f, name, accounts)
        cancel_on_disconnect = f.flag("cancel_on_disconnect", False)
        f.done()
        if any(x.firm == name for x in firms):
            raise f.fail("firm", f"{name!r} is listed twice")
        firms.append(
            FirmConfig(
                name, password_hash, STP_NAMES[stp_name], tuple(accounts), sessions,
                cancel_on_disconnect,
            )
        )  # fmt: skip
    _refuse_colliding_sessions(firms, top)
    return tuple(firms)


#: Session protocols, and the longest session name each carries (OUCH: the 6-character
#: SoupBinTCP username; FIX: a SenderCompID; JSON: the login's "session").
SESSION_NAME_MAX: Final = {"fix": 32, "ouch": 6, "json": 32}


def _sessions(f: _Reader, firm: str, accounts: list[AccountConfig]) -> tuple[SessionConfig, ...]:
    out: list[SessionConfig] = []
    for s in f.table_list("sessions"):
        protocol = s.text("protocol", None)
        if protocol not in SESSION_NAME_MAX:
            raise s.fail("protocol", f"must be one of {', '.join(SESSION_NAME_MAX)}")
        name = s.text("name", None, max_len=SESSION_NAME_MAX[protocol])
        if not name.replace("-", "").replace("_", "").isalnum():
            raise s.fail("name", f"must be letters, digits, '-' or '_', not {name!r}")
        default_account = accounts[0].account if accounts else None
        account = s.text("account", default_account, max_len=16)
        if account not in {a.account for a in accounts}:
            raise s.fail("account", f"{account!r} is not one of {firm}'s accounts")
        limit = s.integer("max_messages_per_second", 0)
        s.done()
        if any(x.name == name for x in out):
            raise s.fail("name", f"{name!r} is listed twice for {firm}")
        out.append(SessionConfig(name, protocol, session_origin(firm, name), account, limit))
    return tuple(out)


def _refuse_colliding_sessions(firms: list[FirmConfig], top: _Reader) -> None:
    """Two sessions with one origin would share their reports: refuse (rename one)."""
    seen: dict[int, str] = {}
    for firm in firms:
        for session in firm.sessions:
            where = f"{firm.firm}/{session.name}"
            other = seen.setdefault(session.origin, where)
            if other != where:
                raise top.fail("firms", f"sessions {other} and {where} have the same origin")


def parse_config(text: str, source: str = "<string>") -> HostConfig:
    """Parse and validate a TOML configuration held in ``text``."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{source}: {exc}") from None
    top = _Reader(data, "", source)
    exchange, rings, journal = top.sub("exchange"), top.sub("rings"), top.sub("journal")
    endpoints_table, pinning_table = top.sub("endpoints"), top.sub("pinning")
    admin, gateway = top.sub("admin"), top.sub("gateway")
    market, reporter = top.sub("market_data"), top.sub("reporter")
    settlement, replication = top.sub("settlement"), top.sub("replication")
    admin_hash = None
    if "password_hash" in admin.table or "password" in admin.table:
        admin_hash = admin.password_hash()
    capacity = rings.integer("capacity", 65536, minimum=2)
    if capacity & (capacity - 1):
        raise rings.fail("capacity", f"must be a power of two, not {capacity}")
    sync = journal.text("sync", "batch")
    if sync not in SYNC_POLICIES:
        raise journal.fail("sync", f"must be one of {', '.join(SYNC_POLICIES)}, not {sync!r}")
    endpoints = dict(DEFAULT_ENDPOINTS)
    for key in endpoints_table.table:
        if key not in DEFAULT_ENDPOINTS:
            raise endpoints_table.fail(key, "is not a known endpoint")
        endpoints[key] = endpoints_table.text(key, None)
    pinning = {stage: pinning_table.integer(stage, None) for stage in sorted(pinning_table.table)}
    topology = exchange.text("topology", "sharded")
    if topology not in TOPOLOGIES:
        raise exchange.fail("topology", f"must be one of {', '.join(TOPOLOGIES)}, not {topology!r}")
    symbols = _symbols(top)
    config = HostConfig(
        source=source,
        data_dir=exchange.text("data_dir", "var", max_len=4096),
        matcher_shards=exchange.integer("matcher_shards", 2, minimum=1),
        feedback_window=exchange.integer("feedback_window", 1024, minimum=1),
        topology=topology,
        ring_capacity=capacity,
        journal_sync=sync,
        journal_interval_ms=journal.integer("interval_ms", 2, minimum=1),
        journal_segment_bytes=journal.integer("segment_bytes", 256 * 1024 * 1024, minimum=4096),
        snapshot_every=journal.integer("snapshot_every", 1_000_000),
        endpoints=endpoints,
        pinning=pinning,
        symbols=symbols,
        firms=_firms(top, symbols),
        admin_password_hash=admin_hash,
        gateway_max_connections=_max_connections(gateway),
        market_data=_market_data(market),
        reporter=_reporter(reporter),
        settlement=_settlement(settlement),
        replication=_replication(replication),
    )
    readers = (exchange, rings, journal, admin, gateway, market, reporter, settlement, top)
    for reader in (*readers, replication):
        reader.done()
    return config


#: Connections one gateway process may be configured to serve (each needs about two file
#: descriptors; see engine.gateway.limits).
MAX_CONNECTIONS_LIMIT = 16384


def _max_connections(gateway: _Reader) -> int:
    value = gateway.integer("max_connections", 256, minimum=1)
    if value > MAX_CONNECTIONS_LIMIT:
        raise gateway.fail("max_connections", f"must be at most {MAX_CONNECTIONS_LIMIT}")
    return value


def _market_data(market: _Reader) -> MarketDataConfig:
    ttl = market.integer("ttl", 0)
    if ttl > 255:
        raise market.fail("ttl", f"must be at most 255, not {ttl}")
    offset = market.table.get("utc_offset_s", 0)
    market.used.add("utc_offset_s")
    if not isinstance(offset, int) or isinstance(offset, bool) or abs(offset) > 14 * 3600:
        raise market.fail("utc_offset_s", f"must be seconds in -50400..50400, not {offset!r}")
    return MarketDataConfig(
        enabled=market.flag("enabled", True),
        heartbeat_ms=market.integer("heartbeat_ms", 1000, minimum=1),
        ttl=ttl,
        recent_messages=market.integer("recent_messages", 1_000_000, minimum=1000),
        utc_offset_s=offset,
    )


#: ``[reporter] schema``: a plain lower-case SQL identifier (it is quoted all the same).
SCHEMA_NAME: Final = re.compile(r"[a-z_][a-z0-9_]{0,62}")


def _reporter(reporter: _Reader) -> ReporterConfig:
    enabled = reporter.flag("enabled", True)
    dsn = reporter.text("dsn", "", max_len=4096) if "dsn" in reporter.table else None
    schema = reporter.text("schema", "sequex")
    if not SCHEMA_NAME.fullmatch(schema):
        raise reporter.fail("schema", f"must be a lower-case SQL identifier, not {schema!r}")
    return ReporterConfig(enabled, dsn, schema)


REPLICATION_MODES: Final = ("sync", "async")


def _replication(table: _Reader) -> ReplicationConfig:
    mode = table.text("mode", "sync")
    if mode not in REPLICATION_MODES:
        raise table.fail("mode", f"must be sync or async, not {mode!r}")
    heartbeat = table.integer("heartbeat_ms", 100, minimum=1)
    timeout = table.integer("timeout_ms", 500, minimum=1)
    if timeout <= heartbeat:
        raise table.fail(
            "timeout_ms", f"must exceed heartbeat_ms ({heartbeat}), not {timeout}: a live peer "
            "would be taken for dead between two heartbeats",
        )  # fmt: skip
    peer = table.text("peer", None) if "peer" in table.table else ""
    if peer:
        host, sep, port = peer.rpartition(":")
        if not sep or not host or not port.isdigit() or not 0 < int(port) <= 65535:
            raise table.fail("peer", f"must be HOST:PORT, not {peer!r}")
    return ReplicationConfig(table.flag("enabled", False), mode, heartbeat, timeout, peer)


def _settlement(settlement: _Reader) -> SettlementConfig:
    cycle = settlement.integer("cycle_days", 2, minimum=1)
    if cycle > 30:
        raise settlement.fail("cycle_days", f"must be at most 30, not {cycle}")
    raw = settlement.table.get("holidays", [])
    settlement.used.add("holidays")
    if not isinstance(raw, list):
        raise settlement.fail("holidays", "must be a list of ISO dates")
    holidays: list[date] = []
    for item in raw:
        # TOML has a date type; a quoted "2026-12-25" is accepted too
        if isinstance(item, str):
            try:
                item = date.fromisoformat(item)
            except ValueError:
                raise settlement.fail("holidays", f"{item!r} is not an ISO date") from None
        if type(item) is not date:
            raise settlement.fail("holidays", f"{item!r} is not a date")
        holidays.append(item)
    return SettlementConfig(tuple(sorted(set(holidays))), cycle)


def load_config(path: str | Path) -> HostConfig:
    """Read and validate the configuration file at ``path``."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read the configuration: {exc}") from None
    return parse_config(text, str(path))


def setup_commands(config: HostConfig, *, first_seq: int = 1, ts: int = 0) -> list[Command]:
    """The admin commands that bring a fresh exchange to the configured start state."""
    commands: list[Command] = []
    seq = first_seq
    for s in config.symbols:
        commands.append(
            AddSymbol(seq, ts, s.symbol, s.tick_size, s.lot_size, s.reference_price, s.band_bps)
        )
        seq += 1
    for firm in config.firms:
        commands.append(SetSelfTradePrevention(seq, ts, firm.firm, firm.stp))
        seq += 1
        for account in firm.accounts:
            commands.append(OpenAccount(seq, ts, firm.firm, account.account))
            seq += 1
            for asset, amount in ((CASH, account.cash), *account.shares):
                if amount > 0:
                    commands.append(Deposit(seq, ts, account.account, asset, amount))
                    seq += 1
    return commands
