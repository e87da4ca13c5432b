# C interface of engine/domain/exchange.py; keep in step with the .py
# (tests/engine/test_native_interfaces.py checks it).
cimport cython

from engine.domain.matcher cimport Matcher
from engine.domain.risk cimport RiskStage

cdef long long _MAX_SEQ, _NONE_DUE
cdef long long _KIND_NEW, _KIND_CANCEL, _KIND_REPLACE, _KIND_OTHER


@cython.final
cdef class Exchange:
    cdef public long long feedback_window
    cdef public RiskStage risk
    cdef public Matcher matcher
    cdef public list pending_seqs
    cdef public list pending_events
    cdef public Py_ssize_t head
    cdef public long long due
    cdef public long long last_seq
    cdef public dict admin

    cpdef list submit(self, object cmd)
    cdef list new_order(self, tuple c)
    cdef list cancel(self, tuple c)
    cdef list replace(self, tuple c)
    cpdef void feed(self, object seq, list events)
    cpdef void drain(self, long long upto)
