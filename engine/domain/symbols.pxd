# C interface of engine/domain/symbols.py; keep in step with the .py
# (tests/engine/test_native_interfaces.py checks it).
cimport cython

cdef long long _BPS
cdef long long _MAX_INT64

cdef long long band_half(long long reference, long long band_bps)
cdef long long band_top(long long reference, long long half)


@cython.final
cdef class SymbolSpec:
    cdef public str symbol
    cdef public long long tick
    cdef public long long lot
    cdef public long long band_bps
    cdef public long long reference
    cdef public long long min_price
    cdef public long long max_price
    cdef public bint halted

    cpdef void set_reference(self, long long reference)
    cpdef long long band_low(self)
