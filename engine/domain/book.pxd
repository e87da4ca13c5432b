# C interface of engine/domain/book.py; keep in step with the .py
# (tests/engine/test_native_interfaces.py checks it).
cimport cython

from engine.domain.ledger cimport Ledger
from engine.domain.symbols cimport SymbolSpec


@cython.final
cdef class Order:
    cdef public object order_id
    cdef public str account
    cdef public str firm
    cdef public long long side
    cdef public long long price
    cdef public long long qty
    cdef public long long leaves
    cdef public long long tif
    cdef public bint post_only
    cdef public Book book
    cdef public Level level
    cdef public Order prev
    cdef public Order next


cdef Order new_order(object order_id, str account, str firm, long long side, long long price,
                     long long qty, long long leaves, long long tif, Book book, bint post_only)


@cython.final
cdef class Level:
    cdef public long long price
    cdef public Order head
    cdef public Order tail
    cdef public long long total
    cdef public long long count


@cython.final
cdef class BookSide:
    cdef public long long sign
    cdef public dict levels
    cdef public list keys

    cpdef void append(self, Order order)
    cpdef void unlink(self, Order order)
    cpdef void drop_level(self, Level level)


@cython.final
cdef class Book:
    cdef public SymbolSpec spec
    cdef public BookSide bids
    cdef public BookSide asks
    cdef public Ledger ledger
