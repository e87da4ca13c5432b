"""``engine.protocols.fix.frozen.built`` makes what the dataclass's constructor makes: for
the FIX in side's messages, with random values, compiled and uncompiled."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine import native
from engine.domain.types import OrderType, Side, TimeInForce
from engine.protocols.fix import frozen
from engine.protocols.fix.events import ApplicationMessage
from engine.protocols.fix.frozen import built, field_names
from engine.protocols.fix.messages import NewOrderSingle

_TEXT = st.one_of(st.none(), st.text(max_size=8))


_VALUES = st.tuples(
    st.integers(0, 2**40), st.text(max_size=20), _TEXT, st.text(max_size=8),
    st.sampled_from(Side), st.sampled_from(OrderType), st.sampled_from(TimeInForce),
    st.integers(-(2**70), 2**70), st.integers(-(2**70), 2**70), st.booleans(),
    st.integers(0, 2**63), st.booleans(), st.booleans(),
)  # fmt: skip


@settings(max_examples=200, deadline=None)
@given(_VALUES)
def test_a_new_order_single_built_is_the_constructors(values: tuple[object, ...]) -> None:
    made = built(NewOrderSingle, field_names(NewOrderSingle), values)
    expected = NewOrderSingle(*values)  # type: ignore[arg-type]
    assert type(made) is NewOrderSingle and made == expected
    assert repr(made) == repr(expected) and hash(made) == hash(expected)


def test_an_application_message_built_is_the_constructors() -> None:
    names = field_names(ApplicationMessage)
    message = object()
    made = built(ApplicationMessage, names, (message,))
    assert type(made) is ApplicationMessage and made.message is message


@dataclass(frozen=True, slots=True)
class _Checked:
    value: int

    def __post_init__(self) -> None:
        raise AssertionError("never built by built()")


def test_a_class_whose_init_does_more_than_set_fields_is_refused() -> None:
    with pytest.raises(TypeError):
        field_names(_Checked)
    with pytest.raises(TypeError):
        built(NewOrderSingle, field_names(NewOrderSingle), (1, "a"))


def test_the_tests_above_compare_the_c_code_unless_pure_is_asked_for() -> None:
    assert (not frozen.__file__.endswith(".py")) == (not native.pure_requested())
