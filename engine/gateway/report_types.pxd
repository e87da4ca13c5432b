# C interface of engine/gateway/report_types.py; keep in step with the .py
# (tests/engine/test_native_interfaces.py checks it).
cimport cython


@cython.final
cdef class OrderReport:
    cdef public object kind
    cdef public object seq_no
    cdef public object sub
    cdef public object ts
    cdef public object order_id
    cdef public object account
    cdef public object symbol
    cdef public object side
    cdef public object order_type
    cdef public object tif
    cdef public object post_only
    cdef public object client_order_id
    cdef public object orig_client_order_id
    cdef public object order_qty
    cdef public object price
    cdef public object leaves_qty
    cdef public object cum_qty
    cdef public object cum_cost
    cdef public object last_qty
    cdef public object last_price
    cdef public object exec_id
    cdef public object liquidity
    cdef public object reason
    cdef public object priority_kept
    cdef public object entered_seq


@cython.final
cdef class LiveOrder:
    cdef public object origin
    cdef public object account
    cdef public object symbol
    cdef public object side
    cdef public object order_type
    cdef public object tif
    cdef public object post_only
    cdef public object client_order_id
    cdef public object orig_client_order_id
    cdef public object qty
    cdef public object price
    cdef public object leaves
    cdef public object cum_qty
    cdef public object cum_cost
    cdef public object entered_seq


cdef OrderReport new_report(object kind, object seq_no, object sub, object ts, object order_id,
                            object account, object symbol, object side, object order_type,
                            object tif, object post_only, object client_order_id,
                            object orig_client_order_id, object order_qty, object price,
                            object leaves_qty, object cum_qty, object cum_cost, object last_qty,
                            object last_price, object exec_id, object liquidity, object reason,
                            object priority_kept, object entered_seq)
cdef LiveOrder new_live_order(object origin, object account, object symbol, object side,
                              object order_type, object tif, object post_only,
                              object client_order_id, object orig_client_order_id, object qty,
                              object price, object leaves, object cum_qty, object cum_cost,
                              object entered_seq)
