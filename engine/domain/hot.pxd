# The integer values of engine/domain/hot.py as C compile-time constants, for the compiled
# modules (they cimport them; the uncompiled build imports the .py). Keep the two equal
# (tests/engine/test_native_interfaces.py checks it).
cdef enum:
    BUY = 1
    SELL = 2
    LIMIT = 1
    MARKET = 2
    DAY = 1
    GTC = 2
    IOC = 3
    FOK = 4
    CANCEL_RESTING = 1
    CANCEL_INCOMING = 2
    CANCEL_BOTH = 3
