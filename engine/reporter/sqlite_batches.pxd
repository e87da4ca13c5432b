# C interface of engine/reporter/sqlite_batches.py; keep in step with the .py
# (tests/engine/test_native_interfaces.py checks it).
cimport cython
from engine.reporter.sqlite_capi cimport sqlite3_db, sqlite3_stmt

@cython.final
cdef class BatchInserter:
    cdef sqlite3_db* _db
    cdef sqlite3_stmt* _statements[32]
    cdef int _columns[16]
    cdef dict _slots
    cdef str where

    cdef void _prepare(self, int slot, str sql) except *
    cdef void _insert(self, int slot, list rows) except *
    cdef void _step(self, int slot) except *
    cdef void _bind(self, int slot, Py_ssize_t first, Py_ssize_t columns, object row) except *
    cdef void _release(self)
