"""Frozen, slotted dataclasses built without their ``__init__``: the FIX in side's messages.

A frozen dataclass's generated ``__init__`` sets each field with ``object.__setattr__``, one
Python call per field: 3 µs for a 13-field ``NewOrderSingle``, built for every order.
:func:`built` sets the same fields in C (``PyObject_GenericSetAttr``, what
``object.__setattr__`` calls), so the object is the one ``cls(*values)`` makes for a class
whose ``__init__`` only sets its fields: no ``__post_init__``, no defaults left unset
(``values`` names every field, in ``names``' order).

``tests/engine/protocols/fix/test_frozen.py`` holds it to the constructor, compiled and
uncompiled. Compiled by Cython (``engine.native``); the pure build runs the same source.
"""

from __future__ import annotations

import dataclasses
from typing import Any, TypeVar

import cython

if cython.compiled:
    from cython.cimports.cpython.object import PyObject_GenericSetAttr as _set_attr
else:
    _set_attr = object.__setattr__

__all__ = ["built", "field_names"]

T = TypeVar("T")


def field_names(cls: type) -> tuple[str, ...]:
    """The names of ``cls``'s fields, in ``__init__``'s order (for :func:`built`)."""
    if not dataclasses.is_dataclass(cls) or hasattr(cls, "__post_init__"):
        raise TypeError(f"{cls.__name__} is not a dataclass whose __init__ only sets fields")
    return tuple(field.name for field in dataclasses.fields(cls))


@cython.ccall
def built(cls: type[T], names: tuple[str, ...], values: tuple[Any, ...]) -> T:
    """``cls(*values)``, for ``names`` = ``field_names(cls)`` (see the module docstring)."""
    count: cython.Py_ssize_t = len(names)
    if len(values) != count:
        raise TypeError(f"{cls.__name__} takes {count} values, not {len(values)}")
    obj = object.__new__(cls)
    i: cython.Py_ssize_t
    for i in range(count):
        _set_attr(obj, names[i], values[i])
    return obj
