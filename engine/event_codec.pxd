# C interface of engine/event_codec.py; keep in step with the .py
# (tests/engine/test_native_interfaces.py checks it).
cimport cython

from engine.text_cache cimport TextCache

cdef long long _RECORD, _ORIGIN, _TS
cdef dict _KIND


@cython.final
cdef class EventReader:
    cdef TextCache _text
    cdef object _reference

    cpdef list decode_bytes(self, object data)
    cpdef list decode_rows(self, object rows, Py_ssize_t column=*)
    cdef object _record(self, const unsigned char* p, Py_ssize_t offset)
    cdef object _event(self, const unsigned char* p, unsigned char kind, unsigned char e1, object seq)


cpdef Py_ssize_t write_events(bytearray buf, Py_ssize_t at, object seq_no, list events,
                              long long origin=*, long long command_ts=*)
cpdef void encode_event_at(object buffer, Py_ssize_t offset, object seq_no, long long sub_seq,
                           object event)
