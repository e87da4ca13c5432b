# The part of SQLite's C API (sqlite3.h) that engine/reporter/sqlite_batches.py calls: a
# declaration-only module, so its extension links libsqlite3 (the directive below travels with
# every cimport of this file). The build needs sqlite3.h (Debian/Ubuntu: libsqlite3-dev);
# setup.py checks for it and stops, naming the package, when it is missing.
# distutils: libraries = sqlite3

cdef extern from "sqlite3.h" nogil:
    ctypedef struct sqlite3_db "sqlite3"  # (the Python module of that name is imported too)
    ctypedef struct sqlite3_stmt
    ctypedef void (*sqlite3_destructor_type)(void*)

    const int SQLITE_OK
    const int SQLITE_DONE
    const int SQLITE_OPEN_READWRITE
    const int SQLITE_OPEN_NOMUTEX
    sqlite3_destructor_type SQLITE_STATIC

    const char* sqlite3_libversion()
    int sqlite3_open_v2(const char* filename, sqlite3_db** db, int flags, const char* vfs)
    int sqlite3_close_v2(sqlite3_db* db)
    int sqlite3_exec(sqlite3_db* db, const char* sql, void* callback, void* arg, char** errmsg)
    int sqlite3_prepare_v2(
        sqlite3_db* db, const char* sql, int nbyte, sqlite3_stmt** stmt, const char** tail
    )
    int sqlite3_bind_parameter_count(sqlite3_stmt* stmt)
    int sqlite3_bind_int64(sqlite3_stmt* stmt, int i, long long value)
    int sqlite3_bind_double(sqlite3_stmt* stmt, int i, double value)
    int sqlite3_bind_blob(
        sqlite3_stmt* stmt, int i, const void* data, int n, sqlite3_destructor_type destructor
    )
    int sqlite3_bind_text(
        sqlite3_stmt* stmt, int i, const char* text, int n, sqlite3_destructor_type destructor
    )
    int sqlite3_bind_null(sqlite3_stmt* stmt, int i)
    int sqlite3_step(sqlite3_stmt* stmt)
    int sqlite3_reset(sqlite3_stmt* stmt)
    int sqlite3_finalize(sqlite3_stmt* stmt)
    const char* sqlite3_errmsg(sqlite3_db* db)
    int sqlite3_get_autocommit(sqlite3_db* db)
