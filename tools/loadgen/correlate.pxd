# C interface of tools/loadgen/correlate.py; keep in step with the .py
# (tests/engine/test_native_interfaces.py checks it).
cimport cython


@cython.final
cdef class Correlator:
    cdef public bytearray state
    cdef public object written
    cdef public str prefix
    cdef public Py_ssize_t width
    cdef public long long index
    cdef public long long step
    cdef public long long rate
    cdef public long long start
    cdef public Py_ssize_t awaiting_ack
    cdef public Py_ssize_t acked
    cdef public Py_ssize_t filled
    cdef public Py_ssize_t ended
    cdef public Py_ssize_t rejected
    cdef public Py_ssize_t refused
    cdef public long long last_ack
    cdef public object reasons
    cdef object _ack
    cdef object _service
    cdef object _fill
    cdef object _taker

    cdef inline long long _due(self, Py_ssize_t n)
