# C interface of engine/domain/fast_tuple.py (the declarations Cython needs to call it from the
# other compiled modules; the .py is the implementation and documentation).

cdef extern from *:
    """
    static PyObject *sequex_alloc_instance(PyObject *type, Py_ssize_t n) {
        /* untracked: the items are numbers, strings and enum members (fast_tuple.py) */
        if (!PyType_IS_GC((PyTypeObject *)type)) {  /* every tuple subclass is */
            PyErr_SetString(PyExc_TypeError, "fast_tuple: not a tuple subclass");
            return NULL;
        }
        PyObject *out = PyType_GenericAlloc((PyTypeObject *)type, n);
        if (out != NULL) PyObject_GC_UnTrack(out);
        return out;
    }
    """
    object alloc_instance "sequex_alloc_instance" (object cls, Py_ssize_t n)

cdef object tuple2(type cls, object a0, object a1)
cdef object tuple3(type cls, object a0, object a1, object a2)
cdef object tuple4(type cls, object a0, object a1, object a2, object a3)
cdef object tuple5(type cls, object a0, object a1, object a2, object a3, object a4)
cdef object tuple6(type cls, object a0, object a1, object a2, object a3, object a4, object a5)
cdef object tuple7(type cls, object a0, object a1, object a2, object a3, object a4, object a5,
                   object a6)
cdef object tuple8(type cls, object a0, object a1, object a2, object a3, object a4, object a5,
                   object a6, object a7)
cdef object tuple10(type cls, object a0, object a1, object a2, object a3, object a4,
                    object a5, object a6, object a7, object a8, object a9)
cdef object tuple12(type cls, object a0, object a1, object a2, object a3, object a4,
                    object a5, object a6, object a7, object a8, object a9, object a10,
                    object a11)
