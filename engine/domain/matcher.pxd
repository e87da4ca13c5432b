# C interface of engine/domain/matcher.py; keep in step with the .py
# (tests/engine/test_native_interfaces.py checks it).
cimport cython

from engine.domain.book cimport Book, BookSide, Level, Order
from engine.domain.symbols cimport SymbolSpec

cdef long long EXEC_IDS


@cython.final
cdef class Matcher:
    cdef public dict books
    cdef public dict orders
    cdef public dict stp
    cdef public long long rules
    cdef public bint post_only_holds
    cdef public bint settling

    cpdef list match_new(self, object seq, object ts, str firm, str account, str symbol,
                         long long side, long long otype, long long tif, long long qty,
                         long long price, object clid, bint post_only, long long cap)
    cpdef list cancel_order(self, object seq, str account, object oid)
    cpdef list replace_order(self, object seq, object ts, str account, object oid, long long qty,
                             long long price)
    cdef bint match(self, Book book, BookSide opp, Order taker, long long limit, long long mode,
                    object seq, object ts, list events)


cdef bint fillable(BookSide opp, bint is_buy, long long limit, str firm, long long mode,
                   long long need)
