# C interface of engine/text_cache.py; keep in step with the .py
# (tests/engine/test_native_interfaces.py checks it).
cimport cython

cdef unsigned long long _GOLDEN


@cython.final
cdef class TextCache:
    cdef unsigned long long _w0[4096]
    cdef unsigned long long _w1[4096]
    cdef list _text

    cdef object lookup(self, const unsigned char* p, Py_ssize_t size)


cdef object ascii_field(const unsigned char* p, Py_ssize_t size)
