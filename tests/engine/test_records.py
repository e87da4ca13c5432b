"""Command records: every kind round-trips; bad input is a RecordError, never anything else."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from engine.domain.types import (
    CASH,
    AddSymbol,
    CancelOrder,
    Command,
    Deposit,
    EndOfDay,
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
    Side,
    TimeInForce,
    Withdraw,
)
from engine.records import (
    RECORD_SIZE,
    CommandDecoder,
    RecordError,
    encode_command,
    encode_command_into,
)

i64 = st.integers(min_value=0, max_value=2**63 - 1)
small = st.integers(min_value=0, max_value=10**12)
name = st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.", min_size=1, max_size=8)
long_name = st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.", min_size=1, max_size=16)
client_id = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789-", max_size=20)

commands: st.SearchStrategy[Command] = st.one_of(
    st.builds(
        NewOrder,
        i64,
        i64,
        long_name,
        long_name,
        name,
        st.sampled_from(Side),
        st.sampled_from(OrderType),
        st.sampled_from(TimeInForce),
        small,
        small,
        client_id,
        st.booleans(),
    ),
    st.builds(CancelOrder, i64, i64, long_name, i64, client_id, client_id),
    st.builds(ReplaceOrder, i64, i64, long_name, i64, small, small, client_id, client_id),
    st.builds(AddSymbol, i64, i64, name, small, small, small, small),
    st.builds(Deposit, i64, i64, long_name, st.one_of(name, st.just(CASH)), small),
    st.builds(Withdraw, i64, i64, long_name, name, small),
    st.builds(Halt, i64, i64, name),
    st.builds(Resume, i64, i64, name),
    st.builds(SetRiskLimits, i64, i64, long_name, small, small, small),
    st.builds(SetSelfTradePrevention, i64, i64, long_name, st.sampled_from(SelfTradePrevention)),
    st.builds(EndOfDay, i64, i64, name),
    st.builds(OpenAccount, i64, i64, long_name, long_name),
    st.builds(
        SessionNote, i64, i64, st.sampled_from(NoteKind), long_name, client_id, i64, i64, i64, i64
    ),
)


@given(commands, st.integers(min_value=0, max_value=2**32 - 1))
def test_every_command_round_trips_with_its_origin(cmd: Command, origin: int) -> None:
    record = encode_command(cmd, origin)
    assert len(record) == RECORD_SIZE
    decoded, decoded_origin = CommandDecoder().decode(record)
    assert decoded == cmd
    assert type(decoded) is type(cmd)
    assert decoded_origin == origin


def test_records_pack_back_to_back_in_one_buffer() -> None:
    cmds = [Halt(1, 10, "ACME"), CancelOrder(2, 11, "A-1", 1), Resume(3, 12, "ACME")]
    buffer = bytearray(RECORD_SIZE * len(cmds))
    for i, cmd in enumerate(cmds):
        encode_command_into(buffer, i * RECORD_SIZE, cmd)
    decoder = CommandDecoder()
    assert [decoder.decode(buffer, i * RECORD_SIZE)[0] for i in range(3)] == cmds


def test_a_requests_orig_client_order_id_spans_the_firm_and_symbol_fields() -> None:
    orig = "ORIGINAL-CLORDID-0020"[:20]
    cancel = CancelOrder(7, 1, "A-1", 3, "NEW-ID", orig)
    record = encode_command(cancel)
    assert record[56:72] == orig[:16].encode() and record[88:96] == orig[16:].encode().ljust(
        8, b"\0"
    )
    replace = ReplaceOrder(8, 1, "A-1", 3, 5, 100, "NEW-ID", "short")
    assert encode_command(replace)[56:72] == b"short".ljust(16, b"\0")
    decoder = CommandDecoder()
    assert decoder.decode(record)[0] == cancel
    assert decoder.decode(encode_command(replace))[0] == replace
    # a record written before the field existed holds zeros there: the request named none
    old = bytearray(record)
    old[56:72], old[88:96] = bytes(16), bytes(8)
    assert decoder.decode(bytes(old))[0] == cancel._replace(orig_client_order_id="")
    with pytest.raises(RecordError, match="orig_client_order_id"):
        encode_command(cancel._replace(orig_client_order_id="x" * 21))


def test_decoded_text_fields_are_interned() -> None:
    decoder = CommandDecoder()
    first, _ = decoder.decode(encode_command(Halt(1, 0, "ACME")))
    second, _ = decoder.decode(encode_command(Halt(2, 0, "ACME")))
    assert isinstance(first, Halt) and isinstance(second, Halt)
    assert first.symbol is second.symbol


@pytest.mark.parametrize(
    ("cmd", "message"),
    [
        (Halt(1, 0, "TOOLONGSYM"), "symbol 'TOOLONGSYM' is longer than 8"),
        (Deposit(1, 0, "Ä-1", CASH, 5), "account 'Ä-1' is not ASCII"),
        (Deposit(1, 0, "A\0", CASH, 5), "has a NUL"),
        (Deposit(1, 0, "A", CASH, 2**63), "Deposit seq 1"),
        (CancelOrder(1, 0, "A", 2**64), "CancelOrder seq 1"),
    ],
)
def test_a_command_that_does_not_fit_is_a_record_error(cmd: Command, message: str) -> None:
    with pytest.raises(RecordError, match=message):
        encode_command(cmd)


def test_an_unknown_kind_or_a_short_record_is_a_record_error() -> None:
    with pytest.raises(RecordError, match="unknown command kind 99"):
        CommandDecoder().decode(bytes([99]) + bytes(RECORD_SIZE - 1))
    with pytest.raises(RecordError, match="is short: 10 bytes"):
        CommandDecoder().decode(bytes(10))


@given(st.binary(min_size=RECORD_SIZE, max_size=RECORD_SIZE))
def test_arbitrary_bytes_decode_or_raise_record_error(raw: bytes) -> None:
    try:
        cmd, origin = CommandDecoder().decode(raw)
    except RecordError:
        return
    # whatever decodes is a real command: it encodes and decodes to itself
    assert CommandDecoder().decode(encode_command(cmd, origin)) == (cmd, origin)


@given(st.lists(commands, max_size=30))
def test_decode_many_equals_decoding_one_by_one(cmds: list[Command]) -> None:
    buffer = b"".join(encode_command(cmd) for cmd in cmds)
    one_by_one = CommandDecoder()
    expected = [one_by_one.decode(buffer, i * RECORD_SIZE)[0] for i in range(len(cmds))]
    warm = CommandDecoder()
    warm.decode_many(buffer)  # second pass takes the interned fast path
    assert CommandDecoder().decode_many(buffer) == expected == warm.decode_many(buffer) == cmds


def test_decode_many_refuses_a_partial_record() -> None:
    with pytest.raises(RecordError, match="not a whole number of 128-byte records"):
        CommandDecoder().decode_many(bytes(RECORD_SIZE + 1))


@given(st.binary(min_size=RECORD_SIZE, max_size=RECORD_SIZE).map(lambda b: b"\x01" + b[1:]))
def test_decode_many_of_garbage_new_orders_agrees_with_decode(raw: bytes) -> None:
    try:
        expected = CommandDecoder().decode(raw)[0]
    except RecordError:
        with pytest.raises(RecordError):
            CommandDecoder().decode_many(raw)
        return
    warm = CommandDecoder()
    assert warm.decode_many(raw) == [expected] == warm.decode_many(raw)
