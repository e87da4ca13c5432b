"""NamedTuple instances built without their Python constructor: the events of the hot path.

A NamedTuple's own ``__new__`` is a Python function, and even ``tuple.__new__(cls, values)``
allocates the values tuple and an argument tuple before the instance. Compiled, ``tupleN``
allocates the instance of ``cls`` (a tuple subclass) once and stores the N items into it, which
halves the cost of an event. Uncompiled, it is ``tuple.__new__(cls, (items...))``. Either way
the result is an ordinary instance of ``cls``: equal, hashable and picklable like one built by
``cls(*items)``.

Contract: ``cls`` must be a tuple subclass with no fields of its own (a NamedTuple class) whose
length is N; the callers (the matcher, the risk stage, the record decoders) pass the event and
command classes of `engine.domain.types` with their exact arities. The items must be numbers,
strings, bools or enum members: nothing that can lead back to the instance. Compiled, the
instance is made untracked by the cycle collector (``alloc_instance`` in fast_tuple.pxd), which
could never find a cycle through it; refcounting frees it as before. A gateway makes and drops a
few such tuples an order, and the collector's walks over them had been about a tenth of its
out side's time (``sequex bench gateway``: 1.4 against 0.7 us of collection an order).
``alloc_instance`` (compiled only) is declared in fast_tuple.pxd: ``PyType_GenericAlloc`` on
the class, the allocator of every tuple subclass, then untracked.
"""

from __future__ import annotations

from typing import Any

import cython

if cython.compiled:
    from cython.cimports.cpython.ref import Py_INCREF
    from cython.cimports.cpython.tuple import PyTuple_SET_ITEM


@cython.cfunc
def tuple2(cls: type, a0: object, a1: object) -> Any:
    if cython.compiled:
        out = alloc_instance(cls, 2)  # noqa: F821
        Py_INCREF(a0)
        PyTuple_SET_ITEM(out, 0, a0)
        Py_INCREF(a1)
        PyTuple_SET_ITEM(out, 1, a1)
        return out
    else:
        return tuple.__new__(
            cls,
            (
                a0,
                a1,
            ),
        )


@cython.cfunc
def tuple3(cls: type, a0: object, a1: object, a2: object) -> Any:
    if cython.compiled:
        out = alloc_instance(cls, 3)  # noqa: F821
        Py_INCREF(a0)
        PyTuple_SET_ITEM(out, 0, a0)
        Py_INCREF(a1)
        PyTuple_SET_ITEM(out, 1, a1)
        Py_INCREF(a2)
        PyTuple_SET_ITEM(out, 2, a2)
        return out
    else:
        return tuple.__new__(
            cls,
            (
                a0,
                a1,
                a2,
            ),
        )


@cython.cfunc
def tuple4(cls: type, a0: object, a1: object, a2: object, a3: object) -> Any:
    if cython.compiled:
        out = alloc_instance(cls, 4)  # noqa: F821
        Py_INCREF(a0)
        PyTuple_SET_ITEM(out, 0, a0)
        Py_INCREF(a1)
        PyTuple_SET_ITEM(out, 1, a1)
        Py_INCREF(a2)
        PyTuple_SET_ITEM(out, 2, a2)
        Py_INCREF(a3)
        PyTuple_SET_ITEM(out, 3, a3)
        return out
    else:
        return tuple.__new__(
            cls,
            (
                a0,
                a1,
                a2,
                a3,
            ),
        )


@cython.cfunc
def tuple5(cls: type, a0: object, a1: object, a2: object, a3: object, a4: object) -> Any:
    if cython.compiled:
        out = alloc_instance(cls, 5)  # noqa: F821
        Py_INCREF(a0)
        PyTuple_SET_ITEM(out, 0, a0)
        Py_INCREF(a1)
        PyTuple_SET_ITEM(out, 1, a1)
        Py_INCREF(a2)
        PyTuple_SET_ITEM(out, 2, a2)
        Py_INCREF(a3)
        PyTuple_SET_ITEM(out, 3, a3)
        Py_INCREF(a4)
        PyTuple_SET_ITEM(out, 4, a4)
        return out
    else:
        return tuple.__new__(
            cls,
            (
                a0,
                a1,
                a2,
                a3,
                a4,
            ),
        )


@cython.cfunc
def tuple6(
    cls: type,
    a0: object,
    a1: object,
    a2: object,
    a3: object,
    a4: object,
    a5: object,
) -> Any:
    if cython.compiled:
        out = alloc_instance(cls, 6)  # noqa: F821
        Py_INCREF(a0)
        PyTuple_SET_ITEM(out, 0, a0)
        Py_INCREF(a1)
        PyTuple_SET_ITEM(out, 1, a1)
        Py_INCREF(a2)
        PyTuple_SET_ITEM(out, 2, a2)
        Py_INCREF(a3)
        PyTuple_SET_ITEM(out, 3, a3)
        Py_INCREF(a4)
        PyTuple_SET_ITEM(out, 4, a4)
        Py_INCREF(a5)
        PyTuple_SET_ITEM(out, 5, a5)
        return out
    else:
        return tuple.__new__(
            cls,
            (
                a0,
                a1,
                a2,
                a3,
                a4,
                a5,
            ),
        )


@cython.cfunc
def tuple7(
    cls: type,
    a0: object,
    a1: object,
    a2: object,
    a3: object,
    a4: object,
    a5: object,
    a6: object,
) -> Any:
    if cython.compiled:
        out = alloc_instance(cls, 7)  # noqa: F821
        Py_INCREF(a0)
        PyTuple_SET_ITEM(out, 0, a0)
        Py_INCREF(a1)
        PyTuple_SET_ITEM(out, 1, a1)
        Py_INCREF(a2)
        PyTuple_SET_ITEM(out, 2, a2)
        Py_INCREF(a3)
        PyTuple_SET_ITEM(out, 3, a3)
        Py_INCREF(a4)
        PyTuple_SET_ITEM(out, 4, a4)
        Py_INCREF(a5)
        PyTuple_SET_ITEM(out, 5, a5)
        Py_INCREF(a6)
        PyTuple_SET_ITEM(out, 6, a6)
        return out
    else:
        return tuple.__new__(
            cls,
            (
                a0,
                a1,
                a2,
                a3,
                a4,
                a5,
                a6,
            ),
        )


@cython.cfunc
def tuple8(
    cls: type,
    a0: object,
    a1: object,
    a2: object,
    a3: object,
    a4: object,
    a5: object,
    a6: object,
    a7: object,
) -> Any:
    if cython.compiled:
        out = alloc_instance(cls, 8)  # noqa: F821
        Py_INCREF(a0)
        PyTuple_SET_ITEM(out, 0, a0)
        Py_INCREF(a1)
        PyTuple_SET_ITEM(out, 1, a1)
        Py_INCREF(a2)
        PyTuple_SET_ITEM(out, 2, a2)
        Py_INCREF(a3)
        PyTuple_SET_ITEM(out, 3, a3)
        Py_INCREF(a4)
        PyTuple_SET_ITEM(out, 4, a4)
        Py_INCREF(a5)
        PyTuple_SET_ITEM(out, 5, a5)
        Py_INCREF(a6)
        PyTuple_SET_ITEM(out, 6, a6)
        Py_INCREF(a7)
        PyTuple_SET_ITEM(out, 7, a7)
        return out
    else:
        return tuple.__new__(cls, (a0, a1, a2, a3, a4, a5, a6, a7))


@cython.cfunc
def tuple10(
    cls: type,
    a0: object,
    a1: object,
    a2: object,
    a3: object,
    a4: object,
    a5: object,
    a6: object,
    a7: object,
    a8: object,
    a9: object,
) -> Any:
    if cython.compiled:
        out = alloc_instance(cls, 10)  # noqa: F821
        Py_INCREF(a0)
        PyTuple_SET_ITEM(out, 0, a0)
        Py_INCREF(a1)
        PyTuple_SET_ITEM(out, 1, a1)
        Py_INCREF(a2)
        PyTuple_SET_ITEM(out, 2, a2)
        Py_INCREF(a3)
        PyTuple_SET_ITEM(out, 3, a3)
        Py_INCREF(a4)
        PyTuple_SET_ITEM(out, 4, a4)
        Py_INCREF(a5)
        PyTuple_SET_ITEM(out, 5, a5)
        Py_INCREF(a6)
        PyTuple_SET_ITEM(out, 6, a6)
        Py_INCREF(a7)
        PyTuple_SET_ITEM(out, 7, a7)
        Py_INCREF(a8)
        PyTuple_SET_ITEM(out, 8, a8)
        Py_INCREF(a9)
        PyTuple_SET_ITEM(out, 9, a9)
        return out
    else:
        return tuple.__new__(
            cls,
            (
                a0,
                a1,
                a2,
                a3,
                a4,
                a5,
                a6,
                a7,
                a8,
                a9,
            ),
        )


@cython.cfunc
def tuple12(
    cls: type,
    a0: object,
    a1: object,
    a2: object,
    a3: object,
    a4: object,
    a5: object,
    a6: object,
    a7: object,
    a8: object,
    a9: object,
    a10: object,
    a11: object,
) -> Any:
    if cython.compiled:
        out = alloc_instance(cls, 12)  # noqa: F821
        Py_INCREF(a0)
        PyTuple_SET_ITEM(out, 0, a0)
        Py_INCREF(a1)
        PyTuple_SET_ITEM(out, 1, a1)
        Py_INCREF(a2)
        PyTuple_SET_ITEM(out, 2, a2)
        Py_INCREF(a3)
        PyTuple_SET_ITEM(out, 3, a3)
        Py_INCREF(a4)
        PyTuple_SET_ITEM(out, 4, a4)
        Py_INCREF(a5)
        PyTuple_SET_ITEM(out, 5, a5)
        Py_INCREF(a6)
        PyTuple_SET_ITEM(out, 6, a6)
        Py_INCREF(a7)
        PyTuple_SET_ITEM(out, 7, a7)
        Py_INCREF(a8)
        PyTuple_SET_ITEM(out, 8, a8)
        Py_INCREF(a9)
        PyTuple_SET_ITEM(out, 9, a9)
        Py_INCREF(a10)
        PyTuple_SET_ITEM(out, 10, a10)
        Py_INCREF(a11)
        PyTuple_SET_ITEM(out, 11, a11)
        return out
    else:
        return tuple.__new__(
            cls,
            (
                a0,
                a1,
                a2,
                a3,
                a4,
                a5,
                a6,
                a7,
                a8,
                a9,
                a10,
                a11,
            ),
        )
