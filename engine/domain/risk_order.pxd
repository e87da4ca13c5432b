# C interface of engine/domain/risk_order.py; keep in step with the .py
# (tests/engine/test_native_interfaces.py checks it).
cimport cython

from engine.domain.symbols cimport SymbolSpec
from engine.domain.wallet cimport Account, Position


@cython.final
cdef class RiskOrder:
    cdef public object order_id
    cdef public Account owner
    cdef public SymbolSpec spec
    cdef public bint is_buy
    cdef public long long tif
    cdef public long long price
    cdef public long long qty
    cdef public long long leaves
    cdef public long long pool
    cdef public long long pending
    cdef public long long max_qty
    cdef public long long hi
    cdef public Position hold
    cdef public Position other

    cpdef long long target(self)


cdef RiskOrder new_risk_order(object order_id, Account account, SymbolSpec spec, bint is_buy,
                              long long tif, long long price, long long qty, long long pool,
                              Position hold, Position other)
