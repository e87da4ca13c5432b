# C interface of engine/ascii_stores.py; keep in step with the .py
# (tests/engine/test_native_interfaces.py checks it).

cdef Py_ssize_t copy_ascii(unsigned char* p, object value, Py_ssize_t size, bint nul_ok)
