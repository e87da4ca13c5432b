# C interface of engine/domain/ledger.py; keep in step with the .py
# (tests/engine/test_native_interfaces.py checks it).
cimport cython

cdef long long _NO_DAY


@cython.final
cdef class Cell:
    cdef public str firm
    cdef public long long bought
    cdef public long long sold
    cdef public long long paid
    cdef public long long received


@cython.final
cdef class Ledger:
    cdef public long long settled
    cdef public dict days
    cdef public long long day
    cdef public dict cells

    cpdef dict cells_for(self, object ts)


cdef void record(dict cells, str account, str firm, bint is_buy, long long qty, long long price)
