"""Encoding, and the field-level parse of a framed message: each fault and its reason code."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from engine.protocols.fix.codec import FixMessage, checksum, decode_fields, encode
from engine.protocols.fix.tags import SessionRejectReason as R
from tests.engine.protocols.fix.peer import body_of, frame


def parse(body: bytes) -> FixMessage:
    return decode_fields(body_of(frame(body)))


def test_encode_computes_body_length_and_checksum() -> None:
    raw = encode("0", [(49, "C"), (56, "SEQUEX"), (34, "1"), (52, "20240101-00:00:00.000")])
    assert raw == (
        b"8=FIX.4.4\x019=50\x0135=0\x0149=C\x0156=SEQUEX\x0134=1\x01"
        b"52=20240101-00:00:00.000\x0110=201\x01"
    )
    assert len(body_of(raw)) == 50
    assert int(raw[-4:-1]) == checksum(raw[: raw.rindex(b"10=")])


# Tags with a structure of their own (group counts, data lengths) are tested apart.
SPECIAL = frozenset({384, 453, 90, 91, 93, 89, 95, 96, 212, 213, 354, 355})

fields_strategy = st.lists(
    st.tuples(
        st.integers(min_value=36, max_value=99_999).filter(lambda t: t not in SPECIAL),
        st.text(
            st.characters(min_codepoint=0x20, max_codepoint=0xFF, exclude_characters="\x7f"),
            min_size=1,
            max_size=20,
        ),
    ),
    max_size=15,
    unique_by=lambda f: f[0],
)


@given(st.sampled_from(["0", "D", "8", "AE"]), fields_strategy)
def test_encode_then_decode_round_trips_every_field(
    msg_type: str, fields: list[tuple[int, str]]
) -> None:
    raw = encode(msg_type, fields)
    message = decode_fields(body_of(raw), raw)
    assert message.problem is None
    assert message.msg_type == msg_type
    assert message.fields == ((35, msg_type), *fields)
    assert all(message.get(tag) == value for tag, value in fields)


@pytest.mark.parametrize(
    ("value", "tag"),
    [("", 58), ("a\x01b", 58), ("snowman \u2603", 58), ("x", 0), ("x", -1)],
)
def test_encode_refuses_values_that_cannot_go_on_the_wire(value: str, tag: int) -> None:
    with pytest.raises(ValueError):
        encode("0", [(tag, value)])


@pytest.mark.parametrize(
    ("body", "reason", "tag"),
    [
        (b"35=0|49=A|x9=1|", R.INVALID_TAG_NUMBER, None),
        (b"35=0|49=A|0=1|", R.INVALID_TAG_NUMBER, None),
        (b"35=0|49=A|=1|", R.INVALID_TAG_NUMBER, None),
        (b"35=0|49=A|novalue|", R.INVALID_TAG_NUMBER, None),
        (b"35=0|49=A|1234567890=1|", R.INVALID_TAG_NUMBER, None),
        (b"35=0|49=A|58=|", R.TAG_SPECIFIED_WITHOUT_A_VALUE, 58),
        (b"35=0|49=A|55=X|55=Y|", R.TAG_APPEARS_MORE_THAN_ONCE, 55),
        (b"49=A|34=1|", R.REQUIRED_TAG_MISSING, 35),
        (b"49=A|35=0|", R.TAG_SPECIFIED_OUT_OF_REQUIRED_ORDER, 35),
        (b"35=D|453=2|448=P1|452=3|55=X|", R.INCORRECT_NUMINGROUP_COUNT, 453),
        (b"35=D|453=1|452=3|448=P1|", R.REPEATING_GROUP_FIELDS_OUT_OF_ORDER, 452),
        (b"35=D|453=x|448=P1|", R.INCORRECT_DATA_FORMAT, 453),
    ],
)
def test_tag_level_faults_carry_their_session_reject_reason(
    body: bytes, reason: R, tag: int | None
) -> None:
    problem = parse(body).problem
    assert problem is not None
    assert (problem.reason, problem.tag) == (reason, tag)


def test_the_first_fault_is_the_one_reported() -> None:
    problem = parse(b"35=0|58=|55=X|55=Y|").problem
    assert problem is not None and problem.reason is R.TAG_SPECIFIED_WITHOUT_A_VALUE


def test_repeated_tags_inside_a_known_group_are_not_duplicates() -> None:
    message = parse(b"35=D|11=c|453=2|448=P1|447=D|452=3|448=P2|447=D|452=11|55=ACME|")
    assert message.problem is None
    assert message.groups[453] == (
        ((448, "P1"), (447, "D"), (452, "3")),
        ((448, "P2"), (447, "D"), (452, "11")),
    )
    assert message.get(55) == "ACME" and message.get(448) is None


def test_a_data_field_is_cut_by_its_length_even_across_soh() -> None:
    message = parse(b"35=A|95=5|96=a|b=c|108=30|")
    assert message.problem is None
    assert message.get(96) == "a\x01b=c" and message.get(108) == "30"


def test_values_keep_every_byte_as_latin1() -> None:
    message = parse("35=0|58=café ü|".encode("latin-1"))
    assert message.get(58) == "café ü"


def test_sequence_number_and_poss_dup_accessors() -> None:
    assert parse(b"35=0|34=12|43=Y|").seq_num == 12
    assert parse(b"35=0|34=12|43=Y|").poss_dup
    assert parse(b"35=0|34=0|").seq_num is None
    assert parse(b"35=0|34=-3|").seq_num is None
    assert parse(b"35=0|34=x|").seq_num is None
    assert not parse(b"35=0|34=1|43=N|").poss_dup


@given(st.binary(max_size=200))
def test_any_body_bytes_decode_without_raising(junk: bytes) -> None:
    decode_fields(junk + b"\x01")
