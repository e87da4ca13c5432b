# C interface of engine/domain/wallet.py: the attributes and methods other compiled modules use
# directly. Keep in step with the .py (tests/engine/test_native_interfaces.py checks it).
cimport cython

@cython.final
cdef class Position:
    cdef public long long total
    cdef public long long held
    cdef public long long receiving


@cython.final
cdef class Account:
    cdef public str name
    cdef public str firm
    cdef public dict positions
    cdef public long long max_order_qty
    cdef public long long max_notional
    cdef public long long max_open_orders
    cdef public bint limited
    cdef public long long open_orders

    cpdef void set_limits(self, long long max_order_qty, long long max_notional,
                          long long max_open_orders)
    cpdef Position position(self, str asset)
