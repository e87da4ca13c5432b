# C interface of engine/canonical/lines.py; keep in step with the .py
# (tests/engine/test_native_interfaces.py checks it).
cimport cython

# how a field's value is written (both sources) and read from a record
cdef long long K_INT, K_STR, K_BOOL, K_ENUM, K_REASON_TEXT
cdef long long RECORD_SIZE, MAX_KINDS


@cython.final
cdef class _Layout:
    cdef public bytes head
    cdef public tuple keys
    cdef public bytes kinds
    cdef public tuple names
    cdef public tuple by_value
    cdef public bytes offsets
    cdef public bytes widths
    cdef public bytes signed
    cdef public long long index


@cython.final
cdef class EventLines:
    cdef char *_data
    cdef Py_ssize_t _size
    cdef Py_ssize_t _cap
    cdef long long _kinds[32]
    cdef public bytearray _pure
    cdef public list _pure_kinds
    cdef public long long count

    cpdef void add_events(self, object seq_no, object events)
    cpdef void add_records(self, object records)
    cpdef bytes take(self)
    cdef int _grow(self, Py_ssize_t n) except -1
    cdef int _put(self, bytes data) except -1
    cdef int _put_i64(self, long long value) except -1
    cdef int _put_int(self, object value) except -1
    cdef int _put_str(self, object value) except -1
    cdef int _put_ascii(self, unsigned char *text, Py_ssize_t n) except -1
    cdef int _add_event(self, object seq, Py_ssize_t sub, object event) except -1
    cdef int _add_record(self, object records, unsigned char *record,
                         Py_ssize_t offset) except -1
    cdef Py_ssize_t _mark(self) noexcept
    cdef void _rewind(self, Py_ssize_t size, Py_ssize_t kind) noexcept


cdef long long _read_int(unsigned char *record, Py_ssize_t at, Py_ssize_t width,
                         bint signed) noexcept

# "00", "01", ... "99": the two decimal digits of every value below 100
cdef extern from *:
    """
    static const char sequex_digit_pairs[] =
        "0001020304050607080910111213141516171819202122232425262728293031323334353637383940414243444546474849"
        "5051525354555657585960616263646566676869707172737475767778798081828384858687888990919293949596979899";
    """
    const char *DIGIT_PAIRS "sequex_digit_pairs"

cdef extern from "Python.h":
    bint PyUnicode_IS_ASCII(object text)
