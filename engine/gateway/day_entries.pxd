# C interface of engine/gateway/day_entries.py; keep in step with the .py
# (tests/engine/test_native_interfaces.py checks it).
cimport cython


@cython.final
cdef class Entry:
    cdef public object key
    cdef public object is_order
    cdef public object order_id
    cdef public object number
    cdef public object day
    cdef public object seq_no
    cdef public object first
