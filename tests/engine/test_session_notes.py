"""SessionNote: a gateway session's journaled fact. One event, addressed to its session; no
trading matter (no book, wallet or state-hash effect) in any rules version; the same bytes
through the records, the canonical JSON, the event codec and both builds."""

from __future__ import annotations

import json

import pytest

from engine.canonical import command_from_json, command_to_json, encode_event_line
from engine.domain.exchange import Exchange
from engine.domain.rules import KNOWN_RULES
from engine.domain.types import (
    CASH,
    AddSymbol,
    Deposit,
    NewOrder,
    NoteKind,
    OpenAccount,
    OrderType,
    SessionNote,
    SessionNoted,
    Side,
    TimeInForce,
)
from engine.event_codec import EventReader, encode_events_into
from engine.event_records import EventDecoder, encode_event
from engine.gateway.router import ROUTED_EVENTS, ReportRouter, address
from engine.records import (
    KIND_SESSION_NOTE,
    ORIGIN_OFFSET,
    CommandDecoder,
    RecordError,
    encode_command,
)
from engine.reporter.rows import Projector, RowBatch

NOTE = SessionNote(7, 1_700_000_000_000_000_123, NoteKind.REFUSED, "ACC-1", "ORD-0000000001",
                   ord("O"), 1, 2**62, 3)  # fmt: skip
NOTED = SessionNoted(7, NoteKind.REFUSED, "ACC-1", "ORD-0000000001", ord("O"), 1, 2**62, 3)


def test_a_note_is_one_record_with_its_kind_ints_account_token_and_origin() -> None:
    record = encode_command(NOTE, origin=0x8000_0001)
    assert record[0] == KIND_SESSION_NOTE and record[1] == NoteKind.REFUSED
    assert record[72:77] == b"ACC-1" and record[96:110] == b"ORD-0000000001"
    assert int.from_bytes(record[ORIGIN_OFFSET : ORIGIN_OFFSET + 4], "little") == 0x8000_0001
    assert CommandDecoder().decode(record) == (NOTE, 0x8000_0001)


def test_a_note_kind_the_build_does_not_know_is_a_record_error() -> None:
    record = bytearray(encode_command(NOTE))
    record[1] = 4  # no note kind yet: not this build's
    with pytest.raises(RecordError):
        CommandDecoder().decode(bytes(record))


def test_a_note_round_trips_through_its_json_object() -> None:
    obj = command_to_json(NOTE)
    assert obj == {
        "type": "session_note", "seq_no": 7, "ts": NOTE.ts, "note": "refused", "account": "ACC-1",
        "token": "ORD-0000000001", "a": 79, "b": 1, "c": 2**62, "d": 3,
    }  # fmt: skip
    assert command_from_json(json.loads(json.dumps(obj)), seq_no=0) == NOTE


def test_its_event_is_its_fields_and_round_trips_through_both_codecs() -> None:
    assert Exchange().submit(NOTE) == [NOTED]
    raw = encode_event(7, 0, NOTED)
    assert EventDecoder().decode(raw) == (7, 0, NOTED)
    out = bytearray()
    encode_events_into(out, 7, [NOTED], origin=5, command_ts=NOTE.ts)
    assert out[:108] == raw[:108]
    assert EventReader().decode_bytes(bytes(out)) == [(7, 0, NOTED)]
    assert encode_event_line(7, 0, NOTED) == (
        b'{"seq":7,"sub":0,"type":"session_noted","seq_no":7,"note":"refused","account":"ACC-1",'
        b'"token":"ORD-0000000001","a":79,"b":1,"c":4611686018427387904,"d":3}\n'
    )


def _trading(rules: int) -> list[object]:
    return [
        AddSymbol(1, 1, "XYZ", 100, 1, 1_000_000, 500),
        OpenAccount(2, 2, "F1", "A1"),
        Deposit(3, 3, "A1", CASH, 10**10),
        NewOrder(
            4, 4, "F1", "A1", "XYZ", Side.BUY, OrderType.LIMIT, TimeInForce.DAY, 10, 1_000_000, "b1"
        ),
    ]


@pytest.mark.parametrize("rules", sorted(KNOWN_RULES))
@pytest.mark.parametrize("window", [1, 64])
def test_notes_change_no_state_and_no_other_event_in_any_rules_version(
    rules: int, window: int
) -> None:
    plain, noted = Exchange(window, rules), Exchange(window, rules)
    seq = 0
    for cmd in _trading(rules):
        seq += 1
        assert noted.submit(NOTE._replace(seq_no=seq, account="A1")) == [
            NOTED._replace(seq_no=seq, account="A1")
        ]
        seq += 1
        a = plain.submit(cmd._replace(seq_no=seq))  # type: ignore[attr-defined]
        b = noted.submit(cmd._replace(seq_no=seq))  # type: ignore[attr-defined]
        assert a == b
    plain.submit(AddSymbol(seq, 0, "NOP", 1, 1, 1, 1))  # the same last_seq on both
    noted.submit(AddSymbol(seq, 0, "NOP", 1, 1, 1, 1))
    assert plain.state_hash() == noted.state_hash()
    assert Exchange.restore(noted.snapshot()).state_hash() == noted.state_hash()


def test_its_event_answers_the_session_that_sent_it_and_nobody_else() -> None:
    assert SessionNoted in ROUTED_EVENTS
    assert address(0x8000_0003, NOTED) == (0x8000_0003, False)
    assert address(0, NOTED) is None  # a note of no session is owed to nobody
    reports: list[object] = []
    ReportRouter(reports.extend).route(9, 7, [NOTED])
    assert reports == [(9, False, 7, 0, NOTED)]


def test_the_reporter_records_a_note_as_a_command_row_and_nothing_else() -> None:
    projector = Projector({"ACC-1": "F1"})
    batch = RowBatch()
    projector.add(batch, NOTE, 0x8000_0001, [NOTED])
    rows = {name: got for name, got in batch.rows.items() if got}
    assert list(rows) == ["commands"]
    (row,) = rows["commands"]
    assert row[:6] == (7, NOTE.ts, 0x8000_0001, "session_note", "F1", "ACC-1")
    assert row[15] == "session_noted" and json.loads(row[17]) == command_to_json(NOTE)
