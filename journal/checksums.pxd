# C interface of journal/checksums.py: its module-level C constants (the .py defines them).
cdef unsigned long long _PRIME64_1, _PRIME_MX1, _LOW32
