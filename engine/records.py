"""Fixed-size binary records of commands: the ring[in] slot and the journal payload.

The gateway encodes each command into one 128-byte record in a ring[in] slot; the journaler
copies slot ranges into the journal untouched; the risk stage, the matchers and replay decode
them. One layout for all command kinds keeps every stage that only moves bytes free of
per-kind logic. All integers little-endian.

```
 offset  size  field
 0       1     kind       command kind (KIND_* below)
 1       1     side       Side, or the STP mode of SetSelfTradePrevention, or the NoteKind of
                          SessionNote
 2       1     order_type OrderType
 3       1     tif        TimeInForce
 4       1     post_only  0 or 1
 5       3     (zero)
 8       8     seq_no     i64, the global sequence number (= the ring[in] slot sequence)
 16      8     ts         i64, gateway receive time, ns since the epoch
 24      8     a          i64  qty | order_id | tick_size | amount | max_order_qty | trade_date
                                | epoch (Fence) | a (SessionNote)
 32      8     b          i64  price | qty (replace) | lot_size | max_notional | settle_date
                                | b (SessionNote)
 40      8     c          i64  price (replace) | reference_price | max_open_orders
                                | c (SessionNote)
 48      8     d          i64  band_bps | keep mask (SetRiskLimits: bit k set = the k-th limit,
                                in a, b, c order, is KEEP_LIMIT, and its field holds 0)
                                | d (SessionNote)
 56      16    firm       ASCII, NUL padded (NewOrder, SetSelfTradePrevention, OpenAccount)
                          | orig_client_order_id's first 16 characters (CancelOrder,
                          ReplaceOrder)
 72      16    account    ASCII, NUL padded (the session's account of a SessionNote)
 88      8     symbol     ASCII, NUL padded (the asset of Deposit/Withdraw: CASH or a symbol)
                          | orig_client_order_id's characters after the 16th (CancelOrder,
                          ReplaceOrder)
 96      20    client_order_id  ASCII, NUL padded (the token of a SessionNote)
 116     4     origin     u32, the gateway session that sent it (0 for admin), for routing;
                          the session a SessionNote is about
 120     8     (zero)
```

A ``SessionNote`` (kind 15) is a gateway session's own fact (``engine.domain.types.NoteKind``):
its note kind in byte 1, four i64 in a..d, the session's account and a token (an OUCH token or
a FIX ClOrdID, up to 20 characters); what each field means is the note kind's. NoteKind 1 is
REFUSED (a: the protocol's reason code); 2 and 3 (FIX_SENT, FIX_MARK) are a FIX session's
sequence marks (``engine.gateway.fix_marks``).

A cancel's or a replace's ``orig_client_order_id`` (up to 20 characters: the FIX OrigClOrdID
the request named the order by) is split over the firm and symbol fields, which those kinds do
not otherwise use; a record written before it existed holds zeros there, which decode as "".

Decoding interns the text fields through a bounded cache, so a replay of millions of records
builds each distinct account or symbol string once.
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from typing import Final, NoReturn

from engine.domain.types import (
    KEEP_LIMIT,
    AddSymbol,
    CancelOrder,
    Command,
    Deposit,
    EndOfDay,
    Fence,
    Halt,
    NewOrder,
    NoteKind,
    OpenAccount,
    OrderType,
    ReplaceOrder,
    Resume,
    SelfTradePrevention,
    SessionNote,
    SetRiskLimits,
    SetSelfTradePrevention,
    Settle,
    Side,
    TimeInForce,
    Withdraw,
)

RECORD_SIZE: Final = 128
RECORD = struct.Struct("<BBBBBxxxqqqqqq16s16s8s20sI8x")
assert RECORD.size == RECORD_SIZE
#: Where ts (i64) and origin (u32) are, for stages that read them straight from the slots.
TS_OFFSET: Final = 16
ORIGIN_OFFSET: Final = 116

FIRM_MAX: Final = 16
ACCOUNT_MAX: Final = 16
SYMBOL_MAX: Final = 8
CLIENT_ORDER_ID_MAX: Final = 20

KIND_NEW_ORDER: Final = 1
KIND_CANCEL: Final = 2
KIND_REPLACE: Final = 3
KIND_ADD_SYMBOL: Final = 4
KIND_DEPOSIT: Final = 5
KIND_WITHDRAW: Final = 6
KIND_HALT: Final = 7
KIND_RESUME: Final = 8
KIND_RISK_LIMITS: Final = 9
KIND_STP: Final = 10
KIND_END_OF_DAY: Final = 11
KIND_OPEN_ACCOUNT: Final = 12
KIND_SETTLE: Final = 13
KIND_FENCE: Final = 14
KIND_SESSION_NOTE: Final = 15

KIND_OF: Final[dict[type, int]] = {
    NewOrder: KIND_NEW_ORDER,
    CancelOrder: KIND_CANCEL,
    ReplaceOrder: KIND_REPLACE,
    AddSymbol: KIND_ADD_SYMBOL,
    Deposit: KIND_DEPOSIT,
    Withdraw: KIND_WITHDRAW,
    Halt: KIND_HALT,
    Resume: KIND_RESUME,
    SetRiskLimits: KIND_RISK_LIMITS,
    SetSelfTradePrevention: KIND_STP,
    EndOfDay: KIND_END_OF_DAY,
    OpenAccount: KIND_OPEN_ACCOUNT,
    Settle: KIND_SETTLE,
    Fence: KIND_FENCE,
    SessionNote: KIND_SESSION_NOTE,
}


class RecordError(ValueError):
    """A command cannot be encoded, or bytes are not a valid command record."""


def _ascii(value: str, limit: int, name: str) -> bytes:
    try:
        raw = value.encode("ascii")
    except UnicodeEncodeError:
        raise RecordError(f"{name} {value!r} is not ASCII") from None
    if len(raw) > limit or b"\0" in raw:
        raise RecordError(f"{name} {value!r} is longer than {limit} characters or has a NUL")
    return raw


def _split_orig(orig: str) -> tuple[str, str]:
    """A cancel's or replace's orig_client_order_id as its (firm, symbol) field texts."""
    _ascii(orig, CLIENT_ORDER_ID_MAX, "orig_client_order_id")  # its checks, under its name
    return orig[:FIRM_MAX], orig[FIRM_MAX:]


def encode_command_into(
    buffer: bytearray | memoryview, offset: int, cmd: Command, origin: int = 0
) -> None:
    """Write ``cmd`` as one record at ``buffer[offset:offset + RECORD_SIZE]``."""
    side = order_type = tif = post_only = 0
    a = b = c = d = 0
    firm = account = symbol = client = ""
    match cmd:
        case NewOrder():
            side, order_type, tif, post_only = cmd.side, cmd.order_type, cmd.tif, cmd.post_only
            a, b = cmd.qty, cmd.price
            firm, account, symbol, client = cmd.firm, cmd.account, cmd.symbol, cmd.client_order_id
        case CancelOrder():
            a, account, client = cmd.order_id, cmd.account, cmd.client_order_id
            firm, symbol = _split_orig(cmd.orig_client_order_id)
        case ReplaceOrder():
            a, b, c, account = cmd.order_id, cmd.qty, cmd.price, cmd.account
            client = cmd.client_order_id
            firm, symbol = _split_orig(cmd.orig_client_order_id)
        case AddSymbol():
            a, b, c, d = cmd.tick_size, cmd.lot_size, cmd.reference_price, cmd.band_bps
            symbol = cmd.symbol
        case Deposit() | Withdraw():
            a, account, symbol = cmd.amount, cmd.account, cmd.asset
        case Halt() | Resume() | EndOfDay():
            symbol = cmd.symbol
        case SetRiskLimits():
            a, b, c, d = _limit_fields(cmd)
            account = cmd.account
        case SetSelfTradePrevention():
            side, firm = cmd.mode, cmd.firm
        case OpenAccount():
            firm, account = cmd.firm, cmd.account
        case Settle():
            a, b, symbol = cmd.trade_date, cmd.settle_date, cmd.symbol
        case Fence():
            a = cmd.epoch
        case SessionNote():
            side, account, client = cmd.note, cmd.account, cmd.token
            a, b, c, d = cmd.a, cmd.b, cmd.c, cmd.d
    try:
        RECORD.pack_into(
            buffer,
            offset,
            KIND_OF[type(cmd)],
            side,
            order_type,
            tif,
            int(post_only),
            cmd.seq_no,
            cmd.ts,
            a,
            b,
            c,
            d,
            _ascii(firm, FIRM_MAX, "firm"),
            _ascii(account, ACCOUNT_MAX, "account"),
            _ascii(symbol, SYMBOL_MAX, "symbol"),
            _ascii(client, CLIENT_ORDER_ID_MAX, "client_order_id"),
            origin,
        )
    except struct.error as exc:
        raise RecordError(f"{type(cmd).__name__} seq {cmd.seq_no}: {exc}") from None


def _limit_fields(cmd: SetRiskLimits) -> tuple[int, int, int, int]:
    """a, b, c and the keep mask d of a SetRiskLimits. A journal from before KEEP_LIMIT has
    d = 0 in every record, so it decodes to the limits it always did."""
    limits = (cmd.max_order_qty, cmd.max_notional, cmd.max_open_orders)
    mask = sum(1 << k for k, value in enumerate(limits) if value is KEEP_LIMIT)
    a, b, c = (0 if value is KEEP_LIMIT else value for value in limits)
    return a, b, c, mask


def _limits_of(a: int, b: int, c: int, mask: int) -> tuple[int | None, int | None, int | None]:
    """The three limits of a SetRiskLimits record (see the layout: ``d`` is the keep mask)."""
    if mask & ~0b111:
        raise RecordError(f"SetRiskLimits keep mask {mask:#x} has unknown bits")
    a_, b_, c_ = (KEEP_LIMIT if mask >> k & 1 else value for k, value in enumerate((a, b, c)))
    return a_, b_, c_


def encode_command(cmd: Command, origin: int = 0) -> bytes:
    """``cmd`` as a fresh RECORD_SIZE-byte string."""
    out = bytearray(RECORD_SIZE)
    encode_command_into(out, 0, cmd, origin)
    return bytes(out)


_Fields = tuple[
    int, int, int, int, int, int, int, int, int, int, int, bytes, bytes, bytes, bytes, int
]


# Enum members by their byte, as tuples: indexing is several times cheaper than Side(byte).
_SIDES: Final = (None, Side.BUY, Side.SELL)
_ORDER_TYPES: Final = (None, OrderType.LIMIT, OrderType.MARKET)
_TIFS: Final = (None, TimeInForce.DAY, TimeInForce.GTC, TimeInForce.IOC, TimeInForce.FOK)
_new_tuple = tuple.__new__


def _client_order_id(raw: bytes, name: str = "client_order_id") -> str:
    """A client order id field (unique per request: decoded, never cached)."""
    try:
        return raw.rstrip(b"\0").decode("ascii")
    except UnicodeDecodeError:
        raise RecordError(f"{name} {raw!r} is not ASCII") from None


def _orig(f: _Fields) -> str:
    """A cancel's or replace's orig_client_order_id, from its firm and symbol fields."""
    return _client_order_id(f[11].rstrip(b"\0") + f[13], "orig_client_order_id")


def _bad() -> NoReturn:
    raise RecordError("an enum byte is out of range")


class CommandDecoder:
    """Turns records back into commands; keeps an intern cache of the text fields.

    `decode` takes one record; `decode_many` a run of back-to-back records in one buffer (the
    replay and stage hot path: one C-level unpack loop, no per-record slicing).
    """

    def __init__(self, cache_limit: int = 1 << 16) -> None:
        self._text: dict[bytes, str] = {}
        self._cache_limit = cache_limit
        self._build: dict[int, Callable[[_Fields], Command]] = {
            KIND_NEW_ORDER: self._new_order,
            KIND_CANCEL: lambda f: CancelOrder(
                f[5], f[6], self.text(f[12]), f[7], _client_order_id(f[14]), _orig(f)
            ),
            KIND_REPLACE: lambda f: ReplaceOrder(
                f[5], f[6], self.text(f[12]), f[7], f[8], f[9], _client_order_id(f[14]), _orig(f)
            ),
            KIND_ADD_SYMBOL: lambda f: AddSymbol(
                f[5], f[6], self.text(f[13]), f[7], f[8], f[9], f[10]
            ),
            KIND_DEPOSIT: lambda f: Deposit(f[5], f[6], self.text(f[12]), self.text(f[13]), f[7]),
            KIND_WITHDRAW: lambda f: Withdraw(f[5], f[6], self.text(f[12]), self.text(f[13]), f[7]),
            KIND_HALT: lambda f: Halt(f[5], f[6], self.text(f[13])),
            KIND_RESUME: lambda f: Resume(f[5], f[6], self.text(f[13])),
            KIND_RISK_LIMITS: lambda f: SetRiskLimits(
                f[5], f[6], self.text(f[12]), *_limits_of(f[7], f[8], f[9], f[10])
            ),
            KIND_STP: lambda f: SetSelfTradePrevention(
                f[5], f[6], self.text(f[11]), SelfTradePrevention(f[1])
            ),
            KIND_END_OF_DAY: lambda f: EndOfDay(f[5], f[6], self.text(f[13])),
            KIND_OPEN_ACCOUNT: lambda f: OpenAccount(
                f[5], f[6], self.text(f[11]), self.text(f[12])
            ),
            KIND_SETTLE: lambda f: Settle(f[5], f[6], self.text(f[13]), f[7], f[8]),
            KIND_FENCE: lambda f: Fence(f[5], f[6], f[7]),
            KIND_SESSION_NOTE: lambda f: SessionNote(
                f[5],
                f[6],
                NoteKind(f[1]),
                self.text(f[12]),
                _client_order_id(f[14]),
                f[7],
                f[8],
                f[9],
                f[10],
            ),
        }

    def text(self, raw: bytes) -> str:
        """The str of a NUL-padded ASCII field, built once per distinct value."""
        cached = self._text.get(raw)
        if cached is None:
            try:
                cached = raw.rstrip(b"\0").decode("ascii")
            except UnicodeDecodeError:
                raise RecordError(f"text field {raw!r} is not ASCII") from None
            if len(self._text) >= self._cache_limit:
                self._text.clear()
            self._text[raw] = cached
        return cached

    def _new_order(self, f: _Fields) -> Command:
        text = self._text.get
        firm, account, symbol = text(f[11]), text(f[12]), text(f[13])
        if firm is None or account is None or symbol is None:
            firm, account, symbol = self.text(f[11]), self.text(f[12]), self.text(f[13])
        try:
            client = f[14].rstrip(b"\0").decode("ascii")  # unique per order: never cached
        except UnicodeDecodeError:
            raise RecordError(f"client_order_id {f[14]!r} is not ASCII") from None
        side, order_type, tif, post_only = f[1], f[2], f[3], f[4]
        if not (0 < side < 3 and 0 < order_type < 3 and 0 < tif < 5 and post_only < 2):
            raise RecordError(f"NewOrder seq {f[5]}: an enum byte is out of range")
        return _new_tuple(
            NewOrder,
            (
                f[5],
                f[6],
                firm,
                account,
                symbol,
                _SIDES[side],
                _ORDER_TYPES[order_type],
                _TIFS[tif],
                f[7],
                f[8],
                client,
                post_only == 1,
            ),
        )

    def decode(
        self, buffer: bytes | bytearray | memoryview, offset: int = 0
    ) -> tuple[Command, int]:
        """The command at ``offset`` and the gateway session it came from."""
        if len(buffer) - offset < RECORD_SIZE:
            raise RecordError(f"record at offset {offset} is short: {len(buffer) - offset} bytes")
        fields: _Fields = RECORD.unpack_from(buffer, offset)
        return self._build_one(fields, offset), fields[15]

    def decode_many(self, buffer: bytes | bytearray | memoryview) -> list[Command]:
        """Every command in ``buffer``, which holds whole records back to back."""
        if len(buffer) % RECORD_SIZE:
            raise RecordError(
                f"{len(buffer)} bytes is not a whole number of {RECORD_SIZE}-byte records"
            )
        out: list[Command] = []
        append, text, build_one = out.append, self._text, self._build_one
        sides, order_types, tifs = _SIDES, _ORDER_TYPES, _TIFS
        for index, fields in enumerate(RECORD.iter_unpack(buffer)):
            # NewOrder is most of any stream: built inline, with every field checked by the
            # lookups (an unknown text or an enum byte out of range falls to the careful path).
            cmd: Command
            if fields[0] == KIND_NEW_ORDER and fields[4] < 2:
                try:
                    cmd = _new_tuple(
                        NewOrder,
                        (
                            fields[5],
                            fields[6],
                            text[fields[11]],
                            text[fields[12]],
                            text[fields[13]],
                            sides[fields[1]] or _bad(),
                            order_types[fields[2]] or _bad(),
                            tifs[fields[3]] or _bad(),
                            fields[7],
                            fields[8],
                            # client order ids are unique in real traffic: decoded, never cached
                            fields[14].rstrip(b"\0").decode("ascii"),
                            fields[4] == 1,
                        ),
                    )
                except (KeyError, IndexError, RecordError, UnicodeDecodeError):
                    cmd = build_one(fields, index * RECORD_SIZE)
                append(cmd)
            else:
                append(build_one(fields, index * RECORD_SIZE))
        return out

    def _build_one(self, fields: _Fields, offset: int) -> Command:
        build = self._build.get(fields[0])
        if build is None:
            raise RecordError(f"record at offset {offset}: unknown command kind {fields[0]}")
        try:
            return build(fields)
        except ValueError as exc:  # an enum byte out of range
            raise RecordError(f"record at offset {offset}: {exc}") from None
