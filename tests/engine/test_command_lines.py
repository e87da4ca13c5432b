"""FastCommandReader reads every line as CommandReader does: same command or same error.

The reference is ``CommandReader.read_line`` (``json.loads`` + ``command_from_json`` + the stream
rules). Lines come as valid commands in every JSON spelling, as valid commands with one thing
wrong, and as garbage; for each the fast reader must return the same command (same class, same
values) or raise CommandFormatError with the same message, and leave the same stream state.
"""

from __future__ import annotations

import json
from enum import IntEnum
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.canonical import CommandFormatError, CommandReader, command_to_json
from engine.canonical.command_lines import FastCommandReader
from engine.canonical.commands import BOOL, COMMAND_SPECS, ENUM_BY_NAME, ID, UINT, FieldKind
from tests.engine.test_canonical import ONE_OF_EACH

Outcome = tuple[str, Any, int, int]


def _outcome(reader: CommandReader | FastCommandReader, line: str | bytes) -> Outcome:
    try:
        cmd = reader.read_line(line)
    except CommandFormatError as exc:
        return ("error", (exc.field, str(exc)), reader.last_seq_no, reader.last_ts)
    return ("command", (type(cmd), tuple(cmd)), reader.last_seq_no, reader.last_ts)


def assert_same(lines: list[str | bytes], state: tuple[int, int] = (0, 0)) -> list[Outcome]:
    reference, fast = CommandReader(), FastCommandReader()
    reference.last_seq_no, reference.last_ts = state
    fast.last_seq_no, fast.last_ts = state
    outcomes = []
    for line in lines:
        expected = _outcome(reference, line)
        assert _outcome(fast, line) == expected, line
        outcomes.append(expected)
    return outcomes


#: a shared 2-core machine: generation and runs may be slow, never a failure
FUZZ = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])


# -- strategies -----------------------------------------------------------------------------

json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**70), 2**70),
    st.floats(allow_nan=False),
    st.text(max_size=8),
)
json_values = st.recursive(
    json_scalars,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner, max_size=3)
    ),
    max_leaves=6,
)


def _value(kind: FieldKind) -> st.SearchStrategy[Any]:
    if kind == UINT:
        return st.integers(0, 2**20) | st.integers(0, 2**70) | st.sampled_from([0, 2**63, 2**64])
    if kind == ID:
        return st.text(min_size=1, max_size=6) | st.sampled_from(["A1", "XYZ", "CASH"])
    if kind == BOOL:
        return st.booleans()
    if isinstance(kind, type) and issubclass(kind, IntEnum):
        return st.sampled_from(list(ENUM_BY_NAME[kind]))
    return st.text(max_size=6)  # TEXT


@st.composite
def command_objects(draw: st.DrawFn) -> dict[str, Any]:
    """A valid command object; seq_no and ts present or not, optional fields left out or not."""
    cls = draw(st.sampled_from(list(COMMAND_SPECS)))
    name, fields = COMMAND_SPECS[cls]
    obj: dict[str, Any] = {"type": name}
    for key in ("seq_no", "ts"):
        if draw(st.booleans()):
            obj[key] = draw(st.integers(0, 2**64))
    for field, kind in fields.items():
        obj[field] = draw(_value(kind))
    if "post_only" in obj and draw(st.booleans()):
        del obj["post_only"]
    if obj.get("order_type") == "market" and draw(st.booleans()):
        del obj["price"]
    keys = draw(st.permutations(list(obj)))
    return {k: obj[k] for k in keys}


@st.composite
def broken_objects(draw: st.DrawFn) -> dict[str, Any]:
    """A command object with one key dropped, added or given any JSON value."""
    obj = draw(command_objects())
    key = draw(st.sampled_from([*obj, "colour", "type", "seq_no", "price", "ts"]))
    action = draw(st.sampled_from(["drop", "set"]))
    if action == "drop":
        obj.pop(key, None)
    else:
        obj[key] = draw(json_values)
    return obj


@st.composite
def spellings(draw: st.DrawFn, objects: st.SearchStrategy[Any]) -> str | bytes:
    """One JSON text of an object: compact or spaced, ASCII-escaped or not, str or bytes."""
    obj = draw(objects)
    text = json.dumps(
        obj,
        ensure_ascii=draw(st.booleans()),
        separators=draw(st.sampled_from([(",", ":"), (", ", ": "), (" ,\t", " :\r")])),
    )
    text = draw(st.sampled_from(["", " ", "\t"])) + text + draw(st.sampled_from(["", "\n", "\r\n"]))
    if draw(st.booleans()):
        return text
    return text.encode("utf-8", "surrogatepass")


# -- the properties ------------------------------------------------------------------------


@FUZZ
@given(st.lists(spellings(command_objects()), max_size=6))
def test_valid_lines_read_the_same(lines: list[str | bytes]) -> None:
    assert_same(lines)


@FUZZ
@given(st.lists(spellings(broken_objects()), max_size=6), st.integers(0, 2**64))
def test_lines_with_one_thing_wrong_read_or_fail_the_same(
    lines: list[str | bytes], seq: int
) -> None:
    assert_same(lines, (seq, seq))


@FUZZ
@given(st.lists(st.binary(max_size=60) | st.text(max_size=60), max_size=4))
def test_garbage_fails_the_same_way_never_otherwise(lines: list[str | bytes]) -> None:
    for _, _, _, _ in assert_same(lines):
        pass  # _outcome lets only CommandFormatError through: anything else fails the test


@pytest.mark.parametrize("cmd", ONE_OF_EACH, ids=lambda c: type(c).__name__)
def test_every_command_round_trips(cmd: Any) -> None:
    line = json.dumps(command_to_json(cmd))
    reader = FastCommandReader()
    reader.last_seq_no = cmd.seq_no - 1
    assert reader.read_line(line) == cmd
    assert type(
        reader.read_line(json.dumps(command_to_json(cmd._replace(seq_no=cmd.seq_no + 5))))
    ) is type(cmd)


HALT = '{"type":"halt","symbol":"S"'
EDGE_CASES = [
    HALT + ',"seq_no":10.0}',
    HALT + ',"seq_no":1e2}',
    HALT + ',"seq_no":-0}',
    HALT + ',"seq_no":18446744073709551616}',
    HALT + ',"seq_no":NaN}',
    HALT + ',"seq_no":Infinity}',
    HALT + ',"seq_no":1E400}',
    HALT + ',"seq_no":true}',
    HALT + ',"seq_no":null}',
    HALT + ',"seq_no":-1}',
    HALT + ',"seq_no":1}',  # not above the previous seq_no (5)
    HALT + ',"symbol":"T"}',
    HALT + ',"type":"resume"}',
    HALT + ',"type":"nope"}',
    '{"ty\\u0070e":"halt","sym\\u0062ol":"\\ud83d\\ude00"}',
    '{"type":"halt","symbol":"\\ud800"}',
    '{"type":"halt","symbol":"\ud800"}',
    b'{"type":"halt","symbol":"\xed\xa0\x80"}',
    b'{"type":"halt","symbol":"\xff"}',
    b'\xef\xbb\xbf{"type":"halt","symbol":"S"}',
    '{"type":"halt","symbol":"a\tb"}',
    '{"type":"halt","symbol":"a\x7fb","ts":3}',
    HALT + "} x",
    HALT + "}\x00",
    HALT + ",}",
    "\x0c" + HALT + "}",
    "[" * 100_000,
    '{"a":' * 100_000,
    "",
    "   \n",
    '{"type":"new_order","firm":"F","account":"A","symbol":"S","side":"buy",'
    '"order_type":"limit","tif":"day","qty":1,"client_order_id":""}',
    '{"type":"new_order","firm":"F","account":"A","symbol":"S","side":"buy",'
    '"order_type":"market","tif":"ioc","qty":1,"client_order_id":""}',
    '{"type":"new_order","firm":"F","account":"A","symbol":"S","side":"buy",'
    '"order_type":"market","tif":"ioc","qty":1,"client_order_id":"","price":-1}',
]


@pytest.mark.parametrize("line", EDGE_CASES)
def test_edge_cases_read_or_fail_the_same(line: str | bytes) -> None:
    assert_same([line], (5, 7))


def test_deep_nesting_is_a_format_error_not_a_crash() -> None:
    (kind, (field, message), _, _) = assert_same(["[" * 100_000])[0]
    assert (kind, field) == ("error", "json")
    assert message == "json: invalid JSON: nested too deeply"
