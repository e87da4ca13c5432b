# C interface of engine/command_reader.py; keep in step with the .py
# (tests/engine/test_native_interfaces.py checks it).
cimport cython

from engine.text_cache cimport TextCache

cdef long long _RECORD


@cython.final
cdef class CommandReader:
    cdef TextCache _text
    cdef object _reference

    cpdef list decode_many(self, object data)
    cpdef list decode_rows(self, object rows)
    cdef object _record(self, const unsigned char* p, Py_ssize_t offset)
    cdef object _slow(self, const unsigned char* p, Py_ssize_t offset)
