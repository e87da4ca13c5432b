"""FIX 4.4 vocabulary: the tag numbers and enumerated values this package reads or writes.

Numbers and codes are those of the FIX 4.4 specification (and of QuickFIX's ``FIX44.xml``, which
the tests check every outbound message against). Only what sequex uses is named here; a tag not
listed is still parsed and carried, just never interpreted.
"""

from __future__ import annotations

from enum import IntEnum, StrEnum
from typing import Final

__all__ = [
    "ADMIN_MSG_TYPES",
    "BEGIN_STRING",
    "FIX44_MSG_TYPES",
    "SOH",
    "BusinessRejectReason",
    "CxlRejReason",
    "CxlRejResponseTo",
    "ExecType",
    "MsgType",
    "OrdRejReason",
    "OrdStatus",
    "SessionRejectReason",
    "Tag",
]

SOH: Final = b"\x01"
BEGIN_STRING: Final = "FIX.4.4"


class Tag(IntEnum):
    """Field tags, by their FIX 4.4 names."""

    ACCOUNT = 1
    AVG_PX = 6
    BEGIN_SEQ_NO = 7
    BEGIN_STRING = 8
    BODY_LENGTH = 9
    CHECK_SUM = 10
    CL_ORD_ID = 11
    CUM_QTY = 14
    END_SEQ_NO = 16
    EXEC_ID = 17
    EXEC_INST = 18
    LAST_PX = 31
    LAST_QTY = 32
    MSG_SEQ_NUM = 34
    MSG_TYPE = 35
    NEW_SEQ_NO = 36
    ORDER_ID = 37
    ORDER_QTY = 38
    ORD_STATUS = 39
    ORD_TYPE = 40
    ORIG_CL_ORD_ID = 41
    POSS_DUP_FLAG = 43
    PRICE = 44
    REF_SEQ_NUM = 45
    SENDER_COMP_ID = 49
    SENDING_TIME = 52
    SIDE = 54
    SYMBOL = 55
    TARGET_COMP_ID = 56
    TEXT = 58
    TIME_IN_FORCE = 59
    TRANSACT_TIME = 60
    POSS_RESEND = 97
    ENCRYPT_METHOD = 98
    CXL_REJ_REASON = 102
    ORD_REJ_REASON = 103
    HEART_BT_INT = 108
    TEST_REQ_ID = 112
    ORIG_SENDING_TIME = 122
    GAP_FILL_FLAG = 123
    RESET_SEQ_NUM_FLAG = 141
    EXEC_TYPE = 150
    LEAVES_QTY = 151
    SECONDARY_ORDER_ID = 198
    REF_TAG_ID = 371
    REF_MSG_TYPE = 372
    SESSION_REJECT_REASON = 373
    BUSINESS_REJECT_REF_ID = 379
    BUSINESS_REJECT_REASON = 380
    NO_MSG_TYPES = 384
    MSG_DIRECTION = 385
    CXL_REJ_RESPONSE_TO = 434
    PARTY_ID_SOURCE = 447
    PARTY_ID = 448
    PARTY_ROLE = 452
    NO_PARTY_IDS = 453
    PARTY_SUB_ID = 523
    USERNAME = 553
    PASSWORD = 554
    NEXT_EXPECTED_MSG_SEQ_NUM = 789
    NO_PARTY_SUB_IDS = 802
    PARTY_SUB_ID_TYPE = 803


class MsgType(StrEnum):
    HEARTBEAT = "0"
    TEST_REQUEST = "1"
    RESEND_REQUEST = "2"
    REJECT = "3"
    SEQUENCE_RESET = "4"
    LOGOUT = "5"
    EXECUTION_REPORT = "8"
    ORDER_CANCEL_REJECT = "9"
    LOGON = "A"
    NEW_ORDER_SINGLE = "D"
    ORDER_CANCEL_REQUEST = "F"
    ORDER_CANCEL_REPLACE_REQUEST = "G"
    BUSINESS_MESSAGE_REJECT = "j"


#: The session-level (administrative) messages: never resent, replaced by a gap fill instead.
ADMIN_MSG_TYPES: Final = frozenset({"0", "1", "2", "3", "4", "5", "A"})

#: Every MsgType FIX 4.4 defines. A message of any other type gets a session Reject with
#: SessionRejectReason 11; a defined type that sequex does not serve is the application's
#: business (BusinessMessageReject, BusinessRejectReason 3). A test compares this set with
#: QuickFIX's dictionary.
FIX44_MSG_TYPES: Final = frozenset(
    [*"0123456789", *"ABCDEFGHJKLMNPQRSTVWXYZ", *"abcdefghijklmnopqrstuvwxyz"]
    + ["A" + c for c in "ABCDEFGHIJKLMNOPQRSTUVWXYZ"]
    + ["B" + c for c in "ABCDEFGH"]
)


class SessionRejectReason(IntEnum):
    """SessionRejectReason (373): why a session-level Reject (35=3) refuses a message."""

    INVALID_TAG_NUMBER = 0
    REQUIRED_TAG_MISSING = 1
    TAG_NOT_DEFINED_FOR_MESSAGE_TYPE = 2
    UNDEFINED_TAG = 3
    TAG_SPECIFIED_WITHOUT_A_VALUE = 4
    VALUE_IS_INCORRECT = 5
    INCORRECT_DATA_FORMAT = 6
    COMPID_PROBLEM = 9
    SENDINGTIME_ACCURACY_PROBLEM = 10
    INVALID_MSGTYPE = 11
    TAG_APPEARS_MORE_THAN_ONCE = 13
    TAG_SPECIFIED_OUT_OF_REQUIRED_ORDER = 14
    REPEATING_GROUP_FIELDS_OUT_OF_ORDER = 15
    INCORRECT_NUMINGROUP_COUNT = 16
    OTHER = 99


class BusinessRejectReason(IntEnum):
    """BusinessRejectReason (380), the values FIX 4.4 (and QuickFIX's FIX44.xml) define."""

    OTHER = 0
    UNKNOWN_ID = 1
    UNKNOWN_SECURITY = 2
    UNSUPPORTED_MESSAGE_TYPE = 3
    APPLICATION_NOT_AVAILABLE = 4
    CONDITIONALLY_REQUIRED_FIELD_MISSING = 5
    NOT_AUTHORIZED = 6


class OrdRejReason(IntEnum):
    """OrdRejReason (103) on an ExecutionReport that rejects a NewOrderSingle."""

    BROKER_EXCHANGE_OPTION = 0
    UNKNOWN_SYMBOL = 1
    EXCHANGE_CLOSED = 2
    ORDER_EXCEEDS_LIMIT = 3
    UNKNOWN_ORDER = 5
    DUPLICATE_ORDER = 6
    UNSUPPORTED_ORDER_CHARACTERISTIC = 11
    INCORRECT_QUANTITY = 13
    UNKNOWN_ACCOUNT = 15
    OTHER = 99


class CxlRejReason(IntEnum):
    """CxlRejReason (102) on an OrderCancelReject."""

    TOO_LATE_TO_CANCEL = 0
    UNKNOWN_ORDER = 1
    BROKER_EXCHANGE_OPTION = 2
    ALREADY_PENDING = 3
    DUPLICATE_CL_ORD_ID = 6
    OTHER = 99


class CxlRejResponseTo(StrEnum):
    """CxlRejResponseTo (434): which request an OrderCancelReject answers."""

    CANCEL_REQUEST = "1"
    CANCEL_REPLACE_REQUEST = "2"


class ExecType(StrEnum):
    """ExecType (150): what happened, in the ExecutionReports sequex sends."""

    NEW = "0"
    CANCELED = "4"
    REPLACED = "5"
    REJECTED = "8"
    EXPIRED = "C"
    TRADE = "F"
    #: an answer about an order's current state (here: to a resent NewOrderSingle)
    ORDER_STATUS = "I"


class OrdStatus(StrEnum):
    """OrdStatus (39): the order's state after the event an ExecutionReport reports."""

    NEW = "0"
    PARTIALLY_FILLED = "1"
    FILLED = "2"
    CANCELED = "4"
    REJECTED = "8"
    EXPIRED = "C"
