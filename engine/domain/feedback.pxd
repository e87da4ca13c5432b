# C interface of engine/domain/feedback.py; keep in step with the .py
# (tests/engine/test_native_interfaces.py checks it).
cimport cython

from engine.domain.risk_order cimport RiskOrder
from engine.domain.wallet cimport Account, Position


@cython.final
cdef class FillFeedback:
    cdef public dict orders
    cdef public bint serial
    cdef public bint settling
    cdef public dict accounts

    cpdef void apply(self, list events)
    cdef void fill(self, tuple ev)
    cdef void settled(self, tuple ev)
    cdef void replaced(self, tuple ev)
    cdef void replace_done(self, RiskOrder order)
    cpdef void end(self, RiskOrder order)
    cpdef long long replace_qty(self, RiskOrder order, long long qty)
    cpdef long long replace_price(self, RiskOrder order, long long price)
