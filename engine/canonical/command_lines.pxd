# C interface of engine/canonical/command_lines.py; keep in step with the .py
# (tests/engine/test_native_interfaces.py checks it).
cimport cython


@cython.final
cdef class _Shape:
    cdef public type cls
    cdef public long long size
    cdef public tuple enums
    cdef public long long price_at
    cdef public long long order_type_at


@cython.final
cdef class FastCommandReader:
    cdef public object last_seq_no
    cdef public object last_ts
    cdef public object _reference

    cpdef object read_line(self, object line)
    cdef object _read_reference(self, object line)


cdef object _command(_Shape shape, tuple values, object seq_no, object ts)
cdef object _value(_Shape shape, tuple enums, tuple values, Py_ssize_t i)
