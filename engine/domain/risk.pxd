# C interface of engine/domain/risk.py; keep in step with the .py
# (tests/engine/test_native_interfaces.py checks it).
cimport cython

from engine.domain.feedback cimport FillFeedback
from engine.domain.risk_order cimport RiskOrder
from engine.domain.symbols cimport SymbolSpec
from engine.domain.wallet cimport Account, Position


cdef bint product_exceeds(long long a, long long b, long long limit)


@cython.final
cdef class RiskStage:
    cdef public dict symbols
    cdef public dict accounts
    cdef public dict orders
    cdef public FillFeedback feedback
    cdef public object last_reject
    cdef public long long rules
    cdef public bint accounts_opened
    cdef public bint settling
    cdef public dict settled
    cdef public list fences

    cpdef Account account(self, str name)
    cpdef long long hold_new(self, object seq, str firm, str account, str symbol, long long side,
                             long long otype, long long tif, long long qty, long long price,
                             object clid, bint post_only)
    cdef long long refuse(self, object seq, str account, object clid, object reason)
    cpdef object check_cancel(self, object seq, str account, object oid)
    cpdef object check_replace(self, object seq, str account, object oid, long long qty,
                               long long price)
